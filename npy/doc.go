// Package npy reads and writes NumPy .npy files (format versions 1.0,
// 2.0 and 3.0) as nd arrays, from files or from streams that carry one
// array after another.
//
// # Layout
//
// Arrays come back in the file's order: C order (last axis fastest, like
// numpy) or Fortran order when the header says fortran_order: True, as an
// nd.Array with the matching strides. Big-endian data is converted to the
// host's little-endian order. Write always writes little-endian, in C
// order unless the array is Fortran-contiguous.
//
// dtypes: |u1 |i1 <u2 <i2 <u4 <i4 <u8 <i8 <f2 <f4 <f8 and their big-endian
// forms; <f2 reads as nd.Float16 (bits unchanged) and |b1 as nd.Bool (bytes
// unchanged: numpy writes 0 and 1). Other dtypes (complex, unicode and byte
// strings, datetimes, records, objects) are refused with an
// [UnsupportedError] that quotes the descr and names its kind.
//
// # Limits
//
// The header is at most 64 KiB (numpy writes far less) and is parsed
// without evaluation; a shape whose size overflows or whose data exceeds
// Read's maxBytes argument (default 16 GiB; ReadFile uses the file's size) is
// refused before any allocation. Read consumes exactly one array from a
// stream and never reads past it.
//
// # Region reads
//
// [OpenFile] returns a [File], an nd.Reader whose ReadRegion reads only
// the requested box's bytes with ReadAt (one read per contiguous run in
// the file's order), for files too large to load whole.
package npy
