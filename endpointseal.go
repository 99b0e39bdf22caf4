package hookline

import (
	"encoding/json"
	"fmt"
	"time"
)

// The cells of an endpoint's sealed settings: the columns of the table
// endpoints that hold them, each secret bound to its endpoint's id.
const (
	endpointsTable = "endpoints"
	colSecret      = "secret"
	colPrevious    = "previous_secrets"
	colURL         = "url_sealed"
	colMTLS        = "mtls"
	colOAuth       = "oauth"
	colHeaders     = "headers_sealed"
	// colClearHeaders held the headers, in clear, before colHeaders.
	colClearHeaders = "headers"
)

// endpointSeals is the kind of the rows of endpoints, which Reseal and
// the rest go through.
var endpointSeals = &SealedKind{Noun: "endpoint", Table: endpointsTable, Columns: []SealedColumn{
	{Name: colSecret}, {Name: colPrevious}, {Name: colURL}, {Name: colMTLS}, {Name: colOAuth},
	{Name: colHeaders, Clear: colClearHeaders},
}}

// endpointCell returns the cell of an endpoint's column.
func endpointCell(column, id string) Cell {
	return Cell{Table: endpointsTable, Column: column, Row: id}
}

// SealedAuth is an endpoint's secrets as a Store keeps them: its signing
// secret, its authentication settings and its custom headers. ShownURL is
// the endpoint's URL as RedactURL shows it: the column a store keeps in the
// clear. Every other field is the SecretBox seal of a setting, bound to
// the endpoint's id and its column (see Cell), or nil when the setting is
// unset: URL holds the URL itself when ShownURL hides any of it (its
// credentials); Secret the signing secret (nil from SealAuth when the
// endpoint has none: an update that keeps the one stored); Previous, MTLS,
// OAuth and Headers the JSON forms of those settings. Read back, it holds
// what was stored.
type SealedAuth struct {
	ShownURL                                    string
	Secret, URL, Previous, MTLS, OAuth, Headers []byte
	// ClearHeaders is the column headers, where versions before headers
	// were sealed kept them in clear (JSON). SealAuth leaves it nil: stores
	// write NULL there. OpenAuth reads it, when Headers is nil, as a secret
	// in clear, which only a Legacy box accepts.
	ClearHeaders []byte
}

// previousSecretJSON is the JSON form of a previous secret, which stores
// seal as a list: add fields, never rename their keys. EndpointMTLS and
// EndpointOAuth are sealed in their own JSON forms, Headers as a JSON
// object.
type previousSecretJSON struct {
	Kind    int    `json:"kind"`
	Key     []byte `json:"key"`
	Expires int64  `json:"expires"` // Unix microseconds
}

// SealNew readies ep to be created by a store: it refuses what the stores
// cannot keep (CheckStorable), sets ep's create-time defaults (Prepare)
// and returns its secrets sealed (SealAuth).
func (b *SecretBox) SealNew(ep *Endpoint) (SealedAuth, error) {
	if err := ep.CheckStorable(); err != nil {
		return SealedAuth{}, err
	}
	t := Now()
	ep.Prepare(t)
	return b.SealAuth(ep, t), nil
}

// SealAuth drops ep's previous secrets expired at now, brings the expiry of
// the others to the microsecond (what stores keep), and returns ep's
// secrets sealed for the cells of ep.ID.
func (b *SecretBox) SealAuth(ep *Endpoint, now time.Time) SealedAuth {
	ep.PruneSecrets(now)
	a := SealedAuth{ShownURL: RedactURL(ep.URL)}
	if len(ep.Secret) != 0 {
		a.Secret = b.Seal(ep.Secret, endpointCell(colSecret, ep.ID))
	}
	if a.ShownURL != ep.URL {
		a.URL = b.Seal([]byte(ep.URL), endpointCell(colURL, ep.ID))
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
		a.Previous = b.sealJSON(list, colPrevious, ep.ID)
	}
	if ep.MTLS != nil {
		a.MTLS = b.sealJSON(ep.MTLS, colMTLS, ep.ID)
	}
	if ep.OAuth != nil {
		a.OAuth = b.sealJSON(ep.OAuth, colOAuth, ep.ID)
	}
	if ep.Headers != nil {
		a.Headers = b.sealJSON(ep.Headers, colHeaders, ep.ID)
	}
	return a
}

func (b *SecretBox) sealJSON(v any, column, id string) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic("hookline: cannot encode a sealed setting: " + err.Error()) // strings, bytes and maps of strings only
	}
	return b.Seal(data, endpointCell(column, id))
}

// OpenAuth sets ep's secrets from a, as read for the endpoint ep.ID, and
// drops the previous secrets expired at now. An error names the setting;
// it wraps ErrSecretKey when the box has not the key that sealed it,
// ErrSecretAltered when it was sealed for another cell or changed, and
// ErrSecretForm when it is in a form the box no longer accepts.
func (b *SecretBox) OpenAuth(a *SealedAuth, ep *Endpoint, now time.Time) error {
	if a.Secret != nil {
		s, err := b.openSetting(a.Secret, colSecret, ep.ID)
		if err != nil {
			return err
		}
		ep.Secret = s
	}
	if a.URL != nil {
		u, err := b.openSetting(a.URL, colURL, ep.ID)
		if err != nil {
			return err
		}
		ep.URL = string(u)
	}
	if a.Previous != nil {
		var list []previousSecretJSON
		if err := b.openJSON(a.Previous, colPrevious, ep.ID, &list); err != nil {
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
		if err := b.openJSON(a.MTLS, colMTLS, ep.ID, m); err != nil {
			return err
		}
		ep.MTLS = m
	}
	if a.OAuth != nil {
		o := new(EndpointOAuth)
		if err := b.openJSON(a.OAuth, colOAuth, ep.ID, o); err != nil {
			return err
		}
		ep.OAuth = o
	}
	if headers := storedOrClear(a.Headers, a.ClearHeaders); headers != nil {
		h := map[string]string{}
		if err := b.openJSON(headers, colHeaders, ep.ID, &h); err != nil {
			return err
		}
		ep.Headers = h
	}
	return nil
}

// settingNames are the names errors give the sealed settings, by column.
var settingNames = map[string]string{
	colSecret: "secret", colURL: "URL", colPrevious: "previous secrets",
	colMTLS: "mTLS settings", colOAuth: "OAuth settings", colHeaders: "headers",
}

func (b *SecretBox) openSetting(sealed []byte, column, id string) ([]byte, error) {
	v, err := b.Open(sealed, endpointCell(column, id))
	if err != nil {
		return nil, fmt.Errorf("endpoint %s, its %s: %w", id, settingNames[column], err)
	}
	return v, nil
}

func (b *SecretBox) openJSON(sealed []byte, column, id string, v any) error {
	plain, err := b.openSetting(sealed, column, id)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("endpoint %s, its %s: %w", id, settingNames[column], err)
	}
	return nil
}
