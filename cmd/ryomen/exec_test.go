package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ryomen-dev/ryomen/internal/testtool"
)

// runWithin is run with a deadline: a ryomen that hangs is killed and the
// test fails instead of hanging itself.
func runWithin(t *testing.T, d time.Duration, args ...string) (result, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	start := time.Now()
	cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("ryomen %s: still running after %v (killed)\n%s", strings.Join(args, " "), d, e.String())
	}
	return result{stdout: o.String(), stderr: e.String(), code: cmd.ProcessState.ExitCode()}, took
}

// server returns the shell command running child/testdata/child.py in
// mode, with the server's pid written to the returned file.
func server(t *testing.T, mode string) (cmdline, pidfile string) {
	t.Helper()
	py := testtool.PythonWith(t, "numpy")
	script, err := filepath.Abs("../../child/testdata/child.py")
	if err != nil {
		t.Fatal(err)
	}
	pidfile = filepath.Join(t.TempDir(), "pid")
	return fmt.Sprintf("RYOMEN_TEST_PIDFILE='%s' %s '%s' %s", pidfile, py, script, mode), pidfile
}

// assertGone fails unless the process in pidfile has ended (or is a
// zombie nobody reaped, common in containers without an init).
func assertGone(t *testing.T, pidfile string) {
	t.Helper()
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatalf("the server did not write its pid: %v", err)
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if i := bytes.LastIndexByte(st, ')'); err != nil || (i > 0 && i+2 < len(st) && st[i+2] == 'Z') {
			return
		}
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("model server %d still running after ryomen exited", pid)
}

// apply --exec with a model server that fails while handling large
// batches (4 crops of 16x96x96 uint16, 1.2 MB a request) exits 1 within
// seconds with the server's reason, and the server is dead afterwards.
// Before the fix, garbage, shape, dtype, error and hang never returned.
func TestExecFailuresLarge(t *testing.T) {
	cases := map[string][]string{
		"garbage": {"not a frame"},
		"exit":    {"exited", "requests unanswered", "giving up after request 0"},
		"midexit": {"in the middle of a response", "died mid-response"},
		"shape":   {"15 96 96], want [", "16 96 96]"},
		"dtype":   {"has dtype float64, want uint16"},
		"error":   {"request 0 failed: CUDA out of memory"},
		"hang":    {"no response within the timeout of 3s", "--exec-timeout", "model server: stuck"},
	}
	for mode, want := range cases {
		t.Run(mode, func(t *testing.T) {
			cmdline, pidfile := server(t, mode)
			out := filepath.Join(t.TempDir(), "out")
			r, took := runWithin(t, 60*time.Second, "apply", "--exec", cmdline, "--chunks", "16,96,96",
				"--halo", "0", "--batch", "4", "--exec-timeout", "3s", "synth:32x192x192?seed=2", out)
			if r.code != exitFailure {
				t.Errorf("exit %d, want %d", r.code, exitFailure)
			}
			for _, w := range want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, r.stderr)
				}
			}
			if took > 10*time.Second {
				t.Errorf("took %v", took)
			}
			assertGone(t, pidfile)
			t.Logf("%s: exit %d after %v", mode, r.code, took.Round(time.Millisecond))
		})
	}
}

// --halo 0, and 0 for some axes only, are accepted: the server doubles
// its input, and the output is exactly twice the input. Bad values are
// usage errors naming the flag.
func TestExecHaloZero(t *testing.T) {
	cmdline, _ := server(t, "double")
	src := "synth:20x30x40?seed=6"
	in := readOut(t, src)
	for _, halo := range []string{"0", "0,3,0", "2,0,1"} {
		out := filepath.Join(t.TempDir(), "out")
		mustRun(t, "apply", "--exec", cmdline, "--chunks", "8,16,16", "--halo", halo, "--batch", "3", src, out)
		got := readOut(t, out)
		if len(got) != len(in) {
			t.Fatalf("--halo %s: %d bytes out for %d in", halo, len(got), len(in))
		}
		for i := 0; i < len(in); i += 2 {
			v := uint16(in[i]) | uint16(in[i+1])<<8
			if w := uint16(got[i]) | uint16(got[i+1])<<8; w != 2*v {
				t.Fatalf("--halo %s: voxel %d: %d, want %d", halo, i/2, w, 2*v)
			}
		}
	}
	for _, halo := range []string{"-1", "x", "1,2", "1,,2"} {
		r := run(t, "apply", "--exec", cmdline, "--halo", halo, src, filepath.Join(t.TempDir(), "bad"))
		if r.code != exitUsage || !strings.Contains(r.stderr, "--halo") {
			t.Errorf("--halo %q: exit %d, stderr %q; want a usage error naming --halo", halo, r.code, r.stderr)
		}
	}
	if r := run(t, "apply", "--exec", cmdline, "--exec-timeout", "-1s", src, filepath.Join(t.TempDir(), "bad")); r.code != exitUsage {
		t.Errorf("--exec-timeout -1s: exit %d", r.code)
	}
}
