package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
)

// numpy's float16 specials read back bit for bit (offline fixture written
// by gen.py): the IEEE binary16 patterns of ±0, ±1, 65504, ±Inf, NaN, the
// smallest subnormal and normal, and 0.1 rounded to nearest even.
func TestFloat16Fixture(t *testing.T) {
	a, err := ReadFile("testdata/f2-special.npy")
	if err != nil {
		t.Fatal(err)
	}
	want := []nd.Float16{0x0000, 0x8000, 0x3c00, 0xbc00, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x0001, 0x0400, 0x2e66}
	h, ok := a.(*nd.Array[nd.Float16])
	if !ok || a.DType() != nd.DTypeFloat16 {
		t.Fatalf("read as %v", a.DType())
	}
	for i, w := range want {
		if g := h.At(i); g != w {
			t.Errorf("element %d: %#04x, want %#04x", i, uint16(g), uint16(w))
		}
	}
	b, err := ReadFile("testdata/bool-F.npy")
	if err != nil {
		t.Fatal(err)
	}
	bb, ok := b.(*nd.Array[nd.Bool])
	if !ok || fmt.Sprint(b.Shape()) != "[2 3]" {
		t.Fatalf("bool-F: %v %v", b.DType(), b.Shape())
	}
	for i := range 6 {
		if got, want := bb.At(i/3, i%3), nd.BoolOf(i%3 == 1); got != want {
			t.Errorf("bool-F (%d,%d) = %v, want %v", i/3, i%3, got, want)
		}
	}
}

// All 65536 float16 bit patterns and every byte of a bool array survive
// numpy -> us -> numpy unchanged, in both byte orders.
func TestFloat16BoolNumpyRoundTrip(t *testing.T) {
	py := testtool.PythonWith(t, "numpy")
	dir := t.TempDir()
	gen := `import sys, numpy as np
d = sys.argv[1]
bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
np.save(d + "/le.npy", bits.view("<f2").reshape(256, 256))
np.save(d + "/be.npy", bits.astype(">u2").view(">f2").reshape(256, 256))
np.save(d + "/b1.npy", np.array([[True, False, True], [False, False, True]]))`
	if out, err := exec.Command(py, "-c", gen, dir).CombinedOutput(); err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	for _, name := range []string{"le", "be"} {
		a, err := ReadFile(filepath.Join(dir, name+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		h := a.(*nd.Array[nd.Float16])
		for i := range 65536 {
			if g := h.At(i/256, i%256); uint16(g) != uint16(i) {
				t.Fatalf("%s: element %d is %#04x", name, i, uint16(g))
			}
		}
		if err := WriteFile(filepath.Join(dir, "ours-"+name+".npy"), a); err != nil {
			t.Fatal(err)
		}
	}
	b, err := ReadFile(filepath.Join(dir, "b1.npy"))
	if err != nil || b.DType() != nd.DTypeBool {
		t.Fatalf("b1: %v %v", b, err)
	}
	if err := WriteFile(filepath.Join(dir, "ours-b1.npy"), b); err != nil {
		t.Fatal(err)
	}
	check := `import sys, numpy as np
d = sys.argv[1]
for n in ["le", "be"]:
    a = np.load(d + "/ours-" + n + ".npy")
    assert a.dtype == np.float16 and a.shape == (256, 256), (a.dtype, a.shape)
    assert (a.view(np.uint16).ravel() == np.arange(65536)).all(), n
b = np.load(d + "/ours-b1.npy")
assert b.dtype == np.bool_ and (b == np.array([[True, False, True], [False, False, True]])).all(), b
print("ok")`
	if out, err := exec.Command(py, "-c", check, dir).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("numpy check: %v\n%s", err, out)
	}
}

// Strings, bytes, datetimes, objects, complex, void and records are
// refused with an UnsupportedError quoting the descr and naming the kind.
func TestUnsupportedDTypes(t *testing.T) {
	for descr, kind := range map[string]string{
		"<U4": "unicode string", "|S3": "byte string", "<M8[ns]": "datetime", "<m8[s]": "timedelta",
		"|O": "object", "<c16": "complex", "<c8": "complex", "|V8": "void", "<f16": "extended",
	} {
		h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (2,), }", descr)
		b := []byte(Magic + "\x01\x00")
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
		_, err := Read(bytes.NewReader(append(b, h...)), 1<<20)
		var ue UnsupportedError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), fmt.Sprintf("%q", descr)) || !strings.Contains(err.Error(), kind) {
			t.Errorf("%s: %v, want an UnsupportedError naming %q and %q", descr, err, descr, kind)
		}
	}
}
