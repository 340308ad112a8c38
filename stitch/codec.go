package stitch

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ryomen-dev/ryomen/nd"
)

// The scratch formats are little-endian words after a magic, read back
// only by this package (by a later phase or a resumed run).
const (
	recordMagic   = "RYSTREC1"
	solutionMagic = "RYSTSOL1"
)

var errShort = errors.New("truncated")

// decodeShared reads a record whose shared boxes have the given sizes
// (the plan's), checking that k <= n <= maxN (the crop's voxels) and that
// every label is at most n.
func decodeShared(b []byte, sizes []int, maxN int) (*record, error) {
	d := decoder{b: b}
	if !d.magic(recordMagic) {
		return nil, fmt.Errorf("not a stitch record")
	}
	r := &record{k: d.u32(), n: d.u32()}
	if m := d.u32(); d.err == nil && int(m) != len(sizes) {
		return nil, fmt.Errorf("%d shared boxes, the plan has %d", m, len(sizes))
	}
	if d.err == nil && (r.k > r.n || int64(r.n) > int64(maxN)) {
		return nil, fmt.Errorf("%d labels in Dest of %d, in a crop of %d voxels", r.k, r.n, maxN)
	}
	for x, size := range sizes {
		if m := d.u32(); d.err == nil && int(m) != size {
			return nil, fmt.Errorf("shared box %d holds %d labels, the plan's has %d voxels", x, m, size)
		}
		v := d.words(size)
		for _, l := range v {
			if l > r.n {
				return nil, fmt.Errorf("label %d in shared box %d of a tile of %d labels", l, x, r.n)
			}
		}
		r.shared = append(r.shared, v)
	}
	if d.err == nil && d.off != len(b) {
		d.err = fmt.Errorf("%d bytes after the record", len(b)-d.off)
	}
	return r, d.err
}

func appendWords(b []byte, v []uint32) []byte {
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, x)
	}
	return b
}

// decoder reads words, remembering the first error.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b)-d.off {
		if d.err == nil {
			d.err = errShort
		}
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *decoder) magic(m string) bool { return string(d.take(len(m))) == m }

func (d *decoder) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

// littleEndian is whether the host's words are stored as the scratch's,
// so that decoding can view the bytes instead of copying them.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

func (d *decoder) words(n int) []uint32 {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > (len(d.b)-d.off)/4 {
		d.take(-1)
		return nil
	}
	p := d.take(4 * n)
	if littleEndian {
		if a, err := nd.FromBytes(nd.Uint32, []int{n}, nd.C, p); err == nil {
			return a.(*nd.Array[uint32]).Data()
		}
	}
	v := make([]uint32, n)
	for i := range v {
		v[i] = binary.LittleEndian.Uint32(p[4*i:])
	}
	return v
}

// encode writes the solution: objects, joins, tile count, then per tile
// k, base, the face labels and their IDs.
func (s *solution) encode() []byte {
	b := append([]byte(nil), solutionMagic...)
	b = binary.LittleEndian.AppendUint64(b, s.objects)
	b = binary.LittleEndian.AppendUint64(b, uint64(s.joins))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.k)))
	for i, k := range s.k {
		b = binary.LittleEndian.AppendUint32(b, k)
		b = binary.LittleEndian.AppendUint64(b, s.base[i])
		var f []uint32
		var ids []uint64
		if s.faces != nil {
			f, ids = s.faces[i], s.ids[i]
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = appendWords(b, f)
		for _, id := range ids {
			b = binary.LittleEndian.AppendUint64(b, id)
		}
	}
	return b
}

// decodeSolution reads a solution for tiles tiles, tile i's k at most
// maxK(i) (its Dest's voxels).
func decodeSolution(b []byte, rule Rule, tiles int, maxK func(int) int) (*solution, error) {
	d := decoder{b: b}
	if !d.magic(solutionMagic) {
		return nil, fmt.Errorf("not a stitch solution")
	}
	s := &solution{rule: rule, objects: d.u64(), joins: int64(d.u64())}
	if nt := d.u32(); d.err == nil && int(nt) != tiles {
		return nil, fmt.Errorf("%d tiles, the plan has %d", nt, tiles)
	}
	s.k, s.base = make([]uint32, tiles), make([]uint64, tiles)
	s.faces, s.ids = make([][]uint32, tiles), make([][]uint64, tiles)
	for i := 0; i < tiles && d.err == nil; i++ {
		s.k[i], s.base[i] = d.u32(), d.u64()
		if d.err == nil && int64(s.k[i]) > int64(maxK(i)) {
			return nil, fmt.Errorf("tile %d: %d labels for a Dest of %d voxels", i, s.k[i], maxK(i))
		}
		nf := int(d.u32())
		s.faces[i] = d.words(nf)
		if d.err != nil || nf > (len(b)-d.off)/8 {
			return nil, errShort
		}
		s.ids[i] = make([]uint64, nf)
		for p := range s.ids[i] {
			s.ids[i][p] = d.u64()
		}
	}
	if d.err == nil && d.off != len(b) {
		d.err = fmt.Errorf("%d bytes after the solution", len(b)-d.off)
	}
	return s, d.err
}
