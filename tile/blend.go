package tile

import (
	"fmt"
	"math"
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
	pending []int // unfinished tiles per crop index along the band axis
	next    int   // first band crop index with pending tiles
	flushed int   // output rows [0, flushed) are written
	written int64
}

func newBlender[U nd.Number](p *Plan, dst nd.Writer, m Merge, sigma float64) *blender[U] {
	b := &blender[U]{p: p, dst: dst, out: p.OutShape(), rows: map[int][]float64{}}
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
	r := len(b.out)
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
	yd, ys := y.Data(), y.Strides()
	var rec func(d, yo, ro int, w float64, row []float64)
	rec = func(d, yo, ro int, w float64, row []float64) {
		lo, hi := t.Region.Min[d], t.Region.Max[d]
		slo := t.RegionSource.Min[d]
		var wv []float64
		if d >= b.p.lead {
			wv = b.weights[d-b.p.lead][t.Grid[d-b.p.lead]]
		}
		for i := lo; i < hi; i++ {
			wi := w
			if wv != nil {
				wi *= wv[i-lo]
			}
			yo2 := yo + (slo+i-lo)*ys[d]
			if d == b.band {
				rw := b.rows[i]
				if rw == nil {
					rw = make([]float64, b.rowLen)
					b.rows[i] = rw
				}
				if d == r-1 {
					rw[ro] += wi * float64(yd[yo2])
				} else {
					rec(d+1, yo2, ro, wi, rw)
				}
				continue
			}
			ro2 := ro + i*rs[d]
			if d == r-1 {
				row[ro2] += wi * float64(yd[yo2])
			} else {
				rec(d+1, yo2, ro2, wi, row)
			}
		}
	}
	rec(0, y.Offset(), 0, 1, nil)
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

// flush converts rows [lo, hi) to U (rounding half away from zero and
// clamping for integers) and writes them.
func (b *blender[U]) flush(lo, hi int) error {
	box := nd.BoxOf(b.out)
	box.Min[b.band], box.Max[b.band] = lo, hi
	buf := nd.New[U](box.Shape(), nd.C)
	// Move the band axis first so each band row is contiguous.
	perm := []int{b.band}
	for d := range b.out {
		if d != b.band {
			perm = append(perm, d)
		}
	}
	tv := buf.Transpose(perm...)
	tmp := nd.New[float64](tv.Shape(), nd.C)
	data := tmp.Data()
	for i := lo; i < hi; i++ {
		copy(data[(i-lo)*b.rowLen:(i-lo+1)*b.rowLen], b.rows[i])
		delete(b.rows, i)
	}
	nd.ConvertClamp(tv, tmp)
	b.written += int64(buf.Len()) * int64(nd.DTypeOf[U]().Size())
	if err := b.dst.WriteRegion(box, buf); err != nil {
		return fmt.Errorf("tile: writing blended rows [%d,%d) of axis %d: %w", lo, hi, b.band, err)
	}
	return nil
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
