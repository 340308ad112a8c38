package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ryomen-dev/ryomen/pyramid"
)

func newDemo() *cobra.Command {
	var shape string
	var seed uint64
	var overwrite bool
	c := &cobra.Command{
		Use:   "demo [OUT]",
		Short: "Generate a synthetic cell volume and its labels as an OME-Zarr pyramid",
		Long: `Generate a synthetic, microscopy-like volume (cells with noise) and its label
image, with no download, and write both as an OME-Zarr v0.5 multiscale
pyramid: the image (mean) at OUT and the labels (mode) at OUT/labels/cells.
OUT defaults to ryomen-demo.ome.zarr in the current directory.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := "ryomen-demo.ome.zarr"
			if len(args) == 1 {
				out = args[0]
			}
			return runDemo(cmd.Context(), out, shape, seed, overwrite)
		},
	}
	c.Flags().StringVar(&shape, "shape", "128x256x256", "volume shape ZxYxX")
	c.Flags().Uint64Var(&seed, "seed", 1, "random seed")
	c.Flags().BoolVar(&overwrite, "overwrite", false, "replace an existing OUT")
	return c
}

// runDemo builds the demo's image pyramid at out (claiming it, or with
// overwrite clearing it), then the label pyramid inside it, then a
// snapshot, and prints what to do next.
func runDemo(ctx context.Context, out, shape string, seed uint64, overwrite bool) error {
	sh := strings.Split(shape, "x")
	for _, p := range sh {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || len(sh) != 3 {
			return usagef("--shape %q: want ZxYxX, e.g. 128x256x256", shape)
		}
	}
	oo, err := openOutput(ctx, out, nil)
	if err != nil {
		return err
	}
	pf := pyrFlags{chunks: "32,64,64", factor: "auto", shardShape: "64,128,128", codec: "zstd", level: -1, method: "mean"}
	is, err := demoBuild(ctx, oo, out, fmt.Sprintf("synth:%s?seed=%d", shape, seed), pf, func(o *pyramid.Options) {
		o.Name, o.Overwrite = "synthetic cells", overwrite
	})
	if err != nil {
		return err
	}
	pf.method, pf.label = "mode", true
	ls, err := demoBuild(ctx, oo, out, fmt.Sprintf("synth:%s?labels=1&seed=%d", shape, seed), pf, func(o *pyramid.Options) {
		o.Path, o.Name, o.Output = "labels/cells", "cells", out+"/labels/cells"
	})
	if err != nil {
		return err
	}
	snap, z, err := demoSnapshot(ctx, out)
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(map[string]any{"output": out, "image": is, "labels": ls, "snapshot": snap})
	}
	abs, _ := filepath.Abs(out)
	fmt.Printf(`Wrote a synthetic %s uint16 volume with its cell labels as OME-Zarr v0.5:
  image:  %s  (%d levels, mean)
  labels: %s/labels/cells  (%d levels, mode)

View it:
  napari --plugin napari-ome-zarr %s
  neuroglancer: serve the directory with CORS (e.g. npx http-server --cors -p 8000 %s)
                and open zarr3://http://localhost:8000/
  zarr-python 3 (for zarr-python 2, build with: ryomen pyramid --ome-version 0.4):
    import zarr; g = zarr.open_group(%q, mode="r")
    print(g["0"].shape, g["labels/cells/0"].shape)
Inspect it:
  ryomen info %s
`, shape, abs, len(is.Levels), abs, len(ls.Levels), out, out, out, out)
	if snap != "" {
		fmt.Printf(`Snapshot (plane z=%d with the labels): %s
  (ryomen snapshot --index %d --labels cells %s %s)
Look at it in a browser (built-in viewer, also serves the data to Neuroglancer/vizarr):
  ryomen serve %s
`, z, snap, z, out, snap, out)
	}
	return nil
}

// demoBuild builds one pyramid of the demo from a synthetic location.
func demoBuild(ctx context.Context, oo *output, out, loc string, pf pyrFlags, set func(*pyramid.Options)) (*buildSummary, error) {
	src, err := openSource(ctx, loc)
	if err != nil {
		return nil, err
	}
	o, err := pf.options(src)
	if err != nil {
		return nil, err
	}
	o.Source, o.Output = src.id, out
	set(&o)
	s, err := build(ctx, "demo", pyramidOf(src.r), oo.st, out, o)
	if err != nil {
		return nil, demoErr(err, out)
	}
	return s, nil
}

func demoErr(err error, out string) error {
	return fmt.Errorf("%w (rerun with --overwrite to replace %s)", err, out)
}
