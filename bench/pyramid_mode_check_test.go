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

// pyramid_mode_numpy.py's pairwise-count mode and ryomen's 2x2x2 mode
// (first most frequent value in scan order) give every level of a
// uint32 label volume byte for byte, so the mode benchmark compares
// equal work.
func TestPyramidModeNumpyMatchesRyomen(t *testing.T) {
	py := testtool.PythonWith(t, "numpy", "zarr")
	ctx := context.Background()
	dir := t.TempDir()
	src, err := dataset.Open(ctx, "synth:64x96x128?seed=3&labels=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if src.DType() != nd.Uint32 {
		t.Fatalf("synth labels are %v", src.DType())
	}
	in, err := dataset.Create(ctx, filepath.Join(dir, "in.zarr"), dataset.Spec{Shape: src.Shape(), DType: nd.Uint32, Chunks: []int{32, 32, 32}, Codec: "none", Format: dataset.Zarr2})
	if err != nil {
		t.Fatal(err)
	}
	all := nd.New[uint32](src.Shape(), nd.C)
	if err := src.ReadRegion(nd.BoxOf(src.Shape()), all); err != nil {
		t.Fatal(err)
	}
	// Make ties common: a checkerboard of two labels in one corner, and
	// every voxel of another region distinct.
	for z := range 16 {
		for y := range 16 {
			for x := range 16 {
				all.Set(uint32(7+(x+y+z)%2), z, y, x)
				all.Set(uint32(1000+z*256+y*16+x), z, y+32, x+32)
			}
		}
	}
	if err := in.WriteRegion(nd.BoxOf(src.Shape()), all); err != nil {
		t.Fatal(err)
	}
	out := store.NewFile(filepath.Join(dir, "ryomen.zarr"))
	factors := pyramid.FixedFactors(src.Shape(), []int{2, 2, 2}, []int{32, 32, 32}, 4)
	o := pyramid.Options{Store: out, Method: "mode", Factors: factors, Chunks: []int{32, 32, 32}, Axes: src.Axes, OMEVersion: "0.4"}
	if _, err := pyramid.Build(ctx, in, o); err != nil {
		t.Fatal(err)
	}
	peer := filepath.Join(dir, "numpy.zarr")
	if b, err := exec.Command(py, "pyramid_mode_numpy.py", filepath.Join(dir, "in.zarr"), peer, "4").CombinedOutput(); err != nil {
		t.Fatalf("pyramid_mode_numpy.py: %v\n%s", err, b)
	}
	sameLevels(t, filepath.Join(dir, "ryomen.zarr"), peer, 4)
}
