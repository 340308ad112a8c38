// Package label finds the connected components of images larger than
// memory: of a mask (every non-zero voxel is foreground) or of a semantic
// label image (only voxels of equal non-zero value connect, so each class
// is labelled separately), for any rank, with the neighbourhoods of
// scipy.ndimage.generate_binary_structure(rank, order) ([Conn]: 4 or 8 in
// 2-D, 6, 18 or 26 in 3-D). The result equals scipy.ndimage.label and
// skimage.measure.label up to the numbering of the objects.
//
// # Three passes over blocks
//
// The image is cut into a grid of blocks (Options.Chunks, the output's
// write unit). [Prepare] runs passes 1 and 2 and returns a [Table];
// [Table.Relabel] is pass 3 for one block.
//
// Pass 1, one block at a time and in parallel: the block is labelled by
// itself with a two-pass union-find scan in C order (each voxel looks at
// its already visited neighbours, the half of the offsets whose first
// non-zero step is -1; provisional labels are united with the smaller as
// root, then renumbered 1..n in scan order of each component's first
// voxel). Two shortcuts skip unions that are already known: inside a run
// along the last axis, a neighbour whose own predecessor matches is in the
// run's set; with the full neighbourhood, a voxel whose predecessor on
// axis 0 matches takes that label outright, since that neighbour touches
// every other visited one. Pass 1 maps only face voxels through the
// renumbering. Of the block the pass keeps only what touches a face it shares
// with another block: the distinct local labels on those faces ("face
// labels", with their voxel counts, their value for semantic images, and
// how many surviving objects of the block come before each), and the
// planes of those faces with each voxel's face label index. Memory is 4
// bytes per shared face voxel plus about 16 per face label: proportional to
// faces, not to the volume. Objects that touch no shared face are complete
// inside their block and cost nothing beyond their block's count.
//
// Pass 2, in one thread: face labels get dense indices in block order,
// then local label order, and a [UnionFind] over them (4 bytes each) unites
// the pieces that touch across every shared face: for each axis a and each
// voxel on a block's high face, every neighbour offset with step +1 on a
// lands on the low face of the next block along a or, for 18/26 and 8
// connectivity, of a diagonal neighbour (edges and corners), so no plane
// of edges is kept besides the faces. Counts are summed per set, the size
// filter (Options.MinSize) applied, and objects numbered. The planes are
// freed before numbering.
//
// Numbering: an object's first piece is the one of smallest (block index,
// local label); IDs 1..Objects() follow that order. Within one block it is
// the scan order of first voxels, and blocks go in C order of the grid, so
// for a single block the IDs equal scipy's; across blocks they are a
// renumbering of it. Because the union-find keeps the smallest index as
// root and indices follow that order, the first piece is the root, and one
// sweep gives every face label its final ID and every block the ID offset
// of the objects that start in it.
//
// Pass 3, per block and in parallel: the block is labelled again (the scan
// is deterministic, so the local labels are those of pass 1) and mapped
// through the table: face labels take their resolved ID, the others the
// block's offset plus their rank among the block's surviving objects.
// Statistics (voxel count, bounding box, centroid, class) are accumulated
// per local label; pieces of objects that span blocks are marked Partial
// and merged by [Merge], whose memory grows only with the number of such
// objects. The CLI's `ryomen label` runs pass 3 as a pyramid.Build of a
// relabelling reader (nd.FuncReader) on the engine, so the output is claimed, resumable, shardable and
// atomic like every other output; each task stores its block's pieces
// under OUT/.ryomen/label before its marker, and the table is merged from
// them once every task is done (again, identically, by each shard).
//
// # Reuse
//
// [UnionFind] (smallest-root union, one-sweep [UnionFind.Flatten]) and the
// numbering by first piece are independent of the block scan: stitching
// instance labels across the tiles of an apply run needs the same pieces
// with other inputs (pairs of tile-local IDs that overlap).
//
// # Output type and limits
//
// [Table.OutDType] chooses uint32, or uint64 past 2^32-1 objects, and
// refuses a requested dtype the count does not fit. A block holds at most
// 2^32-2 voxels and all blocks at most 2^32-2 face labels; both limits are
// errors wrapping [ErrBudget], as is a table that outgrows Options.Memory.
package label
