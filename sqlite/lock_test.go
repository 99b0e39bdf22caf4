package sqlite_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlite"
)

// TestOneStorePerFile opens a database twice, by its path and by other
// names of it (a symbolic link to the file, one to its directory): each
// second Open is refused, naming this process, until the first Store is
// closed.
func TestOneStorePerFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hookline.db")
	s := open(t, path)
	link, dirLink := filepath.Join(t.TempDir(), "link.db"), filepath.Join(t.TempDir(), "dir")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, dirLink); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, link, filepath.Join(dirLink, "hookline.db")} {
		_, err := sqlite.Open(t.Context(), name)
		if !errors.Is(err, sqlite.ErrInUse) {
			t.Fatalf("second Open of %s: %v, want ErrInUse", name, err)
		}
		if want := fmt.Sprintf("%s is in use by process %d", name, os.Getpid()); err.Error() != want {
			t.Fatalf("second Open: %q, want %q", err, want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	open(t, path) // free again
}

func TestMustExist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookline.db")
	_, err := sqlite.Open(t.Context(), path, sqlite.MustExist())
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a missing file with MustExist: %v", err)
	}
	if files, _ := filepath.Glob(path + "*"); len(files) != 0 {
		t.Fatalf("a refused Open left files: %v", files)
	}
	open(t, path).Close()
	open(t, path, sqlite.MustExist())
}

// TestFileModes checks that a new database, its WAL, its shared memory and
// its lock file are readable by their owner only.
func TestFileModes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookline.db")
	s := open(t, path)
	if err := s.CreateApplication(t.Context(), &hookline.Application{Name: "modes"}); err != nil { // a write: the WAL exists
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(f), fi.Mode().Perm())
		}
	}
}
