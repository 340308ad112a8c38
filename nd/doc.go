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
// last two); the one place that maps a DType to generic code is a type
// switch such as the one in [NewAny]. [ParseDType] and [ParseTypestr] read
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
package nd
