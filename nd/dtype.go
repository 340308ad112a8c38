package nd

import (
	"fmt"
	"strings"
)

// Number is the set of element types on which generic code computes:
// integers of 8 to 64 bits, float32 and float64.
type Number interface {
	uint8 | uint16 | uint32 | uint64 | int8 | int16 | int32 | int64 | float32 | float64
}

// Element is the set of element types an [Array] may hold: the [Number]
// types, on which generic code may compute, plus [Float16] and [Bool],
// which it may only move, compare for equality and convert (see
// [ConvertAny]).
type Element interface {
	Number | Float16 | Bool
}

// Integer is the subset of [Number] holding integers.
type Integer interface {
	uint8 | uint16 | uint32 | uint64 | int8 | int16 | int32 | int64
}

// DType names an element type at run time.
type DType uint8

// The element types. The zero DType is Invalid.
const (
	Invalid DType = iota
	Uint8
	Uint16
	Uint32
	Uint64
	Int8
	Int16
	Int32
	Int64
	Float32
	Float64
	// DTypeFloat16 is IEEE binary16, held as the element type [Float16].
	// (The element types Float16 and Bool take the plain names.)
	DTypeFloat16
	// DTypeBool is a one-byte boolean, held as the element type [Bool].
	DTypeBool
)

// DTypes lists every valid DType, in declaration order.
var DTypes = []DType{Uint8, Uint16, Uint32, Uint64, Int8, Int16, Int32, Int64, Float32, Float64, DTypeFloat16, DTypeBool}

var dtypeNames = [...]string{"invalid", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float32", "float64", "float16", "bool"}
var dtypeSizes = [...]int{0, 1, 2, 4, 8, 1, 2, 4, 8, 4, 8, 2, 1}

// String returns the NumPy name of d ("uint8", "float32", ...).
func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size returns the size of one element in bytes, or 0 for Invalid.
func (d DType) Size() int {
	if int(d) < len(dtypeSizes) {
		return dtypeSizes[d]
	}
	return 0
}

// Valid reports whether d is one of the twelve element types.
func (d DType) Valid() bool { return d >= Uint8 && d <= DTypeBool }

// IsFloat reports whether d is float16, float32 or float64.
func (d DType) IsFloat() bool { return d == Float32 || d == Float64 || d == DTypeFloat16 }

// IsSigned reports whether d can hold negative values.
func (d DType) IsSigned() bool { return d >= Int8 && d <= DTypeFloat16 }

// IsNumber reports whether d is a [Number] type, one that generic numeric
// code computes on directly (every valid dtype but float16 and bool).
func (d DType) IsNumber() bool { return d >= Uint8 && d <= Float64 }

// IsInteger reports whether d is an integer type.
func (d DType) IsInteger() bool { return d >= Uint8 && d <= Int64 }

// ParseDType parses a NumPy dtype name such as "uint16" or "float32"
// (case-insensitive). NumPy's short aliases "u1".."u8", "i1".."i8", "f4"
// and "f8" are accepted too.
func ParseDType(s string) (DType, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for i, n := range dtypeNames {
		if i > 0 && n == t {
			return DType(i), nil
		}
	}
	switch t {
	case "u1":
		return Uint8, nil
	case "u2":
		return Uint16, nil
	case "u4":
		return Uint32, nil
	case "u8":
		return Uint64, nil
	case "i1":
		return Int8, nil
	case "i2":
		return Int16, nil
	case "i4":
		return Int32, nil
	case "i8":
		return Int64, nil
	case "f4":
		return Float32, nil
	case "f8":
		return Float64, nil
	}
	return Invalid, fmt.Errorf("nd: unknown dtype %q", s)
}

// DTypeOf returns the DType of the element type T.
func DTypeOf[T Element]() DType {
	var z T
	switch any(z).(type) {
	case uint8:
		return Uint8
	case uint16:
		return Uint16
	case uint32:
		return Uint32
	case uint64:
		return Uint64
	case int8:
		return Int8
	case int16:
		return Int16
	case int32:
		return Int32
	case int64:
		return Int64
	case float32:
		return Float32
	case float64:
		return Float64
	case Float16:
		return DTypeFloat16
	case Bool:
		return DTypeBool
	}
	panic("unreachable")
}
