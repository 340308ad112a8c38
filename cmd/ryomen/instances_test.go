package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/label"
	"github.com/ryomen-dev/ryomen/nd"
)

// apply --exec with a scipy.ndimage.label model server and --instances
// overlap or touch writes uint32 labels equal to the connected components
// of the whole thresholded image up to renumbering (chunks, crops and
// tiles all different), with a mode pyramid.
func TestApplyInstances(t *testing.T) {
	py := testtool.PythonWith(t, "numpy", "scipy")
	script, err := filepath.Abs("../../stitch/testdata/label_server.py")
	if err != nil {
		t.Fatal(err)
	}
	in := "synth:40x50x60?seed=4"
	img := readArray(t, in)
	mask := nd.New[uint8](img.Shape(), nd.C)
	for i, v := range img.(*nd.Array[uint16]).Data() {
		if v > 900 {
			mask.Data()[i] = 1
		}
	}
	want, _, err := label.Local(mask, label.Conn{Rank: 3, Order: 1}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{"overlap", "touch"} {
		out := filepath.Join(t.TempDir(), "lab.ome.zarr")
		mustRun(t, "apply", in, out, "--exec", fmt.Sprintf("'%s' '%s' 900", py, script), "--out-dtype", "int32",
			"--instances", rule, "--chunks", "16,16,16", "--crop", "20,24,22", "--margin", "3")
		got := readArray(t, out)
		if got.DType() != nd.Uint32 {
			t.Fatalf("%s: dtype %v", rule, got.DType())
		}
		if err := sameLabels(got.(*nd.Array[uint32]).Data(), want); err != nil {
			t.Errorf("%s: %v", rule, err)
		}
		if lv := readArray(t, out+"#level=1"); lv.Len() == 0 {
			t.Errorf("%s: no level 1", rule)
		}
	}
	r := run(t, "apply", in, filepath.Join(t.TempDir(), "x"), "--op", "threshold", "--iou", "0.5")
	if r.code != 2 {
		t.Errorf("--iou without --instances: exit %d\n%s", r.code, r.stderr)
	}
}

// sameLabels checks that got and want label the same voxels and map one
// to one.
func sameLabels(got, want []uint32) error {
	fw, bw := map[uint32]uint32{}, map[uint32]uint32{}
	for i, g := range got {
		w := want[i]
		if (g == 0) != (w == 0) {
			return fmt.Errorf("voxel %d: %d, want %d", i, g, w)
		}
		if g == 0 {
			continue
		}
		if x, ok := fw[g]; ok && x != w {
			return fmt.Errorf("voxel %d: ID %d merges objects %d and %d", i, g, x, w)
		}
		if x, ok := bw[w]; ok && x != g {
			return fmt.Errorf("voxel %d: object %d split into %d and %d", i, w, x, g)
		}
		fw[g], bw[w] = w, g
	}
	if len(fw) < 5 {
		return fmt.Errorf("only %d objects", len(fw))
	}
	return nil
}

// apply --instances killed with SIGKILL during its tiles phase and rerun
// with --resume writes the same chunks as a clean run.
func TestApplyInstancesKillResume(t *testing.T) {
	py := testtool.PythonWith(t, "numpy", "scipy")
	script, err := filepath.Abs("../../stitch/testdata/label_server.py")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	args := func(out string, extra ...string) []string {
		return append([]string{"apply", "synth:40x50x60?seed=4", out, "--exec", fmt.Sprintf("'%s' '%s' 900", py, script),
			"--out-dtype", "int32", "--instances", "overlap", "--chunks", "16,16,16", "--crop", "12,12,12", "--margin", "2"}, extra...)
	}
	ref, o := filepath.Join(dir, "ref"), filepath.Join(dir, "o")
	mustRun(t, args(ref)...)
	killAfterMarkers(t, args(o), o, 20)
	mustRun(t, args(o, "--resume")...)
	if !equalTrees(dataTree(t, ref), dataTree(t, o)) {
		t.Fatal("resumed labels differ from a clean run's")
	}
}
