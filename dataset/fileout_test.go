package dataset_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/internal/testtool"
	"github.com/ryomen-dev/ryomen/nd"
)

// File outputs (.npy, .tif, .ome.tif) are written region by region in any
// order, appear under their name only at Commit, read back exactly with
// numpy and tifffile, and refuse an existing file without Overwrite.
func TestCreateFiles(t *testing.T) {
	ctx := context.Background()
	py := testtool.PythonWith(t, "numpy", "tifffile")
	dir := t.TempDir()
	cases := []struct {
		name string
		axes string
		dt   nd.DType
		read string // python expression of the array read back
	}{
		{"a.npy", "zyx", nd.Int16, "numpy.load(p)"},
		{"b.tif", "zyx", nd.Uint16, "tifffile.imread(p)"},
		{"c.ome.tif", "czyx", nd.Float32, "tifffile.imread(p)"},
	}
	for _, c := range cases {
		shape := []int{5, 6, 7}
		if len(c.axes) == 4 {
			shape = []int{2, 5, 6, 7}
		}
		axes := nd.AxesFromNames(strings.Split(c.axes, ""))
		p := filepath.Join(dir, c.name)
		out, err := dataset.Create(ctx, p, dataset.Spec{Shape: shape, DType: c.dt, Axes: axes, Chunks: shape})
		if err != nil {
			t.Fatal(err)
		}
		want := nd.NewAny(c.dt, shape, nd.C)
		vals := nd.New[float64](shape, nd.C)
		for i := range vals.Data() {
			vals.Data()[i] = float64((i*37)%1000 - 300)
		}
		if c.dt == nd.Uint16 {
			for i := range vals.Data() {
				vals.Data()[i] = float64((i * 37) % 1000)
			}
		}
		nd.ConvertAny(want, vals)
		// Two halves along the last axis, the second first.
		r := len(shape) - 1
		lo, hi := nd.BoxOf(shape), nd.BoxOf(shape)
		lo.Max[r], hi.Min[r] = 3, 3
		for _, b := range []nd.Box{hi, lo} {
			if err := out.WriteRegion(b, want.View(b)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists before Commit", c.name)
		}
		if err := out.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		im, err := dataset.Open(ctx, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := readAll(t, im)
		im.Close()
		if bytesOf(got) != bytesOf(want) || got.DType() != c.dt {
			t.Errorf("%s: read back differs", c.name)
		}
		// The reference reader: the sum and shape agree with ours.
		script := "import numpy, tifffile, sys\np=sys.argv[1]\na=" + c.read + "\nprint(a.dtype, a.shape, int(a.astype('int64').sum()))"
		res, err := exec.Command(py, "-c", script, p).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.name, err, res)
		}
		var sum int64
		for _, v := range vals.Data() {
			sum += int64(v)
		}
		if s := strings.TrimSpace(string(res)); !strings.HasSuffix(s, " "+itoa(sum)) || !strings.Contains(s, c.dt.String()) {
			t.Errorf("%s: numpy/tifffile read %q, want dtype %s and sum %d", c.name, s, c.dt, sum)
		}
		_, err = dataset.Create(ctx, p, dataset.Spec{Shape: shape, DType: c.dt, Axes: axes})
		if !errors.Is(err, dataset.ErrExists) {
			t.Errorf("%s: creating over it: %v, want ErrExists", c.name, err)
		}
		again, err := dataset.Create(ctx, p, dataset.Spec{Shape: shape, DType: c.dt, Axes: axes, Mode: dataset.Overwrite})
		if err != nil {
			t.Fatalf("%s: overwrite: %v", c.name, err)
		}
		again.Abort()
		if im, err := dataset.Open(ctx, p, nil); err != nil || bytesOf(readAll(t, im)) != bytesOf(want) {
			t.Errorf("%s: an aborted overwrite changed the file (%v)", c.name, err)
		} else {
			im.Close()
		}
	}
	// A plain TIFF stack cannot hold a channel axis.
	_, err := dataset.Create(ctx, filepath.Join(dir, "d.tif"), dataset.Spec{Shape: []int{2, 4, 4}, DType: nd.Uint8, Axes: nd.AxesFromNames([]string{"c", "y", "x"})})
	if err == nil || !strings.Contains(err.Error(), "OME-TIFF") {
		t.Errorf("cyx plain TIFF: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*partial*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func itoa(v int64) string {
	b := []byte{}
	neg := v < 0
	if neg {
		v = -v
	}
	for {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
		if v == 0 {
			break
		}
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}
