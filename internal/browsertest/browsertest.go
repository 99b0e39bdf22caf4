// Package browsertest runs tests of Hookline's pages in a real headless
// Chromium (Debian's chromium package), driven over the DevTools protocol
// with chromedp.
//
// Without a browser the tests that need one are skipped, except under CI
// (CI=true), where they fail: CI must not pass without having run them
// (.ci/run installs chromium when it is missing).
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Timeout bounds each test's use of the browser.
const Timeout = 3 * time.Minute

// Browser is a headless Chromium with a fresh profile, for one test.
type Browser struct {
	t    testing.TB
	root context.Context // the first tab, which started the browser

	mu     sync.Mutex
	errors []string
}

// Path returns the Chromium to run: $HOOKLINE_CHROMIUM, or chromium or
// chromium-browser on PATH; "" when there is none.
func Path() string {
	if p := os.Getenv("HOOKLINE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts a browser for t, which closes it when t ends.
func New(t testing.TB) *Browser {
	t.Helper()
	path := Path()
	if path == "" {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal("CI is set, so the browser tests must run: no chromium on PATH (apt-get install chromium)")
		}
		t.Skip("no chromium on PATH (apt-get install chromium): the browser tests are skipped")
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.WindowSize(1280, 900),
	)
	root, cancelRoot := chromedp.NewContext(alloc)
	b := &Browser{t: t, root: root}
	t.Cleanup(func() {
		cancelRoot()
		cancelAlloc()
		cancel()
	})
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return b
}

// Tab opens a new tab, with a session storage of its own. Console errors
// and warnings, uncaught exceptions and the browser's log of its pages
// (where Content-Security-Policy violations go) are kept for Errors.
func (b *Browser) Tab() context.Context {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.root)
	b.t.Cleanup(cancel)
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeWarning {
				return
			}
			parts := []string{}
			for _, a := range ev.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			msg = "console: " + strings.Join(parts, " ")
		case *log.EventEntryAdded:
			if ev.Entry.Level != log.EntryLevelError && ev.Entry.Level != log.EntryLevelWarning {
				return
			}
			msg = "log: " + string(ev.Entry.Source) + ": " + ev.Entry.Text
		default:
			return
		}
		b.mu.Lock()
		b.errors = append(b.errors, msg)
		b.mu.Unlock()
	})
	if err != nil {
		b.t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// Errors returns the uncaught exceptions, console errors and warnings, and
// the log errors and warnings the pages of every tab had so far.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// Do runs steps in the tab, failing t when one fails.
func Do(t testing.TB, tab context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	Get(t, tab, chromedp.Steps(steps...))
}

// Get runs a in the tab and returns its value, failing t when it fails.
func Get[T any](t testing.TB, tab context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// Phone makes the tab's viewport a phone's (390×844 CSS pixels, touch)
// until Desktop.
func Phone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)
}

// Desktop undoes Phone.
func Desktop() chromedp.Action[chromedp.Void] { return chromedp.ResetViewport() }

// Screenshot saves a PNG of the whole page into dir/name, when dir is not
// empty (the tests' -screenshots flag names it).
func Screenshot(dir, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if dir == "" {
			return nil
		}
		png, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			return fmt.Errorf("screenshot: %w", err)
		}
		return nil
	})
}
