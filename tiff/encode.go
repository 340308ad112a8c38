package tiff

// Encoders for the compressions the standard library and klauspost do not
// provide in TIFF's form: LZW as TIFF 6.0 section 13 defines it (codes
// written most significant bit first, widths growing one code early) and
// PackBits (section 9).

const (
	lzwClear    = 256
	lzwEOI      = 257
	lzwFirst    = 258
	lzwMaxWidth = 12
	// lzwFull is the next code at which the encoder clears the table, as
	// libtiff does, so no decoder ever needs a 13-bit code.
	lzwFull = 1<<lzwMaxWidth - 2

	lzwTableBits = 13
	lzwTableSize = 1 << lzwTableBits
	lzwTableMask = lzwTableSize - 1
)

// lzwEncoder appends TIFF LZW codes to out.
type lzwEncoder struct {
	out   []byte
	bits  uint32 // pending bits, right-aligned
	nbits uint
	width uint
	next  int
	// table maps (prefix code << 8 | byte) to its code by open
	// addressing; a slot holds key<<12 | code, or 0 when empty (codes
	// stored are >= lzwFirst, so no used slot is 0).
	table [lzwTableSize]uint32
}

func (e *lzwEncoder) emit(code int) {
	e.bits = e.bits<<e.width | uint32(code)
	e.nbits += e.width
	for e.nbits >= 8 {
		e.nbits -= 8
		e.out = append(e.out, byte(e.bits>>e.nbits))
	}
	e.bits &= 1<<e.nbits - 1
}

func (e *lzwEncoder) reset() {
	e.table = [lzwTableSize]uint32{}
	e.width, e.next = 9, lzwFirst
}

// added accounts for one more code in the table (the decoder's view: one
// per code read after a clear), growing the width or clearing the table.
func (e *lzwEncoder) added() {
	e.next++
	switch {
	case e.next == lzwFull:
		e.emit(lzwClear)
		e.reset()
	case e.next >= 1<<e.width && e.width < lzwMaxWidth:
		e.width++
	}
}

func lzwHash(key uint32) uint32 { return (key>>lzwTableBits ^ key*0x9E3779B1>>7) & lzwTableMask }

// lzwEncode compresses src into a TIFF LZW stream appended to dst.
func lzwEncode(dst, src []byte) []byte {
	e := &lzwEncoder{out: dst}
	e.width = 9
	e.emit(lzwClear)
	e.reset()
	if len(src) > 0 {
		w := uint32(src[0])
	scan:
		for _, c := range src[1:] {
			key := w<<8 | uint32(c)
			h := lzwHash(key)
			for {
				t := e.table[h]
				if t == 0 {
					break
				}
				if t>>12 == key {
					w = t & 0xfff
					continue scan
				}
				h = (h + 1) & lzwTableMask
			}
			e.emit(int(w))
			e.table[h] = key<<12 | uint32(e.next)
			e.added()
			w = uint32(c)
		}
		e.emit(int(w))
		e.added()
	}
	e.emit(lzwEOI)
	if e.nbits > 0 {
		e.out = append(e.out, byte(e.bits<<(8-e.nbits)))
	}
	return e.out
}

// packBits compresses each row of rowBytes bytes of src separately, as
// TIFF requires, appending to dst.
func packBits(dst, src []byte, rowBytes int) []byte {
	for r := 0; r < len(src); r += rowBytes {
		row := src[r:min(r+rowBytes, len(src))]
		for i := 0; i < len(row); {
			run := 1
			for i+run < len(row) && run < 128 && row[i+run] == row[i] {
				run++
			}
			if run >= 3 || (run == 2 && i+run == len(row)) {
				dst = append(dst, byte(int8(1-run)), row[i])
				i += run
				continue
			}
			// A literal up to the next run of three or 128 bytes.
			j := i
			for j < len(row) && j-i < 128 {
				if j+2 < len(row) && row[j] == row[j+1] && row[j] == row[j+2] {
					break
				}
				j++
			}
			dst = append(dst, byte(j-i-1))
			dst = append(dst, row[i:j]...)
			i = j
		}
	}
	return dst
}
