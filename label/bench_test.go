package label

import (
	"fmt"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// blockMask is a 64x128x128 block: a hashed random mask at density d, or
// (d < 0) balls of radius 6 on a 16-voxel lattice, with long runs.
func blockMask(d float64) *nd.Array[uint8] {
	shape := []int{64, 128, 128}
	a := nd.New[uint8](shape, nd.C)
	i := 0
	for z := range shape[0] {
		for y := range shape[1] {
			for x := range shape[2] {
				h := uint32(z)*0x9E3779B1 + uint32(y)*0x85EBCA77 + uint32(x)*0xC2B2AE3D
				h ^= h >> 15
				h *= 0x2C1B3C6D
				h ^= h >> 12
				if d >= 0 && float64(h&1023) < 1024*d {
					a.Data()[i] = 1
				}
				dz, dy, dx := z%16-8, y%16-8, x%16-8
				if d < 0 && dz*dz+dy*dy+dx*dx <= 36 {
					a.Data()[i] = 1
				}
				i++
			}
		}
	}
	return a
}

// BenchmarkScan is the block labelling alone (pass 1's and pass 3's
// scan), on one block, by connectivity and mask kind.
func BenchmarkScan(b *testing.B) {
	for _, d := range []float64{0.25, 0.5, -1} {
		a := blockMask(d)
		for _, order := range []int{1, 3} {
			name := fmt.Sprintf("density=%.2f/conn=%d", d, order)
			if d < 0 {
				name = fmt.Sprintf("balls/conn=%d", order)
			}
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(a.Len()))
				var s scratch
				for b.Loop() {
					if _, err := s.label(a, Conn{3, order}, false); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
