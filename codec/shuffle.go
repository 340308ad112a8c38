package codec

// Shuffle writes the byte-transposed form of src to dst, as blosc's byte
// shuffle does: byte j of element i goes to dst[j*n+i], where n is
// len(src)/typeSize. Bytes past the last whole element are copied as they
// are. dst and src must have the same length and must not overlap.
//
// Reference loop:
//
//	for i := 0; i < n; i++ {
//		for j := 0; j < typeSize; j++ {
//			dst[j*n+i] = src[i*typeSize+j]
//		}
//	}
func Shuffle(dst, src []byte, typeSize int) {
	if len(dst) != len(src) {
		panic("codec.Shuffle: length mismatch")
	}
	if typeSize <= 1 {
		copy(dst, src)
		return
	}
	n := len(src) / typeSize
	switch typeSize {
	case 2:
		d0, d1 := dst[:n], dst[n:2*n]
		for i := range n {
			s := src[2*i : 2*i+2]
			d0[i], d1[i] = s[0], s[1]
		}
	case 4:
		d0, d1, d2, d3 := dst[:n], dst[n:2*n], dst[2*n:3*n], dst[3*n:4*n]
		for i := range n {
			s := src[4*i : 4*i+4]
			d0[i], d1[i], d2[i], d3[i] = s[0], s[1], s[2], s[3]
		}
	default:
		for j := range typeSize {
			d := dst[j*n : (j+1)*n]
			for i := range n {
				d[i] = src[i*typeSize+j]
			}
		}
	}
	copy(dst[n*typeSize:], src[n*typeSize:])
}

// Unshuffle inverts [Shuffle].
func Unshuffle(dst, src []byte, typeSize int) {
	if len(dst) != len(src) {
		panic("codec.Unshuffle: length mismatch")
	}
	if typeSize <= 1 {
		copy(dst, src)
		return
	}
	n := len(src) / typeSize
	switch typeSize {
	case 2:
		s0, s1 := src[:n], src[n:2*n]
		for i := range n {
			d := dst[2*i : 2*i+2]
			d[0], d[1] = s0[i], s1[i]
		}
	case 4:
		s0, s1, s2, s3 := src[:n], src[n:2*n], src[2*n:3*n], src[3*n:4*n]
		for i := range n {
			d := dst[4*i : 4*i+4]
			d[0], d[1], d[2], d[3] = s0[i], s1[i], s2[i], s3[i]
		}
	default:
		for j := range typeSize {
			s := src[j*n : (j+1)*n]
			for i := range n {
				dst[i*typeSize+j] = s[i]
			}
		}
	}
	copy(dst[n*typeSize:], src[n*typeSize:])
}

// BitShuffle writes the bit-transposed form of src to dst, as blosc's
// bitshuffle filter does. Of the n = len(src)/typeSize elements, the first
// m = n - n%8 are transposed; the rest of the bytes are copied as they are.
// In the output, row r = 8*j + b (byte j of an element, bit b of that byte)
// holds m/8 bytes, and bit e%8 of byte e/8 of that row is bit b of byte j of
// element e. dst and src must have the same length and must not overlap.
func BitShuffle(dst, src []byte, typeSize int) {
	if len(dst) != len(src) {
		panic("codec.BitShuffle: length mismatch")
	}
	if typeSize < 1 {
		typeSize = 1
	}
	m := len(src) / typeSize
	m -= m % 8
	rowLen := m / 8
	for j := range typeSize {
		for k := range rowLen {
			// Gather byte j of elements 8k..8k+7 into a 64-bit word,
			// transpose the 8x8 bit matrix, and scatter its bytes to the
			// eight bit rows.
			var x uint64
			base := 8*k*typeSize + j
			for e := range 8 {
				x |= uint64(src[base+e*typeSize]) << (8 * e)
			}
			x = transpose8x8(x)
			for b := range 8 {
				dst[(8*j+b)*rowLen+k] = byte(x >> (8 * b))
			}
		}
	}
	copy(dst[m*typeSize:], src[m*typeSize:])
}

// BitUnshuffle inverts [BitShuffle].
func BitUnshuffle(dst, src []byte, typeSize int) {
	if len(dst) != len(src) {
		panic("codec.BitUnshuffle: length mismatch")
	}
	if typeSize < 1 {
		typeSize = 1
	}
	m := len(src) / typeSize
	m -= m % 8
	rowLen := m / 8
	for j := range typeSize {
		for k := range rowLen {
			var x uint64
			for b := range 8 {
				x |= uint64(src[(8*j+b)*rowLen+k]) << (8 * b)
			}
			x = transpose8x8(x)
			base := 8*k*typeSize + j
			for e := range 8 {
				dst[base+e*typeSize] = byte(x >> (8 * e))
			}
		}
	}
	copy(dst[m*typeSize:], src[m*typeSize:])
}

// transpose8x8 transposes the 8x8 bit matrix held in x, where byte r is row
// r and bit c of that byte is column c: bit c of byte r moves to bit r of
// byte c.
func transpose8x8(x uint64) uint64 {
	t := (x ^ (x >> 7)) & 0x00AA00AA00AA00AA
	x ^= t ^ (t << 7)
	t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCC
	x ^= t ^ (t << 14)
	t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0
	x ^= t ^ (t << 28)
	return x
}
