package bench

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/store"
)

// The two sides of the pyramid peer benchmark compute the same pyramid:
// pyramid_numpy.py's slab loop and ryomen's engine (mean, rounded half to
// even per level) give every level of a uint8 volume byte for byte, so the
// benchmark compares equal work.
func TestPyramidNumpyMatchesRyomen(t *testing.T) {
	py := testtool.PythonWith(t, "numpy", "zarr")
	ctx := context.Background()
	dir := t.TempDir()
	src, err := dataset.Open(ctx, "synth:128x96x160?seed=6&dtype=uint8", nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := dataset.Create(ctx, filepath.Join(dir, "in.zarr"), dataset.Spec{Shape: src.Shape(), DType: nd.Uint8, Chunks: []int{32, 32, 32}, Codec: "none", Format: dataset.Zarr2})
	if err != nil {
		t.Fatal(err)
	}
	all := nd.New[uint8](src.Shape(), nd.C)
	if err := src.ReadRegion(nd.BoxOf(src.Shape()), all); err != nil {
		t.Fatal(err)
	}
	if err := in.WriteRegion(nd.BoxOf(src.Shape()), all); err != nil {
		t.Fatal(err)
	}
	out := store.NewFile(filepath.Join(dir, "ryomen.zarr"))
	factors := pyramid.FixedFactors(src.Shape(), []int{2, 2, 2}, []int{32, 32, 32}, 4)
	o := pyramid.Options{Store: out, Method: "mean", Factors: factors, Chunks: []int{32, 32, 32}, Axes: src.Axes, OMEVersion: "0.4"}
	if _, err := pyramid.Build(ctx, src, o); err != nil {
		t.Fatal(err)
	}
	peer := filepath.Join(dir, "numpy.zarr")
	if b, err := exec.Command(py, "pyramid_numpy.py", filepath.Join(dir, "in.zarr"), peer, "4").CombinedOutput(); err != nil {
		t.Fatalf("pyramid_numpy.py: %v\n%s", err, b)
	}
	sameLevels(t, filepath.Join(dir, "ryomen.zarr"), peer, 4)
}
