// Package f32 holds float32 vector kernels shared by packages tile
// (blending) and filter (separable convolution). Each exported function
// checks its slice lengths, runs an AVX2+FMA assembly kernel over the
// longest prefix the kernel handles (amd64 with those extensions, unless
// built with the purego tag) and finishes the rest in Go. The Go loop in
// each doc comment is the reference; kernel and reference may differ in
// the last bit because the kernels fuse multiply-adds. Tests set Vector to
// false to force the pure-Go path.
package f32
