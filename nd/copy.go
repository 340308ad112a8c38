package nd

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Copy copies src into dst element by element. The two may have any strides
// and layouts but must have equal shapes; it panics otherwise. Overlapping
// views of one slice give unspecified results.
//
// Runs that are contiguous in both arrays move with the builtin copy, so a
// copy between two C-order (or two F-order) regions runs at memcpy speed
// per row.
func Copy[T Element](dst, src *Array[T]) {
	mustSameShape(dst.shape, src.shape, "Copy")
	forEachRun2(dst.shape, dst.strides, src.strides, dst.offset, src.offset, func(od, os, n, sd, ss int) {
		if sd == 1 && ss == 1 {
			copy(dst.data[od:od+n], src.data[os:os+n])
			return
		}
		for i := 0; i < n; i++ {
			dst.data[od+i*sd] = src.data[os+i*ss]
		}
	})
}

// Convert copies src into dst, converting each element with Go's conversion
// D(v). Conversions of floats that do not fit in an integer D, or NaN, give
// implementation-specific values; use [ConvertClamp] to saturate instead. It
// panics if the shapes differ.
func Convert[D, S Number](dst *Array[D], src *Array[S]) {
	mustSameShape(dst.shape, src.shape, "Convert")
	forEachRun2(dst.shape, dst.strides, src.strides, dst.offset, src.offset, func(od, os, n, sd, ss int) {
		for i := 0; i < n; i++ {
			dst.data[od+i*sd] = D(src.data[os+i*ss])
		}
	})
}

// ConvertClamp is [Convert] but clamps values to the range of D, rounds
// floats to the nearest integer (half away from zero) when D is an integer,
// and maps NaN to 0.
func ConvertClamp[D, S Number](dst *Array[D], src *Array[S]) {
	mustSameShape(dst.shape, src.shape, "ConvertClamp")
	lo, hi := Limits[D]()
	dInt := DTypeOf[D]().IsInteger()
	sInt := DTypeOf[S]().IsInteger()
	forEachRun2(dst.shape, dst.strides, src.strides, dst.offset, src.offset, func(od, os, n, sd, ss int) {
		for i := 0; i < n; i++ {
			v := float64(src.data[os+i*ss])
			switch {
			case v != v:
				dst.data[od+i*sd] = 0
				continue
			case v <= lo:
				dst.data[od+i*sd] = D(lo)
				continue
			case v >= hi:
				if dInt {
					// float64(hi) may round above hi for 64-bit types.
					dst.data[od+i*sd] = maxOf[D]()
				} else {
					dst.data[od+i*sd] = D(hi)
				}
				continue
			}
			switch {
			case sInt:
				// In range: integer to integer or float is exact or correctly rounded.
				dst.data[od+i*sd] = D(src.data[os+i*ss])
				continue
			case dInt:
				v = math.Round(v)
			}
			dst.data[od+i*sd] = D(v)
		}
	})
}

// Limits returns the smallest and largest finite values of T as float64.
func Limits[T Number]() (lo, hi float64) {
	switch DTypeOf[T]() {
	case Uint8:
		return 0, 255
	case Uint16:
		return 0, 65535
	case Uint32:
		return 0, 4294967295
	case Uint64:
		return 0, 18446744073709551615
	case Int8:
		return -128, 127
	case Int16:
		return -32768, 32767
	case Int32:
		return -2147483648, 2147483647
	case Int64:
		return -9223372036854775808, 9223372036854775807
	case Float32:
		return -3.4028234663852886e38, 3.4028234663852886e38
	}
	return -1.7976931348623157e308, 1.7976931348623157e308
}

// LimitsOf is [Limits] for a dtype known at run time; it returns 0, 0
// for Float16, Bool and Invalid.
//
//nd:dispatch LimitsOf = Limits[dt] zero

func maxOf[T Number]() T {
	var z T
	switch p := any(&z).(type) {
	case *uint8:
		*p = ^uint8(0)
	case *uint16:
		*p = ^uint16(0)
	case *uint32:
		*p = ^uint32(0)
	case *uint64:
		*p = ^uint64(0)
	case *int8:
		*p = 1<<7 - 1
	case *int16:
		*p = 1<<15 - 1
	case *int32:
		*p = 1<<31 - 1
	case *int64:
		*p = 1<<63 - 1
	case *float32:
		*p = 3.4028234663852886e38
	case *float64:
		*p = 1.7976931348623157e308
	}
	return z
}

func mustSameShape(a, b []int, op string) {
	if !slices.Equal(a, b) {
		panic(fmt.Sprintf("nd: %s between shapes %v and %v", op, a, b))
	}
}

// plan orders and merges axes for a two-operand elementwise loop: axes are
// sorted so the innermost has the smallest stride in the first operand, and
// neighbouring axes that are contiguous in both operands are merged.
type plan struct {
	shape    []int
	s1, s2   []int
	inner    int // length of the innermost run
	i1, i2   int // innermost strides
	outerLen int
}

func makePlan(shape, s1, s2 []int) plan {
	r := len(shape)
	ax := make([]int, 0, r)
	for i := 0; i < r; i++ {
		if shape[i] != 1 {
			ax = append(ax, i)
		}
	}
	// Slowest first: sort by descending stride of operand 1, ties by operand 2.
	sort.SliceStable(ax, func(a, b int) bool {
		x, y := ax[a], ax[b]
		if s1[x] != s1[y] {
			return s1[x] > s1[y]
		}
		return s2[x] > s2[y]
	})
	var p plan
	for _, a := range ax {
		n := len(p.shape)
		if n > 0 && p.s1[n-1] == s1[a]*shape[a] && p.s2[n-1] == s2[a]*shape[a] {
			p.shape[n-1] *= shape[a]
			p.s1[n-1] = s1[a]
			p.s2[n-1] = s2[a]
			continue
		}
		p.shape = append(p.shape, shape[a])
		p.s1 = append(p.s1, s1[a])
		p.s2 = append(p.s2, s2[a])
	}
	if len(p.shape) == 0 {
		p.inner, p.i1, p.i2 = 1, 1, 1
		return p
	}
	n := len(p.shape) - 1
	p.inner, p.i1, p.i2 = p.shape[n], p.s1[n], p.s2[n]
	p.shape, p.s1, p.s2 = p.shape[:n], p.s1[:n], p.s2[:n]
	return p
}

// forEachRun2 calls f(o1, o2, n, st1, st2) for every innermost run of a
// two-operand elementwise loop over shape. Nothing is called for an empty
// shape.
func forEachRun2(shape, s1, s2 []int, off1, off2 int, f func(o1, o2, n, st1, st2 int)) {
	for _, s := range shape {
		if s == 0 {
			return
		}
	}
	p := makePlan(shape, s1, s2)
	if len(p.shape) == 0 {
		f(off1, off2, p.inner, p.i1, p.i2)
		return
	}
	w := newWalker(p.shape, p.s1, p.s2, off1, off2)
	for {
		f(w.o1, w.o2, p.inner, p.i1, p.i2)
		if !w.next() {
			return
		}
	}
}

func forEachRun1(shape, s []int, off int, f func(o, n, st int)) {
	forEachRun2(shape, s, s, off, off, func(o1, _, n, st1, _ int) { f(o1, n, st1) })
}

// ForEachRun calls f(o1, o2, n, st1, st2) for every innermost run of an
// elementwise loop over two arrays of equal shape: elements o1+k*st1 of
// a.Data() and o2+k*st2 of b.Data(), for k in [0, n), correspond. Axes are
// reordered and merged so runs are as long as the layouts allow. It is the
// building block for kernels outside this package; it panics if the shapes
// differ.
func ForEachRun[A, B Element](a *Array[A], b *Array[B], f func(o1, o2, n, st1, st2 int)) {
	mustSameShape(a.shape, b.shape, "ForEachRun")
	forEachRun2(a.shape, a.strides, b.strides, a.offset, b.offset, f)
}
