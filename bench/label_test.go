package bench

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/ryomen-dev/ryomen/label"
	"github.com/ryomen-dev/ryomen/nd"
)

// hashMask is the volume of BenchmarkLabel and label_scipy.py: voxel
// (z, y, x) is foreground when a 32-bit hash of its coordinates, masked to
// 10 bits, is below 1024*density. Both sides compute it the same way, so
// they label identical volumes without sharing a file.
func hashMask(shape []int, density float64) *nd.Array[uint8] {
	a := nd.New[uint8](shape, nd.C)
	d := a.Data()
	lim := uint32(1024 * density)
	i := 0
	for z := range shape[0] {
		for y := range shape[1] {
			for x := range shape[2] {
				h := uint32(z)*0x9E3779B1 + uint32(y)*0x85EBCA77 + uint32(x)*0xC2B2AE3D
				h ^= h >> 15
				h *= 0x2C1B3C6D
				h ^= h >> 12
				if h&1023 < lim {
					d[i] = 1
				}
				i++
			}
		}
	}
	return a
}

// BenchmarkLabel labels a 256x512x512 uint8 mask (64 MiB; RYOMEN_BENCH_SHAPE
// overrides) in memory through the out-of-core path: blocks of
// 64x128x128, face union-find, relabel into uint32, no statistics. MB/s
// counts input bytes, as label_scipy.py does for scipy.ndimage.label;
// cpu-s/op is the process's CPU time per op (all workers), which other
// load on the machine inflates less than wall time.
func BenchmarkLabel(b *testing.B) {
	shape := []int{256, 512, 512}
	if s := benchShapeOr(b, shape); s != nil {
		shape = s
	}
	for _, density := range []float64{0.25, 0.5} {
		vol := hashMask(shape, density)
		dst := nd.New[uint32](shape, nd.C)
		for _, conn := range []int{1, 3} {
			b.Run(fmt.Sprintf("density=%.2f/conn=%d", density, conn), func(b *testing.B) {
				b.SetBytes(int64(vol.Len()))
				b.ReportAllocs()
				o := label.Options{Conn: label.Conn{Rank: 3, Order: conn}, Chunks: []int{64, 128, 128}}
				var objects uint64
				cpu0 := cpuTime()
				for b.Loop() {
					t, err := label.Label(context.Background(), vol, dst, o, nil, label.Format{})
					if err != nil {
						b.Fatal(err)
					}
					objects = t.Objects()
				}
				b.ReportMetric(float64(objects), "objects")
				b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			})
		}
	}
}

// benchShapeOr returns RYOMEN_BENCH_SHAPE when set, else nil.
func benchShapeOr(b *testing.B, _ []int) []int {
	if os.Getenv("RYOMEN_BENCH_SHAPE") == "" {
		return nil
	}
	return benchShape(b)
}
