package main

import (
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hookline/hookline/internal/wait"
)

// TestHealthWhileTheStoreCannotWrite runs serve in a child process, then
// lowers its file size limit (RLIMIT_FSIZE) to one byte, as a full disk
// would refuse it any more space: /api/v1/health answers 503 while the
// store cannot write, a message is refused, and once the limit is back,
// 204 again and messages are accepted.
func TestHealthWhileTheStoreCannotWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs child processes")
	}
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "hookline.db")
	const token = "hk_health_test_token_0123456789abcdef"
	c := startChild(t, bin, db, token, "--no-dispatch")
	health, send := healthProbes(t, c.url, token, 64<<10)
	if code := health(); code != 204 {
		t.Fatalf("health of a store that can write: %d", code)
	}

	pid := c.cmd.Process.Pid
	var old unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &old); err != nil {
		t.Fatal(err)
	}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: 1, Max: old.Max}, nil); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "health to answer 503", func() bool { return health() == 503 })
	if code := send(); code < 500 {
		t.Fatalf("a message to a store that cannot write got %d", code)
	}

	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &old, nil); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "health to answer 204 again", func() bool { return health() == 204 })
	if code := send(); code != 202 {
		t.Fatalf("a message once the store can write again got %d", code)
	}
}
