//go:build !amd64

package vec

// Enabled is false: this build has no vector kernels.
var Enabled = false

// AVX2 has no effect in this build.
var AVX2 = false

// Mean2x2U8 does nothing in this build; see the GOEXPERIMENT=simd file.
func Mean2x2U8(d, r0, r1 []uint8, round bool) int { return 0 }

// Mean2x2x2U8 does nothing in this build; see the GOEXPERIMENT=simd file.
func Mean2x2x2U8(d, r0, r1, r2, r3 []uint8, round bool) int { return 0 }
