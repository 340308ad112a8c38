package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/ryomen-dev/ryomen/internal/testtool"
)

// Regression tests for issue 9: the CLI never destroys its input, never
// replaces what it does not own, and never presents a mixed or partial
// output as complete.

const safeSrc = "synth:32x48x48?seed=1"

var safeArgs = []string{"--levels", "2", "--factor", "2,2,2", "--chunks", "16,16,16"}

func pyr(extra ...string) []string { return append(append([]string{"pyramid"}, safeArgs...), extra...) }

// dataTree is tree without our bookkeeping: what a reader sees.
func dataTree(t *testing.T, dir string) map[string][]byte {
	m := tree(t, dir)
	for k := range m {
		if strings.HasPrefix(k, ".ryomen/") || strings.Contains(k, "/.ryomen/") {
			delete(m, k)
		}
	}
	return m
}

func equalTrees(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// Defect 1: OUT is IN, contains IN or lies inside IN, however spelled.
func TestInPlaceRefused(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.zarr")
	mustRun(t, pyr(safeSrc, a)...)
	before := tree(t, a)
	if err := os.Symlink(a, filepath.Join(dir, "link.zarr")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	cases := [][2]string{
		{a, a}, {"a.zarr", "./a.zarr/"}, {a, "link.zarr"}, {"link.zarr", a},
		{a, "file://" + a}, {a, filepath.Join(a, "0")}, {filepath.Join(a, "0"), a},
		{filepath.Join(a, "0"), filepath.Join(a, "0", "more")}, {"a.zarr/1", "link.zarr/1"},
	}
	for _, c := range cases {
		for _, cmd := range [][]string{pyr("--overwrite", c[0], c[1]), {"convert", "--overwrite", c[0], c[1]}, {"apply", "--overwrite", "--op", "threshold", c[0], c[1]}} {
			r := run(t, cmd...)
			if r.code != exitUsage || !strings.Contains(r.stderr, "overlaps the input") {
				t.Errorf("%v: exit %d, %s", cmd, r.code, r.stderr)
			}
		}
	}
	if !equalTrees(before, tree(t, a)) {
		t.Fatal("the input changed")
	}
	// A TIFF input written over by a TIFF output.
	tif := filepath.Join(dir, "in.tif")
	mustRun(t, "convert", "synth:4x16x16", tif)
	tb, _ := os.ReadFile(tif)
	if r := run(t, "convert", "--overwrite", tif, "./in.tif"); r.code != exitUsage {
		t.Errorf("TIFF onto itself: exit %d %s", r.code, r.stderr)
	}
	if ta, _ := os.ReadFile(tif); !bytes.Equal(ta, tb) {
		t.Fatal("the TIFF input changed")
	}
}

// Defect 1 on S3: the same bucket and prefix, spelled with and without a
// trailing slash.
func TestInPlaceRefusedS3(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("lab"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	env := append(os.Environ(), "AWS_ENDPOINT_URL="+srv.URL, "AWS_ACCESS_KEY_ID=id", "AWS_SECRET_ACCESS_KEY=secret", "AWS_REGION=us-east-1")
	runEnv := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	if code, out := runEnv(pyr(safeSrc, "s3://lab/img.zarr")...); code != 0 {
		t.Fatal(out)
	}
	for _, out := range []string{"s3://lab/img.zarr/", "s3://lab/img.zarr/0", "s3://lab/"} {
		if code, msg := runEnv(pyr("--overwrite", "s3://lab/img.zarr", out)...); code != exitUsage || !strings.Contains(msg, "overlaps the input") {
			t.Errorf("s3 in place (%s): exit %d %s", out, code, msg)
		}
	}
	if code, msg := runEnv("info", "s3://lab/img.zarr"); code != 0 || !strings.Contains(msg, "OME-Zarr") {
		t.Fatalf("input damaged: %s", msg)
	}
}

// Defect 2: any existing Zarr node, or any file at all, is not replaced
// without --overwrite, and the error names the output.
func TestExistingNotReplaced(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "x.zarr")
	mustRun(t, "convert", "--chunks", "16,16,16", safeSrc, x)
	arr := filepath.Join(x, "0") // a plain Zarr v3 array
	b := filepath.Join(dir, "b.zarr")
	mustRun(t, "convert", "--chunks", "16,16,16", "synth:16x16x16?seed=4", b)
	user := filepath.Join(dir, "user")
	os.MkdirAll(user, 0o755)
	os.WriteFile(filepath.Join(user, "notes.txt"), []byte("mine"), 0o644)
	for _, out := range []string{b, filepath.Join(b, "0"), user} {
		before := tree(t, out)
		for _, cmd := range [][]string{pyr(arr, out), {"convert", arr, out}} {
			r := run(t, cmd...)
			if r.code != exitExists || !strings.Contains(r.stderr, out) || strings.Contains(r.stderr, `""`) {
				t.Errorf("%v: exit %d %s", cmd, r.code, r.stderr)
			}
		}
		if !equalTrees(before, tree(t, out)) {
			t.Errorf("%s changed", out)
		}
	}
	// A file where a directory output should go.
	f := filepath.Join(dir, "file.zarr")
	os.WriteFile(f, []byte("data"), 0o644)
	if r := run(t, pyr("--overwrite", safeSrc, f)...); r.code != exitExists {
		t.Errorf("file as output: exit %d %s", r.code, r.stderr)
	}
}

// Defect 5: --overwrite deletes only what a Zarr hierarchy owns and
// refuses, naming the file, when anything else is there.
func TestOverwriteKeepsUserFiles(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "proj")
	mustRun(t, pyr(safeSrc, out)...)
	os.MkdirAll(filepath.Join(out, "2024"), 0o755)
	thesis := filepath.Join(out, "2024", "thesis.txt")
	os.WriteFile(thesis, []byte("four years"), 0o644)
	note := filepath.Join(out, "0", "c", "NOTE")
	os.WriteFile(note, []byte("x"), 0o644)
	before := tree(t, out)
	r := run(t, pyr("--overwrite", "synth:32x48x48?seed=2", out)...)
	if r.code != exitExists || !strings.Contains(r.stderr, "thesis.txt") && !strings.Contains(r.stderr, "NOTE") {
		t.Fatalf("overwrite over user files: exit %d %s", r.code, r.stderr)
	}
	if !equalTrees(before, tree(t, out)) {
		t.Fatal("refused overwrite changed the output")
	}
	os.Remove(thesis)
	os.Remove(note)
	mustRun(t, pyr("--overwrite", "synth:32x48x48?seed=2", out)...)
	ref := filepath.Join(dir, "ref")
	mustRun(t, pyr("synth:32x48x48?seed=2", ref)...)
	if !equalTrees(dataTree(t, ref), dataTree(t, out)) {
		t.Fatal("overwritten output differs from a fresh build")
	}
}

// Defect 4: resuming with another input of the same shape and dtype is
// refused, saying what differs; two unrelated runs started at once on one
// output never both succeed, and the survivor's output is its own.
func TestMixedRunsRefused(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	big := []string{"pyramid", "--workers", "1", "--levels", "2", "--chunks", "16,16,16"}
	killAfterMarkers(t, append(big, "synth:64x128x128?seed=1", out), out, 5)
	r := run(t, append(big, "--resume", "synth:64x128x128?seed=2", out)...)
	if r.code != exitExists || !strings.Contains(r.stderr, "seed=1, now synth:64x128x128?seed=2") {
		t.Fatalf("resume with another input: exit %d %s", r.code, r.stderr)
	}
	// Another Zarr input of the same shape: the fingerprint differs.
	in1, in2 := filepath.Join(dir, "in1"), filepath.Join(dir, "in2")
	mustRun(t, "convert", "--chunks", "16,16,16", "synth:64x128x128?seed=3", in1)
	out2 := filepath.Join(dir, "out2")
	killAfterMarkers(t, append(big, in1, out2), out2, 5)
	mustRun(t, "convert", "--overwrite", "--chunks", "16,16,16", "synth:64x128x128?seed=4", in1)
	_ = in2
	if r := run(t, append(big, "--resume", in1, out2)...); r.code != exitExists || !strings.Contains(r.stderr, "changed since") {
		t.Fatalf("resume after the input changed: exit %d %s", r.code, r.stderr)
	}
	// Two unrelated runs at once.
	for try := range 10 {
		o := filepath.Join(dir, fmt.Sprintf("race%d", try))
		var wg sync.WaitGroup
		res := make([]result, 2)
		for k := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[k] = run(t, pyr(fmt.Sprintf("synth:32x48x48?seed=%d", 10+k), o)...)
			}()
		}
		wg.Wait()
		won := -1
		for k, r := range res {
			switch r.code {
			case 0:
				if won >= 0 {
					t.Fatalf("try %d: both runs succeeded", try)
				}
				won = k
			case exitExists:
			default:
				t.Fatalf("try %d: exit %d %s", try, r.code, r.stderr)
			}
		}
		if won < 0 {
			t.Fatalf("try %d: neither run succeeded: %s | %s", try, res[0].stderr, res[1].stderr)
		}
		ref := filepath.Join(dir, fmt.Sprintf("ref%d", try))
		mustRun(t, pyr(fmt.Sprintf("synth:32x48x48?seed=%d", 10+won), ref)...)
		if !equalTrees(dataTree(t, ref), dataTree(t, o)) {
			t.Fatalf("try %d: the output mixes two runs", try)
		}
	}
}

// killAfterMarkers starts args and SIGKILLs it once n task markers exist.
func killAfterMarkers(t *testing.T, args []string, out string, n int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for countFiles(filepath.Join(out, ".ryomen", "tasks")) < n {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no progress")
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

func countFiles(dir string) int {
	n := 0
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// Defect 9: --resume of a finished output exits 0 saying so; a killed
// run's temporary files are cleaned when the next run starts; the error
// for an existing output names it.
func TestResumeFinishedAndTempFiles(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	mustRun(t, pyr(safeSrc, out)...)
	r := mustRun(t, pyr("--resume", safeSrc, out)...)
	if !strings.Contains(r.stdout, "already complete") {
		t.Fatalf("resume of a finished output: %s", r.stdout)
	}
	// A temporary file of a writer that died (PID of a finished process).
	dead := exec.Command("true")
	dead.Run()
	stale := filepath.Join(out, "0", "c", fmt.Sprintf(".tmp-%d-%s-0000000000000001", dead.ProcessState.Pid(), hostTagForTest()))
	os.WriteFile(stale, []byte("torn"), 0o644)
	killAfterMarkers(t, pyr("--overwrite", "--workers", "1", safeSrc, out), out, 1)
	mustRun(t, pyr("--resume", safeSrc, out)...)
	if _, err := os.Stat(stale); err == nil {
		t.Fatal("a dead writer's temporary file survived the next run")
	}
}

// hostTagForTest is the host tag the store's temporary files carry (8
// hex digits of the FNV-1a hash of the host name).
func hostTagForTest() string {
	h, _ := os.Hostname()
	f := fnv.New32a()
	f.Write([]byte(h))
	return fmt.Sprintf("%08x", f.Sum32())
}

// The completed output is made durable: the run calls syncfs (or fsync)
// before it writes the final metadata.
func TestDurableOutput(t *testing.T) {
	strace := testtool.Command(t, "strace")
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(strace, "-f", "-c", "-e", "trace=fsync,fdatasync,syncfs,sync", bin, "pyramid", "--levels", "2", "--chunks", "16,16,16", safeSrc, out)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if !strings.Contains(string(b), "syncfs") {
		t.Fatalf("no syncfs call:\n%s", b)
	}
}

// The kill test: runs are killed at random points while overwriting,
// while resuming and around the final metadata write. After each kill a
// reader sees either the complete, bit-exact output, or one that info,
// zarr-python and --resume all recognise as incomplete.
func TestKillAnywhere(t *testing.T) {
	dir := t.TempDir()
	src := "synth:32x64x64?seed=7"
	args := []string{"pyramid", "--ome-version", "0.4", "--workers", "2", "--levels", "3", "--factor", "2,2,2", "--chunks", "8,16,16"}
	ref := filepath.Join(dir, "ref")
	start := time.Now()
	mustRun(t, append(args, src, ref)...)
	took := time.Since(start)
	want := dataTree(t, ref)
	rng := rand.New(rand.NewPCG(1, 2))
	var incomplete []string
	out := filepath.Join(dir, "out")
	mustRun(t, append(args, src, out)...)
	for trial := range 24 {
		mode := []string{"--overwrite", "--resume"}[trial%2]
		if mode == "--resume" && trial%4 == 1 {
			// Start a run to resume: an overwrite killed early.
			killAt(t, append(args, "--overwrite", src, out), time.Duration(rng.Int64N(int64(took))))
		}
		// Kill anywhere in the run, including its last moments, when
		// the metadata is written.
		d := time.Duration(rng.Int64N(int64(took) * 5 / 4))
		killAt(t, append(args, mode, src, out), d)
		r := run(t, "--json", "info", out)
		var inf struct {
			Complete bool `json:"complete"`
		}
		json.Unmarshal([]byte(r.stdout), &inf)
		complete := r.code == 0 && inf.Complete && strings.Contains(r.stdout, `"levels"`)
		if complete {
			if !equalTrees(want, dataTree(t, out)) {
				t.Fatalf("trial %d (%s killed at %v): info says complete but the output differs from the reference", trial, mode, d)
			}
			continue
		}
		snap, work := filepath.Join(dir, fmt.Sprintf("snap%d", trial)), filepath.Join(dir, fmt.Sprintf("work%d", trial))
		for _, d := range []string{snap, work} {
			if err := exec.Command("cp", "-a", out, d).Run(); err != nil {
				t.Fatal(err)
			}
		}
		incomplete = append(incomplete, snap)
		rr := run(t, append(args, "--resume", src, work)...)
		if strings.Contains(rr.stdout, "already complete") {
			t.Fatalf("trial %d: --resume calls an incomplete output complete", trial)
		}
		if rr.code == 0 && !equalTrees(want, dataTree(t, work)) {
			t.Fatalf("trial %d: resumed output differs from the reference", trial)
		}
		if rr.code != 0 && rr.code != exitExists {
			t.Fatalf("trial %d: resume: exit %d %s", trial, rr.code, rr.stderr)
		}
	}
	t.Logf("%d of 24 kills left an incomplete output", len(incomplete))
	if len(incomplete) == 0 {
		t.Fatal("no kill landed mid-run: the test proves nothing")
	}
	// zarr-python: none of the incomplete snapshots opens as a
	// multiscale image.
	checkZarrPythonIncomplete(t, incomplete)
}

// checkZarrPythonIncomplete asserts zarr-python sees no multiscales in
// any of dirs (as a group without them, or as no group at all).
func checkZarrPythonIncomplete(t *testing.T, dirs []string) {
	py := testtool.PythonWith(t, "zarr")
	script := `import sys, zarr
for d in sys.argv[1:]:
    try:
        g = zarr.open_group(d, mode="r")
        ok = "multiscales" in g.attrs
    except Exception as e:
        ok = False
    print(d, "complete" if ok else "incomplete")`
	out, err := exec.Command(py, append([]string{"-c", script}, dirs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("zarr-python: %v\n%s", err, out)
	}
	if strings.Count(string(out), " incomplete") != len(dirs) {
		t.Fatalf("zarr-python reads an incomplete output as an image:\n%s", out)
	}
}

// killAt runs args and SIGKILLs it after d (or lets it finish first).
func killAt(t *testing.T, args []string, d time.Duration) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// Defect 3: an --overwrite killed while it deletes the old output leaves
// nothing that info or --resume calls complete.
func TestKilledOverwriteNotComplete(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	args := []string{"pyramid", "--levels", "2", "--codec", "none", "--chunks", "4,16,16"}
	mustRun(t, append(args, "synth:64x128x128?seed=1", out)...)
	n0 := countFiles(out)
	cmd := exec.Command(bin, append(args, "--overwrite", "synth:64x128x128?seed=2", out)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for countFiles(out) > n0*9/10 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the overwrite deleted nothing")
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	r := run(t, "--json", "info", out)
	if strings.Contains(r.stdout, `"complete": true`) {
		t.Fatalf("a half-deleted output reports complete:\n%s", r.stdout)
	}
	rr := run(t, append(args, "--resume", "synth:64x128x128?seed=1", out)...)
	if strings.Contains(rr.stdout, "already complete") {
		t.Fatal("--resume calls a half-deleted output complete")
	}
}

// Defect 4 for apply: resuming with another operation parameter is
// refused (the results of two sigmas would mix).
func TestApplyResumeOtherParams(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"apply", "--workers", "1", "--chunks", "8,16,16", "--op", "gaussian"}
	killAfterMarkers(t, append(args, "--sigma", "1", "synth:64x128x128?seed=1", out), out, 3)
	r := run(t, append(args, "--sigma", "2", "--resume", "synth:64x128x128?seed=1", out)...)
	if r.code != exitExists || !strings.Contains(r.stderr, `"sigma":"1"`) {
		t.Fatalf("resume with another sigma: exit %d %s", r.code, r.stderr)
	}
	mustRun(t, append(args, "--sigma", "1", "--resume", "synth:64x128x128?seed=1", out)...)
}

// checkZarrPythonLabels: zarr-python opens the 0.4 image's labels group.
func checkZarrPythonLabels(t *testing.T, img string) {
	py := testtool.PythonWith(t, "zarr")
	script := `import sys, zarr
g = zarr.open_group(sys.argv[1], mode="r")
print(",".join(g["labels"].attrs["labels"]), g["labels/cells"].attrs["image-label"]["source"]["image"])`
	out, err := exec.Command(py, "-c", script, img).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "cells,nuclei ../../" {
		t.Fatalf("zarr-python: %v\n%s", err, out)
	}
}
