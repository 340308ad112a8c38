package tile

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/ryomen-dev/ryomen/nd"
)

// Blending benchmarks: tiling plus an identity function with Gaussian
// blending, single-threaded. MB/s counts image bytes (each voxel once);
// compare with BenchmarkMemcpy2D/3D (a copy of the same bytes) in the
// same run. cpu-MB/s divides the same bytes by the process's CPU time
// instead of wall time, which other load on a shared machine inflates
// less.

func benchBlend[T nd.Number](b *testing.B, shape []int, s Spec) {
	img := nd.New[T](shape, nd.C)
	for i := range img.Data() {
		img.Data()[i] = T(i * 7 % 251)
	}
	out := nd.New[T](shape, nd.C)
	copy(out.Data(), img.Data()) // fault the pages in before timing
	p, err := New(shape, s)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(img.Len()) * int64(nd.DTypeOf[T]().Size()))
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		if err := Map(context.Background(), p, img, out, identity[T], Options{Workers: 1, Merge: BlendGaussian}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(img.Len())*float64(nd.DTypeOf[T]().Size())*float64(b.N)/(cpuTime()-c0).Seconds()/1e6, "cpu-MB/s")
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkTile3DBlend(b *testing.B)    { benchBlend[uint8](b, shape3D, spec3D) }
func BenchmarkTile2DBlendU16(b *testing.B) { benchBlend[uint16](b, shape2D, spec2D) }
func BenchmarkTile2DBlendF32(b *testing.B) { benchBlend[float32](b, shape2D, spec2D) }
func BenchmarkTile2DBlendF64(b *testing.B) { benchBlend[float64](b, shape2D, spec2D) }
func BenchmarkTile2DBlendU8(b *testing.B)  { benchBlend[uint8](b, shape2D, spec2D) }

// benchBlendAdd times the blender alone: every tile's result (one
// crop-shaped array, reused) is added in plan order, without reading
// crops, so the figure is the merge's own cost.
func benchBlendAdd(b *testing.B, shape []int, s Spec) {
	p, err := New(shape, s)
	if err != nil {
		b.Fatal(err)
	}
	out := nd.New[uint8](p.OutShape(), nd.C)
	clear(out.Data())
	y := benchImage(p.OutCropShape())
	tiles := make([]Tile, 0, p.Len())
	for t := range p.All() {
		tiles = append(tiles, t)
	}
	b.SetBytes(int64(out.Len()))
	b.ReportAllocs()
	for b.Loop() {
		bl := newBlender[uint8](p, out, BlendGaussian, 0.125)
		for _, t := range tiles {
			if err := bl.add(t, y); err != nil {
				b.Fatal(err)
			}
		}
		if err := bl.checkAllFlushed(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBlendAdd2D(b *testing.B) { benchBlendAdd(b, shape2D, spec2D) }
func BenchmarkBlendAdd3D(b *testing.B) { benchBlendAdd(b, shape3D, spec3D) }
