//go:build unix

package child

import (
	"os/exec"
	"syscall"
)

// newGroup makes the child the leader of a new process group, so that
// signals reach everything it starts (the program behind /bin/sh -c, and
// that program's own workers).
func newGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends sig to the child's process group; hard selects
// SIGKILL, otherwise SIGTERM.
func signalGroup(cmd *exec.Cmd, hard bool) {
	sig := syscall.SIGTERM
	if hard {
		sig = syscall.SIGKILL
	}
	syscall.Kill(-cmd.Process.Pid, sig)
}
