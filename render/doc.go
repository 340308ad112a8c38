// Package render draws 2-D views of N-d images: a plane through any space
// axis at any index, or a maximum-intensity projection (MIP) over a range
// of that axis, with channels blended in their colours through display
// windows and label images drawn over them in stable pseudo-random
// colours with outlines.
//
// A [View] names the plane in level-0 coordinates: the axis it cuts
// through (its normal), the index on that axis, the region of the plane
// to show and the output size in pixels. [Render] picks the coarsest
// pyramid level that still has at least one voxel per output pixel on
// both plane axes, reads from it only the box of voxels the output
// samples (one plane, or the MIP range in slabs aligned to the chunks)
// and samples it by nearest neighbour: output pixel (i, j) shows the
// voxel under the level-0 point Region.Min + (i+0.5, j+0.5) * pixel size.
//
// Windowing maps a value v of a channel with window [Start, End] to
// t = clamp((v-Start)/(End-Start), 0, 1) (1-t when inverted); each
// channel adds t times its colour and the sum is rounded and clipped at
// 255. Labels: voxel ID 0 is background; any other ID is drawn in
// [LabelColor] (a hash of the ID alone, so the same on every level, view
// and run), blended with the image at the view's alpha, and opaque on
// outline pixels (an ID that differs from a 4-neighbour in the output).
//
// Default channel settings come from the OME "omero" block when the image
// has one, else from the 0.1 and 99.9 percentiles of the coarsest level
// (see [DefaultChannels]). [Open] opens an image by location with its
// omero block, label images and default channels; [LabelAt] reads the
// label ID at a point (the viewer's read-out under the cursor);
// [EncodePNG] writes a result with image/png.
//
// The CLI's 'ryomen snapshot' and the viewer of 'ryomen serve' both draw
// through [Render] with the same view parameters, so a viewer tile and
// the snapshot of the same view are the same pixels.
package render
