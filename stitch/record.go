package stitch

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// record is what the tile phase keeps of one tile.
type record struct {
	// k is the number of labels (dense, 1..k) with a voxel in Dest; the
	// region's other labels are k+1..n. With Own, k counts kept objects
	// and n is unused.
	k, n uint32
	// dest holds the Dest box's labels in C order.
	dest []uint32
	// shared[x] holds the labels in the box g.shared(i, nbrs[i][x]).
	shared [][]uint32
}

// values returns the labels of an integer result as uint64 bit patterns
// in C order (signed values keep their two's complement bits: only zero is
// background).
func values(y nd.Any) ([]uint64, error) {
	if !y.DType().IsInteger() {
		return nil, fmt.Errorf("stitch: instance labels must be integers, the function returned %v", y.DType())
	}
	return bitsAny(y), nil
}

//go:generate go run github.com/ryomen-dev/ryomen/internal/gen/dispatch

// bitsAny is bitsOf for an integer array of any dtype; it panics on
// others (values checks the dtype).
//
//nd:dispatch bitsAny = bitsOf(a)

func bitsOf[T nd.Integer](a *nd.Array[T]) []uint64 {
	out := make([]uint64, 0, a.Len())
	if v, ok := a.Flat(); ok && a.IsContiguous(nd.C) {
		for _, x := range v {
			out = append(out, uint64(x))
		}
		return out
	}
	a.Values(func(_ []int, x T) { out = append(out, uint64(x)) })
	return out
}

// densifier maps a crop's raw labels to dense ones 1..n in order of first
// appearance.
type densifier struct {
	small []uint32 // raw -> dense for small raw values
	big   map[uint64]uint32
	n     uint32
}

func newDensifier[T nd.Integer](raw []T) *densifier {
	var hi uint64
	for _, v := range raw {
		hi = max(hi, uint64(v))
	}
	d := &densifier{}
	if hi <= uint64(2*len(raw)+1024) {
		d.small = make([]uint32, hi+1)
	} else {
		d.big = make(map[uint64]uint32)
	}
	return d
}

// get returns the dense label of raw value v, assigning the next one if
// add is set (0 for v's not yet seen otherwise).
func (d *densifier) get(v uint64, add bool) uint32 {
	if v == 0 {
		return 0
	}
	var l uint32
	if d.small != nil {
		l = d.small[v]
	} else {
		l = d.big[v]
	}
	if l == 0 && add {
		d.n++
		l = d.n
		if d.small != nil {
			d.small[v] = l
		} else {
			d.big[v] = l
		}
	}
	return l
}

// makeRecord builds tile i's record from its result: dense labels in
// order of first appearance in Dest, then in the rest of the region (the
// voxels outside the image are ignored); then, by rule, the shared boxes.
func (g *geom) makeRecord(i int, y nd.Any) (*record, error) {
	lab, r, err := g.tileLabels(i, y)
	if err != nil {
		return nil, err
	}
	bx := g.boxes(i)
	cs, o := bx.crop.Shape(), neg(bx.crop.Min)
	r.dest = extract(lab, cs, bx.dest.Translate(o))
	for _, j := range g.nbrs[i] {
		r.shared = append(r.shared, extract(lab, cs, g.shared(i, j).Translate(o)))
	}
	return r, nil
}

// encodeRecord is makeRecord encoded for the store: the Dest labels and
// the shared record (see encodeShared), written straight from the crop.
func (g *geom) encodeRecord(i int, y nd.Any) (dest, shared []byte, err error) {
	lab, r, err := g.tileLabels(i, y)
	if err != nil {
		return nil, nil, err
	}
	bx := g.boxes(i)
	cs, o := bx.crop.Shape(), neg(bx.crop.Min)
	put := func(b []byte, box nd.Box) []byte {
		rows(cs, box.Translate(o), func(off, n int) { b = appendWords(b, lab[off:off+n]) })
		return b
	}
	n, _ := bx.dest.Size()
	dest = put(make([]byte, 0, 4*n), bx.dest)
	size := len(recordMagic) + 12
	for _, j := range g.nbrs[i] {
		v, _ := g.shared(i, j).Size()
		size += 4 + 4*v
	}
	shared = append(make([]byte, 0, size), recordMagic...)
	shared = binary.LittleEndian.AppendUint32(shared, r.k)
	shared = binary.LittleEndian.AppendUint32(shared, r.n)
	shared = binary.LittleEndian.AppendUint32(shared, uint32(len(g.nbrs[i])))
	for _, j := range g.nbrs[i] {
		box := g.shared(i, j)
		v, _ := box.Size()
		shared = binary.LittleEndian.AppendUint32(shared, uint32(v))
		shared = put(shared, box)
	}
	return dest, shared, nil
}

// tileLabels returns tile i's dense labels over its crop (C order) and
// its counts; with Own, only the kept objects remain.
func (g *geom) tileLabels(i int, y nd.Any) ([]uint32, *record, error) {
	bx := g.boxes(i)
	cs := bx.crop.Shape()
	if y.Len() > 1<<32-2 {
		return nil, nil, fmt.Errorf("stitch: tile %d: a crop of %v holds more than 2^32-2 voxels", i, cs)
	}
	var lab []uint32
	var k, n uint32
	switch a := y.(type) {
	case *nd.Array[uint8]:
		lab, k, n = densify(flatC(a), cs, bx)
	case *nd.Array[uint16]:
		lab, k, n = densify(flatC(a), cs, bx)
	case *nd.Array[uint32]:
		lab, k, n = densify(flatC(a), cs, bx)
	case *nd.Array[uint64]:
		lab, k, n = densify(flatC(a), cs, bx)
	case *nd.Array[int8]:
		lab, k, n = densify(flatC(a), cs, bx)
	case *nd.Array[int16]:
		lab, k, n = densify(flatC(a), cs, bx)
	case *nd.Array[int32]:
		lab, k, n = densify(flatC(a), cs, bx)
	case *nd.Array[int64]:
		lab, k, n = densify(flatC(a), cs, bx)
	default:
		return nil, nil, fmt.Errorf("stitch: tile %d: instance labels must be integers, the function returned %v", i, y.DType())
	}
	r := &record{k: k, n: n}
	if g.rule == Own {
		if err := g.keep(i, bx, lab, r); err != nil {
			return nil, nil, err
		}
	}
	return lab, r, nil
}

func flatC[T nd.Integer](a *nd.Array[T]) []T {
	if v, ok := a.Flat(); ok && a.IsContiguous(nd.C) {
		return v
	}
	return a.Clone(nd.C).Data()
}

// densify numbers the labels of a C-order crop result (shape cs) 1..n in
// order of first appearance in Dest (labels 1..k), then in the rest of
// the region; voxels outside the region stay 0.
func densify[T nd.Integer](raw []T, cs []int, bx boxes) ([]uint32, uint32, uint32) {
	d := newDensifier(raw)
	lab := make([]uint32, len(raw))
	o := neg(bx.crop.Min)
	var k uint32
	for pass, b := range []nd.Box{bx.dest, bx.region} {
		rows(cs, b.Translate(o), func(off, n int) {
			// Runs of one value are common along a row: look each run up
			// once.
			var last T
			var ll uint32
			for p := off; p < off+n; p++ {
				v := raw[p]
				if v != last {
					last, ll = v, d.get(uint64(v), true)
				}
				lab[p] = ll
			}
		})
		if pass == 0 {
			k = d.n
		}
	}
	return lab, k, d.n
}

// keep applies the Own rule to a tile's dense labels in place: the
// objects whose bounding-box centre lies in Dest are renumbered 1..k in
// label order, the others become background.
func (g *geom) keep(i int, bx boxes, lab []uint32, r *record) error {
	rank := len(g.shape)
	lo := make([][]int, r.n+1)
	hi := make([][]int, r.n+1)
	cs := bx.crop.Shape()
	st := nd.Strides(cs, nd.C)
	o := neg(bx.crop.Min)
	idx := make([]int, rank)
	rows(cs, bx.region.Translate(o), func(off, n int) {
		rem := off
		for d := range rank {
			idx[d] = rem/st[d] + bx.crop.Min[d]
			rem %= st[d]
		}
		for p := range n {
			l := lab[off+p]
			if l == 0 {
				continue
			}
			x := idx[rank-1] + p
			if lo[l] == nil {
				lo[l], hi[l] = slices.Clone(idx), slices.Clone(idx)
				lo[l][rank-1], hi[l][rank-1] = x, x
				continue
			}
			for d := range rank - 1 {
				lo[l][d], hi[l][d] = min(lo[l][d], idx[d]), max(hi[l][d], idx[d])
			}
			lo[l][rank-1], hi[l][rank-1] = min(lo[l][rank-1], x), max(hi[l][rank-1], x)
		}
	})
	m := make([]uint32, r.n+1)
	var k uint32
	c := make([]int, rank)
	for l := uint32(1); l <= r.n; l++ {
		for d := range rank {
			c[d] = (lo[l][d] + hi[l][d]) >> 1
		}
		if !bx.dest.ContainsPoint(c) {
			continue
		}
		for d := range rank {
			if lo[l][d] == bx.crop.Min[d] && lo[l][d] > 0 || hi[l][d] == bx.crop.Max[d]-1 && hi[l][d] < g.shape[d]-1 {
				return fmt.Errorf("stitch: tile %d: the object with bounding box %v reaches the edge of the crop %v on axis %d: it is larger than the margin",
					i, nd.Box{Min: lo[l], Max: addOne(hi[l])}, bx.crop, d)
			}
		}
		k++
		m[l] = k
	}
	for p, l := range lab {
		lab[p] = m[l]
	}
	r.k, r.n = k, k
	return nil
}

func addOne(v []int) []int {
	o := slices.Clone(v)
	for i := range o {
		o[i]++
	}
	return o
}
