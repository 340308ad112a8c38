package zarr

import (
	"strconv"
	"strings"
)

// This file holds the writing side of the chunk key encoding; keyScheme
// itself and its reading side (match, used by Owned) are in hierarchy.go.

// schemeOf returns the chunk key encoding of the array m describes: v2
// keys and the v3 "v2" encoding join the grid indices with the separator
// ("0.3.1", "0" for a 0-d array); the v3 "default" encoding puts "c" first
// ("c/0/3/1", "c" for a 0-d array).
func schemeOf(m *Meta) keyScheme {
	return keyScheme{
		rank:   len(m.Shape),
		sep:    m.DimensionSeparator,
		prefix: m.ZarrFormat == 3 && m.ChunkKeyEncoding == "default",
	}
}

// key returns the key, relative to the array, of the chunk (the shard,
// when sharded) at grid index idx.
func (s keyScheme) key(idx []int) string {
	var sb strings.Builder
	if s.prefix {
		sb.WriteString("c")
		for _, i := range idx {
			sb.WriteString(s.sep)
			sb.WriteString(strconv.Itoa(i))
		}
		return sb.String()
	}
	if len(idx) == 0 {
		return "0"
	}
	for k, i := range idx {
		if k > 0 {
			sb.WriteString(s.sep)
		}
		sb.WriteString(strconv.Itoa(i))
	}
	return sb.String()
}
