package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
)

// Issue 11: channels and time points are never mixed, and every rank from
// 2 to 5 works with the default flags.

type infoJSON struct {
	Format string   `json:"format"`
	Shape  []int    `json:"shape"`
	Axes   []string `json:"axes"`
	Types  []string `json:"axis_types"`
	Units  []string `json:"units"`
	Series []string `json:"series"`
	Levels []struct {
		Shape  []int     `json:"shape"`
		Chunks []int     `json:"chunks"`
		Scale  []float64 `json:"scale"`
	} `json:"levels"`
}

func info(t *testing.T, p string) infoJSON {
	t.Helper()
	var inf infoJSON
	r := mustRun(t, "--json", "info", p)
	if err := json.Unmarshal([]byte(r.stdout), &inf); err != nil {
		t.Fatalf("info %s: %v\n%s", p, err, r.stdout)
	}
	return inf
}

// slice returns the (t, c) slice of a 5-D or c slice of a 4-D array as a
// contiguous 3-D array's bytes.
func slice(a nd.Any, lead ...int) []byte {
	sh := a.Shape()
	lo, hi := make([]int, len(sh)), append([]int(nil), sh...)
	for i, v := range lead {
		lo[i], hi[i] = v, v+1
	}
	v := a.View(nd.NewBox(lo, hi))
	c := nd.NewAny(a.DType(), v.Shape(), nd.C)
	nd.CopyAny(c, v)
	b, _ := nd.AsBytes(c)
	return b
}

// For a TCZYX and a CZYX input, every channel and time point of every
// level of the pyramid equals the pyramid of that channel alone.
func TestPyramidPerChannel(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		src  string
		lead []int // sizes of the leading t, c axes
		axes string
	}{{"synth:2x3x16x40x36?seed=5", []int{2, 3}, "t,c,z,y,x"}, {"synth:3x16x40x36?seed=5", []int{3}, "c,z,y,x"}} {
		out := filepath.Join(dir, strings.ReplaceAll(c.axes, ",", ""))
		mustRun(t, "pyramid", "--levels", "3", c.src, out)
		inf := info(t, out)
		if strings.Join(inf.Axes, ",") != c.axes || len(inf.Levels) != 3 {
			t.Fatalf("%s: axes %v, %d levels", c.src, inf.Axes, len(inf.Levels))
		}
		for i, ty := range inf.Types[:len(c.lead)] {
			if ty == "space" {
				t.Fatalf("axis %d is typed space", i)
			}
			for _, l := range inf.Levels {
				if l.Shape[i] != c.lead[i] || l.Chunks[i] != 1 {
					t.Fatalf("level shape %v chunks %v: the %s axis was reduced or chunked", l.Shape, l.Chunks, inf.Axes[i])
				}
			}
		}
		n := 1
		for _, s := range c.lead {
			n *= s
		}
		for k := range n {
			tt, cc := 0, k
			if len(c.lead) == 2 {
				tt, cc = k/c.lead[1], k%c.lead[1]
			}
			alone := filepath.Join(dir, fmt.Sprintf("alone-%s-%d", strings.ReplaceAll(c.axes, ",", ""), k))
			mustRun(t, "pyramid", "--levels", "3", fmt.Sprintf("synth:16x40x36?seed=%d", 5+1000*tt+cc), alone)
			for l := range 3 {
				got := readArray(t, filepath.Join(out, fmt.Sprint(l)))
				lead := []int{cc}
				if len(c.lead) == 2 {
					lead = []int{tt, cc}
				}
				if !bytes.Equal(slice(got, lead...), readOut(t, filepath.Join(alone, fmt.Sprint(l)))) {
					t.Fatalf("%s: level %d, t=%d c=%d differs from the pyramid of that channel alone", c.src, l, tt, cc)
				}
			}
		}
	}
}

// 2-D and 4-D/5-D images work with default flags; factors on channel or
// time axes are refused; chunks may be given per space axis.
func TestRanksAndAxisFlags(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "pyramid", "synth:300x260", filepath.Join(dir, "plane"))
	inf := info(t, filepath.Join(dir, "plane"))
	if strings.Join(inf.Axes, "") != "yx" || len(inf.Levels) < 2 || inf.Levels[0].Chunks[0] != 256 {
		t.Fatalf("2-D: %+v", inf)
	}
	r := run(t, "pyramid", "--factor", "2,2,2,2", "synth:3x16x32x32", filepath.Join(dir, "bad"))
	if r.code != exitUsage || !strings.Contains(r.stderr, `axis "c"`) {
		t.Fatalf("factor on a channel axis: exit %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad", "zarr.json")); err == nil {
		t.Fatal("a refused pyramid wrote metadata")
	}
	mustRun(t, "pyramid", "--chunks", "8,16,16", "--factor", "1,2,2", "synth:3x16x32x32", filepath.Join(dir, "czyx"))
	inf = info(t, filepath.Join(dir, "czyx"))
	if fmt.Sprint(inf.Levels[0].Chunks) != "[1 8 16 16]" || fmt.Sprint(inf.Levels[1].Shape) != "[3 16 16 16]" {
		t.Fatalf("per-space-axis chunks and factors: %+v", inf.Levels)
	}
	if r := run(t, "apply", "--exec", "cat", "--halo", "1,2,2,2", "synth:3x16x32x32", filepath.Join(dir, "h")); r.code != exitUsage || !strings.Contains(r.stderr, "not a space axis") {
		t.Fatalf("halo on a channel axis: exit %d %s", r.code, r.stderr)
	}
}

// A Gaussian blur of a multi-channel image blurs each channel alone.
func TestApplyGaussianPerChannel(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "apply", "--op", "gaussian", "--sigma", "1.5", "--chunks", "8,16,16", "synth:2x16x32x32?seed=8", filepath.Join(dir, "both"))
	both := readArray(t, filepath.Join(dir, "both", "0"))
	for c := range 2 {
		one := filepath.Join(dir, fmt.Sprint("one", c))
		mustRun(t, "apply", "--op", "gaussian", "--sigma", "1.5", "--chunks", "8,16,16", fmt.Sprintf("synth:16x32x32?seed=%d", 8+c), one)
		if !bytes.Equal(slice(both, c), readOut(t, filepath.Join(one, "0"))) {
			t.Fatalf("channel %d was blurred with its neighbour", c)
		}
	}
}

// TIFF series open with their axes through the CLI: info lists the
// series, a pyramid of an OME-TIFF CZYX keeps c apart and its units.
func TestTIFFSeriesCLI(t *testing.T) {
	dir := t.TempDir()
	fx := "../../tiff/testdata/series/"
	inf := info(t, fx+"ome-two.ome.tif")
	if len(inf.Series) != 2 {
		t.Fatalf("series %v", inf.Series)
	}
	one := info(t, fx+"ome-two.ome.tif#series=1")
	if len(one.Shape) == 0 {
		t.Fatal("series 1 has no shape")
	}
	out := filepath.Join(dir, "czyx")
	mustRun(t, "pyramid", "--levels", "2", fx+"ome-czyx.ome.tif", out)
	got := info(t, out)
	src := info(t, fx+"ome-czyx.ome.tif")
	if strings.Join(got.Axes, "") != "czyx" || got.Levels[1].Shape[0] != src.Shape[0] || strings.Join(got.Units, ",") != strings.Join(src.Units, ",") {
		t.Fatalf("pyramid of an OME-TIFF CZYX: %+v (input %+v)", got, src)
	}
	if got.Levels[0].Scale[1] != src.Levels[0].Scale[1] {
		t.Fatalf("physical scale lost: %v vs %v", got.Levels[0].Scale, src.Levels[0].Scale)
	}
}

// A label pyramid built into IMG/labels/NAME is registered in IMG/labels
// (0.5 and 0.4), so info lists it and zarr-python finds g["labels"]; an
// image output carries an omero block with one channel per channel index.
func TestLabelRegisteredAndOmero(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"0.5", "0.4"} {
		img := filepath.Join(dir, "img"+v)
		mustRun(t, "pyramid", "--ome-version", v, "--levels", "2", "synth:3x16x32x32?seed=1", img)
		mustRun(t, "pyramid", "--ome-version", v, "--levels", "2", "--label", "--method", "mode", "synth:3x16x32x32?labels=1&seed=1", filepath.Join(img, "labels", "cells"))
		mustRun(t, "pyramid", "--ome-version", v, "--levels", "2", "--label", "--method", "mode", "synth:3x16x32x32?labels=1&seed=2", filepath.Join(img, "labels", "nuclei"))
		var inf struct {
			Labels []string `json:"labels"`
		}
		json.Unmarshal([]byte(mustRun(t, "--json", "info", img).stdout), &inf)
		if strings.Join(inf.Labels, ",") != "cells,nuclei" {
			t.Fatalf("%s: labels %v", v, inf.Labels)
		}
		meta := "zarr.json"
		if v == "0.4" {
			meta = ".zattrs"
		}
		b, err := os.ReadFile(filepath.Join(img, meta))
		if err != nil || !bytes.Contains(b, []byte(`"omero"`)) || bytes.Count(b, []byte(`"window"`)) != 3 {
			t.Fatalf("%s: no omero block with 3 channels in %s: %s", v, meta, b)
		}
	}
	checkZarrPythonLabels(t, filepath.Join(dir, "img0.4"))
}

// convert of an OME-Zarr pyramid to .ome.tif writes a pyramidal OME-TIFF
// that tifffile reads as an OME series with our axes, levels and sizes.
func TestConvertToOMETIFF(t *testing.T) {
	py := testtool.PythonWith(t, "tifffile", "numpy")
	dir := t.TempDir()
	img := filepath.Join(dir, "img.ome.zarr")
	// OME-TIFF pyramids are per plane: reduce y and x only.
	mustRun(t, "pyramid", "--levels", "3", "--factor", "1,1,2,2", "synth:2x16x64x64?seed=3", img)
	out := filepath.Join(dir, "img.ome.tif")
	mustRun(t, "convert", "--codec", "gzip", img, out)
	script := `import sys, tifffile, numpy as np
with tifffile.TiffFile(sys.argv[1]) as f:
    s = f.series[0]
    print(f.is_ome, s.axes, len(s.levels), [list(l.shape) for l in s.levels])
    sys.stdout.flush()
    sys.stdout.buffer.write(np.ascontiguousarray(s.levels[1].asarray()).astype("<u2").tobytes())`
	b, err := exec.Command(py, "-c", script, out).Output()
	if err != nil {
		t.Fatalf("tifffile: %v", err)
	}
	line, data, _ := bytes.Cut(b, []byte("\n"))
	if string(line) != "True CZYX 3 [[2, 16, 64, 64], [2, 16, 32, 32], [2, 16, 16, 16]]" {
		t.Fatalf("tifffile sees %s", line)
	}
	if !bytes.Equal(data, readOut(t, filepath.Join(img, "1"))) {
		t.Fatal("OME-TIFF level 1 differs from the OME-Zarr level 1")
	}
	if r := run(t, "convert", img, out); r.code != exitExists {
		t.Fatalf("existing TIFF replaced without --overwrite: exit %d", r.code)
	}
}

// label refuses an image with a channel axis rather than joining objects
// of different channels.
func TestLabelRefusesChannels(t *testing.T) {
	r := run(t, "label", "synth:2x16x32x32?labels=1", filepath.Join(t.TempDir(), "out"))
	if r.code != exitUsage || !strings.Contains(r.stderr, `channel axis "c"`) {
		t.Fatalf("label of a CZYX image: exit %d %s", r.code, r.stderr)
	}
}
