//go:build !linux

package sqlite

import "os"

// datasync flushes f to disk (F_FULLFSYNC on macOS).
func datasync(f *os.File) error { return f.Sync() }
