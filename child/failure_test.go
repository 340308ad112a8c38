package child

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ryomen-dev/ryomen/nd"
)

// bigBatch is a batch of 4 crops of 16x96x96 float32, 576 KiB: far more
// than a pipe buffer, so a child writing a response of this size blocks
// until someone reads it.
func bigBatch() nd.Any {
	a := nd.New[float32]([]int{4, 16, 96, 96}, nd.C)
	for i := range a.Data() {
		a.Data()[i] = float32(i % 1000)
	}
	return a
}

// startServer runs testdata/child.py in mode through /bin/sh -c with a
// command after it, so that the Python server is a grandchild, as with
// `ryomen apply --exec`. It returns the process and the file in which
// the server writes its pid.
func startServer(t *testing.T, ctx context.Context, mode string, opt Options) (*Process, string) {
	t.Helper()
	pidfile := filepath.Join(t.TempDir(), "pid")
	script := fmt.Sprintf("RYOMEN_TEST_PIDFILE='%s' %s testdata/child.py %s; echo server ended >&2", pidfile, python(t), mode)
	return startArgv(t, ctx, []string{"/bin/sh", "-c", script}, opt), pidfile
}

// startDirect runs the server as the direct child, so that signals reach
// it rather than a shell.
func startDirect(t *testing.T, mode string, opt Options) (*Process, string) {
	t.Helper()
	pidfile := filepath.Join(t.TempDir(), "pid")
	argv := []string{"/usr/bin/env", "RYOMEN_TEST_PIDFILE=" + pidfile, python(t), "testdata/child.py", mode}
	return startArgv(t, context.Background(), argv, opt), pidfile
}

func startArgv(t *testing.T, ctx context.Context, argv []string, opt Options) *Process {
	t.Helper()
	opt.Stderr = testWriter{t}
	p, err := Start(ctx, argv, opt)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// serverPID reads the pid the server wrote at start-up.
func serverPID(t *testing.T, pidfile string) int {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(pidfile); err == nil && len(b) > 0 {
			pid, err := strconv.Atoi(string(b))
			if err != nil {
				t.Fatalf("pid file %s: %v", pidfile, err)
			}
			return pid
		}
	}
	t.Fatalf("the server never wrote %s", pidfile)
	return 0
}

// dead reports whether pid no longer runs (gone, or a zombie nobody has
// reaped yet, which is common in containers without an init).
func dead(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] == 'Z'
}

func assertDead(t *testing.T, pid int) {
	t.Helper()
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if dead(pid) {
			return
		}
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("server process %d still running", pid)
}

// callMany sends 12 big batches from 4 goroutines and returns every
// call's error.
func callMany(p *Process) []error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	batch := bigBatch()
	for range 4 {
		wg.Go(func() {
			for range 3 {
				_, err := p.Call(context.Background(), Request{Batch: [][]int{{0}, {1}, {2}, {3}}}, batch, nd.Float32)
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errs
}

// A child that misbehaves while sending large responses makes every call
// and Close fail within seconds with its reason, and the server (a
// grandchild, behind /bin/sh) is killed. Before the fix, garbage, shape,
// dtype, error and hang all blocked forever.
func TestLargeFailures(t *testing.T) {
	cases := map[string][]string{
		"garbage": {"not a frame", `"hello, I"`},
		"exit":    {"exited", "2 requests unanswered", "giving up after request 0"},
		"midexit": {"in the middle of a response", "died mid-response"},
		"shape":   {"has shape [4 15 96 96], want [4 16 96 96]"},
		"dtype":   {"has dtype float64, want float32"},
		"error":   {"request 0 failed: CUDA out of memory"},
		"hang":    {"request 0: no response within the timeout of 2s", "model server: stuck"},
	}
	for mode, want := range cases {
		t.Run(mode, func(t *testing.T) {
			start := time.Now()
			p, pidfile := startServer(t, context.Background(), mode, Options{Timeout: 2 * time.Second, Grace: time.Second})
			pid := serverPID(t, pidfile)
			done := make(chan []error, 1)
			go func() { done <- append(callMany(p), p.Close()) }()
			var errs []error
			select {
			case errs = <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("hung: no result after 20s")
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
			for i, err := range errs {
				for _, w := range want {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Fatalf("error %d of %d: %v; want it to contain %q", i, len(errs), err, w)
					}
				}
			}
			if mode == "hang" && !errors.Is(errs[0], ErrTimeout) {
				t.Errorf("%v does not wrap ErrTimeout", errs[0])
			}
			assertDead(t, pid)
			t.Logf("%v: %v", time.Since(start).Round(time.Millisecond), errs[0])
		})
	}
}

// A child that ignores stdin EOF and SIGTERM is killed by Close after two
// grace periods, and Close says so.
func TestCloseLinger(t *testing.T) {
	p, pidfile := startDirect(t, "linger", Options{Grace: 300 * time.Millisecond})
	pid := serverPID(t, pidfile)
	if _, err := p.Call(context.Background(), Request{Batch: [][]int{{0}}}, mustStack(t, ramp([]int{6, 7})), nd.Uint16); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := p.Close()
	if d := time.Since(start); d < 600*time.Millisecond || d > 5*time.Second {
		t.Errorf("Close took %v, want about two grace periods", d)
	}
	if err == nil || !strings.Contains(err.Error(), "sent it SIGTERM and then SIGKILL") {
		t.Errorf("Close: %v", err)
	}
	assertDead(t, pid)
}

// The timeout bounds each response, not the whole pipeline: a server
// that needs 1 s per batch passes under a 1.5 s timeout with two requests
// in flight, though the second response comes 2 s after its request.
func TestTimeoutPerResponse(t *testing.T) {
	t.Setenv("RYOMEN_TEST_DELAY", "1.0")
	p, pidfile := startServer(t, context.Background(), "slow", Options{Timeout: 1500 * time.Millisecond, Inflight: 2})
	serverPID(t, pidfile) // started and imported numpy
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			for range 2 {
				crop := ramp([]int{6, 7})
				res, err := p.Call(context.Background(), Request{Batch: [][]int{{i}}}, mustStack(t, crop), nd.Uint16)
				if err != nil {
					t.Error(err)
					return
				}
				if got := res.(*nd.Array[uint16]).Data()[5]; got != 2*crop.Data()[5] {
					t.Errorf("voxel 5: %d", got)
				}
			}
		})
	}
	wg.Wait()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

// Cancelling Start's context kills the child and fails the call waiting
// on it.
func TestContextKills(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p, pidfile := startServer(t, ctx, "hang", Options{})
	pid := serverPID(t, pidfile)
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err := p.Call(context.Background(), Request{Batch: [][]int{{0}}}, mustStack(t, ramp([]int{6, 7})), nd.Uint16)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if err := p.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close: %v", err)
	}
	assertDead(t, pid)
}
