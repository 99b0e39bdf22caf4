package hookline

import (
	"encoding/json"
	"fmt"
	"time"
)

// SealedAuth is an endpoint's authentication settings as a Store keeps
// them. ShownURL is the endpoint's URL with its credentials redacted: the
// column a store keeps in the clear. Each other field is nil when the
// setting is unset, else the SecretBox seal of its JSON form (of its text,
// for the URL with its credentials). Read back, it holds what was stored.
type SealedAuth struct {
	ShownURL                   string
	URL, Previous, MTLS, OAuth []byte
}

// The JSON forms of the sealed settings are the stores' format: add fields,
// never rename them.
type (
	previousSecretJSON struct {
		Kind    int    `json:"kind"`
		Key     []byte `json:"key"`
		Expires int64  `json:"expires"` // Unix microseconds
	}
	mtlsJSON struct {
		Certificate   []byte `json:"certificate"`
		Key           []byte `json:"key"`
		ServerCACerts []byte `json:"serverCaCerts"`
	}
	oauthJSON struct {
		TokenURL     string            `json:"tokenUrl"`
		ClientID     string            `json:"clientId"`
		ClientSecret string            `json:"clientSecret"`
		AuthMethod   string            `json:"authMethod"`
		GrantType    string            `json:"grantType"`
		Scopes       []string          `json:"scopes"`
		ExtraParams  map[string]string `json:"extraParams"`
		ExtraHeaders map[string]string `json:"extraHeaders"`
	}
)

// SealAuth drops ep's previous secrets expired at now, brings the expiry of
// the others to the microsecond (what stores keep), and returns ep's
// authentication settings sealed.
func (b *SecretBox) SealAuth(ep *Endpoint, now time.Time) SealedAuth {
	ep.PruneSecrets(now)
	a := SealedAuth{ShownURL: ep.URL}
	if HasURLCredentials(ep.URL) {
		a.ShownURL = RedactURL(ep.URL)
		a.URL = b.Seal([]byte(ep.URL))
	}
	if ep.PreviousSecrets != nil {
		prev := make([]EndpointSecret, len(ep.PreviousSecrets))
		list := make([]previousSecretJSON, len(ep.PreviousSecrets))
		for i, p := range ep.PreviousSecrets {
			p.Expires = p.Expires.UTC().Truncate(time.Microsecond)
			prev[i] = p
			list[i] = previousSecretJSON{Kind: int(p.Kind), Key: p.Key, Expires: p.Expires.UnixMicro()}
		}
		ep.PreviousSecrets = prev
		a.Previous = b.sealJSON(list)
	}
	if m := ep.MTLS; m != nil {
		a.MTLS = b.sealJSON(mtlsJSON{Certificate: m.Certificate, Key: m.Key, ServerCACerts: m.ServerCACerts})
	}
	if o := ep.OAuth; o != nil {
		a.OAuth = b.sealJSON(oauthJSON{TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			AuthMethod: o.AuthMethod, GrantType: o.GrantType, Scopes: o.Scopes, ExtraParams: o.ExtraParams,
			ExtraHeaders: o.ExtraHeaders})
	}
	return a
}

func (b *SecretBox) sealJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic("hookline: cannot encode a sealed setting: " + err.Error()) // strings, bytes and maps of strings only
	}
	return b.Seal(data)
}

// OpenAuth sets ep's authentication settings from a, as read, and drops
// the previous secrets expired at now. An error names the setting; it wraps
// ErrSecretKey when the box cannot open it.
func (b *SecretBox) OpenAuth(a *SealedAuth, ep *Endpoint, now time.Time) error {
	if a.URL != nil {
		u, err := b.openSetting(a.URL, "URL")
		if err != nil {
			return err
		}
		ep.URL = string(u)
	}
	if a.Previous != nil {
		var list []previousSecretJSON
		if err := b.openJSON(a.Previous, "previous secrets", &list); err != nil {
			return err
		}
		ep.PreviousSecrets = make([]EndpointSecret, len(list))
		for i, p := range list {
			ep.PreviousSecrets[i] = EndpointSecret{Kind: SecretKind(p.Kind), Key: p.Key, Expires: time.UnixMicro(p.Expires).UTC()}
		}
		ep.PruneSecrets(now)
	}
	if a.MTLS != nil {
		var m mtlsJSON
		if err := b.openJSON(a.MTLS, "mTLS settings", &m); err != nil {
			return err
		}
		ep.MTLS = &EndpointMTLS{Certificate: m.Certificate, Key: m.Key, ServerCACerts: m.ServerCACerts}
	}
	if a.OAuth != nil {
		var o oauthJSON
		if err := b.openJSON(a.OAuth, "OAuth settings", &o); err != nil {
			return err
		}
		ep.OAuth = &EndpointOAuth{TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			AuthMethod: o.AuthMethod, GrantType: o.GrantType, Scopes: o.Scopes, ExtraParams: o.ExtraParams,
			ExtraHeaders: o.ExtraHeaders}
	}
	return nil
}

func (b *SecretBox) openSetting(sealed []byte, what string) ([]byte, error) {
	v, err := b.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", what, err)
	}
	return v, nil
}

func (b *SecretBox) openJSON(sealed []byte, what string, v any) error {
	plain, err := b.openSetting(sealed, what)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("endpoint %s: %w", what, err)
	}
	return nil
}
