package egress

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hookline/hookline/internal/wait"
)

// The proxy tests run a real proxy in a separate process: the test binary
// itself, started again with proxyEnv set, serves HTTP CONNECT and SOCKS5 on
// one port of 127.0.0.1 instead of running the tests. It writes "LISTEN
// addr" first, then one line per tunnel it is asked for ("CONNECT target",
// "SOCKS5 target", "AUTHFAIL kind"), and exits when its stdin closes.
const (
	proxyEnv     = "HOOKLINE_EGRESS_TEST_PROXY"
	proxyAuthEnv = "HOOKLINE_EGRESS_TEST_PROXY_AUTH" // user:password the proxy requires
)

// TestMain runs the test proxy when proxyEnv is set, and otherwise the
// tests, which fail when they leave a goroutine running.
func TestMain(m *testing.M) {
	if os.Getenv(proxyEnv) != "" {
		os.Exit(runTestProxy(os.Getenv(proxyAuthEnv)))
	}
	goleak.VerifyTestMain(m)
}

func runTestProxy(auth string) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	say("LISTEN %s", ln.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return 1
		}
		go serveProxyConn(c, auth, say)
	}
}

func serveProxyConn(c net.Conn, auth string, say func(string, ...any)) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	first, err := br.Peek(1)
	if err != nil {
		return
	}
	var target string
	if first[0] == 5 {
		target = socksHandshake(c, br, auth, say)
	} else {
		target = connectHandshake(c, br, auth, say)
	}
	if target == "" {
		return
	}
	up, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	if first[0] == 5 {
		c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	} else {
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	}
	c.SetDeadline(time.Time{})
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, br); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
}

func connectHandshake(c net.Conn, br *bufio.Reader, auth string, say func(string, ...any)) string {
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		return ""
	}
	if auth != "" {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(auth))
		if req.Header.Get("Proxy-Authorization") != want {
			say("AUTHFAIL connect")
			io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n")
			return ""
		}
	}
	say("CONNECT %s", req.Host)
	return req.Host
}

func socksHandshake(c net.Conn, br *bufio.Reader, auth string, say func(string, ...any)) string {
	var head [2]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return ""
	}
	methods := make([]byte, head[1])
	if _, err := io.ReadFull(br, methods); err != nil {
		return ""
	}
	want := byte(0)
	if auth != "" {
		want = 2
	}
	if !strings.Contains(string(methods), string([]byte{want})) {
		c.Write([]byte{5, 0xff})
		say("AUTHFAIL socks-method")
		return ""
	}
	c.Write([]byte{5, want})
	if auth != "" {
		var v [2]byte
		io.ReadFull(br, v[:])
		user := make([]byte, v[1])
		io.ReadFull(br, user)
		var l [1]byte
		io.ReadFull(br, l[:])
		pass := make([]byte, l[0])
		io.ReadFull(br, pass)
		if string(user)+":"+string(pass) != auth {
			c.Write([]byte{1, 1})
			say("AUTHFAIL socks")
			return ""
		}
		c.Write([]byte{1, 0})
	}
	var req [4]byte
	if _, err := io.ReadFull(br, req[:]); err != nil || req[1] != 1 {
		return ""
	}
	var ip netip.Addr
	switch req[3] {
	case 1:
		var b [4]byte
		io.ReadFull(br, b[:])
		ip = netip.AddrFrom4(b)
	case 4:
		var b [16]byte
		io.ReadFull(br, b[:])
		ip = netip.AddrFrom16(b)
	default: // a name: the client must never ask for one
		say("SOCKS5 by-name")
		c.Write([]byte{5, 8, 0, 1, 0, 0, 0, 0, 0, 0})
		return ""
	}
	var p [2]byte
	io.ReadFull(br, p[:])
	target := netip.AddrPortFrom(ip, binary.BigEndian.Uint16(p[:])).String()
	say("SOCKS5 %s", target)
	return target
}

// testProxy is a running proxy process.
type testProxy struct {
	addr  string
	mu    sync.Mutex
	lines []string
}

// startProxy starts the proxy process; auth, when not empty, is the
// user:password it requires.
func startProxy(t *testing.T, auth string) *testProxy {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), proxyEnv+"=1", proxyAuthEnv+"="+auth)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close() // the proxy exits when its stdin closes
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "LISTEN ") {
		t.Fatalf("proxy did not start: %q", sc.Text())
	}
	p := &testProxy{addr: strings.TrimPrefix(sc.Text(), "LISTEN ")}
	go func() {
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
	}()
	return p
}

// log returns the lines the proxy wrote after LISTEN.
func (p *testProxy) log() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// waitLog waits until the proxy wrote n lines and returns them.
func (p *testProxy) waitLog(t *testing.T, n int) []string {
	t.Helper()
	wait.For(t, fmt.Sprintf("%d proxy log lines", n), func() bool { return len(p.log()) >= n })
	return p.log()
}
