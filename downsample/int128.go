package downsample

import "math/bits"

// i128 is a two's-complement 128-bit integer: exact sums of up to 2^63
// values of any 64-bit element type.
type i128 struct {
	hi int64
	lo uint64
}

func i128of(v int64) i128  { return i128{hi: v >> 63, lo: uint64(v)} }
func u128of(v uint64) i128 { return i128{lo: v} }
func (a i128) neg() bool   { return a.hi < 0 }
func (a i128) zero() bool  { return a.hi == 0 && a.lo == 0 }
func (a i128) add(b i128) i128 {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	return i128{hi: a.hi + b.hi + int64(c), lo: lo}
}

func (a i128) negate() i128 {
	lo, b := bits.Sub64(0, a.lo, 0)
	return i128{hi: -a.hi - int64(b), lo: lo}
}

// quoRem divides |a| by n > 0: quotient (low 64 bits; callers divide
// sums by at least their number of terms, so it fits) and remainder.
func (a i128) quoRem(n uint64) (q, r uint64) {
	m := a
	if m.neg() {
		m = m.negate()
	}
	h := uint64(m.hi) % n
	q, r = bits.Div64(h, m.lo, n)
	return q, r
}

// div returns a/n rounded by mode, as an i128 (sign restored).
func (a i128) div(n uint64, mode divMode) i128 {
	q, r := a.quoRem(n)
	neg := a.neg()
	switch mode {
	case divFloor:
		if neg && r != 0 {
			q++
		}
	case divEven:
		if r > n-r || (r == n-r && q&1 == 1) {
			q++
		}
	}
	res := u128of(q)
	if neg {
		res = res.negate()
	}
	return res
}

type divMode uint8

const (
	divTrunc divMode = iota // toward zero
	divFloor                // toward -inf
	divEven                 // nearest, ties to even
)
