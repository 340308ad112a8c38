package tile

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ryomen-dev/ryomen/nd"
)

// AnyFunc is [Func] for dtypes known only at run time: one result per
// crop, each with the plan's OutCropShape and the runner's output dtype.
// The crops are private buffers the function may modify.
type AnyFunc func(ctx context.Context, tiles []Tile, crops []nd.Any) ([]nd.Any, error)

// BoxOptions tunes a [Runner].
type BoxOptions struct {
	// BatchSize is the number of crops per call of the function (0: 1).
	BatchSize int
	// Merge and Sigma are as in [Options].
	Merge Merge
	Sigma float64
	// CacheBytes bounds a cache of function results shared by all the
	// boxes of the runner, so that a tile whose results several boxes
	// need is computed once while it stays cached (0: no cache, every box
	// recomputes the tiles it needs).
	CacheBytes int64
	// ReuseCrops promises that the function's results never share memory
	// with its crops (nor keep them), so the runner reuses crop buffers
	// from call to call instead of allocating new ones.
	ReuseCrops bool
	// Recycle, if set, is given every result once the runner no longer
	// needs it (pasted or blended into every box that wanted it and out of
	// the cache), so that a function can reuse result buffers.
	Recycle func(nd.Any)
}

// Runner computes boxes of the output of [Map] one at a time, each from
// only the tiles that reach it, so that an out-of-core engine can produce
// the output one storage chunk (or shard) per task, in any order and on
// any number of goroutines. A box computed by [Runner.Box] equals the same
// box of the output of Map with Workers 1 bit for bit, for pasting and
// for blending (the runner adds the crops of a voxel in plan order with
// Map's weights and arithmetic; Map with several workers may add them in
// another order and so differ in the last bit of a blended value).
// A Runner is safe for concurrent use.
type Runner struct {
	p       *Plan
	in, out nd.DType
	fn      AnyFunc
	opt     BoxOptions
	bandAx  int           // output axis of Map's blending band
	w32     [][][]float32 // weights[k][g] per tiled axis k and crop g
	w64     [][][]float64
	cache   *resultCache
	crops   sync.Pool    // of crop buffers, with ReuseCrops
	calls   atomic.Int64 // crops sent to the function
	read    atomic.Int64 // crop bytes read
}

// NewRunner returns a runner of fn over plan p for sources of dtype in and
// results of dtype out.
func NewRunner(p *Plan, in, out nd.DType, fn AnyFunc, opt BoxOptions) (*Runner, error) {
	if in == nd.Invalid || out == nd.Invalid {
		return nil, fmt.Errorf("tile: NewRunner: invalid dtype (in %v, out %v)", in, out)
	}
	if opt.Merge > BlendGaussian {
		return nil, fmt.Errorf("tile: invalid merge mode %d", opt.Merge)
	}
	if opt.Sigma == 0 {
		opt.Sigma = 0.125
	}
	if !(opt.Sigma > 0) || math.IsInf(opt.Sigma, 0) {
		return nil, fmt.Errorf("tile: BoxOptions.Sigma = %v must be positive and finite", opt.Sigma)
	}
	opt.BatchSize = max(opt.BatchSize, 1)
	r := &Runner{p: p, in: in, out: out, fn: fn, opt: opt}
	k := 0
	for i, a := range p.axes {
		if len(a.starts) > 1 {
			k = i
			break
		}
	}
	r.bandAx = p.lead + k
	if opt.Merge != Paste {
		for i := range p.axes {
			w := axisWeights(&p.axes[i], opt.Merge, opt.Sigma)
			r.w64 = append(r.w64, w)
			w32 := make([][]float32, len(w))
			for g, v := range w {
				w32[g] = make([]float32, len(v))
				for j, x := range v {
					w32[g][j] = float32(x)
				}
			}
			r.w32 = append(r.w32, w32)
		}
	}
	if opt.CacheBytes > 0 {
		r.cache = newResultCache(opt.CacheBytes)
		r.cache.drop = opt.Recycle
	}
	return r, nil
}

// OutDType returns the dtype of the runner's results.
func (r *Runner) OutDType() nd.DType { return r.out }

// Plan returns the runner's plan.
func (r *Runner) Plan() *Plan { return r.p }

// Stats returns the number of crops computed so far and the crop bytes
// read for them.
func (r *Runner) Stats() (crops, bytesRead int64) { return r.calls.Load(), r.read.Load() }

// TilesFor returns, in plan order, the tiles that contribute to the output
// box: those whose Dest meets it when pasting, whose Region meets it when
// blending.
func (p *Plan) TilesFor(box nd.Box, m Merge) []int {
	if p.len == 0 || box.Rank() != len(p.shape) || box.Empty() {
		return nil
	}
	lo := make([]int, len(p.axes))
	hi := make([]int, len(p.axes))
	for k := range p.axes {
		a := &p.axes[k]
		d := p.lead + k
		lo[k], hi[k] = len(a.starts), 0
		for g, s := range a.starts {
			var x0, x1 int
			if m == Paste {
				x0, x1 = a.bounds[g], a.bounds[g+1]
			} else {
				x0, x1 = max(s, 0), min(s+a.crop, a.n)
			}
			x0, _ = a.scale.scale(x0)
			x1, _ = a.scale.scale(x1)
			if x0 < box.Max[d] && x1 > box.Min[d] {
				lo[k], hi[k] = min(lo[k], g), max(hi[k], g+1)
			}
		}
		if lo[k] >= hi[k] {
			return nil
		}
	}
	var out []int
	for g := range nd.NewBox(lo, hi).Points() {
		i := 0
		for k := range p.axes {
			i = i*len(p.axes[k].starts) + g[k]
		}
		out = append(out, i)
	}
	return out
}

// Box computes the output box of the plan from src (which must have the
// plan's shape and the runner's input dtype) and returns it as a new
// C-order array of the output dtype.
func (r *Runner) Box(ctx context.Context, src nd.Reader, box nd.Box) (nd.Any, error) {
	y, _, err := r.BoxRead(ctx, src, box)
	return y, err
}

// BoxRead is [Runner.Box] that also returns the crop bytes read for the
// box (padding included; 0 for the tiles that came from the cache).
func (r *Runner) BoxRead(ctx context.Context, src nd.Reader, box nd.Box) (nd.Any, int64, error) {
	var read int64
	y, err := r.box(ctx, src, box, &read)
	return y, read, err
}

func (r *Runner) box(ctx context.Context, src nd.Reader, box nd.Box, read *int64) (nd.Any, error) {
	dst := nd.NewAny(r.out, box.Shape(), nd.C)
	if err := r.boxInto(ctx, src, box, dst, read); err != nil {
		return nil, err
	}
	return dst, nil
}

// BoxInto is [Runner.BoxRead] into dst, a C-order array of the output
// dtype and the box's shape (such as a buffer the caller reuses), which
// it overwrites.
func (r *Runner) BoxInto(ctx context.Context, src nd.Reader, box nd.Box, dst nd.Any) (int64, error) {
	if o, ok := nd.ContiguousOrder(dst); dst.DType() != r.out || !slices.Equal(dst.Shape(), box.Shape()) || !ok || o != nd.C {
		return 0, fmt.Errorf("tile: BoxInto: destination %v %v, want a C-order %v array of shape %v", dst.DType(), dst.Shape(), r.out, box.Shape())
	}
	var read int64
	err := r.boxInto(ctx, src, box, dst, &read)
	return read, err
}

func (r *Runner) boxInto(ctx context.Context, src nd.Reader, box nd.Box, dst nd.Any, read *int64) error {
	if src.DType() != r.in || !slices.Equal(src.Shape(), r.p.shape) {
		return fmt.Errorf("tile: source is %v %v, runner wants %v %v", src.DType(), src.Shape(), r.in, r.p.shape)
	}
	if !nd.BoxOf(r.p.OutShape()).Contains(box) {
		return fmt.Errorf("tile: box %v is outside the output %v", box, r.p.OutShape())
	}
	if box.Empty() {
		return nil
	}
	idx := r.p.TilesFor(box, r.opt.Merge)
	acc := newBoxAcc(r, box, dst)
	err := r.results(ctx, src, box, idx, read, func(t Tile, y nd.Any) error {
		if !slices.Equal(y.Shape(), r.p.OutCropShape()) || y.DType() != r.out {
			return fmt.Errorf("tile %d: function returned %v %v, want %v %v", t.Index, y.DType(), y.Shape(), r.out, r.p.OutCropShape())
		}
		if r.opt.Merge == Paste {
			return pasteBox(dst, box, t, y)
		}
		return acc.add(t, y)
	})
	if err != nil {
		return err
	}
	if acc != nil {
		acc.finish()
	}
	return nil
}

// pasteBox copies the part of tile t's kept result inside box into dst.
func pasteBox(dst nd.Any, box nd.Box, t Tile, y nd.Any) error {
	in := t.Dest.Intersect(box)
	if in.Empty() {
		return nil
	}
	from := in.Translate(sub(t.Source.Min, t.Dest.Min))
	return nd.CopyAny(dst.View(in.Translate(neg(box.Min))), y.View(from))
}

func sub(a, b []int) []int {
	o := make([]int, len(a))
	for i := range a {
		o[i] = a[i] - b[i]
	}
	return o
}

// results calls emit with the result of every tile of idx, in the order
// of idx, computing in batches the ones the cache does not hold.
func (r *Runner) results(ctx context.Context, src nd.Reader, box nd.Box, idx []int, read *int64, emit func(Tile, nd.Any) error) error {
	for lo := 0; lo < len(idx); {
		// The next run of tiles: cached ones are emitted, missing ones
		// claimed, up to a batch of them.
		var (
			tiles []Tile
			waits []*cacheEntry
			mine  []*cacheEntry
		)
		hi := lo
		for hi < len(idx) && len(mine) < r.opt.BatchSize {
			t := r.p.Tile(idx[hi])
			e, owner := r.cache.claim(idx[hi])
			tiles, waits = append(tiles, t), append(waits, e)
			if owner {
				mine = append(mine, e)
			}
			hi++
		}
		if err := r.compute(ctx, src, tiles, waits, mine, read); err != nil {
			return err
		}
		for i, t := range tiles {
			y, err := waits[i].wait(ctx)
			if err != nil {
				return err
			}
			if err := emit(t, y); err != nil {
				return err
			}
		}
		// A result whose footprint lies inside this box is needed by no
		// other box: it leaves the cache at once.
		keep := make([]bool, len(tiles))
		for i, t := range tiles {
			fp := t.Dest
			if r.opt.Merge != Paste {
				fp = t.Region
			}
			keep[i] = !box.Contains(fp)
		}
		r.cache.release(waits, keep)
		if r.cache == nil && r.opt.Recycle != nil {
			for _, e := range waits {
				r.opt.Recycle(e.y)
			}
		}
		lo = hi
	}
	return nil
}

// compute runs the function on the tiles whose entries are in mine and
// fills those entries (with the error, on failure).
func (r *Runner) compute(ctx context.Context, src nd.Reader, tiles []Tile, all, mine []*cacheEntry, read *int64) (err error) {
	if len(mine) == 0 {
		return nil
	}
	defer func() {
		if err != nil {
			for _, e := range mine {
				r.cache.fail(e, err)
			}
		}
	}()
	var bt []Tile
	var crops []nd.Any
	shape := r.p.CropShape()
	for i, e := range all {
		if !slices.Contains(mine, e) {
			continue
		}
		t := tiles[i]
		c, _ := r.crops.Get().(nd.Any)
		if c == nil {
			c = nd.NewAny(r.in, shape, nd.C)
		}
		if err := ReadCropAny(src, t.Crop, r.p.border, r.p.value, c); err != nil {
			return fmt.Errorf("tile %d: reading crop %v: %w", t.Index, t.Crop, err)
		}
		bt, crops = append(bt, t), append(crops, c)
		n := int64(c.Len() * r.in.Size())
		r.read.Add(n)
		*read += n
	}
	res, err := r.fn(ctx, bt, crops)
	if r.opt.ReuseCrops {
		for _, c := range crops {
			r.crops.Put(c)
		}
	}
	if err != nil {
		return fmt.Errorf("tiles %d..%d: %w", bt[0].Index, bt[len(bt)-1].Index, err)
	}
	if len(res) != len(bt) {
		return fmt.Errorf("tiles %d..%d: function returned %d results for %d crops", bt[0].Index, bt[len(bt)-1].Index, len(res), len(bt))
	}
	for i, y := range res {
		if y == nil {
			return fmt.Errorf("tile %d: function returned no result", bt[i].Index)
		}
	}
	r.calls.Add(int64(len(bt)))
	for i, y := range res {
		r.cache.fill(mine[i], y)
	}
	return nil
}

// FuncOf adapts a function of runtime dtypes (an [AnyFunc], such as a
// model server's through package child) to [Map]'s typed Func: crops go
// in as nd.Any, and every result must be an *nd.Array[U] (an error names
// the tile otherwise).
func FuncOf[T, U nd.Number](fn AnyFunc) Func[T, U] {
	return func(ctx context.Context, b Batch[T]) ([]*nd.Array[U], error) {
		cs := make([]nd.Any, len(b.Crops))
		for i, c := range b.Crops {
			cs[i] = c
		}
		res, err := fn(ctx, b.Tiles, cs)
		if err != nil {
			return nil, err
		}
		if len(res) != len(b.Crops) {
			return nil, fmt.Errorf("tile: function returned %d results for %d crops", len(res), len(b.Crops))
		}
		ys := make([]*nd.Array[U], len(res))
		for i, y := range res {
			var ok bool
			if ys[i], ok = y.(*nd.Array[U]); !ok {
				return nil, fmt.Errorf("tile %d: function returned %T, want %v", b.Tiles[i].Index, y, nd.DTypeOf[U]())
			}
		}
		return ys, nil
	}
}
