// Package process runs a function crop by crop over an image larger than
// memory, as Ryomen does, and writes the result as an OME-Zarr image: the
// tiled-processing half of ryomen, on the same out-of-core engine as the
// pyramids (package engine, through pyramid.Build).
//
// The tiling is a tile.Plan: crop size and margin (Ryomen's "overlap") per
// space axis, border mode, placement of the last crops, output scale; it
// is independent of the source's storage chunks and of the output's. The
// engine's tasks are output chunks (or shards): a task computes its box
// from the crops that reach it ([Reader], a tile.Runner), pasting each
// crop's kept centre or blending the overlapping crops. A result cache
// keeps crops that several chunks need, so each crop is computed once
// while it stays cached, and an input cache keeps source chunks that
// overlapping crops share. The result equals tile.Map of the same function
// on the whole image bit for bit, and is resumable and shardable like
// every output of the engine.
//
// Coordinates are voxel indices, boxes half-open (nd.Box); axes are in
// storage order, channel and time axes first, carried whole in every crop
// (the plan tiles the space axes only).
//
// Memory: Output.Memory is the one budget. The two caches (CacheBytes
// each) come out of it first; every task then counts a batch of crops and
// results besides its output unit ([Reader.TaskBytes]), and the engine
// runs as many tasks at once as fit.
//
// Built-in functions: [Gaussian] (scipy.ndimage.gaussian_filter) and
// [Threshold]. A model in another process is a tile function through
// package child (the --exec protocol of the command line).
package process
