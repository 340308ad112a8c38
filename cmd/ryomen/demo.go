package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
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
			ctx := cmd.Context()
			out := "ryomen-demo.ome.zarr"
			if len(args) == 1 {
				out = args[0]
			}
			var sh []int
			for _, p := range strings.Split(shape, "x") {
				n, err := strconv.Atoi(p)
				if err != nil || n <= 0 {
					return usagef("--shape %q: want ZxYxX, e.g. 128x256x256", shape)
				}
				sh = append(sh, n)
			}
			if len(sh) != 3 {
				return usagef("--shape %q: want 3 sizes", shape)
			}
			oo, err := openOutput(ctx, out, nil)
			if err != nil {
				return err
			}
			st := oo.st
			var pf pyrFlags
			pf.chunks, pf.factor, pf.shardShape = "32,64,64", "auto", "64,128,128"
			pf.codec, pf.level = "zstd", -1
			// The image first: its build claims (or, with --overwrite,
			// clears) the whole output; the labels go inside it after.
			pf.method = "mean"
			src, err := openSource(ctx, fmt.Sprintf("synth:%s?seed=%d", shape, seed))
			if err != nil {
				return err
			}
			io, err := pf.options(src)
			if err != nil {
				return err
			}
			io.Name, io.Overwrite, io.Source, io.Output = "synthetic cells", overwrite, src.id, out
			is, err := build(ctx, "image", src, st, out, io)
			if err != nil {
				return demoErr(err, out)
			}
			pf.method, pf.label = "mode", true
			if src, err = openSource(ctx, fmt.Sprintf("synth:%s?labels=1&seed=%d", shape, seed)); err != nil {
				return err
			}
			lo, err := pf.options(src)
			if err != nil {
				return err
			}
			lo.Path, lo.Name, lo.Source, lo.Output = "labels/cells", "cells", src.id, out+"/labels/cells"
			ls, err := build(ctx, "labels", src, st, out, lo)
			if err != nil {
				return demoErr(err, out)
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
		},
	}
	c.Flags().StringVar(&shape, "shape", "128x256x256", "volume shape ZxYxX")
	c.Flags().Uint64Var(&seed, "seed", 1, "random seed")
	c.Flags().BoolVar(&overwrite, "overwrite", false, "replace an existing OUT")
	return c
}

func demoErr(err error, out string) error {
	return fmt.Errorf("%w (rerun with --overwrite to replace %s)", err, out)
}
