package tile

import (
	"fmt"
	"math"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// boxAcc accumulates blended results for one output box.
type boxAcc interface {
	add(t Tile, y nd.Any) error
	finish()
}

// newBoxAcc returns the blending accumulator of box for dst (nil when the
// runner pastes).
func newBoxAcc(r *Runner, box nd.Box, dst nd.Any) boxAcc {
	if r.opt.Merge == Paste {
		return nil
	}
	switch d := dst.(type) {
	case *nd.Array[uint8]:
		return mkBoxAcc(r, box, d)
	case *nd.Array[uint16]:
		return mkBoxAcc(r, box, d)
	case *nd.Array[uint32]:
		return mkBoxAcc(r, box, d)
	case *nd.Array[uint64]:
		return mkBoxAcc(r, box, d)
	case *nd.Array[int8]:
		return mkBoxAcc(r, box, d)
	case *nd.Array[int16]:
		return mkBoxAcc(r, box, d)
	case *nd.Array[int32]:
		return mkBoxAcc(r, box, d)
	case *nd.Array[int64]:
		return mkBoxAcc(r, box, d)
	case *nd.Array[float32]:
		return mkBoxAcc(r, box, d)
	case *nd.Array[float64]:
		return mkBoxAcc(r, box, d)
	}
	return badAcc{dst}
}

// badAcc reports an output array type blending does not support.
type badAcc struct{ dst nd.Any }

func (b badAcc) add(Tile, nd.Any) error {
	return fmt.Errorf("tile: cannot blend into an array of type %T", b.dst)
}
func (badAcc) finish() {}

func mkBoxAcc[U nd.Number](r *Runner, box nd.Box, dst *nd.Array[U]) boxAcc {
	if wideAccum[U]() {
		return newBoxBand[U](r, box, dst, r.w64)
	}
	return newBoxBand[U](r, box, dst, r.w32)
}

// boxBand is the blending accumulator of one box, with Map's arithmetic:
// the same weights, the same products in the same order, the crops of a
// voxel added in plan order, the same conversion.
type boxBand[U nd.Number, A accum] struct {
	r   *Runner
	box nd.Box
	dst *nd.Array[U]
	acc []A
	st  []int // C strides of box
	w   [][][]A
	top U
	scr []A // scratch row of axpy
}

func newBoxBand[U nd.Number, A accum](r *Runner, box nd.Box, dst *nd.Array[U], w [][][]A) *boxBand[U, A] {
	b := &boxBand[U, A]{r: r, box: box, dst: dst, w: w, acc: make([]A, dst.Len())}
	one := nd.New[U]([]int{1}, nd.C)
	nd.ConvertClamp(one, nd.FromSlice([]float64{math.Inf(1)}, []int{1}, nd.C))
	b.top = one.Data()[0]
	sh := box.Shape()
	b.st = make([]int, len(sh))
	s := 1
	for d := len(sh) - 1; d >= 0; d-- {
		b.st[d] = s
		s *= sh[d]
	}
	return b
}

// add accumulates the part of tile t's weighted result inside the box.
// Reference loop, for every voxel x of t.Region ∩ box at position s in y:
//
//	acc[x] += (prod over tiled axes but the last of w_k[x_k]) * w_last[x_last] * y[s]
func (b *boxBand[U, A]) add(t Tile, ya nd.Any) error {
	y, ok := ya.(*nd.Array[U])
	if !ok {
		return fmt.Errorf("tile %d: result of type %T, want %T", t.Index, ya, b.dst)
	}
	reg := t.Region.Intersect(b.box)
	if reg.Empty() {
		return nil
	}
	lead := b.r.p.lead
	last := len(reg.Min) - 1
	n := reg.Max[last] - reg.Min[last]
	wfull := b.w[last-lead][t.Grid[last-lead]]
	a0 := reg.Min[last] - t.Region.Min[last]
	wl := wfull[a0:][:n]
	yd, ys := y.Data(), y.Strides()
	vec := b.r.bandAx != last && ys[last] == 1
	idx := slices.Clone(reg.Min[:last])
	for {
		w := A(1)
		yo := y.Offset() + (t.RegionSource.Min[last]+reg.Min[last]-t.Region.Min[last])*ys[last]
		ao := reg.Min[last] - b.box.Min[last]
		for d, x := range idx {
			if d >= lead {
				w *= b.w[d-lead][t.Grid[d-lead]][x-t.Region.Min[d]]
			}
			yo += (t.RegionSource.Min[d] + x - t.Region.Min[d]) * ys[d]
			ao += (x - b.box.Min[d]) * b.st[d]
		}
		row := b.acc[ao : ao+n]
		if vec {
			b.axpy(row, wfull, w, yd[yo-a0:yo-a0+len(wfull)], a0)
		} else {
			for i := range row {
				row[i] += w * wl[i] * A(yd[yo+i*ys[last]])
			}
		}
		if !nextRow(idx, reg) {
			return nil
		}
	}
}

// axpy is axpyRow on part [a0, a0+len(row)) of a tile's whole row (w and
// y are the whole row) with the rounding Map's blender gives each element.
// The vector kernels fuse the multiply-add in groups of 8 from the row's
// start and leave a scalar tail, so a part is computed on the aligned
// groups that hold it, in a scratch row, and copied back.
func (b *boxBand[U, A]) axpy(row, w []A, s A, y []U, a0 int) {
	n := len(row)
	g0 := a0 &^ 7
	e := min((a0+n+7)&^7, len(w))
	if cap(b.scr) < e-g0 {
		b.scr = make([]A, e-g0)
	}
	scr := b.scr[:e-g0]
	clear(scr)
	copy(scr[a0-g0:], row)
	axpyRow(scr, w[g0:e], s, y[g0:e])
	copy(row, scr[a0-g0:])
}

// finish converts the accumulators into the box's array.
func (b *boxBand[U, A]) finish() {
	d, _ := b.dst.Flat()
	convRow(d, b.acc, b.top)
}
