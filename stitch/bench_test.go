package stitch

import (
	"context"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
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
