//go:build !unix

package action

import "os/exec"

// inGroup leaves cmd as it is: where there are no process groups, only the
// command itself is killed when its context ends.
func inGroup(cmd *exec.Cmd) {}
