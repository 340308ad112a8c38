package nd

import "iter"

// Points returns the points of b in C order (last axis fastest): every p
// with b.Min[i] <= p[i] < b.Max[i]. The slice yielded is reused from one
// point to the next (clone it to keep it) and must not be modified. An
// empty box yields nothing; a box of rank 0 yields one empty point. It
// replaces the loop
//
//	p := slices.Clone(b.Min)
//	for {
//		use(p)
//		d := len(p) - 1
//		for ; d >= 0; d-- {
//			if p[d]++; p[d] < b.Max[d] { break }
//			p[d] = b.Min[d]
//		}
//		if d < 0 { break }
//	}
func (b Box) Points() iter.Seq[[]int] {
	return func(yield func([]int) bool) {
		if b.Empty() {
			return
		}
		p := make([]int, len(b.Min))
		copy(p, b.Min)
		for {
			if !yield(p) {
				return
			}
			d := len(p) - 1
			for ; d >= 0; d-- {
				if p[d]++; p[d] < b.Max[d] {
					break
				}
				p[d] = b.Min[d]
			}
			if d < 0 {
				return
			}
		}
	}
}

// Indices returns the indices of an array of the given shape in C order:
// [BoxOf](shape).Points().
func Indices(shape []int) iter.Seq[[]int] { return BoxOf(shape).Points() }

// Rows returns, for an array of the given shape and element strides whose
// first element is at offset, the offset of the first element of every
// row (a line along the last axis), in C order, together with the row's
// index on the other axes (reused from row to row; do not modify it). The
// offsets are updated incrementally, one addition per row but on a carry.
// A shape with a zero axis yields nothing; a rank-0 or rank-1 shape yields
// one row at offset. Reference loop:
//
//	for idx := range Indices(shape[:len(shape)-1]) {
//		o := offset
//		for d, i := range idx { o += i * strides[d] }
//		use(idx, o)
//	}
func Rows(shape, strides []int, offset int) iter.Seq2[[]int, int] {
	return func(yield func([]int, int) bool) {
		for _, n := range shape {
			if n == 0 {
				return
			}
		}
		w := newWalker(shape[:max(len(shape)-1, 0)], strides, strides, offset, offset)
		for yield(w.idx, w.o1) && w.next() {
		}
	}
}

// walker steps through the indices of outer in C order, keeping the
// offsets of the current index in two strided layouts (strides s1 and s2,
// at least len(outer) of each, first elements at off1 and off2) up to
// date with one addition per step but on a carry. outer must have no zero
// axis; a rank-0 outer has one index. It is the loop of [Rows] and of the
// elementwise kernels, as a value so that hot loops call no closure:
//
//	w := newWalker(outer, s1, s2, off1, off2)
//	for { use(w.idx, w.o1, w.o2); if !w.next() { break } }
type walker struct {
	outer, s1, s2 []int
	idx           []int
	o1, o2        int
}

func newWalker(outer, s1, s2 []int, off1, off2 int) walker {
	return walker{outer: outer, s1: s1, s2: s2, idx: make([]int, len(outer)), o1: off1, o2: off2}
}

// next moves to the next index and reports false after the last one.
func (w *walker) next() bool {
	for d := len(w.outer) - 1; d >= 0; d-- {
		w.idx[d]++
		w.o1 += w.s1[d]
		w.o2 += w.s2[d]
		if w.idx[d] < w.outer[d] {
			return true
		}
		w.o1 -= w.s1[d] * w.idx[d]
		w.o2 -= w.s2[d] * w.idx[d]
		w.idx[d] = 0
	}
	return false
}
