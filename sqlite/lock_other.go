//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package sqlite

import "os"

// tryLock takes no lock on systems without flock: there, keeping to one
// process per database file is the operator's job.
func tryLock(*os.File) (bool, error) { return true, nil }

// links returns 1: the number of hard links is not read on these systems.
func links(os.FileInfo) uint64 { return 1 }
