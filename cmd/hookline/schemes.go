package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/signature"
)

// What 'hookline sign' and 'hookline verify' share: the schemes and their
// secrets, the flags and the input.

// webhookSecretEnv is read when no --secret is given.
const webhookSecretEnv = "HOOKLINE_WEBHOOK_SECRET"

// maxCLIBody bounds what sign and verify read from standard input.
const maxCLIBody = 64 << 20

// cliSchemes are the --scheme values of sign and verify, in help order.
var cliSchemes = []string{"standard", "svix", "github", "stripe", "shopify", "slack"}

// cliSchemeOptions holds what it takes to build a signature.Scheme.
type cliSchemeOptions struct {
	name      string
	secrets   []string
	tolerance time.Duration // 0 means the default; negative disables
	now       func() time.Time
	allowSHA1 bool
}

// cliUsageError marks errors that come from how the command was called
// (exit status 2), as opposed to a signature that does not verify.
type cliUsageError struct{ err error }

func (e cliUsageError) Error() string { return e.err.Error() }
func (e cliUsageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return cliUsageError{fmt.Errorf(format, args...)}
}

// buildScheme returns the signer/verifier for o. Standard and Svix take
// their secrets in Standard Webhooks form (whsec_/whsk_/whpk_); the
// providers' HMAC schemes take them as the raw text the provider shows.
// Several secrets make a verifier that accepts any of them.
func buildScheme(o cliSchemeOptions) (signature.Scheme, []signature.Verifier, error) {
	if len(o.secrets) == 0 {
		return nil, nil, usageErrorf("no secret: give --secret or set $%s", webhookSecretEnv)
	}
	switch o.name {
	case "standard", "svix":
		secrets := make([]signature.Secret, 0, len(o.secrets))
		for _, s := range o.secrets {
			sec, err := signature.ParseSecret(s)
			if err != nil {
				return nil, nil, cliUsageError{err}
			}
			secrets = append(secrets, sec)
		}
		std := signature.Standard{Secrets: secrets, Tolerance: o.tolerance, Now: o.now}
		if o.name == "svix" {
			s := &signature.Svix{Standard: std}
			return s, []signature.Verifier{s}, nil
		}
		return &std, []signature.Verifier{&std}, nil
	}
	var all []signature.Verifier
	var first signature.Scheme
	for _, s := range o.secrets {
		if s == "" {
			return nil, nil, cliUsageError{fmt.Errorf("%w: empty secret", signature.ErrBadSecret)}
		}
		key := []byte(s)
		var sc signature.Scheme
		switch o.name {
		case "github":
			sc = &signature.GitHub{Secret: key, AllowSHA1: o.allowSHA1}
		case "stripe":
			sc = &signature.Stripe{Secret: key, Tolerance: o.tolerance, Now: o.now}
		case "shopify":
			sc = &signature.Shopify{Secret: key}
		case "slack":
			sc = &signature.Slack{Secret: key, Tolerance: o.tolerance, Now: o.now}
		default:
			return nil, nil, usageErrorf("unknown scheme %q (want one of %s)", o.name, strings.Join(cliSchemes, ", "))
		}
		if first == nil {
			first = sc
		}
		all = append(all, sc)
	}
	return first, all, nil
}

// newCLIFlags returns the flag set of a command of sign and verify: named
// name (as "hookline sign"), writing to stderr, and whose -h prints usage
// and then the flags.
func newCLIFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseCLIFlags parses args with fs, from newCLIFlags. ok is false when the
// command ends here, with exit code 0 after -h, or 2 after a bad flag
// (which the flag package reports) or an argument that is not a flag.
func parseCLIFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2, false
	}
	return 0, true
}

// cliStringList is a repeatable string flag.
type cliStringList []string

func (l *cliStringList) String() string     { return strings.Join(*l, ", ") }
func (l *cliStringList) Set(s string) error { *l = append(*l, s); return nil }

// cliTime is a flag holding an instant, written as Unix seconds or RFC 3339.
type cliTime struct {
	t   time.Time
	set bool
}

func (c *cliTime) String() string {
	if !c.set {
		return ""
	}
	return strconv.FormatInt(c.t.Unix(), 10)
}

func (c *cliTime) Set(s string) error {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		c.t, c.set = time.Unix(n, 0), true
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return errors.New("want Unix seconds or an RFC 3339 time such as 2026-01-02T15:04:05Z")
	}
	c.t, c.set = t, true
	return nil
}

// secretsOrEnv returns the --secret values, or the environment secret.
func secretsOrEnv(flagged []string) []string {
	if len(flagged) > 0 {
		return flagged
	}
	if s := os.Getenv(webhookSecretEnv); s != "" {
		return []string{s}
	}
	return nil
}

func readAllLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxCLIBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxCLIBody {
		return nil, fmt.Errorf("input is over %d bytes", maxCLIBody)
	}
	return b, nil
}

// sortedHeaderNames returns the names of h in order.
func sortedHeaderNames(h http.Header) []string {
	return slices.Sorted(maps.Keys(h))
}
