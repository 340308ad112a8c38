package npy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"

	"github.com/ryomen-dev/ryomen/internal/testtool"
)

var codes = map[string]nd.DType{"u1": nd.Uint8, "i1": nd.Int8, "u2": nd.Uint16, "i2": nd.Int16,
	"u4": nd.Uint32, "i4": nd.Int32, "u8": nd.Uint64, "i8": nd.Int64, "f4": nd.Float32, "f8": nd.Float64, "f2": nd.DTypeFloat16}

// valueAt returns float64 of element idx of a.
func valueAt(a nd.Any, idx ...int) float64 {
	switch x := a.(type) {
	case *nd.Array[uint8]:
		return float64(x.At(idx...))
	case *nd.Array[int8]:
		return float64(x.At(idx...))
	case *nd.Array[uint16]:
		return float64(x.At(idx...))
	case *nd.Array[int16]:
		return float64(x.At(idx...))
	case *nd.Array[uint32]:
		return float64(x.At(idx...))
	case *nd.Array[int32]:
		return float64(x.At(idx...))
	case *nd.Array[uint64]:
		return float64(x.At(idx...))
	case *nd.Array[int64]:
		return float64(x.At(idx...))
	case *nd.Array[float32]:
		return float64(x.At(idx...))
	case *nd.Array[float64]:
		return x.At(idx...)
	case *nd.Array[nd.Float16]:
		return x.At(idx...).Float64()
	case *nd.Array[nd.Bool]:
		return float64(x.At(idx...))
	}
	panic("type")
}

// Every fixture numpy wrote reads back with the right dtype, shape and
// values: ten dtypes x both byte orders x C and Fortran order, 0-d,
// empty, bool, versions 2.0 and 3.0.
func TestNumpyFixtures(t *testing.T) {
	for code, dt := range codes {
		for _, e := range []string{"le", "be"} {
			for _, o := range []string{"C", "F"} {
				name := fmt.Sprintf("testdata/%s-%s-%s.npy", code, e, o)
				a, err := ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				if a.DType() != dt || fmt.Sprint(a.Shape()) != "[2 3 4]" {
					t.Fatalf("%s: %v %v", name, a.DType(), a.Shape())
				}
				off := 0.0
				if code[0] != 'u' {
					off = 5
				}
				for i := 0; i < 24; i++ {
					// gen.py reshaped arange in the file's order.
					z, y, x := i/12, i/4%3, i%4
					v := i
					if o == "F" {
						v = z + 2*y + 6*x
					}
					if got := valueAt(a, z, y, x); got != float64(v)-off {
						t.Fatalf("%s at %d,%d,%d: %v, want %v", name, z, y, x, got, float64(v)-off)
					}
				}
				if o == "F" {
					if ord, ok := nd.ContiguousOrder(a); !ok || ord != nd.F {
						t.Errorf("%s: not read as Fortran order", name)
					}
				}
			}
		}
	}
	s, err := ReadFile("testdata/scalar-f8.npy")
	if err != nil || s.Rank() != 0 || valueAt(s) != 3.5 {
		t.Fatalf("0-d: %v %v", s, err)
	}
	e, err := ReadFile("testdata/empty-u2.npy")
	if err != nil || fmt.Sprint(e.Shape()) != "[0 5]" {
		t.Fatalf("empty: %v", err)
	}
	b, err := ReadFile("testdata/bool.npy")
	if err != nil || b.DType() != nd.DTypeBool || valueAt(b, 0) != 1 || valueAt(b, 1) != 0 {
		t.Fatalf("bool: %v", err)
	}
	for _, v := range []string{"v2", "v3"} {
		a, err := ReadFile("testdata/" + v + "-u1.npy")
		if err != nil || valueAt(a, 1, 2) != 5 {
			t.Fatalf("%s: %v", v, err)
		}
	}
	if _, err := ReadFile("testdata/complex.npy"); err == nil || !strings.Contains(err.Error(), "<c8") {
		t.Fatalf("complex: %v", err)
	}
}

// Arrays we write round trip through our reader for every dtype and
// layout, and a stream of several arrays reads back one by one.
func TestRoundTripStream(t *testing.T) {
	var buf bytes.Buffer
	var want []nd.Any
	for _, dt := range nd.DTypes {
		for _, order := range []nd.Order{nd.C, nd.F} {
			a := nd.NewAny(dt, []int{3, 1, 5}, order)
			raw, _ := nd.AsBytes(a)
			for i := range raw {
				raw[i] = byte(i*13 + 1)
			}
			if err := Write(&buf, a); err != nil {
				t.Fatal(err)
			}
			want = append(want, a)
		}
	}
	view := nd.New[int16]([]int{6, 6}, nd.C).Sub(nd.NewBox([]int{1, 2}, []int{4, 5})) // strided
	Write(&buf, view)
	want = append(want, view)
	r := bufio.NewReader(&buf)
	for i, w := range want {
		got, err := Read(r, 0)
		if err != nil {
			t.Fatalf("array %d: %v", i, err)
		}
		if got.DType() != w.DType() || fmt.Sprint(got.Shape()) != fmt.Sprint(w.Shape()) {
			t.Fatalf("array %d: %v %v", i, got.DType(), got.Shape())
		}
		c1, c2 := nd.NewAny(w.DType(), w.Shape(), nd.C), nd.NewAny(w.DType(), w.Shape(), nd.C)
		nd.CopyAny(c1, w)
		nd.CopyAny(c2, got)
		b1, _ := nd.AsBytes(c1)
		b2, _ := nd.AsBytes(c2)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("array %d differs", i)
		}
	}
	if _, err := Read(r, 0); err == nil {
		t.Fatal("read past the last array")
	}
}

// numpy reads what we write, exactly.
func TestNumpyReadsOurs(t *testing.T) {
	py := testtool.PythonWith(t, "numpy")
	dir := t.TempDir()
	n := 0
	for _, dt := range nd.DTypes {
		for _, order := range []nd.Order{nd.C, nd.F} {
			a := nd.NewAny(dt, []int{2, 3, 4}, order)
			// arange in logical C order
			c := nd.NewAny(dt, []int{2, 3, 4}, nd.C)
			fillArange(c)
			nd.CopyAny(a, c)
			if err := WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%v.npy", dt, order)), a); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	script := `import sys, glob, numpy as np
bad = 0
for f in sorted(glob.glob(sys.argv[1] + "/*.npy")):
    a = np.load(f)
    want = np.arange(24).reshape(2, 3, 4).astype(a.dtype)
    if a.shape != (2, 3, 4) or not np.array_equal(a, want) or a.dtype.name != f.split("/")[-1].split("-")[0]:
        print("BAD", f, a.dtype, a.shape); bad += 1
print(len(glob.glob(sys.argv[1] + "/*.npy")), bad)`
	out, err := exec.Command(py, "-c", script, dir).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != fmt.Sprintf("%d 0", n) {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
}

// fillArange sets a to arange(a.Len()) in its own memory order, as numpy's
// astype would (bool: non-zero is true).
func fillArange(a nd.Any) {
	src := nd.New[int64](a.Shape(), nd.C)
	for i := range src.Data() {
		src.Data()[i] = int64(i)
	}
	raw := nd.FromSlice(src.Data(), []int{a.Len()}, nd.C)
	b, _ := nd.AsBytes(a)
	flat, _ := nd.FromBytes(a.DType(), []int{a.Len()}, nd.C, b)
	if err := nd.ConvertAny(flat, raw); err != nil {
		panic(err)
	}
}

func TestBadHeaders(t *testing.T) {
	mk := func(h string) []byte {
		b := []byte(Magic + "\x01\x00")
		b = append(b, byte(len(h)), byte(len(h)>>8))
		return append(b, h...)
	}
	for _, c := range []struct{ h, want string }{
		{"{'descr': '<u2', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", "shape"},
		{"{'descr': '<u2', 'fortran_order': False, 'shape': (9999999, 9999), }", "limit"},
		{"{'descr': '<u2', 'fortran_order': False}", "lacks"},
		{"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", "<c8"},
		{"{'descr': [('a', '<u2')], 'fortran_order': False, 'shape': (2,), }", "record"},
		{"{'descr': '<u2', 'fortran_order': Maybe, 'shape': (2,), }", "fortran_order"},
		{"__import__('os')", "not a dict"},
		{"{'descr': '<u2', 'fortran_order': False, 'shape': (2,), 'x': 1}", "unexpected key"},
	} {
		_, err := Read(bytes.NewReader(mk(c.h)), 1<<20)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error containing %q", c.h, err, c.want)
		}
	}
	if _, err := Read(bytes.NewReader([]byte("PK\x03\x04 not npy")), 0); !errors.As(err, new(FormatError)) {
		t.Errorf("bad magic: %v", err)
	}
	// Truncated data.
	var buf bytes.Buffer
	Write(&buf, nd.New[uint32]([]int{10}, nd.C))
	if _, err := Read(bytes.NewReader(buf.Bytes()[:buf.Len()-3]), 0); err == nil {
		t.Error("truncated data accepted")
	}
}

// FuzzRead: any bytes give an array within the limit or an error, never a
// panic; what reads writes back to bytes that read the same.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.npy")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Read(bytes.NewReader(b), 1<<20)
		if err != nil {
			return
		}
		if n := a.Len() * a.DType().Size(); n > 1<<20 {
			t.Fatalf("%d bytes past the limit", n)
		}
		var buf bytes.Buffer
		if err := Write(&buf, a); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(&buf, 1<<20); err != nil {
			t.Fatalf("rewritten array does not read: %v", err)
		}
	})
}

// File.ReadRegion equals the same box of a whole read for every fixture
// (both orders, both byte orders, 0-d, empty, bool), over boxes that
// exercise every run length.
func TestFileRegions(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.npy")
	n := 0
	for _, p := range files {
		if strings.Contains(p, "complex") {
			continue
		}
		whole, err := ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := OpenFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sh := f.Shape()
		boxes := []nd.Box{nd.BoxOf(sh)}
		if len(sh) == 3 {
			boxes = append(boxes, nd.NewBox([]int{1, 0, 0}, []int{2, 3, 4}), nd.NewBox([]int{0, 1, 1}, []int{2, 3, 3}),
				nd.NewBox([]int{1, 2, 3}, []int{2, 3, 4}), nd.NewBox([]int{0, 0, 2}, []int{2, 3, 3}))
		}
		for _, b := range boxes {
			got := nd.NewAny(f.DType(), b.Shape(), nd.C)
			if err := f.ReadRegion(b, got); err != nil {
				t.Fatalf("%s %v: %v", p, b, err)
			}
			want := nd.NewAny(f.DType(), b.Shape(), nd.C)
			nd.CopyAny(want, whole.View(b))
			g, _ := nd.AsBytes(got)
			w, _ := nd.AsBytes(want)
			if !bytes.Equal(g, w) {
				t.Errorf("%s %v: region differs from the whole read", p, b)
			}
			n++
		}
		f.Close()
	}
	if n < 200 {
		t.Errorf("only %d regions checked", n)
	}
	// A file shorter than its header says is refused at Open.
	b, _ := os.ReadFile("testdata/u2-le-C.npy")
	if _, err := Open(bytes.NewReader(b[:len(b)-1]), int64(len(b)-1)); err == nil {
		t.Error("truncated file opened")
	}
}

// FuzzReadHeader: any bytes give a header or an error, never a panic; a
// file that opens reads every region its header allows.
func FuzzReadHeader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.npy")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ReadHeader(bytes.NewReader(b))
		if err != nil {
			return
		}
		if _, ok := nd.CheckedSize(h.Shape); !ok || !h.DType.Valid() || h.DataOffset > int64(len(b)) {
			t.Fatalf("accepted header %+v", h)
		}
		fl, err := Open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		if fl.Header().DataBytes() > int64(len(b)) {
			t.Fatalf("data of %d bytes in a %d-byte file", fl.Header().DataBytes(), len(b))
		}
		dst := nd.NewAny(fl.DType(), fl.Shape(), nd.C)
		if err := fl.ReadRegion(nd.BoxOf(fl.Shape()), dst); err != nil {
			t.Fatal(err)
		}
	})
}
