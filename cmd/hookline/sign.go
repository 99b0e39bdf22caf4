package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/signature"
)

const signUsage = `Usage: hookline sign --secret S [flags] < body

Sign a payload the way a sender would, and print the headers a receiver
under test should accept, then a curl command that sends the request.

For the standard and svix schemes the secret is a Standard Webhooks secret
(whsec_... for HMAC "v1", whsk_... for ed25519 "v1a"); repeat --secret to
sign with several keys, as during a rotation. For github, stripe, shopify
and slack it is the provider's secret text as shown in its settings.
The secret may also come from $HOOKLINE_WEBHOOK_SECRET.

Flags:
`

// maxInlineCurlBody is the largest body printed inside the curl command;
// larger or binary bodies are sent from standard input instead.
const maxInlineCurlBody = 16 << 10

// runSign implements "hookline sign". See signUsage.
func runSign(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newCLIFlags("hookline sign", signUsage, stderr)
	var (
		secrets     cliStringList
		timestamp   cliTime
		scheme      = fs.String("scheme", "standard", "signature scheme: "+strings.Join(cliSchemes, ", "))
		id          = fs.String("id", "", "message id (standard, svix); default: a new random msg_ id")
		url         = fs.String("url", "http://localhost:8080/webhook", "receiver URL for the curl command")
		contentType = fs.String("content-type", "application/json", "Content-Type for the curl command")
	)
	fs.Var(&secrets, "secret", "secret to sign with; repeat to sign with several (default $"+webhookSecretEnv+")")
	fs.Var(&timestamp, "timestamp", "signing time, Unix seconds or RFC 3339 (default: now)")
	if code, ok := parseCLIFlags(fs, args); !ok {
		return code
	}
	if *id != "" && *scheme != "standard" && *scheme != "svix" {
		fmt.Fprintf(stderr, "hookline sign: --id applies to the standard and svix schemes, not %s\n", *scheme)
		return 2
	}
	if strings.Contains(*id, ".") {
		fmt.Fprintln(stderr, "hookline sign: --id must not contain '.', which separates the signed fields")
		return 2
	}
	when := time.Now()
	if timestamp.set {
		when = timestamp.t
	}

	opts := cliSchemeOptions{name: *scheme, secrets: secretsOrEnv(secrets), now: func() time.Time { return when }}
	var sc signature.Scheme
	var err error
	if opts.name == "standard" || opts.name == "svix" {
		sc, _, err = buildScheme(opts)
	} else {
		// Provider schemes carry one signature: sign with the first secret.
		if len(opts.secrets) > 1 {
			fmt.Fprintf(stderr, "hookline sign: the %s scheme signs with one secret; got %d\n", opts.name, len(opts.secrets))
			return 2
		}
		sc, _, err = buildScheme(opts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hookline sign: %v\n", err)
		return 2
	}

	body, err := readAllLimited(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "hookline sign: reading body: %v\n", err)
		return 1
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(stderr, "hookline sign: %v\n", err)
		return 1
	}

	h := http.Header{}
	if *id != "" {
		if opts.name == "svix" {
			h.Set(signature.SvixHeaderID, *id)
		} else {
			h.Set(signature.HeaderID, *id)
		}
	}
	if err := sc.Sign(h, body); err != nil {
		fmt.Fprintf(stderr, "hookline sign: %v\n", err)
		if errors.Is(err, signature.ErrBadSecret) {
			return 2
		}
		return 1
	}

	names := sortedHeaderNames(h)
	var out strings.Builder
	for _, k := range names {
		fmt.Fprintf(&out, "%s: %s\n", strings.ToLower(k), h.Get(k))
	}
	out.WriteString("\n")
	fmt.Fprintf(&out, "curl -sS -X POST %s \\\n", shellQuote(*url))
	if *contentType != "" {
		fmt.Fprintf(&out, "  -H %s \\\n", shellQuote("content-type: "+*contentType))
	}
	for _, k := range names {
		fmt.Fprintf(&out, "  -H %s \\\n", shellQuote(strings.ToLower(k)+": "+h.Get(k)))
	}
	if len(body) <= maxInlineCurlBody && utf8.Valid(body) && !strings.ContainsRune(string(body), 0) {
		fmt.Fprintf(&out, "  --data-binary %s\n", shellQuote(string(body)))
	} else {
		out.WriteString("  --data-binary @-   # pipe the same body on standard input\n")
	}
	if _, err := io.WriteString(stdout, out.String()); err != nil {
		return 1
	}
	return 0
}

// shellQuote quotes s for a POSIX shell: the whole inside single quotes,
// each single quote in s closed, escaped with a backslash and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
