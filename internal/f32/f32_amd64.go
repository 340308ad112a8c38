//go:build amd64 && !purego

package f32

import "golang.org/x/sys/cpu"

// Vector reports whether the assembly kernels run (AVX2 and FMA present).
// Tests clear it to run the pure-Go reference loops.
var Vector = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// convVec is Conv over n outputs, n a positive multiple of 8.
//
//go:noescape
func convVec(out, in, k *float32, taps, step, n int)

// axpyU8Vec is AxpyU8 over n elements, n a positive multiple of 8.
//
//go:noescape
func axpyU8Vec(acc, w *float32, s float32, y *uint8, n int)

// axpyU16Vec is AxpyU16 over n elements, n a positive multiple of 8.
//
//go:noescape
func axpyU16Vec(acc, w *float32, s float32, y *uint16, n int)

// axpyF32Vec is AxpyF32 over n elements, n a positive multiple of 8.
//
//go:noescape
func axpyF32Vec(acc, w *float32, s float32, y *float32, n int)

// toU8Vec is ToU8 over n elements, n a positive multiple of 32.
//
//go:noescape
func toU8Vec(dst *uint8, src *float32, n int)

// toU16Vec is ToU16 over n elements, n a positive multiple of 16.
//
//go:noescape
func toU16Vec(dst *uint16, src *float32, n int)
