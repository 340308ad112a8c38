package bench

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ryomen-dev/ryomen/filter"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// slabber holds the buffers gaussianSlabs reuses from slab to slab.
type slabber struct {
	b16 []uint16
	bf  []float32
	ws  filter.Workspace
}

// gaussianSlabs blurs vol into out in z slabs of slab planes, the work
// gaussian_scipy.py times: each slab is read with a margin of the kernel
// radius (tile.Symmetric padding at the volume's edges, scipy's
// mode='reflect'), converted to float32 and blurred into its part of out.
func (s *slabber) gaussianSlabs(vol *nd.Array[uint16], out *nd.Array[float32], sigma float64, slab int) error {
	sh := vol.Shape()
	sig := []float64{sigma, sigma, sigma}
	r := filter.Radius(sigma)
	for z0 := 0; z0 < sh[0]; z0 += slab {
		z1 := min(z0+slab, sh[0])
		crop := nd.Box{Min: []int{z0 - r, -r, -r}, Max: []int{z1 + r, sh[1] + r, sh[2] + r}}
		n := 1
		for _, v := range crop.Shape() {
			n *= v
		}
		if cap(s.b16) < n {
			s.b16, s.bf = make([]uint16, n), make([]float32, n)
		}
		b16, bf := s.b16[:n], s.bf[:n]
		c16 := nd.FromSlice(b16, crop.Shape(), nd.C)
		if err := tile.ReadCrop(vol, crop, tile.Symmetric, 0, c16); err != nil {
			return err
		}
		for i, v := range b16 {
			bf[i] = float32(v)
		}
		dst := out.Sub(nd.Box{Min: []int{z0, 0, 0}, Max: []int{z1, sh[1], sh[2]}})
		if err := s.ws.Gaussian(dst, nd.FromSlice(bf, crop.Shape(), nd.C), sig); err != nil {
			return err
		}
	}
	return nil
}

// benchShape is the volume of BenchmarkGaussianSlabs: RYOMEN_BENCH_SHAPE
// (z,y,x) or 512x1024x1024 uint16, 1 GiB.
func benchShape(b *testing.B) []int {
	s := os.Getenv("RYOMEN_BENCH_SHAPE")
	if s == "" {
		return []int{512, 1024, 1024}
	}
	var shape []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(f)
		if err != nil || v <= 0 {
			b.Fatalf("RYOMEN_BENCH_SHAPE=%q: want z,y,x", s)
		}
		shape = append(shape, v)
	}
	if len(shape) != 3 {
		b.Fatalf("RYOMEN_BENCH_SHAPE=%q: want z,y,x", s)
	}
	return shape
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGaussianSlabs is the Go side of gaussian.sh: sigma 2, slabs
// of 64 planes, single-threaded. It reports wall time per op and, as
// cpu-s/op, the process's CPU time, which other load on the machine
// inflates less.
func BenchmarkGaussianSlabs(b *testing.B) {
	shape := benchShape(b)
	vol := nd.New[uint16](shape, nd.C)
	r := rand.New(rand.NewPCG(0, 1))
	for i := range vol.Data() {
		vol.Data()[i] = uint16(r.UintN(4096))
	}
	out := nd.New[float32](shape, nd.C)
	clear(out.Data()) // fault the pages in before timing
	b.SetBytes(int64(vol.Len()) * 2)
	b.ReportAllocs()
	var s slabber
	c0 := cpuTime()
	for b.Loop() {
		if err := s.gaussianSlabs(vol, out, 2, 64); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
}
