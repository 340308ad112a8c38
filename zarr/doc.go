// Package zarr reads and writes Zarr v2 and v3 arrays and groups in a
// [store.Store], including Zarr v3 sharding ("sharding_indexed").
//
// An [*Array] implements [nd.Reader] and [nd.Writer], so the slicer and the
// pyramid code work on Zarr files directly.
//
// # Coordinates
//
// Array axes are the logical axes of the metadata, in C order: the last axis
// varies fastest in a region buffer. The chunk grid starts at the origin, so
// chunk index i along an axis covers [i*chunk, (i+1)*chunk). Edge chunks are
// stored at full size; the overhang is written as fill_value. A v2 array
// with order "F" (or a v3 array with a transpose codec) only changes the
// layout of bytes inside each chunk, never the logical axes.
//
// # Normalised metadata
//
// [Meta] is what [Open] reports and what [Create] takes, with the fields of
// both versions. An [*Array] works only from its normalised form, the same
// for v2 and v3: a [Chain] of codecs (array-to-array transposes, the
// array-to-bytes bytes codec with its endianness, bytes-to-bytes
// compressors and checksums; a v2 F order, '>' dtype and compressor map
// into it) and a [KeyEncoding] (from a v2 dimension_separator or a v3
// chunk_key_encoding). [Array.Chain] and [Array.KeyEncoding] expose them.
//
// # Chunk keys
//
// Zarr v2 keys join chunk indices with the dimension separator ("0.3.1" or
// "0/3/1"; "0" for a 0-d array). Zarr v3 "default" keys are "c" followed by
// the indices, all joined by the separator ("c/0/3/1"); the v3 "v2" encoding
// uses the v2 spelling. With sharding, a key names a shard.
//
// # Sharding
//
// A shard is read through a [ShardStore], a read-only store of its inner
// chunks: one inner chunk is one ranged read, located through the shard
// index, which is read with one suffix (index at the end) or prefix (index
// at the start) read and kept in a per-array cache bounded by
// Options.IndexCacheBytes, so repeated small reads of one shard (a
// viewer's tiles, overlapping crops) read its index once. Shards the array
// writes update their cached index; missing shards are never cached, so
// shards another process creates later are seen. A shard that another
// process rewrites is read through the cached index until an entry no
// longer fits the shard (the index is then read again) or the array is
// opened again.
//
// # Data types and fill values
//
// Every nd dtype is read and written: v2 "|u1".."<u8", "|i1".."<i8",
// "<f2", "<f4", "<f8" (either byte order) and "|b1"; v3 "uint8".."float64",
// "float16" and "bool". float16 arrays hold [nd.Float16] bits and bool
// arrays [nd.Bool] bytes, unchanged. Strings, structured, complex,
// datetime and object dtypes are refused with a [FormatError] that quotes
// the dtype as written and names its kind.
//
// [Meta.FillValue] holds the fill value as the raw little-endian bytes of
// one element, never as a float64: JSON numbers are parsed exactly
// (int64 and uint64 extremes, 2^53+1), floats are rounded once to the
// dtype, and a fill value the dtype cannot hold (out of range, a fraction
// for an integer, NaN for an integer, an overflow to infinity) is a
// FormatError naming the key and fill_value. On writing, integers are
// exact JSON numbers, floats the shortest decimal that reads back to the
// same value, specials "NaN"/"Infinity"/"-Infinity" (a v3 NaN with a
// non-canonical payload as its "0x..." bits) and bools true/false.
//
// # Concurrency
//
// Concurrent ReadRegion calls are safe. Concurrent WriteRegion calls are
// safe when they touch disjoint chunks (disjoint shards for sharded arrays).
// Two writers that touch the same chunk or shard race: partial chunks are
// read, modified and written back, and the last Put wins.
//
// # Security considerations
//
// Metadata is parsed with limits: rank at most [MaxRank], every size product
// overflow-checked, and a decoded chunk (or shard) no larger than
// Options.MaxChunkBytes. Every decompressor gets the decoded chunk size as
// its output limit. Shard indexes are checked against the shard's length
// before any inner chunk is fetched.
package zarr
