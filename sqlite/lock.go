package sqlite

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrInUse is the error of Open on a database file that a Store of another
// process, or of this one, has open: the file has one writer or none.
var ErrInUse = errors.New("sqlite: the database is in use")

// inUseError names the process that holds the database.
type inUseError struct {
	path string
	pid  int // 0: not known
}

func (e *inUseError) Error() string {
	if e.pid == 0 {
		return e.path + " is in use by another process"
	}
	return fmt.Sprintf("%s is in use by process %d", e.path, e.pid)
}

func (e *inUseError) Is(target error) bool { return target == ErrInUse }

// lockFile is the lock file of the database at abs: a file of its own
// beside the database, which SQLite never opens, so that the lock cannot
// interfere with SQLite's own locks on the database (POSIX record locks,
// which any close of the file by this process would drop).
func lockFile(abs string) string { return abs + ".lock" }

// lock takes the lock of the database at abs, which path names to the
// user, for as long as the returned file stays open: an OS lock, which the
// kernel releases when the process ends, however it ends. The lock file
// holds the pid of its holder, for the error of whoever finds it taken.
func lock(path, abs string) (*os.File, error) {
	f, err := os.OpenFile(lockFile(abs), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", lockFile(abs), err)
	}
	if !held {
		defer f.Close()
		data, _ := os.ReadFile(lockFile(abs))
		pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		return nil, &inUseError{path: path, pid: pid}
	}
	// The pid is for the error of others only: a failure to write it
	// loses nothing.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}
