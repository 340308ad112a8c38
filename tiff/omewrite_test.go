package tiff

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
)

// omeCase is an image WriteOME writes in the tests: level k is level 0
// subsampled by 2**k in y and x, level 0 holds seriesValue.
type omeCase struct {
	file   string
	axes   []nd.Axis
	shape  []int
	dt     nd.DType
	levels int
	opt    WriterOptions
	names  []string
}

func omeCases() []omeCase {
	ax := func(name string, typ nd.AxisType, unit string, scale float64) nd.Axis {
		return nd.Axis{Name: name, Type: typ, Unit: unit, Scale: scale}
	}
	t, c := ax("t", nd.Time, "second", 2.5), ax("c", nd.Channel, "", 0)
	z, y, x := ax("z", nd.Space, "micrometer", 2), ax("y", nd.Space, "micrometer", 0.5), ax("x", nd.Space, "nanometer", 250)
	return []omeCase{
		{"tczyx.ome.tif", []nd.Axis{t, c, z, y, x}, []int{2, 3, 2, 70, 60}, nd.Uint16, 3,
			WriterOptions{Compression: CompressionDeflate, Predictor: PredictorHorizontal, TileWidth: 32, TileLength: 32},
			[]string{"DAPI", "GFP", "a <b> & \"c\""}},
		{"yx.ome.tif", []nd.Axis{y, x}, []int{50, 40}, nd.Float32, 1, WriterOptions{}, nil},
		{"cyx-big.ome.tif", []nd.Axis{c, y, x}, []int{2, 64, 48}, nd.Uint8, 2,
			WriterOptions{BigTIFF: BigAlways, TileWidth: 16, TileLength: 16}, []string{"r", "g"}},
		{"tzyx-strips.ome.tif", []nd.Axis{t, z, y, x}, []int{2, 3, 20, 24}, nd.Int16, 1, WriterOptions{RowsPerStrip: 7}, nil},
	}
}

// omeLevel returns level k of c as an in-memory array.
func omeLevel(c omeCase, k int) nd.Any {
	sh := append([]int(nil), c.shape...)
	n := len(sh)
	sh[n-2], sh[n-1] = (sh[n-2]+(1<<k)-1)>>k, (sh[n-1]+(1<<k)-1)>>k
	f := nd.New[float64](sh, nd.C)
	idx0 := make([]int, n)
	f.Values(func(idx []int, _ float64) {
		copy(idx0, idx)
		idx0[n-2], idx0[n-1] = idx[n-2]<<k, idx[n-1]<<k
		f.Set(wrap(c.dt, float64(seriesValue(idx0))), idx...)
	})
	a := nd.NewAny(c.dt, sh, nd.C)
	nd.ConvertAny(a, f)
	return a
}

func writeOME(t *testing.T, dir string, c omeCase) string {
	t.Helper()
	p := filepath.Join(dir, c.file)
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img := OMEImage{Name: strings.TrimSuffix(c.file, ".ome.tif"), Axes: c.axes, Channels: c.names}
	for k := range c.levels {
		img.Levels = append(img.Levels, omeLevel(c, k).(nd.Reader))
	}
	if err := WriteOME(fh, img, c.opt); err != nil {
		t.Fatal(err)
	}
	return p
}

// Our OME-TIFF reads back through our reader: one OME series with the
// axes, units, physical sizes, channel names, levels and every value
// written.
func TestWriteOMERoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, c := range omeCases() {
		ss := openSeries(t, writeOME(t, dir, c))
		if len(ss) != 1 {
			t.Fatalf("%s: %d series", c.file, len(ss))
		}
		s := ss[0]
		if s.Kind != KindOME || fmt.Sprint(s.Axes) != fmt.Sprint(c.axes) || fmt.Sprint(s.Shape()) != fmt.Sprint(c.shape) ||
			s.Levels() != c.levels || fmt.Sprint(s.Channels) != fmt.Sprint(c.names) || s.DType() != c.dt {
			t.Errorf("%s: %s %v %v %d levels %q %v", c.file, s.Kind, s.Axes, s.Shape(), s.Levels(), s.Channels, s.DType())
			continue
		}
		for k := range c.levels {
			g, _ := nd.AsBytes(readLevel(t, s, k))
			w, _ := nd.AsBytes(omeLevel(c, k))
			if !bytes.Equal(g, w) {
				t.Errorf("%s level %d differs", c.file, k)
			}
		}
	}
}

// tifffile reads our OME-TIFF as an OME series with our axes, levels,
// values, physical sizes and channel names; libtiff's tiffinfo -D decodes
// every page and SubIFD without an error.
func TestWriteOMEInterop(t *testing.T) {
	py := testtool.PythonWith(t, "tifffile", "numpy")
	tiffinfo := testtool.Command(t, "tiffinfo")
	dir := t.TempDir()
	var args []string
	for _, c := range omeCases() {
		p := writeOME(t, dir, c)
		if out, err := exec.Command(tiffinfo, "-D", p).CombinedOutput(); err != nil || bytes.Contains(bytes.ToLower(out), []byte("error")) {
			t.Errorf("tiffinfo -D %s: %v\n%s", c.file, err, out)
		}
		var names string
		for _, a := range c.axes {
			names += a.Name
		}
		for k := range c.levels {
			lv := filepath.Join(dir, fmt.Sprintf("%s-%d.tif", c.file, k))
			if err := writeRaw(lv, omeLevel(c, k)); err != nil {
				t.Fatal(err)
			}
		}
		args = append(args, fmt.Sprintf("%s,%s,%d,%s", p, strings.ToUpper(names), c.levels, strings.Join(c.names, ";")))
	}
	script := `import sys, numpy as np, tifffile
bad = []
for arg in sys.argv[1:]:
    path, axes, levels, names = arg.split(",")
    with tifffile.TiffFile(path) as tf:
        s = tf.series[0]
        ome = tifffile.xml2dict(tf.ome_metadata)["OME"]["Image"]["Pixels"]
        if not tf.is_ome or s.kind != "ome" or s.axes != axes or len(s.levels) != int(levels):
            bad.append("%s: ome %s kind %s axes %s levels %d" % (path, tf.is_ome, s.kind, s.axes, len(s.levels))); continue
        for k, l in enumerate(s.levels):
            ref = np.fromfile(path + "-%d.raw" % k, dtype=l.dtype).reshape(l.shape)
            if not np.array_equal(l.asarray(), ref): bad.append("%s level %d values" % (path, k))
        want = {"Y": (0.5, "µm"), "X": (250, "nm"), "Z": (2, "µm")}
        for a in axes:
            if a in want and (ome.get("PhysicalSize" + a), ome.get("PhysicalSize" + a + "Unit")) != want[a]:
                bad.append("%s PhysicalSize%s %s" % (path, a, ome.get("PhysicalSize" + a)))
        if "T" in axes and ome.get("TimeIncrement") != 2.5: bad.append(path + " TimeIncrement")
        ch = ome.get("Channel", [])
        ch = ch if isinstance(ch, list) else [ch]
        if names and [c.get("Name") for c in ch] != names.split(";"): bad.append("%s channels %s" % (path, ch))
print(len(sys.argv) - 1, bad)`
	out, err := exec.Command(py, append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != fmt.Sprintf("%d []", len(args)) {
		t.Fatalf("tifffile: %v\n%s", err, out)
	}
}

// writeRaw writes a's bytes to path with ".raw" in place of ".tif".
func writeRaw(path string, a nd.Any) error {
	b, _ := nd.AsBytes(a)
	return os.WriteFile(strings.TrimSuffix(path, ".tif")+".raw", b, 0o644)
}

// WriteOME refuses what OME-TIFF cannot hold, naming the problem.
func TestWriteOMEBad(t *testing.T) {
	yx := []nd.Axis{{Name: "y", Type: nd.Space}, {Name: "x", Type: nd.Space}}
	a := nd.New[uint16]([]int{4, 4}, nd.C)
	for _, c := range []struct {
		img  OMEImage
		want string
	}{
		{OMEImage{Axes: yx}, "no levels"},
		{OMEImage{Axes: []nd.Axis{{Name: "x"}, {Name: "y"}}, Levels: []nd.Reader{a}}, "subsequence"},
		{OMEImage{Axes: yx[:1], Levels: []nd.Reader{a}}, "axes"},
		{OMEImage{Axes: yx, Levels: []nd.Reader{nd.New[int64]([]int{4, 4}, nd.C)}}, "int64"},
		{OMEImage{Axes: yx, Levels: []nd.Reader{a, nd.New[uint16]([]int{8, 2}, nd.C)}}, "level 1"},
		{OMEImage{Axes: yx, Channels: []string{"a", "b"}, Levels: []nd.Reader{a}}, "channel names"},
		{OMEImage{Axes: []nd.Axis{{Name: "y", Unit: "parsec", Scale: 1}, {Name: "x"}}, Levels: []nd.Reader{a}}, "parsec"},
	} {
		err := WriteOME(&sink{}, c.img, WriterOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error about %q", c.img.Axes, err, c.want)
		}
	}
}
