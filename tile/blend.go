package tile

import (
	"fmt"
	"math"
	"sync"

	"github.com/ryomen-dev/ryomen/internal/f32"
	"github.com/ryomen-dev/ryomen/nd"
)

// Merge says how the results of overlapping crops become the output.
type Merge uint8

const (
	// Paste writes each result's Source box to its Dest box, as Ryomen
	// does. The Dest boxes partition the output, so every output voxel is
	// written exactly once, from the crop in which it lies farthest from
	// the crop's edge. No memory beyond the crops in flight is used.
	Paste Merge = iota
	// BlendConstant averages every crop covering a voxel with equal
	// weights over the crops' whole in-image regions (margins included).
	BlendConstant
	// BlendGaussian weights each crop by a Gaussian centred on the crop
	// (sigma = Options.Sigma times the crop size) before averaging, as
	// MONAI and nnU-Net do, which hides seams.
	BlendGaussian
)

// minWeight is the floor of every raw window weight: it keeps a weight
// that underflows exp from ever making a normalising sum zero.
const minWeight = 1e-300

// axisWeights returns, for each crop g of axis a, the normalised weights
// over the crop's output region [sc(max(s,0)), sc(min(s+c,n))). For every
// output coordinate the weights of the crops covering it sum to 1 (to
// rounding), so the product over axes of these weights is a partition of
// unity over the N-d tiles (the tiles are the Cartesian product of the
// per-axis crops).
func axisWeights(a *axis, m Merge, sigma float64) [][]float64 {
	sc := func(v int) int { x, _ := a.scale.scale(v); return x }
	n := sc(a.n)
	c := float64(sc(a.crop))
	raw := make([][]float64, len(a.starts))
	lo := make([]int, len(a.starts))
	sum := make([]float64, n)
	for g, s := range a.starts {
		lo[g] = sc(max(s, 0))
		hi := sc(min(s+a.crop, a.n))
		centre := float64(sc(s)) + c/2 - 0.5
		raw[g] = make([]float64, hi-lo[g])
		for i := range raw[g] {
			w := 1.0
			if m == BlendGaussian {
				z := (float64(lo[g]+i) - centre) / (sigma * c)
				w = math.Exp(-0.5 * z * z)
			}
			raw[g][i] = max(w, minWeight)
			sum[lo[g]+i] += raw[g][i]
		}
	}
	for g := range raw {
		for i := range raw[g] {
			raw[g][i] /= sum[lo[g]+i]
		}
	}
	return raw
}

// accum is the element type of the blending accumulators.
type accum interface{ float32 | float64 }

// wideAccum reports whether results of type U are accumulated in
// float64. Accumulating in float32 is exact enough for uint8, int8,
// uint16, int16 and float32 results (see [blender]); 32-bit integers
// and 64-bit types need float64.
func wideAccum[U nd.Number]() bool {
	dt := nd.DTypeOf[U]()
	return dt.Size() >= 4 && dt != nd.Float32
}

// blender merges weighted results. It accumulates, for a band of the
// output along the first tiled axis with more than one crop, the sum over
// the crops covering each voxel of weight times value, and writes each
// band row once no unfinished crop covers it. Its memory is about
// (crop + stride) * (product of the other output axes) * (4 or 8) bytes.
//
// The accumulators are float32 for 8- and 16-bit integer and float32
// results, float64 otherwise. Error bound in float32: a voxel covered by
// k crops sums k terms w_i*y_i with weights that sum to 1, so the
// accumulated value differs from the exact blend by at most about
// (k + rank + 2) * 2^-24 * max|y_i| (each weight is a product of rank
// rounded float32 factors; each product and sum rounds once). For 16-bit
// data (|y| <= 65535) and k <= 64 that is under 0.3, so a blend of equal
// values (the identity) rounds back exactly, and a general blend differs
// from float64 blending by at most one integer step, only where the exact
// blend lies within 0.3 of a rounding tie. For float32 results the error
// is a few ulps of the largest blended value.
type blender[U nd.Number] struct {
	blendImpl[U]
}

// blendImpl is the interface Map uses; band implements it.
type blendImpl[U nd.Number] interface {
	// add accumulates result y of tile t and writes any finished rows.
	add(t Tile, y *nd.Array[U]) error
	// bytesWritten returns the bytes written so far.
	bytesWritten() int64
	// checkAllFlushed reports an error if rows remain (a bug guard).
	checkAllFlushed() error
}

func newBlender[U nd.Number](p *Plan, dst nd.Writer, m Merge, sigma float64) *blender[U] {
	if wideAccum[U]() {
		return &blender[U]{newBand[U, float64](p, dst, m, sigma)}
	}
	return &blender[U]{newBand[U, float32](p, dst, m, sigma)}
}

// band is the blender with accumulators of type A.
type band[U nd.Number, A accum] struct {
	p       *Plan
	dst     nd.Writer
	out     []int // output shape
	axis    int   // output axis of the band
	k       int   // index of the band axis in p.axes
	weights [][][]A
	rowLen  int   // elements in a band row (the output without the band axis)
	rs      []int // strides of a band row, C order (0 for the band axis)
	outer   int   // product of the output axes before the band axis
	inner   int   // product of the output axes after the band axis
	mu      sync.Mutex
	win     [][]A // win[i] accumulates output row flushed+i; nil until used
	free    [][]A // flushed rows for reuse
	pending []int // unfinished tiles per crop index along the band axis
	next    int   // first band crop index with pending tiles
	flushed int   // output rows [0, flushed) are written
	written int64
	top     U // the largest U, what values at or above its limit become
	// Scratch reused from tile to tile (guarded by mu).
	idx    []int
	wts    [][]A
	ones   []A
	outBuf []U
}

func newBand[U nd.Number, A accum](p *Plan, dst nd.Writer, m Merge, sigma float64) *band[U, A] {
	b := &band[U, A]{p: p, dst: dst, out: p.OutShape()}
	one := nd.New[U]([]int{1}, nd.C)
	nd.ConvertClamp(one, nd.FromSlice([]float64{math.Inf(1)}, []int{1}, nd.C))
	b.top = one.Data()[0]
	for k := range p.axes {
		w64 := axisWeights(&p.axes[k], m, sigma)
		w := make([][]A, len(w64))
		for g, v := range w64 {
			w[g] = make([]A, len(v))
			for i, x := range v {
				w[g][i] = A(x)
			}
		}
		b.weights = append(b.weights, w)
	}
	for k, a := range p.axes {
		if len(a.starts) > 1 {
			b.k = k
			break
		}
	}
	b.axis = p.lead + b.k
	r := len(b.out)
	b.rs = make([]int, r)
	b.rowLen, b.outer, b.inner = 1, 1, 1
	for d := r - 1; d >= 0; d-- {
		switch {
		case d > b.axis:
			b.inner *= b.out[d]
		case d < b.axis:
			b.outer *= b.out[d]
		}
		if d != b.axis {
			b.rs[d] = b.rowLen
			b.rowLen *= b.out[d]
		}
	}
	n := len(p.axes[b.k].starts)
	b.pending = make([]int, n)
	for i := range b.pending {
		b.pending[i] = p.len / n
	}
	b.idx = make([]int, r)
	b.wts = make([][]A, r)
	return b
}

// add accumulates result y of tile t and writes any finished rows.
func (b *band[U, A]) add(t Tile, y *nd.Array[U]) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.accumulate(t, y); err != nil {
		return err
	}
	g := t.Grid[b.k]
	b.pending[g]--
	for b.next < len(b.pending) && b.pending[b.next] == 0 {
		b.next++
	}
	// Rows before the region of the first unfinished band crop are final.
	limit := b.out[b.axis]
	if b.next < len(b.pending) {
		a := &b.p.axes[b.k]
		limit, _ = a.scale.scale(max(a.starts[b.next], 0))
	}
	if limit > b.flushed {
		if err := b.flush(b.flushed, limit); err != nil {
			return err
		}
		b.flushed = limit
	}
	return nil
}

// accumulate adds the weighted result y of tile t to the band rows.
// Reference loop, for every voxel x of t.Region (output coordinates) and
// its position s in y:
//
//	rows[x[band]][x without band] += prod_k w_k[x_k] * y[s]
//
// where w_k is the tile's normalised window on tiled axis k (1 on leading
// axes). The weights are separable, so for each row of the last axis the
// product over the other axes is one scalar, and the row is one
// multiply-add of the result row by that scalar times the last axis's
// weight vector ([axpyRow]).
func (b *band[U, A]) accumulate(t Tile, y *nd.Array[U]) error {
	reg := t.Region
	for d := range reg.Min {
		if reg.Max[d] <= reg.Min[d] {
			return nil
		}
	}
	if reg.Min[b.axis] < b.flushed {
		return fmt.Errorf("tile: internal error: tile %d adds to written row %d of axis %d", t.Index, reg.Min[b.axis], b.axis)
	}
	last := len(b.out) - 1
	for d := range b.wts {
		b.wts[d] = nil
		if d >= b.p.lead {
			b.wts[d] = b.weights[d-b.p.lead][t.Grid[d-b.p.lead]]
		}
	}
	n := reg.Max[last] - reg.Min[last]
	if b.wts[last] == nil {
		for len(b.ones) < n {
			b.ones = append(b.ones, 1)
		}
		b.wts[last] = b.ones[:n]
	}
	if b.axis == last {
		b.accumulateLast(t, y)
		return nil
	}
	yd, ys := y.Data(), y.Strides()
	ylast := ys[last]
	wl := b.wts[last]
	idx := b.idx[:last]
	copy(idx, reg.Min[:last])
	for {
		w, yo, ro, bx := b.rowStart(t, y.Offset(), ys, idx)
		row := b.row(bx)[ro+reg.Min[last]*b.rs[last]:][:n]
		if ylast == 1 {
			axpyRow(row, wl, w, yd[yo:yo+n])
		} else {
			for i := range row {
				row[i] += w * wl[i] * A(yd[yo+i*ylast])
			}
		}
		if !nextRow(idx, reg) {
			return nil
		}
	}
}

// rowStart returns, for the row of the last axis at idx (output
// coordinates of the other axes), the product of the other axes'
// weights, the row's first offset in y's data, its offset in a band row
// (without the last axis's part) and its band coordinate.
func (b *band[U, A]) rowStart(t Tile, yoff int, ys, idx []int) (w A, yo, ro, bx int) {
	reg, src := t.Region, t.RegionSource
	last := len(ys) - 1
	w = 1
	yo = yoff + src.Min[last]*ys[last]
	for d, x := range idx {
		if wv := b.wts[d]; wv != nil {
			w *= wv[x-reg.Min[d]]
		}
		yo += (src.Min[d] + x - reg.Min[d]) * ys[d]
		if d == b.axis {
			bx = x
		} else {
			ro += x * b.rs[d]
		}
	}
	return w, yo, ro, bx
}

// accumulateLast is accumulate when the band axis is the last axis: each
// voxel of a row of the last axis is its own band row.
func (b *band[U, A]) accumulateLast(t Tile, y *nd.Array[U]) {
	reg := t.Region
	last := len(b.out) - 1
	yd, ys := y.Data(), y.Strides()
	wl := b.wts[last]
	idx := b.idx[:last]
	copy(idx, reg.Min[:last])
	for {
		w, yo, ro, _ := b.rowStart(t, y.Offset(), ys, idx)
		for i, wi := range wl {
			b.row(reg.Min[last] + i)[ro] += w * wi * A(yd[yo+i*ys[last]])
		}
		if !nextRow(idx, reg) {
			return
		}
	}
}

// nextRow advances idx (the coordinates before the last axis) to the next
// row of box r in C order and reports false after the last row.
func nextRow(idx []int, r nd.Box) bool {
	for d := len(idx) - 1; d >= 0; d-- {
		idx[d]++
		if idx[d] < r.Max[d] {
			return true
		}
		idx[d] = r.Min[d]
	}
	return false
}

// axpyRow adds s times w times y to acc, element by element, with the
// vector kernels of package f32 for float32 accumulators of uint8,
// uint16 and float32 results. Reference loop:
//
//	for i := range acc { acc[i] += s * w[i] * A(y[i]) }
func axpyRow[A accum, U nd.Number](acc, w []A, s A, y []U) {
	if a, ok := any(acc).([]float32); ok {
		w, s := any(w).([]float32), float32(s)
		switch y := any(y).(type) {
		case []uint8:
			f32.AxpyU8(a, w, s, y)
			return
		case []uint16:
			f32.AxpyU16(a, w, s, y)
			return
		case []float32:
			f32.AxpyF32(a, w, s, y)
			return
		}
	}
	w = w[:len(acc)]
	y = y[:len(acc)]
	for i := range acc {
		acc[i] += s * w[i] * A(y[i])
	}
}

// row returns the accumulator of band row x (x >= b.flushed), taking a
// recycled or new zeroed row on first use.
func (b *band[U, A]) row(x int) []A {
	i := x - b.flushed
	for len(b.win) <= i {
		b.win = append(b.win, nil)
	}
	rw := b.win[i]
	if rw == nil {
		if n := len(b.free); n > 0 {
			rw = b.free[n-1]
			b.free = b.free[:n-1]
		} else {
			rw = make([]A, b.rowLen)
		}
		b.win[i] = rw
	}
	return rw
}

// flush converts rows [lo, hi) to U (rounding half away from zero and
// clamping for integers) and writes them; lo is b.flushed.
func (b *band[U, A]) flush(lo, hi int) error {
	box := nd.BoxOf(b.out)
	box.Min[b.axis], box.Max[b.axis] = lo, hi
	m := hi - lo
	// Rows of an in-memory C-order destination are converted in place;
	// otherwise into a buffer that is then written.
	var data []U
	mem, _ := b.dst.(*nd.Array[U])
	if mem != nil {
		if sub := mem.Sub(box); sub.IsContiguous(nd.C) {
			data, _ = sub.Flat()
		} else {
			mem = nil
		}
	}
	if data == nil {
		if cap(b.outBuf) < m*b.rowLen {
			b.outBuf = make([]U, m*b.rowLen)
		}
		data = b.outBuf[:m*b.rowLen]
	}
	for i := range m {
		var rw []A
		if i < len(b.win) {
			rw = b.win[i]
		}
		// The band row is outer runs of inner elements; in the C-order
		// buffer run o of row i starts at (o*m + i) * inner.
		for o := range b.outer {
			d := data[(o*m+i)*b.inner:][:b.inner]
			if rw == nil { // not covered: cannot happen, keep zeros
				clear(d)
				continue
			}
			convClear(d, rw[o*b.inner:][:b.inner], b.top)
		}
		if rw != nil {
			b.free = append(b.free, rw)
		}
	}
	k := copy(b.win, b.win[min(m, len(b.win)):])
	clear(b.win[k:])
	b.win = b.win[:k]
	b.written += int64(len(data)) * int64(nd.DTypeOf[U]().Size())
	if mem != nil {
		return nil
	}
	if err := b.dst.WriteRegion(box, nd.FromSlice(data, box.Shape(), nd.C)); err != nil {
		return fmt.Errorf("tile: writing blended rows [%d,%d) of axis %d: %w", lo, hi, b.axis, err)
	}
	return nil
}

// convClear converts src to dst with convRow and zeroes src, in pieces
// that stay in the first-level cache between the two passes.
func convClear[U nd.Number, A accum](dst []U, src []A, top U) {
	const piece = 2048
	for i := 0; i < len(dst); i += piece {
		j := min(i+piece, len(dst))
		convRow(dst[i:j], src[i:j], top)
		clear(src[i:j])
	}
}

// convRow converts accumulated values to U as [nd.ConvertClamp] does:
// floats by Go conversion; integers rounded half away from zero, clamped
// to U's range (values at or above the top become top), NaN to 0.
func convRow[U nd.Number, A accum](dst []U, src []A, top U) {
	src = src[:len(dst)]
	if s, ok := any(src).([]float32); ok {
		switch d := any(dst).(type) {
		case []uint8:
			f32.ToU8(d, s)
			return
		case []uint16:
			f32.ToU16(d, s)
			return
		case []float32:
			copy(d, s)
			return
		}
	}
	if !nd.DTypeOf[U]().IsInteger() {
		for i, v := range src {
			dst[i] = U(v)
		}
		return
	}
	l, h := nd.Limits[U]()
	if nd.DTypeOf[U]().Size() <= 4 {
		// Exact: float32 accumulators only hold 8- and 16-bit values,
		// float64 ones at most 32-bit ones, so v +- 0.5 does not round
		// and Go's truncating conversion rounds half away from zero.
		lo, hi := A(l), A(h)
		for i, v := range src {
			switch {
			case v >= hi:
				dst[i] = top
			case v >= 0:
				dst[i] = U(int64(v + 0.5))
			case v > lo:
				dst[i] = U(int64(v - 0.5))
			case v <= lo:
				dst[i] = U(l)
			default: // NaN
				dst[i] = 0
			}
		}
		return
	}
	for i, v := range src {
		f := math.Round(float64(v))
		switch {
		case f >= h:
			dst[i] = top
		case f >= l:
			dst[i] = U(f)
		case f < l:
			dst[i] = U(l)
		default: // NaN
			dst[i] = 0
		}
	}
}

// bytesWritten returns the bytes written so far.
func (b *band[U, A]) bytesWritten() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.written
}

// checkAllFlushed reports an error if rows remain (a bug guard).
func (b *band[U, A]) checkAllFlushed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.flushed != b.out[b.axis] || len(b.win) != 0 {
		return fmt.Errorf("tile: internal error: blended rows %d..%d not written", b.flushed, b.out[b.axis])
	}
	return nil
}
