package zarr

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
)

// dirStore opens a directory as a store for the interop tests.
func dirStore(root string) *store.File { return store.NewFile(root) }

type fixture struct {
	Path, DType, Order, Sep, Compressor string
	Fill                                any
	Partial                             bool
}

// fixtureValue is value(i) of gen_v2.py.
func fixtureValue(dt nd.DType, i int) float64 {
	v := float64(i % 97)
	switch {
	case dt.IsFloat():
		return v*0.25 - 3
	case dt.IsSigned():
		return v - 20
	}
	return v + 1
}

func asFloats(a nd.Any) []float64 {
	c := nd.NewAny(a.DType(), a.Shape(), nd.C)
	_ = nd.CopyAny(c, a)
	b, _ := nd.AsBytes(c)
	out := make([]float64, c.Len())
	sz := c.DType().Size()
	for i := range out {
		e := b[i*sz : (i+1)*sz]
		var u uint64
		for k := sz - 1; k >= 0; k-- {
			u = u<<8 | uint64(e[k])
		}
		switch c.DType() {
		case nd.Float32:
			out[i] = float64(math.Float32frombits(uint32(u)))
		case nd.Float64:
			out[i] = math.Float64frombits(u)
		case nd.Int8:
			out[i] = float64(int8(u))
		case nd.Int16:
			out[i] = float64(int16(u))
		case nd.Int32:
			out[i] = float64(int32(u))
		case nd.Int64:
			out[i] = float64(int64(u))
		default:
			out[i] = float64(u)
		}
	}
	return out
}

// onlyCodecs limits interop tests to the compressors listed in
// $ZARR_TEST_CODECS (comma-separated, e.g. "none,gzip"), when set.
func onlyCodecs(name string) bool {
	l := os.Getenv("ZARR_TEST_CODECS")
	if l == "" {
		return true
	}
	for _, c := range strings.Split(l, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// checkFixture compares an array against the gen_v2.py values.
func checkFixture(t *testing.T, a *Array, fx fixture) {
	t.Helper()
	got := nd.NewAny(a.DType(), []int{5, 7}, nd.C)
	if err := a.ReadRegion(nd.BoxOf([]int{5, 7}), got); err != nil {
		t.Errorf("%s (%s %s %q %s): %v", fx.Path, fx.DType, fx.Order, fx.Sep, fx.Compressor, err)
		return
	}
	for i, v := range asFloats(got) {
		want := fixtureValue(a.DType(), i)
		if fx.Partial && (i/7 >= 2 || i%7 >= 3) {
			want = a.meta.FillFloat64()
		}
		if v != want && !(math.IsNaN(v) && math.IsNaN(want)) {
			t.Errorf("%s (%s %s %q %s): element %d = %v, want %v", fx.Path, fx.DType, fx.Order, fx.Sep, fx.Compressor, i, v, want)
			return
		}
	}
}

func loadManifest(t *testing.T, name string) []fixture {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var fx []fixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	return fx
}

// TestV2Fixtures reads every array zarr-python wrote into testdata/v2.
func TestV2Fixtures(t *testing.T) {
	ctx := context.Background()
	st := dirStore("testdata/v2")
	pass := 0
	for _, fx := range loadManifest(t, "testdata/v2.json") {
		if !onlyCodecs(fx.Compressor) {
			continue
		}
		a, err := Open(ctx, st, fx.Path)
		if err != nil {
			t.Errorf("%s: %v", fx.Path, err)
			continue
		}
		checkFixture(t, a, fx)
		pass++
	}
	t.Logf("opened %d zarr-python v2 arrays", pass)
}

func need(t *testing.T, name string, args ...string) {
	t.Helper()
	if err := exec.Command(name, args...).Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s %v unavailable: %v", name, args, err)
		}
		t.Skipf("%s %v unavailable: %v", name, args, err)
	}
}

const python = "/usr/bin/python3"

// TestV2WrittenByUsReadByZarrPython writes the v2 matrix with Go and has
// zarr-python compare every array with gen_v2.py's values.
func TestV2WrittenByUsReadByZarrPython(t *testing.T) {
	need(t, python, "-c", "import zarr, numcodecs")
	ctx := context.Background()
	dir := t.TempDir()
	st := dirStore(dir)
	var paths []string
	for _, fx := range loadManifest(t, "testdata/v2.json") {
		if !onlyCodecs(fx.Compressor) {
			continue
		}
		src, err := Open(ctx, dirStore("testdata/v2"), fx.Path)
		if err != nil {
			t.Fatal(err)
		}
		m := src.Meta()
		a, err := Create(ctx, st, fx.Path, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		buf := nd.NewAny(m.DType, m.Shape, nd.C)
		if err := src.ReadRegion(nd.BoxOf(m.Shape), buf); err != nil {
			t.Fatal(err)
		}
		if err := a.WriteRegion(nd.BoxOf(m.Shape), buf); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, fx.Path)
	}
	script := `
import json, sys, numpy as np, zarr
sys.path.insert(0, 'testdata')
from gen_v2 import values
fx = [f for f in json.load(open(sys.argv[2])) if f['path'] in sys.argv[3:]]
bad = 0
for f in fx:
    z = zarr.open_array(zarr.DirectoryStore(sys.argv[1], dimension_separator=f['sep']), path=f['path'], mode='r')
    want = values(f['dtype'])
    if f['partial']:
        m = np.zeros((5, 7), bool); m[0:2, 0:3] = True
        want = np.where(m, want, z.fill_value).astype(want.dtype)
    if z.dtype != np.dtype(f['dtype']) or not np.array_equal(z[:], want, equal_nan=True):
        print('MISMATCH', f); bad += 1
print('ok', len(fx) - bad, 'of', len(fx))
`
	out, err := exec.Command(python, append([]string{"-c", script, dir, "testdata/v2.json"}, paths...)...).CombinedOutput()
	if err != nil || strings.Contains(string(out), "MISMATCH") {
		t.Fatalf("zarr-python: %v\n%s", err, out)
	}
	t.Logf("zarr-python: %s", strings.TrimSpace(string(out)))
}

var _ = codec.ErrLimit

// hideZarray makes .zarray files invisible so Open must use .zmetadata.
type hideZarray struct{ *store.File }

func (h hideZarray) Get(ctx context.Context, k string) ([]byte, error) {
	if strings.HasSuffix(k, ".zarray") {
		return nil, store.ErrNotFound
	}
	return h.File.Get(ctx, k)
}

func TestV2Consolidated(t *testing.T) {
	ctx := context.Background()
	st := hideZarray{dirStore("testdata/v2")}
	for _, fx := range loadManifest(t, "testdata/v2.json") {
		if fx.Compressor != "none" || !onlyCodecs(fx.Compressor) {
			continue
		}
		a, err := Open(ctx, st, fx.Path)
		if err != nil {
			t.Fatalf("%s: %v", fx.Path, err)
		}
		checkFixture(t, a, fx)
	}
}
