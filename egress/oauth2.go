package egress

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/hookline/hookline"
)

const (
	// maxTokenResponse bounds the token endpoint's answer that is read.
	maxTokenResponse = 64 << 10
	// defaultTokenLifetime is how long a token without expires_in is kept.
	// A 401 from the receiver ends it sooner.
	defaultTokenLifetime = 5 * time.Minute
	// tokenEarly is how long before its expiry a token is replaced, at most
	// (half the lifetime of short-lived tokens).
	tokenEarly = 30 * time.Second
	// maxTokens bounds the token cache.
	maxTokens = 4096
)

// TokenError is the error of a token request that failed. It holds the token
// endpoint's status and its error code and description (RFC 6749, section
// 5.2), with the client secret removed; never the secret, a token or the URL.
type TokenError struct {
	StatusCode  int    // 0: no answer
	Code        string // e.g. invalid_client
	Description string
	Err         error // the transport's error when there was no answer
}

func (e *TokenError) Error() string {
	var b strings.Builder
	b.WriteString("egress: oauth2 token request failed")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": the token endpoint answered %d", e.StatusCode)
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *TokenError) Unwrap() error { return e.Err }

// tokenCache keeps access tokens per client credentials configuration until
// shortly before they expire. Callers that need the same missing token wait
// for one fetch.
type tokenCache struct {
	mu      sync.Mutex
	entries map[[32]byte]*tokenEntry
	now     func() time.Time
}

type tokenEntry struct {
	token   string
	expires time.Time   // refresh from then on
	fetch   *tokenFetch // in flight, or nil
}

type tokenFetch struct {
	done    chan struct{}
	token   string
	err     error
	waiters int // callers waiting on it (tests watch it)
}

func newTokenCache() *tokenCache {
	return &tokenCache{entries: make(map[[32]byte]*tokenEntry), now: time.Now}
}

// get returns a valid token for key, fetching one with fetch when there is
// none. fetch runs once per key at a time, on a context that does not end
// with the caller's (other callers may be waiting); it returns the token and
// its lifetime (0: unknown). A caller whose ctx ends stops waiting.
func (tc *tokenCache) get(ctx context.Context, key [32]byte, fetch func(context.Context) (string, time.Duration, error)) (string, error) {
	tc.mu.Lock()
	e := tc.entries[key]
	if e != nil && e.token != "" && tc.now().Before(e.expires) {
		tok := e.token
		tc.mu.Unlock()
		return tok, nil
	}
	if e == nil {
		tc.evictLocked()
		e = &tokenEntry{}
		tc.entries[key] = e
	}
	f := e.fetch
	if f == nil {
		f = &tokenFetch{done: make(chan struct{})}
		e.fetch = f
		go func() {
			tok, life, err := fetch(context.WithoutCancel(ctx))
			tc.mu.Lock()
			defer tc.mu.Unlock()
			f.token, f.err = tok, err
			if err == nil {
				if life <= 0 {
					life = defaultTokenLifetime
				}
				e.token = tok
				e.expires = tc.now().Add(life - min(tokenEarly, life/2))
			}
			e.fetch = nil
			close(f.done)
		}()
	}
	f.waiters++
	tc.mu.Unlock()

	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
}

// invalidate forgets token for key, unless it was already replaced.
func (tc *tokenCache) invalidate(key [32]byte, token string) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if e := tc.entries[key]; e != nil && e.token == token {
		e.token = ""
	}
}

// evictLocked makes room for a new entry: expired entries go first, then
// any not being fetched.
func (tc *tokenCache) evictLocked() {
	if len(tc.entries) < maxTokens {
		return
	}
	now := tc.now()
	for k, e := range tc.entries {
		if e.fetch == nil && !now.Before(e.expires) {
			delete(tc.entries, k)
		}
	}
	for k, e := range tc.entries {
		if len(tc.entries) < maxTokens {
			break
		}
		if e.fetch == nil {
			delete(tc.entries, k)
		}
	}
}

// tokenKey identifies the token o gets when fetched over the transport with
// TLS material tls (zero: the default one). It covers every input of the
// token request, the secret included: two endpoints that share a token URL
// and client id but not the secret must not share a token.
func tokenKey(o *hookline.EndpointOAuth, tls [32]byte) [32]byte {
	h := sha256.New()
	h.Write(tls[:])
	field := func(s string) {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(s))))
		h.Write([]byte(s))
	}
	field(o.TokenURL)
	field(o.ClientID)
	field(o.ClientSecret)
	field(o.AuthMethod)
	field(o.GrantType)
	field(strconv.Itoa(len(o.Scopes)))
	for _, s := range slices.Sorted(slices.Values(o.Scopes)) {
		field(s)
	}
	for _, m := range []map[string]string{o.ExtraParams, o.ExtraHeaders} {
		field(strconv.Itoa(len(m)))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			field(k)
			field(m[k])
		}
	}
	var key [32]byte
	h.Sum(key[:0])
	return key
}

// fetchToken asks o's token endpoint for a token through hc, which holds the
// policy, the proxy and the endpoint's TLS settings. The request is bounded
// by timeout and its answer by maxTokenResponse.
func fetchToken(ctx context.Context, hc *http.Client, o *hookline.EndpointOAuth, timeout time.Duration) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	form := url.Values{}
	for k, v := range o.ExtraParams {
		form.Set(k, v)
	}
	form.Set("grant_type", "client_credentials")
	form.Del("client_id")
	form.Del("client_secret")
	if len(o.Scopes) > 0 {
		form.Set("scope", strings.Join(o.Scopes, " "))
	} else {
		form.Del("scope")
	}
	if o.AuthMethod == hookline.OAuthClientSecretPost {
		form.Set("client_id", o.ClientID)
		form.Set("client_secret", o.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, &AuthConfigError{Setting: "oauth2", Err: errors.New("the token URL is not a valid URL")}
	}
	for k, v := range o.ExtraHeaders {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if o.AuthMethod != hookline.OAuthClientSecretPost {
		// RFC 6749, section 2.3.1: both form-encoded, then Basic.
		req.SetBasicAuth(url.QueryEscape(o.ClientID), url.QueryEscape(o.ClientSecret))
	}

	resp, err := hc.Do(req)
	if err != nil {
		// Not the *url.Error itself: its URL may hold credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return "", 0, &TokenError{Description: fmt.Sprintf("no answer within %s", timeout), Err: err}
		}
		return "", 0, &TokenError{Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	if err != nil {
		return "", 0, &TokenError{StatusCode: resp.StatusCode, Err: errors.New("reading the answer failed")}
	}
	if len(body) > maxTokenResponse {
		return "", 0, &TokenError{StatusCode: resp.StatusCode, Description: fmt.Sprintf("the answer exceeds %d bytes", maxTokenResponse)}
	}

	var tr struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
		Error       string          `json:"error"`
		Description string          `json:"error_description"`
	}
	jsonErr := json.Unmarshal(body, &tr)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		te := &TokenError{StatusCode: resp.StatusCode}
		if jsonErr == nil {
			te.Code = scrub(o, tr.Error, 64)
			te.Description = scrub(o, tr.Description, 200)
		}
		return "", 0, te
	}
	if jsonErr != nil {
		return "", 0, &TokenError{StatusCode: resp.StatusCode, Description: "the answer is not a JSON token response"}
	}
	if tr.AccessToken == "" {
		return "", 0, &TokenError{StatusCode: resp.StatusCode, Description: "the answer has no access_token"}
	}
	if strings.ContainsFunc(tr.AccessToken, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return "", 0, &TokenError{StatusCode: resp.StatusCode, Description: "the access_token holds characters a header cannot carry"}
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return "", 0, &TokenError{StatusCode: resp.StatusCode, Description: fmt.Sprintf("token_type %q is not supported, only Bearer", scrub(o, tr.TokenType, 32))}
	}
	life, ok := parseExpiresIn(tr.ExpiresIn)
	if !ok {
		return "", 0, &TokenError{StatusCode: resp.StatusCode, Description: "expires_in is not a number of seconds"}
	}
	return tr.AccessToken, life, nil
}

// parseExpiresIn reads expires_in, a number of seconds, or a string of one
// (some servers send that). Absent: 0.
func parseExpiresIn(raw json.RawMessage) (time.Duration, bool) {
	s := strings.Trim(string(raw), `"`)
	if len(raw) == 0 || s == "null" || s == "" {
		return 0, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 10*365*24*3600 {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// scrub makes s, text from the token endpoint, fit for an error message: the
// client secret of o (in any form the request carried it) removed, control
// characters replaced, at most n bytes.
func scrub(o *hookline.EndpointOAuth, s string, n int) string {
	if o.ClientSecret != "" {
		basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(o.ClientID) + ":" + url.QueryEscape(o.ClientSecret)))
		for _, secret := range []string{o.ClientSecret, url.QueryEscape(o.ClientSecret), basic} {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "..."
	}
	return s
}
