package dataset

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/npy"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

// outputArray is what an Output reads and writes: a Zarr array, a .npy
// file being written, or the staging array of a TIFF.
type outputArray interface {
	nd.Reader
	WriteRegion(b nd.Box, src nd.Any) error
}

// formatOf picks an output format from a location's extension.
func formatOf(loc string) string {
	l := strings.ToLower(loc)
	switch {
	case strings.HasSuffix(l, ".npy"):
		return NPY
	case IsOMETIFF(l):
		return OMETIFF
	case strings.HasSuffix(l, ".tif"), strings.HasSuffix(l, ".tiff"):
		return TIFF
	}
	return OMEZarr
}

// localFile checks that a file output may be created at loc: a local path
// whose parent exists, and no file there unless the mode is Overwrite.
func localFile(loc string, s Spec) (string, error) {
	if strings.Contains(loc, "://") && !strings.HasPrefix(loc, "file://") {
		return "", fmt.Errorf("dataset: %s output %q: write to a local file", s.Format, loc)
	}
	p := strings.TrimPrefix(loc, "file://")
	if fi, err := os.Lstat(p); err == nil && (s.Mode != Overwrite || !fi.Mode().IsRegular()) {
		return "", fmt.Errorf("%w: %s; refusing to replace it without Overwrite", ErrExists, p)
	}
	if _, err := os.Stat(filepath.Dir(p)); err != nil {
		return "", fmt.Errorf("dataset: output %s: %w", p, err)
	}
	return p, nil
}

// npyOutput is a .npy file written region by region under a temporary
// name: the header first, the data as a sparse file of zeros that
// WriteRegion fills row by row; Commit syncs it and moves it into place.
type npyOutput struct {
	f          *os.File
	tmp, path  string
	hdr        int64
	dt         nd.DType
	shape      []int
	overwrite  bool
	dataLength int64
}

func createNPY(p string, s Spec) (*npyOutput, error) {
	hdr, err := npy.EncodeHeader(s.DType, s.Shape, false)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", p, err)
	}
	n, err := nd.CheckedBytes(s.Shape, s.DType.Size())
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", p, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".partial-*")
	if err != nil {
		return nil, fmt.Errorf("dataset: cannot create %s: %w", p, err)
	}
	o := &npyOutput{f: f, tmp: f.Name(), path: p, hdr: int64(len(hdr)), dt: s.DType, shape: slices.Clone(s.Shape),
		overwrite: s.Mode == Overwrite, dataLength: int64(n)}
	if _, err := f.Write(hdr); err == nil {
		err = f.Truncate(o.hdr + o.dataLength)
	}
	if err != nil {
		o.abort()
		return nil, fmt.Errorf("dataset: writing %s: %w", p, err)
	}
	return o, nil
}

func (o *npyOutput) DType() nd.DType { return o.dt }
func (o *npyOutput) Shape() []int    { return slices.Clone(o.shape) }

// WriteRegion writes src into box b, one row of the last axis at a time.
func (o *npyOutput) WriteRegion(b nd.Box, src nd.Any) error {
	if !nd.BoxOf(o.shape).Contains(b) || !slices.Equal(b.Shape(), src.Shape()) {
		return fmt.Errorf("dataset: %s: region %v (source %v) outside the array %v", o.path, b, src.Shape(), o.shape)
	}
	if b.Empty() {
		return nil
	}
	c := nd.NewAny(o.dt, b.Shape(), nd.C)
	if err := nd.CopyAny(c, src); err != nil {
		return err
	}
	raw, _ := nd.AsBytes(c)
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		raw = slices.Clone(raw)
		nd.SwapBytes(raw, o.dt.Size())
	}
	r := len(o.shape) - 1
	es := int64(o.dt.Size())
	row := int64(b.Max[r]-b.Min[r]) * es
	k := int64(0)
	for idx := range nd.NewBox(b.Min[:r], b.Max[:r]).Points() {
		lin := int64(0)
		for d, i := range idx {
			lin = lin*int64(o.shape[d]) + int64(i)
		}
		lin = lin*int64(o.shape[r]) + int64(b.Min[r])
		if _, err := o.f.WriteAt(raw[k*row:(k+1)*row], o.hdr+lin*es); err != nil {
			return fmt.Errorf("dataset: writing %s: %w", o.path, err)
		}
		k++
	}
	return nil
}

// ReadRegion reads back what was written (zeros elsewhere).
func (o *npyOutput) ReadRegion(b nd.Box, dst nd.Any) error {
	f, err := npy.Open(o.f, o.hdr+o.dataLength)
	if err != nil {
		return err
	}
	return f.ReadRegion(b, dst)
}

func (o *npyOutput) commit(context.Context) error {
	err := o.f.Sync()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("dataset: writing %s: %w", o.path, err)
	}
	defer os.Remove(o.tmp)
	return publish(o.tmp, o.path, o.overwrite)
}

func (o *npyOutput) abort() {
	o.f.Close()
	os.Remove(o.tmp)
}

// tiffOutput stages a TIFF in a hidden Zarr array beside the file (TIFF
// blocks are written once, in order); Commit writes the TIFF from it with
// WriteTIFF and removes the staging directory.
type tiffOutput struct {
	*zarr.Array
	stage, path string
	spec        Spec
	opt         TIFFOptions
}

func createTIFF(ctx context.Context, p string, s Spec) (*tiffOutput, error) {
	opt := TIFFOptions{Codec: s.Codec, Level: s.Level, OME: s.Format == OMETIFF, Overwrite: s.Mode == Overwrite}
	if opt.Codec == "gzip" {
		opt.Codec = "deflate"
	}
	if _, err := tiffWriterOptions(s.DType, opt); err != nil {
		return nil, err
	}
	if !opt.OME {
		if err := plainStackAxes(s.Axes); err != nil {
			return nil, fmt.Errorf("dataset: %s: %w", p, err)
		}
	}
	stage, err := os.MkdirTemp(filepath.Dir(p), "."+filepath.Base(p)+".partial-zarr-*")
	if err != nil {
		return nil, fmt.Errorf("dataset: cannot create %s: %w", p, err)
	}
	names := make([]string, len(s.Axes))
	for i, a := range s.Axes {
		names[i] = a.Name
	}
	m := zarr.Meta{ZarrFormat: 3, Shape: s.Shape, Chunks: s.Chunks, DType: s.DType, DimensionNames: names}
	a, err := zarr.Create(ctx, store.NewFile(stage), "", m, nil)
	if err != nil {
		os.RemoveAll(stage)
		return nil, err
	}
	return &tiffOutput{Array: a, stage: stage, path: p, spec: s, opt: opt}, nil
}

func (o *tiffOutput) commit(ctx context.Context) error {
	defer os.RemoveAll(o.stage)
	im := &Image{Reader: o.Array, Axes: o.spec.Axes, Levels: []Level{arrayLevel(o.Array, "")}}
	return WriteTIFF(ctx, im, o.path, o.opt)
}

// plainStackAxes checks that a plain TIFF stack can hold the axes.
func plainStackAxes(axes []nd.Axis) error {
	names := ""
	for _, a := range axes {
		names += a.Name
	}
	if names != "zyx" && names != "yx" {
		return errors.New("a plain TIFF stack holds (z, y, x) or (y, x) images, this one has axes " + fmt.Sprintf("%q", names) + ": write an OME-TIFF (.ome.tif) instead")
	}
	return nil
}
