package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/tiff"
)

func isTIFF(p string) bool { return dataset.IsTIFF(p) }

// writeTIFF copies src into a tiled TIFF stack, one z plane at a time.
func writeTIFF(ctx context.Context, src *source, out string, f pyrFlags) error {
	shape := src.r.Shape()
	if len(shape) != 3 && len(shape) != 4 {
		return usagef("TIFF output needs a (z, y, x) or (z, y, x, samples) image, got shape %v", shape)
	}
	loc, err := store.FileLocation(out)
	if err != nil {
		return err
	}
	if err := checkInPlace(src, &output{loc: loc, local: out}, out); err != nil {
		return err
	}
	if fi, err := os.Lstat(out); err == nil && (!f.overwrite || !fi.Mode().IsRegular()) {
		return fmt.Errorf("%w: %s", pyramid.ErrExists, out)
	}
	// Strips unless the planes are huge: ImageJ's own reader (not only
	// Bio-Formats) opens striped stacks; tiles pay off for big planes.
	opt := tiff.WriterOptions{Pages: shape[0], ImageJ: len(shape) == 3}
	if shape[1] > 8192 || shape[2] > 8192 {
		opt.TileWidth, opt.TileLength = 256, 256
	}
	switch f.codec {
	case "none", "":
	case "zstd":
		opt.Compression = tiff.CompressionZstd
	case "gzip", "deflate":
		opt.Compression = tiff.CompressionDeflate
	default:
		return usagef("--codec %q for TIFF output: want none, zstd or gzip (deflate)", f.codec)
	}
	if f.level > 0 {
		opt.Level = f.level
	}
	if opt.Compression != 0 {
		opt.Predictor = tiff.PredictorHorizontal
		if src.r.DType().IsFloat() {
			opt.Predictor = tiff.PredictorFloat
		}
	}
	if src.scale != nil && src.scale[0] > 0 {
		opt.ZSpacing, opt.Unit = src.scale[0], "micron"
	}
	// A private temporary name: a concurrent or killed run never shares it.
	fh, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".partial-*")
	if err != nil {
		return fmt.Errorf("cannot create output %q: %w", out, err)
	}
	tmp := fh.Name()
	defer os.Remove(tmp)
	w, err := tiff.NewWriter(fh, opt)
	if err != nil {
		fh.Close()
		return err
	}
	start := time.Now()
	plane := nd.BoxOf(shape)
	for z := 0; z < shape[0]; z++ {
		if err := ctx.Err(); err != nil {
			fh.Close()
			return err
		}
		plane.Min[0], plane.Max[0] = z, z+1
		buf := nd.NewAny(src.r.DType(), plane.Shape(), nd.C)
		if err := src.r.ReadRegion(plane, buf); err != nil {
			fh.Close()
			return fmt.Errorf("reading plane %d: %w", z, err)
		}
		raw, _ := nd.AsBytes(buf)
		page, err := nd.FromBytes(buf.DType(), plane.Shape()[1:], nd.C, raw)
		if err != nil {
			fh.Close()
			return err
		}
		if err := w.WritePage(page); err != nil {
			fh.Close()
			return fmt.Errorf("writing %s plane %d: %w", out, z, err)
		}
	}
	if err := w.Close(); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return fmt.Errorf("writing %s: %w", out, err)
	}
	if err := fh.Close(); err != nil {
		return err
	}
	if err := publish(tmp, out, f.overwrite); err != nil {
		return err
	}
	if g.json {
		return printJSON(map[string]any{"output": out, "shape": shape, "seconds": time.Since(start).Seconds(), "peak_rss_bytes": peakRSS()})
	}
	fmt.Printf("wrote %s (%v %v, %.1fs)\n", out, shape, src.r.DType(), time.Since(start).Seconds())
	return nil
}

// publish gives the finished, synced file tmp its final name out: by a
// hard link that fails if out appeared meanwhile, or by a rename over it
// with overwrite; then it syncs the directory so the name is durable.
func publish(tmp, out string, overwrite bool) error {
	if overwrite {
		if err := os.Rename(tmp, out); err != nil {
			return err
		}
	} else if err := os.Link(tmp, out); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s (created by another process while this one wrote)", pyramid.ErrExists, out)
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
