//go:build !unix

package child

import "os/exec"

// newGroup does nothing where there are no process groups.
func newGroup(cmd *exec.Cmd) {}

// signalGroup kills the child itself; there is no gentler signal or group
// to reach here.
func signalGroup(cmd *exec.Cmd, hard bool) {
	cmd.Process.Kill()
}
