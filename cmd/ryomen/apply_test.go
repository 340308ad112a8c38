package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"

	"github.com/ryomen-dev/ryomen/internal/testtool"
)

func readOut(t *testing.T, p string) []byte {
	t.Helper()
	b, _ := nd.AsBytes(readArray(t, p))
	return b
}

// A blur computed crop by crop (the default margin is the kernel radius)
// equals a blur of the whole image in one crop to float32 rounding (the
// filter's vector and scalar tails round differently, so the bits can
// differ where a row's tail falls).
func TestApplyGaussianTiled(t *testing.T) {
	dir := t.TempDir()
	tiled, whole := filepath.Join(dir, "tiled"), filepath.Join(dir, "whole")
	mustRun(t, "apply", "--op", "gaussian", "--sigma", "1.5", "--chunks", "16,16,16", "synth:40x50x60?seed=4", tiled)
	mustRun(t, "apply", "--op", "gaussian", "--sigma", "1.5", "--chunks", "64,64,64", "synth:40x50x60?seed=4", whole)
	a := readArray(t, tiled).(*nd.Array[float32]).Data()
	b := readArray(t, whole).(*nd.Array[float32]).Data()
	if len(a) != 40*50*60 || len(b) != len(a) {
		t.Fatalf("%d and %d voxels, want %d", len(a), len(b), 40*50*60)
	}
	for i := range a {
		if d := math.Abs(float64(a[i]) - float64(b[i])); d > 1e-6*math.Abs(float64(b[i]))+1e-6 {
			t.Fatalf("voxel %d: tiled %v, whole %v", i, a[i], b[i])
		}
	}
	th := filepath.Join(dir, "th")
	mustRun(t, "apply", "--op", "threshold", "--value", "400", "--chunks", "16,16,16", "synth:40x50x60?seed=4", th)
	ones := bytes.Count(readOut(t, th), []byte{1})
	if ones == 0 || ones == 40*50*60 {
		t.Fatalf("threshold gave %d ones", ones)
	}
	if r := run(t, "apply", "--op", "median", "synth:8x8x8", filepath.Join(dir, "x")); r.code != exitUsage {
		t.Errorf("unknown op: exit %d", r.code)
	}
}

// apply --exec streams crops to a numpy model server and writes its
// results: a server that doubles its input gives exactly twice the input,
// and one that thresholds gives a uint8 mask equal to --op threshold's.
func TestApplyExec(t *testing.T) {
	py := testtool.PythonWith(t, "numpy")
	server, _ := filepath.Abs("../../child/testdata/child.py")
	dir := t.TempDir()
	src := "synth:20x30x40?seed=6"
	in := readOut(t, src)
	out := filepath.Join(dir, "double")
	mustRun(t, "apply", "--exec", py+" "+server+" double", "--chunks", "8,16,16", "--halo", "2,3,4", "--batch", "3", src, out)
	got := readOut(t, out)
	if len(got) != len(in) {
		t.Fatalf("%d bytes out for %d in", len(got), len(in))
	}
	for i := 0; i < len(in); i += 2 {
		v := uint16(in[i]) | uint16(in[i+1])<<8
		w := uint16(got[i]) | uint16(got[i+1])<<8
		if w != 2*v {
			t.Fatalf("voxel %d: %d, want %d", i/2, w, 2*v)
		}
	}
	th, mask := filepath.Join(dir, "th"), filepath.Join(dir, "mask")
	mustRun(t, "apply", "--op", "threshold", "--value", "500", "--chunks", "8,16,16", src, th)
	mustRun(t, "apply", "--exec", py+" "+server+" u8gt", "--out-dtype", "uint8", "--chunks", "8,16,16", src, mask)
	if !bytes.Equal(readOut(t, th), readOut(t, mask)) {
		t.Fatal("--exec threshold differs from --op threshold")
	}
	// A server that dies or misbehaves fails the run with its reason and
	// leaves no output that claims to be complete.
	for mode, want := range map[string]string{"exit": "exited", "error": "CUDA out of memory", "garbage": "not a frame"} {
		bad := filepath.Join(dir, mode)
		r := run(t, "apply", "--exec", py+" "+server+" "+mode, "--chunks", "8,16,16", src, bad)
		if r.code == 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: exit %d, stderr %q; want failure mentioning %q", mode, r.code, r.stderr, want)
		}
		if _, err := os.Stat(filepath.Join(bad, "zarr.json")); err == nil {
			if b, _ := os.ReadFile(filepath.Join(bad, "zarr.json")); bytes.Contains(b, []byte("multiscales")) {
				t.Errorf("%s: failed run left OME metadata claiming a complete image", mode)
			}
		}
	}
	if r := run(t, "apply", "--exec", "true", "--op", "threshold", src, filepath.Join(dir, "y")); r.code != exitUsage {
		t.Errorf("--exec with --op: exit %d", r.code)
	}
}
