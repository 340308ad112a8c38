package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/npy"
	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/synth"
	"github.com/ryomen-dev/ryomen/zarr"
)

// source is an opened input: the array plus what we know about its axes.
type source struct {
	r      nd.Reader
	format string
	axes   []ome.Axis
	scale  []float64
	zarr   *zarr.Array
	img    *ome.Image
}

// splitPath separates a local directory holding a Zarr hierarchy from a path
// inside it: "out.zarr/labels/cells" -> store "out.zarr", path
// "labels/cells". The store root is the outermost directory with a
// zarr.json or .zgroup/.zarray.
func splitPath(p string) (root, inner string) {
	p = filepath.Clean(p)
	root, inner = p, ""
	cur := p
	for {
		for _, m := range []string{"zarr.json", ".zgroup", ".zarray"} {
			if _, err := os.Stat(filepath.Join(cur, m)); err == nil {
				root = cur
				rel, _ := filepath.Rel(cur, p)
				if rel == "." {
					rel = ""
				}
				inner = filepath.ToSlash(rel)
			}
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return root, inner
		}
		cur = parent
	}
}

// openSource opens IN: a Zarr array, an OME-Zarr image (level 0), or a
// synthetic volume "synth:ZxYxX[?seed=1&labels=1|dtype=uint8]".
func openSource(ctx context.Context, in string) (*source, error) {
	if strings.HasPrefix(in, "synth:") {
		u, err := url.Parse(in)
		if err != nil {
			return nil, usagef("bad synth URL %q: %v", in, err)
		}
		spec := u.Opaque
		var shape []int
		for _, f := range strings.Split(spec, "x") {
			n, err := strconv.Atoi(f)
			if err != nil || n <= 0 {
				return nil, usagef("bad synth shape %q: want e.g. synth:128x256x256", spec)
			}
			shape = append(shape, n)
		}
		seed, _ := strconv.ParseUint(u.Query().Get("seed"), 10, 64)
		v, err := synth.New(synth.Params{Shape: shape, Seed: seed})
		if err != nil {
			return nil, usageError{err}
		}
		s := &source{format: "synthetic", axes: spaceAxes(), scale: []float64{1, 1, 1}, r: v.Image()}
		switch q := u.Query(); {
		case q.Get("labels") != "":
			s.r = v.Labels()
		case q.Get("dtype") == "uint8":
			s.r = v.Image8()
		case q.Get("dtype") != "" && q.Get("dtype") != "uint16":
			return nil, usagef("synth dtype %q: want uint16 (default) or uint8", q.Get("dtype"))
		}
		return s, nil
	}
	if strings.HasSuffix(in, ".npy") {
		return openNPY(in)
	}
	if isTIFF(in) {
		return openTIFF(in)
	}
	if strings.Contains(in, "://") {
		// http(s)://, s3://, file:// locations of a Zarr array or image.
		st, err := store.Open(ctx, in)
		if err != nil {
			return nil, usageError{err}
		}
		return openZarr(ctx, st, "", in)
	}
	if _, err := os.Stat(in); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("input %q does not exist", in)
		}
		return nil, err
	}
	root, inner := splitPath(in)
	return openZarr(ctx, store.NewFile(root), inner, in)
}

func openZarr(ctx context.Context, st store.Store, inner, name string) (*source, error) {
	if img, err := ome.Read(ctx, st, inner); err == nil && len(img.Multiscales) > 0 && len(img.Multiscales[0].Datasets) > 0 {
		ms := img.Multiscales[0]
		ds := ms.Datasets[0]
		a, err := zarr.Open(ctx, st, joinKey(inner, ds.Path))
		if err != nil {
			return nil, fmt.Errorf("%s: level %s: %w", name, ds.Path, err)
		}
		s := &source{r: a, zarr: a, format: "OME-Zarr " + img.Version, axes: ms.Axes, img: img}
		for _, t := range ds.CoordinateTransformations {
			if t.Type == "scale" {
				s.scale = t.Scale
			}
		}
		return s, nil
	}
	a, err := zarr.Open(ctx, st, inner)
	if err != nil {
		return nil, fmt.Errorf("%s: not a Zarr array or OME-Zarr image: %w", name, err)
	}
	s := &source{r: a, zarr: a, format: fmt.Sprintf("Zarr v%d", a.Meta().ZarrFormat), axes: defaultAxes(len(a.Shape()), a.Meta().DimensionNames)}
	return s, nil
}

// defaultAxes names the axes of an array without OME metadata the way
// NGFF orders them: (t, c, z, y, x) from the right, micrometre units on
// space axes; dimension names, when given, win.
func defaultAxes(rank int, names []string) []ome.Axis {
	std := []ome.Axis{{Name: "t", Type: "time"}, {Name: "c", Type: "channel"},
		{Name: "z", Type: "space", Unit: "micrometer"}, {Name: "y", Type: "space", Unit: "micrometer"},
		{Name: "x", Type: "space", Unit: "micrometer"}}
	axes := make([]ome.Axis, rank)
	for i := range axes {
		if j := len(std) - rank + i; j >= 0 {
			axes[i] = std[j]
		} else {
			axes[i] = ome.Axis{Name: fmt.Sprintf("dim_%d", i), Type: "space"}
		}
		if i < len(names) && names[i] != "" {
			axes[i].Name = names[i]
		}
	}
	return axes
}

// openNPY loads a .npy file (whole: .npy has no chunks) as a source.
func openNPY(path string) (*source, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, ok := a.(nd.Reader)
	if !ok {
		return nil, fmt.Errorf("%s: array type %T cannot be read", path, a)
	}
	scale := make([]float64, a.Rank())
	for i := range scale {
		scale[i] = 1
	}
	return &source{r: r, format: "npy", axes: defaultAxes(a.Rank(), nil), scale: scale}, nil
}

func joinKey(a, b string) string {
	if a == "" {
		return b
	}
	return strings.TrimSuffix(a, "/") + "/" + b
}

func spaceAxes() []ome.Axis {
	return []ome.Axis{
		{Name: "z", Type: "space", Unit: "micrometer"},
		{Name: "y", Type: "space", Unit: "micrometer"},
		{Name: "x", Type: "space", Unit: "micrometer"},
	}
}

// openOutput returns the store for an output: a local directory (checked
// to be writable) or an s3:// location.
func openOutput(out string) (store.Store, string, error) {
	if out == "" {
		return nil, "", usagef("missing output path")
	}
	if strings.HasPrefix(out, "s3://") || strings.HasPrefix(out, "mem://") {
		st, err := store.Open(context.Background(), out)
		return st, "", err
	}
	if strings.Contains(out, "://") && !strings.HasPrefix(out, "file://") {
		return nil, "", usagef("output %q: write to a directory or an s3:// location", out)
	}
	out = strings.TrimPrefix(out, "file://")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, "", fmt.Errorf("cannot create output %q: %w", out, err)
	}
	f, err := os.CreateTemp(out, ".ryomen-probe-*")
	if err != nil {
		return nil, "", fmt.Errorf("output %q is not writable: %w", out, err)
	}
	f.Close()
	os.Remove(f.Name())
	return store.NewFile(out), "", nil
}
