//go:build unix

package main

import "syscall"

// fileLimit returns the process's limit of open files (its soft limit), and
// false when it cannot be read.
func fileLimit() (uint64, bool) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, false
	}
	return uint64(l.Cur), true
}
