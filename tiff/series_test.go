package tiff

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/npy"
)

// seriesValue is vol() of testdata/series/gen_series.py at index idx of
// the array as tifffile wrote it: v = v*10 + i_k*(k+1) over the axes,
// then v % 60000.
func seriesValue(idx []int) int64 {
	var v int64
	for k, i := range idx {
		v = v*10 + int64(i*(k+1))
	}
	return v % 60000
}

// wantSeries is what one series of a fixture must read as.
type wantSeries struct {
	name, kind string
	axes       string    // axis names, e.g. "tczyx"
	shape      []int     // level 0
	units      []string  // per axis
	scales     []float64 // per axis
	channels   []string
	levels     int
	// written[j] is the axis of ours that is axis j of the array that
	// gen_series.py wrote; add is added to every value.
	written []int
	add     int64
	dt      nd.DType
}

const um = "micrometer"

var seriesFixtures = map[string][]wantSeries{
	"ome-czyx.ome.tif": {{name: "Image0", kind: KindOME, axes: "czyx", shape: []int{2, 3, 20, 24},
		units: []string{"", "nanometer", um, um}, scales: []float64{0, 2, 0.25, 0.5}, channels: []string{"DAPI", "GFP"},
		levels: 1, written: []int{0, 1, 2, 3}, dt: nd.Uint16}},
	"ome-tczyx.ome.tif": {{name: "Image0", kind: KindOME, axes: "tczyx", shape: []int{3, 2, 4, 20, 24},
		units: []string{"second", "", um, um, um}, scales: []float64{30, 0, 1.5, 0.125, 0.125},
		levels: 1, written: []int{0, 1, 2, 3, 4}, dt: nd.Float32}},
	"ome-two.ome.tif": {
		{name: "first", kind: KindOME, axes: "zyx", shape: []int{3, 20, 24}, units: []string{um, um, um},
			scales: []float64{0, 0, 0}, levels: 1, written: []int{0, 1, 2}, dt: nd.Uint16},
		{name: "second", kind: KindOME, axes: "zyx", shape: []int{4, 20, 24}, units: []string{um, um, um},
			scales: []float64{0, 0, 0}, levels: 1, written: []int{0, 1, 2}, add: 7, dt: nd.Uint16}},
	"ome-pyramid.ome.tif": {{name: "Image0", kind: KindOME, axes: "cyx", shape: []int{2, 64, 48},
		units: []string{"", um, um}, scales: []float64{0, 0.25, 0.25}, channels: []string{"a", "b"},
		levels: 3, written: []int{0, 1, 2}, dt: nd.Uint16}},
	// ImageJ stores t, z, c; we give t, c, z.
	"imagej-tzcyx.tif": {{kind: KindImageJ, axes: "tczyx", shape: []int{2, 2, 3, 20, 24},
		units: []string{"second", "", um, um, um}, scales: []float64{10, 0, 1.5, 0.5, 0.25},
		levels: 1, written: []int{0, 2, 1, 3, 4}, dt: nd.Uint16}},
	// tifffile's (z, y, x, samples) and (z, samples, y, x) as (c, z, y, x).
	"rgb-contig.tif": {{kind: KindShaped, axes: "czyx", shape: []int{3, 2, 20, 24}, units: []string{"", "", "", ""},
		scales: []float64{0, 0, 0, 0}, levels: 1, written: []int{1, 2, 3, 0}, dt: nd.Uint8}},
	"rgb-planar-stack.tif": {{kind: KindShaped, axes: "czyx", shape: []int{3, 2, 20, 24}, units: []string{"", "", "", ""},
		scales: []float64{0, 0, 0, 0}, levels: 1, written: []int{1, 0, 2, 3}, dt: nd.Uint8}},
	"rgb-planar.tif": {{kind: KindShaped, axes: "cyx", shape: []int{3, 20, 24}, units: []string{"", "", ""},
		scales: []float64{0, 0, 0}, levels: 1, written: []int{0, 1, 2}, dt: nd.Uint8}},
	"shaped-czyx.tif": {{kind: KindShaped, axes: "czyx", shape: []int{2, 3, 20, 24}, units: []string{"", "", "", ""},
		scales: []float64{0, 0, 0, 0}, levels: 1, written: []int{0, 1, 2, 3}, dt: nd.Int16}},
	"shaped-f2.tif": {{kind: KindShaped, axes: "zyx", shape: []int{2, 20, 24}, units: []string{"", "", ""},
		scales: []float64{0, 0, 0}, levels: 1, written: []int{0, 1, 2}, dt: nd.DTypeFloat16}},
	// RGB z stacks, (z, y, x, samples) in the file, as (c, z, y, x).
	"imagej-rgb.tif": {{kind: KindImageJ, axes: "czyx", shape: []int{3, 3, 20, 24}, units: []string{"", "", "", ""},
		scales: []float64{0, 0, 0, 0}, levels: 1, written: []int{1, 2, 3, 0}, dt: nd.Uint8}},
	"ome-rgb.ome.tif": {{name: "Image0", kind: KindOME, axes: "czyx", shape: []int{3, 2, 20, 24}, units: []string{"", um, um, um},
		scales: []float64{0, 0, 0, 0}, levels: 1, written: []int{1, 2, 3, 0}, dt: nd.Uint8}},
	"vips-pages.tif": {{name: "pages 0-0", kind: KindPyramid, axes: "yx", shape: []int{130, 150}, units: []string{"", ""},
		scales: []float64{0, 0}, levels: 4, written: []int{0, 1}, dt: nd.Uint8}},
	"vips-subifd.tif": {{name: "pages 0-0", kind: KindPages, axes: "yx", shape: []int{130, 150}, units: []string{"", ""},
		scales: []float64{0, 0}, levels: 4, written: []int{0, 1}, dt: nd.Uint8}},
}

// readLevel reads all of level k of s.
func readLevel(t *testing.T, s *Series, k int) nd.Any {
	t.Helper()
	lv, err := s.Level(k)
	if err != nil {
		t.Fatal(err)
	}
	a := nd.NewAny(lv.DType(), lv.Shape(), nd.C)
	if err := lv.ReadRegion(nd.BoxOf(lv.Shape()), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func openSeries(t *testing.T, path string) []*Series {
	t.Helper()
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	ss, err := f.Series()
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// Every series fixture (tifffile and vips wrote them) opens as the images
// it holds, with the axes, units, physical sizes, channel names and
// levels gen_series.py wrote, and level 0 holds every value of the
// written array, transposed to our axis order.
func TestSeriesFixtures(t *testing.T) {
	for file, wants := range seriesFixtures {
		ss := openSeries(t, filepath.Join("testdata/series", file))
		if len(ss) != len(wants) {
			t.Errorf("%s: %d series, want %d", file, len(ss), len(wants))
			continue
		}
		for i, w := range wants {
			s := ss[i]
			var names, units []string
			var scales []float64
			for _, a := range s.Axes {
				names, units, scales = append(names, a.Name), append(units, a.Unit), append(scales, a.Scale)
			}
			got := fmt.Sprint(s.Name, s.Kind, strings.Join(names, ""), s.Shape(), units, scales, s.Channels, s.Levels(), s.DType())
			want := fmt.Sprint(w.name, w.kind, w.axes, w.shape, w.units, w.scales, w.channels, w.levels, w.dt)
			if got != want {
				t.Errorf("%s series %d:\n got %s\nwant %s", file, i, got, want)
				continue
			}
			if err := nd.CheckAxes(s.Axes, len(s.Shape())); err != nil {
				t.Errorf("%s: %v", file, err)
			}
			checkSeriesValues(t, file, readLevel(t, s, 0), w)
		}
	}
}

// checkSeriesValues compares a with the written array's formula.
func checkSeriesValues(t *testing.T, file string, a nd.Any, w wantSeries) {
	t.Helper()
	f := nd.New[float64](a.Shape(), nd.C)
	if err := nd.ConvertAny(f, a); err != nil {
		t.Fatal(err)
	}
	bad := 0
	widx := make([]int, len(w.written))
	f.Values(func(idx []int, v float64) {
		for j, o := range w.written {
			widx[j] = idx[o]
		}
		if want := wrap(w.dt, float64(seriesValue(widx)+w.add)); v != want && bad < 3 {
			t.Errorf("%s at %v: %v, want %v", file, idx, v, want)
			bad++
		}
	})
}

// The reduced levels of the pyramids: tifffile's OME pyramid holds the
// full image subsampled by 2 and 4; vips' levels are 2x2 means of the
// level above (rounded either way) at sizes halved rounding down.
func TestSeriesPyramids(t *testing.T) {
	s := openSeries(t, "testdata/series/ome-pyramid.ome.tif")[0]
	for k := 1; k < 3; k++ {
		a := readLevel(t, s, k).(*nd.Array[uint16])
		bad := 0
		a.Values(func(idx []int, v uint16) {
			if want := uint16(seriesValue([]int{idx[0], idx[1] << k, idx[2] << k})); v != want && bad < 3 {
				t.Errorf("OME level %d at %v: %d, want %d", k, idx, v, want)
				bad++
			}
		})
	}
	for _, file := range []string{"vips-pages.tif", "vips-subifd.tif"} {
		s := openSeries(t, "testdata/series/"+file)[0]
		prev := readLevel(t, s, 0).(*nd.Array[uint8])
		for k := 1; k < s.Levels(); k++ {
			a := readLevel(t, s, k).(*nd.Array[uint8])
			ps := prev.Shape()
			if sh := a.Shape(); sh[0] != ps[0]/2 || sh[1] != ps[1]/2 {
				t.Fatalf("%s level %d: shape %v after %v", file, k, sh, ps)
			}
			bad := 0
			a.Values(func(idx []int, v uint8) {
				y, x := 2*idx[0], 2*idx[1]
				m := (float64(prev.At(y, x)) + float64(prev.At(y+1, x)) + float64(prev.At(y, x+1)) + float64(prev.At(y+1, x+1))) / 4
				if math.Abs(float64(v)-m) > 1 && bad < 3 {
					t.Errorf("%s level %d at %v: %d, the 2x2 mean above is %g", file, k, idx, v, m)
					bad++
				}
			})
			prev = a
		}
	}
}

// File.Stack refuses a file of two OME Images with one plane size
// instead of merging their 7 planes into one stack, and still reads a
// one-image file as its pages.
func TestStackRefusesSeveralImages(t *testing.T) {
	f, err := OpenFile("testdata/series/ome-two.ome.tif")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if s, err := f.Stack(); err == nil || !strings.Contains(err.Error(), "2 images") {
		t.Errorf("two OME Images as one stack: %v, %v", s, err)
	}
	g, err := OpenFile("testdata/series/ome-czyx.ome.tif")
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if s, err := g.Stack(); err != nil || fmt.Sprint(s.Shape()) != "[6 20 24]" {
		t.Errorf("one OME Image as a stack: %v", err)
	}
}

// Differential check against tifffile: every level of every series of
// every fixture equals tifffile's reading of the same series and level,
// its axes transposed to ours (T->t, C->c, Z/Q/I->z, S->c).
func TestSeriesTifffile(t *testing.T) {
	py := testtool.PythonWith(t, "tifffile", "numpy")
	dir := t.TempDir()
	var args []string
	for file := range seriesFixtures {
		for i, s := range openSeries(t, filepath.Join("testdata/series", file)) {
			var names []string
			for _, a := range s.Axes {
				names = append(names, a.Name)
			}
			for k := range s.Levels() {
				out := filepath.Join(dir, fmt.Sprintf("%s-%d-%d.npy", file, i, k))
				if err := npy.WriteFile(out, readLevel(t, s, k)); err != nil {
					t.Fatal(err)
				}
				args = append(args, fmt.Sprintf("%s,%d,%d,%s,%s", filepath.Join("testdata/series", file), i, k, strings.Join(names, ""), out))
			}
		}
	}
	script := `import sys, numpy as np, tifffile
bad = []
for arg in sys.argv[1:]:
    path, i, k, ours, npy = arg.split(",")
    with tifffile.TiffFile(path) as tf:
        s = tf.series[int(i)]
        a, axes = s.levels[int(k)].asarray(), s.axes
    for j in reversed(range(len(axes))):
        if a.shape[j] == 1 and axes[j].lower() not in ours:
            a, axes = a.squeeze(j), axes[:j] + axes[j+1:]
    alias = {"q": "z", "i": "z", "s": "s" if "C" in axes else "c"}
    names = [alias.get(c.lower(), c.lower()) for c in axes]
    b = np.load(npy)
    if sorted(names) != sorted(ours):
        bad.append("%s: tifffile axes %s, ours %s" % (arg, axes, ours)); continue
    a = a.transpose([names.index(c) for c in ours])
    if a.dtype != b.dtype or not np.array_equal(a, b):
        bad.append("%s: values differ (%s %s)" % (arg, a.shape, b.shape))
print(len(sys.argv) - 1, bad)`
	out, err := exec.Command(py, append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != fmt.Sprintf("%d []", len(args)) {
		t.Fatalf("tifffile: %v\n%s", err, out)
	}
	t.Logf("tifffile agrees on %d levels of the series fixtures", len(args))
}

// Region reads of every series equal the same box of a whole read, for
// boxes that start and end inside strips, tiles, planes and samples
// (contiguous and separate sample planes, OME and ImageJ plane orders).
func TestSeriesRegions(t *testing.T) {
	for file := range seriesFixtures {
		for _, s := range openSeries(t, filepath.Join("testdata/series", file)) {
			whole := readLevel(t, s, 0)
			lv, _ := s.Level(0)
			sh := lv.Shape()
			for trial := range 3 {
				lo, hi := make([]int, len(sh)), make([]int, len(sh))
				for i, n := range sh {
					lo[i] = (n * trial) / 5
					hi[i] = max(lo[i]+1, n-(n*(2-trial))/7)
				}
				b := nd.NewBox(lo, hi)
				got := nd.NewAny(lv.DType(), b.Shape(), nd.C)
				if err := lv.ReadRegion(b, got); err != nil {
					t.Fatal(err)
				}
				want := nd.NewAny(lv.DType(), b.Shape(), nd.C)
				nd.CopyAny(want, whole.View(b))
				g, _ := nd.AsBytes(got)
				w, _ := nd.AsBytes(want)
				if string(g) != string(w) {
					t.Errorf("%s %q region %v differs from the whole read", file, s.Name, b)
				}
			}
		}
	}
}

// omeFile writes n pages of 20x24 uint16 with description d.
func omeFile(t *testing.T, d string, n int) *File {
	t.Helper()
	s := &memFile{}
	w, err := NewWriter(s, WriterOptions{Description: d, Pages: n})
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := w.WritePage(nd.New[uint16]([]int{20, 24}, nd.C)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	f, err := Open(bytes.NewReader(s.b), int64(len(s.b)), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// memFile is an in-memory io.WriteSeeker.
type memFile struct {
	b   []byte
	pos int
}

func (m *memFile) Write(p []byte) (int, error) {
	if need := m.pos + len(p); need > len(m.b) {
		m.b = append(m.b, make([]byte, need-len(m.b))...)
	}
	copy(m.b[m.pos:], p)
	m.pos += len(p)
	return len(p), nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	if whence != io.SeekStart {
		return 0, errors.New("memFile: only SeekStart")
	}
	m.pos = int(off)
	return off, nil
}

// Inconsistent OME-XML and ImageJ descriptions are refused with an error
// naming the field, never read as something else.
func TestSeriesBadDescriptions(t *testing.T) {
	pixels := func(attrs, inner string) string {
		return `<?xml version="1.0"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" UUID="urn:uuid:1"><Image ID="Image:0"><Pixels ` +
			attrs + `>` + inner + `</Pixels></Image></OME>`
	}
	ok := `DimensionOrder="XYZCT" Type="uint16" SizeX="24" SizeY="20" SizeC="1" SizeT="1" `
	td := `<TiffData IFD="0" PlaneCount="3"/>`
	if ss, err := omeFile(t, pixels(ok+`SizeZ="3"`, td), 3).Series(); err != nil || fmt.Sprint(ss[0].Shape()) != "[3 20 24]" {
		t.Fatalf("the valid base case: %v", err)
	}
	for _, c := range []struct{ d, want string }{
		{pixels(ok+`SizeZ="4"`, td), "SizeZ*SizeC*SizeT = 4 planes, the file has 3 IFDs"},
		{pixels(ok+`SizeZ="1000000000000"`, td), "SizeZ"},
		{pixels(ok+`SizeZ="-1"`, td), "SizeZ"},
		{pixels(strings.Replace(ok, `Type="uint16"`, `Type="float"`, 1)+`SizeZ="3"`, td), "Type=float"},
		{pixels(strings.Replace(ok, `Type="uint16"`, `Type="bit"`, 1)+`SizeZ="3"`, td), `Type="bit"`},
		{pixels(strings.Replace(ok, `SizeX="24"`, `SizeX="25"`, 1)+`SizeZ="3"`, td), "SizeX=25"},
		{pixels(strings.Replace(ok, `XYZCT`, `XYZZT`, 1)+`SizeZ="3"`, td), "DimensionOrder"},
		{pixels(ok+`SizeZ="3"`, `<TiffData IFD="7" PlaneCount="3"/>`), "TiffData IFD"},
		{pixels(ok+`SizeZ="3"`, `<TiffData IFD="1" PlaneCount="3"/>`), "TiffData 0: 3 planes from plane 0 and IFD 1"},
		{pixels(ok+`SizeZ="3"`, `<TiffData IFD="0" PlaneCount="2"/>`), "plane 2 is in no TiffData"},
		{pixels(ok+`SizeZ="3"`, `<TiffData FirstZ="3"/>`), "FirstZ"},
		{pixels(ok+`SizeZ="3"`, ``), "no TiffData"},
		{pixels(ok+`SizeZ="3" PhysicalSizeX="wide"`, td), "PhysicalSizeX"},
		{pixels(ok+`SizeZ="3"`, `<TiffData IFD="0" PlaneCount="3"><UUID FileName="other.ome.tif">urn:uuid:2</UUID></TiffData>`), "multi-file"},
		{`<?xml version="1.0"?><OME><BinaryOnly MetadataFile="x.ome.xml"/></OME>`, "BinaryOnly"},
		{`<?xml version="1.0"?><OME><Image>`, "OME-XML"},
		{`<OME/>`, "without an Image"},
		{"ImageJ=1.11a\nimages=3\nchannels=x\n", `channels="x"`},
		{"ImageJ=1.11a\nimages=4\nchannels=2\nslices=2\n", "4 planes, the file has 3 pages"},
		{`{"shape": [4, 20, 24]}`, "shape [4 20 24] needs more than the 3 pages"},
		{`{"shape": [3, 24]}`, "differs"},
	} {
		_, err := omeFile(t, c.d, 3).Series()
		var fe FormatError
		var ue UnsupportedError
		if err == nil || !strings.Contains(err.Error(), c.want) || !(errors.As(err, &fe) || errors.As(err, &ue)) {
			t.Errorf("%.60q...: %v, want a FormatError about %q", c.d, err, c.want)
		}
	}
}

// Planes are placed by DimensionOrder and by TiffData's FirstZ/C/T, IFD
// and PlaneCount (one TiffData per plane, as Bio-Formats writes them, or
// runs): page k, filled with k, must land at the plane the OME-XML says.
func TestOMEPlaneOrder(t *testing.T) {
	head := `<OME><Image ID="Image:0"><Pixels DimensionOrder="XYCTZ" Type="uint16" SizeX="6" SizeY="4" SizeZ="2" SizeC="2" SizeT="3">`
	// XYCTZ: c fastest, then t, then z: plane (z, c, t) is c + 2*(t + 3*z).
	perPlane, runs := head, head
	for z := range 2 {
		for tt := range 3 {
			for c := range 2 {
				perPlane += fmt.Sprintf(`<TiffData IFD="%d" FirstZ="%d" FirstC="%d" FirstT="%d" PlaneCount="1"/>`, c+2*(tt+3*z), z, c, tt)
			}
		}
	}
	// Two runs of six planes, the second starting at z=1.
	runs += `<TiffData IFD="0" PlaneCount="6"/><TiffData IFD="6" FirstZ="1" PlaneCount="6"/>`
	for _, d := range []string{perPlane, runs} {
		d += `</Pixels></Image></OME>`
		s := &memFile{}
		w, _ := NewWriter(s, WriterOptions{Description: d, Pages: 12})
		for k := range 12 {
			p := nd.New[uint16]([]int{4, 6}, nd.C)
			p.Fill(uint16(k))
			w.WritePage(p)
		}
		w.Close()
		f, err := Open(bytes.NewReader(s.b), int64(len(s.b)), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		ss, err := f.Series()
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ss[0].Shape()) != "[3 2 2 4 6]" {
			t.Fatalf("shape %v, want t, c, z, y, x = [3 2 2 4 6]", ss[0].Shape())
		}
		a := readLevel(t, ss[0], 0).(*nd.Array[uint16])
		for tt := range 3 {
			for c := range 2 {
				for z := range 2 {
					if got, want := a.At(tt, c, z, 3, 5), uint16(c+2*(tt+3*z)); got != want {
						t.Errorf("plane t=%d c=%d z=%d holds page %d, want %d", tt, c, z, got, want)
					}
				}
			}
		}
	}
}
