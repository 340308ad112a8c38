package dataset_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/synth"
	"github.com/ryomen-dev/ryomen/zarr"
)

func names(axes []nd.Axis) string {
	s := ""
	for _, a := range axes {
		s += a.Name
	}
	return s
}

func readAll(t *testing.T, r nd.Reader) nd.Any {
	t.Helper()
	a := nd.NewAny(r.DType(), r.Shape(), nd.C)
	if err := r.ReadRegion(nd.BoxOf(r.Shape()), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func bytesOf(a nd.Any) string {
	b, _ := nd.AsBytes(a)
	return string(b)
}

// TestSynthRanks: synthetic images of rank 2 to 5 carry t, c, z, y, x
// axes, and channel c of time t is the 3-D volume of seed+1000t+c, so
// channels and time points hold different data.
func TestSynthRanks(t *testing.T) {
	ctx := context.Background()
	for loc, want := range map[string]string{"synth:20x24": "yx", "synth:6x20x24": "zyx", "synth:2x6x20x24?seed=3": "czyx", "synth:2x3x6x20x24?seed=3": "tczyx"} {
		im, err := dataset.Open(ctx, loc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if names(im.Axes) != want {
			t.Errorf("%s: axes %q, want %q", loc, names(im.Axes), want)
		}
		if got := len(im.SpaceAxes()); got != min(3, len(want)) {
			t.Errorf("%s: %d space axes", loc, got)
		}
	}
	im, _ := dataset.Open(ctx, "synth:2x3x6x20x24?seed=3", nil)
	all := readAll(t, im)
	for tt := range 2 {
		for c := range 3 {
			v, _ := synth.New(synth.Params{Shape: []int{6, 20, 24}, Seed: uint64(3 + 1000*tt + c)})
			want := readAll(t, v.Image())
			got := all.View(nd.NewBox([]int{tt, c, 0, 0, 0}, []int{tt + 1, c + 1, 6, 20, 24}))
			flat := nd.NewAny(nd.Uint16, []int{1, 1, 6, 20, 24}, nd.C)
			nd.CopyAny(flat, got)
			if bytesOf(flat) != bytesOf(want) {
				t.Fatalf("t=%d c=%d differs from its volume", tt, c)
			}
		}
	}
	// A region read equals the same box of a whole read.
	b := nd.NewBox([]int{1, 1, 2, 3, 4}, []int{2, 3, 5, 17, 20})
	part := nd.NewAny(nd.Uint16, b.Shape(), nd.C)
	if err := im.ReadRegion(b, part); err != nil {
		t.Fatal(err)
	}
	whole := nd.NewAny(nd.Uint16, b.Shape(), nd.C)
	nd.CopyAny(whole, all.View(b))
	if bytesOf(part) != bytesOf(whole) {
		t.Fatal("region read differs from the whole read")
	}
	if c0, c1 := all.View(nd.NewBox([]int{0, 0, 0, 0, 0}, []int{1, 1, 6, 20, 24})), all.View(nd.NewBox([]int{0, 1, 0, 0, 0}, []int{1, 2, 6, 20, 24})); sameAny(c0, c1) {
		t.Fatal("two channels hold the same data")
	}
}

func sameAny(a, b nd.Any) bool {
	x, y := nd.NewAny(a.DType(), a.Shape(), nd.C), nd.NewAny(b.DType(), b.Shape(), nd.C)
	nd.CopyAny(x, a)
	nd.CopyAny(y, b)
	return bytesOf(x) == bytesOf(y)
}

// TestTIFFSeries opens OME-TIFF series with their axes, units and scale,
// picks a series by fragment, and refuses a series that is not there.
func TestTIFFSeries(t *testing.T) {
	ctx := context.Background()
	dir := "../tiff/testdata/series/"
	im, err := dataset.Open(ctx, dir+"ome-czyx.ome.tif", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	if names(im.Axes) != "czyx" || im.Axes[0].Type != nd.Channel || im.Axes[1].Unit == "" || im.Axes[1].Scale <= 0 {
		t.Fatalf("axes %+v", im.Axes)
	}
	if !strings.HasPrefix(im.Location, "file:///") || !strings.HasPrefix(im.Fingerprint, "sha256:") {
		t.Errorf("location %q fingerprint %q", im.Location, im.Fingerprint)
	}
	two, err := dataset.Open(ctx, dir+"ome-two.ome.tif#series=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer two.Close()
	if len(two.Series) != 2 || two.SeriesIndex != 1 {
		t.Fatalf("series %v index %d", two.Series, two.SeriesIndex)
	}
	zero, _ := dataset.Open(ctx, dir+"ome-two.ome.tif", nil)
	defer zero.Close()
	if slices.Equal(zero.Shape(), two.Shape()) && sameAny(readAll(t, zero), readAll(t, two)) {
		t.Fatal("series 0 and 1 read the same data")
	}
	for _, bad := range []string{"#series=2", "#series=-1", "#series=x", "#page=1"} {
		if _, err := dataset.Open(ctx, dir+"ome-two.ome.tif"+bad, nil); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	pyr, err := dataset.Open(ctx, dir+"ome-pyramid.ome.tif", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pyr.Close()
	if len(pyr.Levels) < 2 || pyr.Levels[1].Scale[len(pyr.Axes)-1] <= pyr.Levels[0].Scale[len(pyr.Axes)-1] {
		t.Fatalf("pyramid levels %+v", pyr.Levels)
	}
}

// TestZarrAxes: dimension names type the axes of a plain array; an
// OME-Zarr image gives its axes, levels and scales; an unfinished run is
// reported as such.
func TestZarrAxes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := store.NewFile(dir)
	m := zarr.Meta{ZarrFormat: 3, Shape: []int{2, 3, 8, 8}, Chunks: []int{1, 1, 8, 8}, DType: nd.Uint8, DimensionNames: []string{"t", "c", "y", "x"}}
	if _, err := zarr.Create(ctx, st, "arr", m, nil); err != nil {
		t.Fatal(err)
	}
	im, err := dataset.Open(ctx, filepath.Join(dir, "arr"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if names(im.Axes) != "tcyx" || im.Axes[0].Type != nd.Time || im.Axes[1].Type != nd.Channel || len(im.SpaceAxes()) != 2 {
		t.Fatalf("axes %+v", im.Axes)
	}
	// An OME-Zarr image of two levels.
	for l, sh := range [][]int{{4, 8, 8}, {4, 4, 4}} {
		if _, err := zarr.Create(ctx, st, "img/"+string(rune('0'+l)), zarr.Meta{ZarrFormat: 3, Shape: sh, Chunks: sh, DType: nd.Uint16}, nil); err != nil {
			t.Fatal(err)
		}
	}
	axes := []ome.Axis{{Name: "c", Type: "channel"}, {Name: "y", Type: "space", Unit: "micrometer"}, {Name: "x", Type: "space", Unit: "micrometer"}}
	lv, _ := ome.Levels([]int{4, 8, 8}, []float64{1, 0.5, 0.5}, [][]int{{1, 2, 2}}, "mean")
	if err := ome.Write(ctx, st, "img", ome.Image{Version: ome.V05, Multiscales: []ome.Multiscale{ome.NewMultiscale("x", axes, lv, "mean")}}); err != nil {
		t.Fatal(err)
	}
	im, err = dataset.Open(ctx, "file://"+filepath.Join(dir, "img"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if names(im.Axes) != "cyx" || im.Axes[1].Scale != 0.5 || len(im.Levels) != 2 || im.Levels[1].Scale[2] != 1 || !strings.HasPrefix(im.Format, "OME-Zarr") {
		t.Fatalf("image %+v levels %+v", im.Axes, im.Levels)
	}
	lvl1, err := dataset.Open(ctx, filepath.Join(dir, "img")+"#level=1", nil)
	if err != nil || !slices.Equal(lvl1.Shape(), []int{4, 4, 4}) || lvl1.Axes[2].Scale != 1 {
		t.Fatalf("#level=1: %v %v", err, lvl1)
	}
	// An unfinished output.
	st.Put(ctx, "run/.ryomen/plan.json", []byte("{}"))
	st.Put(ctx, "run/0/zarr.json", []byte("{}"))
	if _, err := dataset.Open(ctx, filepath.Join(dir, "run"), nil); !errors.Is(err, dataset.ErrIncomplete) {
		t.Fatalf("unfinished output: %v", err)
	}
	if _, err := dataset.Open(ctx, filepath.Join(dir, "missing"), nil); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing input: %v", err)
	}
}
