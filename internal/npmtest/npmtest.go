// Package npmtest runs the official JavaScript libraries that tests check
// Hookline against: npm packages pinned in a package.json and
// package-lock.json of a test's testdata, and a script of the test's that
// drives them.
//
// Without node, npm or the npm registry the tests that need them are
// skipped, except under CI (CI=true), where they fail: CI must not pass
// without having run them.
package npmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Timeout bounds the install of the packages, and each Run.
const Timeout = 5 * time.Minute

// Dir is a temporary directory where the pinned packages are installed.
type Dir struct {
	Path string
	node string
}

// Install copies package.json, package-lock.json and the other files named
// from the directory src into a temporary directory, and installs the
// packages the lock pins there with npm ci.
func Install(t testing.TB, src string, files ...string) *Dir {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "node is not on PATH: %v", err)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		skipOrFail(t, "npm is not on PATH: %v", err)
	}
	d := &Dir{Path: t.TempDir(), node: node}
	for _, f := range append([]string{"package.json", "package-lock.json"}, files...) {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d.Path, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	install.Dir = d.Path
	if out, err := install.CombinedOutput(); err != nil {
		skipOrFail(t, "npm ci failed (registry unreachable?): %v\n%s", err, out)
	}
	return d
}

// Run runs the script, a file of d, with node, giving it the path of a file
// that holds in as JSON, and decodes what the script prints into out. It
// fails t when the script fails, with what it wrote to standard error.
func (d *Dir) Run(t testing.TB, script string, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(input, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.node, script, input)
	cmd.Dir = d.Path
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.Bytes())
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("node %s printed %q: %v", script, stdout, err)
	}
}

// skipOrFail skips the test, unless it runs in CI (CI=true), where a
// missing tool must fail the build instead of silently skipping.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatalf("CI is set, so this check must run: "+format, args...)
	}
	t.Skipf(format, args...)
}
