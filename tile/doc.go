// Package tile cuts an N-d image into overlapping crops, runs a function
// on each crop (in batches, on several goroutines), and merges the results
// into an output image: the job of Ryomen's Slicer, with its defects fixed.
//
// # Coordinates and axes
//
// Shapes and boxes follow package nd: C order, axis 0 slowest, half-open
// [nd.Box] values. A [Spec] tiles the last len(Spec.Crop) axes of the
// image; the leading axes (channels, time) are carried whole in every
// crop. Tiles are numbered in C order of their grid position, so the
// first tiled axis changes slowest and a run sweeps the image once from
// its start to its end.
//
// # Margin, overlap and placement
//
// Spec.Margin is the context per side of a crop that is read and thrown
// away (Ryomen's "overlap"): the stride is Crop-2*Margin, so neighbouring
// crops share 2*Margin voxels. Spec.Overlap is the other common spelling,
// the number of voxels neighbours share; set one or the other.
//
// With a padding border mode each axis is padded by the margin on both
// ends, as Ryomen's pad=True does, so every voxel is kept from a crop that
// saw a full margin of context. With Border None crops stay inside the
// image and the outermost voxels are still written (Ryomen's pad=False
// leaves them unwritten). The last crop of an axis is pulled back to end
// at the (padded) edge, or with Placement Even the crops are spread
// evenly; there are never duplicate crops. A crop larger than the image
// stays at its size and is padded (with Border None that is an error);
// crops are never silently shrunk.
//
// Each [Tile] has a Crop box in image coordinates, a Source box inside the
// function's output crop and a Dest box in the output image. The Dest
// boxes of a plan partition the output exactly: the voxels shared by two
// crops are split at the midpoint of the crops' centres, so each output
// voxel comes from exactly one crop, the one in which it lies farthest
// from the crop's edge (Ryomen lets the last write win). With Spec.Scale
// the output is at another resolution and every box scales exactly, or
// [New] fails.
//
// # Running
//
// [Map] reads crops into private buffers (never views of the image, so a
// function may modify them in place), groups them in batches, calls the
// function from Options.Workers goroutines, and pastes or blends the
// results. Blending weights are separable windows normalised per axis, so
// the weights of all crops covering a voxel sum to one by construction and
// nothing is ever divided by zero. Progress is counted in
// Options.Progress (a progress.Counter); cancellation goes through the context.
//
// # Out of core
//
// A [Runner] computes any box of Map's output from only the tiles that
// reach it (their Dest boxes when pasting, their Regions when blending),
// so an engine can produce the output one storage chunk per task, in any
// order, on any number of goroutines, with crops whose size and margin
// have nothing to do with the chunks. Each box equals the same box of
// Map's output on one worker bit for bit: the runner blends with Map's
// weights, products and kernels and adds the crops of a voxel in plan
// order. A result cache shared by the boxes computes a tile that
// several boxes need once while it stays cached, and a [CachedReader]
// lets overlapping crops share the reads of the input's chunks.
// [AnyFunc] is the function type for dtypes known only at run time.
//
// # Memory and limits
//
// Map holds at most Workers batches of crops and results; Paste needs
// nothing more, and blending keeps one band of accumulator rows along the
// first tiled axis with more than one crop. A plan stores only per-axis
// positions, so its size is the sum, not the product, of the per-axis
// crop counts; [MaxTiles] bounds the product. Padded reads fetch only the
// image voxels the padding mirrors (at most the crop's size per axis).
// Blending accumulates in float32 for 8- and 16-bit integer and float32
// results (a blend of equal values is exact; a general one can differ
// from float64 by one step only where the exact value lies within
// (crops + rank + 2) * 2^-24 times the largest blended value of a
// rounding tie) and in float64 otherwise, exact for integers up to 2^53.
package tile
