//go:build !(goexperiment.simd && amd64)

package simd

// Available reports whether the vector kernels run on this build and CPU.
const Available = false

// Mean2x2U8 writes no outputs in this build; see simd_amd64.go.
func Mean2x2U8(d, r0, r1 []uint8) int { return 0 }

// Mean2x2x2U8 writes no outputs in this build; see simd_amd64.go.
func Mean2x2x2U8(d, r0, r1, r2, r3 []uint8) int { return 0 }
