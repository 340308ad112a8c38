package tile

import (
	"fmt"
	"math"
	"slices"
	"sync"

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

// blender accumulates weighted results in float64 for a band of the
// output along the first tiled axis that has more than one crop, and
// writes each band row once no unfinished crop covers it. Its memory is
// about (crop + stride) * (product of the other output axes) * 8 bytes.
type blender[U nd.Number] struct {
	p       *Plan
	dst     nd.Writer
	out     []int // output shape
	band    int   // output axis of the band
	bandK   int   // index into p.axes
	weights [][][]float64
	rowLen  int
	mu      sync.Mutex
	rows    map[int][]float64
	free    [][]float64 // flushed rows for reuse
	pending []int       // unfinished tiles per crop index along the band axis
	next    int         // first band crop index with pending tiles
	flushed int         // output rows [0, flushed) are written
	written int64
	top     U // the largest U, what values at or above its limit become
}

func newBlender[U nd.Number](p *Plan, dst nd.Writer, m Merge, sigma float64) *blender[U] {
	b := &blender[U]{p: p, dst: dst, out: p.OutShape(), rows: map[int][]float64{}}
	one := nd.New[U]([]int{1}, nd.C)
	nd.ConvertClamp(one, nd.FromSlice([]float64{math.Inf(1)}, []int{1}, nd.C))
	b.top = one.Data()[0]
	for k := range p.axes {
		b.weights = append(b.weights, axisWeights(&p.axes[k], m, sigma))
	}
	b.bandK = 0
	for k, a := range p.axes {
		if len(a.starts) > 1 {
			b.bandK = k
			break
		}
	}
	b.band = p.lead + b.bandK
	b.rowLen = 1
	for d, v := range b.out {
		if d != b.band {
			b.rowLen *= v
		}
	}
	n := len(p.axes[b.bandK].starts)
	b.pending = make([]int, n)
	for i := range b.pending {
		b.pending[i] = p.len / n
	}
	return b
}

// add accumulates result y of tile t and writes any finished rows.
func (b *blender[U]) add(t Tile, y *nd.Array[U]) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.accumulate(t, y)
	g := t.Grid[b.bandK]
	b.pending[g]--
	for b.next < len(b.pending) && b.pending[b.next] == 0 {
		b.next++
	}
	// Rows before the region of the first unfinished band crop are final.
	limit := b.out[b.band]
	if b.next < len(b.pending) {
		a := &b.p.axes[b.bandK]
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
// axes). It walks the region row by row and runs the last axis as a
// tight loop.
func (b *blender[U]) accumulate(t Tile, y *nd.Array[U]) {
	r := len(b.out)
	last := r - 1
	// Strides of a band row (the output without the band axis), C order.
	rs := make([]int, r)
	st := 1
	for d := r - 1; d >= 0; d-- {
		if d == b.band {
			continue
		}
		rs[d] = st
		st *= b.out[d]
	}
	wt := func(d int) []float64 {
		if d < b.p.lead {
			return nil
		}
		return b.weights[d-b.p.lead][t.Grid[d-b.p.lead]]
	}
	yd, ys := y.Data(), y.Strides()
	n := t.Region.Max[last] - t.Region.Min[last]
	if n <= 0 {
		return
	}
	wl := wt(last)
	// A row of the last axis: products with the other axes' weights.
	line := make([]float64, n)
	idx := slices.Clone(t.Region.Min[:last])
	for _, d := range t.Region.Shape()[:last] {
		if d <= 0 {
			return
		}
	}
	for {
		w := 1.0
		yo := y.Offset() + (t.RegionSource.Min[last])*ys[last]
		ro := 0
		band := 0
		for d, x := range idx {
			if wv := wt(d); wv != nil {
				w *= wv[x-t.Region.Min[d]]
			}
			yo += (t.RegionSource.Min[d] + x - t.Region.Min[d]) * ys[d]
			if d == b.band {
				band = x
			} else {
				ro += x * rs[d]
			}
		}
		if wl != nil {
			for i := range line {
				line[i] = w * wl[i]
			}
		} else {
			for i := range line {
				line[i] = w
			}
		}
		ylast := ys[last]
		if b.band == last {
			// Each voxel of the line is its own band row.
			for i := range n {
				x := t.Region.Min[last] + i
				row := b.row(x)
				row[ro] += line[i] * float64(yd[yo+i*ylast])
			}
		} else {
			row := b.row(band)
			ro += t.Region.Min[last] * rs[last]
			seg := row[ro : ro+n]
			if ylast == 1 {
				ys := yd[yo : yo+n]
				for i := range seg {
					seg[i] += line[i] * float64(ys[i])
				}
			} else {
				for i := range seg {
					seg[i] += line[i] * float64(yd[yo+i*ylast])
				}
			}
		}
		d := last - 1
		for ; d >= 0; d-- {
			idx[d]++
			if idx[d] < t.Region.Max[d] {
				break
			}
			idx[d] = t.Region.Min[d]
		}
		if d < 0 {
			return
		}
	}
}

// row returns band row x, allocating it on first use.
func (b *blender[U]) row(x int) []float64 {
	rw := b.rows[x]
	if rw == nil {
		if n := len(b.free); n > 0 {
			rw = b.free[n-1]
			b.free = b.free[:n-1]
			clear(rw)
		} else {
			rw = make([]float64, b.rowLen)
		}
		b.rows[x] = rw
	}
	return rw
}

// flush converts rows [lo, hi) to U (rounding half away from zero and
// clamping for integers) and writes them.
func (b *blender[U]) flush(lo, hi int) error {
	box := nd.BoxOf(b.out)
	box.Min[b.band], box.Max[b.band] = lo, hi
	buf := nd.New[U](box.Shape(), nd.C)
	data := buf.Data()
	var scratch []U
	var tv *nd.Array[U]
	if b.band != 0 {
		// Move the band axis first; its rows are then strided views.
		perm := []int{b.band}
		for d := range b.out {
			if d != b.band {
				perm = append(perm, d)
			}
		}
		tv = buf.Transpose(perm...)
		scratch = make([]U, b.rowLen)
	}
	for i := lo; i < hi; i++ {
		rw := b.rows[i]
		if rw == nil {
			rw = make([]float64, b.rowLen) // not covered: cannot happen, keep zeros
		} else {
			b.free = append(b.free, rw)
		}
		delete(b.rows, i)
		if tv == nil {
			b.conv(data[(i-lo)*b.rowLen:(i-lo+1)*b.rowLen], rw)
			continue
		}
		b.conv(scratch, rw)
		rb := tv.Bounds()
		rb.Min[0], rb.Max[0] = i-lo, i-lo+1
		view, _ := tv.Sub(rb), 0
		src := nd.FromSlice(scratch, view.Shape(), nd.C)
		nd.Copy(view, src)
	}
	b.written += int64(buf.Len()) * int64(nd.DTypeOf[U]().Size())
	if err := b.dst.WriteRegion(box, buf); err != nil {
		return fmt.Errorf("tile: writing blended rows [%d,%d) of axis %d: %w", lo, hi, b.band, err)
	}
	return nil
}

// conv converts accumulated values to U as [nd.ConvertClamp] does: floats
// by Go conversion; integers rounded half away from zero, clamped to U's
// range, NaN to 0.
func (b *blender[U]) conv(dst []U, src []float64) {
	if !nd.DTypeOf[U]().IsInteger() {
		for i, v := range src {
			dst[i] = U(v)
		}
		return
	}
	lo, hi := nd.Limits[U]()
	top := b.top
	if nd.DTypeOf[U]().Size() <= 4 {
		// Exact in float64: round half away from zero by adding 0.5 and
		// truncating (Go's float-to-int conversion truncates).
		for i, v := range src {
			switch {
			case v >= hi:
				dst[i] = top
			case v >= 0:
				dst[i] = U(int64(v + 0.5))
			case v > lo:
				dst[i] = U(int64(v - 0.5))
			case v <= lo:
				dst[i] = U(lo)
			default: // NaN
				dst[i] = 0
			}
		}
		return
	}
	for i, v := range src {
		v = math.Round(v)
		switch {
		case v >= hi:
			dst[i] = top
		case v >= lo:
			dst[i] = U(v)
		case v < lo:
			dst[i] = U(lo)
		default: // NaN
			dst[i] = 0
		}
	}
}

// bytesWritten returns the bytes written so far.
func (b *blender[U]) bytesWritten() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.written
}

// checkAllFlushed reports an error if rows remain (a bug guard).
func (b *blender[U]) checkAllFlushed() error {
	if b.flushed != b.out[b.band] || len(b.rows) != 0 {
		return fmt.Errorf("tile: internal error: blended rows %d..%d not written", b.flushed, b.out[b.band])
	}
	return nil
}
