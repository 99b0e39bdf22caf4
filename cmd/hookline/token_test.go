package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// tokenRow returns the fields of the row of 'hookline token list' output
// whose name is name, or nil.
func tokenRow(out, name string) []string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[1] == name {
			return f
		}
	}
	return nil
}

// TestTokenCommands runs 'hookline token' (create), 'token list' and
// 'token revoke' on a SQLite file, with a real serve in between: list shows
// each admin token's id, name, creation and last use; a revoked token is
// refused.
func TestTokenCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hookline.db")
	code, token, errOut := runCommand(t, nil, "token", "--db", db, "--create", "--name", "ci")
	token = strings.TrimSpace(token)
	if code != 0 || !strings.HasPrefix(token, "hk_") {
		t.Fatalf("token --create --name ci: exit %d, stdout %q, stderr %q", code, token, errOut)
	}
	if code, _, errOut := runCommand(t, nil, "token", "--db", db, "--name", strings.Repeat("n", hookline.MaxTokenNameLen+1)); code != 1 {
		t.Errorf("a name too long: exit %d, stderr %q; want 1", code, errOut)
	}

	_, out, _ := runCommand(t, nil, "token", "list", "--db", db)
	row := tokenRow(out, "ci")
	if !strings.HasPrefix(out, "ID") || row == nil || !strings.HasPrefix(row[0], hookline.PrefixToken) || row[3] != "never" {
		t.Fatalf("token list after create:\n%s", out)
	}
	if _, err := time.Parse(time.RFC3339, row[2]); err != nil {
		t.Errorf("created %q: %v", row[2], err)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	const envToken = "hk_env_token_for_the_list_0123456789"
	url, _, stop := runServer(t, []string{"--listen", "127.0.0.1:0", "--db", db, "--no-dispatch"}, map[string]string{"HOOKLINE_ADMIN_TOKEN": envToken})
	if code, err := apiCall(client, "GET", url+"/api/v1/app", token, nil, nil); err != nil || code != 200 {
		t.Fatalf("the new token: %d %v", code, err)
	}
	stop()
	_, out, _ = runCommand(t, nil, "token", "list", "--db", db)
	if r := tokenRow(out, "ci"); r == nil || r[3] == "never" {
		t.Fatalf("token list after a use shows no last use:\n%s", out)
	} else if _, err := time.Parse(time.RFC3339, r[3]); err != nil {
		t.Errorf("last used %q: %v", r[3], err)
	}
	if tokenRow(out, "HOOKLINE_ADMIN_TOKEN") == nil {
		t.Errorf("token list does not name the token of HOOKLINE_ADMIN_TOKEN:\n%s", out)
	}

	if code, out, errOut := runCommand(t, nil, "token", "revoke", row[0], "--db", db); code != 0 || out != "revoked "+row[0]+"\n" {
		t.Fatalf("token revoke: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut := runCommand(t, nil, "token", "revoke", "--db", db, row[0]); code != 1 || !strings.Contains(errOut, "no token "+row[0]) {
		t.Errorf("token revoke twice: exit %d, stderr %q; want 1, no token", code, errOut)
	}
	for _, args := range [][]string{{"token", "revoke", "--db", db}, {"token", "revoke", "a", "b", "--db", db}, {"token", "rotate"}} {
		if code, _, errOut := runCommand(t, nil, args...); code != 2 || !strings.Contains(errOut, "--help") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a pointer to --help", args, code, errOut)
		}
	}
	_, out, _ = runCommand(t, nil, "token", "list", "--db", db)
	if tokenRow(out, "ci") != nil {
		t.Fatalf("token list shows the revoked token:\n%s", out)
	}

	url, _, stop = runServer(t, []string{"--listen", "127.0.0.1:0", "--db", db, "--no-dispatch"}, map[string]string{"HOOKLINE_ADMIN_TOKEN": envToken})
	defer stop()
	if code, _ := apiCall(client, "GET", url+"/api/v1/app", token, nil, nil); code != 401 {
		t.Fatalf("the revoked token got %d, want 401", code)
	}
}
