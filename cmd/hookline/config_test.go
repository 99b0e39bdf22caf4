package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/wait"
)

// runCommand runs 'hookline args...' in-process with the environment env
// and returns its exit code, stdout and stderr. It is for commands that
// end: a serve that starts although it should not is stopped after
// wait.Deadline.
func runCommand(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait.Deadline)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestServeHelp: --help (and -h) writes to stdout every flag with its
// variable, the variables without a flag, and the defaults as
// docs/configuration.md writes them.
func TestServeHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		code, out, errOut := runCommand(t, nil, "serve", arg)
		if code != 0 || errOut != "" {
			t.Fatalf("serve %s: exit %d, stderr %q; want 0 and the help on stdout", arg, code, errOut)
		}
		f := newServeFlags(func(string) string { return "" }, &serveConfig{})
		for _, fl := range f.flags {
			if !strings.Contains(out, "--"+fl.name+"  $"+fl.env) {
				t.Errorf("serve %s does not list --%s with $%s", arg, fl.name, fl.env)
			}
		}
		for _, want := range []string{
			"$HOOKLINE_ADMIN_TOKEN", "$HOOKLINE_SECRET_KEY", "$HOOKLINE_PREVIOUS_SECRET_KEYS",
			"OpenTelemetry variables", "$OTEL_EXPORTER_OTLP_ENDPOINT", "$OTEL_EXPORTER_OTLP_PROTOCOL", "$OTEL_TRACES_EXPORTER",
			"$OTEL_SDK_DISABLED", "docs/operations.md",
			"(default 1MiB)", "(default 15s)", "(default 24h)", "(default 120h)", "(default 5s,5m,30m,2h,5h,10h,10h)", "(default info)",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("serve %s does not show %q", arg, want)
			}
		}
	}
	// The defaults shown are the built-in ones, whatever the environment.
	_, out, _ := runCommand(t, map[string]string{"HOOKLINE_MAX_BODY": "2MiB"}, "serve", "--help")
	if !strings.Contains(out, "(default 1MiB)") {
		t.Error("with $HOOKLINE_MAX_BODY set, --help does not show the default 1MiB")
	}
}

// TestBadFlagPointsAtHelp: a bad flag or variable is reported on stderr in
// one line, followed by one line that points at --help; nothing more.
func TestBadFlagPointsAtHelp(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"serve", "--no-such-flag"}, "flag provided but not defined"},
		{nil, []string{"serve", "--max-body", "huge"}, `"huge" is not a size`},
		{map[string]string{"HOOKLINE_TIMEOUT": "soon"}, []string{"serve"}, `$HOOKLINE_TIMEOUT: "soon" is not a positive duration`},
		{nil, []string{"serve", "stray"}, `unexpected argument "stray"`},
		{nil, []string{"migrate", "--nope"}, "flag provided but not defined"},
		{map[string]string{"HOOKLINE_CREATE": "maybe"}, []string{"migrate"}, `$HOOKLINE_CREATE: "maybe" is not true or false`},
		{nil, []string{"token", "--nope"}, "flag provided but not defined"},
		{nil, []string{"rekey", "--nope"}, "flag provided but not defined"},
	} {
		code, out, errOut := runCommand(t, tc.env, tc.args...)
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		cmd := tc.args[0]
		if code != 2 || out != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], "hookline "+cmd+": ") ||
			!strings.Contains(lines[0], tc.want) || lines[1] != "Run 'hookline "+cmd+" --help' for its flags and environment variables." {
			t.Errorf("%v %v: exit %d, stdout %q, stderr %q; want 2, the error (%s) and a pointer to --help", tc.env, tc.args, code, out, errOut, tc.want)
		}
	}
}

// TestRetrySchedule: an empty --retry-schedule (or none) means no retries,
// not the default; an empty item or one that is not a delay is an error.
func TestRetrySchedule(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
		want []time.Duration
	}{
		{"", []string{"--retry-schedule", ""}, []time.Duration{}},
		{"", []string{"--retry-schedule", "none"}, []time.Duration{}},
		{"none", nil, []time.Duration{}},
		{"1s,2s", []string{"--retry-schedule", ""}, []time.Duration{}},
		{"", []string{"--retry-schedule", " 1s, 1m "}, []time.Duration{time.Second, time.Minute}},
	} {
		cfg, err := parseServeFlags(tc.args, func(k string) string {
			return map[string]string{"HOOKLINE_RETRY_SCHEDULE": tc.env}[k]
		})
		if err != nil {
			t.Errorf("$HOOKLINE_RETRY_SCHEDULE=%q %q: %v", tc.env, tc.args, err)
			continue
		}
		if cfg.Schedule == nil || !reflect.DeepEqual(cfg.Schedule, tc.want) {
			t.Errorf("$HOOKLINE_RETRY_SCHEDULE=%q %q: schedule %#v, want %#v", tc.env, tc.args, cfg.Schedule, tc.want)
		}
	}
	for _, bad := range []string{"5s,,5m", "5s,", "soon", "-5s", "none,5s"} {
		if _, err := parseServeFlags([]string{"--retry-schedule", bad}, func(string) string { return "" }); err == nil {
			t.Errorf("--retry-schedule %q was accepted", bad)
		}
	}
}

// TestNoRetries runs a real serve with --retry-schedule "": a delivery that
// fails once is failed, with one attempt.
func TestNoRetries(t *testing.T) {
	s := startServer(t, "--retry-schedule", "")
	ctx := context.Background()
	sx := s.client(t)
	rc := newHookReceiver(t, func(int) int { return 500 })
	app, err := sx.Application.Create(ctx, models.ApplicationIn{Name: "no retries"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sx.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: rc.URL}, nil); err != nil {
		t.Fatal(err)
	}
	msg, err := sx.Message.Create(ctx, app.Id, models.MessageIn{EventType: "a.b", Payload: map[string]any{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the delivery to fail", func() bool {
		out, err := sx.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, msg.Id, nil)
		return err == nil && len(out.Data) == 1 && out.Data[0].Status == models.MESSAGESTATUS_FAIL
	})
	if n := rc.count(); n != 1 {
		t.Fatalf("the receiver got %d attempts, want 1", n)
	}
}

// TestListFlagsReplaceVariables: --allow-port and --egress-ips given as
// flags replace their variables' items (and add up when repeated);
// --allow-network adds to its variable's, as docs/configuration.md says.
func TestListFlagsReplaceVariables(t *testing.T) {
	env := map[string]string{
		"HOOKLINE_ALLOW_PORT": "443,8443", "HOOKLINE_EGRESS_IPS": "203.0.113.5,203.0.113.6", "HOOKLINE_ALLOW_NETWORK": "10.0.0.0/8",
	}
	cfg, err := parseServeFlags([]string{
		"--allow-port", "9000", "--allow-port", "9001",
		"--egress-ips", "198.51.100.7",
		"--allow-network", "192.168.0.0/16",
	}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.AllowPorts, []int{9000, 9001}) {
		t.Errorf("allow ports %v, want [9000 9001]", cfg.AllowPorts)
	}
	if len(cfg.EgressIPs) != 1 || cfg.EgressIPs[0].String() != "198.51.100.7" {
		t.Errorf("egress IPs %v, want [198.51.100.7]", cfg.EgressIPs)
	}
	if len(cfg.AllowNetworks) != 2 {
		t.Errorf("allowed networks %v, want the variable's and the flag's", cfg.AllowNetworks)
	}
	cfg, err = parseServeFlags(nil, func(k string) string { return env[k] })
	if err != nil || !reflect.DeepEqual(cfg.AllowPorts, []int{443, 8443}) || len(cfg.EgressIPs) != 2 {
		t.Fatalf("from the variables alone: %v %v, %v", cfg.AllowPorts, cfg.EgressIPs, err)
	}
}

// TestAdminTokenTooShort: serve refuses a HOOKLINE_ADMIN_TOKEN shorter than
// 24 characters, before opening anything, and does not print it.
func TestAdminTokenTooShort(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hookline.db")
	short := strings.Repeat("k", minAdminTokenLen-1)
	code, out, errOut := runCommand(t, map[string]string{"HOOKLINE_ADMIN_TOKEN": short}, "serve", "--db", db, "--listen", "127.0.0.1:0")
	if code != 2 || out != "" || !strings.Contains(errOut, "$HOOKLINE_ADMIN_TOKEN has 23 characters; use 24 or more") {
		t.Fatalf("serve with a 23-character token: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if strings.Contains(errOut, short) {
		t.Error("the error shows the token")
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the refused start made the database: %v", err)
	}
	if _, err := parseServeFlags(nil, func(k string) string {
		return map[string]string{"HOOKLINE_ADMIN_TOKEN": strings.Repeat("k", minAdminTokenLen)}[k]
	}); err != nil {
		t.Errorf("a 24-character token: %v", err)
	}
}

// TestCreateFlag: migrate and token refuse a SQLite path where no file is,
// and make nothing there, unless --create (or $HOOKLINE_CREATE) says so.
func TestCreateFlag(t *testing.T) {
	for _, cmd := range []string{"migrate", "token"} {
		db := filepath.Join(t.TempDir(), "hookline.db")
		code, out, errOut := runCommand(t, nil, cmd, "--db", db)
		if code != 1 || out != "" || !strings.Contains(errOut, db) || !strings.Contains(errOut, "--create") {
			t.Errorf("%s on a missing file: exit %d, stdout %q, stderr %q; want 1 and a hint at --create", cmd, code, out, errOut)
		}
		if files, _ := filepath.Glob(db + "*"); len(files) != 0 {
			t.Errorf("%s on a missing file made %v", cmd, files)
		}
		if code, _, errOut := runCommand(t, nil, cmd, "--db", db, "--create"); code != 0 {
			t.Errorf("%s --create: exit %d: %s", cmd, code, errOut)
		}
		if _, err := os.Stat(db); err != nil {
			t.Errorf("%s --create: %v", cmd, err)
		}
		if code, _, errOut := runCommand(t, map[string]string{"HOOKLINE_CREATE": "true"}, cmd, "--db", db+"2"); code != 0 {
			t.Errorf("%s with $HOOKLINE_CREATE: exit %d: %s", cmd, code, errOut)
		}
		if code, _, errOut := runCommand(t, nil, cmd, "--db", db); code != 0 {
			t.Errorf("%s on the file --create made: exit %d: %s", cmd, code, errOut)
		}
	}
}
