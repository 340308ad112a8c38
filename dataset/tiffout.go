package dataset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tiff"
)

// ErrExists is returned (wrapped) when an output exists and may not be
// replaced.
var ErrExists = errors.New("dataset: output exists")

// TIFFOptions describe a TIFF output.
type TIFFOptions struct {
	// Codec is "none" (or ""), "zstd", "deflate" (or "gzip"), "lzw" or
	// "packbits"; Level its level (0: the codec's default).
	Codec string
	Level int
	// OME writes an OME-TIFF: OME-XML with the axes, physical sizes and
	// channel names, tiles, and the image's levels as SubIFDs (those
	// reduced in y and x only: OME-TIFF pyramids are per plane). Without
	// it, a (z,) y, x image is written as a plain stack with an ImageJ
	// description (Fiji opens it as a z stack); other axes need OME.
	OME bool
	// Overwrite replaces an existing file at the path.
	Overwrite bool
}

// IsOMETIFF reports whether a path names an OME-TIFF by its extension.
func IsOMETIFF(p string) bool {
	l := strings.ToLower(p)
	return strings.HasSuffix(l, ".ome.tif") || strings.HasSuffix(l, ".ome.tiff")
}

// WriteTIFF writes im to the local file p. The file appears under its name
// only when complete and synced: it is written under a private temporary
// name and then linked (or, with Overwrite, renamed) into place, so a
// killed run leaves no half file and two runs never share one.
func WriteTIFF(ctx context.Context, im *Image, p string, o TIFFOptions) error {
	if fi, err := os.Lstat(p); err == nil && (!o.Overwrite || !fi.Mode().IsRegular()) {
		return fmt.Errorf("%w: %s", ErrExists, p)
	}
	opt, err := tiffWriterOptions(im.DType(), o)
	if err != nil {
		return err
	}
	fh, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".partial-*")
	if err != nil {
		return fmt.Errorf("dataset: cannot create %s: %w", p, err)
	}
	tmp := fh.Name()
	defer os.Remove(tmp)
	if o.OME {
		levels := planeLevels(im)
		err = tiff.WriteOME(fh, tiff.OMEImage{Axes: im.Axes, Channels: im.Channels, Levels: levels}, opt)
	} else {
		err = writeStack(ctx, fh, im, opt)
	}
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("dataset: writing %s: %w", p, err)
	}
	return publish(tmp, p, o.Overwrite)
}

// planeLevels returns the levels of im that an OME-TIFF can hold as
// SubIFDs: those reduced along y and x only (a level that also reduced z,
// c or t, and every level after it, is left out).
func planeLevels(im *Image) []nd.Reader {
	base := im.Levels[0].Shape()
	var out []nd.Reader
	for _, l := range im.Levels {
		sh := l.Shape()
		for i := range len(sh) - 2 {
			if sh[i] != base[i] {
				return out
			}
		}
		out = append(out, l.Reader)
	}
	return out
}

func tiffWriterOptions(dt nd.DType, o TIFFOptions) (tiff.WriterOptions, error) {
	var opt tiff.WriterOptions
	switch o.Codec {
	case "none", "":
	case "zstd":
		opt.Compression = tiff.CompressionZstd
	case "gzip", "deflate":
		opt.Compression = tiff.CompressionDeflate
	case "lzw":
		opt.Compression = tiff.CompressionLZW
	case "packbits":
		opt.Compression = tiff.CompressionPackBits
	default:
		return opt, fmt.Errorf("dataset: TIFF codec %q: want none, zstd, deflate (gzip), lzw or packbits", o.Codec)
	}
	opt.Level = max(o.Level, 0)
	switch {
	case opt.Compression == 0 || opt.Compression == tiff.CompressionPackBits:
	case !dt.IsFloat():
		opt.Predictor = tiff.PredictorHorizontal
	case opt.Compression == tiff.CompressionZstd:
		// Readers that decode zstd (imagecodecs) also undo the
		// floating-point predictor; with deflate or LZW floats go
		// unpredicted, so that tifffile without imagecodecs, Fiji and
		// libtiff-only readers open them.
		opt.Predictor = tiff.PredictorFloat
	}
	return opt, nil
}

// writeStack writes a (z,) y, x image page by page with an ImageJ
// description.
func writeStack(ctx context.Context, fh *os.File, im *Image, opt tiff.WriterOptions) error {
	shape := im.Shape()
	if err := plainStackAxes(im.Axes); err != nil {
		return err
	}
	if len(shape) == 2 {
		shape = append([]int{1}, shape...)
	}
	// Strips unless the planes are huge: ImageJ's own reader (not only
	// Bio-Formats) opens striped stacks; tiles pay off for big planes.
	opt.Pages, opt.ImageJ = shape[0], true
	if shape[1] > 8192 || shape[2] > 8192 {
		opt.TileWidth, opt.TileLength = 256, 256
	}
	if a := im.Axes[0]; len(im.Axes) == 3 && a.Scale > 0 {
		opt.ZSpacing, opt.Unit = a.Scale, "micron"
	}
	w, err := tiff.NewWriter(fh, opt)
	if err != nil {
		return err
	}
	plane := make([]int, len(im.Shape()))
	for z := range shape[0] {
		if err := ctx.Err(); err != nil {
			return err
		}
		lo, hi := plane, im.Shape()
		if len(hi) == 3 {
			lo[0], hi[0] = z, z+1
		}
		b := nd.NewBox(lo, hi)
		buf, err := nd.NewAnyChecked(im.DType(), b.Shape(), nd.C)
		if err != nil {
			return err
		}
		if err := im.ReadRegion(b, buf); err != nil {
			return fmt.Errorf("reading plane %d: %w", z, err)
		}
		raw, _ := nd.AsBytes(buf)
		page, err := nd.FromBytes(buf.DType(), shape[1:], nd.C, raw)
		if err != nil {
			return err
		}
		if err := w.WritePage(page); err != nil {
			return fmt.Errorf("plane %d: %w", z, err)
		}
	}
	return w.Close()
}

// publish gives the finished, synced file tmp its final name: by a hard
// link that fails if the name appeared meanwhile, or by a rename over it
// with overwrite; then it syncs the directory so the name is durable.
func publish(tmp, out string, overwrite bool) error {
	if overwrite {
		if err := os.Rename(tmp, out); err != nil {
			return err
		}
	} else if err := os.Link(tmp, out); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s (created by another process meanwhile)", ErrExists, out)
		}
		return err
	}
	d, err := os.Open(filepath.Dir(out))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
