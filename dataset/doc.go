// Package dataset opens any image ryomen reads, and creates the outputs it
// writes, by location: the one entry point above the format packages.
//
//	img, err := dataset.Open(ctx, "scan.ome.tif#series=1", nil)
//	img, err := dataset.Open(ctx, "s3://lab/run7/img.ome.zarr", nil)
//
// An [Image] is an nd.Reader for its full-resolution level together with
// what a careful reader needs to keep the data's meaning: named, typed
// axes with units and physical scale (nd.Axis), the coarser levels of a
// pyramid when the file has them, channel names, the label images of an
// OME-Zarr image, its format, and a canonical location plus a cheap
// fingerprint of its content (so a resumed job can tell it reads the same
// data).
//
// # Locations
//
//	path/to/img.zarr, file:///abs/img.zarr    Zarr v2/v3 array or group, OME-Zarr image
//	img.zarr/0, img.zarr/labels/cells        a level, or a label image, inside a hierarchy
//	http(s)://host/img.zarr, s3://bucket/key  the same, remote (read-only over HTTP)
//	stack.tif, scan.ome.tiff#series=1        TIFF, BigTIFF, OME-TIFF, ImageJ hyperstack (series 0 by default)
//	volume.npy                               NumPy .npy
//	synth:64x256x256?seed=1                  a synthetic cell volume (rank 2 to 5; see Synthetic)
//
// Formats register themselves with [RegisterFormat], as image.RegisterFormat
// does; the built-in ones are registered by this package.
//
// # Outputs
//
// [Create] makes an output, as zarr.open(mode="w") does but with the
// safety of ryomen's outputs: OME-Zarr 0.5 or 0.4, plain Zarr v3 or v2, a
// TIFF stack, an OME-TIFF or a .npy file (the format from Spec.Format or
// the location's extension), with default chunks (1 on channel and time
// axes, 64 or 256 on space axes) and codecs (zstd; deflate for TIFF). An
// existing output is refused unless Spec.Mode is Overwrite, which deletes
// only what a Zarr hierarchy owns (a file output is replaced at Commit).
// Nothing is an image to readers before [Output.Commit]: Zarr outputs get
// their OME metadata last; files are written under a temporary name and
// moved into place; a TIFF is staged in a hidden Zarr array beside it and
// written whole at Commit, since TIFF blocks are written once, in order.
// Out-of-core jobs with resume and sharding (pyramid, process, label)
// create their outputs themselves, on package engine.
//
// # Coordinates and axes
//
// Array axes are numbered slowest first (C order). Axes keep the order the
// file stores, which OME-NGFF wants as t, c, then space (z, y, x); formats
// without axis metadata get [nd.DefaultAxes]. A space axis is the only
// kind that algorithms may reduce or pad: pyramids and tiling never mix
// channel or time points.
//
// # Security considerations
//
// Opening reads metadata only; every format package bounds what it
// allocates from a file (chunk and page sizes, header sizes), and
// OpenOptions.Memory lowers every such bound to the caller's budget. Synthetic
// volumes are computed lazily, so a huge synth: shape costs nothing until
// read.
package dataset
