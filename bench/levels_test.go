package bench

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/store"
)

// matchPeer writes vol as a Zarr v2 array (32^3 chunks, uncompressed),
// builds ryomen's 4-level 2x2x2 pyramid of it with method and the peer
// script's, and fails unless every level is equal byte for byte.
func matchPeer(t *testing.T, vol nd.Any, axes []nd.Axis, method, script string) {
	t.Helper()
	py := testtool.PythonWith(t, "numpy", "zarr")
	ctx := context.Background()
	dir := t.TempDir()
	chunks := []int{32, 32, 32}
	in, err := dataset.Create(ctx, filepath.Join(dir, "in.zarr"), dataset.Spec{Shape: vol.Shape(), DType: vol.DType(), Chunks: chunks, Codec: "none", Format: dataset.Zarr2})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.WriteRegion(nd.BoxOf(vol.Shape()), vol); err != nil {
		t.Fatal(err)
	}
	o := pyramid.Options{Store: store.NewFile(filepath.Join(dir, "ryomen.zarr")), Method: method, Chunks: chunks, Axes: axes,
		Factors: pyramid.FixedFactors(vol.Shape(), []int{2, 2, 2}, chunks, 4), OMEVersion: "0.4"}
	if _, err := pyramid.Build(ctx, in, o); err != nil {
		t.Fatal(err)
	}
	peer := filepath.Join(dir, "numpy.zarr")
	if b, err := exec.Command(py, script, filepath.Join(dir, "in.zarr"), peer, "4").CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, b)
	}
	sameLevels(t, filepath.Join(dir, "ryomen.zarr"), peer, 4)
}

// sameLevels fails unless levels 0..n-1 of the pyramids at a and b
// (directories holding arrays 0, 1, ...) have the same shapes, dtypes and
// bytes.
func sameLevels(t *testing.T, a, b string, n int) {
	t.Helper()
	ctx := context.Background()
	for l := range n {
		var got [2][]byte
		var shapes [2][]int
		for i, dir := range []string{a, b} {
			im, err := dataset.Open(ctx, filepath.Join(dir, fmt.Sprint(l)), nil)
			if err != nil {
				t.Fatal(err)
			}
			buf := nd.NewAny(im.DType(), im.Shape(), nd.C)
			if err := im.ReadRegion(nd.BoxOf(im.Shape()), buf); err != nil {
				t.Fatal(err)
			}
			got[i], _ = nd.AsBytes(buf)
			shapes[i] = im.Shape()
		}
		if !slices.Equal(shapes[0], shapes[1]) {
			t.Fatalf("level %d: shapes %v and %v", l, shapes[0], shapes[1])
		}
		if !bytes.Equal(got[0], got[1]) {
			t.Fatalf("level %d differs between ryomen and the numpy slab loop", l)
		}
	}
}
