package downsample

import (
	"math/big"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// The reference implementation: the spec in plain loops over exact
// rationals, written for obviousness, not speed. Every fast and general
// path is tested against it.

// refBlock lists the flat C indices of the block of output multi-index o
// of a level of shape in, in scan order (last axis fastest). Factor-2
// axes repeat their edge voxel when rep is set.
func refBlock(in, f, o []int, rep bool) []int {
	r := len(in)
	per := make([][]int, r)
	for d := range r {
		for j := 0; j < f[d]; j++ {
			i := o[d]*f[d] + j
			if i >= in[d] {
				if rep && f[d] == 2 {
					per[d] = append(per[d], in[d]-1)
				}
				continue
			}
			per[d] = append(per[d], i)
		}
	}
	var out []int
	var rec func(d, flat int)
	rec = func(d, flat int) {
		if d == r {
			out = append(out, flat)
			return
		}
		for _, i := range per[d] {
			rec(d+1, flat*in[d]+i)
		}
	}
	rec(0, 0)
	return out
}

// refOutputs enumerates the output multi-indices of shape out in C order.
func refOutputs(out []int) [][]int {
	var res [][]int
	idx := make([]int, len(out))
	for {
		res = append(res, slices.Clone(idx))
		d := len(out) - 1
		for ; d >= 0; d-- {
			idx[d]++
			if idx[d] < out[d] {
				break
			}
			idx[d] = 0
		}
		if d < 0 {
			return res
		}
	}
}

func ratOf[T nd.Number](v T) *big.Rat {
	switch x := any(v).(type) {
	case uint64:
		return new(big.Rat).SetInt(new(big.Int).SetUint64(x))
	case float32:
		r, _ := new(big.Rat).SetString(big.NewFloat(float64(x)).Text('g', -1))
		return r
	case float64:
		r := new(big.Rat)
		r.SetFloat64(x)
		return r
	}
	return new(big.Rat).SetInt64(int64(v))
}

func intToT[T nd.Number](z *big.Int) T {
	if z.Sign() < 0 {
		return T(z.Int64())
	}
	return T(z.Uint64())
}

// trunc and floor of a rational.
func ratTrunc(r *big.Rat) *big.Int { return new(big.Int).Quo(r.Num(), r.Denom()) }
func ratFloor(r *big.Rat) *big.Int {
	q, m := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int))
	_ = m
	return q // Denom > 0, so Euclidean division is floor
}

func ratEven(r *big.Rat) *big.Int {
	q, m := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int))
	two := new(big.Int).Lsh(m, 1)
	switch c := two.Cmp(r.Denom()); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	return q
}

// refCarry is the spec's carry of the Truncate mean between levels, per
// dtype: 8- and 16-bit types floor it every 4 levels for exactly two axes
// of factor 2 (the others 1), every 8 (8-bit) or 5 (16-bit) levels for
// exactly three; with any other factor they never round it (cyc 0).
// 32- and 64-bit types truncate it every level.
func refCarry(factor []int, dt nd.DType) (cyc int, trunc bool) {
	twos, others := 0, 0
	for _, f := range factor {
		switch f {
		case 1:
		case 2:
			twos++
		default:
			others++
		}
	}
	switch {
	case dt.Size() >= 4:
		return 1, true
	case others > 0:
		return 0, false
	case twos == 2:
		return 4, false
	case twos == 3 && dt.Size() == 1:
		return 8, false
	case twos == 3:
		return 5, false
	}
	return 0, false
}

// reference computes n levels of img (C order) by the spec.
func reference[T nd.Number](img *nd.Array[T], factor []int, n int, m Method, rnd Rounding) [][]T {
	dt := nd.DTypeOf[T]()
	shape0 := img.Shape()
	data0 := img.Clone(nd.C).Data()
	var res [][]T
	switch {
	case m == Mean && dt.IsInteger() && rnd == Truncate:
		cyc, truncCarry := refCarry(factor, dt)
		cur := make([]*big.Rat, len(data0))
		for i, v := range data0 {
			cur[i] = ratOf(v)
		}
		in := shape0
		for k := 1; k <= n; k++ {
			out := OutShape(in, factor)
			var next []*big.Rat
			var lvl []T
			for _, o := range refOutputs(out) {
				s := new(big.Rat)
				blk := refBlock(in, factor, o, false)
				for _, i := range blk {
					s.Add(s, cur[i])
				}
				s.Quo(s, new(big.Rat).SetInt64(int64(len(blk))))
				lvl = append(lvl, intToT[T](ratTrunc(s)))
				switch {
				case cyc > 0 && k%cyc == 0 && truncCarry:
					s = new(big.Rat).SetInt(ratTrunc(s))
				case cyc > 0 && k%cyc == 0:
					s = new(big.Rat).SetInt(ratFloor(s))
				}
				next = append(next, s)
			}
			res = append(res, lvl)
			cur, in = next, out
		}
		return res
	case m == Mean && dt.IsInteger(), m == SparseMean:
		in := shape0
		span := slices.Repeat([]int{1}, len(factor))
		for range n {
			for d := range span {
				span[d] *= factor[d]
			}
			in = OutShape(in, factor)
			var lvl []T
			for _, o := range refOutputs(in) {
				s, c := new(big.Rat), 0
				for _, i := range refBlock(shape0, span, o, false) {
					if m == SparseMean && data0[i] == 0 {
						continue
					}
					s.Add(s, ratOf(data0[i]))
					c++
				}
				switch {
				case c == 0:
					lvl = append(lvl, 0)
				case m == SparseMean:
					lvl = append(lvl, intToT[T](ratTrunc(s.Quo(s, new(big.Rat).SetInt64(int64(c))))))
				default:
					lvl = append(lvl, intToT[T](ratEven(s.Quo(s, new(big.Rat).SetInt64(int64(c))))))
				}
			}
			res = append(res, lvl)
		}
		return res
	}
	cur, in := data0, shape0
	for range n {
		out := OutShape(in, factor)
		var lvl []T
		two := family(factor) == 2 && countNot1(factor) == 2
		for _, o := range refOutputs(out) {
			switch m {
			case Mean: // floats: sum in T, in scan order, over the present voxels
				var s T
				blk := refBlock(in, factor, o, false)
				for _, i := range blk {
					s += cur[i]
				}
				lvl = append(lvl, s/T(len(blk)))
			case Mode, SparseMode:
				blk := refBlock(in, factor, o, true)
				vals := make([]T, len(blk))
				for k, i := range blk {
					vals[k] = cur[i]
				}
				lvl = append(lvl, refMode(vals, two, m == SparseMode))
			default:
				blk := refBlock(in, factor, o, false)
				vals := make([]T, len(blk))
				for k, i := range blk {
					vals[k] = cur[i]
				}
				switch m {
				case Stride:
					lvl = append(lvl, vals[0])
				case Min:
					lvl = append(lvl, slices.Min(vals))
				case Max:
					lvl = append(lvl, slices.Max(vals))
				case Median:
					slices.Sort(vals)
					lvl = append(lvl, vals[(len(vals)-1)/2])
				}
			}
		}
		res = append(res, lvl)
		cur, in = lvl, out
	}
	return res
}

// refMode: countless-if (stippled when sparse) for 2x2 blocks [a b c d],
// else the most frequent value, first in scan order on ties.
func refMode[T nd.Number](v []T, two, sparse bool) T {
	if two {
		a, b, c, d := v[0], v[1], v[2], v[3]
		if !sparse {
			if a == b || a == c {
				return a
			}
			if b == c {
				return b
			}
			return d
		}
		nz := func(x T) bool { return x != 0 }
		switch {
		case nz(a) && a == b, nz(a) && a == c:
			return a
		case nz(b) && b == c:
			return b
		case nz(d):
			return d
		}
		for _, x := range []T{a, c, b} { // tinybrain's b is our c
			if nz(x) {
				return x
			}
		}
		return 0
	}
	counts := map[T]int{}
	for _, x := range v {
		if sparse && x == 0 {
			continue
		}
		counts[x]++
	}
	var best T
	bn := 0
	for _, x := range v {
		if c := counts[x]; c > bn {
			best, bn = x, c
		}
	}
	return best
}
