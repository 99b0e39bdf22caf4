package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/signature"
)

const verifyUsage = `Usage: hookline verify --secret S [flags] < body
       hookline verify --secret S --request [flags] < raw-http-request

Verify a received webhook. The body is read from standard input, the
headers from --header flags; with --request, standard input holds a whole
HTTP/1.x request (request line, headers, blank line, body) as captured.
Its body ends where Content-Length or chunked encoding says (bytes after
it are reported, not verified); with neither, it is the rest of the input.

Exit status: 0 when the signature is valid, 1 when it is not (the reason
is printed on standard error), 2 on a usage error.

The secret may also come from $HOOKLINE_WEBHOOK_SECRET, which keeps it out
of shell history and process lists.

Flags:
`

// parseHeaderFlag splits "Name: value".
func parseHeaderFlag(s string) (string, string, error) {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") {
		return "", "", fmt.Errorf("--header %q: want 'Name: value'", s)
	}
	return name, strings.TrimSpace(value), nil
}

// maxCLIHead bounds the request line and headers that --request reads
// before the body.
const maxCLIHead = 64 << 10

// readRawRequest reads a captured HTTP/1.x request from r and returns its
// headers and body. The body is framed as HTTP frames it: by
// Content-Length, or by chunked encoding. A capture with neither (a tool
// that dropped the header, a request typed by hand) would have an empty
// body under HTTP's rules; here the rest of the input is taken as the body
// instead, with a note on notes. Input left after a framed body is not
// verified, and notes gets a warning saying how many bytes were left, since
// a wrong Content-Length otherwise shows only as "no matching signature".
func readRawRequest(r io.Reader, notes io.Writer) (http.Header, []byte, error) {
	br := bufio.NewReader(io.LimitReader(r, maxCLIBody+maxCLIHead))
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot parse an HTTP request from standard input: %w", err)
	}
	if len(req.TransferEncoding) == 0 && len(req.Header.Values("Content-Length")) == 0 {
		body, err := readAllLimited(br)
		if err != nil {
			return nil, nil, fmt.Errorf("reading body: %w", err)
		}
		if len(body) > 0 {
			fmt.Fprintf(notes, "note: the request has no Content-Length and is not chunked; taking the rest of the input (%d bytes) as the body\n", len(body))
		}
		return req.Header, body, nil
	}
	body, err := readAllLimited(req.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("reading body: %w", err)
	}
	if rest, _ := io.Copy(io.Discard, br); rest > 0 {
		framing := "after the last chunk"
		if len(req.TransferEncoding) == 0 {
			framing = "beyond Content-Length: " + strconv.FormatInt(req.ContentLength, 10)
		}
		fmt.Fprintf(notes, "warning: %d bytes after the body (%s) were not verified\n", rest, framing)
	}
	return req.Header, body, nil
}

// runVerify implements "hookline verify". See verifyUsage.
func runVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newCLIFlags("hookline verify", verifyUsage, stderr)
	var (
		secrets   cliStringList
		headers   cliStringList
		now       cliTime
		scheme    = fs.String("scheme", "standard", "signature scheme: "+strings.Join(cliSchemes, ", "))
		tolerance = fs.Duration("tolerance", signature.DefaultTolerance, "how far the signed timestamp may be from now, either way; 0 skips the timestamp check")
		request   = fs.Bool("request", false, "read a raw HTTP request (request line, headers, body) from standard input")
		allowSHA1 = fs.Bool("allow-sha1", false, "github: accept the legacy X-Hub-Signature (SHA-1) when X-Hub-Signature-256 is absent")
	)
	fs.Var(&secrets, "secret", "secret to verify with; repeat to accept any of several (default $"+webhookSecretEnv+")")
	fs.Var(&headers, "header", "a received header as 'Name: value'; repeat for each")
	fs.Var(&now, "now", "verify as of this time (Unix seconds or RFC 3339) instead of the clock")
	if code, ok := parseCLIFlags(fs, args); !ok {
		return code
	}
	if *tolerance < 0 {
		fmt.Fprintln(stderr, "hookline verify: --tolerance must not be negative (0 skips the check)")
		return 2
	}

	opts := cliSchemeOptions{name: *scheme, secrets: secretsOrEnv(secrets), allowSHA1: *allowSHA1, tolerance: *tolerance}
	if *tolerance == 0 {
		opts.tolerance = -1 // the library's "no timestamp check"
	}
	if now.set {
		t := now.t
		opts.now = func() time.Time { return t }
	}
	_, verifiers, err := buildScheme(opts)
	if err != nil {
		fmt.Fprintf(stderr, "hookline verify: %v\n", err)
		return 2
	}

	h := http.Header{}
	var body []byte
	if *request {
		if h, body, err = readRawRequest(stdin, stderr); err != nil {
			fmt.Fprintf(stderr, "hookline verify: --request: %v\n", err)
			return 2
		}
	} else if body, err = readAllLimited(stdin); err != nil {
		fmt.Fprintf(stderr, "hookline verify: reading body: %v\n", err)
		return 2
	}
	for _, hv := range headers {
		name, value, err := parseHeaderFlag(hv)
		if err != nil {
			fmt.Fprintf(stderr, "hookline verify: %v\n", err)
			return 2
		}
		h.Add(name, value)
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(stderr, "hookline verify: %v\n", err)
		return 1
	}

	verr := signature.Any(verifiers...).Verify(h, body)
	if verr == nil {
		fmt.Fprintf(stdout, "valid: %s signature verified (%d-byte body)\n", opts.name, len(body))
		return 0
	}
	if errors.Is(verr, signature.ErrBadSecret) {
		fmt.Fprintf(stderr, "hookline verify: %v\n", verr)
		return 2
	}
	fmt.Fprintf(stderr, "invalid: %v\n", verr)
	fmt.Fprintln(stderr, verifyHint(verr, opts, h, body))
	return 1
}

// verifyHint explains a failure in terms a person debugging a receiver can
// act on. For a timestamp outside the window it also says whether the
// signature itself is right.
func verifyHint(err error, o cliSchemeOptions, h http.Header, body []byte) string {
	switch {
	case errors.Is(err, signature.ErrTooOld), errors.Is(err, signature.ErrTooNew):
		o.tolerance = -1
		_, vs, berr := buildScheme(o)
		if berr == nil && signature.Any(vs...).Verify(h, body) == nil {
			return "hint: the signature itself is valid; only the timestamp is outside the window (a replay, a stale capture, or a clock off). Use --now or --tolerance 0 to check an old capture."
		}
		return "hint: the timestamp is outside the window, and the signature does not match either."
	case errors.Is(err, signature.ErrMissingHeader):
		return "hint: headers present: " + headerNames(h) + ". Pass each received header with --header 'Name: value', or use --request."
	case errors.Is(err, signature.ErrNoMatch):
		return "hint: check the secret and that the body is byte-for-byte what was received (no re-encoded JSON, no added newline: use 'printf %s' or --data-binary)."
	case errors.Is(err, signature.ErrBadFormat):
		return "hint: a signature header is malformed; check that it was copied whole."
	}
	return ""
}

func headerNames(h http.Header) string {
	if len(h) == 0 {
		return "none"
	}
	return strings.Join(sortedHeaderNames(h), ", ")
}
