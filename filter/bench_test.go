package filter

import (
	"math/rand/v2"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/f32"
	"github.com/ryomen-dev/ryomen/nd"
)

// benchGaussian blurs a 64x256x256 float32 block (plus margins) with
// sigma 2 on every axis; MB/s counts output bytes.
func benchGaussian(b *testing.B, vector bool) {
	old := f32.Vector
	f32.Vector = vector && old
	defer func() { f32.Vector = old }()
	sigma := []float64{2, 2, 2}
	m := Margins(sigma)
	shape := []int{64, 256, 256}
	src := randArray(rand.New(rand.NewPCG(1, 2)), grow3(shape, m))
	dst := nd.New[float32](shape, nd.C)
	b.SetBytes(int64(dst.Len()) * 4)
	b.ReportAllocs()
	for b.Loop() {
		if err := Gaussian(dst, src, sigma); err != nil {
			b.Fatal(err)
		}
	}
}

func grow3(s, m []int) []int {
	g := make([]int, len(s))
	for i := range s {
		g[i] = s[i] + 2*m[i]
	}
	return g
}

func BenchmarkGaussian3D(b *testing.B)       { benchGaussian(b, true) }
func BenchmarkGaussian3DPureGo(b *testing.B) { benchGaussian(b, false) }
