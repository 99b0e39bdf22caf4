package action

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/wait"
)

func TestParseRefuses(t *testing.T) {
	for what, file := range map[string]string{
		"an unknown key":     "actions:\n  - name: a\n    command: [/bin/true]\n    shell: true\n",
		"no command":         "actions:\n  - name: a\n",
		"a command string":   "actions:\n  - name: a\n    command: /bin/true\n",
		"a bad value":        "actions:\n  - name: a\n    command: [/bin/true]\n    args: [ref]\n",
		"a reserved env":     "actions:\n  - name: a\n    command: [/bin/true]\n    env: {HOOKLINE_ATTEMPT: /x}\n",
		"a relative workdir": "actions:\n  - name: a\n    command: [/bin/true]\n    workdir: ci\n",
		"a bad timeout":      "actions:\n  - name: a\n    command: [/bin/true]\n    timeout: soon\n",
		"no concurrency":     "actions:\n  - name: a\n    command: [/bin/true]\n    concurrency: 0\n",
		"a bad name":         "actions:\n  - name: a b\n    command: [/bin/true]\n",
		"two of a name":      "actions:\n  - name: a\n    command: [/bin/true]\n  - name: a\n    command: [/bin/true]\n",
	} {
		if _, err := Parse([]byte(file)); err == nil {
			t.Errorf("%s: parsed", what)
		}
	}
}

// script writes an executable shell script (the test's own program: the
// action runs it directly, with no shell in between).
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "run.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func task(body string) *hookline.Task {
	id := "delivery-1"
	return &hookline.Task{
		Delivery: hookline.Delivery{Attempts: 2},
		Message: hookline.Message{ID: "msg_1", EventID: &id, Payload: []byte(body), Tags: []string{"src_1"},
			Headers: http.Header{"X-Github-Event": {"push"}}},
	}
}

// TestRunPassesValuesAsArguments runs a command with values of the request
// that a shell would interpret; they arrive as they are, one argv element
// or variable each, and nothing runs them.
func TestRunPassesValuesAsArguments(t *testing.T) {
	dir := t.TempDir()
	bin := script(t, `for a in "$@"; do printf '[%s]\n' "$a"; done
printf 'EVENT=%s REF=%s SRC=%s MSG=%s DEL=%s ATTEMPT=%s\n' "$EVENT" "$REF" "$HOOKLINE_SOURCE_ID" "$HOOKLINE_MESSAGE_ID" "$HOOKLINE_DELIVERY_ID" "$HOOKLINE_ATTEMPT"
printf 'workdir=%s\n' "$(pwd -P)"
printf 'stdin='; cat
`)
	set, err := Parse([]byte(`actions:
  - name: build
    command: ["` + bin + `", "--quiet"]
    args: ["/ref", "/missing"]
    env: {EVENT: "header:X-GitHub-Event", REF: "/ref"}
    workdir: ` + dir + `
`))
	if err != nil {
		t.Fatal(err)
	}
	evil := "$(touch " + dir + "/pwned); `touch " + dir + "/pwned2`; touch " + dir + "/pwned3"
	body := `{"ref": "` + evil + `"}`
	out, ok := set.Run(t.Context(), "build", task(body))
	if !ok {
		t.Fatalf("the command failed: %s", out)
	}
	real, err := filepath.EvalSymlinks(dir) // pwd -P prints the directory without symlinks
	if err != nil {
		t.Fatal(err)
	}
	want := "[--quiet]\n[" + evil + "]\n[]\nEVENT=push REF=" + evil + " SRC=src_1 MSG=msg_1 DEL=delivery-1 ATTEMPT=3\n" +
		"workdir=" + real + "\nstdin=" + body
	if out != want {
		t.Fatalf("output\n%s\nwant\n%s", out, want)
	}
	for _, f := range []string{"pwned", "pwned2", "pwned3"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Fatalf("%s exists: a value was interpreted", f)
		}
	}
}

func TestRunFailsAndCapsOutput(t *testing.T) {
	bin := script(t, "head -c 100000 /dev/zero | tr '\\0' x\nexit 3\n")
	set, err := Parse([]byte("actions:\n  - name: a\n    command: [\"" + bin + "\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, ok := set.Run(t.Context(), "a", task("{}"))
	if ok || !strings.HasPrefix(out, "exit status 3\n") || len(out) > MaxOutput+200 || !strings.Contains(out, "more bytes of output dropped") {
		t.Fatalf("ok %v, output of %d bytes: %.80q...", ok, len(out), out)
	}
	if out, ok := set.Run(t.Context(), "missing", task("{}")); ok || !strings.Contains(out, "no action") {
		t.Fatalf("an unknown action: %v %q", ok, out)
	}
}

// TestTimeoutKillsTheProcessGroup runs a command that starts a child and
// outlives its timeout: both are killed.
func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	bin := script(t, "sleep 60 &\necho $! > "+pidFile+"\nwait\n")
	set, err := Parse([]byte("actions:\n  - name: a\n    command: [\"" + bin + "\"]\n    timeout: 300ms\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, ok := set.Run(t.Context(), "a", task("{}"))
	if ok || !strings.HasPrefix(out, "killed: no exit within 300ms") {
		t.Fatalf("ok %v, output %q", ok, out)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	wait.For(t, "the command's child to be gone", func() bool {
		return syscall.Kill(pid, 0) == syscall.ESRCH
	})
}

func TestAcquireBoundsConcurrency(t *testing.T) {
	set, err := Parse([]byte("actions:\n  - name: a\n    command: [/bin/true]\n    concurrency: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	r1, ok1 := set.Acquire("a")
	_, ok2 := set.Acquire("a")
	if _, ok3 := set.Acquire("a"); !ok1 || !ok2 || ok3 {
		t.Fatalf("Acquire: %v %v %v, want true true false", ok1, ok2, ok3)
	}
	r1()
	if _, ok := set.Acquire("a"); !ok {
		t.Fatal("Acquire after a release: false")
	}
	var nilSet *Set
	if nilSet.Has("a") {
		t.Fatal("a nil set has an action")
	}
}
