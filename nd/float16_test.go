package nd

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
)

// decode16 is an independent reference decoder: (-1)^s * m * 2^e in float64.
func decode16(h uint16) float64 {
	s, e, m := h>>15, int(h>>10&0x1f), float64(h&0x3ff)
	var v float64
	switch e {
	case 0x1f:
		if m != 0 {
			return math.NaN()
		}
		v = math.Inf(1)
	case 0:
		v = math.Ldexp(m, -24)
	default:
		v = math.Ldexp(1024+m, e-25)
	}
	if s == 1 {
		v = -v
	}
	return v
}

// Every one of the 65536 bit patterns converts to float32 exactly (against
// the reference decoder, sign of zero and NaN payload included) and back to
// the same bits.
func TestFloat16Exhaustive(t *testing.T) {
	for i := range 1 << 16 {
		h := Float16(i)
		f := h.Float32()
		want := decode16(uint16(i))
		switch {
		case math.IsNaN(want):
			if !h.IsNaN() || !math.IsNaN(float64(f)) || math.Float32bits(f)>>13&0x3ff != uint32(i&0x3ff) || math.Float32bits(f)>>31 != uint32(i>>15) {
				t.Fatalf("%#04x: Float32 %#08x, want a NaN with the same sign and payload", i, math.Float32bits(f))
			}
		case float64(f) != want || math.Signbit(float64(f)) != math.Signbit(want) || h.IsNaN():
			t.Fatalf("%#04x: Float32 %v, want %v", i, f, want)
		}
		if g := Float16FromFloat32(f); g != h {
			t.Fatalf("%#04x -> %v -> %#04x", i, f, uint16(g))
		}
		if g := Float16FromFloat64(h.Float64()); g != h {
			t.Fatalf("%#04x -> float64 -> %#04x", i, uint16(g))
		}
	}
}

// nearest16 is the rounding oracle: it searches the sorted finite
// non-negative float16 values for the nearest one to |x|, ties to the even
// bit pattern, 65536 standing for +Inf.
func nearest16(vals []float64, x float64) uint16 {
	s := uint16(0)
	if math.Signbit(x) {
		s, x = 0x8000, -x
	}
	if math.IsInf(x, 1) {
		return s | 0x7c00
	}
	i := sort.SearchFloat64s(vals, x) // vals[i-1] < x <= vals[i]
	if i < len(vals) && vals[i] == x {
		return s | uint16(i)
	}
	if i == len(vals) {
		// Above 65504: the next binade step would be 65536 (= Inf).
		if x-vals[i-1] < 65536-x || (x-vals[i-1] == 65536-x && (i-1)%2 == 0) {
			return s | uint16(i-1)
		}
		return s | 0x7c00
	}
	lo, hi := x-vals[i-1], vals[i]-x
	if lo < hi || (lo == hi && (i-1)%2 == 0) {
		return s | uint16(i-1)
	}
	return s | uint16(i)
}

func finite16() []float64 {
	vals := make([]float64, 0x7c00)
	for i := range vals {
		vals[i] = decode16(uint16(i))
	}
	return vals
}

// Float16FromFloat32 agrees with the nearest-even oracle on every float16
// value, every midpoint between neighbours, one float32 ulp either side of
// each midpoint, and random float32s across and beyond the range.
func TestFloat16RoundingOracle(t *testing.T) {
	vals := finite16()
	var xs []float32
	for i := 0; i+1 < len(vals); i++ {
		m := float32((vals[i] + vals[i+1]) / 2) // exact: needs 12 bits
		xs = append(xs, float32(vals[i]), m, math.Nextafter32(m, 0), math.Nextafter32(m, math.MaxFloat32))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		xs = append(xs, math.Float32frombits(r.Uint32()&0x7fffffff)) // any finite-or-not float32
	}
	n := 0
	for _, x := range xs {
		for _, v := range []float32{x, -x} {
			if v != v {
				continue
			}
			got, want := Float16FromFloat32(v), nearest16(vals, float64(v))
			if uint16(got) != want {
				t.Fatalf("Float16FromFloat32(%v [%#08x]) = %#04x, want %#04x", v, math.Float32bits(v), uint16(got), want)
			}
			n++
		}
	}
	t.Logf("%d conversions checked against the oracle", n)
}

// The committed table of numpy's float32 -> float16 conversions (written
// by testdata/gen_float16.py) matches ours line for line, NaN payloads
// included.
func TestFloat16NumpyTable(t *testing.T) {
	f, err := os.Open("testdata/float16_numpy.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		in, out, ok := strings.Cut(sc.Text(), " ")
		a, err1 := strconv.ParseUint(in, 16, 32)
		b, err2 := strconv.ParseUint(out, 16, 16)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		x := math.Float32frombits(uint32(a))
		if got := Float16FromFloat32(x); uint16(got) != uint16(b) {
			t.Errorf("%08x (%v): ours %#04x, numpy %#04x", a, x, uint16(got), b)
		}
		n++
	}
	if n < 3000 {
		t.Fatalf("only %d lines", n)
	}
}

// Live differential test: numpy converts the full oracle input set
// (every value, midpoint and neighbour above, plus NaN payloads) and every
// float16 to float32; both must equal ours bit for bit.
func TestFloat16NumpyLive(t *testing.T) {
	py := testtool.PythonWith(t, "numpy")
	vals := finite16()
	var xs []uint32
	for i := 0; i+1 < len(vals); i++ {
		m := float32((vals[i] + vals[i+1]) / 2)
		for _, v := range []float32{float32(vals[i]), m, math.Nextafter32(m, 0), math.Nextafter32(m, math.MaxFloat32)} {
			xs = append(xs, math.Float32bits(v), math.Float32bits(-v))
		}
	}
	for p := uint32(1); p < 1<<23; p = p*3 + 1 {
		xs = append(xs, 0x7f800000|p, 0xff800000|p)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.bin")
	if err := os.WriteFile(in, binary.LittleEndian.AppendUint32(nil, 0)[:0], 0o644); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 4*len(xs))
	for _, x := range xs {
		buf = binary.LittleEndian.AppendUint32(buf, x)
	}
	if err := os.WriteFile(in, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	if o, err := exec.Command(py, "testdata/gen_float16.py", in, out).CombinedOutput(); err != nil {
		t.Fatalf("numpy: %v\n%s", err, o)
	}
	got, err := os.ReadFile(out)
	if err != nil || len(got) != 2*len(xs) {
		t.Fatalf("numpy output: %d bytes, %v", len(got), err)
	}
	for i, x := range xs {
		want := binary.LittleEndian.Uint16(got[2*i:])
		if ours := Float16FromFloat32(math.Float32frombits(x)); uint16(ours) != want {
			t.Fatalf("%#08x: ours %#04x, numpy %#04x", x, uint16(ours), want)
		}
	}
	script := `import sys, numpy as np
h = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
sys.stdout.buffer.write(h.astype(np.float32).view("<u4").tobytes())`
	f32, err := exec.Command(py, "-c", script).Output()
	if err != nil || len(f32) != 4<<16 {
		t.Fatalf("numpy float16 -> float32: %d bytes, %v", len(f32), err)
	}
	for i := range 1 << 16 {
		if ours, want := math.Float32bits(Float16(i).Float32()), binary.LittleEndian.Uint32(f32[4*i:]); ours != want {
			t.Fatalf("%#04x: ours %#08x, numpy %#08x", i, ours, want)
		}
	}
	t.Logf("%d float32->float16 and 65536 float16->float32 conversions equal numpy's", len(xs))
}

// ConvertAny to and from Float16 goes through float32 with the documented
// clamping, and Bool converts as NumPy's astype(bool) does.
func TestConvertHalfAndBool(t *testing.T) {
	src := FromSlice([]float64{0, math.Copysign(0, -1), 1.5, 2049, 65519, 70000, -1e9, math.Inf(1), math.NaN(), 1e-8}, []int{10}, C)
	h := New[Float16]([]int{10}, C)
	if err := ConvertAny(h, src); err != nil {
		t.Fatal(err)
	}
	want := []Float16{0, 0x8000, 0x3e00, 0x6800, 0x7bff, 0x7bff, 0xfbff, 0x7c00, 0x7e00, 0}
	for i, w := range want {
		if h.At(i) != w {
			t.Errorf("float64 %v -> float16 %#04x, want %#04x", src.At(i), uint16(h.At(i)), uint16(w))
		}
	}
	u := New[uint8]([]int{10}, C)
	if err := ConvertAny(u, h); err != nil {
		t.Fatal(err)
	}
	if got := u.Data(); string(got) != string([]uint8{0, 0, 2, 255, 255, 255, 0, 255, 0, 0}) {
		t.Errorf("float16 -> uint8 %v", got)
	}
	f := New[float32]([]int{10}, C)
	ConvertAny(f, h)
	if f.At(2) != 1.5 || f.At(4) != 65504 || !math.IsInf(float64(f.At(7)), 1) || f.At(8) == f.At(8) {
		t.Errorf("float16 -> float32 %v", f.Data())
	}
	b := New[Bool]([]int{10}, C)
	if err := ConvertAny(b, src); err != nil {
		t.Fatal(err)
	}
	wantB := []Bool{0, 0, 1, 1, 1, 1, 1, 1, 1, 1} // NaN is true, as in NumPy
	for i, w := range wantB {
		if b.At(i) != w {
			t.Errorf("bool(%v) = %v", src.At(i), b.At(i))
		}
	}
	hb := New[Bool]([]int{10}, C)
	ConvertAny(hb, h)
	for i, w := range []Bool{0, 0, 1, 1, 1, 1, 1, 1, 1, 0} { // 1e-8 rounded to +0
		if hb.At(i) != w {
			t.Errorf("float16 %#04x -> bool %v", uint16(h.At(i)), hb.At(i))
		}
	}
	raw := FromSlice([]Bool{0, 1, 7}, []int{3}, C) // a stray byte still means true
	i16, h16 := New[int16]([]int{3}, C), New[Float16]([]int{3}, C)
	ConvertAny(i16, raw)
	ConvertAny(h16, raw)
	if i16.At(2) != 1 || h16.At(2) != 0x3c00 || h16.At(0) != 0 {
		t.Errorf("bool -> int16 %v, float16 %v", i16.Data(), h16.Data())
	}
	// Bool is copied byte for byte, and Float16 bits too.
	c := New[Bool]([]int{3}, F)
	if err := ConvertAny(c, raw); err != nil || c.At(2) != 7 {
		t.Errorf("bool copy: %v %v", c.Data(), err)
	}
}

func TestFillBytes(t *testing.T) {
	a := NewAny(Int64, []int{2, 2}, C)
	if err := FillBytes(a, binary.LittleEndian.AppendUint64(nil, 1<<63-1)); err != nil {
		t.Fatal(err)
	}
	if v := a.(*Array[int64]).At(1, 1); v != math.MaxInt64 {
		t.Errorf("int64 fill %d", v)
	}
	h := NewAny(DTypeFloat16, []int{3}, C)
	if err := FillBytes(h, []byte{0x01, 0x7e}); err != nil || h.(*Array[Float16]).At(2) != 0x7e01 {
		t.Errorf("float16 NaN-payload fill: %v", err)
	}
	if err := FillBytes(h, []byte{1}); err == nil {
		t.Error("fill of the wrong size accepted")
	}
}

func TestParseDTypeNumPyCodes(t *testing.T) {
	for s, want := range map[string]DType{
		"uint32": Uint32, "UInt32": Uint32, "u4": Uint32, "float16": DTypeFloat16, "f2": DTypeFloat16,
		"bool": DTypeBool, "b1": DTypeBool, "int64": Int64, "f8": Float64,
	} {
		if got, err := ParseDType(s); err != nil || got != want {
			t.Errorf("ParseDType(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for s, kind := range map[string]string{
		"U4": "unicode string", "<U4": "unicode string", "S8": "byte string", "c8": "complex",
		"complex128": "complex", "M8": "datetime", "<M8[ns]": "datetime", "m8": "timedelta", "O": "object",
		"|V4": "void", "[('a', '<u2')]": "structured", "datetime64[s]": "datetime", "str": "unicode string",
		"F4": "", "U": "unicode string", "r16": "width",
	} {
		_, err := ParseDType(s)
		if err == nil || !strings.Contains(err.Error(), strconv.Quote(s)) || !strings.Contains(err.Error(), kind) {
			t.Errorf("ParseDType(%q): %v, want an error quoting it and naming %q", s, err, kind)
		}
	}
	for s, want := range map[string]struct {
		dt  DType
		big bool
	}{"<u2": {Uint16, false}, ">f8": {Float64, true}, "|b1": {DTypeBool, false}, ">f2": {DTypeFloat16, true},
		"|u1": {Uint8, false}, ">i1": {Int8, false}, "=f4": {Float32, false}} {
		dt, big, err := ParseTypestr(s)
		if err != nil || dt != want.dt || big != want.big {
			t.Errorf("ParseTypestr(%q) = %v %v %v", s, dt, big, err)
		}
	}
	for _, s := range []string{"<U4", "u4", "<u3", "|S0", "<c16", "", "<"} {
		if _, _, err := ParseTypestr(s); err == nil || !strings.Contains(err.Error(), strconv.Quote(s)) {
			t.Errorf("ParseTypestr(%q): %v", s, err)
		}
	}
}

func BenchmarkConvertFloat32ToFloat16(b *testing.B) {
	src := New[float32]([]int{1 << 20}, C)
	for i := range src.Data() {
		src.Data()[i] = float32(i) * 0.001
	}
	dst := New[Float16]([]int{1 << 20}, C)
	b.SetBytes(4 << 20)
	for b.Loop() {
		if err := ConvertAny(dst, src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConvertFloat16ToFloat32(b *testing.B) {
	src := New[Float16]([]int{1 << 20}, C)
	for i := range src.Data() {
		src.Data()[i] = Float16(i)
	}
	dst := New[float32]([]int{1 << 20}, C)
	b.SetBytes(2 << 20)
	for b.Loop() {
		if err := ConvertAny(dst, src); err != nil {
			b.Fatal(err)
		}
	}
}

// The float32 <-> float16 fast paths of ConvertAny agree element for
// element with the scalar conversions, clamping included, on strided views.
func TestConvertHalfFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	src := New[float32]([]int{7, 9}, C)
	for i := range src.Data() {
		src.Data()[i] = math.Float32frombits(r.Uint32())
	}
	copy(src.Data(), []float32{70000, -1e30, float32(math.Inf(1)), float32(math.NaN()), 65519, 65520, 6e-8, -0.1})
	h := New[Float16]([]int{7, 9}, F)
	if err := ConvertAny(h, src); err != nil {
		t.Fatal(err)
	}
	back := New[float32]([]int{9, 7}, C).Transpose(1, 0)
	if err := ConvertAny(back, h); err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		for j := range 9 {
			v := src.At(i, j)
			want := Float16FromFloat32(v)
			if want&0x7fff == 0x7c00 && !math.IsInf(float64(v), 0) {
				want = want&0x8000 | Float16Max
			}
			if got := h.At(i, j); got != want {
				t.Fatalf("(%d,%d) %v: %#04x, want %#04x", i, j, v, uint16(got), uint16(want))
			}
			if b := back.At(i, j); math.Float32bits(b) != math.Float32bits(want.Float32()) {
				t.Fatalf("(%d,%d): back %v, want %v", i, j, b, want.Float32())
			}
		}
	}
	if h.At(0, 0) != Float16Max || h.At(0, 1) != Float16Max|0x8000 || h.At(0, 2) != Float16Inf || !h.At(0, 3).IsNaN() || h.At(0, 4) != Float16Max || h.At(0, 5) != Float16Max {
		t.Errorf("clamping: %v", h.Sub(NewBox([]int{0, 0}, []int{1, 6})).Clone(C).Data())
	}
}

// A uint8 view of a strided Bool view reads and writes the same bytes.
func TestBoolAsUint8(t *testing.T) {
	b := New[Bool]([]int{4, 5}, F)
	sub := b.Sub(NewBox([]int{1, 1}, []int{3, 4}))
	u := BoolAsUint8(sub)
	u.Set(1, 1, 2)
	u.Set(7, 0, 2)
	if b.At(2, 3) != 1 || b.At(1, 3) != 7 || fmt.Sprint(u.Shape()) != "[2 3]" || u.At(1, 2) != 1 || u.At(1, 1) != 0 {
		t.Fatalf("view: %v", b.Clone(C).Data())
	}
	back := Uint8AsBool(u)
	if back.At(0, 2) != 7 || back.DType() != DTypeBool {
		t.Fatalf("inverse view: %v", back.Clone(C).Data())
	}
}
