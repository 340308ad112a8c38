package stitch

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/tile"
)

// killCase is the job the helper process runs: a slow model, so that the
// parent can kill it part of the way through the tiles.
func killCase(t *testing.T, delay time.Duration) (jobCase, tile.AnyFunc) {
	c := jobCases(t)[0]
	slow := func(ctx context.Context, ts []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		time.Sleep(delay)
		return c.fn(ctx, ts, crops)
	}
	return c, slow
}

// TestKillHelper is not a test: run by TestJobKillResume in a child
// process, it runs the job on the file store named by the environment
// until it is killed.
func TestKillHelper(t *testing.T) {
	dir := os.Getenv("STITCH_KILL_DIR")
	if dir == "" {
		t.Skip("helper process for TestJobKillResume")
	}
	c, slow := killCase(t, 30*time.Millisecond)
	j, err := NewJob(c.p, c.src, slow, c.opt, store.NewFile(dir), "scratch")
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Run(context.Background(), 2, 0, 1); err != nil {
		t.Fatal(err)
	}
}

// A job killed with SIGKILL part of the way through its tiles phase (a
// child process on a file store) and resumed here ends with the labels of
// a clean run, recomputing only the tiles whose records are missing.
func TestJobKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$")
	cmd.Env = append(os.Environ(), "STITCH_KILL_DIR="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := 0
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		m, _ := filepath.Glob(filepath.Join(dir, "scratch", "t", "*", "shared"))
		if done = len(m); done >= 6 {
			break
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	c, _ := killCase(t, 0)
	if done < 6 || done >= c.p.Len() {
		t.Fatalf("%d of %d tiles stored when killed", done, c.p.Len())
	}
	m, _ := filepath.Glob(filepath.Join(dir, "scratch", "t", "*", "shared"))
	var calls int
	count := func(ctx context.Context, ts []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		calls++
		return c.fn(ctx, ts, crops)
	}
	j, err := NewJob(c.p, c.src, count, c.opt, store.NewFile(dir), "scratch")
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Run(context.Background(), 1, 0, 1); err != nil {
		t.Fatal(err)
	}
	if calls != c.p.Len()-len(m) {
		t.Errorf("resumed run computed %d tiles, %d were missing", calls, c.p.Len()-len(m))
	}
	lab, err := j.Labels(context.Background(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := Map(context.Background(), c.p, c.src, c.fn, c.opt)
	if err != nil {
		t.Fatal(err)
	}
	if got := readChunks(t, lab, []int{9, 9, 9}); !bytes.Equal(anyBytes(t, got), anyBytes(t, want)) {
		t.Fatal("labels after kill and resume differ from a clean run's")
	}
	t.Logf("killed after %d of %d tiles", len(m), c.p.Len())
}
