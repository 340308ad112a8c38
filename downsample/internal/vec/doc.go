// Package vec holds vector (SIMD) kernels for package downsample. On
// amd64 the default build uses Go assembly (AVX2 when the CPU has it,
// else SSE2, which every amd64 CPU has); with GOEXPERIMENT=simd on CPUs
// with AVX-512 it uses simd/archsimd instead. On other architectures each
// function does nothing and returns 0, and the pure-Go code in package
// downsample, which is also the reference these kernels are tested
// against, does all the work. Tests set Enabled to false to force the
// pure-Go path.
package vec
