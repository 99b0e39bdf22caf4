//go:build !linux

package bench

import (
	"errors"
	"syscall"
	"time"
)

const procSupported = false

var errNoProc = errors.New("bench: process statistics need Linux /proc")

func procMemory(pid int) (rss, hwm int64, err error) { return 0, 0, errNoProc }

func procCPU(pid int) (time.Duration, error) { return 0, errNoProc }

func childAttr() *syscall.SysProcAttr { return nil }
