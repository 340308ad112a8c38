// Package ome reads and writes OME-Zarr (NGFF) multiscales metadata:
// version 0.4 on Zarr v2 (the group's .zattrs) and version 0.5 on Zarr v3
// (under the "ome" key of the group's zarr.json attributes), plus label
// groups ("labels") and label images ("image-label").
//
// Axes follow NGFF order: an optional time axis first, then channel or
// custom axes, then 2 or 3 space axes (zyx). Dataset paths are relative to
// the image group, finest level first.
//
// The transitional "omero" block (type [Omero]) carries each channel's
// label, colour and display window, which napari and Neuroglancer use.
// [ImageOmero] builds sensible defaults from a small level of the image:
// [ChannelStats] computes each channel's exact minimum and maximum and
// numpy-exact percentiles (histograms for 8/16-bit data, a bounded sample
// otherwise), and the contrast window spans the 0.1 to 99.9 percentiles.
//
// [AddLabel] registers a finished label image (img/labels/NAME) in the
// image's "labels" group, keeping the entries already there, so readers
// such as zarr-python and napari find it; [NewImageLabel] is the label
// image's own "image-label" block.
//
// Levels computes per-level scale and translation: mean-family methods
// shift the origin by half a coarse voxel minus half a fine one,
// 0.5*(f-1)*finerScale; stride sampling does not.
package ome
