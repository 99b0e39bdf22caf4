package signature_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/hookline/hookline/signature"
)

// Verify a webhook sent by Hookline (or any Standard Webhooks sender) with
// the endpoint's secret. A real receiver leaves Now unset; it is fixed here
// so the example's output does not depend on the date.
func ExampleStandard_Verify() {
	verifier, err := signature.NewStandard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		log.Fatal(err)
	}
	verifier.Now = func() time.Time { return time.Unix(1614265330, 0) }

	// The headers and raw body as they arrived.
	header := http.Header{}
	header.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	header.Set("webhook-timestamp", "1614265330")
	header.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	body := []byte(`{"test": 2432232314}`)

	if err := verifier.Verify(header, body); err != nil {
		log.Fatal(err)
	}
	fmt.Println("authentic:", string(body))

	// An hour later the same request is a replay, and is refused.
	verifier.Now = func() time.Time { return time.Unix(1614265330, 0).Add(time.Hour) }
	err = verifier.Verify(header, body)
	fmt.Println("an hour later, too old:", errors.Is(err, signature.ErrTooOld))
	// Output:
	// authentic: {"test": 2432232314}
	// an hour later, too old: true
}

// Put the middleware in front of a handler: the handler runs only for
// verified requests and reads the body as usual. Refused requests get a
// bare 401; the reason goes to OnError for your logs.
func ExampleMiddleware() {
	secret, _ := signature.GenerateSecret()
	verifier := &signature.Standard{Secrets: []signature.Secret{secret}}

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Printf("handler got %s\n", body)
	})
	mw := &signature.Middleware{
		Verifier:     verifier,
		MaxBodyBytes: 1 << 20,
		Replay:       signature.NewMemoryReplayGuard(0),
		OnError:      func(r *http.Request, err error) { fmt.Println("refused:", err) },
	}
	srv := httptest.NewServer(mw.Wrap(handler))
	defer srv.Close()

	send := func(h http.Header, body string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println("status", resp.StatusCode)
	}

	// A sender signs (Hookline does this for you).
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	if err := verifier.Sign(h, []byte(`{"type":"user.created"}`)); err != nil {
		log.Fatal(err)
	}
	send(h, `{"type":"user.created"}`)
	send(h, `{"type":"user.deleted"}`) // body changed in transit
	send(h, `{"type":"user.created"}`) // the same request again
	// Output:
	// handler got {"type":"user.created"}
	// status 200
	// refused: signature: no matching signature: webhook-signature
	// status 401
	// refused: signature: message already seen
	// status 401
}

// Verify a GitHub webhook with the secret set in the repository's webhook
// settings. (These values are the example from GitHub's documentation.)
func ExampleGitHub() {
	verifier := &signature.GitHub{Secret: []byte("It's a Secret to Everybody")}

	header := http.Header{}
	header.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	header.Set("X-GitHub-Event", "ping")

	fmt.Println(verifier.Verify(header, []byte("Hello, World!")))
	fmt.Println(verifier.Verify(header, []byte("Hello, World?")))
	// Output:
	// <nil>
	// signature: no matching signature: X-Hub-Signature-256
}
