package f32

// Conv sets out[i] = sum_j k[j] * in[i+j*step] for i in [0, len(out)),
// summing j upwards from 0 (a correlation with taps step elements
// apart). Reference loop:
//
//	for i := range out {
//		var acc float32
//		for j, kj := range k {
//			acc += kj * in[i+j*step]
//		}
//		out[i] = acc
//	}
//
// It panics unless k is non-empty, step >= 1 and len(in) >= len(out) +
// (len(k)-1)*step.
func Conv(out, in, k []float32, step int) {
	if len(k) == 0 || step < 1 || len(in) < len(out)+(len(k)-1)*step {
		panic("f32: Conv: bad lengths")
	}
	n := 0
	if Vector && len(out) >= 8 {
		n = len(out) &^ 7
		convVec(&out[0], &in[0], &k[0], len(k), step, n)
	}
	// The reference loop with the taps outermost: the same sums in the
	// same order, over contiguous memory.
	rest := out[n:]
	clear(rest)
	for j, kj := range k {
		x := in[n+j*step:][:len(rest)]
		for i := range rest {
			rest[i] += kj * x[i]
		}
	}
}

// AxpyU8 adds s*w[i]*y[i] to acc[i]. Reference loop:
//
//	for i := range acc { acc[i] += s * w[i] * float32(y[i]) }
//
// It panics if w or y is shorter than acc.
func AxpyU8(acc, w []float32, s float32, y []uint8) {
	w, y = w[:len(acc)], y[:len(acc)]
	n := 0
	if Vector && len(acc) >= 8 {
		n = len(acc) &^ 7
		axpyU8Vec(&acc[0], &w[0], s, &y[0], n)
	}
	for i := n; i < len(acc); i++ {
		acc[i] += s * w[i] * float32(y[i])
	}
}

// AxpyU16 adds s*w[i]*y[i] to acc[i]. Reference loop:
//
//	for i := range acc { acc[i] += s * w[i] * float32(y[i]) }
//
// It panics if w or y is shorter than acc.
func AxpyU16(acc, w []float32, s float32, y []uint16) {
	w, y = w[:len(acc)], y[:len(acc)]
	n := 0
	if Vector && len(acc) >= 8 {
		n = len(acc) &^ 7
		axpyU16Vec(&acc[0], &w[0], s, &y[0], n)
	}
	for i := n; i < len(acc); i++ {
		acc[i] += s * w[i] * float32(y[i])
	}
}

// AxpyF32 adds s*w[i]*y[i] to acc[i]. Reference loop:
//
//	for i := range acc { acc[i] += s * w[i] * y[i] }
//
// It panics if w or y is shorter than acc.
func AxpyF32(acc, w []float32, s float32, y []float32) {
	w, y = w[:len(acc)], y[:len(acc)]
	n := 0
	if Vector && len(acc) >= 8 {
		n = len(acc) &^ 7
		axpyF32Vec(&acc[0], &w[0], s, &y[0], n)
	}
	for i := n; i < len(acc); i++ {
		acc[i] += s * w[i] * y[i]
	}
}

// ToU8 rounds src to uint8, half away from zero, clamping to [0, 255]
// (NaN becomes 0). Reference loop:
//
//	for i, v := range src {
//		switch {
//		case v >= 255: dst[i] = 255
//		case v >= 0:   dst[i] = uint8(v + 0.5)
//		default:       dst[i] = 0 // negative or NaN
//		}
//	}
//
// It panics if src is shorter than dst.
func ToU8(dst []uint8, src []float32) {
	src = src[:len(dst)]
	n := 0
	if Vector && len(dst) >= 32 {
		n = len(dst) &^ 31
		toU8Vec(&dst[0], &src[0], n)
	}
	for i := n; i < len(dst); i++ {
		switch v := src[i]; {
		case v >= 255:
			dst[i] = 255
		case v >= 0:
			dst[i] = uint8(v + 0.5)
		default:
			dst[i] = 0
		}
	}
}

// ToU16 is ToU8 for uint16: it rounds src half away from zero, clamping
// to [0, 65535] (NaN becomes 0). Reference loop:
//
//	for i, v := range src {
//		switch {
//		case v >= 65535: dst[i] = 65535
//		case v >= 0:     dst[i] = uint16(v + 0.5)
//		default:         dst[i] = 0 // negative or NaN
//		}
//	}
//
// It panics if src is shorter than dst.
func ToU16(dst []uint16, src []float32) {
	src = src[:len(dst)]
	n := 0
	if Vector && len(dst) >= 16 {
		n = len(dst) &^ 15
		toU16Vec(&dst[0], &src[0], n)
	}
	for i := n; i < len(dst); i++ {
		switch v := src[i]; {
		case v >= 65535:
			dst[i] = 65535
		case v >= 0:
			dst[i] = uint16(v + 0.5)
		default:
			dst[i] = 0
		}
	}
}
