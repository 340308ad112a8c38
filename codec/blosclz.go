package codec

import "fmt"

// BloscLZ stream layout (a FastLZ level-1 dialect). A stream is a sequence
// of instructions, each starting with a control byte c:
//
//   - c < 32: a literal run of c+1 bytes follows.
//   - c >= 32: a match. Its length is (c>>5)+2; when c>>5 is 7, bytes
//     follow and are added to the length until one is not 255. Then a
//     distance byte d follows: the distance back is ((c&31)<<8)+d+1. When
//     c&31 is 31 and d is 255, two more bytes hold a big-endian distance
//     x, and the distance back is x+8192.
//
// The first control byte of a stream has bit 5 set as a format marker and
// is read modulo 32; it is always a literal run.
const (
	blosclzMaxCopy  = 32
	blosclzNear     = 8191 // largest (distance-1) with a short encoding
	blosclzMaxFar   = 65535 + blosclzNear
	blosclzHashLog  = 14
	blosclzMinMatch = 3
)

// blosclzDecode decodes src into dst, which must have exactly the decoded
// length, and returns the number of bytes written.
func blosclzDecode(dst, src []byte) (int, error) {
	if len(src) == 0 {
		return 0, nil
	}
	ip, op := 0, 0
	ctrl := int(src[ip] & 31)
	ip++
	for {
		if ctrl >= 32 {
			n := ctrl>>5 - 1
			ofs := (ctrl & 31) << 8
			if n == 6 {
				for {
					if ip >= len(src) {
						return op, fmt.Errorf("blosclz: match length runs past input: %w", ErrCorrupt)
					}
					c := int(src[ip])
					ip++
					n += c
					if c != 255 {
						break
					}
				}
			}
			if ip >= len(src) {
				return op, fmt.Errorf("blosclz: match distance missing: %w", ErrCorrupt)
			}
			code := int(src[ip])
			ip++
			dist := ofs + code + 1
			if code == 255 && ofs == 31<<8 {
				if ip+2 > len(src) {
					return op, fmt.Errorf("blosclz: far distance missing: %w", ErrCorrupt)
				}
				dist = int(src[ip])<<8 | int(src[ip+1])
				dist += blosclzNear + 1
				ip += 2
			}
			n += 3
			if op+n > len(dst) {
				return op, fmt.Errorf("blosclz: match overruns output: %w", ErrCorrupt)
			}
			ref := op - dist
			if ref < 0 {
				return op, fmt.Errorf("blosclz: match reaches before start: %w", ErrCorrupt)
			}
			if dist >= n {
				copy(dst[op:op+n], dst[ref:ref+n])
				op += n
			} else {
				for range n {
					dst[op] = dst[ref]
					op++
					ref++
				}
			}
		} else {
			n := ctrl + 1
			if op+n > len(dst) || ip+n > len(src) {
				return op, fmt.Errorf("blosclz: literal run overruns: %w", ErrCorrupt)
			}
			copy(dst[op:], src[ip:ip+n])
			ip += n
			op += n
		}
		if ip >= len(src) {
			return op, nil
		}
		ctrl = int(src[ip])
		ip++
	}
}

// blosclzEncode appends a BloscLZ stream of src to dst. It is a greedy
// matcher with a single-entry hash table over 4-byte prefixes.
func blosclzEncode(dst, src []byte) []byte {
	n := len(src)
	if n == 0 {
		return dst
	}
	start := len(dst)
	var table [1 << blosclzHashLog]int32
	for i := range table {
		table[i] = -1
	}
	lit := 0 // start of pending literals
	flush := func(end int) {
		for lit < end {
			k := min(end-lit, blosclzMaxCopy)
			dst = append(dst, byte(k-1))
			dst = append(dst, src[lit:lit+k]...)
			lit += k
		}
	}
	hash := func(i int) int {
		v := uint32(src[i]) | uint32(src[i+1])<<8 | uint32(src[i+2])<<16 | uint32(src[i+3])<<24
		return int((v * 2654435761) >> (32 - blosclzHashLog))
	}
	// The first instruction must be a literal: keep at least one byte
	// before any match. The last must be a literal too: c-blosc's decoder
	// stops at the end of the input before copying a final match, so
	// matches end at n-1 at the latest.
	end := n - 1
	i := 1
	for i+4 <= end {
		h := hash(i)
		ref := int(table[h])
		table[h] = int32(i)
		if ref < 0 || i-ref-1 > blosclzMaxFar || src[ref] != src[i] || src[ref+1] != src[i+1] || src[ref+2] != src[i+2] || src[ref+3] != src[i+3] {
			i++
			continue
		}
		m := 4
		for i+m < end && src[ref+m] == src[i+m] {
			m++
		}
		flush(i)
		d := i - ref - 1 // distance-1
		l := m - 2
		lc := min(l, 7)
		if d < blosclzNear {
			dst = append(dst, byte(lc<<5|d>>8))
		} else {
			dst = append(dst, byte(lc<<5|31))
		}
		if lc == 7 {
			for r := l - 7; ; r -= 255 {
				if r >= 255 {
					dst = append(dst, 255)
					continue
				}
				dst = append(dst, byte(r))
				break
			}
		}
		if d < blosclzNear {
			dst = append(dst, byte(d))
		} else {
			x := d - blosclzNear
			dst = append(dst, 255, byte(x>>8), byte(x))
		}
		i += m
		lit = i
		// Seed the table with the positions just covered so runs chain.
		if i+4 <= end {
			table[hash(i-1)] = int32(i - 1)
		}
	}
	flush(n)
	dst[start] |= 1 << 5
	return dst
}
