// Package tiff reads and writes TIFF and BigTIFF stacks of microscopy
// images: strips and tiles, several pages (z planes), 8- to 64-bit
// unsigned and signed integer and 32/64-bit float samples, one or several
// samples per pixel stored contiguously (PlanarConfiguration 1),
// compressions none, deflate (8, and 32946 on reading), LZW, PackBits and
// zstd (50000), predictors 2 (horizontal) and 3 (floating point), both
// byte orders on reading (little-endian on writing), ImageJ hyperstack
// descriptions and tifffile's shaped descriptions, and pyramids stored as
// SubIFDs (File.Level reads a level as a stack; Writer.WritePage takes a
// page's reduced levels).
//
// # Axes
//
// A [Stack] is a file's pages as one C-order array of shape (pages,
// height, width), or (pages, height, width, samples) for several samples
// per pixel (RGB): z slowest, x fastest, as tifffile returns it. Pixel
// (z, y, x) is row y (from the top), column x (from the left) of page z.
// Stack.ReadRegion decodes only the strips or tiles the box touches,
// compressed ones on up to GOMAXPROCS goroutines, and keeps recently
// decoded compressed blocks in a small LRU cache (Stack.SetCacheBytes) so
// that regions that do not align with the tiles decode each tile once.
//
// # Writing
//
// A [Writer] streams pages to an io.WriteSeeker one at a time, so a stack
// larger than memory is written plane by plane; it seeks back only to
// link each directory into the chain. A page's blocks are compressed on up
// to GOMAXPROCS goroutines and written in order. BigTIFF is chosen automatically
// when the file could pass 4 GiB, judged from WriterOptions.Pages (an
// unknown page count gives BigTIFF). ImageJ descriptions ("ImageJ=1.11a",
// images, slices, spacing, unit) make ImageJ and Fiji open the file as a
// z stack.
//
// # Limits
//
// [Limits] bound the IFD chain (pages and SubIFDs, entries per IFD, values
// per tag;
// cycles are detected) and the decoded size of one strip or tile, which is
// also the most a block allocates. Every offset and byte count must lie
// inside the file, and a block must decode to exactly the size the header
// implies (uncompressed blocks may be longer; the excess is ignored).
// Decompression buffers grow with the data actually decoded, so a small
// hostile stream cannot claim a large allocation. Hostile files give
// FormatError or UnsupportedError values, never panics (see FuzzDecode).
//
// Not supported: separate sample planes with several samples
// (PlanarConfiguration 2), bit depths other than 8, 16, 32 and 64, JPEG
// and other lossy compressions, the OME-XML description of OME-TIFF
// (pyramids in SubIFDs are read and written, their metadata is the
// caller's), and ImageJ's contiguous files larger than 4 GiB that carry a
// single directory.
package tiff
