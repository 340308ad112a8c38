package zarr_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

// TestOwned builds a hierarchy with v2 and v3 arrays of both separators,
// a group, and user files hidden among them (a numeric folder that is not
// an array, a note beside a chunk), and checks which keys it owns.
func TestOwned(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	mk := func(p string, m zarr.Meta) {
		a, err := zarr.Create(ctx, st, p, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.WriteRegion(nd.BoxOf(m.Shape), fillOnes(m.Shape)); err != nil {
			t.Fatal(err)
		}
	}
	mk("0", zarr.Meta{ZarrFormat: 3, Shape: []int{4, 4}, Chunks: []int{2, 2}, DType: nd.Uint8})
	mk("v2dot", zarr.Meta{ZarrFormat: 2, Shape: []int{4, 4}, Chunks: []int{2, 2}, DType: nd.Uint8})
	mk("labels/cells/0", zarr.Meta{ZarrFormat: 2, Shape: []int{4, 4, 4}, Chunks: []int{2, 2, 2}, DType: nd.Uint8, DimensionSeparator: "/"})
	user := []string{"notes.txt", "2024/thesis.txt", "0/c/0/readme", "0/c/x/0", "v2dot/0.0.0.bak", "labels/cells/0/1/1/1/extra"}
	for _, k := range user {
		if err := st.Put(ctx, k, []byte("mine")); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	owned, foreign, err := zarr.Owned(ctx, st, keys)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(user)
	if !slices.Equal(foreign, user) {
		t.Errorf("foreign = %v\nwant      %v", foreign, user)
	}
	for _, k := range []string{"0/zarr.json", "0/c/1/1", "v2dot/.zarray", "v2dot/1.0", "labels/cells/0/.zarray", "labels/cells/0/1/0/1", "labels/.zgroup"} {
		if !slices.Contains(owned, k) {
			t.Errorf("%s not owned (owned: %v)", k, owned)
		}
	}
	if len(owned)+len(foreign) != len(keys) {
		t.Errorf("%d owned + %d foreign != %d keys", len(owned), len(foreign), len(keys))
	}
}

func fillOnes(shape []int) *nd.Array[uint8] {
	a := nd.New[uint8](shape, nd.C)
	f, _ := a.Flat()
	for i := range f {
		f[i] = 1
	}
	return a
}

// TestCreateDefaultChunks: an array created without chunks gets
// DefaultChunks, and an error for bad chunks names the root as such.
func TestCreateDefaultChunks(t *testing.T) {
	ctx := context.Background()
	a, err := zarr.Create(ctx, store.NewMemory(), "", zarr.Meta{Shape: []int{3, 1000, 70}, DType: nd.Uint8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.ChunkShape(); !slices.Equal(got, []int{3, 64, 64}) {
		t.Fatalf("default chunks %v", got)
	}
	_, err = zarr.Create(ctx, store.NewMemory(), "", zarr.Meta{Shape: []int{4, 4}, Chunks: []int{4}, DType: nd.Uint8}, nil)
	if err == nil || !strings.Contains(err.Error(), "(root)") {
		t.Fatalf("error %v does not name the root", err)
	}
}
