package tile

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/ryomen-dev/ryomen/nd"
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

// Progress is a snapshot of a running [Map].
type Progress struct {
	Done, Total  int   // tiles
	BytesRead    int64 // crop bytes read, padding included
	BytesWritten int64 // output bytes written
}

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
	// Progress, if set, is called after every batch, from one goroutine
	// at a time.
	Progress func(Progress)
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
	if src.DType() != nd.DTypeOf[T]() || !slices.Equal(src.Shape(), p.shape) {
		return fmt.Errorf("tile: source is %v %v, plan wants %v %v", src.DType(), src.Shape(), nd.DTypeOf[T](), p.shape)
	}
	if dst.DType() != nd.DTypeOf[U]() || !slices.Equal(dst.Shape(), p.OutShape()) {
		return fmt.Errorf("tile: destination is %v %v, plan wants %v %v", dst.DType(), dst.Shape(), nd.DTypeOf[U](), p.OutShape())
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers > MaxWorkers {
		return fmt.Errorf("tile: Options.Workers = %d exceeds MaxWorkers (%d)", workers, MaxWorkers)
	}
	// Batches never hold more than the plan's tiles, whatever BatchSize
	// says: the batch slices are sized by bs.
	bs := max(min(opt.BatchSize, p.len), 1)
	if opt.Merge > BlendGaussian {
		return fmt.Errorf("tile: invalid merge mode %d", opt.Merge)
	}
	sigma := opt.Sigma
	if sigma == 0 {
		sigma = 0.125
	}
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return fmt.Errorf("tile: Options.Sigma = %v must be positive and finite", sigma)
	}
	var bl *blender[U]
	if opt.Merge != Paste && p.len > 0 {
		bl = newBlender[U](p, dst, opt.Merge, sigma)
	}
	nb := 0 // batches
	if p.len > 0 {
		nb = (p.len-1)/bs + 1
	}
	workers = min(workers, max(nb, 1))
	cropShape, outShape := p.CropShape(), p.OutCropShape()
	cb, err := nd.CheckedBytes(cropShape, nd.DTypeOf[T]().Size())
	if err != nil {
		return fmt.Errorf("tile: crop buffers: %w", err)
	}
	cropBytes := int64(cb)
	usize := int64(nd.DTypeOf[U]().Size())

	var (
		mu    sync.Mutex // guards prog
		wmu   sync.Mutex
		prog  = Progress{Total: p.len}
		jobs  = make(chan int)
		g, gc = errgroup.WithContext(ctx)
	)
	g.Go(func() error {
		defer close(jobs)
		for i := 0; i < nb; i++ {
			select {
			case jobs <- i:
			case <-gc.Done():
				return nil
			}
		}
		return nil
	})
	// In-memory source and destination get sweep copies (and views).
	mem, _ := src.(*nd.Array[T])
	memDst, _ := dst.(*nd.Array[U])
	flushWrites := func(w []sweepPair[U]) {
		if len(w) == 0 {
			return
		}
		if !opt.ConcurrentWrites {
			wmu.Lock()
			defer wmu.Unlock()
		}
		sweepCopy(w)
	}
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			var (
				reads  []sweepPair[T]
				pads   []int // batch entries padded after the sweep
				writes []sweepPair[U]
			)
			var crops []*nd.Array[T] // grown on first use
			for bi := range jobs {
				if err := gc.Err(); err != nil {
					return err
				}
				lo, hi := bi*bs, min((bi+1)*bs, p.len)
				b := Batch[T]{Tiles: make([]Tile, hi-lo), Crops: make([]*nd.Array[T], hi-lo)}
				for i := range b.Tiles {
					t := p.Tile(lo + i)
					b.Tiles[i] = t
					inside := mem != nil && mem.Bounds().Contains(t.Crop)
					if inside && opt.Views {
						b.Crops[i] = mem.Sub(t.Crop)
						continue
					}
					for len(crops) <= i {
						crops = append(crops, nil)
					}
					if crops[i] == nil {
						c, err := nd.NewChecked[T](cropShape, nd.C)
						if err != nil {
							return fmt.Errorf("tile %d: crop buffer: %w", t.Index, err)
						}
						crops[i] = c
					}
					b.Crops[i] = crops[i]
					inner, ok := t.Crop, inside
					if mem != nil && !inside && p.border != None {
						inner, ok = inPlaceInner(p.shape, t.Crop, p.border)
						if ok {
							pads = append(pads, i)
						}
					}
					if ok {
						// Copied below in one sweep with its row-mates.
						if len(reads) > 0 && !sameRows(reads[len(reads)-1].sb, inner) {
							sweepCopy(reads)
							reads = reads[:0]
						}
						reads = append(reads, sweepPair[T]{dst: b.Crops[i], src: mem, db: inner.Translate(neg(t.Crop.Min)), sb: inner})
						continue
					}
					if err := ReadCrop(src, t.Crop, p.border, p.value, b.Crops[i]); err != nil {
						return fmt.Errorf("tile %d: reading crop %v: %w", t.Index, t.Crop, err)
					}
				}
				sweepCopy(reads)
				reads = reads[:0]
				for _, i := range pads {
					t := b.Tiles[i]
					inner := t.Crop.Intersect(mem.Bounds())
					padInPlace(b.Crops[i], p.shape, t.Crop, inner, p.border, p.value)
				}
				pads = pads[:0]
				res, err := fn(gc, b)
				if err != nil {
					return fmt.Errorf("tiles %d..%d: %w", lo, hi-1, err)
				}
				if len(res) != len(b.Tiles) {
					return fmt.Errorf("tiles %d..%d: function returned %d results for %d crops", lo, hi-1, len(res), len(b.Tiles))
				}
				var written int64
				for i, y := range res {
					t := b.Tiles[i]
					if y == nil || !slices.Equal(y.Shape(), outShape) {
						var got []int
						if y != nil {
							got = y.Shape()
						}
						return fmt.Errorf("tile %d: function returned shape %v, want %v", t.Index, got, outShape)
					}
					if bl != nil {
						if err := bl.add(t, y); err != nil {
							return err
						}
						continue
					}
					written += int64(prod(t.Dest.Shape())) * usize
					if memDst != nil {
						if len(writes) > 0 && !sameRows(writes[len(writes)-1].db, t.Dest) {
							flushWrites(writes)
							writes = writes[:0]
						}
						writes = append(writes, sweepPair[U]{dst: memDst, src: y, db: t.Dest, sb: t.Source})
						continue
					}
					if !opt.ConcurrentWrites {
						wmu.Lock()
					}
					err := dst.WriteRegion(t.Dest, y.Sub(t.Source))
					if !opt.ConcurrentWrites {
						wmu.Unlock()
					}
					if err != nil {
						return fmt.Errorf("tile %d: writing %v: %w", t.Index, t.Dest, err)
					}
				}
				flushWrites(writes)
				writes = writes[:0]
				mu.Lock()
				prog.Done += len(b.Tiles)
				prog.BytesRead += cropBytes * int64(len(b.Tiles))
				if bl != nil {
					prog.BytesWritten = bl.bytesWritten()
				} else {
					prog.BytesWritten += written
				}
				if opt.Progress != nil {
					opt.Progress(prog)
				}
				mu.Unlock()
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
	if bl != nil {
		return bl.checkAllFlushed()
	}
	return nil
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
// the crops of one plan all have its CropShape).
func Stack[T nd.Number](crops []*nd.Array[T]) *nd.Array[T] {
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
// [Stack]. It panics if a has rank 0.
func Unstack[T nd.Number](a *nd.Array[T]) []*nd.Array[T] {
	shape := a.Shape()
	out := make([]*nd.Array[T], shape[0])
	for i := range out {
		b := a.Bounds()
		b.Min[0], b.Max[0] = i, i+1
		v := a.Sub(b)
		st := v.Strides()[1:]
		w, err := nd.FromStrided(v.Data(), shape[1:], st, v.Offset())
		if err != nil {
			panic(err) // cannot happen: a view of a valid array
		}
		out[i] = w
	}
	return out
}
