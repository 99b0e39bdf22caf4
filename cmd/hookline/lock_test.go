package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/wait"
)

// TestOneProcessPerSQLiteFile: while a serve holds a SQLite file (its
// files mode 0600), a second serve, migrate, rekey and token on it, by its
// path or through a symbolic link, exit 1 naming the first one's pid; the first one goes on serving. Killed with
// SIGKILL (no cleanup), it leaves the file free.
func TestOneProcessPerSQLiteFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs child processes")
	}
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "hookline.db")
	const token = "hk_lock_test_token_0123456789abcdef"
	first := startChild(t, bin, db, token)
	// Other names of the same file: a symbolic link to it, and one to its
	// directory.
	link, dirLink := filepath.Join(t.TempDir(), "link.db"), filepath.Join(t.TempDir(), "dir")
	if err := os.Symlink(db, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(db), dirLink); err != nil {
		t.Fatal(err)
	}
	viaDir := filepath.Join(dirLink, filepath.Base(db))

	// The files serve made are its owner's alone.
	for _, f := range []string{db, db + "-wal", db + ".key", db + ".lock"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(f), fi.Mode().Perm())
		}
	}

	previous := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, args := range [][]string{
		{"serve", "--db", db, "--listen", "127.0.0.1:0"},
		{"migrate", "--db", db},
		{"rekey", "--db", db},
		{"token", "--db", db},
		{"serve", "--db", link, "--listen", "127.0.0.1:0"},
		{"migrate", "--db", link},
		{"rekey", "--db", viaDir},
	} {
		want := fmt.Sprintf("%s is in use by process %d", args[2], first.cmd.Process.Pid)
		// A serve that starts although it should not is killed at the deadline.
		ctx, cancel := context.WithTimeout(t.Context(), wait.Deadline)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "HOOKLINE_ADMIN_TOKEN="+token, "HOOKLINE_PREVIOUS_SECRET_KEYS="+previous)
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), want) {
			t.Errorf("%v beside a running serve: exit %d (%v), output %q; want 1 and %q", args, code, err, out, want)
		}
	}

	// A hard link is another name that no lock file nor WAL of the first
	// follows: a file with one is refused, whoever opens it.
	hard := filepath.Join(filepath.Dir(db), "hard.db")
	if err := os.Link(db, hard); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"serve", "--db", hard, "--listen", "127.0.0.1:0"},
		{"migrate", "--db", hard},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), wait.Deadline)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "HOOKLINE_ADMIN_TOKEN="+token)
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), "has 2 hard links") {
			t.Errorf("%v on a second hard link: exit %d (%v), output %q; want 1 and \"has 2 hard links\"", args, code, err, out)
		}
	}
	if err := os.Remove(hard); err != nil {
		t.Fatal(err)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	var app struct{ ID string }
	if code, err := apiCall(client, "POST", first.url+"/api/v1/app", token, map[string]any{"name": "still here"}, &app); err != nil || code != 201 {
		t.Fatalf("the first serve after the refused starts: %d %v", code, err)
	}

	first.cmd.Process.Kill()
	first.cmd.Wait()
	if out, err := exec.Command(bin, "migrate", "--db", db).CombinedOutput(); err != nil {
		t.Fatalf("migrate after the holder was killed: %v: %s", err, out)
	}
}
