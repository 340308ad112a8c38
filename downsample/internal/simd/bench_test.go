package simd

import "testing"

// BenchmarkMean2x2U8Row: one pair of 1024-byte rows, cache resident, to
// separate the kernel's arithmetic from memory bandwidth.
func BenchmarkMean2x2U8Row(b *testing.B) {
	r0, r1, d := make([]uint8, 1024), make([]uint8, 1024), make([]uint8, 512)
	b.SetBytes(2048)
	for b.Loop() {
		Mean2x2U8(d, r0, r1)
	}
}

// BenchmarkMean2x2U8Plane: the same over a 64 MiB plane, row pair by row
// pair, as package downsample calls it.
func BenchmarkMean2x2U8Plane(b *testing.B) {
	src := make([]uint8, 64<<20)
	dst := make([]uint8, 16<<20)
	for i := range src {
		src[i] = uint8(i)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		for o, i := 0, 0; i < len(src); o, i = o+512, i+2048 {
			Mean2x2U8(dst[o:o+512], src[i:i+1024], src[i+1024:i+2048])
		}
	}
}

// BenchmarkCopyPlane: copy of the same 64 MiB, the bandwidth yardstick.
func BenchmarkCopyPlane(b *testing.B) {
	src := make([]uint8, 64<<20)
	dst := make([]uint8, 64<<20)
	copy(dst, src)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		copy(dst, src)
	}
}
