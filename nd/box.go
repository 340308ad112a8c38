package nd

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// A Box is a half-open N-dimensional interval: the points p with
// Min[i] <= p[i] < Max[i] on every axis i. It is a value: every method
// returns a new Box and never modifies its receiver or arguments.
//
// A Box is empty when Max[i] <= Min[i] on some axis. A Box of rank 0 holds
// exactly one point (a scalar). Methods that combine two boxes panic if the
// ranks differ: that is a programming error.
type Box struct {
	Min, Max []int
}

// NewBox returns the Box [min, max). It copies its arguments and panics if
// their lengths differ.
func NewBox(min, max []int) Box {
	if len(min) != len(max) {
		panic(fmt.Sprintf("nd: NewBox with %d mins and %d maxes", len(min), len(max)))
	}
	return Box{Min: slices.Clone(min), Max: slices.Clone(max)}
}

// BoxOf returns the Box [0, shape).
func BoxOf(shape []int) Box {
	return Box{Min: make([]int, len(shape)), Max: slices.Clone(shape)}
}

// Rank returns the number of axes.
func (b Box) Rank() int { return len(b.Min) }

// Shape returns Max-Min per axis (0 for empty axes). An extent too large
// for an int (Max near MaxInt, Min negative) saturates at MaxInt, so
// [Box.Size] of such a box reports overflow.
func (b Box) Shape() []int {
	s := make([]int, len(b.Min))
	for i := range s {
		d := b.Max[i] - b.Min[i]
		switch {
		case b.Max[i] <= b.Min[i]:
			d = 0
		case d < 0: // wrapped around
			d = maxInt
		}
		s[i] = d
	}
	return s
}

// Empty reports whether b contains no points.
func (b Box) Empty() bool {
	for i := range b.Min {
		if b.Max[i] <= b.Min[i] {
			return true
		}
	}
	return false
}

// Size returns the number of points in b, and false if that number
// overflows an int or an extent Max-Min does.
func (b Box) Size() (int, bool) {
	sh := b.Shape()
	for _, v := range sh {
		if v == maxInt {
			return 0, false
		}
	}
	return CheckedSize(sh)
}

// CheckedSize returns the product of shape, and false if a dimension is
// negative or the product overflows an int.
func CheckedSize(shape []int) (int, bool) {
	n := uint64(1)
	for _, s := range shape {
		if s < 0 {
			return 0, false
		}
		hi, lo := bits.Mul64(n, uint64(s))
		if hi != 0 || lo > uint64(maxInt) {
			return 0, false
		}
		n = lo
	}
	return int(n), true
}

// ErrSize is wrapped by the errors of [CheckedBytes] and [NewChecked]: a
// negative dimension, or an array too large for one allocation.
var ErrSize = errors.New("nd: shape out of range")

// MaxAllocBytes is the largest array, in bytes, that [CheckedBytes]
// accepts: 2^48-1 on 64-bit hosts (the Go runtime refuses larger single
// allocations) and the largest int on 32-bit hosts.
const MaxAllocBytes = maxInt >> (15 * (maxInt >> 62))

// CheckedBytes returns the size in bytes of a contiguous array of the
// given shape and element size, or an error wrapping [ErrSize] naming the
// shape when a dimension is negative, the element count or byte count
// overflows an int, or the byte count exceeds [MaxAllocBytes]. A zero
// elemSize (a dtype without a byte size) counts as one byte.
func CheckedBytes(shape []int, elemSize int) (int, error) {
	for i, s := range shape {
		if s < 0 {
			return 0, fmt.Errorf("%w: shape %v: axis %d has negative length %d", ErrSize, shape, i, s)
		}
	}
	n, ok := CheckedSize(shape)
	if !ok {
		return 0, fmt.Errorf("%w: shape %v: element count overflows an int", ErrSize, shape)
	}
	es := max(elemSize, 1)
	if n > MaxAllocBytes/es {
		return 0, fmt.Errorf("%w: shape %v: %d elements of %d bytes exceed the %d-byte allocation limit", ErrSize, shape, n, es, MaxAllocBytes)
	}
	return n * es, nil
}

const maxInt = int(^uint(0) >> 1)

func (b Box) mustMatch(c Box, op string) {
	if len(b.Min) != len(c.Min) {
		panic(fmt.Sprintf("nd: Box.%s of rank %d and rank %d", op, len(b.Min), len(c.Min)))
	}
}

// Intersect returns the largest box contained in both b and c. If they do
// not overlap the result is empty.
func (b Box) Intersect(c Box) Box {
	b.mustMatch(c, "Intersect")
	r := Box{Min: make([]int, len(b.Min)), Max: make([]int, len(b.Min))}
	for i := range b.Min {
		r.Min[i] = max(b.Min[i], c.Min[i])
		r.Max[i] = max(min(b.Max[i], c.Max[i]), r.Min[i])
	}
	return r
}

// Union returns the smallest box containing both b and c. An empty box is
// ignored; the union of two empty boxes is b.
func (b Box) Union(c Box) Box {
	b.mustMatch(c, "Union")
	if c.Empty() {
		return b.clone()
	}
	if b.Empty() {
		return c.clone()
	}
	r := Box{Min: make([]int, len(b.Min)), Max: make([]int, len(b.Min))}
	for i := range b.Min {
		r.Min[i] = min(b.Min[i], c.Min[i])
		r.Max[i] = max(b.Max[i], c.Max[i])
	}
	return r
}

func (b Box) clone() Box { return Box{Min: slices.Clone(b.Min), Max: slices.Clone(b.Max)} }

// Expand grows b by margin[i] on both sides of axis i (a negative margin
// shrinks it). It panics if len(margin) != b.Rank().
func (b Box) Expand(margin []int) Box {
	if len(margin) != len(b.Min) {
		panic(fmt.Sprintf("nd: Box.Expand of rank %d by %d margins", len(b.Min), len(margin)))
	}
	r := b.clone()
	for i, m := range margin {
		r.Min[i] -= m
		r.Max[i] += m
	}
	return r
}

// Translate returns b moved by d.
func (b Box) Translate(d []int) Box {
	if len(d) != len(b.Min) {
		panic(fmt.Sprintf("nd: Box.Translate of rank %d by %d offsets", len(b.Min), len(d)))
	}
	r := b.clone()
	for i, v := range d {
		r.Min[i] += v
		r.Max[i] += v
	}
	return r
}

// Contains reports whether every point of c is in b. An empty c is
// contained in every box of its rank.
func (b Box) Contains(c Box) bool {
	b.mustMatch(c, "Contains")
	if c.Empty() {
		return true
	}
	for i := range b.Min {
		if c.Min[i] < b.Min[i] || c.Max[i] > b.Max[i] {
			return false
		}
	}
	return true
}

// ContainsPoint reports whether p is in b.
func (b Box) ContainsPoint(p []int) bool {
	if len(p) != len(b.Min) {
		return false
	}
	for i, v := range p {
		if v < b.Min[i] || v >= b.Max[i] {
			return false
		}
	}
	return true
}

// Overlaps reports whether b and c share at least one point.
func (b Box) Overlaps(c Box) bool { return !b.Intersect(c).Empty() }

// Eq reports whether b and c contain the same points. All empty boxes of
// one rank are equal.
func (b Box) Eq(c Box) bool {
	if len(b.Min) != len(c.Min) {
		return false
	}
	if b.Empty() || c.Empty() {
		return b.Empty() && c.Empty()
	}
	return slices.Equal(b.Min, c.Min) && slices.Equal(b.Max, c.Max)
}

// String formats b as NumPy slices, e.g. "[0:10, 5:7]".
func (b Box) String() string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range b.Min {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%d:%d", b.Min[i], b.Max[i])
	}
	sb.WriteByte(']')
	return sb.String()
}
