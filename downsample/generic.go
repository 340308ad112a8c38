package downsample

import (
	"math/big"
	"math/bits"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// This file holds the general paths: any rank, any factor, any element
// type, one output voxel at a time over the block's flat indices. The fast
// paths in the other files handle the common factor-2 cases and are
// tested against these and against the reference in reference_test.go.

// toI128 widens an integer element exactly.
func toI128[T nd.Number](v T) i128 {
	switch x := any(v).(type) {
	case uint64:
		return u128of(x)
	case uint32:
		return u128of(uint64(x))
	case uint16:
		return u128of(uint64(x))
	case uint8:
		return u128of(uint64(x))
	}
	return i128of(int64(v))
}

// fromI128 narrows an exact integer known to fit T.
func fromI128[T nd.Number](a i128) T {
	return T(a.lo)
}

// meanTruncGeneric is the Truncate rule with exact 128-bit accumulators:
// levels[k] = trunc(M_k), where M_k is the mean of the present voxels of
// each block of M_(k-1), carried by carryRule. For factor-2 families the
// carried sums are kept unnormalised (sum of 2^d replicated terms per
// level) so that no rounding happens between the levels where carryRule
// rounds; other factors carry exact means over a common denominator
// (meanExact) or, for 32- and 64-bit types, truncate every level.
func meanTruncGeneric[T nd.Number](src *nd.Array[T], factor []int, n, workers int, into *nd.Array[T]) []*nd.Array[T] {
	cyc, cmode := carryRule(factor, nd.DTypeOf[T]())
	fam := family(factor)
	pow2 := fam > 0 && fam == countNot1(factor) // every reduced axis has factor 2
	if !pow2 && cyc == 0 {
		return meanExact(src, factor, n, workers, into)
	}
	in := src.Shape()
	data, _ := src.Flat()
	acc := make([]i128, len(data))
	for i, v := range data {
		acc[i] = toI128(v)
	}
	var res []*nd.Array[T]
	j := uint(0) // levels since the last rounding of the carried sums
	for k := 1; k <= n; k++ {
		g := newGrid(in, factor)
		next := make([]i128, g.outLen)
		out := newOut(g.out, into, k, n)
		od := out.Data()
		sh := uint(fam) * (j + 1)
		g.forEachBlock(workers, pow2, func(o int, idx []int) {
			var s i128
			for _, i := range idx {
				s = s.add(acc[i])
			}
			if !pow2 {
				// Mean of the present voxels, rounded for carrying.
				od[o] = fromI128[T](s.div(uint64(len(idx)), divTrunc))
				next[o] = s.div(uint64(len(idx)), cmode)
				return
			}
			next[o] = s
			od[o] = fromI128[T](s.shr(sh, divTrunc))
		})
		j++
		if pow2 && cyc > 0 && k%cyc == 0 {
			for i := range next {
				next[i] = next[i].shr(uint(fam)*j, cmode)
			}
			j = 0
		}
		if !pow2 {
			j = 0
		}
		res = append(res, out)
		acc, in = next, g.out
	}
	return res
}

// maxExactDen bounds the common denominator of meanExact (a variable so
// that tests can reach the rational fallback on small arrays).
var maxExactDen uint64 = 1 << 62

// meanExact is the never-rounded Truncate mean for factors other than
// 1 and 2: M_k is kept exactly as acc/den with one denominator for the
// whole level. A block of c present voxels gives M = sum/(den*c); with
// mul the product over axes of lcm(f, c_last) (c_last the voxels of the
// axis's last, partial block, which with f divides every block's count on
// that axis), the next level's numerator is sum*(mul/c) over den*mul.
// Should den*mul pass maxExactDen, the remaining levels use math/big
// rationals (meanRat); mul is at most the square of the block volume, so
// by then the level has at least 2^31 times fewer voxels than the input.
func meanExact[T nd.Number](src *nd.Array[T], factor []int, n, workers int, into *nd.Array[T]) []*nd.Array[T] {
	in := src.Shape()
	data, _ := src.Flat()
	acc := make([]i128, len(data))
	for i, v := range data {
		acc[i] = toI128(v)
	}
	den := uint64(1)
	var res []*nd.Array[T]
	for k := 1; k <= n; k++ {
		g := newGrid(in, factor)
		mul, ok := levelMul(in, g.out, factor)
		hi, den2 := bits.Mul64(den, mul)
		if !ok || hi != 0 || den2 > maxExactDen {
			return append(res, meanRat(acc, den, in, factor, k, n, into)...)
		}
		next := make([]i128, g.outLen)
		out := newOut(g.out, into, k, n)
		od := out.Data()
		g.forEachBlock(workers, false, func(o int, idx []int) {
			var s i128
			for _, i := range idx {
				s = s.add(acc[i])
			}
			c := uint64(len(idx))
			q := s.div(den, divTrunc) // trunc(trunc(s/den)/c) = trunc(s/(den*c))
			od[o] = fromI128[T](q.div(c, divTrunc))
			next[o] = s.mulU64(mul / c)
		})
		res = append(res, out)
		acc, in, den = next, g.out, den2
	}
	return res
}

// meanRat computes levels k..n of meanExact from the carried means
// acc/den with math/big rationals, on one goroutine.
func meanRat[T nd.Number](acc []i128, den uint64, in, factor []int, k, n int, into *nd.Array[T]) []*nd.Array[T] {
	cur := make([]*big.Rat, len(acc))
	d := new(big.Int).SetUint64(den)
	for i, a := range acc {
		num := new(big.Int).Lsh(big.NewInt(a.hi), 64)
		cur[i] = new(big.Rat).SetFrac(num.Add(num, new(big.Int).SetUint64(a.lo)), d)
	}
	var res []*nd.Array[T]
	for ; k <= n; k++ {
		g := newGrid(in, factor)
		next := make([]*big.Rat, g.outLen)
		out := newOut(g.out, into, k, n)
		od := out.Data()
		g.forEachBlock(1, false, func(o int, idx []int) {
			s := new(big.Rat)
			for _, i := range idx {
				s.Add(s, cur[i])
			}
			s.Quo(s, new(big.Rat).SetInt64(int64(len(idx))))
			next[o] = s
			od[o] = T(new(big.Int).Quo(s.Num(), s.Denom()).Int64()) // trunc; fits T
		})
		res = append(res, out)
		cur, in = next, g.out
	}
	return res
}

// levelMul returns the product over axes of lcm(f, c_last), the factor by
// which meanExact's denominator grows at one level, and false if it
// overflows.
func levelMul(in, out, factor []int) (uint64, bool) {
	m := uint64(1)
	for d, f := range factor {
		cl := uint64(in[d] - (out[d]-1)*f) // voxels in the last block, 1..f
		md, hi := cl, uint64(0)
		if out[d] > 1 {
			hi, md = bits.Mul64(cl/gcd64(uint64(f), cl), uint64(f))
		}
		h2, lo := bits.Mul64(m, md)
		if hi != 0 || h2 != 0 {
			return 0, false
		}
		m = lo
	}
	return m, true
}

func gcd64(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func countNot1(factor []int) int {
	n := 0
	for _, f := range factor {
		if f != 1 {
			n++
		}
	}
	return n
}

// sumCountGeneric carries the sum S and count C of the level-0 voxels
// (all, or only the nonzero ones when sparse) over each whole factor^k
// block, and outputs S/C rounded by mode (0 when C is 0).
func sumCountGeneric[T nd.Number](src *nd.Array[T], factor []int, n, workers int, sparse bool, mode divMode, into *nd.Array[T]) []*nd.Array[T] {
	in := src.Shape()
	data, _ := src.Flat()
	s := make([]i128, len(data))
	c := make([]int64, len(data))
	for i, v := range data {
		if !sparse || v != 0 {
			s[i], c[i] = toI128(v), 1
		}
	}
	var res []*nd.Array[T]
	for k := 1; k <= n; k++ {
		g := newGrid(in, factor)
		ns, nc := make([]i128, g.outLen), make([]int64, g.outLen)
		out := newOut(g.out, into, k, n)
		od := out.Data()
		g.forEachBlock(workers, false, func(o int, idx []int) {
			var ss i128
			var cc int64
			for _, i := range idx {
				ss, cc = ss.add(s[i]), cc+c[i]
			}
			ns[o], nc[o] = ss, cc
			od[o] = 0
			if cc > 0 {
				od[o] = fromI128[T](ss.div(uint64(cc), mode))
			}
		})
		res = append(res, out)
		s, c, in = ns, nc, g.out
	}
	return res
}

// meanFloat is the float mean: each level is the mean of the present
// voxels of each block of the level above, summed in scan order in T.
func meanFloat[T nd.Number](src *nd.Array[T], factor []int, workers int, into *nd.Array[T]) *nd.Array[T] {
	g := newGrid(src.Shape(), factor)
	data, _ := src.Flat()
	out := newOut(g.out, into, 1, 1)
	od := out.Data()
	g.forEachBlock(workers, false, func(o int, idx []int) {
		var s T
		for _, i := range idx {
			s += data[i]
		}
		od[o] = s / T(len(idx))
	})
	return out
}

// orderGeneric computes min, max, stride or median (the lower median) of
// the present voxels of each block.
func orderGeneric[T nd.Number](src *nd.Array[T], factor []int, m Method, workers int, into *nd.Array[T]) *nd.Array[T] {
	g := newGrid(src.Shape(), factor)
	data, _ := src.Flat()
	out := newOut(g.out, into, 1, 1)
	od := out.Data()
	var mu = make(chan []T, max(workers, 1))
	g.forEachBlock(workers, false, func(o int, idx []int) {
		switch m {
		case Stride:
			od[o] = data[idx[0]]
		case Min:
			v := data[idx[0]]
			for _, i := range idx[1:] {
				v = min(v, data[i])
			}
			od[o] = v
		case Max:
			v := data[idx[0]]
			for _, i := range idx[1:] {
				v = max(v, data[i])
			}
			od[o] = v
		case Median:
			var buf []T
			select {
			case buf = <-mu:
			default:
			}
			buf = buf[:0]
			for _, i := range idx {
				buf = append(buf, data[i])
			}
			slices.Sort(buf)
			od[o] = buf[(len(buf)-1)/2]
			select {
			case mu <- buf:
			default:
			}
		}
	})
	return out
}

// modeGeneric is the mode of each block: factor-2 axes repeat their edge
// voxel, the highest count wins, ties go to the value met first in scan
// order. With sparse, zeros do not vote and an all-zero block gives 0.
// Factor families of exactly two axes of 2 use countless-if instead (see
// mode2x2).
func modeGeneric[T nd.Number](src *nd.Array[T], factor []int, sparse bool, workers int, into *nd.Array[T]) *nd.Array[T] {
	g := newGrid(src.Shape(), factor)
	data, _ := src.Flat()
	out := newOut(g.out, into, 1, 1)
	od := out.Data()
	twoByTwo := family(factor) == 2 && countNot1(factor) == 2
	g.forEachBlock(workers, true, func(o int, idx []int) {
		if twoByTwo {
			a, b, c, d := data[idx[0]], data[idx[1]], data[idx[2]], data[idx[3]]
			if sparse {
				od[o] = stippled(a, b, c, d)
			} else {
				od[o] = countlessIf(a, b, c, d)
			}
			return
		}
		od[o] = blockMode(data, idx, sparse)
	})
	return out
}

// blockMode returns the most frequent value of data[idx] (first in idx
// order on ties; zeros skipped when sparse, 0 if nothing is left).
func blockMode[T nd.Number](data []T, idx []int, sparse bool) T {
	if len(idx) > 64 {
		return blockModeSorted(data, idx, sparse)
	}
	return blockModeSmall(data, idx, sparse)
}

// blockModeSmall is blockMode by pairwise comparison, O(B^2) for a block
// of B voxels: the fastest way for small blocks.
func blockModeSmall[T nd.Number](data []T, idx []int, sparse bool) T {
	var best T
	bestN := 0
	for k, i := range idx {
		v := data[i]
		if sparse && v == 0 {
			continue
		}
		seen := false
		for _, p := range idx[:k] {
			if data[p] == v {
				seen = true
				break
			}
		}
		if seen {
			continue
		}
		n := 1
		for _, p := range idx[k+1:] {
			if data[p] == v {
				n++
			}
		}
		if n > bestN {
			best, bestN = v, n
		}
	}
	return best
}

// blockModeSorted is blockMode in O(B log B) for a block of B voxels:
// (value, position) pairs sorted by value then position give each value's
// count and first position in one pass.
func blockModeSorted[T nd.Number](data []T, idx []int, sparse bool) T {
	type vp struct {
		v T
		p int
	}
	buf := make([]vp, 0, len(idx))
	for p, i := range idx {
		if v := data[i]; !sparse || v != 0 {
			buf = append(buf, vp{v, p})
		}
	}
	slices.SortFunc(buf, func(a, b vp) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return a.p - b.p
	})
	var best T
	bestN, bestP := 0, 0
	for i := 0; i < len(buf); {
		j := i + 1
		for j < len(buf) && buf[j].v == buf[i].v {
			j++
		}
		if n := j - i; n > bestN || (n == bestN && buf[i].p < bestP) {
			best, bestN, bestP = buf[i].v, n, buf[i].p
		}
		i = j
	}
	return best
}

// countlessIf is tinybrain's 2x2 mode with a, b, c, d the voxels at
// (y, x) = (0, 0), (0, 1), (1, 0), (1, 1): a pair containing a wins, then
// the pair b, c, else d.
func countlessIf[T comparable](a, b, c, d T) T {
	switch {
	case a == b, a == c:
		return a
	case b == c:
		return b
	}
	return d
}

// stippled is the sparse 2x2 mode: a nonzero pair among a, b, c wins,
// else d if nonzero, else the first nonzero of a, c, b, else 0. The
// fallback order is tinybrain's: its second voxel is one step along its
// y, which is our slow axis, so it is our c.
func stippled[T nd.Number](a, b, c, d T) T {
	switch {
	case a != 0 && (a == b || a == c):
		return a
	case b != 0 && b == c:
		return b
	case d != 0:
		return d
	case a != 0:
		return a
	case c != 0:
		return c
	}
	return b
}
