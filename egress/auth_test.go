package egress

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestBasicAuthInURL checks that credentials in an endpoint URL are sent as
// Authorization: Basic, decoded from the URL's percent-encoding.
func TestBasicAuthInURL(t *testing.T) {
	type creds struct {
		user, pass string
		ok         bool
	}
	got := make(chan creds, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		got <- creds{u, p, ok}
	}))
	defer srv.Close()
	c := loopbackClient(t)
	url := strings.Replace(srv.URL, "http://", "http://hook%20user:p%40ss:w0rd@", 1)
	resp, err := post(t, c, url+"/hook", `{}`, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%v, %v", resp, err)
	}
	if g := <-got; !g.ok || g.user != "hook user" || g.pass != "p@ss:w0rd" {
		t.Fatalf("receiver got %+v, want hook user / p@ss:w0rd", g)
	}
	// The error of a failed delivery shows the URL without the password.
	c2, _ := New(Config{})
	_, err = post(t, c2, url, `{}`, nil)
	if err == nil || strings.Contains(err.Error(), "p%40ss") || strings.Contains(err.Error(), "w0rd") {
		t.Fatalf("error %v shows the password", err)
	}
}
