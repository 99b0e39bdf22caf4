package dispatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/signature"
	"github.com/hookline/hookline/telemetry"
)

// attempt makes one HTTP request for t and says what follows from it, and
// what it says of the endpoint's health.
func (d *Dispatcher) attempt(ctx context.Context, t *hookline.Task) (hookline.Outcome, health) {
	if name, ok := hookline.ActionName(t.Endpoint.URL); ok && d.cfg.Actions != nil {
		release, ok := d.cfg.Actions.Acquire(name)
		if !ok {
			return d.actionBusy(t), answered
		}
		defer release()
	}
	ctx, span := d.tel.StartAttempt(ctx, t)
	start := d.now()
	res := d.send(ctx, t, start)
	end := d.now()
	elapsed := end.Sub(start)

	a := hookline.Attempt{
		ID:         hookline.NewID(hookline.PrefixAttempt),
		AppID:      t.Delivery.AppID,
		MessageID:  t.Delivery.MessageID,
		EndpointID: t.Delivery.EndpointID,
		DeliveryID: t.Delivery.ID,
		URL:        hookline.RedactURL(t.Endpoint.URL),
		StatusCode: res.status,
		Response:   res.body,
		DurationMS: elapsed.Milliseconds(),
		Trigger:    t.Delivery.Trigger,
		CreatedAt:  start,
		Headers:    res.sent,
	}
	o := hookline.Outcome{DeliveryID: t.Delivery.ID, Attempts: t.Delivery.Attempts + 1}
	switch {
	case res.status >= 200 && res.status < 300 || res.ran:
		a.Status = hookline.StatusSuccess
		o.Status = hookline.StatusSuccess
	case res.status == http.StatusGone:
		a.Status = hookline.StatusFail
		o.Status = hookline.StatusFail
		o.Disable = hookline.DisabledGone
	default:
		a.Status = hookline.StatusFail
		if !t.Delivery.Trigger.Retries() || o.Attempts > len(d.cfg.Schedule) {
			o.Status = hookline.StatusFail
			break
		}
		delay := d.cfg.Schedule[o.Attempts-1]
		if d.cfg.Jitter > 0 {
			delay = jitter(delay, d.cfg.Jitter)
		}
		if res.status == http.StatusTooManyRequests || res.status == http.StatusServiceUnavailable {
			if ra, ok := retryAfter(res.retryAfter, start); ok {
				delay = ra
			}
		}
		o.Status = hookline.StatusPending
		o.NextAttemptAt = d.now().Add(delay)
	}
	o.Attempt = a
	outcome := telemetry.Error
	switch {
	case a.Status == hookline.StatusSuccess:
		outcome = telemetry.Success
		if t.Delivery.Trigger == hookline.TriggerScheduled {
			d.tel.Delivered(end.Sub(t.Message.DueAt()))
		}
	case res.status != 0:
		outcome = telemetry.Failure
	}
	why := "" // a success needs no reason, and makes none on the hot path
	if outcome != telemetry.Success {
		why = reason(&a)
	}
	d.tel.EndAttempt(span, outcome, res.status, elapsed, why)
	if d.log.Enabled(ctx, slog.LevelDebug) {
		d.log.LogAttrs(ctx, slog.LevelDebug, "dispatch: attempt", append(ids(t),
			slog.String("outcome", outcome.String()), slog.String("reason", reason(&a)),
			slog.Duration("duration", elapsed), slog.String("next", o.Status.String()))...)
	}
	h := answered
	switch {
	case res.action:
		if a.Status != hookline.StatusSuccess {
			h = failed // an action that runs long is not one that hangs
		}
	case res.timedOut:
		h = hung
	case res.status == 0 || res.status >= 500 || res.status == http.StatusTooManyRequests:
		h = failed
	}
	return o, h
}

// The canonical forms of the signature headers, set without canonicalizing
// them on every delivery.
var (
	canonicalHeaderID        = http.CanonicalHeaderKey(signature.HeaderID)
	canonicalHeaderTimestamp = http.CanonicalHeaderKey(signature.HeaderTimestamp)
	canonicalHeaderSignature = http.CanonicalHeaderKey(signature.HeaderSignature)
	canonicalSvixID          = http.CanonicalHeaderKey(signature.SvixHeaderID)
	canonicalSvixTimestamp   = http.CanonicalHeaderKey(signature.SvixHeaderTimestamp)
	canonicalSvixSignature   = http.CanonicalHeaderKey(signature.SvixHeaderSignature)
)

type response struct {
	status     int    // 0: no response
	body       string // the response body, capped, or why there was none
	retryAfter string
	sent       hookline.SentHeaders // the request's headers, when one was made
	timedOut   bool                 // no response within the timeout
	// action says the endpoint is an action, which ran (exit status 0)
	// when ran is set; body is its output.
	action, ran bool
}

func (d *Dispatcher) send(ctx context.Context, t *hookline.Task, now time.Time) response {
	if t.Message.Payload == nil {
		return response{body: "not sent: the message payload was expunged"}
	}
	if name, ok := hookline.ActionName(t.Endpoint.URL); ok {
		return d.runAction(ctx, name, t)
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Endpoint.URL, bytes.NewReader(t.Message.Payload))
	if err != nil {
		return response{body: "not sent: invalid endpoint URL"}
	}
	h := req.Header
	for k, v := range t.Message.Headers {
		h[k] = v // a received request's headers (see hookline.Source)
	}
	for k, v := range t.Endpoint.Headers {
		h.Set(k, v)
	}
	if ct := t.Message.ContentType; ct != "" {
		h.Set("Content-Type", ct)
	} else {
		h.Set("Content-Type", "application/json")
	}
	h.Set("User-Agent", hookline.UserAgent())
	ts := strconv.FormatInt(now.Unix(), 10)
	sig, err := sign(&t.Endpoint, t.Message.ID, now, t.Message.Payload)
	if err != nil {
		return response{body: "not sent: " + err.Error()}
	}
	if d.cfg.SignatureHeaders != HeadersSvix {
		h[canonicalHeaderID], h[canonicalHeaderTimestamp], h[canonicalHeaderSignature] = []string{t.Message.ID}, []string{ts}, []string{sig}
	}
	if d.cfg.SignatureHeaders == HeadersSvix || d.cfg.SignatureHeaders == HeadersBoth {
		h[canonicalSvixID], h[canonicalSvixTimestamp], h[canonicalSvixSignature] = []string{t.Message.ID}, []string{ts}, []string{sig}
	}
	d.tel.Inject(ctx, h)
	var sent hookline.SentHeaders
	if t.Endpoint.OAuth != nil || req.URL.User != nil {
		// The egress client sends a bearer token, or the URL's credentials.
		sent = hookline.EncodeSentHeaders(h, "Authorization")
	} else {
		sent = hookline.EncodeSentHeaders(h)
	}

	resp, err := d.client.Do(req, &egress.EndpointAuth{MTLS: t.Endpoint.MTLS, OAuth: t.Endpoint.OAuth})
	if _, refused := egress.Refused(err); refused {
		// The attempt log says what class of address was refused; the
		// operator's log says which address.
		d.log.LogAttrs(ctx, slog.LevelWarn, "dispatch: egress refused a delivery", append(ids(t), slog.Any("err", err))...)
	} else if _, hidden := egress.Hidden(err); hidden {
		// The attempt log says what kind of failure; the operator's log
		// names the DNS server or the proxy.
		d.log.LogAttrs(ctx, slog.LevelWarn, "dispatch: a delivery failed before reaching its endpoint", append(ids(t), slog.Any("err", err))...)
	}
	if err != nil {
		var ne net.Error
		timedOut := errors.As(err, &ne) && ne.Timeout()
		return response{body: describeError(err, d.cfg.Timeout), timedOut: timedOut, sent: sent}
	}
	defer resp.Body.Close()
	r := response{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), sent: sent}
	if resp.ContentLength == 0 {
		return r // most receivers answer 204 or an empty 200: nothing to read
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, int64(d.cfg.MaxResponseBytes)))
	// Read a little more so the connection can be reused; give up on huge bodies.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	r.body = strings.ToValidUTF8(string(body), string(utf8.RuneError))
	return r
}

// describeError turns a failed request into a reason for the attempt log,
// without the URL (which may carry credentials).
func describeError(err error, timeout time.Duration) string {
	if reason, ok := egress.Refused(err); ok {
		return reason
	}
	var authErr *egress.AuthConfigError
	var tokenErr *egress.TokenError
	if errors.As(err, &authErr) {
		return "not sent: " + authErr.Error()
	}
	if errors.As(err, &tokenErr) {
		return "not sent: " + tokenErr.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Sprintf("timeout: no response within %s", timeout)
		}
		err = ue.Err
	}
	if public, hidden := egress.Hidden(err); hidden {
		return "connection error: " + public
	}
	return "connection error: " + err.Error()
}

// reason says how an attempt ended, for logs and traces: "HTTP 500" when
// the endpoint answered, else why it did not ("connection error: ...
// connection refused", "timeout: ...", "egress refused: ..."). It holds no
// URL.
func reason(a *hookline.Attempt) string {
	if a.StatusCode != 0 {
		return "HTTP " + strconv.Itoa(a.StatusCode)
	}
	return a.Response
}

// ids are the log attributes that name t's delivery: its application,
// endpoint and message, and the endpoint's host (never its URL, which may
// hold credentials).
func ids(t *hookline.Task) []slog.Attr {
	return []slog.Attr{
		slog.String("app_id", t.Delivery.AppID),
		slog.String("endpoint_id", t.Delivery.EndpointID),
		slog.String("msg_id", t.Delivery.MessageID),
		slog.String("host", hookline.URLHost(t.Endpoint.URL)),
	}
}
