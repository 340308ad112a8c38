package main

import (
	"github.com/spf13/cobra"
)

func newConvert() *cobra.Command {
	var f pyrFlags
	c := &cobra.Command{
		Use:   "convert IN OUT",
		Short: "Copy an image into a single-level OME-Zarr v0.5 image with new chunks and shards",
		Long: `Copy IN (a Zarr array, an OME-Zarr image, a TIFF/BigTIFF stack, a .npy
file, or synth:ZxYxX) into OUT, out of core.

OUT is an OME-Zarr image with one level, rechunked to --chunks and sharded to
--shard-shape (OME-Zarr 0.5 by default; --ome-version 0.4 for Zarr v2), or,
when OUT ends in .tif or .tiff, a tiled TIFF stack written plane by plane
(BigTIFF when it would pass 4 GiB; an ImageJ hyperstack description so Fiji
opens it as a z stack; --codec none, zstd or gzip as deflate).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			src, err := openSource(ctx, args[0])
			if err != nil {
				return err
			}
			if isTIFF(args[1]) {
				return writeTIFF(ctx, src, args[1], f)
			}
			f.levels, f.factor = 1, "auto"
			o, err := f.options(src)
			if err != nil {
				return err
			}
			o.Factors = nil
			return runBuild(ctx, "convert", src, args[1], o, pyramidOf(src.r))
		},
	}
	fl := c.Flags()
	registerCodec(c, &f)
	fl.StringVar(&f.chunks, "chunks", "", "output chunk shape, per axis or per space axis (default: 64 per space axis of a volume, 256 of a plane; 1 for channel and time)")
	fl.StringVar(&f.shardShape, "shard-shape", "", "output shard shape (a multiple of --chunks)")
	fl.StringVar(&f.shard, "shard", "", "run only shard i of N of the task plan: i/N")
	fl.BoolVar(&f.resume, "resume", false, "continue an unfinished run")
	fl.BoolVar(&f.overwrite, "overwrite", false, "replace whatever is at OUT")
	fl.BoolVar(&f.label, "label", false, "mark the output as an OME-Zarr label image")
	f.method = "stride"
	return c
}
