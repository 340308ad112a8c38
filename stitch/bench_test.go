package stitch

import (
	"context"
	"testing"

	"github.com/ryomen-dev/ryomen/label"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/process"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/synth"
	"github.com/ryomen-dev/ryomen/tile"
)

// BenchmarkMap times stitched runs of the threshold-then-label model on a
// 64x128x128 uint8 volume (crops of 32^3 with margins of 4, 80 tiles)
// against the same tiled run pasted without stitching (rule=none), so the
// ratio is the stitching overhead. Bytes are input voxels.
func BenchmarkMap(b *testing.B) {
	shape := []int{64, 128, 128}
	img := blobs(shape, 11, 0.5)
	p, err := tile.New(shape, tile.Spec{Crop: []int{32, 32, 32}, Margin: []int{4, 4, 4}, Border: tile.Symmetric})
	if err != nil {
		b.Fatal(err)
	}
	fn := thresholdModel(3)
	ctx := context.Background()
	b.Run("rule=none", func(b *testing.B) {
		f := func(ctx context.Context, bt tile.Batch[uint8]) ([]*nd.Array[uint32], error) {
			crops := make([]nd.Any, len(bt.Crops))
			for i, c := range bt.Crops {
				crops[i] = c
			}
			res, err := fn(ctx, bt.Tiles, crops)
			out := make([]*nd.Array[uint32], len(res))
			for i, y := range res {
				out[i] = y.(*nd.Array[uint32])
			}
			return out, err
		}
		dst := nd.New[uint32](shape, nd.C)
		b.SetBytes(int64(img.Len()))
		b.ReportAllocs()
		for b.Loop() {
			if err := tile.Map(ctx, p, img, dst, f, tile.Options{Workers: 1}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, c := range []struct {
		name string
		o    Options
	}{{"overlap", Options{Rule: Overlap}}, {"overlap-iou0.5", Options{Rule: Overlap, IoU: 0.5}}, {"touch", Options{Rule: Touch}}} {
		b.Run("rule="+c.name, func(b *testing.B) {
			c.o.Workers = 1
			b.SetBytes(int64(img.Len()))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Map(ctx, p, img, fn, c.o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBuild times the out-of-core stitch (stitch.Build into an
// in-memory store, chunks 32x64x64, crops 48x96x96 with margins of 8)
// against the same tiled run without stitching (process.Run, rule=none)
// of a threshold-then-label model on a 64x256x256 uint16 synthetic
// volume. Bytes are input bytes.
func BenchmarkBuild(b *testing.B) {
	vol, err := synth.New(synth.Params{Shape: []int{64, 256, 256}, Seed: 4})
	if err != nil {
		b.Fatal(err)
	}
	src := nd.New[uint16](vol.Image().Shape(), nd.C) // rendered once, outside the timings
	if err := vol.Image().ReadRegion(src.Bounds(), src); err != nil {
		b.Fatal(err)
	}
	p, err := tile.New(src.Shape(), tile.Spec{Crop: []int{48, 96, 96}, Margin: []int{8, 8, 8}, Border: tile.Symmetric})
	if err != nil {
		b.Fatal(err)
	}
	model := func(ctx context.Context, ts []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		out := make([]nd.Any, len(crops))
		for i, c := range crops {
			m := nd.New[uint8](c.Shape(), nd.C)
			for k, v := range c.(*nd.Array[uint16]).Data() {
				if v > 900 {
					m.Data()[k] = 1
				}
			}
			lab, _, err := label.Local(m, label.Conn{Rank: 3, Order: 1}, false, nil)
			if err != nil {
				return nil, err
			}
			out[i] = nd.FromSlice(lab, c.Shape(), nd.C)
		}
		return out, nil
	}
	ctx := context.Background()
	opts := func() pyramid.Options {
		return pyramid.Options{Store: store.NewMemory(), Path: "out", Chunks: []int{32, 64, 64}, Axes: nd.DefaultAxes(3), Memory: 1 << 30}
	}
	bytes := int64(vol.Image().DType().Size()) * int64(64*256*256)
	b.Run("rule=none", func(b *testing.B) {
		b.SetBytes(bytes)
		b.ReportAllocs()
		for b.Loop() {
			o := opts()
			o.Method = "apply"
			if _, err := process.Run(ctx, src, process.Options{Plan: p, Func: model, OutDType: nd.Uint32, Output: o, CacheBytes: 128 << 20}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, r := range []Rule{Overlap, Touch} {
		b.Run("rule="+r.String(), func(b *testing.B) {
			b.SetBytes(bytes)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Build(ctx, p, src, model, Options{Rule: r}, opts()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
