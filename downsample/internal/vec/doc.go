// Package vec holds vector (SIMD) kernels for package downsample. With
// GOEXPERIMENT=simd on amd64 CPUs with AVX-512 they use simd/archsimd;
// in every other build each function does nothing and returns 0, and the
// pure-Go code in package downsample, which is also the reference these
// kernels are tested against, does all the work. Tests set Enabled to
// false to force the pure-Go path.
package vec
