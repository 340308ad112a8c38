package tile

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/progress"
	"golang.org/x/sync/errgroup"
)

// Batch is what a [Func] receives: up to Options.BatchSize tiles and
// their crops, in plan order.
type Batch[T nd.Number] struct {
	Tiles []Tile
	// Crops[i] holds the image inside Tiles[i].Crop, padded by the plan's
	// border mode, with the plan's CropShape. The buffers are owned by
	// Map and reused for later batches: they are valid only until the
	// function returns. A function may modify them in place (the image
	// itself is never a crop's memory) and may return them as results.
	Crops []*nd.Array[T]
}

// Func computes one result per crop of a batch. Each result must have the
// plan's OutCropShape (any strides). Map calls it from up to
// Options.Workers goroutines at once. Map reads the results before
// reusing the crops, so a result may share memory with its crop.
type Func[T, U nd.Number] func(ctx context.Context, b Batch[T]) ([]*nd.Array[U], error)

// Options tunes [Map]. The zero value runs on GOMAXPROCS workers with
// batches of one crop and pastes the results.
type Options struct {
	// Workers is the number of goroutines that read, compute and write
	// batches concurrently. Zero means runtime.GOMAXPROCS(0); more than
	// MaxWorkers is an error, and more than the number of batches runs
	// one goroutine per batch.
	Workers int
	// BatchSize is the number of crops per call of the function; the last
	// batch may be smaller. Zero means 1; a value above the plan's number
	// of tiles means one batch of all of them (buffers are sized by the
	// tiles, never by this number).
	BatchSize int
	// Merge selects pasting or blending.
	Merge Merge
	// Sigma is the Gaussian's standard deviation as a fraction of the
	// crop size for BlendGaussian. Zero means 0.125 (MONAI's default);
	// negative, infinite and NaN values are an error.
	Sigma float64
	// Progress, if set, counts the run: Map adds the plan's tiles to its
	// Total, and after every batch counts the batch's tiles Done, the
	// crop bytes read (padding included) and the output bytes written
	// (by blending: as its rows are flushed). Read it with Snapshot from
	// any goroutine.
	Progress *progress.Counter
	// ConcurrentWrites lets workers call dst.WriteRegion at the same time
	// (for distinct, non-overlapping boxes). Leave it off for writers that
	// read-modify-write shared chunks; nd.Array is safe with it on.
	ConcurrentWrites bool
	// Views lets crops that lie inside an in-memory source (*nd.Array[T])
	// be views of the source instead of copies, which saves one copy per
	// voxel. The function must then treat its crops as read-only: writing
	// to a view changes the image and the crops of later tiles (Ryomen's
	// defect, here opt-in and documented). Padded crops are still copies.
	Views bool
}

// MaxWorkers bounds Options.Workers: each worker holds a batch of crops
// and results, so the bound keeps a typo from reserving memory for
// millions of batches.
const MaxWorkers = 1 << 12

// Map runs fn over every tile of p, reading crops from src and merging the
// results into dst. src must have p.Shape() and dtype T, dst p.OutShape()
// and dtype U.
//
// Memory is bounded: at most Workers batches of crops and results are in
// flight, and blending holds one band of float64 rows (see [Merge]); the
// image is never copied whole. Cancelling ctx stops Map after the batches
// in flight and returns ctx's error. On error some of the output may have
// been written: callers that need all-or-nothing output must write to a
// temporary location.
func Map[T, U nd.Number](ctx context.Context, p *Plan, src nd.Reader, dst nd.Writer, fn Func[T, U], opt Options) error {
	m, err := newMapper(p, src, dst, fn, opt)
	if err != nil {
		return err
	}
	jobs := make(chan int)
	g, gc := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(jobs)
		for i := 0; i < m.nb; i++ {
			select {
			case jobs <- i:
			case <-gc.Done():
				return nil
			}
		}
		return nil
	})
	for range m.workers {
		g.Go(func() error {
			w := &mapWorker[T, U]{m: m}
			for bi := range jobs {
				if err := gc.Err(); err != nil {
					return err
				}
				if err := w.batch(gc, bi); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.bl != nil {
		return m.bl.checkAllFlushed()
	}
	return nil
}

// mapper is the state of one Map shared by its workers.
type mapper[T, U nd.Number] struct {
	p                   *Plan
	src                 nd.Reader
	dst                 nd.Writer
	fn                  Func[T, U]
	opt                 Options
	bl                  *blender[U]
	mem                 *nd.Array[T] // src when in memory (sweep copies and views)
	memDst              *nd.Array[U] // dst when in memory
	bs, nb, workers     int          // batch size, batches, goroutines
	cropShape, outShape []int
	cropBytes, usize    int64
	wmu                 sync.Mutex // serialises writes unless ConcurrentWrites
	pmu                 sync.Mutex // guards written
	written             int64      // blended bytes already counted in opt.Progress
}

// newMapper checks Map's arguments and sizes its batches and workers.
func newMapper[T, U nd.Number](p *Plan, src nd.Reader, dst nd.Writer, fn Func[T, U], opt Options) (*mapper[T, U], error) {
	if src.DType() != nd.DTypeOf[T]() || !slices.Equal(src.Shape(), p.shape) {
		return nil, fmt.Errorf("tile: source is %v %v, plan wants %v %v", src.DType(), src.Shape(), nd.DTypeOf[T](), p.shape)
	}
	if dst.DType() != nd.DTypeOf[U]() || !slices.Equal(dst.Shape(), p.OutShape()) {
		return nil, fmt.Errorf("tile: destination is %v %v, plan wants %v %v", dst.DType(), dst.Shape(), nd.DTypeOf[U](), p.OutShape())
	}
	m := &mapper[T, U]{p: p, src: src, dst: dst, fn: fn, opt: opt, workers: opt.Workers,
		cropShape: p.CropShape(), outShape: p.OutCropShape(), usize: int64(nd.DTypeOf[U]().Size())}
	if m.workers <= 0 {
		m.workers = runtime.GOMAXPROCS(0)
	}
	if m.workers > MaxWorkers {
		return nil, fmt.Errorf("tile: Options.Workers = %d exceeds MaxWorkers (%d)", m.workers, MaxWorkers)
	}
	// Batches never hold more than the plan's tiles, whatever BatchSize
	// says: the batch slices are sized by bs.
	m.bs = max(min(opt.BatchSize, p.len), 1)
	if opt.Merge > BlendGaussian {
		return nil, fmt.Errorf("tile: invalid merge mode %d", opt.Merge)
	}
	sigma := opt.Sigma
	if sigma == 0 {
		sigma = 0.125
	}
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return nil, fmt.Errorf("tile: Options.Sigma = %v must be positive and finite", sigma)
	}
	cb, err := nd.CheckedBytes(m.cropShape, nd.DTypeOf[T]().Size())
	if err != nil {
		return nil, fmt.Errorf("tile: crop buffers: %w", err)
	}
	m.cropBytes = int64(cb)
	if opt.Merge != Paste && p.len > 0 {
		m.bl = newBlender[U](p, dst, opt.Merge, sigma)
	}
	if p.len > 0 {
		m.nb = (p.len-1)/m.bs + 1
	}
	m.workers = min(m.workers, max(m.nb, 1))
	m.mem, _ = src.(*nd.Array[T])
	m.memDst, _ = dst.(*nd.Array[U])
	if opt.Progress != nil {
		opt.Progress.AddTotal(int64(p.len))
	}
	return m, nil
}

// mapWorker is one goroutine of a Map, with the buffers it reuses from
// batch to batch.
type mapWorker[T, U nd.Number] struct {
	m      *mapper[T, U]
	crops  []*nd.Array[T] // grown on first use
	reads  []sweepPair[T]
	pads   []int // batch entries padded after the sweep
	writes []sweepPair[U]
}

// batch reads, computes and writes batch bi, then counts it.
func (w *mapWorker[T, U]) batch(ctx context.Context, bi int) error {
	m := w.m
	lo, hi := bi*m.bs, min((bi+1)*m.bs, m.p.len)
	b, err := w.read(lo, hi)
	if err != nil {
		return err
	}
	res, err := m.fn(ctx, b)
	if err != nil {
		return fmt.Errorf("tiles %d..%d: %w", lo, hi-1, err)
	}
	if len(res) != len(b.Tiles) {
		return fmt.Errorf("tiles %d..%d: function returned %d results for %d crops", lo, hi-1, len(res), len(b.Tiles))
	}
	written, err := w.write(b.Tiles, res)
	if err != nil {
		return err
	}
	if c := m.opt.Progress; c != nil {
		if m.bl != nil {
			m.pmu.Lock()
			now := m.bl.bytesWritten()
			written, m.written = now-m.written, now
			m.pmu.Unlock()
		}
		c.BytesWritten.Add(written)
		for range b.Tiles {
			c.Finish(m.cropBytes, 0)
		}
	}
	return nil
}

// read fills the crops of tiles [lo, hi): views, sweep copies from an
// in-memory source (padded in place afterwards), or ReadCrop.
func (w *mapWorker[T, U]) read(lo, hi int) (Batch[T], error) {
	m := w.m
	b := Batch[T]{Tiles: make([]Tile, hi-lo), Crops: make([]*nd.Array[T], hi-lo)}
	for i := range b.Tiles {
		t := m.p.Tile(lo + i)
		b.Tiles[i] = t
		inside := m.mem != nil && m.mem.Bounds().Contains(t.Crop)
		if inside && m.opt.Views {
			b.Crops[i] = m.mem.Sub(t.Crop)
			continue
		}
		c, err := w.crop(i)
		if err != nil {
			return b, fmt.Errorf("tile %d: crop buffer: %w", t.Index, err)
		}
		b.Crops[i] = c
		inner, ok := t.Crop, inside
		if m.mem != nil && !inside && m.p.border != None {
			inner, ok = inPlaceInner(m.p.shape, t.Crop, m.p.border)
			if ok {
				w.pads = append(w.pads, i)
			}
		}
		if ok {
			// Copied below in one sweep with its row-mates.
			if len(w.reads) > 0 && !sameRows(w.reads[len(w.reads)-1].sb, inner) {
				sweepCopy(w.reads)
				w.reads = w.reads[:0]
			}
			w.reads = append(w.reads, sweepPair[T]{dst: c, src: m.mem, db: inner.Translate(neg(t.Crop.Min)), sb: inner})
			continue
		}
		if err := ReadCrop(m.src, t.Crop, m.p.border, m.p.value, c); err != nil {
			return b, fmt.Errorf("tile %d: reading crop %v: %w", t.Index, t.Crop, err)
		}
	}
	sweepCopy(w.reads)
	w.reads = w.reads[:0]
	for _, i := range w.pads {
		t := b.Tiles[i]
		padInPlace(b.Crops[i], m.p.shape, t.Crop, t.Crop.Intersect(m.mem.Bounds()), m.p.border, m.p.value)
	}
	w.pads = w.pads[:0]
	return b, nil
}

// crop returns the worker's i-th crop buffer, allocating it on first use.
func (w *mapWorker[T, U]) crop(i int) (*nd.Array[T], error) {
	for len(w.crops) <= i {
		w.crops = append(w.crops, nil)
	}
	if w.crops[i] == nil {
		c, err := nd.NewChecked[T](w.m.cropShape, nd.C)
		if err != nil {
			return nil, err
		}
		w.crops[i] = c
	}
	return w.crops[i], nil
}

// write blends or pastes the results of tiles and returns the bytes
// pasted.
func (w *mapWorker[T, U]) write(tiles []Tile, res []*nd.Array[U]) (int64, error) {
	m := w.m
	var written int64
	for i, y := range res {
		t := tiles[i]
		if y == nil || !slices.Equal(y.Shape(), m.outShape) {
			var got []int
			if y != nil {
				got = y.Shape()
			}
			return 0, fmt.Errorf("tile %d: function returned shape %v, want %v", t.Index, got, m.outShape)
		}
		if m.bl != nil {
			if err := m.bl.add(t, y); err != nil {
				return 0, err
			}
			continue
		}
		written += int64(prod(t.Dest.Shape())) * m.usize
		if m.memDst != nil {
			if len(w.writes) > 0 && !sameRows(w.writes[len(w.writes)-1].db, t.Dest) {
				m.locked(func() { sweepCopy(w.writes) })
				w.writes = w.writes[:0]
			}
			w.writes = append(w.writes, sweepPair[U]{dst: m.memDst, src: y, db: t.Dest, sb: t.Source})
			continue
		}
		var err error
		m.locked(func() { err = m.dst.WriteRegion(t.Dest, y.Sub(t.Source)) })
		if err != nil {
			return 0, fmt.Errorf("tile %d: writing %v: %w", t.Index, t.Dest, err)
		}
	}
	if len(w.writes) > 0 {
		m.locked(func() { sweepCopy(w.writes) })
		w.writes = w.writes[:0]
	}
	return written, nil
}

// locked runs f holding the write lock, unless writes may be concurrent.
func (m *mapper[T, U]) locked(f func()) {
	if !m.opt.ConcurrentWrites {
		m.wmu.Lock()
		defer m.wmu.Unlock()
	}
	f()
}

func prod(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

// Stack collates crops of equal shape into one new C-order array with a
// leading batch axis, for functions (such as a network) that want one
// tensor per batch. It panics if the shapes differ (a programming error:
// the crops of one plan all have its CropShape); [StackAny] returns an
// error instead.
func Stack[T nd.Element](crops []*nd.Array[T]) *nd.Array[T] {
	if len(crops) == 0 {
		return nd.New[T]([]int{0}, nd.C)
	}
	shape := crops[0].Shape()
	out := nd.New[T](append([]int{len(crops)}, shape...), nd.C)
	for i, c := range crops {
		b := out.Bounds()
		b.Min[0], b.Max[0] = i, i+1
		v, _ := out.Sub(b).Reshape(shape, nd.C)
		nd.Copy(v, c)
	}
	return out
}

// Unstack splits the leading batch axis of a into views, the inverse of
// [Stack]. The parts of a C-contiguous a are C-contiguous arrays whose
// Data is exactly their own elements. It panics if a has rank 0.
func Unstack[T nd.Element](a *nd.Array[T]) []*nd.Array[T] {
	shape := a.Shape()
	out := make([]*nd.Array[T], shape[0])
	if a.IsContiguous(nd.C) {
		per := prod(shape[1:])
		data := a.Data()[a.Offset():]
		for i := range out {
			out[i] = nd.FromSlice(data[i*per:(i+1)*per:(i+1)*per], shape[1:], nd.C)
		}
		return out
	}
	for i := range out {
		b := a.Bounds()
		b.Min[0], b.Max[0] = i, i+1
		v := a.Sub(b)
		w, err := nd.FromStrided(v.Data(), shape[1:], v.Strides()[1:], v.Offset())
		if err != nil {
			panic(err) // cannot happen: a view of a valid array
		}
		out[i] = w
	}
	return out
}

// StackAny is [Stack] for arrays of a runtime dtype: they must all have
// the dtype and shape of the first, and there must be at least one.
func StackAny(arrays []nd.Any) (nd.Any, error) {
	if len(arrays) == 0 {
		return nil, fmt.Errorf("tile: stacking no arrays")
	}
	return stackAny(arrays[0], arrays)
}

// stackOf stacks arrays, whose first is first, as arrays of T.
func stackOf[T nd.Element](first *nd.Array[T], arrays []nd.Any) (*nd.Array[T], error) {
	typed := make([]*nd.Array[T], len(arrays))
	for i, a := range arrays {
		x, ok := a.(*nd.Array[T])
		if !ok {
			return nil, fmt.Errorf("tile: stacking a %v array onto %v arrays", a.DType(), first.DType())
		}
		if !slices.Equal(x.Shape(), first.Shape()) {
			return nil, fmt.Errorf("tile: stacking shape %v onto %v", x.Shape(), first.Shape())
		}
		typed[i] = x
	}
	return Stack(typed), nil
}

// UnstackAny is [Unstack] for an array of a runtime dtype, with an error
// for rank 0.
func UnstackAny(a nd.Any) ([]nd.Any, error) {
	if a.Rank() == 0 {
		return nil, fmt.Errorf("tile: cannot unstack a 0-d array")
	}
	return unstackAny(a)
}

// unstackOf is Unstack with the parts as nd.Any.
func unstackOf[T nd.Element](a *nd.Array[T]) ([]nd.Any, error) {
	parts := Unstack(a)
	out := make([]nd.Any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

// stackAny is stackOf for a first array of any dtype.
//
//nd:dispatch stackAny = stackOf(first)

// unstackAny is unstackOf for an array of any dtype.
//
//nd:dispatch unstackAny = unstackOf(a)
