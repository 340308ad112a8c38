package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/store"
)

func isTIFF(p string) bool { return dataset.IsTIFF(p) }

// writeTIFF writes src as a TIFF stack, or as a pyramidal OME-TIFF with
// every level of src when OUT ends in .ome.tif or the axes need it.
func writeTIFF(ctx context.Context, src *source, out string, f pyrFlags) error {
	loc, err := store.FileLocation(out)
	if err != nil {
		return err
	}
	if err := checkInPlace(src, &output{loc: loc, local: out}, out); err != nil {
		return err
	}
	names := ""
	for _, a := range src.Axes {
		names += a.Name
	}
	ome := dataset.IsOMETIFF(out) || (names != "zyx" && names != "yx")
	codec := f.codec
	if codec == "gzip" {
		codec = "deflate"
	}
	start := time.Now()
	err = dataset.WriteTIFF(ctx, src.Image, out, dataset.TIFFOptions{Codec: codec, Level: max(f.level, 0), OME: ome, Overwrite: f.overwrite})
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(map[string]any{"output": out, "shape": src.Shape(), "ome": ome, "levels": len(src.Levels), "seconds": time.Since(start).Seconds(), "peak_rss_bytes": peakRSS()})
	}
	fmt.Printf("wrote %s (%v %v, %s, %.1fs)\n", out, src.Shape(), src.DType(), map[bool]string{true: fmt.Sprintf("OME-TIFF, %d levels", len(src.Levels)), false: "TIFF stack"}[ome], time.Since(start).Seconds())
	return nil
}
