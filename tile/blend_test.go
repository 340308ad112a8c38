package tile

import (
	"context"
	"math"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/f32"
	"github.com/ryomen-dev/ryomen/nd"
)

// tileValue is the value a test function returns at image coordinate g
// of tile idx: different crops disagree, so blending really mixes.
func tileValue(g []int, idx int, mod int) int {
	v := idx * 37
	for d, x := range g {
		v += x * (13*d + 5)
	}
	return ((v % mod) + mod) % mod
}

// tileFn fills each result with tileValue; with transpose it returns a
// non-contiguous view (a transposed array seen back in the crop's axis
// order), which exercises the strided accumulation path.
func tileFn[T nd.Number](mod int, transpose bool) Func[T, T] {
	return func(_ context.Context, b Batch[T]) ([]*nd.Array[T], error) {
		res := make([]*nd.Array[T], len(b.Crops))
		for i, c := range b.Crops {
			t := b.Tiles[i]
			y := nd.New[T](c.Shape(), nd.C)
			if transpose && y.Rank() >= 2 {
				r := y.Rank()
				perm := make([]int, r)
				for d := range perm {
					perm[d] = r - 1 - d
				}
				sh := c.Shape()
				rev := make([]int, r)
				for d := range rev {
					rev[d] = sh[r-1-d]
				}
				y = nd.New[T](rev, nd.C).Transpose(perm...)
			}
			g := make([]int, y.Rank())
			y.Values(func(idx []int, _ T) {
				for d := range g {
					g[d] = t.Crop.Min[d] + idx[d]
				}
				y.Set(T(tileValue(g, t.Index, mod)), idx...)
			})
			res[i] = y
		}
		return res, nil
	}
}

// refBlend is the reference blend in float64: for every tile and every
// voxel x of its region, out[x] += prod_k w_k[x_k] * y, with the
// normalised per-axis windows of axisWeights.
func refBlend(p *Plan, m Merge, sigma float64, mod int) *nd.Array[float64] {
	out := nd.New[float64](p.OutShape(), nd.C)
	var ws [][][]float64
	for k := range p.axes {
		ws = append(ws, axisWeights(&p.axes[k], m, sigma))
	}
	for t := range p.All() {
		sub := out.Sub(t.Region)
		g := make([]int, sub.Rank())
		sub.Values(func(idx []int, v float64) {
			w := 1.0
			for k := range p.axes {
				d := p.lead + k
				w *= ws[k][t.Grid[k]][idx[d]]
			}
			for d := range g {
				g[d] = t.Crop.Min[d] + t.RegionSource.Min[d] + idx[d]
			}
			sub.Set(v+w*float64(tileValue(g, t.Index, mod)), idx...)
		})
	}
	return out
}

type blendCase struct {
	name  string
	shape []int
	spec  Spec
}

var blendCases = []blendCase{
	{"2d", []int{70, 90}, Spec{Crop: []int{24, 32}, Margin: []int{4, 6}}},
	{"3d-lead", []int{2, 20, 30, 41}, Spec{Crop: []int{12, 16, 16}, Margin: []int{2, 3, 3}, Placement: Even}},
	{"band-not-first", []int{9, 60, 50}, Spec{Crop: []int{9, 20, 20}, Margin: []int{0, 4, 4}, Border: None}},
	{"band-last", []int{3, 5, 200}, Spec{Crop: []int{5, 48}, Margin: []int{0, 8}}},
	{"1d", []int{301}, Spec{Crop: []int{64}, Margin: []int{12}}},
	{"last-one-crop", []int{80, 30}, Spec{Crop: []int{24, 30}, Margin: []int{4, 0}}},
	{"constant-border", []int{33, 47}, Spec{Crop: []int{16, 16}, Margin: []int{5, 3}, Border: Constant}},
}

// runBlend blends tileFn's results with Map and returns the output.
func runBlend[T nd.Number](t *testing.T, c blendCase, m Merge, mod int, transpose bool, workers int) (*Plan, *nd.Array[T]) {
	t.Helper()
	p, err := New(c.shape, c.spec)
	if err != nil {
		t.Fatal(err)
	}
	out := nd.New[T](p.OutShape(), nd.C)
	err = Map(context.Background(), p, nd.New[T](c.shape, nd.C), out, tileFn[T](mod, transpose), Options{Merge: m, Workers: workers, BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	return p, out
}

// Integer blends from float32 accumulators (uint8, uint16) agree with
// the float64 reference rounded half away from zero, except by one step
// where the exact value lies within the error bound of [blender] (for
// 16 bits and at most 4 crops per voxel, 0.04) of
// a rounding tie; float64-accumulated types (int32, float64) agree
// exactly or to 1e-12; float32 to 1e-6 relative.
func TestBlendMatchesFloat64Reference(t *testing.T) {
	for _, c := range blendCases {
		for _, m := range []Merge{BlendConstant, BlendGaussian} {
			for _, tr := range []bool{false, true} {
				ref := refBlend(mustPlan(t, c), m, 0.125, 65536)
				_, u16 := runBlend[uint16](t, c, m, 65536, tr, 2)
				checkInt(t, c.name+"/uint16", ref, u16, 0.04)
				ref8 := refBlend(mustPlan(t, c), m, 0.125, 256)
				_, u8 := runBlend[uint8](t, c, m, 256, tr, 1)
				checkInt(t, c.name+"/uint8", ref8, u8, 1e-3)
				_, i32 := runBlend[int32](t, c, m, 65536, tr, 2)
				checkInt(t, c.name+"/int32", ref, i32, 1e-9)
				_, f := runBlend[float32](t, c, m, 65536, tr, 2)
				_, d := runBlend[float64](t, c, m, 65536, tr, 2)
				for i, v := range ref.Data() {
					if e := math.Abs(float64(f.Data()[i]) - v); e > 1e-6*65536 {
						t.Fatalf("%s/float32 %v: voxel %d = %v, want %v", c.name, m, i, f.Data()[i], v)
					}
					if e := math.Abs(d.Data()[i] - v); e > 1e-12*65536 {
						t.Fatalf("%s/float64 %v: voxel %d = %v, want %v", c.name, m, i, d.Data()[i], v)
					}
				}
			}
		}
	}
}

func mustPlan(t *testing.T, c blendCase) *Plan {
	t.Helper()
	p, err := New(c.shape, c.spec)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkInt compares an integer blend with the float64 reference: equal
// to the reference rounded half away from zero, or one step off where the
// reference is within tol of a tie.
func checkInt[T nd.Number](t *testing.T, name string, ref *nd.Array[float64], got *nd.Array[T], tol float64) {
	t.Helper()
	off, worst := 0, 0.0
	for i, v := range ref.Data() {
		g := float64(got.Data()[i])
		w := math.Round(v)
		if g == w {
			continue
		}
		if d := math.Abs(math.Abs(v-math.Trunc(v)) - 0.5); math.Abs(g-w) == 1 && d <= tol {
			off++
			worst = max(worst, d)
			continue
		}
		t.Fatalf("%s: voxel %d = %v, reference %v", name, i, g, v)
	}
	t.Logf("%s: %d of %d voxels one step off, at most %.3g from a tie", name, off, ref.Len(), worst)
}

// Blending crops that all agree returns the image exactly, at the top of
// the 16-bit range too (the float32 error bound is far below 0.5), with
// and without the vector kernels.
func TestBlendIdentityExact(t *testing.T) {
	for _, vec := range []bool{true, false} {
		old := f32.Vector
		f32.Vector = vec && old
		for _, c := range blendCases {
			img := nd.New[uint16](c.shape, nd.C)
			for i := range img.Data() {
				img.Data()[i] = uint16(65535 - i%97)
			}
			p := mustPlan(t, c)
			out := nd.New[uint16](c.shape, nd.C)
			if err := Map(context.Background(), p, img, out, identity[uint16], Options{Merge: BlendGaussian, Sigma: 0.05, Workers: 2}); err != nil {
				t.Fatal(err)
			}
			for i, v := range out.Data() {
				if v != img.Data()[i] {
					t.Fatalf("%s vector %v: voxel %d = %d, want %d", c.name, vec, i, v, img.Data()[i])
				}
			}
		}
		f32.Vector = old
	}
}

func TestWideAccum(t *testing.T) {
	for dt, want := range map[string]bool{
		"uint8": wideAccum[uint8](), "int16": wideAccum[int16](), "float32": wideAccum[float32](),
	} {
		if want {
			t.Errorf("%s: float64 accumulators, want float32", dt)
		}
	}
	if !wideAccum[uint32]() || !wideAccum[int32]() || !wideAccum[int64]() || !wideAccum[float64]() {
		t.Error("32-bit integers and 64-bit types must accumulate in float64")
	}
}

// convRow rounds and clamps as nd.ConvertClamp does, for both
// accumulator widths.
func TestConvRowMatchesConvertClamp(t *testing.T) {
	src := []float64{-1e10, -129.5, -128.5, -2.5, -0.5, -0.4, 0, 0.4, 0.5, 1.5, 126.5, 127.5, 254.5, 255.4, 255.5, 1e10, math.NaN(), math.Inf(-1), math.Inf(1)}
	checkConv[int8](t, src)
	checkConv[uint8](t, src)
	checkConv[int16](t, src)
	checkConv[uint16](t, src)
	checkConv[int32](t, src)
	checkConv[uint64](t, src)
	checkConv[int64](t, src)
}

func checkConv[U nd.Number](t *testing.T, src []float64) {
	t.Helper()
	want := nd.New[U]([]int{len(src)}, nd.C)
	nd.ConvertClamp(want, nd.FromSlice(src, []int{len(src)}, nd.C))
	top := want.Data()[len(src)-1]
	got := make([]U, len(src))
	convRow(got, src, top)
	for i := range src {
		if got[i] != want.Data()[i] {
			t.Errorf("%v float64 %v: %v, want %v", nd.DTypeOf[U](), src[i], got[i], want.Data()[i])
		}
	}
	if nd.DTypeOf[U]().Size() > 2 {
		return
	}
	s32 := make([]float32, len(src))
	for i, v := range src {
		s32[i] = float32(v)
	}
	convRow(got, s32, top)
	for i := range src {
		if got[i] != want.Data()[i] {
			t.Errorf("%v float32 %v: %v, want %v", nd.DTypeOf[U](), src[i], got[i], want.Data()[i])
		}
	}
}

// writerOnly hides an array's type, so the blender cannot write into it
// in place and goes through WriteRegion.
type writerOnly struct{ nd.Writer }

// Blending into a plain nd.Writer gives the same output as blending into
// an in-memory array (converted in place), with one worker and two.
func TestBlendThroughWriter(t *testing.T) {
	for _, c := range blendCases {
		for _, workers := range []int{1, 2} {
			p, direct := runBlend[uint8](t, c, BlendGaussian, 256, false, workers)
			out := nd.New[uint8](p.OutShape(), nd.C)
			err := Map(context.Background(), p, nd.New[uint8](c.shape, nd.C), writerOnly{out}, tileFn[uint8](256, false), Options{Merge: BlendGaussian, Workers: workers, BatchSize: 3})
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range out.Data() {
				if v != direct.Data()[i] {
					t.Fatalf("%s: voxel %d = %d through a Writer, %d in place", c.name, i, v, direct.Data()[i])
				}
			}
		}
	}
}
