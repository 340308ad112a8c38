//go:build !amd64 || purego

package f32

// Vector is false: this build has no assembly kernels.
var Vector = false

func convVec(out, in, k *float32, taps, step, n int)           {}
func axpyU8Vec(acc, w *float32, s float32, y *uint8, n int)    {}
func axpyU16Vec(acc, w *float32, s float32, y *uint16, n int)  {}
func axpyF32Vec(acc, w *float32, s float32, y *float32, n int) {}
func toU8Vec(dst *uint8, src *float32, n int)                  {}
func toU16Vec(dst *uint16, src *float32, n int)                {}
