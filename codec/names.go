package codec

import (
	"fmt"
	"strings"
)

// Names lists the compressor names Parse accepts.
const Names = "none, zstd, gzip, blosc-lz4, blosc-lz4hc, blosc-zstd, blosc-zlib, blosc-blosclz"

// Parse returns the codec chain a compressor name stands for, the one
// spelling of compression used by every ryomen output: "none" (no codec),
// "zstd", "gzip", or "blosc-CNAME" with CNAME one of lz4, lz4hc, zstd,
// zlib, blosclz (byte shuffle, bit shuffle for 1-byte elements). level is
// the compression level, or -1 for the codec's default (zstd 3, gzip 6,
// blosc 5); typeSize is the element size in bytes.
func Parse(name string, level, typeSize int) ([]Codec, error) {
	def := func(d int) int {
		if level < 0 {
			return d
		}
		return level
	}
	if level > 22 || (level > 9 && name != "zstd") {
		return nil, fmt.Errorf("codec: level %d is out of range for %s", level, name)
	}
	switch {
	case name == "none":
		return nil, nil
	case name == "zstd":
		return []Codec{Zstd{Level: def(3)}}, nil
	case name == "gzip":
		return []Codec{Gzip{Level: def(6)}}, nil
	case strings.HasPrefix(name, "blosc-"):
		cn := strings.TrimPrefix(name, "blosc-")
		switch cn {
		case "lz4", "lz4hc", "zstd", "zlib", "blosclz":
		default:
			return nil, fmt.Errorf("codec: %q: unknown blosc compressor %q", name, cn)
		}
		shuffle := 1
		if typeSize == 1 {
			shuffle = 2 // bit shuffle helps 8-bit data; byte shuffle is a no-op
		}
		return []Codec{Blosc{CName: cn, CLevel: def(5), Shuffle: shuffle, TypeSize: typeSize}}, nil
	}
	return nil, fmt.Errorf("codec: %q: want one of %s", name, Names)
}
