// Package filter applies separable filters (a Gaussian blur, or any
// per-axis kernels) to in-memory N-d float32 blocks.
//
// # Margins
//
// A filter here never invents values outside its input: src must already
// hold the margin each output voxel needs, and the filter computes only
// the "valid" region. For kernels of lengths L_0..L_{n-1}, src has shape
// dst.Shape()[d] + L_d - 1 on each axis d; for a Gaussian that is a
// margin of [Radius](sigma_d) voxels on each side. A tile function gets
// such a block from package tile (Spec.Margin = the radius, with the
// border mode of its choice: tile.Symmetric is scipy's mode='reflect').
//
// # Arithmetic and speed
//
// Arithmetic is float32. Each axis is one pass: the last axis row by row,
// every other axis over whole rows at once (each output row is a sum of
// kernel-weighted input rows), so every inner loop runs over contiguous
// memory with no bounds clamping; on amd64 with AVX2 and FMA the loops
// are assembly kernels (internal/f32). Columns are processed in blocks
// that keep a kernel's worth of input rows in cache.
package filter
