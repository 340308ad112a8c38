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

// shr divides a by 2^sh rounded by mode (divTrunc or divFloor), for any
// sh, so that divisors beyond 64 bits need no uint64.
func (a i128) shr(sh uint, mode divMode) i128 {
	if mode == divTrunc && a.neg() {
		return a.negate().shr(sh, divFloor).negate()
	}
	switch {
	case sh == 0:
		return a
	case sh < 64:
		return i128{hi: a.hi >> sh, lo: a.lo>>sh | uint64(a.hi)<<(64-sh)}
	case sh < 128:
		return i128{hi: a.hi >> 63, lo: uint64(a.hi >> (sh - 64))}
	}
	return i128{hi: a.hi >> 63, lo: uint64(a.hi >> 63)}
}

// mulU64 returns a*m; the caller knows the product fits.
func (a i128) mulU64(m uint64) i128 {
	if a.neg() {
		return a.negate().mulU64(m).negate()
	}
	hi, lo := bits.Mul64(a.lo, m)
	return i128{hi: int64(hi + uint64(a.hi)*m), lo: lo}
}
