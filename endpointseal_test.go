package hookline

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// TestSealedAuthFormat pins the JSON forms of the sealed settings, which
// stores keep: what a store wrote before must open after.
func TestSealedAuthFormat(t *testing.T) {
	box, err := NewSecretBox(bytes.Repeat([]byte{1}, SecretKeyLen))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ep := &Endpoint{
		URL:             "https://user:pa%40ss@example.com/hook",
		PreviousSecrets: []EndpointSecret{{Kind: SecretHMAC, Key: []byte("k"), Expires: now.Add(time.Hour)}},
		MTLS:            &EndpointMTLS{Certificate: []byte("cert"), Key: []byte("key")},
		OAuth: &EndpointOAuth{TokenURL: "https://auth.example.com/token", ClientID: "id", ClientSecret: "s3cret",
			AuthMethod: OAuthClientSecretPost, GrantType: OAuthClientCredentials, Scopes: []string{"a"},
			ExtraParams: map[string]string{"audience": "x"}},
	}
	want := map[string]string{
		"URL":      `https://user:pa%40ss@example.com/hook`,
		"Previous": `[{"kind":0,"key":"aw==","expires":1735790645000000}]`,
		"MTLS":     `{"certificate":"Y2VydA==","key":"a2V5","serverCaCerts":null}`,
		"OAuth": `{"tokenUrl":"https://auth.example.com/token","clientId":"id","clientSecret":"s3cret",` +
			`"authMethod":"clientSecretPost","grantType":"clientCredentials","scopes":["a"],` +
			`"extraParams":{"audience":"x"},"extraHeaders":null}`,
	}
	a := box.SealAuth(ep, now)
	if a.ShownURL != "https://user:xxxxx@example.com/hook" {
		t.Errorf("ShownURL = %q", a.ShownURL)
	}
	for name, sealed := range map[string][]byte{"URL": a.URL, "Previous": a.Previous, "MTLS": a.MTLS, "OAuth": a.OAuth} {
		got, err := box.Open(sealed)
		if err != nil || string(got) != want[name] {
			t.Errorf("sealed %s = %s, %v; want %s", name, got, err, want[name])
		}
	}

	// The stored forms open into the endpoint that was sealed.
	stored := SealedAuth{ShownURL: a.ShownURL, URL: box.Seal([]byte(want["URL"])), Previous: box.Seal([]byte(want["Previous"])),
		MTLS: box.Seal([]byte(want["MTLS"])), OAuth: box.Seal([]byte(want["OAuth"]))}
	got := &Endpoint{URL: a.ShownURL}
	if err := box.OpenAuth(&stored, got, now); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ep) {
		t.Fatalf("opened %+v, want %+v", got, ep)
	}

	// A URL that RedactURL does not show is sealed whole, not lost.
	odd := &Endpoint{URL: "https://user:s3cret@host/%zz"}
	a = box.SealAuth(odd, now)
	if a.ShownURL != "(unparsable URL, redacted)" || a.URL == nil {
		t.Fatalf("unparsable URL: shown %q, sealed %v", a.ShownURL, a.URL != nil)
	}
	back := &Endpoint{URL: a.ShownURL}
	if err := box.OpenAuth(&a, back, now); err != nil || back.URL != odd.URL {
		t.Fatalf("unparsable URL opened as %q, %v", back.URL, err)
	}
}
