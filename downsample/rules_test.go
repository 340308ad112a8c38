package downsample

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// The tinybrain rule differences of issue 11, as golden values worked out
// from tinybrain's semantics (downsampling-anchors.md). Our arrays are C
// order, tinybrain's (x, y) arrays Fortran order: its shape (4, 1) with
// factor (2, 1) is our shape (1, 4) with factor (1, 2). Each case runs on
// the fast and the general paths, so both follow the rule.

// bothPaths runs f with the fast paths and again with the general ones.
func bothPaths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	t.Run("fast", f)
	generic.Store(true)
	defer generic.Store(false)
	t.Run("generic", f)
}

func levelsOf[T nd.Number](t *testing.T, v []T, shape, factor []int, n int, m Method) [][]T {
	t.Helper()
	l, err := Levels(nd.FromSlice(v, shape, nd.C), factor, n, m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]T
	for _, a := range l {
		out = append(out, a.Data())
	}
	return out
}

func wantLevels[T nd.Number](t *testing.T, what string, got, want [][]T) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: levels %v, want %v (tinybrain)", what, got, want)
	}
}

// (a) 8- and 16-bit means with factors other than 2x2 and 2x2x2 carry the
// exact mean between levels (tinybrain's numpy path, which never rounds
// its float32 carry); we used to floor every level and drift low.
func TestRuleCarryExact8And16Bit(t *testing.T) {
	bothPaths(t, func(t *testing.T) {
		// The case: uint8 [1,2,2,3], tinybrain shape (4,1), factor (2,1):
		// level 1 trunc(1.5, 2.5) = 1, 2; level 2 trunc(2.0) = 2 (flooring gave 1).
		wantLevels(t, "uint8 (2,1)", levelsOf(t, []uint8{1, 2, 2, 3}, []int{1, 4}, []int{1, 2}, 2, Mean), [][]uint8{{1, 2}, {2}})
		wantLevels(t, "uint16 (2,1)", levelsOf(t, []uint16{1001, 1002, 1002, 1003}, []int{4, 1}, []int{2, 1}, 2, Mean), [][]uint16{{1001, 1002}, {1002}})
		// 2x2x2x2 is not tinybrain's 2x2 or 2x2x2 either: never floored.
		v := make([]uint8, 16*16)
		for i := range v {
			v[i] = uint8(1 + i%2 + i/128) // block means 1.5 in the first half of axis 0, 2.5 in the second
		}
		wantLevels(t, "uint8 2x2x2x2", levelsOf(t, v, []int{4, 4, 4, 4}, []int{2, 2, 2, 2}, 2, Mean), [][]uint8{{1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2}, {2}})
		// Factor 3, partial last block: level 1 is 5/3, 8/3, 5/2; level 2
		// is their mean 41/18 = 2.28, so 2 (flooring gave mean(1,2,2) = 1).
		wantLevels(t, "uint8 f=3 odd", levelsOf(t, []uint8{1, 2, 2, 2, 3, 3, 2, 3}, []int{8}, []int{3}, 2, Mean), [][]uint8{{1, 2, 2}, {2}})
		wantLevels(t, "uint16 f=3", levelsOf(t, []uint16{1, 2, 2, 2, 3, 3, 2, 3, 3}, []int{9}, []int{3}, 2, Mean), [][]uint16{{1, 2, 2}, {2}})
		// Signed: -41/18 truncates to -2; level 1 truncates toward zero.
		wantLevels(t, "int16 f=3 odd", levelsOf(t, []int16{-1, -2, -2, -2, -3, -3, -2, -3}, []int{8}, []int{3}, 2, Mean), [][]int16{{-1, -2, -2}, {-2}})
		// 2x2 keeps tinybrain's accelerated rule: floored every 4 levels
		// only, so level 2 of (1.5, 2.5) pairs is 2 as well.
		wantLevels(t, "uint8 2x2", levelsOf(t, []uint8{1, 2, 2, 3, 1, 2, 2, 3}, []int{2, 4}, []int{2, 2}, 2, Mean), [][]uint8{{1, 2}, {2}})
	})
}

// (b) 32- and 64-bit means carry trunc(mean) between levels (tinybrain's
// numpy path truncates every level); we used to carry floor(mean).
func TestRuleCarryTrunc32And64Bit(t *testing.T) {
	bothPaths(t, func(t *testing.T) {
		// Level 1: trunc(-1.5, -2.5) = -1, -2; carried as -1, -2; level 2:
		// trunc(-1.5) = -1 (carrying the floors -2, -3 gave -2).
		wantLevels(t, "int32 f=2", levelsOf(t, []int32{-1, -2, -2, -3}, []int{4}, []int{2}, 2, Mean), [][]int32{{-1, -2}, {-1}})
		wantLevels(t, "int64 f=2", levelsOf(t, []int64{-1, -2, -2, -3}, []int{4}, []int{2}, 2, Mean), [][]int64{{-1, -2}, {-1}})
		// 2x2: blocks of means -1.25 and -2.75 -> -1, -2 -> trunc(-1.5) = -1.
		wantLevels(t, "int32 2x2", levelsOf(t, []int32{-1, -1, -2, -3, -1, -2, -3, -3}, []int{2, 4}, []int{2, 2}, 2, Mean), [][]int32{{-1, -2}, {-1}})
		// Factor 3: -5/3, -8/3 -> -1, -2 -> trunc(-1.5) = -1.
		wantLevels(t, "int64 f=3", levelsOf(t, []int64{-1, -2, -2, -2, -3, -3}, []int{6}, []int{3}, 2, Mean), [][]int64{{-1, -2}, {-1}})
		// Unsigned: trunc is floor, nothing changes.
		wantLevels(t, "uint32 f=2", levelsOf(t, []uint32{1, 2, 2, 3}, []int{4}, []int{2}, 2, Mean), [][]uint32{{1, 2}, {1}})
	})
}

// (c) Signed sparse means truncate S/C toward zero, as tinybrain does
// (and as our non-sparse signed mean does); we used to floor.
func TestRuleSparseMeanTruncates(t *testing.T) {
	bothPaths(t, func(t *testing.T) {
		// Level 1: -3/1, -4/1; level 2 over the whole block: -7/2 -> -3.
		wantLevels(t, "int16", levelsOf(t, []int16{-3, 0, -4, 0}, []int{4}, []int{2}, 2, SparseMean), [][]int16{{-3, -4}, {-3}})
		wantLevels(t, "int8", levelsOf(t, []int8{-1, -2, 0, 0}, []int{2, 2}, []int{2, 2}, 1, SparseMean), [][]int8{{-1}})
		wantLevels(t, "int32 2x2x2", levelsOf(t, []int32{-5, 0, 0, -2, 0, 0, 0, 0}, []int{2, 2, 2}, []int{2, 2, 2}, 1, SparseMean), [][]int32{{-3}})
		wantLevels(t, "int64", levelsOf(t, []int64{-7, 0, 0, -2}, []int{4}, []int{4}, 1, SparseMean), [][]int64{{-4}})
		wantLevels(t, "uint8", levelsOf(t, []uint8{7, 0, 0, 2}, []int{4}, []int{4}, 1, SparseMean), [][]uint8{{4}})
	})
}

// (d) The sparse 2x2 mode's last fallback, the first nonzero voxel, goes
// (0,0), then one step along the slow axis, then one along the fast axis:
// tinybrain's a, b, c are (x0,y0), (x0,y1), (x1,y0), and its y is our
// slow axis. tinybrain's stippled test [[0,2],[3,0]] -> 2 is our
// transposed [[0,3],[2,0]] -> 2; [[1,2],[3,0]] -> 1.
func TestRuleStippledOrder(t *testing.T) {
	cases := []struct {
		v    [4]uint16 // our (y, x) order: a b / c d
		want uint16
	}{
		{[4]uint16{0, 3, 2, 0}, 2}, // tinybrain [[0,2],[3,0]]
		{[4]uint16{1, 3, 2, 0}, 1}, // tinybrain [[1,2],[3,0]]
		{[4]uint16{0, 5, 7, 0}, 7},
		{[4]uint16{0, 5, 0, 0}, 5},
		{[4]uint16{0, 5, 7, 9}, 9}, // d before the fallback
		{[4]uint16{0, 5, 5, 9}, 5}, // a pair before d
		{[4]uint16{0, 0, 0, 0}, 0},
	}
	bothPaths(t, func(t *testing.T) {
		for _, c := range cases {
			// Pairs along the last axis, rows of a 3-d array, and a 4x2 pair.
			got2 := levelsOf(t, c.v[:], []int{2, 2}, []int{2, 2}, 1, SparseMode)[0][0]
			got3 := levelsOf(t, c.v[:], []int{2, 2, 1}, []int{2, 2, 1}, 1, SparseMode)[0][0]
			if got2 != c.want || got3 != c.want {
				t.Errorf("sparse mode of %v: %d (2x2), %d (2x2x1), want %d", c.v, got2, got3, c.want)
			}
		}
		wide := []uint16{0, 5, 0, 6, 7, 0, 8, 0}
		if got := levelsOf(t, wide, []int{2, 4}, []int{2, 2}, 1, SparseMode)[0]; !slices.Equal(got, []uint16{7, 8}) {
			t.Errorf("sparse mode of 2x4 %v = %v, want [7 8]", wide, got)
		}
	})
}

// meanExact's fallback: when the common denominator would pass
// maxExactDen the remaining levels use math/big rationals. With the bound
// at 1 that happens from the first level with a partial block or a factor
// above 1, and the results must still equal the exact reference.
func TestMeanExactFallback(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for iter := range 60 {
		shape := []int{1 + r.IntN(12), 1 + r.IntN(30)}
		factor := []int{1 + r.IntN(3), 3 + r.IntN(2)}
		img := fill[int16](r, shape, []int{3, 0}[iter%2]) // 0: the whole range, negatives included
		n := clipLevels(shape, factor, 1+r.IntN(4))
		want := reference(img, factor, n, Mean, Truncate)
		saved := maxExactDen
		maxExactDen = uint64(iter % 3 * 40) // 0, 40 or 80: the switch at level 1, 2 or later
		got, err := Levels(img, factor, n, Mean, Options{})
		maxExactDen = saved
		if err != nil {
			t.Fatal(err)
		}
		for k := range want {
			if !slices.Equal(got[k].Data(), want[k]) {
				t.Fatalf("shape %v factor %v level %d: %v, want %v", shape, factor, k+1, trim(got[k].Data()), trim(want[k]))
			}
		}
	}
}

// i128.shr (floor and trunc, any shift) and i128.mulU64 agree with
// math/big on random values of up to 100 bits.
func TestI128ShrMul(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	toBig := func(a i128) *big.Int {
		b := new(big.Int).Lsh(big.NewInt(a.hi), 64)
		return b.Add(b, new(big.Int).SetUint64(a.lo))
	}
	for range 5000 {
		a := i128{hi: r.Int64N(1<<36) - 1<<35, lo: r.Uint64()}
		sh := uint(r.IntN(131))
		d := new(big.Int).Lsh(big.NewInt(1), sh)
		fl, _ := new(big.Int).DivMod(toBig(a), d, new(big.Int)) // floor: d > 0
		tr := new(big.Int).Quo(toBig(a), d)
		if got := toBig(a.shr(sh, divFloor)); got.Cmp(fl) != 0 {
			t.Fatalf("%v >> %d floor = %v, want %v", toBig(a), sh, got, fl)
		}
		if got := toBig(a.shr(sh, divTrunc)); got.Cmp(tr) != 0 {
			t.Fatalf("%v >> %d trunc = %v, want %v", toBig(a), sh, got, tr)
		}
		m := r.Uint64N(1 << 26)
		want := new(big.Int).Mul(toBig(a), new(big.Int).SetUint64(m))
		if got := toBig(a.mulU64(m)); got.Cmp(want) != 0 {
			t.Fatalf("%v * %d = %v, want %v", toBig(a), m, got, want)
		}
	}
}
