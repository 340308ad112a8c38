package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

// Output formats for Create.
const (
	OMEZarr   = "ome-zarr"     // OME-Zarr 0.5 on Zarr v3 (the default)
	OMEZarr04 = "ome-zarr-0.4" // OME-Zarr 0.4 on Zarr v2, for zarr-python 2 and older viewers
	Zarr3     = "zarr3"        // a plain Zarr v3 array
	Zarr2     = "zarr2"        // a plain Zarr v2 array
	TIFF      = "tiff"         // a plain (Big)TIFF stack with an ImageJ description (z, y, x or y, x)
	OMETIFF   = "ome-tiff"     // a tiled (Big)OME-TIFF of any axes
	NPY       = "npy"          // a NumPy .npy file
)

// Mode says what Create does with an existing output.
type Mode int

const (
	// CreateNew refuses any existing output: any key at the location.
	CreateNew Mode = iota
	// Overwrite deletes the Zarr hierarchy at the location first, and
	// refuses, deleting nothing, when it holds files no Zarr node owns.
	Overwrite
)

// Spec describes an output for Create. Zero fields get defaults.
type Spec struct {
	Shape []int
	DType nd.DType
	// Axes default to nd.DefaultAxes (t, c, z, y, x from the right).
	Axes []nd.Axis
	// Chunks default to 1 on channel and time axes and 64 (volumes) or
	// 256 (planes) on space axes, clipped to the shape.
	Chunks []int
	// Codec is a compressor name (see codec.Parse; default "zstd", and
	// "deflate" for TIFF) and Level its level (0: the codec's default).
	Codec string
	Level int
	// Format is OMEZarr, OMEZarr04, Zarr3, Zarr2, TIFF, OMETIFF or NPY
	// (default: from the location's extension, .npy, .ome.tif, .tif;
	// OMEZarr otherwise). File formats (TIFF, NPY) are written under a
	// temporary name and appear under theirs at Commit; a TIFF is staged
	// in a hidden Zarr array beside it and written at Commit.
	Format string
	Mode   Mode
	// Name is the OME image name.
	Name string
}

// Output is an array being written. It is an nd.Reader and nd.Writer;
// it is an image to other readers only once Commit has run.
type Output struct {
	outputArray
	st     store.Store
	path   string
	spec   Spec
	commit func(context.Context) error // file formats
	abort  func()
}

// Abort gives up an output that will not be committed: a file output's
// temporary file (or TIFF staging directory) is removed; a Zarr output
// stays as it is, which readers see as incomplete (no OME metadata).
func (o *Output) Abort() {
	if o.abort != nil {
		o.abort()
	}
}

// Compression returns the codec chain of a compressor name for elements
// of dt (see codec.Parse), as Create and the command line spell it.
func Compression(name string, level int, dt nd.DType) ([]codec.Codec, error) {
	return codec.Parse(name, level, dt.Size())
}

// DefaultChunks returns the default chunk shape for an image of this
// shape and these axes: 1 on channel and time axes, and per space axis 64
// for volumes or 256 for planes, clipped to the shape.
func DefaultChunks(shape []int, axes []nd.Axis) []int {
	edge := 64
	if len(nd.SpaceAxes(axes)) <= 2 {
		edge = 256
	}
	ch := make([]int, len(shape))
	for i := range ch {
		ch[i] = 1
		if axes[i].IsSpace() {
			ch[i] = min(edge, shape[i])
		}
	}
	return ch
}

// Create makes a new output array at loc (a local directory or an s3://
// location), like zarr.open(mode="w") but with the safety of ryomen's
// outputs: an existing output is refused unless Mode is Overwrite, and
// overwrite deletes only what a Zarr hierarchy owns. The output is marked
// complete (its OME metadata written) only by Commit.
func Create(ctx context.Context, loc string, s Spec) (*Output, error) {
	if s.Format == "" {
		s.Format = formatOf(loc)
	}
	if err := s.fill(); err != nil {
		return nil, fmt.Errorf("dataset: creating %s: %w", loc, err)
	}
	switch s.Format {
	case NPY, TIFF, OMETIFF:
		return createFile(ctx, loc, s)
	}
	st, p, err := outputStore(ctx, loc)
	if err != nil {
		return nil, err
	}
	prefix := ""
	if p != "" {
		prefix = p + "/"
	}
	keys, err := store.ListFirst(ctx, st, prefix, 1)
	if err != nil {
		return nil, err
	}
	if len(keys) > 0 {
		if s.Mode != Overwrite {
			return nil, fmt.Errorf("%w: %s holds %q; refusing to replace it without Overwrite", ErrExists, loc, keys[0])
		}
		if err := zarr.Clear(ctx, st, p, zarr.ClearOptions{Private: func(k string) bool { return strings.Contains("/"+k, "/.ryomen/") }}); err != nil {
			return nil, fmt.Errorf("dataset: overwriting %s: %w", loc, err)
		}
	}
	level := s.Level
	if level == 0 {
		level = -1
	}
	cs, err := Compression(s.Codec, level, s.DType)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(s.Axes))
	for i, a := range s.Axes {
		names[i] = a.Name
	}
	m := zarr.Meta{ZarrFormat: 3, Shape: s.Shape, Chunks: s.Chunks, DType: s.DType, DimensionNames: names, Codecs: cs}
	arrPath := p
	if s.Format == OMEZarr || s.Format == OMEZarr04 {
		arrPath = joinKey(p, "0")
	}
	if s.Format == OMEZarr04 || s.Format == Zarr2 {
		if len(cs) > 1 {
			return nil, fmt.Errorf("dataset: %s takes one compressor, %q gives %d codecs", s.Format, s.Codec, len(cs))
		}
		m = zarr.Meta{ZarrFormat: 2, Shape: s.Shape, Chunks: s.Chunks, DType: s.DType, DimensionSeparator: "/"}
		if len(cs) == 1 {
			m.Compressor = cs[0]
		}
	}
	a, err := zarr.Create(ctx, st, arrPath, m, nil)
	if err != nil {
		return nil, err
	}
	return &Output{outputArray: a, st: st, path: p, spec: s}, nil
}

// createFile creates a file output (NPY, TIFF, OMETIFF).
func createFile(ctx context.Context, loc string, s Spec) (*Output, error) {
	p, err := localFile(loc, s)
	if err != nil {
		return nil, err
	}
	if s.Format == NPY {
		o, err := createNPY(p, s)
		if err != nil {
			return nil, err
		}
		return &Output{outputArray: o, path: p, spec: s, commit: o.commit, abort: o.abort}, nil
	}
	o, err := createTIFF(ctx, p, s)
	if err != nil {
		return nil, err
	}
	return &Output{outputArray: o, path: p, spec: s, commit: o.commit, abort: func() { os.RemoveAll(o.stage) }}, nil
}

func (s *Spec) fill() error {
	if len(s.Shape) == 0 {
		return errors.New("Spec.Shape is empty")
	}
	if !s.DType.Valid() {
		return fmt.Errorf("Spec.DType %v is not a dtype", s.DType)
	}
	if s.Axes == nil {
		s.Axes = nd.DefaultAxes(len(s.Shape))
	}
	if err := nd.CheckAxes(s.Axes, len(s.Shape)); err != nil {
		return fmt.Errorf("Spec.Axes: %w", err)
	}
	if s.Chunks == nil {
		s.Chunks = DefaultChunks(s.Shape, s.Axes)
	}
	if len(s.Chunks) != len(s.Shape) {
		return fmt.Errorf("Spec.Chunks %v do not match Spec.Shape %v", s.Chunks, s.Shape)
	}
	if s.Codec == "" {
		// zstd for Zarr; deflate for TIFF, which every TIFF reader
		// decodes (tifffile needs imagecodecs for zstd, Fiji's own reader
		// has none).
		s.Codec = "zstd"
		if s.Format == TIFF || s.Format == OMETIFF {
			s.Codec = "deflate"
		}
	}
	switch s.Format {
	case "":
		s.Format = OMEZarr
	case OMEZarr, OMEZarr04, Zarr3, Zarr2, TIFF, OMETIFF, NPY:
	default:
		return fmt.Errorf("Spec.Format %q: want %s, %s, %s, %s, %s, %s or %s", s.Format, OMEZarr, OMEZarr04, Zarr3, Zarr2, TIFF, OMETIFF, NPY)
	}
	return nil
}

// Commit makes the output complete: it flushes every chunk to stable
// storage and then writes the OME metadata that makes the location an
// image (for the OME formats).
func (o *Output) Commit(ctx context.Context) error {
	if o.commit != nil {
		return o.commit(ctx)
	}
	if err := store.Flush(ctx, o.st); err != nil {
		return err
	}
	if o.spec.Format != OMEZarr && o.spec.Format != OMEZarr04 {
		return nil
	}
	axes := make([]ome.Axis, len(o.spec.Axes))
	scale := make([]float64, len(axes))
	for i, a := range o.spec.Axes {
		axes[i], scale[i] = ome.Axis{Name: a.Name, Type: string(a.Type), Unit: a.Unit}, a.PhysicalScale()
	}
	lv, err := ome.Levels(o.spec.Shape, scale, nil, "")
	if err != nil {
		return err
	}
	v := ome.V05
	if o.spec.Format == OMEZarr04 {
		v = ome.V04
	}
	img := ome.Image{Version: v, Multiscales: []ome.Multiscale{ome.NewMultiscale(o.spec.Name, axes, lv, "")}}
	if err := ome.Write(ctx, o.st, o.path, img); err != nil {
		return err
	}
	return store.Flush(ctx, o.st)
}

// outputStore returns the store and path of an output location: inside an
// existing Zarr hierarchy the store is the hierarchy's root.
func outputStore(ctx context.Context, loc string) (store.Store, string, error) {
	if strings.HasPrefix(loc, "s3://") || strings.HasPrefix(loc, "mem://") {
		st, err := store.Open(ctx, loc)
		return st, "", err
	}
	if strings.Contains(loc, "://") && !strings.HasPrefix(loc, "file://") {
		return nil, "", fmt.Errorf("dataset: output %q: write to a directory or an s3:// location", loc)
	}
	root, inner := SplitPath(strings.TrimPrefix(loc, "file://"))
	return store.NewFile(root), inner, nil
}
