package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/signature"
)

func vecHeaders(sig string) []string {
	return []string{
		"--header", "webhook-id: " + vecID,
		"--header", "webhook-timestamp: " + vecTS,
		"--header", "webhook-signature: " + sig,
	}
}

// TestVerifyVector proves exit 0 for the reference vector (at its own
// time), exit 1 with the reason for each way it can be wrong, and the hint
// that tells a stale but genuine request from a forged one.
func TestVerifyVector(t *testing.T) {
	at := []string{"--secret", vecSecret, "--now", vecTS}
	ok := func(args ...string) []string {
		return append(append(append([]string{}, at...), vecHeaders(vecSig)...), args...)
	}

	if code, out, errOut := cli(t, runVerify, vecBody, ok()...); code != 0 || !strings.HasPrefix(out, "valid") {
		t.Fatalf("exit %d: %q %q", code, out, errOut)
	}
	fail := []struct {
		name, body string
		args       []string
		want       string
	}{
		{"body changed", vecBody + "\n", ok(), "no matching signature"},
		{"wrong secret", vecBody, append([]string{"--secret", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "--now", vecTS}, vecHeaders(vecSig)...), "no matching signature"},
		{"missing signature", vecBody, append(append([]string{}, at...), "--header", "webhook-id: "+vecID, "--header", "webhook-timestamp: "+vecTS), "missing header"},
		{"malformed signature", vecBody, append(append([]string{}, at...), vecHeaders("v1,")...), "malformed"},
		{"stale, genuine", vecBody, append([]string{"--secret", vecSecret, "--now", "1614269000"}, vecHeaders(vecSig)...), "the signature itself is valid"},
		{"future, forged", vecBody + "x", append([]string{"--secret", vecSecret, "--now", "1614260000"}, vecHeaders(vecSig)...), "does not match either"},
	}
	for _, c := range fail {
		code, out, errOut := cli(t, runVerify, c.body, c.args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "invalid:") || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q (want %q)", c.name, code, out, errOut, c.want)
		}
	}
	// --tolerance 0 skips the timestamp check; a wide tolerance covers it.
	for _, args := range [][]string{
		append([]string{"--secret", vecSecret, "--tolerance", "0"}, vecHeaders(vecSig)...),
		append([]string{"--secret", vecSecret, "--now", "1614269000", "--tolerance", "2h"}, vecHeaders(vecSig)...),
	} {
		if code, _, errOut := cli(t, runVerify, vecBody, args...); code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
	// Any of several secrets.
	args := append([]string{"--secret", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "--secret", vecSecret, "--now", vecTS}, vecHeaders(vecSig)...)
	if code, _, errOut := cli(t, runVerify, vecBody, args...); code != 0 {
		t.Errorf("two secrets: exit %d: %s", code, errOut)
	}
}

// TestVerifyV1a proves the asymmetric scheme from the command line, with
// only the public key, using the reference v1a vector.
func TestVerifyV1a(t *testing.T) {
	const pk = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="
	const sig = "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="
	args := append([]string{"--secret", pk, "--now", vecTS}, vecHeaders(sig)...)
	if code, _, errOut := cli(t, runVerify, vecBody, args...); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if code, _, _ := cli(t, runVerify, vecBody+" ", args...); code != 1 {
		t.Fatalf("changed body: exit %d", code)
	}
}

// TestVerifyRequest proves --request: a raw HTTP request, with
// Content-Length or chunked, verifies; a changed one does not; garbage is
// a usage error.
func TestVerifyRequest(t *testing.T) {
	raw := "POST /webhook HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\n" +
		"Webhook-Id: " + vecID + "\r\nWebhook-Timestamp: " + vecTS + "\r\nWebhook-Signature: " + vecSig + "\r\n" +
		"Content-Length: " + itoa(len(vecBody)) + "\r\n\r\n" + vecBody
	args := []string{"--secret", vecSecret, "--now", vecTS, "--request"}
	if code, _, errOut := cli(t, runVerify, raw, args...); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	chunked := strings.Replace(raw, "Content-Length: "+itoa(len(vecBody))+"\r\n\r\n"+vecBody,
		"Transfer-Encoding: chunked\r\n\r\n5\r\n"+vecBody[:5]+"\r\n"+strings.ToLower(itoa16(len(vecBody)-5))+"\r\n"+vecBody[5:]+"\r\n0\r\n\r\n", 1)
	if code, _, errOut := cli(t, runVerify, chunked, args...); code != 0 {
		t.Fatalf("chunked: exit %d: %s", code, errOut)
	}
	// Bare LF line endings, as when a request is typed into a file.
	if code, _, errOut := cli(t, runVerify, strings.ReplaceAll(raw, "\r\n", "\n"), args...); code != 0 {
		t.Fatalf("LF endings: exit %d: %s", code, errOut)
	}
	tampered := strings.Replace(raw, "2432232314", "2432232315", 1)
	if code, _, _ := cli(t, runVerify, tampered, args...); code != 1 {
		t.Fatalf("tampered: exit %d", code)
	}
	if code, _, errOut := cli(t, runVerify, "not http at all", args...); code != 2 || !strings.Contains(errOut, "--request") {
		t.Fatalf("garbage: exit %d: %s", code, errOut)
	}
}

// TestVerifyRequestBodyFraming proves how --request finds the body when
// the captured request does not frame it exactly: without Content-Length
// or chunked encoding the rest of the input is the body (as a capture
// tool that dropped the header would leave it), and bytes after a
// Content-Length body are reported on standard error, not silently lost.
func TestVerifyRequestBodyFraming(t *testing.T) {
	head := "POST /webhook HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\n" +
		"Webhook-Id: " + vecID + "\r\nWebhook-Timestamp: " + vecTS + "\r\nWebhook-Signature: " + vecSig + "\r\n"
	args := []string{"--secret", vecSecret, "--now", vecTS, "--request"}

	// No Content-Length, not chunked: the body runs to the end of input.
	code, out, errOut := cli(t, runVerify, head+"\r\n"+vecBody, args...)
	if code != 0 || !strings.Contains(out, "("+itoa(len(vecBody))+"-byte body)") {
		t.Fatalf("no Content-Length: exit %d: %s %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "no Content-Length") {
		t.Errorf("no Content-Length: no note on stderr: %q", errOut)
	}
	// A request that has no body at all is still fine.
	code, _, errOut = cli(t, runVerify, head+"\r\n", args...)
	if code != 1 || !strings.Contains(errOut, "no matching signature") {
		t.Fatalf("no body: exit %d: %s", code, errOut)
	}

	// Content-Length shorter than what follows: verified over the declared
	// body, with a warning about the rest.
	cl := head + "Content-Length: " + itoa(len(vecBody)) + "\r\n\r\n"
	code, _, errOut = cli(t, runVerify, cl+vecBody+"\r\n", args...)
	if code != 0 || !strings.Contains(errOut, "warning") || !strings.Contains(errOut, "2 bytes after the body") {
		t.Fatalf("trailing bytes: exit %d: %q", code, errOut)
	}
	// Content-Length too short: no match, and the warning says why.
	short := head + "Content-Length: 5\r\n\r\n" + vecBody
	code, _, errOut = cli(t, runVerify, short, args...)
	if code != 1 || !strings.Contains(errOut, "warning") || !strings.Contains(errOut, itoa(len(vecBody)-5)+" bytes after the body") {
		t.Fatalf("short Content-Length: exit %d: %q", code, errOut)
	}
	// An exact capture gets no warning.
	if code, _, errOut := cli(t, runVerify, cl+vecBody, args...); code != 0 || errOut != "" {
		t.Fatalf("exact: exit %d: %q", code, errOut)
	}
	// Content-Length longer than the input is an error, not a silent
	// truncation.
	long := head + "Content-Length: 999\r\n\r\n" + vecBody
	if code, _, errOut := cli(t, runVerify, long, args...); code != 2 || !strings.Contains(errOut, "reading body") {
		t.Fatalf("long Content-Length: exit %d: %q", code, errOut)
	}
}

// TestVerifyProviders proves each provider scheme through the command,
// with requests signed by the library, and a wrong secret refused.
func TestVerifyProviders(t *testing.T) {
	body := []byte(`{"id":"evt_1"}`)
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	cases := map[string]signature.Signer{
		"github":  &signature.GitHub{Secret: []byte("s3cret")},
		"stripe":  &signature.Stripe{Secret: []byte("s3cret"), Now: clock},
		"shopify": &signature.Shopify{Secret: []byte("s3cret")},
		"slack":   &signature.Slack{Secret: []byte("s3cret"), Now: clock},
	}
	for scheme, signer := range cases {
		h := http.Header{}
		if err := signer.Sign(h, body); err != nil {
			t.Fatal(err)
		}
		var hdrs []string
		for k := range h {
			hdrs = append(hdrs, "--header", k+": "+h.Get(k))
		}
		args := append([]string{"--scheme", scheme, "--now", "1700000000", "--secret", "s3cret"}, hdrs...)
		if code, _, errOut := cli(t, runVerify, string(body), args...); code != 0 {
			t.Errorf("%s: exit %d: %s", scheme, code, errOut)
		}
		args[5] = "other"
		if code, _, _ := cli(t, runVerify, string(body), args...); code != 1 {
			t.Errorf("%s wrong secret: exit %d", scheme, code)
		}
	}
	// GitHub's legacy SHA-1 header only with --allow-sha1.
	sha1 := []string{"--scheme", "github", "--secret", "s3cret", "--header", "X-Hub-Signature: " + signature.SignGitHubSHA1([]byte("s3cret"), body)}
	if code, _, _ := cli(t, runVerify, string(body), sha1...); code != 1 {
		t.Errorf("sha1 without --allow-sha1: exit %d", code)
	}
	if code, _, errOut := cli(t, runVerify, string(body), append(sha1, "--allow-sha1")...); code != 0 {
		t.Errorf("sha1 with --allow-sha1: exit %d: %s", code, errOut)
	}
}

// TestVerifyUsageErrors proves exit status 2 for each way of calling
// verify wrongly, distinct from 1 (signature not valid).
func TestVerifyUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no secret":           vecHeaders(vecSig),
		"bad secret":          append([]string{"--secret", "whsec_"}, vecHeaders(vecSig)...),
		"unknown scheme":      append([]string{"--secret", vecSecret, "--scheme", "paypal"}, vecHeaders(vecSig)...),
		"header without ':'":  {"--secret", vecSecret, "--header", "webhook-id " + vecID},
		"header without name": {"--secret", vecSecret, "--header", ": x"},
		"negative tolerance":  {"--secret", vecSecret, "--tolerance", "-1s"},
		"bad --now":           {"--secret", vecSecret, "--now", "soon"},
		"unknown flag":        {"--secret", vecSecret, "--nope"},
		"extra argument":      {"--secret", vecSecret, "file.json"},
		"empty github secret": {"--scheme", "github", "--secret", ""},
	} {
		code, out, errOut := cli(t, runVerify, vecBody, args...)
		if code != 2 || out != "" || errOut == "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", name, code, out, errOut)
		}
	}
}

// TestVerifySecretFromEnvironment proves the environment twin of --secret.
func TestVerifySecretFromEnvironment(t *testing.T) {
	t.Setenv(webhookSecretEnv, vecSecret)
	var out, errOut strings.Builder
	args := append([]string{"--now", vecTS}, vecHeaders(vecSig)...)
	if code := runVerify(context.Background(), args, strings.NewReader(vecBody), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}

func itoa(n int) string   { return strconv.Itoa(n) }
func itoa16(n int) string { return strconv.FormatInt(int64(n), 16) }
