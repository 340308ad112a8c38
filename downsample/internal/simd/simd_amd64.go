//go:build goexperiment.simd && amd64

package simd

import "simd/archsimd"

// Available reports whether the vector kernels run on this build and CPU
// (AVX-512 with byte and word instructions).
var Available = archsimd.X86.AVX512()

// Mean2x2U8 writes d[x] = (r0[2x] + r0[2x+1] + r1[2x] + r1[2x+1]) >> 2
// for x in [0, n), n a multiple of 32 with 2n <= len(r0), len(r1) and
// n <= len(d), and returns n (0 when the CPU lacks AVX-512). Reference
// loop (package downsample's mean2x2U8):
//
//	for x := 0; x < n; x++ {
//		d[x] = uint8((uint32(r0[2*x]) + uint32(r0[2*x+1]) + uint32(r1[2*x]) + uint32(r1[2*x+1])) >> 2)
//	}
func Mean2x2U8(d, r0, r1 []uint8) int {
	if !Available {
		return 0
	}
	ones := archsimd.BroadcastInt8x64(1)
	n := 0
	for ; len(r0) >= 64 && len(r1) >= 64 && len(d) >= 32; r0, r1, d = r0[64:], r1[64:], d[32:] {
		// VPMADDUBSW: adjacent byte pairs summed into 16-bit lanes
		// (at most 510, so never saturated).
		a := archsimd.LoadUint8x64Slice(r0).DotProductPairsSaturated(ones)
		b := archsimd.LoadUint8x64Slice(r1).DotProductPairsSaturated(ones)
		a.Add(b).AsUint16x32().ShiftAllRight(2).TruncateToUint8().StoreSlice(d)
		n += 32
	}
	return n
}

// Mean2x2x2U8 is Mean2x2U8 over four rows, >> 3 (sums at most 2040).
// Reference loop:
//
//	for x := 0; x < n; x++ {
//		d[x] = uint8((sum over r in r0..r3 of uint32(r[2*x]) + uint32(r[2*x+1])) >> 3)
//	}
func Mean2x2x2U8(d, r0, r1, r2, r3 []uint8) int {
	if !Available {
		return 0
	}
	ones := archsimd.BroadcastInt8x64(1)
	n := 0
	for ; len(r0) >= 64 && len(r1) >= 64 && len(r2) >= 64 && len(r3) >= 64 && len(d) >= 32; r0, r1, r2, r3, d = r0[64:], r1[64:], r2[64:], r3[64:], d[32:] {
		a := archsimd.LoadUint8x64Slice(r0).DotProductPairsSaturated(ones)
		b := archsimd.LoadUint8x64Slice(r1).DotProductPairsSaturated(ones)
		c := archsimd.LoadUint8x64Slice(r2).DotProductPairsSaturated(ones)
		e := archsimd.LoadUint8x64Slice(r3).DotProductPairsSaturated(ones)
		a.Add(b).Add(c.Add(e)).AsUint16x32().ShiftAllRight(3).TruncateToUint8().StoreSlice(d)
		n += 32
	}
	return n
}
