package stitch

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// Stats describe a finished stitch.
type Stats struct {
	// Objects is the number of objects, the largest ID of the output.
	Objects uint64
	// Provisional is the number of tile-local labels with a voxel in a
	// Dest box (kept objects with Own), FaceLabels the number of labels in
	// the boxes neighbours share (what the union-find holds), Joins the
	// unions that merged two sets.
	Provisional, FaceLabels, Joins int64
	// DType is the output dtype.
	DType nd.DType
}

// Map stitches the instance labels fn returns for every tile of p (crops
// read from src) into one label image of p.OutShape(), held in memory:
// objects numbered 1..N, background 0. It is the reference for the out-of-
// core path and holds the records of every tile (4 bytes per output voxel
// plus the shared boxes) until the end.
func Map(ctx context.Context, p *tile.Plan, src nd.Reader, fn tile.AnyFunc, opt Options) (nd.Any, Stats, error) {
	var out nd.Any
	st, err := run(ctx, p, src, fn, opt, func(dt nd.DType) (nd.Writer, error) {
		a, err := nd.NewAnyChecked(dt, p.OutShape(), nd.C)
		if err != nil {
			return nil, err
		}
		out = a
		return a.(nd.Writer), nil
	})
	if err != nil {
		return nil, st, err
	}
	return out, st, nil
}

// MapTo is [Map] writing into dst (p.OutShape(), an integer dtype that
// holds the number of objects) one Dest box at a time.
func MapTo(ctx context.Context, p *tile.Plan, src nd.Reader, dst nd.Writer, fn tile.AnyFunc, opt Options) (Stats, error) {
	if !slices.Equal(dst.Shape(), p.OutShape()) {
		return Stats{}, fmt.Errorf("stitch: destination shape %v, the plan's output is %v", dst.Shape(), p.OutShape())
	}
	opt.DType = dst.DType()
	return run(ctx, p, src, fn, opt, func(nd.DType) (nd.Writer, error) { return dst, nil })
}

func run(ctx context.Context, p *tile.Plan, src nd.Reader, fn tile.AnyFunc, opt Options, dst func(nd.DType) (nd.Writer, error)) (Stats, error) {
	if err := opt.check(); err != nil {
		return Stats{}, err
	}
	if !slices.Equal(src.Shape(), p.Shape()) {
		return Stats{}, fmt.Errorf("stitch: source shape %v, the plan's is %v", src.Shape(), p.Shape())
	}
	g, err := newGeom(p, opt.Rule)
	if err != nil {
		return Stats{}, err
	}
	recs := make(memRecords, p.Len())
	err = g.eachResult(ctx, src, fn, opt, func(i int, y nd.Any) error {
		r, err := g.makeRecord(i, y)
		recs[i] = r
		return err
	})
	if err != nil {
		return Stats{}, err
	}
	sol, err := g.solve(ctx, recs, opt.IoU, 0)
	if err != nil {
		return Stats{}, err
	}
	st := sol.stats()
	if st.DType, err = opt.outDType(sol.objects); err != nil {
		return st, err
	}
	w, err := dst(st.DType)
	if err != nil {
		return st, fmt.Errorf("stitch: output of %v: %w", p.OutShape(), err)
	}
	for i := range p.Len() {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		b := g.boxes(i).dest
		y, err := g.relabel(ctx, recs, sol, i, st.DType)
		if err != nil {
			return st, err
		}
		if err := w.WriteRegion(b, y); err != nil {
			return st, fmt.Errorf("stitch: writing tile %d's box %v: %w", i, b, err)
		}
	}
	return st, nil
}

func (s *solution) stats() Stats {
	st := Stats{Objects: s.objects, Joins: s.joins}
	for i, k := range s.k {
		st.Provisional += int64(k)
		if s.faces != nil {
			st.FaceLabels += int64(len(s.faces[i]))
		}
	}
	return st
}

// memRecords is the in-memory source of the solver.
type memRecords []*record

func (m memRecords) load(_ context.Context, i int) (*record, error) { return m[i], nil }
func (m memRecords) done(int)                                       {}

// destSource gives relabel a tile's Dest labels.
type destSource interface {
	source
	dest(ctx context.Context, i int) ([]uint32, error)
}

func (m memRecords) dest(_ context.Context, i int) ([]uint32, error) { return m[i].dest, nil }

// relabel returns tile i's Dest box of the output: its labels through the
// solution's table; with Own, the background left is filled from the
// objects that neighbours keep and that spill into the box, in plan order.
func (g *geom) relabel(ctx context.Context, src destSource, s *solution, i int, dt nd.DType) (nd.Any, error) {
	v, err := src.dest(ctx, i)
	if err != nil {
		return nil, err
	}
	b := g.boxes(i).dest
	ids := make([]uint64, len(v))
	m := s.table(i)
	for p, l := range v {
		if int(l) >= len(m) {
			return nil, fmt.Errorf("stitch: tile %d: stored label %d, the solution knows %d", i, l, len(m)-1)
		}
		ids[p] = m[l]
	}
	if g.rule == Own {
		for _, j := range g.nbrs[i] {
			r, err := src.load(ctx, j)
			if err != nil {
				return nil, err
			}
			w := r.shared[slices.Index(g.nbrs[j], i)]
			sb := g.shared(j, i)
			mj := s.table(j)
			if r.n != s.k[j] {
				return nil, fmt.Errorf("stitch: tile %d: its record keeps %d objects, the solution %d", j, r.n, s.k[j])
			}
			q := 0
			rows(b.Shape(), sb.Translate(neg(b.Min)), func(off, n int) {
				for p := off; p < off+n; p++ {
					if ids[p] == 0 && w[q] != 0 {
						ids[p] = mj[w[q]]
					}
					q++
				}
			})
		}
	}
	out := nd.NewAny(dt, b.Shape(), nd.C)
	if err := nd.ConvertAny(out, nd.FromSlice(ids, b.Shape(), nd.C)); err != nil {
		return nil, err
	}
	return out, nil
}

// eachResult runs fn on every tile (batches of opt.BatchSize on
// opt.Workers goroutines) and calls emit with each result, possibly
// concurrently.
func (g *geom) eachResult(ctx context.Context, src nd.Reader, fn tile.AnyFunc, opt Options, emit func(int, nd.Any) error) error {
	p := g.p
	bs := max(opt.BatchSize, 1)
	workers := opt.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	nb := (p.Len() + bs - 1) / bs
	workers = min(workers, nb)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	border, value := p.Border()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				b := int(next.Add(1) - 1)
				if b >= nb {
					return
				}
				if err := g.batch(ctx, src, fn, b*bs, min((b+1)*bs, p.Len()), border, value, emit); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return context.Cause(ctx)
}

func (g *geom) batch(ctx context.Context, src nd.Reader, fn tile.AnyFunc, lo, hi int, border tile.Border, value float64, emit func(int, nd.Any) error) error {
	p := g.p
	var ts []tile.Tile
	var crops []nd.Any
	for i := lo; i < hi; i++ {
		t := p.Tile(i)
		c := nd.NewAny(src.DType(), p.CropShape(), nd.C)
		if err := tile.ReadCropAny(src, t.Crop, border, value, c); err != nil {
			return fmt.Errorf("stitch: tile %d: reading crop %v: %w", i, t.Crop, err)
		}
		ts, crops = append(ts, t), append(crops, c)
	}
	res, err := fn(ctx, ts, crops)
	if err != nil {
		return fmt.Errorf("stitch: tiles %d..%d: %w", lo, hi-1, err)
	}
	if len(res) != len(ts) {
		return fmt.Errorf("stitch: tiles %d..%d: the function returned %d results for %d crops", lo, hi-1, len(res), len(ts))
	}
	for k, y := range res {
		if y == nil || !slices.Equal(y.Shape(), p.OutCropShape()) {
			return fmt.Errorf("stitch: tile %d: the function returned %v, want shape %v", lo+k, shapeOf(y), p.OutCropShape())
		}
		if err := emit(lo+k, y); err != nil {
			return err
		}
	}
	return nil
}

func shapeOf(y nd.Any) any {
	if y == nil {
		return "nothing"
	}
	return y.Shape()
}
