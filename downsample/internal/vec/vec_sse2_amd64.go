//go:build amd64 && !goexperiment.simd

package vec

import "golang.org/x/sys/cpu"

// Enabled is true: every amd64 CPU has SSE2 (AVX2 is used when present).
var Enabled = true

// AVX2 selects the 256-bit kernel (tests clear it to run the SSE2 one).
var AVX2 = cpu.X86.HasAVX2

// mean2x2SSE2 processes groups of 32 bytes of each row into 16 outputs
// (see mean_sse2_amd64.s).
//
//go:noescape
func mean2x2SSE2(d, r0, r1 *byte, groups int, round bool)

// mean2x2AVX2 processes groups of 64 bytes of each row into 32 outputs.
//
//go:noescape
func mean2x2AVX2(d, r0, r1 *byte, groups int, round bool)

// Mean2x2U8 computes, for the first n outputs (n a multiple of 16 that
// fits d and both rows), the uint8 2x2 block mean with SSE2. Reference
// loop:
//
//	s := uint(r0[2x]) + uint(r0[2x+1]) + uint(r1[2x]) + uint(r1[2x+1])
//	if round { s += 1 + (s>>2)&1 } // nearest, ties to even
//	d[x] = uint8(s >> 2)
//
// It returns n; the caller finishes the row.
func Mean2x2U8(d, r0, r1 []uint8, round bool) int {
	if !Enabled {
		return 0
	}
	if AVX2 {
		g := min(len(d)/32, len(r0)/64, len(r1)/64)
		if g == 0 {
			return 0
		}
		mean2x2AVX2(&d[0], &r0[0], &r1[0], g, round)
		return 32 * g
	}
	g := min(len(d)/16, len(r0)/32, len(r1)/32)
	if g == 0 {
		return 0
	}
	mean2x2SSE2(&d[0], &r0[0], &r1[0], g, round)
	return 16 * g
}

// Mean2x2x2U8 leaves the 2x2x2 case to the pure-Go kernel in this build.
func Mean2x2x2U8(d, r0, r1, r2, r3 []uint8, round bool) int { return 0 }
