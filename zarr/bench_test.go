package zarr

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
)

// benchVolume returns a uint16 volume of about $ZARR_BENCH_MIB MiB (default
// 64) shaped [n, 512, 512] with compressible, non-constant content.
//
// The 1 GiB run:
//
//	ZARR_BENCH_MIB=1024 go test -run XXX -bench Volume -benchtime 1x ./zarr
func benchVolume(b *testing.B) *nd.Array[uint16] {
	mib := 64
	if s := os.Getenv("ZARR_BENCH_MIB"); s != "" {
		mib, _ = strconv.Atoi(s)
	}
	z := max(1, mib*(1<<20)/(512*512*2))
	a := nd.New[uint16]([]int{z, 512, 512}, nd.C)
	d := a.Data()
	for i := range d {
		d[i] = uint16((i/7)%997 + (i>>18)%13)
	}
	return a
}

func benchFormat(b *testing.B, m Meta) {
	vol := benchVolume(b)
	raw, _ := nd.AsBytes(vol)
	ctx := context.Background()
	m.Shape, m.DType = vol.Shape(), nd.Uint16
	b.Run("raw-disk-write", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			p := filepath.Join(b.TempDir(), "raw")
			f, err := os.Create(p)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Write(raw); err != nil {
				b.Fatal(err)
			}
			f.Sync()
			f.Close()
		}
	})
	dir := b.TempDir()
	b.Run("write", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			os.RemoveAll(filepath.Join(dir, "v"))
			a, err := Create(ctx, dirStore(dir), "v", m, nil)
			if err != nil {
				b.Fatal(err)
			}
			if err := a.WriteRegion(nd.BoxOf(m.Shape), vol); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read", func(b *testing.B) {
		a, err := Open(ctx, dirStore(dir), "v")
		if err != nil {
			b.Skip(err)
		}
		dst := nd.New[uint16](m.Shape, nd.C)
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if err := a.ReadRegion(nd.BoxOf(m.Shape), dst); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVolumeV3ShardedZstd: 128^3-ish shards of 64^3 inner chunks,
// zstd level 1.
func BenchmarkVolumeV3ShardedZstd(b *testing.B) {
	benchFormat(b, Meta{ZarrFormat: 3, Chunks: []int{64, 64, 64}, Shard: []int{64, 256, 256},
		Codecs: []codec.Codec{codec.Zstd{Level: 1}}})
}

// BenchmarkVolumeV2BloscLZ4: 64^3 chunks, blosc lz4 with byte shuffle.
func BenchmarkVolumeV2BloscLZ4(b *testing.B) {
	benchFormat(b, Meta{ZarrFormat: 2, Chunks: []int{64, 64, 64},
		Compressor: codec.Blosc{CName: "lz4", CLevel: 5, Shuffle: 1}})
}

// BenchmarkVolumeV3ShardedGzip runs the sharded layout with gzip, for
// comparison (and while other codecs are unavailable).
func BenchmarkVolumeV3ShardedGzip(b *testing.B) {
	benchFormat(b, Meta{ZarrFormat: 3, Chunks: []int{64, 64, 64}, Shard: []int{64, 256, 256},
		Codecs: []codec.Codec{codec.Gzip{Level: 1}}})
}

// BenchmarkVolumeV3Sharded: the pyramid's default output layout without a
// codec (64^3 inner chunks in 64x256x256 shards): the bytes-only chain
// whose cost is copies, not compression.
func BenchmarkVolumeV3Sharded(b *testing.B) {
	benchFormat(b, Meta{ZarrFormat: 3, Chunks: []int{64, 64, 64}, Shard: []int{64, 256, 256}})
}

// BenchmarkVolumeV2Raw: 64^3 chunks, no compressor.
func BenchmarkVolumeV2Raw(b *testing.B) {
	benchFormat(b, Meta{ZarrFormat: 2, Chunks: []int{64, 64, 64}})
}
