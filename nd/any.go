package nd

import (
	"fmt"
	"unsafe"
)

// Any is an array of any element type: every *Array[T] implements it. It is
// the dtype-erased currency of the region interfaces and file formats; code
// that computes on elements switches once on the concrete type (or calls
// [Dispatch]) and then runs generic code.
type Any interface {
	DType() DType
	Rank() int
	Shape() []int
	Len() int
	Bounds() Box
	// View returns Sub(b) as an Any.
	View(b Box) Any
}

// View implements [Any].
func (a *Array[T]) View(b Box) Any { return a.Sub(b) }

// Reader is anything that can fill an array from a region of itself: an
// in-memory array, a Zarr array, a TIFF stack. ReadRegion copies the
// elements of b into dst, which must have shape b.Shape() and the reader's
// dtype. b must lie inside [0, Shape()).
type Reader interface {
	DType() DType
	Shape() []int
	ReadRegion(b Box, dst Any) error
}

// Writer stores src, of shape b.Shape() and the writer's dtype, into the
// region b of itself.
type Writer interface {
	DType() DType
	Shape() []int
	WriteRegion(b Box, src Any) error
}

// ReadWriter is both a Reader and a Writer.
type ReadWriter interface {
	Reader
	Writer
}

var (
	_ ReadWriter = (*Array[uint8])(nil)
	_ Any        = (*Array[float64])(nil)
)

// ReadRegion implements [Reader] by copying a.Sub(b) into dst.
func (a *Array[T]) ReadRegion(b Box, dst Any) error {
	if err := checkRegion(a.shape, b, dst, a.DType()); err != nil {
		return err
	}
	Copy(dst.(*Array[T]), a.Sub(b))
	return nil
}

// WriteRegion implements [Writer] by copying src into a.Sub(b).
func (a *Array[T]) WriteRegion(b Box, src Any) error {
	if err := checkRegion(a.shape, b, src, a.DType()); err != nil {
		return err
	}
	Copy(a.Sub(b), src.(*Array[T]))
	return nil
}

// CheckRegion returns an error unless b lies inside [0, shape) and buf has
// shape b.Shape() and dtype dt. Reader and Writer implementations call it
// first.
func CheckRegion(shape []int, b Box, buf Any, dt DType) error {
	return checkRegion(shape, b, buf, dt)
}

func checkRegion(shape []int, b Box, buf Any, dt DType) error {
	if b.Rank() != len(shape) || !BoxOf(shape).Contains(b) {
		return fmt.Errorf("nd: region %v outside array bounds %v", b, BoxOf(shape))
	}
	if buf.DType() != dt {
		return fmt.Errorf("nd: buffer dtype %v, want %v", buf.DType(), dt)
	}
	bs := buf.Shape()
	want := b.Shape()
	if len(bs) != len(want) {
		return fmt.Errorf("nd: buffer shape %v, region %v", bs, b)
	}
	for i := range bs {
		if bs[i] != want[i] {
			return fmt.Errorf("nd: buffer shape %v, region %v", bs, b)
		}
	}
	return nil
}

//go:generate go run github.com/ryomen-dev/ryomen/internal/gen/dispatch

// NewAny allocates a zeroed contiguous array of the given dtype. It panics
// on an invalid dtype or shape.
//
//nd:dispatch NewAny = New[dt]

// CopyAny copies src into dst. Both must have the same dtype and shape.
func CopyAny(dst, src Any) error {
	if dst.DType() != src.DType() {
		return fmt.Errorf("nd: copy from %v into %v", src.DType(), dst.DType())
	}
	if !BoxOf(dst.Shape()).Eq(BoxOf(src.Shape())) || dst.Rank() != src.Rank() {
		return fmt.Errorf("nd: copy from shape %v into %v", src.Shape(), dst.Shape())
	}
	return copyAny(dst, src)
}

// copyTo copies src, which must be an *Array[T] of dst's shape, into dst.
func copyTo[T Element](dst *Array[T], src Any) error {
	s, ok := src.(*Array[T])
	if !ok {
		return fmt.Errorf("nd: copy from %T into %T", src, dst)
	}
	Copy(dst, s)
	return nil
}

// copyAny is copyTo for a dst of any dtype.
//
//nd:dispatch copyAny = copyTo(dst)

// ConvertAny copies src into dst of the same shape, converting elements
// with [ConvertClamp] semantics when the dtypes differ.
//
// Float16 converts through float32: into a float
// destination exactly (NaN and ±Inf kept), into an integer destination
// rounded half away from zero and clamped, NaN giving 0. Into Float16,
// values are rounded to nearest even, finite values beyond ±65504 clamp to
// ±65504, and ±Inf and NaN are kept. Bool converts to 0 or 1; any non-zero
// value (NaN included, as in NumPy) converts to true.
func ConvertAny(dst, src Any) error {
	if dst.DType() == src.DType() {
		return CopyAny(dst, src)
	}
	if !BoxOf(dst.Shape()).Eq(BoxOf(src.Shape())) || dst.Rank() != src.Rank() {
		return fmt.Errorf("nd: convert from shape %v into %v", src.Shape(), dst.Shape())
	}
	if !dst.DType().IsNumber() || !src.DType().IsNumber() {
		return convertSpecial(dst, src)
	}
	return convertAny(dst, src)
}

// convertInto converts the numeric array src into dst.
func convertInto[D Number](dst *Array[D], src Any) error {
	convertFromAny(dst, src)
	return nil
}

// convertAny is convertInto for a dst of any numeric dtype.
//
//nd:dispatch convertAny = convertInto(dst)

// convertFromAny is [ConvertClamp] for a src of any numeric dtype.
//
//nd:dispatch convertFromAny = ConvertClamp(src)

func init() {
	x := uint16(1)
	if *(*byte)(unsafe.Pointer(&x)) != 1 {
		panic("nd: ryomen requires a little-endian host")
	}
}

// FromBytes returns a contiguous array of dtype dt and the given shape that
// views b in the host's (little-endian) byte order. It shares b when b is
// suitably aligned and copies it otherwise. It returns an error if len(b)
// is not the array's size in bytes.
func FromBytes(dt DType, shape []int, order Order, b []byte) (Any, error) {
	n, ok := CheckedSize(shape)
	if !ok || !dt.Valid() {
		return nil, fmt.Errorf("nd: FromBytes with shape %v dtype %v", shape, dt)
	}
	if n > maxInt/8 || n*dt.Size() != len(b) {
		return nil, fmt.Errorf("nd: %d bytes for shape %v of %v (want %d)", len(b), shape, dt, n*dt.Size())
	}
	if len(b) > 0 && uintptr(unsafe.Pointer(&b[0]))%uintptr(dt.Size()) != 0 {
		a := NewAny(dt, shape, order)
		ab, _ := AsBytes(a)
		copy(ab, b)
		return a, nil
	}
	return viewBytesAny(dt, b, n, shape, order), nil
}

// viewBytes views the n elements of T in b as an array.
func viewBytes[T Element](b []byte, n int, shape []int, order Order) *Array[T] {
	return FromSlice(castSlice[T](b, n), shape, order)
}

// viewBytesAny is viewBytes for a dtype known at run time.
//
//nd:dispatch viewBytesAny = viewBytes[dt]

func castSlice[T Element](b []byte, n int) []T {
	if n == 0 {
		return []T{}
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
}

// AsBytes returns the memory of a contiguous array as bytes in host order,
// shared with the array, and false if a is not contiguous.
//
//nd:dispatch AsBytes = bytesOf(a) zero

func bytesOf[T Element](a *Array[T]) ([]byte, bool) {
	f, ok := a.Flat()
	if !ok {
		return nil, false
	}
	if len(f) == 0 {
		return []byte{}, true
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), len(f)*int(unsafe.Sizeof(z))), true
}

// ContiguousOrder reports the order in which a is contiguous, preferring C
// when both apply (1-D arrays, single elements).
func ContiguousOrder(a Any) (Order, bool) {
	type contig interface{ IsContiguous(Order) bool }
	c, ok := a.(contig)
	if !ok {
		return C, false
	}
	if c.IsContiguous(C) {
		return C, true
	}
	if c.IsContiguous(F) {
		return F, true
	}
	return C, false
}
