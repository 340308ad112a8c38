// Package downsample builds image and label pyramids of N-d arrays: mean
// pooling for grey values, mode pooling for segmentation labels, sparse
// variants that ignore zero background, and min, max, stride and median.
// It does tinybrain's job, matching it bit for bit where tinybrain is right
// and correct where it is not (odd edges, sparse levels past four, C order,
// channels, signed and 64-bit labels, factors such as (2,1,1)).
//
// # Axes, factors, shapes
//
// Arrays follow package nd: C order, axis 0 slowest. A factor gives one
// integer >= 1 per axis in that order; a channel axis simply gets factor 1.
// tinybrain's (x, y, z) arrays are Fortran order, so its factor (2,2,1) on
// a (1024, 1024, 64) volume is our (1, 2, 2) on (64, 1024, 1024).
//
// Each level has shape ceil(n/f) per axis (OutShape); an axis of length 1
// stays 1, so a 7-voxel axis gives 4, 2, 1 while longer axes keep
// shrinking (tinybrain refuses sizes below 2^levels). Levels accepts at
// most MaxLevels levels, the number that change the shape (at least one):
// more is an error, not a silent clip, so a caller never gets fewer levels
// than it asked for, nor a run of identical 1-voxel levels.
//
// Output voxel o covers input voxels [o*f, o*f+f) on each axis, clipped
// to the array: results depend only on the values in that block, never on
// how a large array is split into blocks aligned to f^k, which is what
// lets the pyramid engine work chunk by chunk.
//
// # Rules
//
//   - Mean, integers, Rounding Truncate (the default): tinybrain's
//     multi-level rule. M0 is the image; Mk is the mean of the present
//     voxels of each block of M(k-1) (for factor 2 the same as repeating
//     the edge voxel); level k is trunc(Mk), toward zero. How Mk is
//     carried to the next level is one rule per dtype, the one of the
//     tinybrain code path that handles that dtype and factor. 8- and
//     16-bit 2x2 and 2x2x2 (its accelerated path): floor(Mk) every Cycle
//     levels, Cycle 4 for 2x2, 8 for 2x2x2 of 8-bit, 5 for 2x2x2 of
//     16-bit. 8- and 16-bit with any other factor, such as (2,1), 3 or
//     2x2x2x2 (its numpy path, which carries float32 means): Mk exactly,
//     never rounded; ours is exact, so where float32 rounding would move
//     a mean across an integer we give the exact result. 32- and 64-bit,
//     any factor (its numpy path, which truncates each level): trunc(Mk)
//     every level. For unsigned types trunc and floor agree. "2x2" is
//     any two axes of factor 2 with the others 1 ("2x2x2" any
//     three): tinybrain takes its accelerated path only when they are its
//     x and y (and z), and carries exactly for, say, x and z; we keep one
//     rule whatever the axes, so transposing a volume never changes its
//     pyramid. Sums are exact (the narrowest of uint16, uint32, int32 and
//     int64 that holds them, as tinybrain's uint16 for uint8 2x2; 128-bit
//     for 64-bit types and deep carries). The exact carry keeps one
//     denominator per level, which grows by lcm(f, length of the last,
//     partial block) per axis and level; once it would pass 2^62 the
//     remaining levels, by then at least 2^31 times smaller than the
//     input, are computed with math/big rationals.
//   - Mean, integers, Rounding NearestEven: the mean of the present voxels
//     of the whole f^k block of level 0, rounded to nearest, ties to even.
//   - Mean, floats: each level is the mean of the present voxels of each
//     block of the level above, summed in scan order in the element type
//     (float32 stays float32); never rounded.
//   - SparseMean: S/C truncated toward zero (tinybrain's rule, and the
//     same rounding as the signed Mean), with S and C the sum and count of
//     the nonzero voxels of the whole f^k block of level 0; 0 when C is 0.
//     No edge voxel is counted twice.
//   - Mode: exactly two axes of factor 2 (2x2, with any number of factor-1
//     axes) use countless-if on a=(0,0), b=(0,1), c=(1,0), d=(1,1) in (slow,
//     fast) axis order: a if a==b or a==c, else b if b==c, else d. Every
//     other factor takes the most frequent value of the block, ties to the
//     value met first in scan order (C order within the block, last axis
//     fastest), so all-distinct gives the first voxel. At odd edges, axes
//     of factor 2 repeat the edge voxel (it votes twice, as in tinybrain's
//     2x2x2; for 2x2 this gives tinybrain's strided edge values); axes of
//     other factors use only the voxels present. Levels are modes of modes.
//   - SparseMode: zero never wins unless the block is all zero. 2x2 uses
//     the stippled rule (a nonzero pair among a, b, c; else d if nonzero;
//     else the first nonzero of a, c, b, which is tinybrain's order: its
//     a, b, c are (x0,y0), (x0,y1), (x1,y0) and its y is our slow axis);
//     other factors count nonzero voxels only.
//   - Min, Max, Stride (the first voxel of the block), Median (the lower
//     median of the present voxels, as tensorstore): level by level.
//
// Labels must be integers (any width, signed or not; -1 and the largest
// uint64 are ordinary labels). SparseMean is for integers.
//
// # Speed
//
// Factors of 1 and 2 run on row kernels (SWAR for uint8 means, eight
// bytes at a time) checked against the general paths, which handle any
// factor, and against an exact reference in the tests. The uint8 means
// also have vector kernels in internal/vec: AVX2 or SSE2 assembly in the
// default amd64 build, AVX-512 through simd/archsimd with
// GOEXPERIMENT=simd; each is tested against its pure-Go twin.
// Options.Workers splits each level across goroutines.
//
// # Limits
//
// Allocation is the output of each level plus, for Mean and SparseMean,
// one accumulator per output voxel (2 to 16 bytes); a non-contiguous
// source is first copied to C order. Sizes are checked before anything is
// allocated, and every argument is validated with an error naming it: a
// factor of any size (even MaxInt) is valid, the level count is bounded by
// MaxLevels, and at most MaxFactorAxes axes may have a factor above 1.
// Work per level is linear in the input (times at most 2 per factor-2 axis
// at odd edges); the mode of blocks larger than 64 voxels sorts them, so
// it stays O(B log B) per block of B voxels.
package downsample
