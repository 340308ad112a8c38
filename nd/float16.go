package nd

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"unsafe"
)

// Float16 is an IEEE 754 binary16 ("half") value held as its 16 bits: one
// sign bit, five exponent bits and ten mantissa bits, as NumPy's float16.
// Go has no arithmetic on it: convert with [Float16.Float32] (exact) and
// [Float16FromFloat32] (rounded to nearest, ties to even), and compute in
// float32. Float16 is an [Element] but not a [Number], so generic numeric
// code cannot treat its bits as an integer by mistake.
type Float16 uint16

// Float16 bit patterns of special values.
const (
	Float16Inf    Float16 = 0x7c00 // +Inf
	Float16NegInf Float16 = 0xfc00 // -Inf
	Float16NaN    Float16 = 0x7e00 // the quiet NaN NumPy writes
	Float16Max    Float16 = 0x7bff // 65504, the largest finite value
)

// Float32 returns h as a float32. Every float16 value, subnormals, infinities
// and NaN payloads included, is exactly representable as a float32.
func (h Float16) Float32() float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case 0:
		// Zero or subnormal: mant * 2^-24, exact in float32.
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// Float64 returns h as a float64, exactly (NaN payloads included).
func (h Float16) Float64() float64 {
	if h.IsNaN() {
		return math.Float64frombits(uint64(h&0x8000)<<48 | 0x7ff<<52 | uint64(h&0x3ff)<<42)
	}
	return float64(h.Float32())
}

// IsNaN reports whether h is a NaN.
func (h Float16) IsNaN() bool { return h&0x7c00 == 0x7c00 && h&0x3ff != 0 }

// String formats h as the shortest decimal that converts back to it.
func (h Float16) String() string {
	return strconv.FormatFloat(h.Float64(), 'g', -1, 32)
}

// Float16FromFloat32 rounds f to the nearest float16, ties to even, as
// NumPy's astype(float16) does: values beyond the largest finite float16
// (after rounding) become ±Inf, tiny values become subnormals or ±0, and a
// NaN keeps the top ten bits of its payload (made non-zero).
func Float16FromFloat32(f float32) Float16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & (1<<23 - 1)
	switch {
	case exp == 0xff && mant != 0:
		// Keep the payload's top bits (made non-zero), as NumPy does; no
		// float64 detour, which would set a signalling NaN's quiet bit.
		m := uint16(mant >> 13)
		if m == 0 {
			m = 1
		}
		return Float16(sign | 0x7c00 | m)
	case exp == 0xff:
		return Float16(sign | 0x7c00)
	case exp < 127-25:
		// Below half the smallest subnormal (float32 subnormals included).
		return Float16(sign)
	}
	return Float16(sign | roundHalf(uint64(mant|1<<23), exp-127+15, 13))
}

// roundHalf rounds the significand sig (implicit bit included, value
// sig * 2^(e16-15-(drop+10))) to float16 bits without sign, nearest even:
// drop is how many low bits of sig lie below a normal float16's mantissa.
func roundHalf(sig uint64, e16, drop int) uint16 {
	shift := drop
	if e16 < 1 {
		// Subnormal result: units of 2^-24.
		shift += 1 - e16
		if shift > 63 {
			return 0
		}
	}
	q := sig >> shift
	rem := sig & (1<<shift - 1)
	half := uint64(1) << (shift - 1)
	if rem > half || (rem == half && q&1 == 1) {
		q++
	}
	bits := q // subnormal (q == 1<<10 is the smallest normal, also correct)
	if e16 >= 1 {
		// Normal: the implicit bit in q carries into the exponent field,
		// which also handles rounding up to the next binade.
		bits = uint64(e16-1)<<10 + q
	}
	if bits >= 0x7c00 {
		return 0x7c00
	}
	return uint16(bits)
}

// Float16FromFloat64 rounds f to the nearest float16, ties to even, in one
// step (no double rounding through float32).
func Float16FromFloat64(f float64) Float16 {
	b := math.Float64bits(f)
	sign := uint16(b>>48) & 0x8000
	exp := int(b>>52) & 0x7ff
	mant := b & (1<<52 - 1)
	switch {
	case exp == 0x7ff && mant != 0:
		m := uint16(mant >> 42)
		if m == 0 {
			m = 1
		}
		return Float16(sign | 0x7c00 | m)
	case exp == 0x7ff:
		return Float16(sign | 0x7c00)
	case exp == 0:
		// float64 zero or subnormal: far below half the smallest float16.
		return Float16(sign)
	}
	return Float16(sign | roundHalf(mant|1<<52, exp-1023+15, 42))
}

// Bool is a boolean element, one byte holding 0 (false) or 1 (true), as
// NumPy's bool_ and Zarr's "bool"/"|b1". It is a label type: copy, compare,
// take the mode, min, max or a stride of it, but do not average it. Any
// non-zero byte means true: the format readers pass bytes through
// unchanged, and [ConvertAny] maps non-zero to 1. Bool is an [Element] but
// not a [Number].
type Bool uint8

// The two Bool values.
const (
	False Bool = 0
	True  Bool = 1
)

// BoolOf returns True for true and False for false.
func BoolOf(b bool) Bool {
	if b {
		return True
	}
	return False
}

// String returns "true" or "false".
func (b Bool) String() string {
	if b != 0 {
		return "true"
	}
	return "false"
}

// mapInto sets each element of dst to f of the matching element of src.
func mapInto[D, S Element](dst *Array[D], src *Array[S], f func(S) D) {
	mustSameShape(dst.shape, src.shape, "ConvertAny")
	forEachRun2(dst.shape, dst.strides, src.strides, dst.offset, src.offset, func(od, os, n, sd, ss int) {
		for i := 0; i < n; i++ {
			dst.data[od+i*sd] = f(src.data[os+i*ss])
		}
	})
}

// halfClamp rounds v to float16 with the clamping rule of [ConvertAny].
func halfClamp(v float64) Float16 {
	switch {
	case v > 65504 && !math.IsInf(v, 1):
		return Float16Max
	case v < -65504 && !math.IsInf(v, -1):
		return Float16Max | 0x8000
	}
	return Float16FromFloat64(v)
}

// clampScalar converts v to D with [ConvertClamp]'s rules for integer D
// (round half away from zero, clamp, NaN to 0) and Go's conversion for
// float D.
func clampScalar[D Number](v float64) D {
	if !DTypeOf[D]().IsInteger() {
		return D(v)
	}
	lo, hi := Limits[D]()
	switch {
	case v != v:
		return 0
	case v <= lo:
		return D(lo)
	case v >= hi:
		return maxOf[D]()
	}
	return D(math.Round(v))
}

// convertSpecial is ConvertAny when dst or src is Float16 or Bool.
func convertSpecial(dst, src Any) error {
	// The float32 <-> float16 pairs (model outputs) skip the closures.
	switch s := src.(type) {
	case *Array[float32]:
		if d, ok := dst.(*Array[Float16]); ok {
			mustSameShape(d.shape, s.shape, "ConvertAny")
			forEachRun2(d.shape, d.strides, s.strides, d.offset, s.offset, func(od, os, n, sd, ss int) {
				for i := 0; i < n; i++ {
					v := s.data[os+i*ss]
					h := Float16FromFloat32(v)
					if h&0x7fff == 0x7c00 && v-v == 0 {
						h = h&0x8000 | Float16Max // finite beyond ±65504: clamp
					}
					d.data[od+i*sd] = h
				}
			})
			return nil
		}
	case *Array[Float16]:
		if d, ok := dst.(*Array[float32]); ok {
			mustSameShape(d.shape, s.shape, "ConvertAny")
			forEachRun2(d.shape, d.strides, s.strides, d.offset, s.offset, func(od, os, n, sd, ss int) {
				for i := 0; i < n; i++ {
					d.data[od+i*sd] = s.data[os+i*ss].Float32()
				}
			})
			return nil
		}
	}
	switch s := src.(type) {
	case *Array[Float16]:
		return convertFrom(dst, s, func(h Float16) float64 { return h.Float64() }, func(h Float16) Bool { return BoolOf(h&0x7fff != 0) })
	case *Array[Bool]:
		return convertFrom(dst, s, func(b Bool) float64 { return float64(BoolOf(b != 0)) }, func(b Bool) Bool { return BoolOf(b != 0) })
	}
	switch d := dst.(type) {
	case *Array[Float16]:
		return dispatchFrom(src, func(v float64) Float16 { return halfClamp(v) }, d)
	case *Array[Bool]:
		return dispatchFrom(src, func(v float64) Bool { return BoolOf(v != 0) }, d)
	}
	return fmt.Errorf("nd: ConvertAny from %v into %v unsupported", src.DType(), dst.DType())
}

// convertFrom converts a Float16 or Bool source into any destination, going
// through float64 (exact for both) for numeric destinations.
func convertFrom[S Float16 | Bool](dst Any, src *Array[S], num func(S) float64, toBool func(S) Bool) error {
	switch d := dst.(type) {
	case *Array[uint8]:
		mapInto(d, src, func(s S) uint8 { return clampScalar[uint8](num(s)) })
	case *Array[uint16]:
		mapInto(d, src, func(s S) uint16 { return clampScalar[uint16](num(s)) })
	case *Array[uint32]:
		mapInto(d, src, func(s S) uint32 { return clampScalar[uint32](num(s)) })
	case *Array[uint64]:
		mapInto(d, src, func(s S) uint64 { return clampScalar[uint64](num(s)) })
	case *Array[int8]:
		mapInto(d, src, func(s S) int8 { return clampScalar[int8](num(s)) })
	case *Array[int16]:
		mapInto(d, src, func(s S) int16 { return clampScalar[int16](num(s)) })
	case *Array[int32]:
		mapInto(d, src, func(s S) int32 { return clampScalar[int32](num(s)) })
	case *Array[int64]:
		mapInto(d, src, func(s S) int64 { return clampScalar[int64](num(s)) })
	case *Array[float32]:
		mapInto(d, src, func(s S) float32 { return float32(num(s)) })
	case *Array[float64]:
		mapInto(d, src, num)
	case *Array[Float16]:
		mapInto(d, src, func(s S) Float16 { return halfClamp(num(s)) })
	case *Array[Bool]:
		mapInto(d, src, toBool)
	default:
		return fmt.Errorf("nd: ConvertAny into unsupported type %T", dst)
	}
	return nil
}

// mapFromNumber converts a Number source into a Float16 or Bool
// destination through float64 (exact for every integer below 2^53, and
// every float16 or bool outcome of a larger one is the same).
func mapFromNumber[D Float16 | Bool, S Number](src *Array[S], f func(float64) D, dst *Array[D]) error {
	mapInto(dst, src, func(v S) D { return f(float64(v)) })
	return nil
}

// dispatchFrom is mapFromNumber for a src of any numeric dtype.
//
//nd:dispatch dispatchFrom = mapFromNumber(src)

// FillBytes sets every element of a to the element whose little-endian
// bytes are elem (len(elem) must be a.DType().Size()). It is how format
// packages apply a fill value kept as raw bytes, exact for every dtype.
func FillBytes(a Any, elem []byte) error {
	if len(elem) != a.DType().Size() {
		return fmt.Errorf("nd: fill element of %d bytes for %v", len(elem), a.DType())
	}
	one, err := FromBytes(a.DType(), []int{1}, C, elem)
	if err != nil {
		return err
	}
	return fillAny(a, one)
}

// fillWith fills a with the element of the one-element array one.
func fillWith[T Element](a *Array[T], one Any) error {
	a.Fill(one.(*Array[T]).data[0])
	return nil
}

// fillAny is fillWith for an array of any dtype.
//
//nd:dispatch fillAny = fillWith(a)

// BoolAsUint8 returns a uint8 view of a Bool array: same shape, strides
// and memory, so uint8 label code (mode, min, max, stride pooling) runs on
// bool data unchanged and writes through. Any non-zero byte is true.
func BoolAsUint8(a *Array[Bool]) *Array[uint8] {
	return &Array[uint8]{data: castElems[Bool, uint8](a.data), shape: slices.Clone(a.shape), strides: slices.Clone(a.strides), offset: a.offset}
}

// Uint8AsBool is the inverse view of [BoolAsUint8].
func Uint8AsBool(a *Array[uint8]) *Array[Bool] {
	return &Array[Bool]{data: castElems[uint8, Bool](a.data), shape: slices.Clone(a.shape), strides: slices.Clone(a.strides), offset: a.offset}
}

// castElems reinterprets a slice of one-byte elements as another.
func castElems[S, D Bool | uint8](s []S) []D {
	if len(s) == 0 {
		return []D{}
	}
	return unsafe.Slice((*D)(unsafe.Pointer(&s[0])), len(s))
}
