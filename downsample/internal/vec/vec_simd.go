//go:build goexperiment.simd && amd64

package vec

import "simd/archsimd"

// Enabled reports whether the vector kernels run (AVX-512 present).
var Enabled = archsimd.X86.AVX512()

// AVX2 has no effect in this build.
var AVX2 = false

// Mean2x2U8 computes, for the first n outputs (n a multiple of 32 that
// fits d and both rows), the uint8 2x2 block mean. Reference loop:
//
//	d[x] = uint8((uint(r0[2x]) + uint(r0[2x+1]) + uint(r1[2x]) + uint(r1[2x+1])) >> 2)
//
// With round the sum s is rounded to nearest, ties to even:
// (s + 1 + ((s>>2)&1)) >> 2. It returns n; the caller finishes the row.
func Mean2x2U8(d, r0, r1 []uint8, round bool) int {
	if !Enabled {
		return 0
	}
	m := archsimd.BroadcastUint16x32(0x00FF)
	one := archsimd.BroadcastUint16x32(1)
	n := 0
	for n+32 <= len(d) && 2*n+64 <= len(r0) && 2*n+64 <= len(r1) {
		a := archsimd.LoadUint8x64Slice(r0[2*n : 2*n+64]).AsUint16x32()
		b := archsimd.LoadUint8x64Slice(r1[2*n : 2*n+64]).AsUint16x32()
		s := a.And(m).Add(a.ShiftAllRight(8)).Add(b.And(m)).Add(b.ShiftAllRight(8))
		if round { // (s + 1 + ((s>>2)&1)) >> 2: nearest, ties to even
			s = s.Add(one).Add(s.ShiftAllRight(2).And(one))
		}
		s.ShiftAllRight(2).TruncateToUint8().StoreSlice(d[n : n+32])
		n += 32
	}
	return n
}

// Mean2x2x2U8 is Mean2x2U8 over four rows, >> 3 (rounding: s + 3 +
// ((s>>3)&1)). Reference loop:
//
//	d[x] = uint8((sum of r0..r3 at 2x and 2x+1) >> 3)
func Mean2x2x2U8(d, r0, r1, r2, r3 []uint8, round bool) int {
	if !Enabled {
		return 0
	}
	m := archsimd.BroadcastUint16x32(0x00FF)
	one := archsimd.BroadcastUint16x32(1)
	three := archsimd.BroadcastUint16x32(3)
	n := 0
	for n+32 <= len(d) && 2*n+64 <= len(r0) && 2*n+64 <= len(r1) && 2*n+64 <= len(r2) && 2*n+64 <= len(r3) {
		s := archsimd.BroadcastUint16x32(0)
		for _, r := range [4][]uint8{r0, r1, r2, r3} {
			a := archsimd.LoadUint8x64Slice(r[2*n : 2*n+64]).AsUint16x32()
			s = s.Add(a.And(m)).Add(a.ShiftAllRight(8))
		}
		if round {
			s = s.Add(three).Add(s.ShiftAllRight(3).And(one))
		}
		s.ShiftAllRight(3).TruncateToUint8().StoreSlice(d[n : n+32])
		n += 32
	}
	return n
}
