package api

import (
	"maps"
	"net/http"
	"strings"

	"github.com/hookline/hookline"
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
// (credentials: see hookline.SensitiveName) are listed by name in sensitive, and
// their values are not returned.
type endpointHeadersOut struct {
	Headers   map[string]string `json:"headers"`
	Sensitive []string          `json:"sensitive"`
}

func (h *endpoints) getHeaders(c *call) (int, any, error) {
	_, ep, err := h.load(c)
	if err != nil {
		return 0, nil, err
	}
	var out endpointHeadersOut
	out.Headers, out.Sensitive = redacted(ep.Headers)
	return http.StatusOK, out, nil
}

func (h *endpoints) replaceHeaders(c *call) (int, any, error) {
	var in endpointHeadersIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Headers == nil {
		// Replacing the headers with none is {"headers": {}}; a body
		// without them is a mistake, not a request to delete them all.
		return 0, nil, badInput([]string{"body", "headers"}, "value_error.missing", "field required")
	}
	return h.edit(c, func(next *hookline.Endpoint) error {
		next.Headers = in.Headers
		return nil
	})
}

// patchHeaders sets the headers of the body, replacing those of the same
// name in any case, and removes those of deleteHeaders.
func (h *endpoints) patchHeaders(c *call) (int, any, error) {
	var in endpointHeadersPatchIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	return h.edit(c, func(next *hookline.Endpoint) error {
		headers := maps.Clone(next.Headers)
		if headers == nil {
			headers = make(map[string]string, len(in.Headers))
		}
		remove := func(name string) {
			maps.DeleteFunc(headers, func(k, _ string) bool { return strings.EqualFold(k, name) })
		}
		for k, v := range in.Headers {
			remove(k)
			if v != nil {
				headers[k] = *v
			}
		}
		for _, k := range in.DeleteHeaders {
			remove(k)
		}
		next.Headers = headers
		return nil
	})
}
