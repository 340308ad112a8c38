package tile

import (
	"context"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// The benchmarks: tiling plus an identity function, single
// threaded, against a plain copy of the same bytes measured in the same
// run. MB/s counts image bytes (each voxel once).

func benchImage(shape []int) *nd.Array[uint8] {
	img := nd.New[uint8](shape, nd.C)
	for i := range img.Data() {
		img.Data()[i] = uint8(i * 7)
	}
	return img
}

func benchMemcpy(b *testing.B, shape []int) {
	src := benchImage(shape)
	dst := nd.New[uint8](shape, nd.C)
	copy(dst.Data(), src.Data()) // fault the pages in before timing
	b.SetBytes(int64(src.Len()))
	b.ReportAllocs()
	for b.Loop() {
		copy(dst.Data(), src.Data())
	}
}

func benchTile(b *testing.B, shape []int, s Spec, workers int) {
	benchTileOpt(b, shape, s, Options{Workers: workers, ConcurrentWrites: true})
}

func benchTileOpt(b *testing.B, shape []int, s Spec, opt Options) {
	img := benchImage(shape)
	out := nd.New[uint8](shape, nd.C)
	copy(out.Data(), img.Data()) // fault the pages in before timing
	p, err := New(shape, s)
	if err != nil {
		b.Fatal(err)
	}
	// Bytes the tiler copies per run: every crop it fills (interior
	// crops are not copied with Views) plus every voxel it pastes.
	var moved int64
	for t := range p.All() {
		if !opt.Views || !img.Bounds().Contains(t.Crop) {
			moved += int64(prod(t.Crop.Shape()))
		}
	}
	moved += int64(img.Len())
	b.SetBytes(int64(img.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := Map(context.Background(), p, img, out, identity[uint8], opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(moved)*float64(b.N)/b.Elapsed().Seconds()/1e6, "copied-MB/s")
}

var (
	shape2D = []int{10000, 10000}
	spec2D  = Spec{Crop: []int{512, 512}, Margin: []int{64, 64}}
	shape3D = []int{64, 2048, 2048}
	spec3D  = Spec{Crop: []int{64, 512, 512}, Margin: []int{0, 64, 64}}
)

func BenchmarkMemcpy2D(b *testing.B)  { benchMemcpy(b, shape2D) }
func BenchmarkTile2D(b *testing.B)    { benchTile(b, shape2D, spec2D, 1) }
func BenchmarkTile2DPar(b *testing.B) { benchTile(b, shape2D, spec2D, 0) }
func BenchmarkTile2DViews(b *testing.B) {
	benchTileOpt(b, shape2D, spec2D, Options{Workers: 1, Views: true})
}
func BenchmarkTile3DViews(b *testing.B) {
	benchTileOpt(b, shape3D, spec3D, Options{Workers: 1, Views: true})
}

// Batches of one grid row (27 crops) let Map sweep the rows of the
// in-memory image in address order.
func BenchmarkTile2DRow(b *testing.B) {
	benchTileOpt(b, shape2D, spec2D, Options{Workers: 1, BatchSize: 27})
}
func BenchmarkTile2DRowViews(b *testing.B) {
	benchTileOpt(b, shape2D, spec2D, Options{Workers: 1, BatchSize: 27, Views: true})
}
func BenchmarkMemcpy3D(b *testing.B) { benchMemcpy(b, shape3D) }
func BenchmarkTile3D(b *testing.B)   { benchTile(b, shape3D, spec3D, 1) }
func BenchmarkTile2DBlend(b *testing.B) {
	img := benchImage(shape2D)
	out := nd.New[uint8](shape2D, nd.C)
	p, err := New(shape2D, spec2D)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(img.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := Map(context.Background(), p, img, out, identity[uint8], Options{Workers: 1, Merge: BlendGaussian}); err != nil {
			b.Fatal(err)
		}
	}
}
