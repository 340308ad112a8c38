package nd

import (
	"fmt"
	"math/bits"
	"slices"
)

// Order is a memory layout for a new array.
type Order uint8

const (
	// C is row-major order: the last axis varies fastest.
	C Order = iota
	// F is Fortran (column-major) order: the first axis varies fastest.
	F
)

// String returns "C" or "F".
func (o Order) String() string {
	if o == F {
		return "F"
	}
	return "C"
}

// Array is a strided N-dimensional view of a slice of T. Several arrays may
// share one slice: [Array.Sub] and [Array.Transpose] return views that
// write through to the parent, as [image.RGBA.SubImage] does.
//
// Element idx lives at data[offset + sum(idx[i]*strides[i])]. Strides are in
// elements and may be any non-negative values that keep every element
// inside data.
type Array[T Element] struct {
	data    []T
	shape   []int
	strides []int
	offset  int
}

// Strides returns the element strides of a contiguous array of the given
// shape and order.
func Strides(shape []int, order Order) []int {
	st := make([]int, len(shape))
	s := 1
	if order == F {
		for i := range shape {
			st[i] = s
			s *= shape[i]
		}
	} else {
		for i := len(shape) - 1; i >= 0; i-- {
			st[i] = s
			s *= shape[i]
		}
	}
	return st
}

// New allocates a zeroed contiguous array. It panics, with a message
// starting "nd: New", if a dimension is negative or the size in elements or
// bytes is out of range (see [CheckedBytes]); that is a programming error.
// Shapes that come from files or users go through [NewChecked] instead.
func New[T Element](shape []int, order Order) *Array[T] {
	a, err := NewChecked[T](shape, order)
	if err != nil {
		panic(fmt.Sprintf("nd: New: %v", err))
	}
	return a
}

// NewChecked is [New] for untrusted shapes: it returns an error wrapping
// [ErrSize], naming the shape, instead of panicking when a dimension is
// negative or the array would not fit in one allocation (see
// [CheckedBytes]). Memory is not reserved beforehand, so a shape below
// [MaxAllocBytes] but above the memory available still fails in the
// runtime: callers with a memory budget compare CheckedBytes with it
// first.
func NewChecked[T Element](shape []int, order Order) (*Array[T], error) {
	dt := DTypeOf[T]()
	n, err := CheckedBytes(shape, dt.Size())
	if err != nil {
		return nil, fmt.Errorf("nd: %v array: %w", dt, err)
	}
	n /= max(dt.Size(), 1)
	return &Array[T]{data: make([]T, n), shape: slices.Clone(shape), strides: Strides(shape, order)}, nil
}

// NewAnyChecked is [NewAny] for untrusted shapes and dtypes: it returns an
// error instead of panicking on an invalid dtype or a shape [CheckedBytes]
// rejects.
func NewAnyChecked(dt DType, shape []int, order Order) (Any, error) {
	if !dt.Valid() {
		return nil, fmt.Errorf("nd: invalid dtype %v", dt)
	}
	if _, err := CheckedBytes(shape, dt.Size()); err != nil {
		return nil, fmt.Errorf("nd: %v array: %w", dt, err)
	}
	return NewAny(dt, shape, order), nil
}

// FromSlice wraps data, without copying, as a contiguous array. It panics if
// len(data) is not the product of shape.
func FromSlice[T Element](data []T, shape []int, order Order) *Array[T] {
	n, ok := CheckedSize(shape)
	if !ok || n != len(data) {
		panic(fmt.Sprintf("nd: FromSlice of %d elements with shape %v", len(data), shape))
	}
	return &Array[T]{data: data, shape: slices.Clone(shape), strides: Strides(shape, order)}
}

// FromStrided wraps data as an array with arbitrary strides and offset. It
// returns an error if some element would fall outside data or a stride is
// negative.
func FromStrided[T Element](data []T, shape, strides []int, offset int) (*Array[T], error) {
	if len(shape) != len(strides) {
		return nil, fmt.Errorf("nd: %d dims and %d strides", len(shape), len(strides))
	}
	if offset < 0 {
		return nil, fmt.Errorf("nd: negative offset %d", offset)
	}
	// last is the position of the last element, computed without
	// wrapping: each term and partial sum must stay below len(data).
	last := offset
	for i, s := range shape {
		if s < 0 || strides[i] < 0 {
			return nil, fmt.Errorf("nd: negative shape or stride on axis %d", i)
		}
		if s == 0 {
			return &Array[T]{data: data, shape: slices.Clone(shape), strides: slices.Clone(strides), offset: offset}, nil
		}
	}
	for i, s := range shape {
		hi, lo := bits.Mul64(uint64(s-1), uint64(strides[i]))
		if hi != 0 || lo >= uint64(len(data)) || int(lo) >= len(data)-last {
			return nil, fmt.Errorf("nd: shape %v strides %v offset %d exceed %d elements (axis %d)", shape, strides, offset, len(data), i)
		}
		last += int(lo)
	}
	if last >= len(data) {
		return nil, fmt.Errorf("nd: shape %v strides %v offset %d exceed %d elements", shape, strides, offset, len(data))
	}
	return &Array[T]{data: data, shape: slices.Clone(shape), strides: slices.Clone(strides), offset: offset}, nil
}

// DType returns the runtime type of T.
func (a *Array[T]) DType() DType { return DTypeOf[T]() }

// Rank returns the number of axes.
func (a *Array[T]) Rank() int { return len(a.shape) }

// Shape returns a copy of the shape.
func (a *Array[T]) Shape() []int { return slices.Clone(a.shape) }

// Strides returns a copy of the element strides.
func (a *Array[T]) Strides() []int { return slices.Clone(a.strides) }

// Offset returns the position in Data of element (0, ..., 0).
func (a *Array[T]) Offset() int { return a.offset }

// Data returns the backing slice, shared with every view of it.
func (a *Array[T]) Data() []T { return a.data }

// Len returns the number of elements.
func (a *Array[T]) Len() int {
	n, _ := CheckedSize(a.shape)
	return n
}

// Bounds returns [0, Shape()).
func (a *Array[T]) Bounds() Box { return BoxOf(a.shape) }

// Index returns the position in Data of the element at idx. It panics if idx
// is out of bounds.
func (a *Array[T]) Index(idx ...int) int {
	if len(idx) != len(a.shape) {
		panic(fmt.Sprintf("nd: index of rank %d into array of rank %d", len(idx), len(a.shape)))
	}
	o := a.offset
	for i, v := range idx {
		if v < 0 || v >= a.shape[i] {
			panic(fmt.Sprintf("nd: index %v out of bounds for shape %v", idx, a.shape))
		}
		o += v * a.strides[i]
	}
	return o
}

// At returns the element at idx. It panics if idx is out of bounds.
func (a *Array[T]) At(idx ...int) T { return a.data[a.Index(idx...)] }

// Set stores v at idx. It panics if idx is out of bounds.
func (a *Array[T]) Set(v T, idx ...int) { a.data[a.Index(idx...)] = v }

// Sub returns a view of the elements of a inside b, sharing memory with a.
// Element 0 of the view is b.Min of a. It panics if b is not inside
// a.Bounds(); an empty b gives an empty view.
func (a *Array[T]) Sub(b Box) *Array[T] {
	if b.Rank() != len(a.shape) || !a.Bounds().Contains(b) {
		panic(fmt.Sprintf("nd: Sub %v outside bounds %v", b, a.Bounds()))
	}
	v := &Array[T]{data: a.data, shape: b.Shape(), strides: slices.Clone(a.strides), offset: a.offset}
	if !b.Empty() {
		for i, m := range b.Min {
			v.offset += m * a.strides[i]
		}
	}
	return v
}

// Transpose returns a view with axes permuted: axis i of the result is axis
// perm[i] of a. It panics if perm is not a permutation of 0..Rank()-1.
func (a *Array[T]) Transpose(perm ...int) *Array[T] {
	if !IsPerm(perm, len(a.shape)) {
		panic(fmt.Sprintf("nd: Transpose by %v is not a permutation of %d axes", perm, len(a.shape)))
	}
	v := &Array[T]{data: a.data, shape: make([]int, len(perm)), strides: make([]int, len(perm)), offset: a.offset}
	for i, p := range perm {
		v.shape[i] = a.shape[p]
		v.strides[i] = a.strides[p]
	}
	return v
}

// IsPerm reports whether p is a permutation of 0..n-1 (a valid argument
// of Transpose for rank n).
func IsPerm(p []int, n int) bool {
	if len(p) != n {
		return false
	}
	seen := make([]bool, n)
	for _, v := range p {
		if v < 0 || v >= n || seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

// Reshape returns a view of a contiguous array with a new shape of the same
// size, in the given order. It returns false if a is not contiguous in that
// order or the sizes differ.
func (a *Array[T]) Reshape(shape []int, order Order) (*Array[T], bool) {
	n, ok := CheckedSize(shape)
	if !ok || n != a.Len() || !a.IsContiguous(order) {
		return nil, false
	}
	return &Array[T]{data: a.data, shape: slices.Clone(shape), strides: Strides(shape, order), offset: a.offset}, true
}

// IsContiguous reports whether the elements of a occupy
// Data()[Offset():Offset()+Len()] in the given order with no gaps.
func (a *Array[T]) IsContiguous(order Order) bool {
	want := Strides(a.shape, order)
	for i, s := range a.shape {
		if s > 1 && a.strides[i] != want[i] {
			return false
		}
	}
	return true
}

// Flat returns the elements of a contiguous array as one slice, shared with
// a, and false if a is not contiguous in C or F order.
func (a *Array[T]) Flat() ([]T, bool) {
	if !a.IsContiguous(C) && !a.IsContiguous(F) {
		return nil, false
	}
	return a.data[a.offset : a.offset+a.Len()], true
}

// Clone returns a contiguous copy of a in the given order. It panics, as
// [New] does, if the copy exceeds [MaxAllocBytes], which only a view with
// zero strides (a broadcast) can make happen; copy such views with
// [NewChecked] and [Copy].
func (a *Array[T]) Clone(order Order) *Array[T] {
	c := New[T](a.shape, order)
	Copy(c, a)
	return c
}

// Fill sets every element of a to v.
func (a *Array[T]) Fill(v T) {
	forEachRun1(a.shape, a.strides, a.offset, func(o, n, s int) {
		if s == 1 {
			d := a.data[o : o+n]
			for i := range d {
				d[i] = v
			}
			return
		}
		for i := 0; i < n; i++ {
			a.data[o+i*s] = v
		}
	})
}

// Values calls f for every element in C order (last axis fastest) with its
// index. The index slice is reused between calls.
func (a *Array[T]) Values(f func(idx []int, v T)) {
	if a.Len() == 0 {
		return
	}
	w := newWalker(a.shape, a.strides, a.strides, a.offset, a.offset)
	for {
		f(w.idx, a.data[w.o1])
		if !w.next() {
			return
		}
	}
}
