package zarr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path"
	"slices"
	"strings"

	"github.com/ryomen-dev/ryomen/store"
)

// metaNames are the metadata documents a Zarr node may hold.
var metaNames = map[string]bool{"zarr.json": true, ".zarray": true, ".zgroup": true, ".zattrs": true, ".zmetadata": true}

// IsMetadataKey reports whether key names a Zarr metadata document
// (zarr.json, .zarray, .zgroup, .zattrs or .zmetadata).
func IsMetadataKey(key string) bool { return metaNames[path.Base(key)] }

// errBadNode marks node metadata that is not JSON of the expected shape.
var errBadNode = errors.New("zarr: unreadable node metadata")

// nodeJSON holds the few metadata fields that decide an array's chunk
// keys; it parses metadata of any dtype or codec, known to us or not.
type nodeJSON struct {
	ZarrFormat       int               `json:"zarr_format"`
	NodeType         string            `json:"node_type"`
	Shape            []json.RawMessage `json:"shape"`
	Separator        string            `json:"dimension_separator"`
	ChunkKeyEncoding *struct {
		Name          string `json:"name"`
		Configuration struct {
			Separator string `json:"separator"`
		} `json:"configuration"`
	} `json:"chunk_key_encoding"`
}

// scheme reads the chunk key encoding of the array whose metadata is at
// key, from the few fields nodeJSON holds (by the rules of Meta.KeyEncoding).
func scheme(ctx context.Context, st store.Store, key string) (KeyEncoding, bool, error) {
	b, err := st.Get(ctx, key)
	if err != nil {
		return KeyEncoding{}, false, err
	}
	var m nodeJSON
	if err := json.Unmarshal(b, &m); err != nil {
		return KeyEncoding{}, false, fmt.Errorf("%w: %s: %v", errBadNode, key, err)
	}
	km := Meta{ZarrFormat: 2, Shape: make([]int, len(m.Shape)), DimensionSeparator: m.Separator}
	if path.Base(key) != ".zarray" {
		if m.NodeType != "array" {
			return KeyEncoding{}, false, nil
		}
		km.ZarrFormat, km.DimensionSeparator = 3, ""
		if e := m.ChunkKeyEncoding; e != nil {
			km.ChunkKeyEncoding, km.DimensionSeparator = e.Name, e.Configuration.Separator
		}
	}
	return km.KeyEncoding(), true, nil
}

// Owned splits keys (as listed from st) into those a Zarr hierarchy owns
// and the rest. A hierarchy owns the metadata documents of its nodes (a
// node is a directory with zarr.json, .zarray or .zgroup) and, for each
// array, exactly the keys of its chunks (or shards) under the array's
// chunk key encoding. Anything else, such as a user's notes.txt beside the
// arrays or files in a numeric folder that is not an array, is foreign.
// Metadata that cannot be read makes its array's chunks foreign, so a
// caller deleting only owned keys never deletes what it cannot explain.
func Owned(ctx context.Context, st store.Store, keys []string) (owned, foreign []string, err error) {
	nodes := map[string]bool{}
	arrays := map[string]KeyEncoding{}
	for _, k := range keys {
		switch path.Base(k) {
		case "zarr.json", ".zarray", ".zgroup":
			dir := path.Dir(k)
			nodes[dir] = true
			if path.Base(k) == ".zgroup" {
				continue
			}
			s, isArray, err := scheme(ctx, st, k)
			if err != nil && !errors.Is(err, errBadNode) {
				return nil, nil, err
			}
			if isArray {
				arrays[dir] = s
			}
		}
	}
	for _, k := range keys {
		if ownedKey(k, nodes, arrays) {
			owned = append(owned, k)
		} else {
			foreign = append(foreign, k)
		}
	}
	return owned, foreign, nil
}

func ownedKey(k string, nodes map[string]bool, arrays map[string]KeyEncoding) bool {
	if metaNames[path.Base(k)] && nodes[path.Dir(k)] {
		return true
	}
	// The nearest enclosing array decides: chunk keys of a "/"-separated
	// array are nested paths under it.
	for dir := path.Dir(k); ; dir = path.Dir(dir) {
		if s, ok := arrays[dir]; ok {
			rel := k
			if dir != "." {
				rel = strings.TrimPrefix(k, dir+"/")
			}
			return s.match(rel)
		}
		if dir == "." || dir == "/" {
			return false
		}
	}
}

// MetadataKeys returns the keys of the array's metadata documents.
func (a *Array) MetadataKeys() []string {
	if a.meta.ZarrFormat == 3 {
		return []string{join(a.path, "zarr.json")}
	}
	return []string{join(a.path, ".zarray"), join(a.path, ".zattrs")}
}

// SampleKeys returns the keys of up to n stored objects (chunks, or shards
// when sharded) spread evenly over the array's grid in C order, first and
// last included: a cheap sample for fingerprinting the data.
func (a *Array) SampleKeys(n int) []string {
	grid := make([]int, len(a.meta.Shape))
	total := 1
	for i, s := range a.meta.Shape {
		grid[i] = (s + a.ws[i] - 1) / a.ws[i]
		if total > math.MaxInt/max(grid[i], 1) {
			total = math.MaxInt
		} else {
			total *= grid[i]
		}
	}
	if total == 0 || n <= 0 {
		return nil
	}
	n = min(n, total)
	keys := make([]string, 0, n)
	idx := make([]int, len(grid))
	for k := range n {
		lin := total - 1
		if n > 1 {
			lin = int(float64(k) * float64(total-1) / float64(n-1))
		}
		for i := len(grid) - 1; i >= 0; i-- {
			idx[i] = lin % grid[i]
			lin /= grid[i]
		}
		keys = append(keys, a.chunkKey(idx))
	}
	return keys
}

// ErrForeign is returned (wrapped) by Clear when the keys under the
// hierarchy include some that no node owns.
var ErrForeign = errors.New("zarr: files that are not part of a Zarr hierarchy")

// ClearOptions tune Clear.
type ClearOptions struct {
	// Private marks keys of a tool's own bookkeeping inside the hierarchy
	// (ryomen's ".ryomen/"), deleted right after the root's metadata;
	// PrivateFirst among them goes first (a run record).
	Private      func(key string) bool
	PrivateFirst string
}

// Clear deletes the Zarr hierarchy whose root is at path p of st, only if
// every key under it is owned by one of its nodes (see [Owned]) or
// private: otherwise nothing is deleted and the error, wrapping
// [ErrForeign], names a foreign key. The order never leaves something
// that looks complete: the root's metadata first, then private keys, then
// every other node's metadata, then chunks.
func Clear(ctx context.Context, st store.Store, p string, o ClearOptions) error {
	prefix := ""
	if p != "" {
		prefix = strings.TrimSuffix(p, "/") + "/"
	}
	keys, err := st.List(ctx, prefix)
	if err != nil {
		return err
	}
	var private, rest []string
	for _, k := range keys {
		if o.Private != nil && o.Private(k) {
			private = append(private, k)
		} else {
			rest = append(rest, k)
		}
	}
	owned, foreign, err := Owned(ctx, st, rest)
	if err != nil {
		return err
	}
	if len(foreign) > 0 {
		return fmt.Errorf("%w: %d such file(s), e.g. %q; refusing to delete them", ErrForeign, len(foreign), foreign[0])
	}
	var root, meta, chunks []string
	for _, k := range owned {
		switch {
		case IsMetadataKey(k) && path.Dir(k) == path.Clean("./"+p):
			root = append(root, k)
		case IsMetadataKey(k):
			meta = append(meta, k)
		default:
			chunks = append(chunks, k)
		}
	}
	slices.SortStableFunc(private, func(a, b string) int {
		switch {
		case a == b || (a != o.PrivateFirst && b != o.PrivateFirst):
			return 0
		case a == o.PrivateFirst:
			return -1
		}
		return 1
	})
	for _, group := range [][]string{root, private, meta, chunks} {
		for _, k := range group {
			if err := st.Delete(ctx, k); err != nil {
				return err
			}
		}
	}
	return nil
}
