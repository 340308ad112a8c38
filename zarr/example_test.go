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
