package nd

import (
	"bytes"
	"strings"
	"testing"
)

// Every case of the generated dispatch: NewAny, AsBytes, FillBytes,
// CopyAny and FromBytes for every dtype, and ConvertAny between every
// pair (a one converts to a one).
func TestDispatchEveryDType(t *testing.T) {
	for _, dt := range DTypes {
		a := NewAny(dt, []int{2, 3}, C)
		if a.DType() != dt || a.Len() != 6 {
			t.Fatalf("NewAny(%v): %v of %d", dt, a.DType(), a.Len())
		}
		b, ok := AsBytes(a)
		if !ok || len(b) != 6*dt.Size() {
			t.Fatalf("AsBytes(%v): %d bytes, %v", dt, len(b), ok)
		}
		one := make([]byte, dt.Size())
		one[0] = 1 // 1 in the integers and Bool, a subnormal in the floats
		if err := FillBytes(a, one); err != nil {
			t.Fatal(err)
		}
		if want := bytes.Repeat(one, 6); !bytes.Equal(b, want) {
			t.Fatalf("FillBytes(%v): %v", dt, b)
		}
		c := NewAny(dt, []int{2, 3}, F)
		if err := CopyAny(c, a); err != nil {
			t.Fatal(err)
		}
		back, err := FromBytes(dt, []int{2, 3}, C, bytes.Clone(b))
		if err != nil || back.DType() != dt {
			t.Fatalf("FromBytes(%v): %v", dt, err)
		}
		cb, _ := AsBytes(c)
		if bb, _ := AsBytes(back); !bytes.Equal(cb, bb) {
			t.Fatalf("CopyAny(%v) or FromBytes differ", dt)
		}
	}
	for _, from := range DTypes {
		src := NewAny(from, []int{4}, C)
		if err := ConvertAny(src, FromSlice([]uint8{1, 1, 1, 1}, []int{4}, C)); err != nil {
			t.Fatalf("into %v: %v", from, err)
		}
		for _, to := range DTypes {
			dst := NewAny(to, []int{4}, C)
			if err := ConvertAny(dst, src); err != nil {
				t.Fatalf("%v to %v: %v", from, to, err)
			}
			u := New[uint8]([]int{4}, C)
			if err := ConvertAny(u, dst); err != nil {
				t.Fatal(err)
			}
			if got := u.Data(); got[0] != 1 || got[3] != 1 {
				t.Errorf("%v to %v: one became %v", from, to, got)
			}
		}
	}
}

// The generated dispatch refuses what is not an nd array.
func TestDispatchUnsupported(t *testing.T) {
	if b, ok := AsBytes(nil); b != nil || ok {
		t.Error("AsBytes(nil) reported bytes")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "NewAny of unsupported dtype") {
			t.Errorf("NewAny(Invalid): %v", r)
		}
	}()
	NewAny(Invalid, []int{1}, C)
}

// LimitsOf agrees with Limits for every numeric dtype and gives 0, 0 for
// the others.
func TestLimitsOf(t *testing.T) {
	want := map[DType][2]float64{}
	for _, c := range []struct {
		dt     DType
		lo, hi float64
	}{{Uint8, 0, 255}, {Int8, -128, 127}, {Uint16, 0, 65535}, {Int16, -32768, 32767}, {Uint32, 0, 4294967295},
		{Int32, -2147483648, 2147483647}, {Uint64, 0, 18446744073709551615}, {Int64, -9223372036854775808, 9223372036854775807},
		{Float32, -3.4028234663852886e38, 3.4028234663852886e38}, {Float64, -1.7976931348623157e308, 1.7976931348623157e308}} {
		want[c.dt] = [2]float64{c.lo, c.hi}
	}
	for _, dt := range append(DTypes, Invalid) {
		lo, hi := LimitsOf(dt)
		if w := want[dt]; lo != w[0] || hi != w[1] {
			t.Errorf("LimitsOf(%v) = %v, %v; want %v", dt, lo, hi, w)
		}
	}
}
