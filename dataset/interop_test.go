package dataset_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
)

// checkValues asserts element i (C order) of im is i % 997.
func checkValues(t *testing.T, name string, im *dataset.Image) {
	t.Helper()
	a := nd.New[uint16](im.Shape(), nd.C)
	if err := im.ReadRegion(nd.BoxOf(im.Shape()), a); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for i, v := range a.Data() {
		if int(v) != i%997 {
			t.Fatalf("%s: element %d is %d, want %d", name, i, v, i%997)
		}
	}
}

type wantAxes struct {
	names, types string
	units        []string
	scales       []float64
}

func checkAxes(t *testing.T, name string, im *dataset.Image, w wantAxes) {
	t.Helper()
	names, types := "", ""
	for i, a := range im.Axes {
		names += a.Name
		types += string(a.Type)[:1]
		if w.units != nil && a.Unit != w.units[i] {
			t.Errorf("%s: axis %s unit %q, want %q", name, a.Name, a.Unit, w.units[i])
		}
		if w.scales != nil && a.PhysicalScale() != w.scales[i] {
			t.Errorf("%s: axis %s scale %v, want %v", name, a.Name, a.PhysicalScale(), w.scales[i])
		}
	}
	if names != w.names || types != w.types {
		t.Errorf("%s: axes %s types %s, want %s %s", name, names, types, w.names, w.types)
	}
}

// Arrays of rank 2, 4 and 5 with dimension names, and a 5-D OME-Zarr 0.5
// image, written by zarrita: axes, types, units, scales and values exact.
func TestZarritaAxes(t *testing.T) {
	testtool.Command(t, "node")
	mods, _ := filepath.Abs("../zarr/testdata/js/node_modules")
	_, err := os.Stat(filepath.Join(mods, "zarrita"))
	testtool.Require(t, "zarrita (npm ci in zarr/testdata/js)", err)
	dir := t.TempDir()
	os.Symlink(mods, filepath.Join(dir, "node_modules"))
	script, _ := os.ReadFile("testdata/axes_v3.mjs")
	os.WriteFile(filepath.Join(dir, "w.mjs"), script, 0o644)
	out := filepath.Join(dir, "out")
	if b, err := exec.Command("node", filepath.Join(dir, "w.mjs"), out).CombinedOutput(); err != nil {
		t.Fatalf("zarrita: %v\n%s", err, b)
	}
	ctx := context.Background()
	for p, w := range map[string]wantAxes{
		"yx":    {names: "yx", types: "ss"},
		"czyx":  {names: "czyx", types: "csss"},
		"tczyx": {names: "tczyx", types: "tcsss"},
		"img":   {names: "tczyx", types: "tcsss", units: []string{"second", "", "micrometer", "micrometer", "micrometer"}, scales: []float64{2.5, 1, 0.75, 0.25, 0.25}},
	} {
		im, err := dataset.Open(ctx, filepath.Join(out, p), nil)
		if err != nil {
			t.Fatal(p, err)
		}
		checkAxes(t, p, im, w)
		checkValues(t, p, im)
	}
}

// A 5-D OME-Zarr 0.4 image and a 4-D plain array written by Debian's
// zarr-python 2: axes, units, scales and values exact.
func TestZarrPythonAxes(t *testing.T) {
	py := testtool.PythonWith(t, "zarr", "numpy")
	dir := t.TempDir()
	script := `import sys, zarr, numpy as np
d = sys.argv[1]
def vals(shape):
    return (np.arange(int(np.prod(shape))) % 997).astype("<u2").reshape(shape)
g = zarr.open_group(d + "/img", mode="w")
g.create_dataset("0", data=vals((2, 3, 5, 13, 17)), chunks=(1, 1, 5, 8, 8), dimension_separator="/")
g.attrs["multiscales"] = [{"version": "0.4", "axes": [
    {"name": "t", "type": "time", "unit": "millisecond"}, {"name": "c", "type": "channel"},
    {"name": "z", "type": "space", "unit": "nanometer"}, {"name": "y", "type": "space", "unit": "nanometer"},
    {"name": "x", "type": "space", "unit": "nanometer"}],
    "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [100.0, 1.0, 40.0, 8.0, 8.0]}]}]}]
zarr.save_array(d + "/plain", vals((3, 5, 13, 17)), chunks=(1, 5, 8, 8))
print("ok")`
	if b, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("zarr-python: %v\n%s", err, b)
	}
	ctx := context.Background()
	im, err := dataset.Open(ctx, filepath.Join(dir, "img"), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAxes(t, "img", im, wantAxes{names: "tczyx", types: "tcsss", units: []string{"millisecond", "", "nanometer", "nanometer", "nanometer"}, scales: []float64{100, 1, 40, 8, 8}})
	checkValues(t, "img", im)
	plain, err := dataset.Open(ctx, filepath.Join(dir, "plain"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A v2 array has no dimension names: NGFF's order from the right.
	checkAxes(t, "plain", plain, wantAxes{names: "czyx", types: "csss"})
	checkValues(t, "plain", plain)
}
