// Package nd is ryomen's N-dimensional array core: half-open boxes,
// generic strided arrays that share memory between views, and the small
// region interfaces through which every file format and algorithm in the
// module exchanges pixels.
//
// # Coordinates
//
// Axes are numbered from 0 (slowest in C order) to Rank()-1 (fastest in C
// order), as in NumPy. A [Box] is half-open on every axis: it contains the
// integer points p with Min[i] <= p[i] < Max[i], like [image.Rectangle].
// Arrays are zero-origin: element (0, 0, ...) of a view made with
// [Array.Sub] is the box's Min corner of the parent. Strides are counted in
// elements, not bytes, and may describe C order, Fortran order or any other
// permutation (see [Array.Transpose]).
//
// # Element types
//
// [Element] lists the twelve element types an [Array] holds. Ten are
// [Number]s, on which generic code computes: unsigned and signed integers
// of 8 to 64 bits, float32 and float64. The other two are stored and moved
// but not computed on: [Float16] (IEEE binary16 bits; convert to float32
// with [Float16.Float32] and back with [Float16FromFloat32], round to
// nearest even, and compute in float32) and [Bool] (a label byte, 0 false,
// non-zero true). Keeping them out of Number means the compiler stops
// generic arithmetic from treating float16 bits as an integer. A runtime
// [DType] names each element type ([DTypeFloat16] and [DTypeBool] for the
// last two). A DType meets generic code only in type switches generated
// by internal/gen/dispatch from a //nd:dispatch directive next to the
// generic function (dispatch_gen.go in each package, such as [NewAny],
// [AsBytes] and [LimitsOf] here), never in hand-written ones. [ParseDType] and [ParseTypestr] read
// NumPy names and refuse strings, structured, complex, datetime and object
// dtypes with an error that quotes them. Byte views ([FromBytes], [AsBytes]) use the host's byte
// order, which ryomen requires to be little-endian (amd64, arm64, riscv64,
// ppc64le, loong64); the package refuses to initialise elsewhere.
//
// # Security considerations
//
// Sizes computed from untrusted shapes must go through [Box.Size],
// [CheckedSize] or [CheckedBytes], which report overflow instead of
// wrapping. [New] and [NewAny] panic on negative or too large shapes (a
// programming error, with an "nd: New" message); shapes decoded from files
// or given by users are allocated with [NewChecked] or [NewAnyChecked],
// which return an error wrapping [ErrSize] instead. [FromStrided] checks
// its extent without wrapping.
//
// # Loops over indices
//
// [Box.Points] and [Indices] walk the points of a box or shape in C
// order, and [Rows] the offsets of every row (line along the last axis) of
// a strided layout, updated with one addition per row; they replace
// hand-written "idx[d]++ with carry" loops. The elementwise kernels
// ([Copy], [ForEachRun], [Array.Values]) run on the same walk without a
// closure per row.
package nd
