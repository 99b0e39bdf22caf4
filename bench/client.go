package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// apiClient speaks the parts of /api/v1 the benchmark needs, as any client
// would: JSON over HTTP with a bearer token, on keep-alive connections.
type apiClient struct {
	base  string // http://host:port, without a trailing slash
	token string
	hc    *http.Client
}

// newHTTPClient returns a keep-alive client that keeps up to conns idle
// connections to a host, so that conns goroutines never open new ones.
func newHTTPClient(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * conns
	t.MaxIdleConnsPerHost = conns
	t.DisableCompression = true
	t.Proxy = nil // 127.0.0.1 in every test and run; never a proxy
	return &http.Client{Transport: t, Timeout: 2 * time.Minute}
}

// apiError is a non-2xx answer of the API.
type apiError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

// do sends a JSON request and decodes a JSON answer into out (when not
// nil). An answer with a status other than want is an *apiError.
func (c *apiClient) do(ctx context.Context, method, path string, in any, want int, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return &apiError{Method: method, Path: path, Status: resp.StatusCode, Body: truncate(string(b), 300)}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// health waits until GET /api/v1/health answers 2xx, or ctx ends.
func (c *apiClient) health(ctx context.Context) error {
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/health", nil)
		if err != nil {
			return err
		}
		resp, err := c.hc.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			err = fmt.Errorf("GET /api/v1/health: %s", resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server is not healthy: %w", last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

type idOut struct {
	ID string `json:"id"`
}

func (c *apiClient) createApp(ctx context.Context, name string) (string, error) {
	var out idOut
	err := c.do(ctx, http.MethodPost, "/api/v1/app", map[string]any{"name": name}, http.StatusCreated, &out)
	return out.ID, err
}

func (c *apiClient) deleteApp(ctx context.Context, app string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/app/"+url.PathEscape(app), nil, http.StatusNoContent, nil)
}

func (c *apiClient) createEndpoint(ctx context.Context, app, endpointURL, secret string) (string, error) {
	var out idOut
	in := map[string]any{"url": endpointURL, "secret": secret, "description": "hookline bench"}
	err := c.do(ctx, http.MethodPost, "/api/v1/app/"+url.PathEscape(app)+"/endpoint", in, http.StatusCreated, &out)
	return out.ID, err
}

// eventType is the event type of every benchmark message.
const eventType = "bench.event"

// sendFunc sends one payload and returns the message id the API gave it
// ("" for the baseline). resp is a buffer the function may reuse for the
// answer; it returns it, grown or not.
type sendFunc func(ctx context.Context, resp []byte, payload []byte) ([]byte, string, error)

// messageSender returns a send function that POSTs a message with the
// given payload to the application, as {"eventType":...,"payload":...},
// and returns the message id of the 202 answer.
func (c *apiClient) messageSender(app string) sendFunc {
	u := c.base + "/api/v1/app/" + url.PathEscape(app) + "/msg"
	auth := "Bearer " + c.token
	const head = `{"eventType":"` + eventType + `","payload":`
	return func(ctx context.Context, resp []byte, payload []byte) ([]byte, string, error) {
		// A new request body each time: the transport may still read the
		// previous one after Do returns (when a server answers early).
		body := make([]byte, 0, len(head)+len(payload)+1)
		body = append(body, head...)
		body = append(body, payload...)
		body = append(body, '}')
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
		if err != nil {
			return resp, "", err
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		r, err := c.hc.Do(req)
		if err != nil {
			return resp, "", err
		}
		defer r.Body.Close()
		b := bytes.NewBuffer(resp[:0])
		_, err = b.ReadFrom(io.LimitReader(r.Body, 4<<20))
		resp = b.Bytes()
		if err != nil {
			return resp, "", err
		}
		if r.StatusCode != http.StatusAccepted {
			return resp, "", &apiError{Method: http.MethodPost, Path: "/api/v1/app/{app}/msg", Status: r.StatusCode, Body: truncate(string(resp), 300)}
		}
		id := messageID(resp)
		if id == "" {
			return resp, "", fmt.Errorf("POST /api/v1/app/{app}/msg: no id in the answer %q", truncate(string(resp), 100))
		}
		return resp, id, nil
	}
}

// messageID finds the "id" of a message in the API's answer, which starts
// with it; other shapes are decoded as JSON.
func messageID(b []byte) string {
	if rest, ok := bytes.CutPrefix(b, []byte(`{"id":"`)); ok {
		if i := bytes.IndexByte(rest, '"'); i > 0 && bytes.IndexByte(rest[:i], '\\') < 0 {
			return string(rest[:i])
		}
	}
	var out idOut
	if json.Unmarshal(b, &out) != nil {
		return ""
	}
	return out.ID
}

// bareSender POSTs the payload straight to a URL, as the baseline does:
// a plain net/http client, no API, no store, no signature.
func bareSender(hc *http.Client, u string) sendFunc {
	return func(ctx context.Context, resp []byte, payload []byte) ([]byte, string, error) {
		body := append([]byte(nil), payload...)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
		if err != nil {
			return resp, "", err
		}
		req.Header.Set("Content-Type", "application/json")
		r, err := hc.Do(req)
		if err != nil {
			return resp, "", err
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if r.StatusCode/100 != 2 {
			return resp, "", fmt.Errorf("POST %s: %s", u, r.Status)
		}
		return resp, "", nil
	}
}
