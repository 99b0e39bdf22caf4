package signature_test

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/signature"
)

// Published examples from the providers' own documentation.
const (
	githubDocSecret = "It's a Secret to Everybody"
	githubDocBody   = "Hello, World!"
	githubDocSig    = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

	slackDocSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	slackDocTS     = 1531420618
	slackDocBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	slackDocSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if want == nil {
		if got != nil {
			t.Errorf("%s: %v, want success", what, got)
		}
		return
	}
	if !errors.Is(got, want) {
		t.Errorf("%s: %v, want %v", what, got, want)
	}
}

// TestGitHub proves GitHub verification against GitHub's published example
// and its failure modes; SHA-1 is accepted only when allowed and only when
// the SHA-256 header is absent.
func TestGitHub(t *testing.T) {
	body := []byte(githubDocBody)
	g := &signature.GitHub{Secret: []byte(githubDocSecret)}
	if got := signature.SignGitHub(g.Secret, body); got != githubDocSig {
		t.Fatalf("SignGitHub = %s, want GitHub's %s", got, githubDocSig)
	}
	sha1Sig := signature.SignGitHubSHA1(g.Secret, body)
	upper := "sha256=" + strings.ToUpper(strings.TrimPrefix(githubDocSig, "sha256="))
	g1 := &signature.GitHub{Secret: g.Secret, AllowSHA1: true}
	cases := []struct {
		name string
		v    *signature.GitHub
		h    http.Header
		body string
		want error
	}{
		{"doc example", g, header("X-Hub-Signature-256", githubDocSig), githubDocBody, nil},
		{"upper-case hex", g, header("X-Hub-Signature-256", upper), githubDocBody, nil},
		{"body changed", g, header("X-Hub-Signature-256", githubDocSig), "Hello, World?", signature.ErrNoMatch},
		{"no header", g, header(), githubDocBody, signature.ErrMissingHeader},
		{"no prefix", g, header("X-Hub-Signature-256", githubDocSig[7:]), githubDocBody, signature.ErrBadFormat},
		{"sha1 value in 256 header", g, header("X-Hub-Signature-256", sha1Sig), githubDocBody, signature.ErrNoMatch},
		{"truncated", g, header("X-Hub-Signature-256", githubDocSig[:60]), githubDocBody, signature.ErrBadFormat},
		{"not hex", g, header("X-Hub-Signature-256", "sha256="+strings.Repeat("zz", 32)), githubDocBody, signature.ErrBadFormat},
		{"sha1 only, not allowed", g, header("X-Hub-Signature", sha1Sig), githubDocBody, signature.ErrMissingHeader},
		{"sha1 only, allowed", g1, header("X-Hub-Signature", sha1Sig), githubDocBody, nil},
		{"sha1 wrong, allowed", g1, header("X-Hub-Signature", sha1Sig), "other", signature.ErrNoMatch},
		{"sha256 wins over sha1", g1, header("X-Hub-Signature", sha1Sig, "X-Hub-Signature-256", "sha256="+strings.Repeat("00", 32)), githubDocBody, signature.ErrNoMatch},
		{"empty secret", &signature.GitHub{}, header("X-Hub-Signature-256", githubDocSig), githubDocBody, signature.ErrBadSecret},
	}
	for _, c := range cases {
		wantErr(t, c.name, c.v.Verify(c.h, []byte(c.body)), c.want)
	}
	h := http.Header{}
	if err := g.Sign(h, body); err != nil || h.Get("X-Hub-Signature-256") != githubDocSig || h.Get("X-Hub-Signature") != sha1Sig {
		t.Fatalf("Sign: %v %v", err, h)
	}
}

// TestStripe proves Stripe verification: several v1 entries (one right),
// v0 entries ignored, tolerance both ways, malformed headers.
func TestStripe(t *testing.T) {
	secret := []byte("whsec_test_secret")
	body := []byte(`{"id":"evt_1","object":"event"}`)
	now := at0()
	s := &signature.Stripe{Secret: secret, Now: at(now)}
	good := signature.SignStripe(secret, now, body)
	ts := strconv.FormatInt(now.Unix(), 10)
	// Independent computation of the expected value.
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "." + string(body)))
	if want := "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil)); good != want {
		t.Fatalf("SignStripe = %s, want %s", good, want)
	}
	v1 := strings.Split(good, ",")[1]
	wrong := "v1=" + strings.Repeat("ab", 32)
	cases := []struct {
		name, value string
		skew        time.Duration
		want        error
	}{
		{"signed", good, 0, nil},
		{"rolled secret, right one second", "t=" + ts + "," + wrong + "," + v1, 0, nil},
		{"with v0 test entry", "t=" + ts + ",v0=" + strings.Repeat("cd", 32) + "," + v1, 0, nil},
		{"spaces after commas", "t=" + ts + ", " + v1, 0, nil},
		{"entries before t", v1 + ",t=" + ts, 0, nil},
		{"wrong v1 only", "t=" + ts + "," + wrong, 0, signature.ErrNoMatch},
		{"v0 only", "t=" + ts + ",v0=" + strings.TrimPrefix(v1, "v1="), 0, signature.ErrNoMatch},
		{"no t", v1, 0, signature.ErrBadFormat},
		{"two t", "t=" + ts + ",t=" + ts + "," + v1, 0, signature.ErrBadFormat},
		{"t not a number", "t=abc," + v1, 0, signature.ErrBadFormat},
		{"no signature", "t=" + ts, 0, signature.ErrBadFormat},
		{"v1 not hex", "t=" + ts + ",v1=xyz", 0, signature.ErrBadFormat},
		{"too old", good, 301 * time.Second, signature.ErrTooOld},
		{"too new", good, -301 * time.Second, signature.ErrTooNew},
		{"edge old", good, 300 * time.Second, nil},
		{"garbage", ",,,===,", 0, signature.ErrBadFormat},
	}
	for _, c := range cases {
		s.Now = at(now.Add(c.skew))
		wantErr(t, c.name, s.Verify(header("Stripe-Signature", c.value), body), c.want)
	}
	s.Now = at(now)
	wantErr(t, "missing header", s.Verify(header(), body), signature.ErrMissingHeader)
	wantErr(t, "body changed", s.Verify(header("Stripe-Signature", good), append(body, ' ')), signature.ErrNoMatch)
	wantErr(t, "empty secret", (&signature.Stripe{}).VerifyHeader(good, body), signature.ErrBadSecret)
	h := http.Header{}
	if err := s.Sign(h, body); err != nil || h.Get("Stripe-Signature") != good {
		t.Fatalf("Sign: %v %v", err, h)
	}
}

// TestShopify proves Shopify verification against an independent HMAC
// computation, padded and unpadded base64, and failures.
func TestShopify(t *testing.T) {
	secret := []byte("shpss_0123456789abcdef")
	body := []byte(`{"id":820982911946154508,"email":"jon@example.com"}`)
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	if got := signature.SignShopify(secret, body); got != want {
		t.Fatalf("SignShopify = %s, want %s", got, want)
	}
	s := &signature.Shopify{Secret: secret}
	wantErr(t, "signed", s.Verify(header("X-Shopify-Hmac-Sha256", want), body), nil)
	wantErr(t, "unpadded", s.Verify(header("X-Shopify-Hmac-Sha256", strings.TrimRight(want, "=")), body), nil)
	wantErr(t, "hex instead of base64", s.Verify(header("X-Shopify-Hmac-Sha256", hex.EncodeToString(m.Sum(nil))), body), signature.ErrBadFormat)
	wantErr(t, "body changed", s.Verify(header("X-Shopify-Hmac-Sha256", want), body[1:]), signature.ErrNoMatch)
	wantErr(t, "missing", s.Verify(header(), body), signature.ErrMissingHeader)
	wantErr(t, "empty secret", (&signature.Shopify{}).Verify(header("X-Shopify-Hmac-Sha256", want), body), signature.ErrBadSecret)
}

// TestSlack proves Slack verification against Slack's published example,
// the five-minute window and failures.
func TestSlack(t *testing.T) {
	secret := []byte(slackDocSecret)
	body := []byte(slackDocBody)
	signedAt := time.Unix(slackDocTS, 0)
	if got := signature.SignSlack(secret, signedAt, body); got != slackDocSig {
		t.Fatalf("SignSlack = %s, want Slack's %s", got, slackDocSig)
	}
	s := &signature.Slack{Secret: secret}
	h := header("X-Slack-Signature", slackDocSig, "X-Slack-Request-Timestamp", strconv.Itoa(slackDocTS))
	for skew, want := range map[time.Duration]error{
		0: nil, 5 * time.Minute: nil, 5*time.Minute + time.Second: signature.ErrTooOld, -6 * time.Minute: signature.ErrTooNew,
	} {
		s.Now = at(signedAt.Add(skew))
		wantErr(t, "skew "+skew.String(), s.Verify(h, body), want)
	}
	s.Now = at(signedAt)
	wantErr(t, "body changed", s.Verify(h, body[1:]), signature.ErrNoMatch)
	wantErr(t, "no timestamp", s.Verify(header("X-Slack-Signature", slackDocSig), body), signature.ErrMissingHeader)
	wantErr(t, "no signature", s.Verify(header("X-Slack-Request-Timestamp", "1531420618"), body), signature.ErrMissingHeader)
	wantErr(t, "other version", s.Verify(header("X-Slack-Signature", "v1="+slackDocSig[3:], "X-Slack-Request-Timestamp", "1531420618"), body), signature.ErrNoMatch)
	wantErr(t, "bad timestamp", s.Verify(header("X-Slack-Signature", slackDocSig, "X-Slack-Request-Timestamp", "-1"), body), signature.ErrBadFormat)
	wantErr(t, "timestamp moved", s.Verify(header("X-Slack-Signature", slackDocSig, "X-Slack-Request-Timestamp", "1531420619"), body), signature.ErrNoMatch)
	out := http.Header{}
	if err := s.Sign(out, body); err != nil || out.Get("X-Slack-Signature") != slackDocSig {
		t.Fatalf("Sign: %v %v", err, out)
	}
}

// TestGenericHMAC proves the generic scheme for each hash and encoding,
// with and without a timestamp, against independent computations.
func TestGenericHMAC(t *testing.T) {
	secret := []byte("generic secret")
	body := []byte("a=1&b=2")
	now := at0()
	ts := strconv.FormatInt(now.Unix(), 10)
	compute := func(h crypto.Hash, content string) []byte {
		var m interface {
			Write([]byte) (int, error)
			Sum([]byte) []byte
		}
		switch h {
		case crypto.SHA1:
			m = hmac.New(crypto.SHA1.New, secret)
		case crypto.SHA512:
			m = hmac.New(sha512.New, secret)
		default:
			m = hmac.New(sha256.New, secret)
		}
		m.Write([]byte(content))
		return m.Sum(nil)
	}
	for _, h := range []crypto.Hash{0, crypto.SHA1, crypto.SHA256, crypto.SHA512} {
		for _, enc := range []signature.Encoding{signature.EncodingHex, signature.EncodingBase64} {
			for _, tsHeader := range []string{"", "X-Timestamp"} {
				name := h.String() + "/" + enc.String() + "/" + tsHeader
				g := &signature.HMAC{Secret: secret, Header: "X-Signature", Prefix: "sig=", Hash: h, Encoding: enc, TimestampHeader: tsHeader, Now: at(now)}
				content := string(body)
				if tsHeader != "" {
					content = ts + "." + content
				}
				raw := compute(h, content)
				encoded := hex.EncodeToString(raw)
				if enc == signature.EncodingBase64 {
					encoded = base64.StdEncoding.EncodeToString(raw)
				}
				hd := http.Header{}
				if err := g.Sign(hd, body); err != nil {
					t.Fatal(err)
				}
				if hd.Get("X-Signature") != "sig="+encoded {
					t.Fatalf("%s: Sign wrote %q, want %q", name, hd.Get("X-Signature"), "sig="+encoded)
				}
				wantErr(t, name, g.Verify(hd, body), nil)
				wantErr(t, name+" tampered", g.Verify(hd, append([]byte{}, body[:len(body)-1]...)), signature.ErrNoMatch)
				wantErr(t, name+" no prefix", g.Verify(header("X-Signature", encoded, "X-Timestamp", ts), body), signature.ErrBadFormat)
				if tsHeader != "" {
					g.Now = at(now.Add(time.Hour))
					wantErr(t, name+" old", g.Verify(hd, body), signature.ErrTooOld)
					g.Now = at(now)
					wantErr(t, name+" no timestamp", g.Verify(header("X-Signature", "sig="+encoded), body), signature.ErrMissingHeader)
				}
			}
		}
	}
	wantErr(t, "no header name", (&signature.HMAC{Secret: secret}).Verify(http.Header{}, body), signature.ErrBadSecret)
	wantErr(t, "no secret", (&signature.HMAC{Header: "X"}).Verify(http.Header{}, body), signature.ErrBadSecret)
	wantErr(t, "md5", (&signature.HMAC{Secret: secret, Header: "X", Hash: crypto.MD5}).Verify(header("X", "00"), body), signature.ErrBadSecret)
	wantErr(t, "missing", (&signature.HMAC{Secret: secret, Header: "X"}).Verify(http.Header{}, body), signature.ErrMissingHeader)
}
