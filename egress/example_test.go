package egress_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"

	"github.com/hookline/hookline/egress"
)

// A Client refuses private and loopback networks unless the operator allows
// them; here a receiver on 127.0.0.1 is reached once 127.0.0.0/8 is allowed.
func ExampleClient_Do() {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	strict, _ := egress.New(egress.Config{})
	req, _ := http.NewRequest(http.MethodPost, receiver.URL, strings.NewReader(`{"type":"ping"}`))
	_, err := strict.Do(req, nil)
	reason, _ := egress.Refused(err)
	fmt.Println(reason)

	local, _ := egress.New(egress.Config{
		Policy: egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
	})
	req, _ = http.NewRequest(http.MethodPost, receiver.URL, strings.NewReader(`{"type":"ping"}`))
	resp, err := local.Do(req, &egress.EndpointAuth{}) // no mTLS, no OAuth 2.0
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// egress refused: the endpoint's host is a loopback address
	// 204 No Content
}
