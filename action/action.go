// Package action runs the operator's actions: commands that an ingest
// endpoint names ("action:NAME") instead of a URL, so that a webhook
// received by a source can trigger a CI build. It is the only place in
// Hookline that starts processes.
//
// Actions are defined only in a file on the server (serve --actions FILE,
// see Load); no API call creates or changes one. A command is an argv list
// run directly, never through a shell: values from the request reach it
// only as separate argv elements or environment variables, and its body on
// standard input.
package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/jsonpointer"
)

// Defaults and bounds of an action.
const (
	DefaultTimeout = 10 * time.Minute
	// MaxOutput caps the output (standard output and error together) kept
	// as the attempt's response.
	MaxOutput = 16 << 10
	// killWait is how long after its process group is killed the run waits
	// for the output pipes to close.
	killWait = 5 * time.Second
)

// Action is one action of the file.
type Action struct {
	Name string
	// Command is the program and its first arguments; Args are appended,
	// one argv element each, from the request (see Value).
	Command []string
	Args    []string
	// Env sets variables, each from the request (see Value).
	Env         map[string]string
	Workdir     string
	Timeout     time.Duration
	Concurrency int
	slots       chan struct{}
}

// Set is the actions of a file. Its methods are safe for concurrent use;
// a nil *Set defines no action.
type Set struct {
	actions map[string]*Action
	// path is the PATH the commands get (the server's), so that a command
	// named without a slash is found; no other variable of the server's
	// environment reaches them.
	path string
}

// Names lists the actions.
func (s *Set) Names() []string {
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s.actions))
	for n := range s.actions {
		out = append(out, n)
	}
	return out
}

// Has reports whether the set defines an action of this name.
func (s *Set) Has(name string) bool {
	return s.get(name) != nil
}

// get returns the action name, nil when there is none.
func (s *Set) get(name string) *Action {
	if s == nil {
		return nil
	}
	return s.actions[name]
}

// MaxTimeout is the longest timeout of the set's actions (0 for none).
func (s *Set) MaxTimeout() time.Duration {
	var m time.Duration
	if s == nil {
		return 0
	}
	for _, a := range s.actions {
		m = max(m, a.Timeout)
	}
	return m
}

// Acquire takes one of the action's Concurrency places, and reports false
// when all are taken. A name the set does not define is not refused here:
// Run says it is unknown.
func (s *Set) Acquire(name string) (release func(), ok bool) {
	a := s.get(name)
	if a == nil {
		return func() {}, true
	}
	select {
	case a.slots <- struct{}{}:
		return func() { <-a.slots }, true
	default:
		return nil, false
	}
}

// Run runs the action name for the delivery t: its command with Args
// appended, in Workdir, with the body of t's message on standard input and
// an environment of PATH, the action's Env and HOOKLINE_SOURCE_ID,
// HOOKLINE_MESSAGE_ID, HOOKLINE_DELIVERY_ID (the provider's id, empty when
// it gave none) and HOOKLINE_ATTEMPT. It returns the output (standard
// output and error together, capped at MaxOutput) and whether the command
// exited with status 0. Past its timeout, or when ctx ends, the command's
// whole process group is killed. The caller holds a place (Acquire).
func (s *Set) Run(ctx context.Context, name string, t *hookline.Task) (string, bool) {
	a := s.get(name)
	if a == nil {
		return fmt.Sprintf("not run: no action %q is defined (--actions)", name), false
	}
	body := []byte(t.Message.Payload)
	argv := append([]string(nil), a.Command...)
	for _, spec := range a.Args {
		argv = append(argv, Value(spec, t.Message.Headers, body))
	}
	env := []string{"PATH=" + s.path}
	for k, spec := range a.Env {
		env = append(env, k+"="+Value(spec, t.Message.Headers, body))
	}
	deliveryID := ""
	if t.Message.EventID != nil {
		deliveryID = *t.Message.EventID
	}
	env = append(env,
		"HOOKLINE_SOURCE_ID="+sourceID(&t.Message),
		"HOOKLINE_MESSAGE_ID="+t.Message.ID,
		"HOOKLINE_DELIVERY_ID="+deliveryID,
		"HOOKLINE_ATTEMPT="+strconv.Itoa(t.Delivery.Attempts+1),
	)
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.Dir, cmd.Stdin = env, a.Workdir, bytes.NewReader(body)
	out := &capped{max: MaxOutput}
	cmd.Stdout, cmd.Stderr = out, out
	inGroup(cmd)
	cmd.WaitDelay = killWait
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), true
	case ctx.Err() == context.DeadlineExceeded:
		return fmt.Sprintf("killed: no exit within %s\n%s", a.Timeout, out.String()), false
	case ctx.Err() != nil:
		return "killed: the server is shutting down\n" + out.String(), false
	case errors.As(err, &exit):
		return fmt.Sprintf("%s\n%s", exit.ProcessState.String(), out.String()), false
	}
	return "not run: " + err.Error(), false
}

// Value returns what spec names in a request: the value of a header
// ("header:X-GitHub-Event"), or of the body's JSON at a JSON pointer
// ("/repository/full_name"); empty when the request has none.
func Value(spec string, h http.Header, body []byte) string {
	if name, ok := strings.CutPrefix(spec, "header:"); ok {
		return h.Get(name)
	}
	v, _ := jsonpointer.Get(body, spec)
	return v
}

// sourceID returns the id of the source that received m: its tag (see
// ingest), or empty.
func sourceID(m *hookline.Message) string {
	for _, tag := range m.Tags {
		if strings.HasPrefix(tag, hookline.PrefixSource) {
			return tag
		}
	}
	return ""
}

// capped keeps the first max bytes written to it, and says how many more
// there were.
type capped struct {
	max     int
	buf     bytes.Buffer
	dropped int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
		c.dropped += max(0, len(p)-room)
	} else {
		c.dropped += len(p)
	}
	return len(p), nil
}

func (c *capped) String() string {
	if c.dropped > 0 {
		return c.buf.String() + fmt.Sprintf("\n[%d more bytes of output dropped]", c.dropped)
	}
	return c.buf.String()
}

// serverPath is the PATH commands get.
func serverPath() string {
	if p := os.Getenv("PATH"); p != "" {
		return p
	}
	return "/usr/local/bin:/usr/bin:/bin"
}
