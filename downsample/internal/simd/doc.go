// Package simd holds optional vector kernels for package downsample.
//
// The kernels exist only when building with GOEXPERIMENT=simd on amd64
// with AVX-512 (simd_amd64.go); every other build gets stubs that do no
// work (simd_other.go), and package downsample's pure-Go kernels, which
// are the reference, handle everything. Each kernel processes a prefix of
// its row and returns how many outputs it wrote; the caller finishes the
// rest with the pure-Go loop.
package simd
