package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/process"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/store/storetest"
	"github.com/ryomen-dev/ryomen/tile"
)

// mapRef runs fn over img with tile.Map on one worker: the in-memory
// reference apply must equal.
func mapRef[T, U nd.Number](t *testing.T, p *tile.Plan, img nd.Any, fn tile.AnyFunc, merge tile.Merge) *nd.Array[U] {
	t.Helper()
	out := nd.New[U](p.OutShape(), nd.C)
	if err := tile.Map(context.Background(), p, img.(*nd.Array[T]), out, tile.FuncOf[T, U](fn), tile.Options{Workers: 1, Merge: merge}); err != nil {
		t.Fatal(err)
	}
	return out
}

// The case: apply --crop 64,128,128 --margin 8,16,16 with output
// chunks that the crops do not line up with (32,48,48) equals tile.Map of
// the same function on the whole image in memory, bit for bit, for every
// border mode, pasting and Gaussian blending.
func TestApplyEqualsTileMap(t *testing.T) {
	const src = "synth:80x150x140?seed=3"
	img := readArray(t, src)
	dir := t.TempDir()
	for _, border := range []tile.Border{tile.Symmetric, tile.Reflect, tile.Edge, tile.Periodic, tile.Constant, tile.None} {
		for _, blend := range []string{"none", "gaussian"} {
			out := filepath.Join(dir, border.String()+blend)
			mustRun(t, "apply", "--op", "gaussian", "--sigma", "1.5", "--crop", "64,128,128", "--margin", "8,16,16",
				"--border", border.String(), "--border-value", "100", "--blend", blend, "--chunks", "32,48,48", "--batch", "3", src, out)
			merge, _ := parseBlend(blend)
			p, err := tile.New(img.Shape(), tile.Spec{Crop: []int{64, 128, 128}, Margin: []int{8, 16, 16}, Border: border, Value: 100})
			if err != nil {
				t.Fatal(err)
			}
			want := mapRef[uint16, float32](t, p, img, process.Gaussian([]float64{1.5, 1.5, 1.5}, merge).Func, merge)
			got := readArray(t, out)
			wb, _ := nd.AsBytes(want)
			gb, _ := nd.AsBytes(got)
			if !bytes.Equal(wb, gb) {
				g32 := got.(*nd.Array[float32])
				n, worst := 0, 0.0
				var at []int
				want.Values(func(idx []int, v float32) {
					if g := g32.At(idx...); g != v {
						n++
						if d := math.Abs(float64(g - v)); d > worst {
							worst, at = d, slices.Clone(idx)
						}
					}
				})
				t.Fatalf("border %v, blend %s: apply differs from tile.Map at %d voxels, worst %g at %v", border, blend, n, worst, at)
			}
		}
	}
}

// --op gaussian with the default margin (the kernel radius) equals
// scipy.ndimage.gaussian_filter of the whole image, truncate 4, in the
// mode matching each border (symmetric = scipy reflect, reflect = mirror,
// edge = nearest, periodic = wrap, constant = constant; none, whose crops
// stay inside the image, mirrors each crop at the image edge = reflect),
// to float32 rounding; crops and chunks do not line up.
func TestApplyGaussianScipy(t *testing.T) {
	py := testtool.PythonWith(t, "numpy", "scipy")
	const src = "synth:21x30x37?seed=5"
	img := readArray(t, src)
	dir := t.TempDir()
	raw := filepath.Join(dir, "in.u16")
	b, _ := nd.AsBytes(img)
	if err := os.WriteFile(raw, b, 0o644); err != nil {
		t.Fatal(err)
	}
	modes := map[string]string{"symmetric": "reflect", "reflect": "mirror", "edge": "nearest", "periodic": "wrap", "constant": "constant", "none": "reflect"}
	for border, mode := range modes {
		out := filepath.Join(dir, border)
		mustRun(t, "apply", "--op", "gaussian", "--sigma", "1.3", "--border", border, "--border-value", "7",
			"--crop", "15,19,23", "--chunks", "8,16,16", src, out)
		ref := filepath.Join(dir, border+".f64")
		script := fmt.Sprintf(`import numpy as np, scipy.ndimage as ndi
a = np.fromfile(%q, dtype='<u2').reshape((21,30,37)).astype(np.float64)
ndi.gaussian_filter(a, 1.3, mode=%q, cval=7.0, truncate=4.0).astype('<f8').tofile(%q)
`, raw, mode, ref)
		if o, err := exec.Command(py, "-c", script).CombinedOutput(); err != nil {
			t.Fatalf("scipy: %v\n%s", err, o)
		}
		rb, err := os.ReadFile(ref)
		if err != nil {
			t.Fatal(err)
		}
		got := readArray(t, out).(*nd.Array[float32]).Data()
		worst := 0.0
		for i, v := range got {
			w := math.Float64frombits(binary.LittleEndian.Uint64(rb[8*i:]))
			worst = max(worst, math.Abs(float64(v)-w)/max(1, math.Abs(w)))
		}
		if worst > 2e-6 {
			t.Errorf("border %s (scipy %s): relative error %.3g, want <= 2e-6", border, mode, worst)
		}
	}
}

// runInProcess runs ryomen's command line in this process.
func runInProcess(t *testing.T, args ...string) {
	t.Helper()
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(new(bytes.Buffer))
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("ryomen %s: %v", strings.Join(args, " "), err)
	}
}

// A crop size that is not a multiple of the input's chunk size works, and
// every input chunk is read a bounded number of times, counted at the
// store: once with the caches (input chunks and crop results), and
// without them at most once per crop reaching the chunk per output chunk
// that crop's kept part meets.
func TestApplyChunkReadsBounded(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	mustRun(t, "convert", "--chunks", "16,16,16", "--codec", "none", "synth:48x64x80?seed=2", in)
	inner := readArray(t, in)
	var cs *storetest.Counting
	applySource = func(ctx context.Context, loc string) (*source, error) {
		cs = storetest.NewCounting(store.NewFile(loc))
		im, err := dataset.OpenZarr(ctx, cs, "", loc)
		if err != nil {
			return nil, err
		}
		return fromImage(im), nil
	}
	defer func() { applySource = openSource }()
	// Crops 20x28x28, margin 2,3,3: stride 16,22,22; input chunks 16, output
	// chunks 24.
	crop, stride := []int{20, 28, 28}, []int{16, 22, 22}
	perChunk := 1
	for k := range crop {
		// Crops whose extent (crop voxels) meets a 16-voxel chunk.
		perChunk *= (16+crop[k]-2)/stride[k] + 1
	}
	for _, cache := range []string{"256", "0"} {
		out := filepath.Join(dir, "out"+cache)
		runInProcess(t, "apply", "--op", "threshold", "--value", "500", "--crop", "20,28,28", "--margin", "2,3,3",
			"--chunks", "24,24,24", "--cache-mib", cache, "--workers", "2", in, out)
		worst, chunks := 0, 0
		for k, n := range cs.ReadCounts() {
			if strings.HasPrefix(filepath.Base(k), "c") || strings.Contains(k, "/c/") {
				chunks++
				worst = max(worst, n)
			}
		}
		bound := 1 // the input chunk cache holds the whole (small) image
		if cache == "0" {
			bound = perChunk * 8 // a crop's kept part meets at most 2 output chunks per axis
		}
		t.Logf("cache %s MiB: %d input chunks read, at most %d times each (bound %d)", cache, chunks, worst, bound)
		if chunks != 3*4*5 || worst > bound {
			t.Errorf("cache %s: %d chunks read, worst %d times, want 60 chunks at most %d times", cache, chunks, worst, bound)
		}
		th := readArray(t, out).(*nd.Array[uint8]).Data()
		for i, v := range inner.(*nd.Array[uint16]).Data() {
			want := uint8(0)
			if v > 500 {
				want = 1
			}
			if th[i] != want {
				t.Fatalf("cache %s: voxel %d: %d for input %d", cache, i, th[i], v)
			}
		}
	}
}

// Channel axes are carried whole: a crop spec that would cut (and so pad)
// the channel axis is refused with an error that says so, a margin on it
// too; the full channel length is accepted and blurs each channel alone.
func TestApplyChannelAxisWhole(t *testing.T) {
	dir := t.TempDir()
	const src = "synth:3x16x32x32?seed=8"
	r := run(t, "apply", "--op", "gaussian", "--crop", "2,8,16,16", src, filepath.Join(dir, "bad"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "channel axis") || !strings.Contains(r.stderr, "never pad") {
		t.Fatalf("crop cutting the channel axis: exit %d %s", r.code, r.stderr)
	}
	r = run(t, "apply", "--op", "gaussian", "--margin", "1,2,2,2", src, filepath.Join(dir, "bad2"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "not a space axis") {
		t.Fatalf("margin on the channel axis: exit %d %s", r.code, r.stderr)
	}
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	mustRun(t, "apply", "--op", "gaussian", "--sigma", "1", "--crop", "3,12,20,20", "--chunks", "8,16,16", src, a)
	mustRun(t, "apply", "--op", "gaussian", "--sigma", "1", "--crop", "12,20,20", "--chunks", "1,8,16,16", src, b)
	if !bytes.Equal(readOut(t, a), readOut(t, b)) {
		t.Fatal("a full-length channel crop and a space-only crop differ")
	}
	if inf := info(t, a); fmt.Sprint(inf.Levels[0].Chunks) != "[3 8 16 16]" {
		t.Errorf("default chunks of a channel axis: %v, want the whole axis", inf.Levels[0].Chunks)
	}
}

// A model that changes the channel count (3 -> 3 other channels of a
// 2-channel input: sum, first, last) and one that halves y and x run
// through --exec with --out-channels and --scale: the output has the new
// shape and equals the model applied to the whole image.
func TestApplyExecChannelsAndScale(t *testing.T) {
	cmdline, _ := server(t, "chmix")
	dir := t.TempDir()
	const src = "synth:2x12x40x36?seed=9"
	img := readArray(t, src).(*nd.Array[uint16])
	out := filepath.Join(dir, "mix")
	mustRun(t, "apply", "--exec", cmdline, "--out-channels", "3", "--crop", "8,16,16", "--margin", "1,2,2", "--chunks", "8,16,16", "--batch", "2", src, out)
	got := readArray(t, out).(*nd.Array[uint16])
	if !slices.Equal(got.Shape(), []int{3, 12, 40, 36}) {
		t.Fatalf("output shape %v, want [3 12 40 36]", got.Shape())
	}
	got.Values(func(idx []int, v uint16) {
		x, y := img.At(append([]int{0}, idx[1:]...)...), img.At(append([]int{1}, idx[1:]...)...)
		want := []uint16{x + y, x, y}[idx[0]]
		if v != want {
			t.Fatalf("at %v: %d, want %d", idx, v, want)
		}
	})
	half, _ := server(t, "half")
	out = filepath.Join(dir, "half")
	mustRun(t, "apply", "--exec", half, "--scale", "1,1/2,1/2", "--crop", "6,16,16", "--margin", "0,2,2", "--chunks", "1,6,8,8", src, out)
	hg := readArray(t, out).(*nd.Array[uint16])
	if !slices.Equal(hg.Shape(), []int{2, 12, 20, 18}) {
		t.Fatalf("--scale 1/2: shape %v, want [2 12 20 18]", hg.Shape())
	}
	hg.Values(func(idx []int, v uint16) {
		if w := img.At(idx[0], idx[1], 2*idx[2], 2*idx[3]); v != w {
			t.Fatalf("--scale 1/2 at %v: %d, want %d", idx, v, w)
		}
	})
	if inf := info(t, out); len(inf.Levels) == 0 {
		t.Fatal("no levels")
	}
}

// --exec through the tile adapter equals tile.Map of the same model in Go
// (a doubling server against a doubling function) with reflect padding
// and Gaussian blending.
func TestApplyExecEqualsTileMap(t *testing.T) {
	cmdline, _ := server(t, "double")
	const src = "synth:20x30x40?seed=6"
	img := readArray(t, src)
	out := filepath.Join(t.TempDir(), "out")
	mustRun(t, "apply", "--exec", cmdline, "--crop", "10,16,16", "--margin", "2,3,3", "--border", "reflect", "--blend", "gaussian", "--chunks", "8,16,16", "--batch", "3", src, out)
	p, err := tile.New(img.Shape(), tile.Spec{Crop: []int{10, 16, 16}, Margin: []int{2, 3, 3}, Border: tile.Reflect})
	if err != nil {
		t.Fatal(err)
	}
	double := func(_ context.Context, _ []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		out := make([]nd.Any, len(crops))
		for i, c := range crops {
			y := c.(*nd.Array[uint16]).Clone(nd.C)
			d := y.Data()
			for j := range d {
				d[j] *= 2
			}
			out[i] = y
		}
		return out, nil
	}
	want := mapRef[uint16, uint16](t, p, img, double, tile.BlendGaussian)
	wb, _ := nd.AsBytes(want)
	if !bytes.Equal(wb, readOut(t, out)) {
		t.Fatal("--exec with blending differs from tile.Map")
	}
}

// --placement even and --blend constant reach the tile package too
// (equal to tile.Map with Even and BlendConstant), and --overlap is twice
// --margin.
func TestApplyPlacementOverlap(t *testing.T) {
	const src = "synth:30x50x45?seed=4"
	img := readArray(t, src)
	dir := t.TempDir()
	even, ov := filepath.Join(dir, "even"), filepath.Join(dir, "ov")
	mustRun(t, "apply", "--op", "gaussian", "--sigma", "1", "--crop", "16,24,24", "--margin", "4,4,4", "--placement", "even",
		"--blend", "constant", "--border", "edge", "--chunks", "10,16,16", src, even)
	mustRun(t, "apply", "--op", "gaussian", "--sigma", "1", "--crop", "16,24,24", "--overlap", "8,8,8", "--placement", "even",
		"--blend", "constant", "--border", "edge", "--chunks", "16,10,16", src, ov)
	p, err := tile.New(img.Shape(), tile.Spec{Crop: []int{16, 24, 24}, Margin: []int{4, 4, 4}, Placement: tile.Even, Border: tile.Edge})
	if err != nil {
		t.Fatal(err)
	}
	want := mapRef[uint16, float32](t, p, img, process.Gaussian([]float64{1, 1, 1}, tile.BlendConstant).Func, tile.BlendConstant)
	wb, _ := nd.AsBytes(want)
	if !bytes.Equal(wb, readOut(t, even)) {
		t.Fatal("--placement even --blend constant differs from tile.Map")
	}
	if !bytes.Equal(wb, readOut(t, ov)) {
		t.Fatal("--overlap 8 differs from --margin 4")
	}
	if r := run(t, "apply", "--op", "gaussian", "--overlap", "3", src, filepath.Join(dir, "odd")); r.code != exitUsage || !strings.Contains(r.stderr, "odd") {
		t.Errorf("odd --overlap: exit %d %s", r.code, r.stderr)
	}
	if r := run(t, "apply", "--op", "gaussian", "--crop", "8", "--margin", "4", src, filepath.Join(dir, "small")); r.code != exitUsage || !strings.Contains(r.stderr, "--crop") {
		t.Errorf("crop no larger than twice the margin: exit %d %s", r.code, r.stderr)
	}
}
