package downsample

import (
	"encoding/binary"

	"github.com/ryomen-dev/ryomen/downsample/internal/vec"
	"github.com/ryomen-dev/ryomen/nd"
)

// sumRows (called with integers of up to 32 bits, or int64 carried sums
// that cannot overflow) sets dst[x] to the sum of the block of output x over the given
// input rows of src (each nxIn long). With fx == 2 an odd last voxel
// counts twice (edge replication). Reference loop:
//
//	for x := range dst {
//		dst[x] = 0
//		for _, off := range rows {
//			for j := 0; j < fx; j++ {
//				dst[x] += int64(src[off+min(fx*x+j, nxIn-1)])
//			}
//		}
//	}
func sumRows[S, A nd.Number](dst []A, src []S, rows []int, nxIn, fx int) {
	nx := len(dst)
	if fx == 1 {
		r0 := src[rows[0] : rows[0]+nx]
		for x := range dst {
			dst[x] = A(r0[x])
		}
		for _, off := range rows[1:] {
			r := src[off : off+nx]
			for x := range dst {
				dst[x] += A(r[x])
			}
		}
		return
	}
	half := nxIn / 2
	switch len(rows) {
	case 2:
		r0, r1 := src[rows[0]:rows[0]+nxIn], src[rows[1]:rows[1]+nxIn]
		d := dst[:half]
		e0, e1 := r0[:2*half], r1[:2*half]
		for x := range d {
			a, b := e0[2*x:2*x+2], e1[2*x:2*x+2]
			d[x] = A(a[0]) + A(a[1]) + A(b[0]) + A(b[1])
		}
		if nxIn%2 == 1 {
			dst[half] = 2 * (A(r0[nxIn-1]) + A(r1[nxIn-1]))
		}
		return
	case 4:
		r0, r1 := src[rows[0]:rows[0]+nxIn], src[rows[1]:rows[1]+nxIn]
		r2, r3 := src[rows[2]:rows[2]+nxIn], src[rows[3]:rows[3]+nxIn]
		d := dst[:half]
		for x := range d {
			a, b, c, e := r0[2*x:2*x+2], r1[2*x:2*x+2], r2[2*x:2*x+2], r3[2*x:2*x+2]
			d[x] = A(a[0]) + A(a[1]) + A(b[0]) + A(b[1]) + A(c[0]) + A(c[1]) + A(e[0]) + A(e[1])
		}
		if nxIn%2 == 1 {
			dst[half] = 2 * (A(r0[nxIn-1]) + A(r1[nxIn-1]) + A(r2[nxIn-1]) + A(r3[nxIn-1]))
		}
		return
	}
	for x := range dst {
		dst[x] = 0
	}
	for _, off := range rows {
		r := src[off : off+nxIn]
		d := dst[:half]
		for x := range d {
			d[x] += A(r[2*x]) + A(r[2*x+1])
		}
		if nxIn%2 == 1 {
			dst[half] += 2 * A(r[nxIn-1])
		}
	}
}

// shiftEven divides by 2^sh rounding to nearest, ties to even.
func shiftEven[A accum](a A, sh uint) A {
	q := a >> sh // floor
	r := a - q<<sh
	half := A(1) << (sh - 1)
	if r > half || (r == half && q&1 == 1) {
		q++
	}
	return q
}

// shiftTrunc divides by 2^sh rounding toward zero.
func shiftTrunc[A accum](a A, sh uint) A {
	if a < 0 {
		return -((-a) >> sh)
	}
	return a >> sh
}

// accum is the type of carried block sums: uint16 for uint8 2x2 (at most
// 255 * 4^4 = 65280 before the floor every four levels, as tinybrain's
// uint16 accumulator), uint32 for uint8 2x2x2 (255 * 8^8 < 2^32), else
// int32 or int64.
type accum interface {
	uint16 | uint32 | int32 | int64
}

// meanTruncRows is the Truncate mean for factors of 1 and 2 and element
// types of up to 32 bits: the same arithmetic as meanTruncGeneric, row by
// row, carrying sums in the narrowest accum type that holds the largest
// carried sum (the largest magnitude of T times 2^(family*c), c the
// levels between roundings of carryRule, at most n; past 63 bits the
// generic 128-bit path takes over): for
// unsigned T, whose largest value is below 2^bits, uint16 or uint32 when
// bits <= 16 or 32; else int32 when it fits, else int64.
func meanTruncRows[T nd.Number](src *nd.Array[T], factor []int, n, workers int, into *nd.Array[T], round bool) []*nd.Array[T] {
	dt := nd.DTypeOf[T]()
	cyc, _ := carryRule(factor, dt)
	if cyc == 0 || cyc > n {
		cyc = n // sums are carried unrounded over all n levels
	}
	bits := dt.Size()*8 + family(factor)*cyc
	if bits > 63 {
		return meanTruncGeneric(src, factor, n, workers, into)
	}
	if !dt.IsSigned() && !wideAccum {
		switch {
		case bits <= 16:
			return meanTruncAcc[T, uint16](src, factor, n, workers, into, round)
		case bits <= 32:
			return meanTruncAcc[T, uint32](src, factor, n, workers, into, round)
		}
	}
	if bits <= 31 {
		return meanTruncAcc[T, int32](src, factor, n, workers, into, round)
	}
	return meanTruncAcc[T, int64](src, factor, n, workers, into, round)
}

// With round (one level only), outputs are rounded to nearest, ties to
// even, instead of truncated: the NearestEven rule, which for factors of
// 1 and 2 is the same mean of the voxels present.
func meanTruncAcc[T nd.Number, A accum](src *nd.Array[T], factor []int, n, workers int, into *nd.Array[T], round bool) []*nd.Array[T] {
	dt := nd.DTypeOf[T]()
	fam := uint(family(factor))
	cyc, cmode := carryRule(factor, dt)
	last := len(factor) - 1
	fx := factor[last]
	if n == 1 {
		if u8, ok := any(src).(*nd.Array[uint8]); ok && fx == 2 && (fam == 2 || fam == 3) {
			u8into, _ := any(into).(*nd.Array[uint8])
			return []*nd.Array[T]{any(meanU8(u8, factor, workers, u8into, round)).(*nd.Array[T])}
		}
	}
	data, _ := src.Flat()
	in := src.Shape()
	var acc []A
	var res []*nd.Array[T]
	j := uint(0)
	for k := 1; k <= n; k++ {
		g := newGrid(in, factor)
		next := make([]A, g.outLen)
		out := newOut(g.out, into, k, n)
		od := out.Data()
		nx, nxIn := g.out[last], in[last]
		sh := fam * (j + 1)
		g.forEachRow(workers, true, func(o int, rows []int) {
			d := next[o : o+nx]
			if acc == nil {
				if !sumRowsFast(d, data, rows, nxIn, fx) {
					sumRows(d, data, rows, nxIn, fx)
				}
			} else {
				sumRows(d, acc, rows, nxIn, fx)
			}
			od := od[o : o+nx]
			for x, v := range d {
				if round {
					od[x] = T(shiftEven(v, sh))
				} else {
					od[x] = T(shiftTrunc(v, sh))
				}
			}
		})
		j++
		if cyc > 0 && k%cyc == 0 {
			for i, v := range next {
				if cmode == divTrunc {
					next[i] = shiftTrunc(v, fam*j)
				} else {
					next[i] = v >> (fam * j) // arithmetic shift: floor
				}
			}
			j = 0
		}
		res = append(res, out)
		acc, in = next, g.out
	}
	return res
}

// meanU8 is one level of the uint8 mean for 2x2 (two input rows) and
// 2x2x2 (four) with factor 2 on the last axis, eight input bytes at a
// time in 16-bit lanes of a uint64 (SWAR). Reference loop, per output x:
//
//	out[x] = uint8(sum of the 4 or 8 block voxels, edges repeated, >> 2 or 3)
func meanU8(src *nd.Array[uint8], factor []int, workers int, into *nd.Array[uint8], round bool) *nd.Array[uint8] {
	g := newGrid(src.Shape(), factor)
	data, _ := src.Flat()
	out := newOut(g.out, into, 1, 1)
	od := out.Data()
	last := len(factor) - 1
	nx, nxIn := g.out[last], g.in[last]
	g.forEachRow(workers, true, func(o int, rows []int) {
		d := od[o : o+nx]
		switch len(rows) {
		case 2:
			mean2x2U8(d, data[rows[0]:rows[0]+nxIn], data[rows[1]:rows[1]+nxIn], round)
		case 4:
			mean2x2x2U8(d, data[rows[0]:rows[0]+nxIn], data[rows[1]:rows[1]+nxIn],
				data[rows[2]:rows[2]+nxIn], data[rows[3]:rows[3]+nxIn], round)
		}
	})
	return out
}

const lanes = 0x00FF00FF00FF00FF

// pairSums returns the four sums of adjacent byte pairs of v in 16-bit
// lanes.
func pairSums(v uint64) uint64 { return v&lanes + (v>>8)&lanes }

// pack4 gathers the low bytes of the four 16-bit lanes of s into 32 bits.
func pack4(s uint64) uint32 {
	p := (s | s>>8) & 0x0000FFFF0000FFFF
	return uint32(p | p>>16)
}

// laneLSB has the lowest bit of each 16-bit lane.
const laneLSB = 0x0001000100010001

// mean2x2U8: d[x] = (r0[2x] + r0[2x+1] + r1[2x] + r1[2x+1]) >> 2, the
// last voxel of an odd row counted twice; with round, the sum s becomes
// (s + 1 + ((s>>2)&1)) >> 2, which rounds s/4 to nearest, ties to even.
func mean2x2U8(d, r0, r1 []uint8, round bool) {
	n := len(r0)
	done := vec.Mean2x2U8(d, r0, r1, round)
	d, r0, r1 = d[done:], r0[2*done:], r1[2*done:]
	n -= 2 * done
	done = 0
	// Eight outputs from sixteen bytes of each row per step; the loop
	// condition lets the compiler drop every bounds check.
	for a, b, o := r0, r1, d; len(a) >= 16 && len(b) >= 16 && len(o) >= 8; a, b, o = a[16:], b[16:], o[8:] {
		lo := pairSums(binary.LittleEndian.Uint64(a)) + pairSums(binary.LittleEndian.Uint64(b))
		hi := pairSums(binary.LittleEndian.Uint64(a[8:])) + pairSums(binary.LittleEndian.Uint64(b[8:]))
		if round {
			lo += laneLSB + (lo>>2)&laneLSB
			hi += laneLSB + (hi>>2)&laneLSB
		}
		binary.LittleEndian.PutUint64(o, uint64(pack4((lo>>2)&lanes))|uint64(pack4((hi>>2)&lanes))<<32)
		done += 8
	}
	for x := done; x < len(d); x++ {
		i, j := 2*x, min(2*x+1, n-1)
		s := uint32(r0[i]) + uint32(r0[j]) + uint32(r1[i]) + uint32(r1[j])
		if round {
			s += 1 + (s>>2)&1
		}
		d[x] = uint8(s >> 2)
	}
}

// mean2x2x2U8: the same over four rows, >> 3 (lane sums stay below 2^11);
// with round, (s + 3 + ((s>>3)&1)) >> 3.
func mean2x2x2U8(d, r0, r1, r2, r3 []uint8, round bool) {
	n := len(r0)
	done := vec.Mean2x2x2U8(d, r0, r1, r2, r3, round)
	d, r0, r1, r2, r3 = d[done:], r0[2*done:], r1[2*done:], r2[2*done:], r3[2*done:]
	n -= 2 * done
	done = 0
	for a, b, c, e, o := r0, r1, r2, r3, d; len(a) >= 16 && len(b) >= 16 && len(c) >= 16 && len(e) >= 16 && len(o) >= 8; a, b, c, e, o = a[16:], b[16:], c[16:], e[16:], o[8:] {
		lo := pairSums(binary.LittleEndian.Uint64(a)) + pairSums(binary.LittleEndian.Uint64(b)) +
			pairSums(binary.LittleEndian.Uint64(c)) + pairSums(binary.LittleEndian.Uint64(e))
		hi := pairSums(binary.LittleEndian.Uint64(a[8:])) + pairSums(binary.LittleEndian.Uint64(b[8:])) +
			pairSums(binary.LittleEndian.Uint64(c[8:])) + pairSums(binary.LittleEndian.Uint64(e[8:]))
		if round {
			lo += 3*laneLSB + (lo>>3)&laneLSB
			hi += 3*laneLSB + (hi>>3)&laneLSB
		}
		binary.LittleEndian.PutUint64(o, uint64(pack4((lo>>3)&lanes))|uint64(pack4((hi>>3)&lanes))<<32)
		done += 8
	}
	for x := done; x < len(d); x++ {
		i, j := 2*x, min(2*x+1, n-1)
		s := uint32(r0[i]) + uint32(r0[j]) + uint32(r1[i]) + uint32(r1[j]) +
			uint32(r2[i]) + uint32(r2[j]) + uint32(r3[i]) + uint32(r3[j])
		if round {
			s += 3 + (s>>3)&1
		}
		d[x] = uint8(s >> 3)
	}
}

// wideAccum makes meanTruncRows skip the uint16 accumulator, for tests
// that compare it with the int32 one.
var wideAccum bool

// sumRowsFast handles the hottest first-level case, uint8 rows summed in
// 2x2 blocks into uint16 or int32, eight input bytes of each row at a time
// (SWAR); it reports false for every other case. Reference: sumRows.
func sumRowsFast[S nd.Number, A accum](dst []A, src []S, rows []int, nxIn, fx int) bool {
	s8, ok2 := any(src).([]uint8)
	if !ok2 || fx != 2 || len(rows) != 2 {
		return false
	}
	r0, r1 := s8[rows[0]:rows[0]+nxIn], s8[rows[1]:rows[1]+nxIn]
	if d16, ok := any(dst).([]uint16); ok {
		done := 0
		for a, b, o := r0, r1, d16; len(a) >= 8 && len(b) >= 8 && len(o) >= 4; a, b, o = a[8:], b[8:], o[4:] {
			s := pairSums(binary.LittleEndian.Uint64(a)) + pairSums(binary.LittleEndian.Uint64(b))
			o[0], o[1], o[2], o[3] = uint16(s), uint16(s>>16), uint16(s>>32), uint16(s>>48)
			done += 4
		}
		for x := done; x < len(d16); x++ {
			i, j := 2*x, min(2*x+1, nxIn-1)
			d16[x] = uint16(r0[i]) + uint16(r0[j]) + uint16(r1[i]) + uint16(r1[j])
		}
		return true
	}
	d32, ok1 := any(dst).([]int32)
	if !ok1 {
		return false
	}
	done := 0
	for a, b, o := r0, r1, d32; len(a) >= 8 && len(b) >= 8 && len(o) >= 4; a, b, o = a[8:], b[8:], o[4:] {
		s := pairSums(binary.LittleEndian.Uint64(a)) + pairSums(binary.LittleEndian.Uint64(b))
		o[0], o[1], o[2], o[3] = int32(s&0xFFFF), int32(s>>16&0xFFFF), int32(s>>32&0xFFFF), int32(s>>48)
		done += 4
	}
	for x := done; x < len(d32); x++ {
		i, j := 2*x, min(2*x+1, nxIn-1)
		d32[x] = int32(r0[i]) + int32(r0[j]) + int32(r1[i]) + int32(r1[j])
	}
	return true
}
