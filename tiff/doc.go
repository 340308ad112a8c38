// Package tiff reads and writes TIFF and BigTIFF images of microscopy:
// strips and tiles, several pages, 8- to 64-bit unsigned and signed
// integer and 16/32/64-bit float samples, one or several samples per pixel
// stored contiguously or in separate planes (PlanarConfiguration 1 and
// 2), compressions none, deflate (8, and 32946 on reading), LZW, PackBits
// and zstd (50000), predictors 2 (horizontal) and 3 (floating point), both
// byte orders on reading (little-endian on writing), and pyramids stored
// as SubIFDs or (on reading) as pages of halving size.
//
// # Images and axes
//
// [File.Series] returns the images a file holds, each a [Series] with
// named, typed axes ([nd.Axis]: t, c, z, y, x or custom), units and
// physical sizes, and its resolution levels, each an nd.Reader:
//
//   - OME-TIFF: one series per OME Image, its planes placed by TiffData
//     (IFD, FirstZ/C/T, PlaneCount) in DimensionOrder; SizeX..SizeT,
//     Type, PhysicalSizeX/Y/Z and TimeIncrement with their units (OME
//     symbols such as "µm" become UDUNITS names such as "micrometer";
//     the default is micrometer and second), channel names, and the
//     pages' SubIFDs as levels. OME-XML that disagrees with the pages
//     (sizes, types, planes past the last IFD, planes in no TiffData) is
//     a FormatError naming the field; multi-file and BinaryOnly OME-TIFF
//     are unsupported.
//   - ImageJ hyperstacks: channels, slices, frames (pages stored c
//     fastest, then z, then t), spacing and finterval, unit, and x and y
//     pixel sizes from XResolution and YResolution.
//   - tifffile's shaped descriptions ({"shape": [...], "axes": "..."}):
//     the shape as written, axes named from the letters when given.
//   - other files: each run of pages of one size is a series (a z axis
//     when there are several pages); a page of another size starts a new
//     series, and pages that halve in size after a one-page image (vips
//     tiffsave --pyramid without --subifd) are its levels.
//
// Axes are in array order and always end in y, x; time, channel and z
// come in OME-NGFF's order t, c, z whatever order the file stores planes
// in (an ImageJ TZCYX file reads as t, c, z, y, x). The samples of a pixel
// (RGB) are the channel axis "c", placed after t and before z, y, x (a
// contiguous RGB stack reads as c, z, y, x); when a "c" axis already
// exists they are "s". OME and ImageJ axes of length 1 are dropped (a
// series has rank 2 to 5); shaped series keep the shape tifffile wrote.
// Plain TIFF resolution tags give no physical size (writers fill them
// with defaults such as vips' 1 pixel/mm): the scale is 0, unknown.
//
// # Stacks
//
// A [Stack] is the reader of a series level, or, from File.Stack, a
// file's pages as one array of shape (pages, height, width), or (pages,
// height, width, samples) for several samples per pixel: z slowest, x
// fastest, as tifffile returns it. File.Stack refuses a file holding
// several images rather than merging them. Stack.ReadRegion decodes only
// the strips or tiles the box touches, compressed ones on up to
// GOMAXPROCS goroutines, and keeps recently decoded compressed blocks in
// a small LRU cache (Stack.SetCacheBytes) so that regions that do not
// align with the tiles decode each tile once.
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
// z stack. [WriteOME] writes a pyramidal OME-TIFF (OME-XML, one page per
// plane in DimensionOrder XYZCT, SubIFD levels, tiles, physical sizes,
// channel names) as bioformats2raw/raw2ometiff do, which QuPath, Fiji and
// tifffile read. Boolean samples are refused (TIFF has no such type).
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
// hostile stream cannot claim a large allocation. OME-XML sizes are
// bounded by the number of IFDs before anything is allocated from them.
// Hostile files give FormatError or UnsupportedError values, never panics
// (see FuzzDecode).
//
// Not supported: bit depths other than 8, 16, 32 and 64, JPEG and other
// lossy compressions, OME Images whose channels each hold several samples
// (SizeC larger than SamplesPerPixel > 1), multi-file OME-TIFF, and
// ImageJ's contiguous files larger than 4 GiB that carry a single
// directory.
package tiff
