package zarr_test

import (
	"context"
	"fmt"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

func Example() {
	ctx := context.Background()
	st := store.NewMemory()
	a, err := zarr.Create(ctx, st, "raw", zarr.Meta{
		ZarrFormat: 3, Shape: []int{4, 6}, Chunks: []int{2, 2}, Shard: []int{4, 6},
		DType: nd.Uint16, DimensionNames: []string{"y", "x"},
	}, nil)
	if err != nil {
		panic(err)
	}
	src := nd.New[uint16]([]int{2, 3}, nd.C)
	src.Fill(9)
	if err := a.WriteRegion(nd.NewBox([]int{1, 2}, []int{3, 5}), src); err != nil {
		panic(err)
	}
	b, err := zarr.Open(ctx, st, "raw")
	if err != nil {
		panic(err)
	}
	dst := nd.New[uint16]([]int{4, 6}, nd.C)
	if err := b.ReadRegion(nd.BoxOf([]int{4, 6}), dst); err != nil {
		panic(err)
	}
	fmt.Println(b.ChunkShape(), b.WriteChunkShape(), dst.Data())
	// Output: [2 2] [4 6] [0 0 0 0 0 0 0 0 9 9 9 0 0 0 9 9 9 0 0 0 0 0 0 0]
}

// A v2 array's order, dtype byte order and compressor, normalised into the
// chain every array runs, and its chunk keys.
func ExampleArray_Chain() {
	ctx := context.Background()
	a, err := zarr.Create(ctx, store.NewMemory(), "v2", zarr.Meta{
		ZarrFormat: 2, Shape: []int{4, 6}, Chunks: []int{2, 3}, DType: nd.Uint16,
		Order: nd.F, BigEndian: true, DimensionSeparator: "/",
	}, nil)
	if err != nil {
		panic(err)
	}
	c, e := a.Chain(), a.KeyEncoding()
	idx, _ := e.Parse("1/0")
	fmt.Println(c.ArrayToArray, c.ArrayToBytes.BigEndian, len(c.BytesToBytes), e.Key([]int{1, 0}), idx)
	// Output: [{[1 0]}] true 0 1/0 [1 0]
}

// The inner chunks of one shard as a read-only store: List reads the
// shard index (one suffix read, cached by the array), Get is one ranged
// read.
func ExampleArray_ShardStore() {
	ctx := context.Background()
	a, err := zarr.Create(ctx, store.NewMemory(), "s", zarr.Meta{
		Shape: []int{4, 4}, Chunks: []int{2, 2}, Shard: []int{4, 4}, DType: nd.Uint8,
	}, nil)
	if err != nil {
		panic(err)
	}
	src := nd.New[uint8]([]int{2, 2}, nd.C)
	src.Fill(5)
	if err := a.WriteRegion(nd.NewBox([]int{2, 0}, []int{4, 2}), src); err != nil {
		panic(err)
	}
	ss, err := a.ShardStore([]int{0, 0})
	if err != nil {
		panic(err)
	}
	keys, _ := ss.List(ctx, "")
	b, _ := ss.Get(ctx, keys[0])
	fmt.Println(ss.Key(), keys, b)
	// Output: s/c/0/0 [c/1/0] [5 5 5 5]
}
