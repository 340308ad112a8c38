package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/npy"
	"github.com/ryomen-dev/ryomen/pyramid"
)

var bin string

// TestMain builds the ryomen binary once; the tests run it as users do.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ryomen-test-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "ryomen")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building ryomen: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
	maxRSS         int64 // bytes
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	// Peak RSS through time(1): rusage of a child that os/exec starts
	// carries the test binary's own high-water mark (vfork, then Linux
	// keeps the old mm's mark across exec); time forks a small process
	// first, so the mark it reports is ryomen's alone.
	var rssFile string
	name, argv := bin, args
	if tm, err := exec.LookPath("/usr/bin/time"); err == nil {
		f, err := os.CreateTemp("", "rss-")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		rssFile = f.Name()
		defer os.Remove(rssFile)
		name, argv = tm, append([]string{"-q", "-f", "%M", "-o", rssFile, bin}, args...)
	}
	cmd := exec.Command(name, argv...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	r := result{stdout: o.String(), stderr: e.String()}
	if cmd.ProcessState == nil {
		t.Fatal(err)
	}
	r.code = cmd.ProcessState.ExitCode()
	if rssFile != "" {
		b, _ := os.ReadFile(rssFile)
		var kib int64
		fmt.Sscan(strings.TrimSpace(string(b)), &kib)
		r.maxRSS = kib * 1024
	} else if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss * 1024
	}
	return r
}

func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("ryomen %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// tree reads every file under dir, keyed by relative path.
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		// Temporary files a killed process left behind are not part of the
		// output (the store never lists them).
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".tmp-") {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameTree(t *testing.T, a, b string) {
	t.Helper()
	ta, tb := tree(t, a), tree(t, b)
	for k, v := range ta {
		if w, ok := tb[k]; !ok {
			t.Errorf("%s: only in %s", k, a)
		} else if !bytes.Equal(v, w) {
			t.Errorf("%s differs", k)
		}
	}
	for k := range tb {
		if _, ok := ta[k]; !ok {
			t.Errorf("%s: only in %s", k, b)
		}
	}
	if len(ta) == 0 {
		t.Error("empty output")
	}
}

func TestDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo.ome.zarr")
	r := mustRun(t, "demo", "--shape", "64x128x128", out)
	if !strings.Contains(r.stdout, "napari") || !strings.Contains(r.stdout, out) {
		t.Errorf("demo output does not say where the output is and how to view it:\n%s", r.stdout)
	}
	root, err := os.ReadFile(filepath.Join(out, "zarr.json"))
	if err != nil || !bytes.Contains(root, []byte(`"multiscales"`)) {
		t.Fatalf("no multiscales in root zarr.json: %v %s", err, root)
	}
	lab, err := os.ReadFile(filepath.Join(out, "labels", "cells", "zarr.json"))
	if err != nil || !bytes.Contains(lab, []byte(`"image-label"`)) {
		t.Fatalf("no image-label: %v %s", err, lab)
	}
	info := mustRun(t, "--json", "info", out)
	for _, w := range []string{`"uint16"`, `"cells"`, `"translation"`} {
		if !strings.Contains(info.stdout, w) {
			t.Errorf("info --json lacks %s:\n%s", w, info.stdout)
		}
	}
	// Again without --overwrite: refused, nothing touched.
	before := tree(t, out)
	if r := run(t, "demo", "--shape", "64x128x128", out); r.code != exitExists || !strings.Contains(r.stderr, "--overwrite") {
		t.Errorf("second demo: exit %d, stderr %q", r.code, r.stderr)
	}
	after := tree(t, out)
	for k, v := range before {
		if !bytes.Equal(v, after[k]) {
			t.Errorf("%s changed by a refused run", k)
		}
	}
	mustRun(t, "demo", "--overwrite", "--shape", "64x128x128", out)
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"pyramid", filepath.Join(dir, "missing.zarr"), filepath.Join(dir, "o1")}, exitFailure, "does not exist"},
		{[]string{"pyramid", "--method", "blur", "synth:8x8x8", filepath.Join(dir, "o2")}, exitUsage, "--method"},
		{[]string{"pyramid", "--factor", "2,2", "synth:8x8x8", filepath.Join(dir, "o3")}, exitUsage, "--factor"},
		{[]string{"pyramid", "--memory", "lots", "synth:8x8x8", filepath.Join(dir, "o4")}, exitUsage, "--memory"},
		{[]string{"pyramid", "--no-such-flag", "synth:8x8x8", filepath.Join(dir, "o5")}, exitUsage, "unknown flag"},
		{[]string{"pyramid", "synth:8x8x8"}, exitUsage, "accepts 2 arg"},
		{[]string{"pyramid", "--shard", "3/3", "synth:8x8x8", filepath.Join(dir, "o6")}, exitUsage, "--shard"},
		{[]string{"pyramid", "--memory", "1KiB", "synth:64x64x64", filepath.Join(dir, "o7")}, exitFailure, "budget"},
		{[]string{"pyramid", "--method", "mode", "synth:16x16x16", "/proc/ryomen-unwritable"}, exitFailure, "output"},
		{[]string{"demo", "--shape", "0x4x4", filepath.Join(dir, "o8")}, exitUsage, "shape"},
		{[]string{"info", filepath.Join(dir, "nothing")}, exitFailure, "does not exist"},
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
	} {
		r := run(t, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("ryomen %s: exit %d (want %d), stderr %q (want %q)", strings.Join(tc.args, " "), r.code, tc.code, r.stderr, tc.msg)
		}
	}
	// Mode on float data is refused before anything is written: a float
	// source comes from a mean pyramid of a float array, which we do not
	// have yet, so check the label path instead: a refused existing output.
	out := filepath.Join(dir, "exists")
	os.MkdirAll(filepath.Join(out, "0"), 0o755)
	os.WriteFile(filepath.Join(out, "0", "zarr.json"), []byte("precious"), 0o644)
	r := run(t, "pyramid", "synth:16x16x16", out)
	if r.code != exitExists {
		t.Errorf("existing output: exit %d, %s", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "0", "zarr.json")); string(b) != "precious" {
		t.Error("existing output overwritten without --overwrite")
	}
}

var pyrArgs = []string{"pyramid", "--factor", "2,2,2", "--levels-per-task", "2", "--chunks", "16,32,32", "synth:48x160x160?seed=5"}

// Three shard processes at once into one directory equal one process.
func TestShards(t *testing.T) {
	dir := t.TempDir()
	single, sharded := filepath.Join(dir, "single"), filepath.Join(dir, "sharded")
	mustRun(t, append(pyrArgs, single)...)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append(append([]string{}, pyrArgs...), "--shard", fmt.Sprintf("%d/3", i), sharded)
			cmd := exec.Command(bin, args...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("shard %d: %v\n%s", i, err, out)
			}
		}()
	}
	wg.Wait()
	sameTree(t, single, sharded)
	// The shard index may come from the environment, as in an Indexed Job.
	envOut := filepath.Join(dir, "env")
	var cmds []*exec.Cmd
	for i := range 2 {
		cmd := exec.Command(bin, append(append([]string{}, pyrArgs...), "--shard", "/2", envOut)...)
		cmd.Env = append(os.Environ(), fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("env shard %d: %v", i, err)
		}
	}
	sameTree(t, single, envOut)
}

// SIGKILL mid-run, then --resume, equals an uninterrupted run.
func TestKillResume(t *testing.T) {
	dir := t.TempDir()
	ref, out := filepath.Join(dir, "ref"), filepath.Join(dir, "out")
	args := []string{"pyramid", "--workers", "1", "--factor", "2,2,2", "--chunks", "16,16,16", "synth:64x256x256?seed=9"}
	mustRun(t, append(args, ref)...)
	killAfterMarkers(t, append(args, out), out, 10)
	if b, err := os.ReadFile(filepath.Join(out, "zarr.json")); err == nil && bytes.Contains(b, []byte("multiscales")) {
		t.Fatal("killed run claims to be complete")
	}
	if r := run(t, append(args, out)...); r.code != exitExists || !strings.Contains(r.stderr, "--resume") {
		t.Fatalf("rerun without --resume: exit %d %s", r.code, r.stderr)
	}
	r := mustRun(t, append(append([]string{"--json"}, args...), "--resume", out)...)
	if !strings.Contains(r.stdout, `"tasks_skipped"`) || strings.Contains(r.stdout, `"tasks_skipped": 0,`) {
		t.Errorf("resume skipped nothing: %s", r.stdout)
	}
	sameTree(t, ref, out)
}

// A volume four times the budget is built within budget + overhead.
func TestMemoryBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("large volume")
	}
	const budget = 64 << 20
	const overhead = 48 << 20 // Go runtime, binary, zarr's per-call buffers
	out := filepath.Join(t.TempDir(), "big")
	start := time.Now()
	// 256x512x1024 uint16 = 256 MiB.
	r := mustRun(t, "--json", "pyramid", "--memory", "64MiB", "--factor", "2,2,2", "--levels", "4", "synth:256x512x1024?seed=2", out)
	// The rusage a parent sees after fork+exec can include the parent's own
	// memory (Linux keeps the pre-exec high-water mark), so prefer the
	// child's own VmHWM from its JSON summary.
	var sum struct {
		PeakRSS int64 `json:"peak_rss_bytes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.PeakRSS > 0 {
		r.maxRSS = sum.PeakRSS
	}
	t.Logf("256 MiB volume, 64 MiB budget: peak RSS %d MiB, %.1fs", r.maxRSS>>20, time.Since(start).Seconds())
	if r.maxRSS > budget+overhead {
		t.Errorf("peak RSS %d MiB > budget %d MiB + overhead %d MiB", r.maxRSS>>20, budget>>20, overhead>>20)
	}
}

// The plan is deterministic and splits tasks round-robin over shards.
func TestPlan(t *testing.T) {
	a := mustRun(t, "--json", "plan", "--levels-per-task", "1", "--shards", "3", "--factor", "2,2,2", "--chunks", "16,16,16", "synth:32x64x64")
	b := mustRun(t, "--json", "plan", "--levels-per-task", "1", "--shards", "3", "--factor", "2,2,2", "--chunks", "16,16,16", "synth:32x64x64")
	if a.stdout != b.stdout {
		t.Fatal("plan is not deterministic")
	}
	for _, w := range []string{`"shard": 2`, `"phase": 2`, `"task_bytes"`} {
		if !strings.Contains(a.stdout, w) {
			t.Errorf("plan lacks %s", w)
		}
	}
}

// A truncated chunk in the input and a method that cannot handle the
// input's dtype fail with exit 1 and a message naming the problem, and
// leave no output that claims to be an image.
func TestBadData(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.zarr")
	mustRun(t, "convert", "--chunks", "8,16,16", "synth:16x32x32?seed=2", in)
	var chunk string
	filepath.WalkDir(filepath.Join(in, "0", "c"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && chunk == "" {
			chunk = p
		}
		return nil
	})
	b, err := os.ReadFile(chunk)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(chunk, b[:len(b)/2], 0o644)
	out := filepath.Join(dir, "out")
	r := run(t, "pyramid", "--levels", "2", in, out)
	rel, _ := filepath.Rel(in, chunk)
	if r.code != exitFailure || !strings.Contains(r.stderr, filepath.ToSlash(rel)) {
		t.Errorf("truncated chunk: exit %d, stderr %q; want exit 1 naming %s", r.code, r.stderr, rel)
	}
	if b, err := os.ReadFile(filepath.Join(out, "zarr.json")); err == nil && bytes.Contains(b, []byte("multiscales")) {
		t.Error("a failed run left metadata claiming a complete image")
	}
	// Mode pooling of a float image (a Gaussian blur's output) is refused.
	blur := filepath.Join(dir, "blur")
	mustRun(t, "apply", "--op", "gaussian", "--sigma", "1", "synth:16x32x32", blur)
	r = run(t, "pyramid", "--method", "mode", blur, filepath.Join(dir, "m"))
	if r.code != exitFailure || !strings.Contains(r.stderr, "float32") {
		t.Errorf("mode of float32: exit %d, stderr %q", r.code, r.stderr)
	}
}

// Every --method builds a pyramid whose level 1 equals the downsample
// package's reduction of level 0 (means round to nearest, ties to even).
func TestMethods(t *testing.T) {
	dir := t.TempDir()
	for _, m := range []string{"mean", "mode", "sparse-mean", "sparse-mode", "min", "max", "stride", "median"} {
		src := "synth:20x36x44?seed=3"
		if strings.Contains(m, "mode") {
			src += "&labels=1"
		}
		out := filepath.Join(dir, m)
		mustRun(t, "pyramid", "--method", m, "--levels", "2", "--factor", "2,2,2", "--chunks", "8,16,16", src, out)
		l0, l1 := readArray(t, filepath.Join(out, "0")), readArray(t, filepath.Join(out, "1"))
		want := nd.NewAny(l1.DType(), l1.Shape(), nd.C)
		if err := pyramid.Methods[m](want, l0, []int{2, 2, 2}); err != nil {
			t.Fatal(err)
		}
		a, _ := nd.AsBytes(want)
		b, _ := nd.AsBytes(l1)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: level 1 differs from the reduction of level 0", m)
		}
	}
}

func readArray(t *testing.T, p string) nd.Any {
	t.Helper()
	s, err := openSource(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	a := nd.NewAny(s.r.DType(), s.r.Shape(), nd.C)
	if err := s.r.ReadRegion(nd.BoxOf(s.r.Shape()), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// A .npy volume converts to OME-Zarr equal to the array, and a 2-D one
// gets (y, x) axes.
func TestNPYInput(t *testing.T) {
	dir := t.TempDir()
	a := nd.New[uint16]([]int{6, 10, 12}, nd.C)
	for i := range a.Data() {
		a.Data()[i] = uint16(i * 7)
	}
	in := filepath.Join(dir, "vol.npy")
	if err := npy.WriteFile(in, a); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	mustRun(t, "convert", "--chunks", "4,8,8", in, out)
	b, _ := nd.AsBytes(a)
	if got := readOut(t, filepath.Join(out, "0")); !bytes.Equal(got, b) {
		t.Fatal("converted .npy differs")
	}
	flat := filepath.Join(dir, "plane.npy")
	npy.WriteFile(flat, nd.New[uint8]([]int{20, 30}, nd.C))
	r := mustRun(t, "info", flat)
	if !strings.Contains(r.stdout, "npy") {
		t.Errorf("info: %s", r.stdout)
	}
}

// The headline conversion: a TIFF stack written by tifffile becomes a
// sharded OME-Zarr v0.5 image equal to it, and an OME-Zarr image becomes
// a TIFF stack that tifffile reads back exactly (with ImageJ metadata).
func TestTIFFConvert(t *testing.T) {
	dir := t.TempDir()
	in := "../../tiff/testdata/imagej-u1.tif"
	out := filepath.Join(dir, "fromtiff.ome.zarr")
	mustRun(t, "convert", "--chunks", "2,8,8", "--shard-shape", "2,16,16", in, out)
	want := readArray(t, in)
	got := readArray(t, filepath.Join(out, "0"))
	a, _ := nd.AsBytes(want)
	b, _ := nd.AsBytes(got)
	if !bytes.Equal(a, b) || len(a) != 3*20*24 {
		t.Fatal("OME-Zarr from TIFF differs")
	}
	if info := mustRun(t, "info", in).stdout; !strings.Contains(info, "TIFF") {
		t.Errorf("info: %s", info)
	}
	// Back to TIFF, zstd and deflate; libtiff-readable, tifffile for deflate.
	for _, c := range []string{"gzip", "zstd", "none"} {
		tif := filepath.Join(dir, "back-"+c+".tif")
		mustRun(t, "convert", "--codec", c, out, tif)
		back := readArray(t, tif)
		bb, _ := nd.AsBytes(back)
		if !bytes.Equal(bb, a) {
			t.Fatalf("%s: TIFF written from OME-Zarr differs", c)
		}
		if c == "zstd" {
			continue
		}
		py := "/usr/bin/python3"
		script := `import sys, tifffile, numpy as np
a = tifffile.imread(sys.argv[1]); b = tifffile.imread(sys.argv[2])
print(a.shape, np.array_equal(a, b), tifffile.TiffFile(sys.argv[1]).is_imagej)`
		o, err := exec.Command(py, "-c", script, tif, in).CombinedOutput()
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("tifffile: %v %s", err, o)
			}
			continue
		}
		if strings.TrimSpace(string(o)) != "(3, 20, 24) True True" {
			t.Errorf("tifffile reads %s as: %s", c, o)
		}
	}
	if r := run(t, "convert", out, filepath.Join(dir, "back-none.tif")); r.code != exitExists {
		t.Errorf("existing TIFF output: exit %d", r.code)
	}
}
