package zarr

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/ryomen-dev/ryomen/nd"
)

// FormatError reports invalid or unsupported metadata: the store key of the
// metadata document, the JSON field (empty when the problem is not one
// field's) and what is wrong with it.
type FormatError struct {
	Key   string // e.g. "raw/0/.zarray" or "raw/zarr.json"
	Field string // e.g. "fill_value", "dtype"; may be empty
	Err   error
}

// Error returns "zarr: KEY: FIELD: ERR", leaving FIELD out when ERR already
// starts with it.
func (e *FormatError) Error() string {
	msg := e.Err.Error()
	if e.Field == "" || strings.HasPrefix(msg, e.Field+" ") || strings.HasPrefix(msg, e.Field+":") {
		return "zarr: " + e.Key + ": " + msg
	}
	return "zarr: " + e.Key + ": " + e.Field + ": " + msg
}

// Unwrap returns the underlying error.
func (e *FormatError) Unwrap() error { return e.Err }

func fieldErr(key, field string, err error) error {
	return &FormatError{Key: key, Field: field, Err: err}
}

// FillOf returns the fill-value bytes of v for [Meta.FillValue]: the
// element's little-endian bytes, so every 64-bit integer and every NaN
// payload is kept exactly. Use the element type of the array's dtype
// (FillOf(int64(math.MaxInt64)) for an int64 array, FillOf(nd.True) for a
// bool array, FillOf(nd.Float16NaN) for a float16 one).
func FillOf[T nd.Element](v T) []byte {
	b := make([]byte, unsafe.Sizeof(v))
	copy(b, unsafe.Slice((*byte)(unsafe.Pointer(&v)), len(b)))
	return b
}

// FillFloat64 returns the fill value of m as a float64: exact for floats
// (NaN and ±Inf included) and for integers below 2^53 in magnitude, rounded
// beyond (FillValue holds the exact bytes); 0 or 1 for bool.
func (m *Meta) FillFloat64() float64 {
	f, err := fillBytes(m.DType, m.FillValue)
	if err != nil {
		return 0
	}
	u := binary.LittleEndian.Uint64(append(f, make([]byte, 8-len(f))...))
	switch dt := m.DType; {
	case dt == nd.DTypeBool:
		return float64(min(u, 1))
	case dt == nd.Float64:
		return math.Float64frombits(u)
	case dt == nd.Float32:
		return float64(math.Float32frombits(uint32(u)))
	case dt == nd.DTypeFloat16:
		return nd.Float16(u).Float64()
	case dt.IsSigned():
		shift := 64 - 8*dt.Size()
		return float64(int64(u<<shift) >> shift)
	}
	return float64(u)
}

// fillBytes returns fill normalised for dt: zeros for nil, an error for a
// length other than dt.Size().
func fillBytes(dt nd.DType, fill []byte) ([]byte, error) {
	if fill == nil {
		return make([]byte, dt.Size()), nil
	}
	if len(fill) != dt.Size() {
		return nil, fmt.Errorf("fill value of %d bytes for %v (want %d; see FillOf)", len(fill), dt, dt.Size())
	}
	return bytes.Clone(fill), nil
}

// parseFill decodes a fill_value for dt into its little-endian bytes,
// exactly: integers through strconv (never float64), floats rounded once
// to dt, booleans as 0/1. Values outside dt's range are refused.
func parseFill(raw json.RawMessage, dt nd.DType) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	out := make([]byte, 8)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return out[:dt.Size()], nil
	case bytes.Equal(raw, []byte("true")), bytes.Equal(raw, []byte("false")):
		if raw[0] == 't' {
			if err := putNumber(out, dt, "1"); err != nil {
				return nil, err
			}
		}
		return out[:dt.Size()], nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if err := putString(out, dt, s); err != nil {
			return nil, err
		}
		return out[:dt.Size()], nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var n any
	if err := d.Decode(&n); err != nil {
		return nil, fmt.Errorf("%s: %v", raw, err)
	}
	num, ok := n.(json.Number)
	if !ok {
		return nil, fmt.Errorf("%s is not a number, string or boolean", raw)
	}
	if err := putNumber(out, dt, string(num)); err != nil {
		return nil, err
	}
	return out[:dt.Size()], nil
}

// putString handles "NaN", "Infinity", "-Infinity" and "0x..." (the raw
// bits, most significant first, as Zarr v3 writes them).
func putString(out []byte, dt nd.DType, s string) error {
	if hex, ok := strings.CutPrefix(s, "0x"); ok {
		u, err := strconv.ParseUint(hex, 16, 64)
		if err != nil || len(hex) > 2*dt.Size() {
			return fmt.Errorf("%q is not a %d-byte hex pattern", s, dt.Size())
		}
		binary.LittleEndian.PutUint64(out, u)
		return nil
	}
	if !dt.IsFloat() {
		return fmt.Errorf("%q is not a valid %v value", s, dt)
	}
	var v float64
	switch s {
	case "NaN":
		v = math.NaN()
	case "Infinity":
		v = math.Inf(1)
	case "-Infinity":
		v = math.Inf(-1)
	default:
		return fmt.Errorf("%q is not a valid %v value", s, dt)
	}
	putFloat(out, dt, v)
	return nil
}

func putFloat(out []byte, dt nd.DType, v float64) {
	switch dt {
	case nd.DTypeFloat16:
		binary.LittleEndian.PutUint16(out, uint16(nd.Float16FromFloat64(v)))
	case nd.Float32:
		binary.LittleEndian.PutUint32(out, math.Float32bits(float32(v)))
	default:
		binary.LittleEndian.PutUint64(out, math.Float64bits(v))
	}
}

var errRange = errors.New("out of range")

// putNumber stores the JSON number s as dt: integers exactly or not at
// all, floats rounded to nearest (an overflow to infinity is refused).
func putNumber(out []byte, dt nd.DType, s string) error {
	switch {
	case dt == nd.DTypeBool:
		if s != "0" && s != "1" {
			return fmt.Errorf("%s is not a bool (want true, false, 0 or 1)", s)
		}
		out[0] = s[0] - '0'
		return nil
	case dt.IsFloat():
		v, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("%s: %v", s, err)
		}
		lo, hi := -math.MaxFloat64, math.MaxFloat64
		switch dt {
		case nd.Float32:
			if v, err = strconv.ParseFloat(s, 32); err != nil && !errors.Is(err, strconv.ErrRange) {
				return fmt.Errorf("%s: %v", s, err)
			}
			lo, hi = -math.MaxFloat32, math.MaxFloat32
		case nd.DTypeFloat16:
			if h := nd.Float16FromFloat64(v); h == nd.Float16Inf || h == nd.Float16NegInf {
				v = math.Inf(1)
			}
		}
		if math.IsInf(v, 0) || v < lo || v > hi {
			return fmt.Errorf("%s is %w for %v", s, errRange, dt)
		}
		putFloat(out, dt, v)
		return nil
	}
	return putInteger(out, dt, s)
}

// putInteger parses s exactly: as a decimal integer, or as a float literal
// ("7.0", "1e3") only when its value is an integer below 2^53.
func putInteger(out []byte, dt nd.DType, s string) error {
	bits := 8 * dt.Size()
	if !dt.IsSigned() {
		u, err := strconv.ParseUint(s, 10, bits)
		if err == nil {
			binary.LittleEndian.PutUint64(out, u)
			return nil
		}
		if errors.Is(err, strconv.ErrRange) || strings.HasPrefix(s, "-") && isInt(s[1:]) {
			return fmt.Errorf("%s is %w for %v", s, errRange, dt)
		}
	} else {
		i, err := strconv.ParseInt(s, 10, bits)
		if err == nil {
			binary.LittleEndian.PutUint64(out, uint64(i))
			return nil
		}
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("%s is %w for %v", s, errRange, dt)
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != math.Trunc(v) || math.Abs(v) >= 1<<53 {
		return fmt.Errorf("%s is not an exact integer for %v", s, dt)
	}
	return putInteger(out, dt, strconv.FormatInt(int64(v), 10))
}

func isInt(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// fillJSON returns the fill_value to write for fill (normalised bytes):
// an exact json.Number for integers and finite floats, "NaN"/"Infinity"/
// "-Infinity" for the special floats (in v3 a NaN other than the canonical
// one is written as its hex bits), a boolean for bool.
func fillJSON(fill []byte, dt nd.DType, v3 bool) any {
	var u uint64
	for i := len(fill) - 1; i >= 0; i-- {
		u = u<<8 | uint64(fill[i])
	}
	var v float64
	canonNaN := false
	switch dt {
	case nd.DTypeBool:
		return u != 0
	case nd.Float64:
		v = math.Float64frombits(u)
		canonNaN = u&^(1<<63) == 0x7ff8000000000000
	case nd.Float32:
		v = float64(math.Float32frombits(uint32(u)))
		canonNaN = uint32(u)&^(1<<31) == 0x7fc00000
	case nd.DTypeFloat16:
		v = nd.Float16(u).Float64()
		canonNaN = uint16(u)&^(1<<15) == 0x7e00
	default:
		if dt.IsSigned() {
			shift := 64 - 8*dt.Size()
			return json.Number(strconv.FormatInt(int64(u<<shift)>>shift, 10))
		}
		return json.Number(strconv.FormatUint(u, 10))
	}
	switch {
	case math.IsNaN(v) && v3 && !canonNaN:
		return fmt.Sprintf("0x%0*x", 2*dt.Size(), u)
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	size := 64
	if dt == nd.Float32 {
		size = 32
	}
	return json.Number(strconv.FormatFloat(v, 'g', -1, size))
}
