package nd

import (
	"encoding/binary"
	"math/bits"
)

// SwapBytes reverses the byte order of every size-byte element of b in
// place, turning big-endian elements into little-endian ones and back:
//
//	for i := 0; i+size <= len(b); i += size { slices.Reverse(b[i : i+size]) }
//
// Sizes 2, 4 and 8 swap a whole word at a time. Trailing bytes that do not
// fill an element are left alone.
func SwapBytes(b []byte, size int) {
	le := binary.LittleEndian
	switch size {
	case 0, 1:
	case 2:
		for i := 0; i+2 <= len(b); i += 2 {
			le.PutUint16(b[i:], bits.ReverseBytes16(le.Uint16(b[i:])))
		}
	case 4:
		for i := 0; i+4 <= len(b); i += 4 {
			le.PutUint32(b[i:], bits.ReverseBytes32(le.Uint32(b[i:])))
		}
	case 8:
		for i := 0; i+8 <= len(b); i += 8 {
			le.PutUint64(b[i:], bits.ReverseBytes64(le.Uint64(b[i:])))
		}
	default:
		for i := 0; i+size <= len(b); i += size {
			for j, k := i, i+size-1; j < k; j, k = j+1, k-1 {
				b[j], b[k] = b[k], b[j]
			}
		}
	}
}
