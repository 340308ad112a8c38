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
	"github.com/ryomen-dev/ryomen/pyramid"
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
	// id is the input's canonical location and content fingerprint, for
	// the output's run record and the in-place check; local is its local
	// path ("" when not on the local file system).
	id    pyramid.Source
	local string
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
		// Synthetic volumes are a pure function of their URL.
		s.id.Location = "synth:" + spec + "?" + u.Query().Encode()
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
	if strings.HasSuffix(in, ".npy") || isTIFF(in) {
		open := openNPY
		if isTIFF(in) {
			open = openTIFF
		}
		s, err := open(in)
		if err != nil {
			return nil, err
		}
		return s, s.identifyFile(in)
	}
	if strings.Contains(in, "://") {
		// http(s)://, s3://, file:// locations of a Zarr array or image.
		st, err := store.Open(ctx, in)
		if err != nil {
			return nil, usageError{err}
		}
		s, err := openZarr(ctx, st, "", in)
		if err != nil {
			return nil, err
		}
		return s, s.identifyZarr(ctx, st, "")
	}
	if _, err := os.Stat(in); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("input %q does not exist", in)
		}
		return nil, err
	}
	root, inner := splitPath(in)
	st := store.NewFile(root)
	s, err := openZarr(ctx, st, inner, in)
	if err != nil {
		return nil, err
	}
	s.local = in
	return s, s.identifyZarr(ctx, st, inner)
}

// identifyFile records the location and fingerprint of a one-file input.
func (s *source) identifyFile(p string) error {
	loc, err := store.FileLocation(p)
	if err != nil {
		return err
	}
	fp, err := store.FileFingerprint(p)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	s.id, s.local = pyramid.Source{Location: loc, Fingerprint: fp}, p
	return nil
}

// fingerprintSample is how many chunks of a Zarr input the fingerprint
// stats: enough to notice a regenerated input, few enough to cost
// nothing next to the build.
const fingerprintSample = 64

// identifyZarr records the location and fingerprint of a Zarr input at
// inner in st: its group and array metadata and the sizes and times (or
// ETags) of a spread of its chunks.
func (s *source) identifyZarr(ctx context.Context, st store.Store, inner string) error {
	loc, _ := store.Location(st)
	meta := s.zarr.MetadataKeys()
	if s.img != nil {
		meta = append(meta, joinKey(inner, "zarr.json"), joinKey(inner, ".zattrs"))
	}
	fp, err := store.Fingerprint(ctx, st, meta, s.zarr.SampleKeys(fingerprintSample))
	if err != nil {
		return fmt.Errorf("fingerprinting the input: %w", err)
	}
	s.id = pyramid.Source{Location: store.Join(loc, inner), Fingerprint: fp}
	return nil
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
		if _, perr := st.GetRange(ctx, joinKey(inner, ".ryomen/plan.json"), 0, 1); perr == nil {
			return nil, fmt.Errorf("%w: %s has no final metadata yet (a run is going on, or was killed: finish it with --resume)", errIncomplete, name)
		}
		return nil, fmt.Errorf("%s: not a Zarr array or OME-Zarr image: %w", name, err)
	}
	s := &source{r: a, zarr: a, format: fmt.Sprintf("Zarr v%d", a.Meta().ZarrFormat), axes: defaultAxes(len(a.Shape()), a.Meta().DimensionNames)}
	return s, nil
}

// errIncomplete marks an output that a ryomen run has not finished.
var errIncomplete = errors.New("unfinished ryomen output")

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

// output is an opened output location.
type output struct {
	st    store.Store
	loc   string // canonical location
	local string // local path, "" for object stores
}

// openOutput returns the store for an output: a local directory (checked
// to be writable) or an s3:// location. It refuses an output that is the
// input, contains it or lies inside it, however either is spelled, before
// creating anything.
func openOutput(ctx context.Context, out string, src *source) (*output, error) {
	if out == "" {
		return nil, usagef("missing output path")
	}
	var o output
	switch {
	case strings.HasPrefix(out, "s3://"), strings.HasPrefix(out, "mem://"):
		st, err := store.Open(ctx, out)
		if err != nil {
			return nil, err
		}
		o.st = st
		o.loc, _ = store.Location(st)
	case strings.Contains(out, "://") && !strings.HasPrefix(out, "file://"):
		return nil, usagef("output %q: write to a directory or an s3:// location", out)
	default:
		o.local = strings.TrimPrefix(out, "file://")
		loc, err := store.FileLocation(o.local)
		if err != nil {
			return nil, err
		}
		o.loc = loc
	}
	if err := checkInPlace(src, &o, out); err != nil {
		return nil, err
	}
	if o.st != nil {
		return &o, nil
	}
	if fi, err := os.Stat(o.local); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%w: output %q is a file, not a directory; refusing to replace it", pyramid.ErrExists, out)
	}
	if err := os.MkdirAll(o.local, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create output %q: %w", out, err)
	}
	f, err := os.CreateTemp(o.local, ".ryomen-probe-*")
	if err != nil {
		return nil, fmt.Errorf("output %q is not writable: %w", out, err)
	}
	f.Close()
	os.Remove(f.Name())
	o.st = store.NewFile(o.local)
	return &o, nil
}

// checkInPlace refuses an output that overlaps the input.
func checkInPlace(src *source, o *output, out string) error {
	if src == nil {
		return nil
	}
	clash := src.id.Location != "" && store.Overlap(src.id.Location, o.loc)
	if !clash && src.local != "" && o.local != "" {
		clash = store.SameFileAncestor(src.local, o.local)
	}
	if clash {
		return usagef("output %q overlaps the input %s: writing it would destroy the input; choose an output outside the input", out, src.id.Location)
	}
	return nil
}
