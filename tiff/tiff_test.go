package tiff

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"runtime"

	"fmt"
	"github.com/ryomen-dev/ryomen/codec"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"

	"github.com/ryomen-dev/ryomen/internal/testtool"
)

// value is the fixture formula of testdata/gen.py, in float64.
func value(dt nd.DType, z, y, x, s int) float64 {
	v := float64(z*1000 + y*37 + x*3 + s)
	switch {
	case dt.IsFloat():
		v = v*0.25 - 100
	case dt.IsSigned():
		v -= 1500
	}
	return v
}

// wrap converts the formula to what numpy's cast to dt stores: integers
// wrap around.
func wrap(dt nd.DType, v float64) float64 {
	if dt.IsFloat() {
		switch dt {
		case nd.Float32:
			return float64(float32(v))
		case nd.DTypeFloat16:
			return nd.Float16FromFloat64(v).Float64()
		}
		return v
	}
	bits := uint(dt.Size() * 8)
	u := uint64(int64(v))
	if bits < 64 {
		u &= 1<<bits - 1
	}
	if dt.IsSigned() && u>>(bits-1) == 1 {
		if bits == 64 {
			return float64(int64(u))
		}
		return float64(int64(u) - 1<<bits)
	}
	return float64(u)
}

func readAll(t *testing.T, path string) (nd.Any, *File) {
	t.Helper()
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	s, err := f.Stack()
	if err != nil {
		t.Fatal(err)
	}
	a := nd.NewAny(s.DType(), s.Shape(), nd.C)
	if err := s.ReadRegion(nd.BoxOf(s.Shape()), a); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return a, f
}

func checkFormula(t *testing.T, name string, a nd.Any) {
	t.Helper()
	f := nd.New[float64](a.Shape(), nd.C)
	if err := nd.ConvertAny(f, a); err != nil {
		t.Fatal(err)
	}
	dt := a.DType()
	bad := 0
	f.Values(func(idx []int, v float64) {
		s := 0
		if len(idx) == 4 {
			s = idx[3]
		}
		if w := wrap(dt, value(dt, idx[0], idx[1], idx[2], s)); v != w && bad < 3 {
			t.Errorf("%s at %v: %v, want %v", name, idx, v, w)
			bad++
		}
	})
}

// Every fixture (tifffile and libtiff's tiffcp wrote them) reads exactly:
// ten sample types, strips and tiles, classic and BigTIFF, both byte
// orders, ImageJ stacks, RGB, and compressions none, deflate, LZW, zstd
// and PackBits with predictors 2 and 3.
func TestFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.tif")
	if len(files) < 25 {
		t.Fatalf("only %d fixtures", len(files))
	}
	for _, p := range files {
		a, f := readAll(t, p)
		name := filepath.Base(p)
		want := "[3 20 24]"
		switch {
		case strings.HasPrefix(name, "rgb"):
			want = "[2 20 24 3]"
		case strings.HasPrefix(name, "single"):
			want = "[1 20 24]"
		case strings.HasPrefix(name, "subifds"):
			want = "[3 64 48]"
		}
		if fmt.Sprint(a.Shape()) != want {
			t.Errorf("%s: shape %v, want %s", name, a.Shape(), want)
			continue
		}
		checkFormula(t, name, a)
		switch name {
		case "bigtiff-u2.tif":
			if !f.BigTIFF() {
				t.Error("bigtiff-u2.tif not read as BigTIFF")
			}
		case "strips-u2.tif":
			if fmt.Sprint(f.Shaped()) != "[3 20 24]" {
				t.Errorf("tifffile shape %v", f.Shaped())
			}
		case "imagej-u1.tif":
			if m := f.ImageJ(); m["slices"] != "3" || f.Spacing() != 2.5 {
				t.Errorf("ImageJ description %v", m)
			}
		}
	}
}

// Region reads decode only what they need and equal the same region of a
// whole read, for strips and tiles.
func TestRegions(t *testing.T) {
	for _, p := range []string{"testdata/tiles-u2.tif", "testdata/lzw-pred-u2.tif", "testdata/rgb-u1.tif"} {
		whole, f := readAll(t, p)
		s, _ := f.Stack()
		sh := s.Shape()
		last := sh[0]
		for _, b := range []nd.Box{nd.NewBox([]int{1, 3, 5}, []int{last, 19, 18}), nd.NewBox([]int{0, 16, 16}, []int{1, 20, 24}), nd.NewBox([]int{last - 1, 0, 0}, []int{last, 1, 1})} {
			if len(sh) == 4 {
				b = nd.NewBox(append(b.Min, 1), append(b.Max, 3))
			}
			got := nd.NewAny(s.DType(), b.Shape(), nd.C)
			if err := s.ReadRegion(b, got); err != nil {
				t.Fatal(err)
			}
			want := nd.NewAny(s.DType(), b.Shape(), nd.C)
			nd.CopyAny(want, whole.View(b))
			g, _ := nd.AsBytes(got)
			w, _ := nd.AsBytes(want)
			if !bytes.Equal(g, w) {
				t.Errorf("%s region %v differs", p, b)
			}
		}
	}
}

func vol(dt nd.DType, shape []int) nd.Any {
	f := nd.New[float64](shape, nd.C)
	f.Values(func(idx []int, _ float64) {
		s := 0
		if len(idx) == 4 {
			s = idx[3]
		}
		f.Set(wrap(dt, value(dt, idx[0], idx[1], idx[2], s)), idx...)
	})
	a := nd.NewAny(dt, shape, nd.C)
	nd.ConvertAny(a, f)
	return a
}

type writeCase struct {
	name string
	dt   nd.DType
	opt  WriterOptions
}

// writeCases is the writer matrix: ten sample types x five compressions
// x strips/tiles x classic/BigTIFF, with the predictor (2 for integers, 3
// for floats) on for the classic files of the compressions that take
// one, and an ImageJ stack.
func writeCases() []writeCase {
	var cs []writeCase
	for _, dt := range nd.DTypes {
		if dt == nd.DTypeBool {
			continue // TIFF has no boolean samples; TestBad checks the refusal
		}
		pred := PredictorHorizontal
		if dt.IsFloat() {
			pred = PredictorFloat
		}
		for _, c := range []Compression{CompressionNone, CompressionDeflate, CompressionLZW, CompressionPackBits, CompressionZstd} {
			for _, tiled := range []bool{false, true} {
				for _, big := range []bool{false, true} {
					o := WriterOptions{Compression: c, RowsPerStrip: 7}
					name := fmt.Sprintf("%v-%s", dt, c)
					if tiled {
						o.TileWidth, o.TileLength = 16, 32
						name += "-tiles"
					} else {
						name += "-strips"
					}
					if big {
						o.BigTIFF = BigAlways
						name += "-big"
					} else if c != CompressionNone && c != CompressionPackBits {
						o.Predictor = pred
						name += "-pred"
					}
					cs = append(cs, writeCase{name, dt, o})
				}
			}
		}
	}
	cs = append(cs, writeCase{"uint8-imagej", nd.Uint8, WriterOptions{ImageJ: true, Pages: 3, ZSpacing: 2.5, Unit: "micron"}})
	return cs
}

// tifffileDecodes reports whether tifffile decodes c's files without
// imagecodecs (which Debian does not package).
func tifffileDecodes(c writeCase) bool {
	return (c.opt.Compression == CompressionNone || c.opt.Compression == CompressionDeflate) && c.opt.Predictor != PredictorFloat
}

func writeFile(t *testing.T, path string, c writeCase, shape []int) {
	t.Helper()
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if c.opt.Pages == 0 {
		c.opt.Pages = shape[0] // so that BigAuto writes classic TIFF
	}
	w, err := NewWriter(fh, c.opt)
	if err != nil {
		t.Fatal(err)
	}
	a := vol(c.dt, shape)
	for z := 0; z < shape[0]; z++ {
		b := nd.BoxOf(shape)
		b.Min[0], b.Max[0] = z, z+1
		page := a.View(b)
		ps := page.Shape()[1:]
		c2 := nd.NewAny(c.dt, page.Shape(), nd.C)
		nd.CopyAny(c2, page)
		raw, _ := nd.AsBytes(c2)
		p, _ := nd.FromBytes(c.dt, ps, nd.C, raw)
		if err := w.WritePage(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// Our files read back through our reader exactly, for every sample type
// with none, deflate and zstd, predictors, strips, tiles, BigTIFF.
func TestWriteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, c := range writeCases() {
		p := filepath.Join(dir, c.name+".tif")
		writeFile(t, p, c, []int{3, 20, 24})
		a, f := readAll(t, p)
		checkFormula(t, c.name, a)
		if f.BigTIFF() != (c.opt.BigTIFF == BigAlways) {
			t.Errorf("%s: BigTIFF %v", c.name, f.BigTIFF())
		}
	}
	writeFile(t, filepath.Join(dir, "rgb.tif"), writeCase{"rgb", nd.Uint8, WriterOptions{Compression: CompressionDeflate, Predictor: PredictorHorizontal}}, []int{2, 20, 24, 3})
	a, _ := readAll(t, filepath.Join(dir, "rgb.tif"))
	checkFormula(t, "rgb", a)
}

// tifffile and libtiff read what we write, exactly: tifffile reads the
// files it decodes without imagecodecs; the others (LZW, PackBits, zstd,
// the floating-point predictor) are decoded by libtiff's tiffcp into
// uncompressed copies that tifffile then checks; tiffinfo -D decodes every
// file without an error.
func TestInterop(t *testing.T) {
	py := testtool.PythonWith(t, "tifffile")
	tiffcp := testtool.Command(t, "tiffcp")
	tiffinfo := testtool.Command(t, "tiffinfo")
	dir := t.TempDir()
	var names []string
	viaLibtiff := 0
	for _, c := range writeCases() {
		p := filepath.Join(dir, c.name+".tif")
		writeFile(t, p, c, []int{3, 20, 24})
		if out, err := exec.Command(tiffinfo, "-D", p).CombinedOutput(); err != nil || bytes.Contains(bytes.ToLower(out), []byte("error")) {
			t.Errorf("tiffinfo -D %s: %v\n%s", c.name, err, out)
		}
		if tifffileDecodes(c) {
			names = append(names, c.name)
			continue
		}
		dec := c.name + "-libtiff"
		if out, err := exec.Command(tiffcp, "-c", "none", p, filepath.Join(dir, dec+".tif")).CombinedOutput(); err != nil {
			t.Fatalf("tiffcp %s: %v\n%s", c.name, err, out)
		}
		names = append(names, dec)
		viaLibtiff++
	}
	writeFile(t, filepath.Join(dir, "rgb-uint8.tif"), writeCase{"rgb", nd.Uint8, WriterOptions{Compression: CompressionDeflate, Predictor: PredictorHorizontal}}, []int{2, 20, 24, 3})
	writeFile(t, filepath.Join(dir, "rgb-uint16.tif"), writeCase{"rgb", nd.Uint16, WriterOptions{TileWidth: 16, TileLength: 16}}, []int{2, 20, 24, 3})
	names = append(names, "rgb-uint8", "rgb-uint16")
	script := `import sys, numpy as np, tifffile
d = sys.argv[1]; bad = []
for n in sys.argv[2:]:
    with tifffile.TiffFile(d + "/" + n + ".tif") as tf:
        a = tf.asarray()
        shape = (2, 20, 24, 3) if n.startswith("rgb") else (3, 20, 24)
        z, y, x = np.indices(shape[:3])
        v = (z * 1000 + y * 37 + x * 3).astype(np.float64)
        if len(shape) == 4: v = v[..., None] + np.arange(3)
        if a.dtype.kind == "i": v -= 1500
        if a.dtype.kind == "f": v = v * 0.25 - 100
        if a.shape != shape or not np.array_equal(a, v.astype(a.dtype)) or n.split("-")[0] not in (a.dtype.name, "rgb"):
            bad.append(n)
        if n.endswith("imagej") and (not tf.is_imagej or tf.imagej_metadata.get("spacing") != 2.5 or tf.imagej_metadata.get("slices") != 3):
            bad.append(n + " (ImageJ metadata)")
print(len(sys.argv) - 2, bad)`
	out, err := exec.Command(py, append([]string{"-c", script, dir}, names...)...).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != fmt.Sprintf("%d []", len(names)) {
		t.Fatalf("tifffile: %v\n%s", err, out)
	}
	t.Logf("tifffile read %d of our files exactly (%d of them after tiffcp decoded them); tiffinfo -D decoded %d", len(names), viaLibtiff, len(writeCases()))
}

func TestBad(t *testing.T) {
	good, _ := os.ReadFile("testdata/strips-u2.tif")
	for i := 0; i < len(good); i += 7 {
		b := bytes.Clone(good[:i])
		if f, err := Open(bytes.NewReader(b), int64(len(b)), DefaultLimits); err == nil {
			if s, err := f.Stack(); err == nil {
				a := nd.NewAny(s.DType(), s.Shape(), nd.C)
				s.ReadRegion(nd.BoxOf(s.Shape()), a) // must not panic
			}
		}
	}
	// A cyclic IFD chain is refused.
	loop := bytes.Clone(good)
	f, err := Open(bytes.NewReader(loop), int64(len(loop)), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	_ = f
	if _, err := Open(bytes.NewReader([]byte("II*\x00\x08\x00\x00\x00\x01\x00")), 10, DefaultLimits); err == nil {
		t.Error("truncated IFD accepted")
	}
	if _, err := NewWriter(nil, WriterOptions{Compression: CompressionJPEG}); err == nil {
		t.Error("JPEG writing accepted")
	}
	if w, _ := NewWriter(&sink{}, WriterOptions{}); w.WritePage(nd.New[nd.Bool]([]int{4, 4}, nd.C)) == nil {
		t.Error("boolean samples written")
	}
	_ = math.Pi
}

// FuzzDecode: hostile files give errors, never panics or allocations past
// the limits, through pages, SubIFD levels and series (OME-XML, ImageJ and
// shaped descriptions).
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.tif")
	series, _ := filepath.Glob("testdata/series/*.tif")
	for _, p := range append(files, series...) {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	// Small limits keep each input cheap: a hostile file may still ask
	// for MaxBlockBytes of decoding per block it lists.
	lim := Limits{MaxPages: 16, MaxEntries: 256, MaxArray: 1 << 12, MaxBlockBytes: 1 << 16}
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, err := Open(bytes.NewReader(b), int64(len(b)), lim)
		if err != nil {
			return
		}
		for _, p := range fl.Pages[:min(len(fl.Pages), 4)] {
			for i := range min(len(p.Offsets), 8) {
				data, _, err := p.DecodeBlock(i)
				if err == nil && int64(len(data)) > lim.MaxBlockBytes {
					t.Fatalf("block of %d bytes past the limit", len(data))
				}
			}
		}
		var levels []*Stack
		for k := range min(fl.Levels(), 3) {
			if s, err := fl.Level(k); err == nil {
				levels = append(levels, s)
			}
		}
		// Series parse OME-XML, ImageJ and shaped descriptions.
		ss, _ := fl.Series()
		for _, s := range ss[:min(len(ss), 4)] {
			if nd.CheckAxes(s.Axes, len(s.Shape())) != nil {
				t.Fatalf("series %q: axes %v for shape %v", s.Name, s.Axes, s.Shape())
			}
			for k := range min(s.Levels(), 3) {
				if lv, err := s.Level(k); err == nil {
					levels = append(levels, lv)
				}
			}
		}
		for _, s := range levels {
			if n, ok := nd.CheckedSize(s.Shape()); ok && n*s.DType().Size() <= 1<<18 {
				a := nd.NewAny(s.DType(), s.Shape(), nd.C)
				s.ReadRegion(nd.BoxOf(s.Shape()), a)
			}
		}
	})
}

// A short compressed stream that claims a huge block allocates about what
// it decodes to, not the claim; a stream longer than the block is refused.
func TestDecompressBounds(t *testing.T) {
	var zb bytes.Buffer
	zw := zlib.NewWriter(&zb)
	zw.Write(make([]byte, 1000))
	zw.Close()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	out, err := decompress(CompressionDeflate, zb.Bytes(), 1<<30, nil)
	runtime.ReadMemStats(&ms1)
	if err != nil || len(out) != 1000 {
		t.Fatalf("short stream: %d bytes, %v", len(out), err)
	}
	if d := ms1.TotalAlloc - ms0.TotalAlloc; d > 8<<20 {
		t.Errorf("decoding 1000 bytes of a claimed 1 GiB block allocated %d bytes", d)
	}
	if _, err := decompress(CompressionDeflate, zb.Bytes(), 999, nil); err == nil {
		t.Error("deflate stream longer than its block accepted")
	}
	zs, _ := codec.Zstd{Level: 3}.Encode(nil, make([]byte, 1000))
	if _, err := decompress(CompressionZstd, zs, 999, nil); err == nil {
		t.Error("zstd stream longer than its block accepted")
	}
	if out, err := decompress(CompressionZstd, zs, 1000, nil); err != nil || len(out) != 1000 {
		t.Errorf("zstd: %d bytes, %v", len(out), err)
	}
}

// Our LZW and PackBits encoders round trip through the decoders (x/image's
// LZW reader) for data that fills the LZW table many times over, runs,
// literals and empty input.
func TestEncoders(t *testing.T) {
	rnd := make([]byte, 300000)
	x := uint32(1)
	for i := range rnd {
		x = x*1664525 + 1013904223
		rnd[i] = byte(x >> 24)
	}
	ramp := make([]byte, 70000)
	for i := range ramp {
		ramp[i] = byte(i / 300)
	}
	mixed := append(append(bytes.Repeat([]byte{7}, 1000), rnd[:5000]...), bytes.Repeat([]byte{1, 2}, 3000)...)
	for _, src := range [][]byte{nil, {5}, {5, 5}, {1, 2, 3}, rnd, ramp, mixed, make([]byte, 1<<20), rnd[:4097], rnd[:130]} {
		enc := lzwEncode(nil, src)
		got, err := decompress(CompressionLZW, enc, len(src), nil)
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("LZW round trip of %d bytes: %d bytes, %v", len(src), len(got), err)
		}
		for _, rowBytes := range []int{max(len(src), 1), 7, 200} {
			enc := packBits(nil, src, rowBytes)
			got, err := decompress(CompressionPackBits, enc, len(src), nil)
			if err != nil || !bytes.Equal(got, src) {
				t.Fatalf("PackBits round trip of %d bytes in rows of %d: %v", len(src), rowBytes, err)
			}
		}
	}
	if n := len(lzwEncode(nil, make([]byte, 1<<20))); n > 1<<14 {
		t.Errorf("LZW of 1 MiB of zeros takes %d bytes", n)
	}
	if n := len(packBits(nil, make([]byte, 1<<16), 1<<16)); n != 1024 {
		t.Errorf("PackBits of 64 KiB of zeros takes %d bytes, want 1024", n)
	}
}

// sink is a WriteSeeker that keeps only the first 64 KiB written (header
// and the first directory) and counts the rest.
type sink struct {
	head     []byte
	pos, end int64
}

func (s *sink) Write(b []byte) (int, error) {
	if s.pos < 1<<16 {
		if need := s.pos + int64(len(b)); int64(len(s.head)) < min(need, 1<<16) {
			s.head = append(s.head, make([]byte, min(need, 1<<16)-int64(len(s.head)))...)
		}
		copy(s.head[s.pos:], b)
	}
	s.pos += int64(len(b))
	s.end = max(s.end, s.pos)
	return len(b), nil
}

func (s *sink) Seek(off int64, whence int) (int64, error) {
	if whence != io.SeekStart {
		return 0, errors.New("sink: only SeekStart")
	}
	s.pos = off
	return off, nil
}

// BigAuto writes classic TIFF when the announced pages fit 4 GiB and
// BigTIFF when they may not or are unknown; BigNever refuses to pass
// 4 GiB (65 pages of 64 MiB, written to a counting sink) and BigAuto with
// the same pages writes them all.
func TestBigTIFFChoice(t *testing.T) {
	small := nd.New[uint8]([]int{20, 24}, nd.C)
	for _, c := range []struct {
		pages int
		big   bool
	}{{3, false}, {0, true}, {60000, false}, {70000, true}} {
		s := &sink{}
		w, _ := NewWriter(s, WriterOptions{Pages: c.pages})
		if err := w.WritePage(small); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if got := s.head[2] == bigTIFFMagic; got != c.big {
			t.Errorf("Pages %d: BigTIFF %v, want %v", c.pages, got, c.big)
		}
	}
	if testing.Short() {
		t.Skip("writes 4 GiB to a counting sink")
	}
	big := nd.New[uint8]([]int{8192, 8192}, nd.C)
	for _, mode := range []BigMode{BigNever, BigAuto} {
		s := &sink{}
		w, _ := NewWriter(s, WriterOptions{BigTIFF: mode, Pages: 65, RowsPerStrip: 8192})
		var err error
		z := 0
		for ; z < 65 && err == nil; z++ {
			err = w.WritePage(big)
		}
		switch {
		case mode == BigNever && (err == nil || !strings.Contains(err.Error(), "4 GiB")):
			t.Errorf("BigNever past 4 GiB: %v after %d pages", err, z)
		case mode == BigAuto && err != nil:
			t.Errorf("BigAuto: %v after %d pages", err, z)
		case mode == BigAuto && (s.head[2] != bigTIFFMagic || s.end < 65<<26):
			t.Errorf("BigAuto: magic %d, %d bytes", s.head[2], s.end)
		}
	}
}

// ImageJ descriptions go only on sample types ImageJ holds.
func TestImageJTypes(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		dt     nd.DType
		imagej bool
	}{{nd.Uint8, true}, {nd.Uint16, true}, {nd.Float32, true}, {nd.Int16, false}, {nd.Float64, false}, {nd.Uint32, false}} {
		p := filepath.Join(dir, c.dt.String()+".tif")
		writeFile(t, p, writeCase{c.dt.String(), c.dt, WriterOptions{ImageJ: true, Pages: 3, ZSpacing: 0.5}}, []int{3, 20, 24})
		a, f := readAll(t, p)
		checkFormula(t, p, a)
		if m := f.ImageJ(); (m != nil) != c.imagej || (c.imagej && (m["images"] != "3" || f.Spacing() != 0.5)) {
			t.Errorf("%v: ImageJ description %v", c.dt, m)
		}
	}
}

// Compression 32946 (the old deflate code) reads like 8: deflate-u2.tif
// with its Compression entries rewritten.
func TestOldDeflateCode(t *testing.T) {
	b, err := os.ReadFile("testdata/deflate-u2.tif")
	if err != nil {
		t.Fatal(err)
	}
	entry := []byte{0x03, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00} // tag 259, SHORT, 1, value 8
	if bytes.Count(b, entry) != 3 {
		t.Fatalf("%d Compression entries found, want 3", bytes.Count(b, entry))
	}
	b = bytes.ReplaceAll(b, entry, []byte{0x03, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0xb2, 0x80})
	p := filepath.Join(t.TempDir(), "old-deflate.tif")
	os.WriteFile(p, b, 0o644)
	a, f := readAll(t, p)
	if f.Pages[0].Compression != CompressionDeflate2 {
		t.Fatalf("compression %d", f.Pages[0].Compression)
	}
	checkFormula(t, p, a)
}

// Region reads that do not align with the tiles decode each compressed
// tile once while the cache holds it, and every tile they touch without
// the cache; both read the same values.
func TestBlockCache(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.tif")
	writeFile(t, p, writeCase{"c", nd.Uint16, WriterOptions{Compression: CompressionDeflate, TileWidth: 16, TileLength: 16}}, []int{2, 48, 48})
	whole, _ := readAll(t, p)
	for _, cache := range []int64{DefaultCacheBytes, 0} {
		f, err := OpenFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := f.Stack()
		s.SetCacheBytes(cache)
		reads := 0
		for y := 0; y+10 <= 48; y += 10 {
			for x := 0; x+10 <= 48; x += 10 {
				b := nd.NewBox([]int{0, y, x}, []int{2, y + 10, x + 10})
				got := nd.NewAny(nd.Uint16, b.Shape(), nd.C)
				if err := s.ReadRegion(b, got); err != nil {
					t.Fatal(err)
				}
				want := nd.NewAny(nd.Uint16, b.Shape(), nd.C)
				nd.CopyAny(want, whole.View(b))
				g, _ := nd.AsBytes(got)
				w, _ := nd.AsBytes(want)
				if !bytes.Equal(g, w) {
					t.Fatalf("cache %d: region %v differs", cache, b)
				}
				reads++
			}
		}
		// 16 regions of 10x10 over 3x3 tiles of 16x16 (of which the
		// regions reach all 9) on 2 pages.
		n := s.decodes.Load()
		switch {
		case cache > 0 && n != 18:
			t.Errorf("with the cache: %d tiles decoded for %d regions, want 18", n, reads)
		case cache == 0 && n <= 18:
			t.Errorf("without the cache: %d tiles decoded", n)
		}
		f.Close()
	}
}

// checkLevel checks level k of a pyramid of value(z, y, x) subsampled by
// 2**k.
func checkLevel(t *testing.T, name string, f *File, k int, shape []int) {
	t.Helper()
	s, err := f.Level(k)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{shape[0], shape[1] >> k, shape[2] >> k}
	if fmt.Sprint(s.Shape()) != fmt.Sprint(want) {
		t.Fatalf("%s level %d: shape %v, want %v", name, k, s.Shape(), want)
	}
	a := nd.New[uint16](want, nd.C)
	if err := s.ReadRegion(nd.BoxOf(want), a); err != nil {
		t.Fatal(err)
	}
	bad := 0
	a.Values(func(idx []int, v uint16) {
		if w := uint16(value(nd.Uint16, idx[0], idx[1]<<k, idx[2]<<k, 0)); v != w && bad < 3 {
			t.Errorf("%s level %d at %v: %d, want %d", name, k, idx, v, w)
			bad++
		}
	})
}

// Pyramids in SubIFDs: tifffile's fixture reads level by level, and ours
// (classic and BigTIFF) read back through our reader and through
// tifffile's series levels.
func TestPyramid(t *testing.T) {
	shape := []int{3, 64, 48}
	f, err := OpenFile("testdata/subifds-u2.tif")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Levels() != 3 {
		t.Fatalf("%d levels in the tifffile pyramid, want 3", f.Levels())
	}
	for k := range 3 {
		checkLevel(t, "subifds-u2.tif", f, k, shape)
	}
	if _, err := f.Level(3); err == nil {
		t.Error("level 3 of 3 accepted")
	}
	whole := vol(nd.Uint16, shape).(*nd.Array[uint16])
	dir := t.TempDir()
	var names []string
	for _, big := range []BigMode{BigNever, BigAlways} {
		p := filepath.Join(dir, fmt.Sprintf("pyr-%d.tif", big))
		fh, _ := os.Create(p)
		w, err := NewWriter(fh, WriterOptions{Compression: CompressionDeflate, Predictor: PredictorHorizontal,
			TileWidth: 16, TileLength: 16, BigTIFF: big, Pages: 3})
		if err != nil {
			t.Fatal(err)
		}
		for z := range 3 {
			var levels []nd.Any
			for k := range 3 {
				lv := nd.New[uint16]([]int{64 >> k, 48 >> k}, nd.C)
				lv.Values(func(idx []int, _ uint16) { lv.Set(whole.At(z, idx[0]<<k, idx[1]<<k), idx...) })
				levels = append(levels, lv)
			}
			if err := w.WritePage(levels[0], levels[1:]...); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WritePage(nd.New[uint16]([]int{64, 48}, nd.C)); err == nil {
			t.Error("a page without the levels of page 0 accepted")
		}
		w.Close()
		fh.Close()
		g, err := OpenFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if g.Levels() != 3 || g.BigTIFF() != (big == BigAlways) {
			t.Fatalf("%s: %d levels, BigTIFF %v", p, g.Levels(), g.BigTIFF())
		}
		for k := range 3 {
			checkLevel(t, p, g, k, shape)
		}
		g.Close()
		names = append(names, p)
	}
	py := testtool.PythonWith(t, "tifffile")
	script := `import sys, numpy as np, tifffile
bad = []
for p in sys.argv[1:]:
    with tifffile.TiffFile(p) as tf:
        s = tf.series[0]
        z, y, x = np.indices((3, 64, 48))
        v = (z * 1000 + y * 37 + x * 3).astype(np.uint16)
        if len(s.levels) != 3: bad.append(p + " levels")
        for k, l in enumerate(s.levels):
            if not np.array_equal(l.asarray(), v[:, ::2**k, ::2**k]): bad.append(p + " level %d" % k)
print(bad)`
	out, err := exec.Command(py, append([]string{"-c", script}, names...)...).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "[]" {
		t.Fatalf("tifffile: %v\n%s", err, out)
	}
}
