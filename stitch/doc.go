// Package stitch makes the instance labels of a tiled segmentation
// globally consistent. A model run crop by crop (a [tile.AnyFunc], such
// as an --exec model server through child.TileFunc) numbers the objects
// of each crop by itself, so a cell cut by a tile border comes back with
// two IDs and two cells of different tiles may share one. Stitching gives
// every object of the image one ID, 1..N, background 0.
//
// # Coordinates and axes
//
// Boxes follow package nd and the [tile.Plan]: C order, axis 0 slowest,
// half-open. The function's results must have the plan's OutCropShape at
// scale 1 on the tiled axes; any leading (untiled) output axes must have
// length 1, since objects connect through space only. Results may be of
// any integer dtype; a label is its bit pattern, so negative values are
// labels too and only 0 is background. Voxels of a crop that lie outside
// the image (padding) are ignored.
//
// # How
//
// Each tile's labels are made dense in order of first appearance in its
// Dest box (C order), then in the rest of its crop inside the image, so
// tile i's labels 1..k are the ones it writes. For every pair of tiles
// the rule needs, each tile keeps its labels in the box the two share; a
// union-find (label.UnionFind) over the labels that occur in those boxes
// ("face labels") joins the pairs the rule accepts. IDs are given in
// order of each object's first label (smallest tile index, then that
// tile's label), so the result is the same for any workers, batch size or
// order of completion; the first object of tile 0's Dest is 1.
//
// # Rules
//
// Overlap (the default) pairs every two tiles whose crops share image
// voxels, diagonal neighbours included, and joins label a of one with b of
// the other when, over the voxels both crops predicted, |a∩b|/|a∪b| is at
// least Options.IoU; 0 joins on any shared voxel. With IoU 0 and a model
// that is exact connected components of its crop, the result is exactly
// the connected components of the whole image (up to numbering) when the
// margin is at least 1 and the padding does not wrap (Periodic can join
// objects through the far edge).
//
// Touch pairs the tiles whose Dest boxes share a face and joins the labels
// of face-adjacent voxels across it (face connectivity). It needs no
// margin and equals the connected components of the image for a face-
// connected threshold-then-label model. Cells that touch across a tile
// border are merged: use it for models that separate objects by
// background.
//
// Own is StarDist's rule: an object (label) of a tile is kept when the
// centre of its bounding box over the crop's image voxels, (min+max-1)/2
// per axis rounded down, lies in the tile's Dest; it is written whole,
// also where it reaches into neighbours' Dest boxes, and every other label
// of the tile is dropped. A voxel claimed by several kept objects takes
// the one of the tile whose Dest holds it, or else of the first tile in
// plan order. A kept object that reaches the crop's edge where the crop
// does not end at the image border is an error naming the tile, the
// object's bounding box and the axis: it is larger than the margin. Each
// object must be smaller than the margin on each side of its centre for
// the rule to find it exactly once.
//
// # Out of core
//
// A [Job] splits the same computation into phases of independent tasks
// ([Phase], the engine's shape): "stitch-tiles" runs the function on one
// tile per task and stores the tile's Dest labels and shared boxes under a
// scratch prefix of a store; "stitch-solve" (one task) solves the
// equivalences from the shared boxes alone and stores the numbering; then
// [Labels], an nd.Reader, relabels any box from the stored Dest labels of
// the tiles that meet it, so pyramid.Build with Method "mode" writes the
// result as an OME-Zarr label image with its mode pyramid, one chunk per
// task, chunks unrelated to crops. [Build] does all of it on the engine:
// the stitch phases run in the pyramid's claimed job (pyramid.Options.
// Before) with their scratch under OUT/.ryomen/stitch, so markers, resume,
// sharding with work stealing and the memory budget are the engine's.
// Each task's result is also written last and atomically, so [Job.Run]
// (one process, shards taking over each other's missing tiles) resumes by
// redoing only the missing tasks. The output equals [Map]'s byte for
// byte.
//
// # Memory
//
// [Map] and [MapTo] hold, per tile, its Dest labels (4 bytes per output
// voxel, the in-memory reference) and its shared boxes: Overlap keeps the
// crop overlaps (about 2*margin/stride of the volume per tiled axis),
// Touch one plane per face, Own the parts of crops inside neighbours'
// Dest boxes. The solver holds 4 bytes per face label in the union-find,
// 8 more per face label for the numbering and a few words per tile: in
// proportion to the objects on faces, never to the volume; a Job's solver
// keeps the shared boxes of the tiles between the one it joins and its
// farthest neighbour (about one slab of tiles) and reads the next 4 ahead;
// its worst case is that window and 20 bytes per voxel that tiles'
// regions share (every such voxel could start a face label), a strict
// bound far above real segmentations, whose face labels are objects.
// With Options.SolveBytes below the worst case ([Build]: half the memory
// budget) the phase declares SolveBytes and the solver stops with an
// error wrapping engine.ErrBudget, naming the count, if the face labels
// it meets need more. A tiles task holds one
// crop and about 20 bytes per crop voxel; [Labels] relabels one tile's
// Dest at a time (8 bytes per voxel) and caches up to its byte budget
// ([Build]: an eighth of the memory budget, taken out of it). Scratch
// values are zstd frames, a few bytes per Dest voxel at most.
//
// # Limits
//
// A crop holds at most 2^32-2 voxels and all tiles at most 2^32-2 face
// labels; at most 2^31 tiles. The output dtype must hold the number of
// objects (uint32 by default, uint64 past 2^32-1; [Build] fixes the dtype
// before the run, uint32 unless set). IoU is computed in float64 from
// exact counts.
//
// # Security considerations
//
// The scratch a later phase or a resumed run reads back is this package's
// own, but it lives in a store others can write: every value is decoded
// with a size limit the plan decides (a tile's Dest and shared boxes, the
// solution's face labels), and a truncated, oversized or foreign value is
// an error naming its key, never a panic.
package stitch
