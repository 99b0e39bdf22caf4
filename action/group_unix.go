//go:build unix

package action

import (
	"os/exec"
	"syscall"
)

// inGroup runs cmd in a process group of its own, all of which is killed
// when its context ends: the command's children too.
func inGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
