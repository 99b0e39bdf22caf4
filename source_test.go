package hookline

import (
	"reflect"
	"testing"
)

// TestKeepSecrets: a config keeps the secrets of the old one it leaves
// out, for the checks it keeps; those it sets are its own.
func TestKeepSecrets(t *testing.T) {
	old := SourceConfig{
		Secret:     "s-old",
		BasicAuth:  &SourceBasicAuth{Username: "u", Password: "p-old"},
		HeaderAuth: &SourceHeaderAuth{Header: "X-Key", Value: "k-old"},
		HMAC:       &SourceHMAC{Secret: "h-old", Header: "X-Sig"},
	}
	c := SourceConfig{
		BasicAuth:  &SourceBasicAuth{Username: "u2"},
		HeaderAuth: &SourceHeaderAuth{Header: "X-Key", Value: "k-new"},
		HMAC:       &SourceHMAC{Header: "X-Sig2"},
	}
	c.KeepSecrets(&old)
	want := SourceConfig{
		Secret:     "s-old",
		BasicAuth:  &SourceBasicAuth{Username: "u2", Password: "p-old"},
		HeaderAuth: &SourceHeaderAuth{Header: "X-Key", Value: "k-new"},
		HMAC:       &SourceHMAC{Secret: "h-old", Header: "X-Sig2"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v, want %+v", c, want)
	}
	// A check the new config drops stays dropped.
	c = SourceConfig{Secret: "s-new"}
	c.KeepSecrets(&old)
	if !reflect.DeepEqual(c, SourceConfig{Secret: "s-new"}) {
		t.Fatalf("got %+v", c)
	}
}
