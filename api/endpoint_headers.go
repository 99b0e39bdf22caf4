package api

import (
	"net/http"
	"slices"
	"strings"
)

// endpointHeadersIn replaces an endpoint's custom headers.
type endpointHeadersIn struct {
	Headers map[string]string `json:"headers" api:"required"`
}

// endpointHeadersPatchIn sets headers (null removes one) and removes the
// headers of deleteHeaders.
type endpointHeadersPatchIn struct {
	Headers       map[string]*string `json:"headers" api:"required"`
	DeleteHeaders []string           `json:"deleteHeaders,omitempty"`
}

// endpointHeadersOut lists an endpoint's custom headers. Sensitive headers
// (credentials) are listed by name in sensitive, and their values are not
// returned.
type endpointHeadersOut struct {
	Headers   map[string]string `json:"headers"`
	Sensitive []string          `json:"sensitive"`
}

// sensitiveHeader reports whether a header likely carries a credential.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "cookie", "set-cookie", "proxy-authorization":
		return true
	}
	for _, w := range []string{"token", "key", "secret", "auth", "password", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func (h *endpoints) getHeaders(c *call) (int, any, error) {
	_, ep, err := h.load(c)
	if err != nil {
		return 0, nil, err
	}
	out := endpointHeadersOut{Headers: map[string]string{}, Sensitive: []string{}}
	for k, v := range ep.Headers {
		if sensitiveHeader(k) {
			out.Sensitive = append(out.Sensitive, k)
		} else {
			out.Headers[k] = v
		}
	}
	slices.Sort(out.Sensitive)
	return http.StatusOK, out, nil
}

func (h *endpoints) replaceHeaders(c *call) (int, any, error) {
	var in endpointHeadersIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	app, ep, err := h.load(c)
	if err != nil {
		return 0, nil, err
	}
	next := *ep
	next.Headers = in.Headers
	return noContent(h.save(c, app, ep, &next))
}

func (h *endpoints) patchHeaders(c *call) (int, any, error) {
	var in endpointHeadersPatchIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	app, ep, err := h.load(c)
	if err != nil {
		return 0, nil, err
	}
	next := *ep
	next.Headers = make(map[string]string, len(ep.Headers)+len(in.Headers))
	for k, v := range ep.Headers {
		next.Headers[k] = v
	}
	remove := func(name string) {
		for k := range next.Headers {
			if strings.EqualFold(k, name) {
				delete(next.Headers, k)
			}
		}
	}
	for k, v := range in.Headers {
		remove(k)
		if v != nil {
			next.Headers[k] = *v
		}
	}
	for _, k := range in.DeleteHeaders {
		remove(k)
	}
	return noContent(h.save(c, app, ep, &next))
}
