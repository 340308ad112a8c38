package downsample

import (
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// tinybrain's own test cases and the cases it gets wrong, ported. Arrays
// are written in our C order: a tinybrain 2-D array img[x][y] appears
// here transposed, as img[y][x], because tinybrain's x (fastest in
// Fortran order) is our last axis.

func arr[T nd.Number](shape []int, v ...T) *nd.Array[T] {
	return nd.FromSlice(v, shape, nd.C)
}

func one[T nd.Number](t *testing.T, src *nd.Array[T], f []int, m Method) []T {
	t.Helper()
	out, err := Reduce(src, f, m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return out.Data()
}

func TestCountlessIfTable(t *testing.T) {
	// (a, b, c, d) in scan order: (y,x) = (0,0), (0,1), (1,0), (1,1).
	cases := []struct {
		v    [4]int32
		want int32
	}{
		{[4]int32{1, 2, 3, 4}, 4},    // all different: d
		{[4]int32{0, 2, 0, 3}, 0},    // tinybrain [[0,0],[2,3]] -> 0 (non-sparse)
		{[4]int32{1, 2, 1, 2}, 1},    // [[1,1],[2,2]] -> 1
		{[4]int32{1, 2, 2, 2}, 2},    // [[1,2],[2,2]] -> 2
		{[4]int32{1, 2, 2, 1}, 2},    // [[1,2],[2,1]] -> 2 by countless-if
		{[4]int32{1, 1, 2, 2}, 1},    // 2-2 ties: the pair without d
		{[4]int32{-1, -1, 5, 7}, -1}, // signed: tinybrain's numpy path gives 7
	}
	for _, c := range cases {
		if got := one(t, arr([]int{2, 2}, c.v[:]...), []int{2, 2}, Mode); got[0] != c.want {
			t.Errorf("mode %v = %d, want %d", c.v, got[0], c.want)
		}
	}
	if got := one(t, arr([]int{2, 2}, uint8(255), 1, 255, 2), []int{2, 2}, Mode); got[0] != 255 {
		t.Errorf("uint8 [[255,255],[1,2]] = %d, want 255", got[0])
	}
	var top uint64 = 1<<64 - 1
	if got := one(t, arr([]int{2, 2}, top, 1, top, 2), []int{2, 2}, Mode); got[0] != top {
		t.Errorf("uint64 max label lost: %d", got[0])
	}
}

// Odd edges of 2x2 mode repeat the edge voxel, which gives tinybrain's
// strided edge values: a 3x3 grid of 1..9 gives [[5,3],[7,9]] in its
// (x,y) layout, [[5,7],[3,9]] in ours.
func TestModeOddEdges(t *testing.T) {
	img := arr([]int{3, 3}, int32(1), 4, 7, 2, 5, 8, 3, 6, 9)
	if got, want := one(t, img, []int{2, 2}, Mode), []int32{5, 7, 3, 9}; !slices.Equal(got, want) {
		t.Errorf("3x3 mode = %v, want %v", got, want)
	}
	// tinybrain's odd 3x2 case: [[1],[3]].
	img = arr([]int{2, 3}, int32(1), 1, 3, 1, 1, 3)
	if got, want := one(t, img, []int{2, 2}, Mode), []int32{1, 3}; !slices.Equal(got, want) {
		t.Errorf("2x3 mode = %v, want %v", got, want)
	}
}

func TestShapes(t *testing.T) {
	cases := []struct{ in, f, want []int }{
		{[]int{62, 511, 1024}, []int{1, 2, 2}, []int{62, 256, 512}}, // tinybrain (1024,511,62) (2,2,1)
		{[]int{100, 2, 100}, []int{1, 2, 2}, []int{100, 1, 50}},
		{[]int{100, 1, 100}, []int{1, 2, 2}, []int{100, 1, 50}}, // tinybrain raises; we keep 1
		{[]int{7}, []int{2}, []int{4}},
		{[]int{7, 9, 3}, []int{3, 4, 1}, []int{3, 3, 3}},
	}
	for _, c := range cases {
		if got := OutShape(c.in, c.f); !slices.Equal(got, c.want) {
			t.Errorf("OutShape(%v, %v) = %v, want %v", c.in, c.f, got, c.want)
		}
	}
	// A 7-voxel axis gives 4, 2, 1; a fourth level is an error.
	if _, err := Levels(nd.New[uint8]([]int{7}, nd.C), []int{2}, 4, Mean, Options{}); err == nil {
		t.Error("a fourth level of a 7-voxel axis was accepted")
	}
	l, err := Levels(nd.New[uint8]([]int{7}, nd.C), []int{2}, 3, Mean, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, a := range l {
		got = append(got, a.Shape()[0])
	}
	if !slices.Equal(got, []int{4, 2, 1}) {
		t.Errorf("7-voxel axis levels %v", got)
	}
}

func TestMode2x2x2(t *testing.T) {
	f := []int{2, 2, 2}
	cases := []struct {
		v      []uint16
		sparse bool
		want   uint16
	}{
		{[]uint16{1, 1, 1, 1, 1, 1, 1, 1}, false, 1},
		{[]uint16{1, 1, 1, 1, 2, 2, 2, 2}, false, 1},  // 4-4 tie: first seen
		{[]uint16{3, 4, 5, 6, 7, 8, 9, 10}, false, 3}, // all distinct: first voxel
		{[]uint16{5, 2, 2, 5, 2, 9, 9, 9}, false, 2},  // 3-3 tie, 2 before 9... 5 first but count 2
		{[]uint16{0, 0, 0, 0, 0, 2, 2, 7}, true, 2},   // zeros never win when sparse
		{[]uint16{0, 0, 0, 0, 0, 0, 2, 0}, true, 2},   // a lone label survives
		{[]uint16{0, 0, 0, 0, 0, 0, 0, 0}, true, 0},
		{[]uint16{0, 0, 0, 0, 0, 2, 2, 7}, false, 0},
	}
	for _, c := range cases {
		m := Mode
		if c.sparse {
			m = SparseMode
		}
		if got := one(t, arr([]int{2, 2, 2}, c.v...), f, m); got[0] != c.want {
			t.Errorf("%v %v = %d, want %d", m, c.v, got[0], c.want)
		}
	}
	// Edge voxels vote twice: a 1x2x3 block (x odd) with labels 4 4 7 at
	// x = 0 and 7 at the replicated x = 2 edge.
	img := arr([]int{1, 1, 3}, uint16(4), 4, 7)
	if got := one(t, img, f, Mode); !slices.Equal(got, []uint16{4, 7}) {
		t.Errorf("edge replication: %v, want [4 7]", got)
	}
	// 4x4x4 ones with factor 4 -> 1 (tinybrain's 4x4x4 case).
	ones := nd.New[uint32]([]int{4, 4, 4}, nd.C)
	ones.Fill(1)
	if got := one(t, ones, []int{4, 4, 4}, Mode); !slices.Equal(got, []uint32{1}) {
		t.Errorf("4x4x4 ones: %v", got)
	}
}

// C order and channels: tinybrain's 2x2x2 mode transposes C-order input
// and corrupts channels; the results here depend only on values.
func TestModeLayoutsAndChannels(t *testing.T) {
	// Shape (z, y, x, c) = (2, 2, 4, 2) with factor (2, 2, 2, 1): channel
	// 0 holds 0 in the first x-block and 7 in the second; channel 1 the
	// opposite.
	img := nd.New[uint8]([]int{2, 2, 4, 2}, nd.C)
	img.Values(func(idx []int, _ uint8) {
		v := uint8(0)
		if (idx[2] >= 2) != (idx[3] == 1) {
			v = 7
		}
		img.Set(v, idx...)
	})
	got := one(t, img, []int{2, 2, 2, 1}, Mode)
	if want := []uint8{0, 7, 7, 0}; !slices.Equal(got, want) {
		t.Errorf("channels: %v, want %v", got, want)
	}
	if got := one(t, img.Clone(nd.F), []int{2, 2, 2, 1}, Mode); !slices.Equal(got, []uint8{0, 7, 7, 0}) {
		t.Errorf("F-order input: %v", got)
	}
}

func TestSparseMean(t *testing.T) {
	f := []int{2, 2, 2}
	cases := []struct {
		v    []uint8
		want uint8
	}{
		{[]uint8{1, 1, 1, 1, 1, 1, 1, 1}, 1},
		{[]uint8{2, 2, 2, 2, 2, 2, 3, 3}, 2}, // 18/8
		{[]uint8{0, 1, 1, 1, 2, 2, 2, 2}, 1}, // 11/7
		{[]uint8{0, 0, 0, 2, 0, 0, 0, 0}, 2}, // a lone value
		{[]uint8{0, 0, 0, 0, 0, 0, 0, 0}, 0},
	}
	for _, c := range cases {
		if got := one(t, arr([]int{2, 2, 2}, c.v...), f, SparseMean); got[0] != c.want {
			t.Errorf("sparse mean %v = %d, want %d", c.v, got[0], c.want)
		}
	}
	// Not a mean of means: 100 in one quadrant and four 10s in another of
	// a 4x4 give 140/5 = 28 at level 2 (a mean of means gives 55).
	img := nd.New[uint8]([]int{4, 4}, nd.C)
	img.Set(100, 0, 0)
	for _, p := range [][2]int{{2, 2}, {2, 3}, {3, 2}, {3, 3}} {
		img.Set(10, p[0], p[1])
	}
	l, err := Levels(img, []int{2, 2}, 2, SparseMean, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := l[1].Data()[0]; got != 28 {
		t.Errorf("sparse level 2 = %d, want 28", got)
	}
	// All ones stay 1 for 6 levels (tinybrain gives 1,1,1,1,0,0), and an
	// odd x edge is not doubled (tinybrain gives 84 for 42).
	ones := nd.New[uint16]([]int{64, 64}, nd.C)
	ones.Fill(1)
	l16, _ := Levels(ones, []int{2, 2}, 6, SparseMean, Options{})
	for k, a := range l16 {
		if a.Data()[0] != 1 {
			t.Errorf("ones, level %d: %d", k+1, a.Data()[0])
		}
	}
	odd := nd.New[uint8]([]int{2, 3}, nd.C)
	odd.Fill(42)
	if got := one(t, odd, []int{2, 2}, SparseMean); !slices.Equal(got, []uint8{42, 42}) {
		t.Errorf("odd x edge: %v, want [42 42]", got)
	}
	// tinybrain's (2,2,3) case with odd z: [[[1,1]]].
	z := nd.New[uint8]([]int{3, 2, 2}, nd.C)
	z.Fill(1)
	if got := one(t, z, f, SparseMean); !slices.Equal(got, []uint8{1, 1}) {
		t.Errorf("odd z: %v", got)
	}
}

// tinybrain's multi-mip rule: truncation every 4 levels for 2x2 uint8.
// A constant 3 gives 3 at every level; a checkerboard of 0 and 3 gives
// M1 = 1.5 -> 1, and the carried 1.5 keeps giving 1 until the floor.
func TestTruncateCycle(t *testing.T) {
	img := nd.New[uint8]([]int{32, 32}, nd.C)
	img.Values(func(idx []int, _ uint8) {
		if (idx[0]+idx[1])%2 == 1 {
			img.Set(3, idx...)
		}
	})
	l, err := Levels(img, []int{2, 2}, 5, Mean, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for k, a := range l {
		if a.Data()[0] != 1 {
			t.Errorf("level %d: %d, want 1", k+1, a.Data()[0])
		}
	}
	// NearestEven rounds 1.5 to 2.
	l, _ = Levels(img, []int{2, 2}, 5, Mean, Options{Rounding: NearestEven})
	for k, a := range l {
		if a.Data()[0] != 2 {
			t.Errorf("nearest-even level %d: %d, want 2", k+1, a.Data()[0])
		}
	}
	// Signed means truncate toward zero: -1.5 -> -1.
	s := nd.FromSlice([]int16{-3, 0, 0, -3}, []int{2, 2}, nd.C)
	if got := one(t, s, []int{2, 2}, Mean); got[0] != -1 {
		t.Errorf("signed mean %d, want -1", got[0])
	}
}

func TestMinMaxMedianStride(t *testing.T) {
	img := arr([]int{2, 4}, int8(-1), 5, 2, 2, 3, -7, 9, 1) // tinybrain's max-pool case shape
	f := []int{2, 2}
	for _, c := range []struct {
		m    Method
		want []int8
	}{
		{Max, []int8{5, 9}},
		{Min, []int8{-7, 1}},
		{Stride, []int8{-1, 2}},
		{Median, []int8{-1, 2}}, // lower median of (-1,5,3,-7) and (2,2,9,1)
	} {
		if got := one(t, img, f, c.m); !slices.Equal(got, c.want) {
			t.Errorf("%v = %v, want %v", c.m, got, c.want)
		}
	}
	// Factors tinybrain's numpy mode path cannot do: (2,1,1).
	lab := arr([]int{4, 1, 2}, uint32(1), 2, 1, 3, 5, 5, 6, 7)
	if got := one(t, lab, []int{2, 1, 1}, Mode); !slices.Equal(got, []uint32{1, 2, 5, 5}) {
		t.Errorf("(2,1,1) mode: %v", got)
	}
}

func TestErrors(t *testing.T) {
	a := nd.New[float32]([]int{4, 4}, nd.C)
	for _, c := range []struct {
		f []int
		n int
		m Method
	}{
		{[]int{2}, 1, Mean},
		{[]int{2, 0}, 1, Mean},
		{[]int{2, 2}, 0, Mean},
		{[]int{2, 2}, 1, Mode},
		{[]int{2, 2}, 1, SparseMean},
		{[]int{2, 2}, 1, Method(42)},
	} {
		if _, err := Levels(a, c.f, c.n, c.m, Options{}); err == nil {
			t.Errorf("no error for factor %v levels %d method %v", c.f, c.n, c.m)
		}
	}
}
