package zarr

import (
	"fmt"
	"strconv"
	"strings"
)

// KeyEncoding is the chunk key encoding of one array: how the grid index
// of a chunk (a shard, when sharded) becomes a store key relative to the
// array's path. It is built from a v2 dimension_separator or a v3
// chunk_key_encoding, so arrays of both versions are addressed the same
// way: v2 keys and the v3 "v2" encoding join the indices with Separator
// ("0.3.1", "0" for a 0-d array); the v3 "default" encoding puts "c"
// first ("c/0/3/1", "c" for a 0-d array).
type KeyEncoding struct {
	// Rank is the number of indices in a key.
	Rank int
	// Prefix puts "c" before the indices (v3 "default").
	Prefix bool
	// Separator joins the indices: "/" or ".".
	Separator string
}

// KeyEncoding returns the chunk key encoding m describes: v2
// DimensionSeparator, or v3 ChunkKeyEncoding and DimensionSeparator.
// An empty separator takes its default ("." for v2 and "v2", "/" for
// "default").
func (m *Meta) KeyEncoding() KeyEncoding {
	e := KeyEncoding{Rank: len(m.Shape), Separator: m.DimensionSeparator}
	e.Prefix = m.ZarrFormat == 3 && m.ChunkKeyEncoding != "v2"
	if e.Separator == "" {
		e.Separator = "."
		if e.Prefix {
			e.Separator = "/"
		}
	}
	return e
}

// Key returns the key, relative to the array, of the chunk (the shard,
// when sharded) at grid index idx.
func (e KeyEncoding) Key(idx []int) string {
	var sb strings.Builder
	if e.Prefix {
		sb.WriteString("c")
		for _, i := range idx {
			sb.WriteString(e.Separator)
			sb.WriteString(strconv.Itoa(i))
		}
		return sb.String()
	}
	if len(idx) == 0 {
		return "0"
	}
	for k, i := range idx {
		if k > 0 {
			sb.WriteString(e.Separator)
		}
		sb.WriteString(strconv.Itoa(i))
	}
	return sb.String()
}

// Parse returns the grid index a key (relative to the array) names, or an
// error quoting the key when it is not one of the array's chunk keys.
// Parse(Key(idx)) is idx for every non-negative idx of length Rank.
func (e KeyEncoding) Parse(key string) ([]int, error) {
	rel := key
	if e.Prefix {
		if rel == "c" && e.Rank == 0 {
			return []int{}, nil
		}
		var ok bool
		if rel, ok = strings.CutPrefix(rel, "c"+e.Separator); !ok {
			return nil, fmt.Errorf("zarr: chunk key %q does not start with %q", key, "c"+e.Separator)
		}
	} else if e.Rank == 0 {
		if rel != "0" {
			return nil, fmt.Errorf("zarr: chunk key %q of a 0-d array, want \"0\"", key)
		}
		return []int{}, nil
	}
	parts := strings.Split(rel, e.Separator)
	if e.Rank == 0 || len(parts) != e.Rank {
		return nil, fmt.Errorf("zarr: chunk key %q has %d indices, want %d", key, len(parts), e.Rank)
	}
	idx := make([]int, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 63)
		if err != nil || (len(p) > 1 && p[0] == '0') {
			return nil, fmt.Errorf("zarr: chunk key %q: index %q is not a decimal number", key, p)
		}
		idx[i] = int(v)
	}
	return idx, nil
}

// match reports whether rel (relative to the array) is one of the
// array's chunk (or shard) keys.
func (e KeyEncoding) match(rel string) bool {
	_, err := e.Parse(rel)
	return err == nil
}
