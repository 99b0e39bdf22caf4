package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/signature"
)

// actionsFile writes an actions file with one action, build, that runs
// the shell script body (the test's own program) with the args and env
// of the example.
func actionsFile(t *testing.T, body string, concurrency int) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "build.sh")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "actions.yaml")
	yaml := fmt.Sprintf(`actions:
  - name: build
    command: ["%s", "--quiet"]
    args: ["/ref"]
    env: {EVENT: "header:X-GitHub-Event", REPO: "/repository/full_name"}
    workdir: %s
    timeout: 1m
    concurrency: %d
`, bin, dir, concurrency)
	if err := os.WriteFile(f, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// githubPush posts a GitHub push of ref to url, signed with secret, and
// returns the status. An empty delivery sends no X-GitHub-Delivery.
func githubPush(t *testing.T, url, secret, delivery, ref string) int {
	t.Helper()
	body := []byte(fmt.Sprintf(`{"ref": %q, "repository": {"full_name": "acme/app"}}`, ref))
	h := http.Header{
		"X-Hub-Signature-256": {signature.SignGitHub([]byte(secret), body)}, "X-Github-Event": {"push"},
		"X-Github-Delivery": {delivery}, "Content-Type": {"application/json"},
	}
	if delivery == "" {
		h.Del("X-Github-Delivery")
	}
	return post(t, url, h, body)
}

// readLines returns the lines of a file, none when it does not exist.
func readLines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// TestActionRunsSafely: a GitHub push triggers the build action through a
// real serve; the command gets the payload on stdin and the values as
// separate argv elements and variables; a ref holding $(...), backticks
// and ; is passed as it is and never interpreted.
func TestActionRunsSafely(t *testing.T) {
	out := filepath.Join(t.TempDir(), "runs")
	f := actionsFile(t, `printf '%s|%s|%s|%s|%s|%s|%s\n' "$1" "$2" "$EVENT" "$REPO" "$HOOKLINE_DELIVERY_ID" "$HOOKLINE_ATTEMPT" "$(cat)" >> `+out+"\n", 1)
	s := startServer(t, "--actions", f)
	id, url := ingestSource(t, s, "github", map[string]any{"secret": "s"}, "action:build")
	evil := "$(touch " + out + ".pwned); `touch " + out + ".pwned2`; touch " + out + ".pwned3"
	if code := githubPush(t, url, "s", "d-1", evil); code != 204 {
		t.Fatalf("push: %d", code)
	}
	wait.For(t, "the action to run", func() bool { return len(readLines(out)) == 1 })
	body := fmt.Sprintf(`{"ref": %q, "repository": {"full_name": "acme/app"}}`, evil)
	want := "--quiet|" + evil + "|push|acme/app|d-1|1|" + body
	if got := readLines(out)[0]; got != want {
		t.Fatalf("the action got\n%s\nwant\n%s", got, want)
	}
	for _, suffix := range []string{".pwned", ".pwned2", ".pwned3"} {
		if _, err := os.Stat(out + suffix); err == nil {
			t.Fatalf("%s exists: the ref was interpreted", out+suffix)
		}
	}
	// The attempt log holds the action's outcome.
	log := ingestLog(t, s, id)
	msgID := log[0]["msg_id"].(string)
	wait.For(t, "the attempt", func() bool {
		var attempts struct{ Data []map[string]any }
		apiCall(http.DefaultClient, "GET", s.url+"/ingest/api/v1/source/"+id+"/attempt/msg/"+msgID, s.token, nil, &attempts)
		return len(attempts.Data) == 1 && attempts.Data[0]["status"] == float64(0) && attempts.Data[0]["url"] == "action:build"
	})
}

// TestGitHubReplayRunsOnce: GitHub signs no timestamp and not its
// X-GitHub-Delivery, so a captured push replayed under another delivery id,
// or none, is signed still: it is answered 204 as a duplicate, logged so,
// and neither forwarded nor run again.
func TestGitHubReplayRunsOnce(t *testing.T) {
	runs := filepath.Join(t.TempDir(), "runs")
	s := startServer(t, "--actions", actionsFile(t, `echo "$2" >> `+runs+"\n", 1))
	recv := newHookReceiver(t, func(int) int { return 204 })
	id, url := ingestSource(t, s, "github", map[string]any{"secret": "s"}, recv.URL)
	if code, err := apiCall(http.DefaultClient, "POST", s.url+"/ingest/api/v1/source/"+id+"/endpoint", s.token,
		map[string]any{"url": "action:build"}, nil); err != nil || code != 201 {
		t.Fatalf("create the action endpoint: %d %v", code, err)
	}
	for _, delivery := range []string{"d-1", "d-2", ""} {
		if code := githubPush(t, url, "s", delivery, "refs/heads/main"); code != 204 {
			t.Fatalf("push with delivery %q: %d, want 204", delivery, code)
		}
	}
	if log := ingestLog(t, s, id); len(log) != 3 || log[0]["outcome"] != "duplicate" || log[1]["outcome"] != "duplicate" ||
		log[2]["outcome"] != "accepted" || log[0]["msg_id"] != log[2]["msg_id"] {
		t.Fatalf("log %v, want the first push accepted and the replays duplicates of it", log)
	}
	// Another push goes through after them: the receiver and the action
	// then have it second, which proves the replays did not go.
	if code := githubPush(t, url, "s", "d-3", "refs/heads/next"); code != 204 {
		t.Fatalf("another push: %d", code)
	}
	wait.For(t, "the second push", func() bool { return recv.count() >= 2 && len(readLines(runs)) >= 2 })
	if got := readLines(runs); strings.Join(got, " ") != "refs/heads/main refs/heads/next" || recv.count() != 2 {
		t.Fatalf("the action ran for %v and the receiver got %d requests; want each push once", got, recv.count())
	}
}

// TestActionConcurrencyAndRetry: with concurrency 1, a burst of pushes
// runs one at a time (the command would see another run's lock
// directory); a command that fails is retried on the endpoint's schedule.
func TestActionConcurrencyAndRetry(t *testing.T) {
	dir := t.TempDir()
	runs, lock := filepath.Join(dir, "runs"), filepath.Join(dir, "lock")
	f := actionsFile(t, `mkdir `+lock+` 2>/dev/null || { echo overlap >> `+runs+`; exit 0; }
sleep 0.05
rmdir `+lock+`
if [ "$2" = fail ] && [ "$HOOKLINE_ATTEMPT" = 1 ]; then echo "failing on purpose"; exit 7; fi
echo "$2 $HOOKLINE_ATTEMPT" >> `+runs+"\n", 1)
	s := startServer(t, "--actions", f)
	_, url := ingestSource(t, s, "github", map[string]any{"secret": "s"}, "action:build")
	const burst = 6
	for i := range burst {
		if code := githubPush(t, url, "s", fmt.Sprint("b-", i), fmt.Sprint("ref", i)); code != 204 {
			t.Fatalf("push %d: %d", i, code)
		}
	}
	if code := githubPush(t, url, "s", "f-1", "fail"); code != 204 {
		t.Fatalf("push: %d", code)
	}
	wait.For(t, "every run", func() bool { return len(readLines(runs)) == burst+1 })
	lines := readLines(runs)
	for _, l := range lines {
		if l == "overlap" {
			t.Fatalf("two runs at once under concurrency 1: %v", lines)
		}
	}
	if !strings.Contains(strings.Join(lines, "\n"), "fail 2") {
		t.Fatalf("the failing command was not retried: %v", lines)
	}
}

// TestActionSurvivesSIGKILL: a push answered 2xx by a server that is then
// killed with SIGKILL runs the action once the server is back: killed
// before it ran the action (it does not dispatch), or while the action
// ran, which then runs again with the same HOOKLINE_DELIVERY_ID (at least
// once). The action's first run says it started (a file), then blocks
// until the test ends.
func TestActionSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	for _, tc := range []struct {
		name  string
		flags []string
		runs  []string // the delivery ids the action ran for, in the end
	}{
		{"before the action ran", []string{"--no-dispatch"}, []string{"k-1"}},
		{"while the action ran", nil, []string{"k-1", "k-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out, started, release := filepath.Join(dir, "runs"), filepath.Join(dir, "started"), filepath.Join(dir, "release")
			f := actionsFile(t, `echo "$HOOKLINE_DELIVERY_ID" >> `+out+`
[ -e `+started+` ] && exit 0
touch `+started+`
while [ ! -e `+release+` ] && [ -d `+dir+` ]; do sleep 0.1; done
`, 1)
			// The blocked run outlives the server it belonged to.
			t.Cleanup(func() { os.WriteFile(release, nil, 0o644) })
			db := filepath.Join(t.TempDir(), "hookline.db")
			const token = "hk_test_admin_token_0123456789abcdef"
			c := startChild(t, bin, db, token, append([]string{"--actions", f}, tc.flags...)...)
			s := &server{url: c.url, token: token}
			_, url := ingestSource(t, s, "github", map[string]any{"secret": "s"}, "action:build")
			if code := githubPush(t, url, "s", "k-1", "main"); code != 204 {
				t.Fatalf("push: %d", code)
			}
			if tc.flags == nil {
				wait.For(t, "the action to start", func() bool { _, err := os.Stat(started); return err == nil })
			}
			if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			c.cmd.Wait()
			if got := len(readLines(out)); got != len(tc.runs)-1 {
				t.Fatalf("the action ran %d times before the restart, want %d", got, len(tc.runs)-1)
			}
			startChild(t, bin, db, token, "--actions", f)
			wait.For(t, "the action after the restart", func() bool { return len(readLines(out)) == len(tc.runs) })
			if got := readLines(out); strings.Join(got, ",") != strings.Join(tc.runs, ",") {
				t.Fatalf("the action ran for deliveries %v, want %v", got, tc.runs)
			}
		})
	}
}

// TestActionNeedsAVerifyingSource: a source that verifies nothing (github
// without secret, generic-webhook without a check) is logged as such and
// may forward to HTTP endpoints, but no endpoint of it may run an action;
// nor may a source that runs one stop verifying.
func TestActionNeedsAVerifyingSource(t *testing.T) {
	o := startObserved(t, nil, "--actions", actionsFile(t, "exit 0\n", 1))
	s := o.server
	recv := newHookReceiver(t, func(int) int { return 204 })
	for _, typ := range []string{"github", "generic-webhook"} {
		id, _ := ingestSource(t, s, typ, map[string]any{}, recv.URL) // HTTP forwarding is allowed
		if !regexp.MustCompile(`level=WARN msg="ingest: the source verifies nothing[^"]*" source_id=` + id).MatchString(o.logs.String()) {
			t.Errorf("%s: no warning of a source that verifies nothing in\n%s", typ, o.logs)
		}
		out := s.want(t, 422, "POST", "/ingest/api/v1/source/"+id+"/endpoint", map[string]any{"url": "action:build"})
		if !strings.Contains(out, "an action needs a source that verifies its requests") {
			t.Errorf("%s: the refusal says %s", typ, out)
		}
	}

	id, url := ingestSource(t, s, "github", map[string]any{"secret": "s"}, "action:build")
	if strings.Contains(o.logs.String(), "source_id="+id) {
		t.Errorf("a source with a secret was warned of:\n%s", o.logs)
	}
	out := s.want(t, 422, "PUT", "/ingest/api/v1/source/"+id, map[string]any{"name": "github source", "type": "github", "config": map[string]any{}})
	if !strings.Contains(out, "an action needs a source that verifies its requests") {
		t.Errorf("PUT without the secret: %s", out)
	}
	// The source kept its secret: an unsigned push is refused.
	if code := post(t, url, http.Header{"X-Github-Event": {"push"}}, []byte(`{}`)); code != 401 {
		t.Fatalf("an unsigned push after the refused PUT: %d, want 401", code)
	}
}
