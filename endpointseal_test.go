package hookline

import (
	"bytes"
	"errors"
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
		ID:              "ep_1",
		URL:             "https://user:pa%40ss@example.com/hook",
		Secret:          []byte("whsec"),
		PreviousSecrets: []EndpointSecret{{Kind: SecretHMAC, Key: []byte("k"), Expires: now.Add(time.Hour)}},
		MTLS:            &EndpointMTLS{Certificate: []byte("cert"), Key: []byte("key")},
		OAuth: &EndpointOAuth{TokenURL: "https://auth.example.com/token", ClientID: "id", ClientSecret: "s3cret",
			AuthMethod: OAuthClientSecretPost, GrantType: OAuthClientCredentials, Scopes: []string{"a"},
			ExtraParams: map[string]string{"audience": "x"}},
		Headers: map[string]string{"Authorization": "Bearer t0ken", "X-A": "b"},
	}
	want := map[string]string{
		"secret":           "whsec",
		"url_sealed":       `https://user:pa%40ss@example.com/hook`,
		"previous_secrets": `[{"kind":0,"key":"aw==","expires":1735790645000000}]`,
		"mtls":             `{"certificate":"Y2VydA==","key":"a2V5","serverCaCerts":null}`,
		"oauth": `{"tokenUrl":"https://auth.example.com/token","clientId":"id","clientSecret":"s3cret",` +
			`"authMethod":"clientSecretPost","grantType":"clientCredentials","scopes":["a"],` +
			`"extraParams":{"audience":"x"},"extraHeaders":null}`,
		"headers_sealed": `{"Authorization":"Bearer t0ken","X-A":"b"}`,
	}
	a := box.SealAuth(ep, now)
	if a.ShownURL != "https://user:xxxxx@example.com/hook" {
		t.Errorf("ShownURL = %q", a.ShownURL)
	}
	for column, v := range sealedFields(&a) {
		// Each is sealed for its own cell: the endpoint's id and its column.
		got, err := box.Open(*v, Cell{Table: "endpoints", Column: column, Row: "ep_1"})
		if err != nil || string(got) != want[column] {
			t.Errorf("sealed %s = %s, %v; want %s", column, got, err, want[column])
		}
	}
	// Reseal and the rest go through every column SealAuth seals.
	var kind []string
	for _, c := range endpointSeals.Columns {
		kind = append(kind, c.Name)
	}
	if len(kind) != len(want) {
		t.Errorf("the sealed columns of endpointSeals are %v, want those of %v", kind, want)
	}
	for _, c := range kind {
		if _, ok := want[c]; !ok {
			t.Errorf("endpointSeals has the column %s, which SealAuth does not seal", c)
		}
	}

	// The stored forms open into the endpoint that was sealed.
	stored := SealedAuth{ShownURL: a.ShownURL}
	for column, v := range sealedFields(&stored) {
		*v = box.Seal([]byte(want[column]), Cell{Table: "endpoints", Column: column, Row: "ep_1"})
	}
	got := &Endpoint{ID: "ep_1", URL: a.ShownURL}
	if err := box.OpenAuth(&stored, got, now); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ep) {
		t.Fatalf("opened %+v, want %+v", got, ep)
	}
	// Another endpoint's settings do not open as this one's.
	if err := box.OpenAuth(&stored, &Endpoint{ID: "ep_2"}, now); !errors.Is(err, ErrSecretAltered) {
		t.Fatalf("OpenAuth for another endpoint: %v, want ErrSecretAltered", err)
	}

	// Headers in the clear column (as versions before headers_sealed kept
	// them) open with a Legacy box only.
	legacy := SealedAuth{Secret: stored.Secret, ClearHeaders: []byte(`{"X-Old":"v"}`)}
	if err := box.OpenAuth(&legacy, &Endpoint{ID: "ep_1"}, now); !errors.Is(err, ErrSecretForm) {
		t.Fatalf("headers in clear with a key: %v, want ErrSecretForm", err)
	}
	old := &Endpoint{ID: "ep_1"}
	if err := box.Legacy().OpenAuth(&legacy, old, now); err != nil || old.Headers["X-Old"] != "v" {
		t.Fatalf("headers in clear with a legacy box: %v, %v", old.Headers, err)
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

// sealedFields returns the sealed settings of a by column.
func sealedFields(a *SealedAuth) map[string]*[]byte {
	return map[string]*[]byte{colSecret: &a.Secret, colPrevious: &a.Previous, colURL: &a.URL, colMTLS: &a.MTLS,
		colOAuth: &a.OAuth, colHeaders: &a.Headers}
}
