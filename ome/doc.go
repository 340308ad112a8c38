// Package ome reads and writes OME-Zarr (NGFF) multiscales metadata:
// version 0.4 on Zarr v2 (the group's .zattrs) and version 0.5 on Zarr v3
// (under the "ome" key of the group's zarr.json attributes), plus label
// groups ("labels") and label images ("image-label").
//
// Axes follow NGFF order: an optional time axis first, then channel or
// custom axes, then 2 or 3 space axes (zyx). Dataset paths are relative to
// the image group, finest level first.
//
// Levels computes per-level scale and translation: mean-family methods
// shift the origin by half a coarse voxel minus half a fine one,
// 0.5*(f-1)*finerScale; stride sampling does not.
package ome
