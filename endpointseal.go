package hookline

import (
	"encoding/json"
	"fmt"
	"time"
)

// SealedAuth is an endpoint's authentication settings as a Store keeps
// them. ShownURL is the endpoint's URL as RedactURL shows it: the column a
// store keeps in the clear. URL is the SecretBox seal of the URL itself when
// ShownURL hides any of it (its credentials), else nil. Each other field is
// nil when the setting is unset, else the seal of its JSON form. Read back,
// it holds what was stored.
type SealedAuth struct {
	ShownURL                   string
	URL, Previous, MTLS, OAuth []byte
}

// previousSecretJSON is the JSON form of a previous secret, which stores
// seal as a list: add fields, never rename their keys. EndpointMTLS and
// EndpointOAuth are sealed in their own JSON forms.
type previousSecretJSON struct {
	Kind    int    `json:"kind"`
	Key     []byte `json:"key"`
	Expires int64  `json:"expires"` // Unix microseconds
}

// SealAuth drops ep's previous secrets expired at now, brings the expiry of
// the others to the microsecond (what stores keep), and returns ep's
// authentication settings sealed.
func (b *SecretBox) SealAuth(ep *Endpoint, now time.Time) SealedAuth {
	ep.PruneSecrets(now)
	a := SealedAuth{ShownURL: RedactURL(ep.URL)}
	if a.ShownURL != ep.URL {
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
	if ep.MTLS != nil {
		a.MTLS = b.sealJSON(ep.MTLS)
	}
	if ep.OAuth != nil {
		a.OAuth = b.sealJSON(ep.OAuth)
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
		m := new(EndpointMTLS)
		if err := b.openJSON(a.MTLS, "mTLS settings", m); err != nil {
			return err
		}
		ep.MTLS = m
	}
	if a.OAuth != nil {
		o := new(EndpointOAuth)
		if err := b.openJSON(a.OAuth, "OAuth settings", o); err != nil {
			return err
		}
		ep.OAuth = o
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
