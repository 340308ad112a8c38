package zarr

import (
	"context"
	"testing"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
)

// BenchmarkShardTileReads: a viewer's pattern, one 32x32 tile (4 inner
// chunks of 16x16, zstd) at a time from [2048,2048] uint16 shards of
// 256x256 (256 inner chunks each, a 4 KiB index). The index is read once
// per shard with the cache, once per tile without.
func BenchmarkShardTileReads(b *testing.B) {
	ctx := context.Background()
	st := store.NewMemory()
	m := Meta{Shape: []int{2048, 2048}, Chunks: []int{16, 16}, Shard: []int{256, 256}, DType: nd.Uint16,
		Codecs: []codec.Codec{codec.Zstd{Level: 1}}}
	a, err := Create(ctx, st, "t", m, nil)
	if err != nil {
		b.Fatal(err)
	}
	src := nd.New[uint16](m.Shape, nd.C)
	for i, d := 0, src.Data(); i < len(d); i++ {
		d[i] = uint16(i*7 + i>>11)
	}
	if err := a.WriteRegion(nd.BoxOf(m.Shape), src); err != nil {
		b.Fatal(err)
	}
	r, err := Open(ctx, st, "t")
	if err != nil {
		b.Fatal(err)
	}
	tile := nd.New[uint16]([]int{32, 32}, nd.C)
	b.SetBytes(32 * 32 * 2)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		y, x := (i*40)%2016, (i*136)%2016
		i++
		if err := r.ReadRegion(nd.NewBox([]int{y, x}, []int{y + 32, x + 32}), tile); err != nil {
			b.Fatal(err)
		}
	}
}
