// Package tiff reads and writes TIFF and BigTIFF stacks of microscopy
// images: strips and tiles, several pages (z planes), 8- to 64-bit
// integer and 32/64-bit float samples, compressions none, deflate, LZW
// (read), PackBits (read) and zstd, predictors 2 (horizontal) and 3
// (floating point), both byte orders on reading, ImageJ hyperstack
// descriptions.
//
// # Axes
//
// A [Stack] is a file's pages as one C-order array of shape (pages,
// height, width), or (pages, height, width, samples) for several samples
// per pixel (RGB): z slowest, x fastest, as tifffile returns it.
// Stack.ReadRegion decodes only the strips or tiles the box touches.
//
// # Writing
//
// A [Writer] streams pages to an io.WriteSeeker one at a time, so a stack
// larger than memory is written plane by plane. BigTIFF is chosen
// automatically when the file would pass 4 GiB (WriterOptions.Pages tells
// the writer how many pages will come); ImageJ descriptions make Fiji
// open the file as a z stack.
//
// # Limits
//
// [Limits] bound the IFD chain (pages, entries, values per tag, cycles are
// detected) and the decoded size of a strip or tile; strip and tile sizes
// must match what the header implies, and every offset must lie inside
// the file. Hostile files give FormatError or UnsupportedError values.
package tiff
