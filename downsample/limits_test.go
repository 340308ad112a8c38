package downsample

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// Regression (issue 9): OutShape computed (n+f-1)/f, which overflows for a
// factor of MaxInt and made Reduce panic. A factor larger than the axis
// is valid: the block is the whole axis.
func TestReduceHugeFactor(t *testing.T) {
	src := nd.FromSlice([]uint8{1, 2, 3, 4, 6}, []int{5}, nd.C)
	for _, m := range []Method{Mean, SparseMean, Mode, Max, Median} {
		got, err := Reduce(src, []int{math.MaxInt}, m, Options{})
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		want := map[Method]uint8{Mean: 3, SparseMean: 3, Mode: 1, Max: 6, Median: 3}[m]
		if s := got.Shape(); len(s) != 1 || s[0] != 1 || got.At(0) != want {
			t.Errorf("%v by MaxInt: shape %v value %v, want [1] %d", m, s, got.Data(), want)
		}
	}
	if s := OutShape([]int{math.MaxInt, 7, 1}, []int{math.MaxInt - 1, math.MaxInt, math.MaxInt}); s[0] != 2 || s[1] != 1 || s[2] != 1 {
		t.Errorf("OutShape = %v, want [2 1 1]", s)
	}
}

// Regression (issue 9): the number of levels had no bound, so 100000
// levels of a 4-voxel axis ran 99998 levels of 1 voxel each. Levels past
// the one where the shape stops changing are an error naming the count.
func TestLevelsBeyondAllOnes(t *testing.T) {
	src := nd.FromSlice([]uint16{1, 2, 3, 4}, []int{4}, nd.C)
	for _, m := range []Method{Mean, SparseMean, Mode, Stride} {
		_, err := Levels(src, []int{2}, 100000, m, Options{})
		if err == nil || !strings.Contains(err.Error(), "100000 levels") {
			t.Errorf("%v with 100000 levels: error %v, want one naming 100000 levels", m, err)
		}
		l, err := Levels(src, []int{2}, 2, m, Options{})
		if err != nil || len(l) != 2 || l[1].Len() != 1 {
			t.Errorf("%v with 2 levels: %v, %v", m, l, err)
		}
		if _, err := Levels(src, []int{2}, 3, m, Options{}); err == nil {
			t.Errorf("%v: a third level of a 4-voxel axis by 2 was accepted", m)
		}
	}
}

// Regression (issue 9): a rank-64 array with factor 2 everywhere made the
// row kernels allocate a slice of capacity 1<<63 and panic.
func TestLevelsManyFactorTwoAxes(t *testing.T) {
	shape := make([]int, 64)
	factor := make([]int, 64)
	for i := range shape {
		shape[i], factor[i] = 1, 2
	}
	shape[63] = 3
	src := nd.New[uint8](shape, nd.C)
	_, err := Reduce(src, factor, Mean, Options{})
	if err == nil || !strings.Contains(err.Error(), "factor") {
		t.Errorf("64 axes of factor 2: error %v, want one about the factors", err)
	}
}

// Regression (issue 9): a non-contiguous source is copied first, and a
// broadcast view (stride 0) of 2^62 voxels made that copy panic in the
// runtime instead of returning an error.
func TestLevelsHugeBroadcastSource(t *testing.T) {
	v, err := nd.FromStrided([]uint8{7}, []int{1 << 62}, []int{0}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Reduce(v, []int{2}, Max, Options{}); err == nil {
		t.Error("reducing a 2^62-voxel broadcast view: no error")
	}
}

// The sorting mode of large blocks agrees with the pairwise one (ties to
// the value met first, zeros skipped when sparse) on random blocks of 1 to
// 400 voxels with few distinct labels, and a factor-100 mode of 10^4
// voxels per block goes through it.
func TestBlockModeSorted(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	for iter := range 2000 {
		n := 1 + r.IntN(400)
		data := make([]int16, n+r.IntN(10))
		for i := range data {
			data[i] = int16(r.IntN(1+iter%7)) - 2
		}
		idx := r.Perm(len(data))[:n]
		for _, sparse := range []bool{false, true} {
			if got, want := blockModeSorted(data, idx, sparse), blockModeSmall(data, idx, sparse); got != want {
				t.Fatalf("block %v (sparse %v): sorted %d, pairwise %d", idx, sparse, got, want)
			}
		}
	}
	img := nd.New[uint32]([]int{100, 100}, nd.C)
	for i := range img.Data() {
		img.Data()[i] = uint32(i % 7)
	}
	got, err := Reduce(img, []int{100, 100}, Mode, Options{})
	if err != nil || got.At(0, 0) != 0 {
		t.Errorf("mode of 0..6 repeated (0 most frequent) = %v, %v", got.Data(), err)
	}
}

// FuzzLevelsArgs: for any factor (including huge and non-positive ones)
// and level count, Levels returns an error or exactly n levels whose
// shapes follow OutShape, and never panics; MaxLevels levels are accepted
// and one more is not.
func FuzzLevelsArgs(f *testing.F) {
	f.Add(uint8(5), uint8(3), int64(2), int64(math.MaxInt64), int64(3))
	f.Add(uint8(1), uint8(1), int64(1), int64(1), int64(1))
	f.Add(uint8(7), uint8(2), int64(0), int64(-3), int64(100000))
	f.Fuzz(func(t *testing.T, a, b uint8, f0, f1, levels int64) {
		shape := []int{1 + int(a%9), 1 + int(b%9)}
		factor := []int{int(f0), int(f1)}
		img := nd.New[uint8](shape, nd.C)
		for i := range img.Data() {
			img.Data()[i] = uint8(i * 37)
		}
		mx, merr := MaxLevels(shape, factor)
		for _, m := range allMethods {
			got, err := Levels(img, factor, int(levels), m, Options{})
			if err != nil {
				continue
			}
			if merr != nil || int(levels) > mx || len(got) != int(levels) {
				t.Fatalf("%v levels of %v by %v accepted (MaxLevels %d, %v)", levels, shape, factor, mx, merr)
			}
			want := shape
			for _, l := range got {
				want = OutShape(want, factor)
				if !slices.Equal(l.Shape(), want) {
					t.Fatalf("level shape %v, want %v", l.Shape(), want)
				}
			}
		}
		if merr == nil {
			if _, err := Levels(img, factor, mx, Max, Options{}); err != nil {
				t.Errorf("MaxLevels = %d levels rejected: %v", mx, err)
			}
			if _, err := Levels(img, factor, mx+1, Max, Options{}); err == nil {
				t.Errorf("MaxLevels+1 = %d levels accepted", mx+1)
			}
		}
	})
}
