package zarr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"

	"github.com/ryomen-dev/ryomen/store"
)

// ensureParents creates group metadata at every ancestor of p that has
// none.
func ensureParents(ctx context.Context, st store.Store, p string, format int) error {
	if p == "" {
		return nil
	}
	dir := path.Dir(p)
	for {
		if dir == "." {
			dir = ""
		}
		if !nodeExists(ctx, st, dir) {
			if err := CreateGroup(ctx, st, dir, format, nil); err != nil {
				return err
			}
		}
		if dir == "" {
			return nil
		}
		dir = path.Dir(dir)
	}
}

func nodeExists(ctx context.Context, st store.Store, p string) bool {
	for _, k := range []string{"zarr.json", ".zgroup", ".zarray"} {
		if _, err := st.GetRange(ctx, join(p, k), 0, 1); err == nil {
			return true
		}
	}
	return false
}

// CreateGroup writes group metadata at p: .zgroup (plus .zattrs when attrs
// is non-empty) for format 2, zarr.json with node_type "group" for format 3.
func CreateGroup(ctx context.Context, st store.Store, p string, format int, attrs map[string]any) error {
	p, err := CleanPath(p)
	if err != nil {
		return err
	}
	if err := ensureParents(ctx, st, p, format); err != nil {
		return err
	}
	return SetGroupAttrs(ctx, st, p, format, attrs)
}

// SetGroupAttrs writes the group metadata at p with the given attributes.
func SetGroupAttrs(ctx context.Context, st store.Store, p string, format int, attrs map[string]any) error {
	if attrs == nil {
		attrs = map[string]any{}
	}
	switch format {
	case 2:
		if err := st.Put(ctx, join(p, ".zgroup"), []byte("{\n    \"zarr_format\": 2\n}")); err != nil {
			return err
		}
		if len(attrs) == 0 {
			return nil
		}
		b, err := json.MarshalIndent(attrs, "", "    ")
		if err != nil {
			return err
		}
		return st.Put(ctx, join(p, ".zattrs"), b)
	case 3:
		b, err := json.MarshalIndent(map[string]any{"zarr_format": 3, "node_type": "group", "attributes": attrs}, "", "    ")
		if err != nil {
			return err
		}
		return st.Put(ctx, join(p, "zarr.json"), b)
	}
	return fmt.Errorf("zarr: group %q: zarr_format %d unsupported", p, format)
}

// GroupAttrs reads the attributes of the group (or array) at p and reports
// its zarr format. A v2 node without .zattrs has empty attributes.
func GroupAttrs(ctx context.Context, st store.Store, p string) (map[string]any, int, error) {
	p, err := CleanPath(p)
	if err != nil {
		return nil, 0, err
	}
	attrs := map[string]any{}
	key := join(p, "zarr.json")
	if b, err := st.Get(ctx, key); err == nil {
		var j struct {
			ZarrFormat int            `json:"zarr_format"`
			Attributes map[string]any `json:"attributes"`
		}
		if err := json.Unmarshal(b, &j); err != nil || j.ZarrFormat != 3 {
			return nil, 0, fmt.Errorf("zarr: %s: not zarr v3 metadata (%v)", key, err)
		}
		if j.Attributes != nil {
			attrs = j.Attributes
		}
		return attrs, 3, nil
	}
	if !nodeExists(ctx, st, p) {
		return nil, 0, fmt.Errorf("zarr: no group or array at %q: %w", p, store.ErrNotFound)
	}
	key = join(p, ".zattrs")
	b, err := st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return attrs, 2, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal(b, &attrs); err != nil {
		return nil, 0, fmt.Errorf("zarr: %s: %v", key, err)
	}
	return attrs, 2, nil
}
