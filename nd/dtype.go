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

// ParseDType parses a dtype name: a NumPy or Zarr v3 name such as
// "uint16", "float16" or "bool" (letter case ignored), or a NumPy type code
// without byte order such as "u2", "i8", "f2" or "b1" (letter case
// significant: "U4" is a unicode string, not "u4"). Strings, bytes,
// structured, complex, datetime, timedelta and object dtypes are refused
// with an error that quotes s and names the kind. Use [ParseTypestr] for
// typestrs with a byte-order character ("<u2", "|b1").
func ParseDType(s string) (DType, error) {
	t := strings.TrimSpace(s)
	lt := strings.ToLower(t)
	for i, n := range dtypeNames {
		if i > 0 && n == lt {
			return DType(i), nil
		}
	}
	if dt, ok := typeCodes[t]; ok {
		return dt, nil
	}
	if kind := unsupportedKind(t); kind != "" {
		return Invalid, fmt.Errorf("dtype %q (%s) is not supported", s, kind)
	}
	return Invalid, fmt.Errorf("nd: unknown dtype %q", s)
}

// typeCodes are NumPy's kind+size codes of the supported dtypes.
var typeCodes = map[string]DType{
	"u1": Uint8, "u2": Uint16, "u4": Uint32, "u8": Uint64,
	"i1": Int8, "i2": Int16, "i4": Int32, "i8": Int64,
	"f2": DTypeFloat16, "f4": Float32, "f8": Float64, "b1": DTypeBool,
}

// ParseTypestr parses a NumPy array-interface typestr such as "<u2",
// ">f8", "|b1" or "=f2": a byte-order character, then a code accepted by
// [ParseDType]. It reports whether the elements are big-endian (always
// false for one-byte types). Unsupported kinds are refused with an error
// that quotes s as written, e.g. `dtype "<U4" (unicode string) is not
// supported`.
func ParseTypestr(s string) (dt DType, bigEndian bool, err error) {
	if kind := unsupportedKind(s); kind != "" {
		return Invalid, false, fmt.Errorf("dtype %q (%s) is not supported", s, kind)
	}
	if len(s) < 2 || !strings.ContainsRune("<>|=", rune(s[0])) {
		return Invalid, false, fmt.Errorf("dtype %q is not a NumPy typestr", s)
	}
	dt, ok := typeCodes[s[1:]]
	if !ok {
		return Invalid, false, fmt.Errorf("dtype %q is not supported", s)
	}
	return dt, s[0] == '>' && dt.Size() > 1, nil
}

// unsupportedKind names the kind of a NumPy dtype ryomen refuses, or
// returns "" when s is not one of them.
func unsupportedKind(s string) string {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") || strings.HasPrefix(t, "(") || strings.HasPrefix(t, "{") {
		return "structured"
	}
	switch strings.ToLower(t) {
	case "complex64", "complex128", "complex", "complex256":
		return "complex"
	case "str", "string", "unicode":
		return "unicode string"
	case "bytes":
		return "byte string"
	case "object":
		return "object"
	}
	lt := strings.ToLower(t)
	if strings.HasPrefix(lt, "datetime64") {
		return "datetime"
	}
	if strings.HasPrefix(lt, "timedelta64") {
		return "timedelta"
	}
	if lt == "float128" || lt == "longdouble" || strings.HasPrefix(lt, "r") && isDigits(lt[1:]) {
		return "unsupported width"
	}
	if len(t) > 0 && strings.ContainsRune("<>|=", rune(t[0])) {
		t = t[1:]
	}
	if t == "" {
		return ""
	}
	switch t[0] {
	case 'U':
		return "unicode string"
	case 'S', 'a':
		return "byte string"
	case 'V':
		return "structured or void"
	case 'c':
		return "complex"
	case 'M':
		return "datetime"
	case 'm':
		return "timedelta"
	case 'O':
		return "object"
	case 'f':
		if t == "f16" || t == "f12" {
			return "extended-precision float"
		}
	}
	return ""
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
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
