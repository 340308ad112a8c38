package stitch

import (
	"context"
	"fmt"
	"path"
	"sync"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// Labels reads the stitched labels of a [Job] whose phases are done. It
// is an nd.Reader of the plan's output shape, safe for concurrent use:
// ReadRegion relabels the stored Dest labels of the tiles that meet the
// box (with Own, adding the objects neighbours keep), keeping up to a
// byte budget of relabelled tiles for the boxes that follow.
type Labels struct {
	j     *Job
	ctx   context.Context // for ReadRegion; nil: each read's own
	sol   *solution       // nil until loaded (lazy readers)
	dt    nd.DType
	src   *storeRecords
	limit int64

	load  sync.Mutex // held while the solution loads
	mu    sync.Mutex
	tiles map[int]nd.Any
	order []int // cached tiles, oldest first
	bytes int64
}

// Labels loads the solution and returns the reader of the stitched
// labels; ctx bounds its store reads. cacheBytes bounds the relabelled
// tiles it keeps (0: none kept).
func (j *Job) Labels(ctx context.Context, cacheBytes int64) (*Labels, error) {
	s, err := j.loadSolution(ctx)
	if err != nil {
		return nil, err
	}
	dt, err := j.opt.outDType(s.objects)
	if err != nil {
		return nil, err
	}
	l := j.lazyLabels(cacheBytes)
	l.ctx, l.sol, l.dt = ctx, s, dt
	return l, nil
}

// lazyLabels returns a reader of dtype opt.DType that loads the solution
// at its first read, for a source handed to the engine before the phases
// that compute the solution have run.
func (j *Job) lazyLabels(cacheBytes int64) *Labels {
	return &Labels{j: j, dt: j.opt.DType, limit: cacheBytes, tiles: map[int]nd.Any{}, src: &storeRecords{j: j, nocache: true}}
}

func (j *Job) loadSolution(ctx context.Context) (*solution, error) {
	key := path.Join(j.prefix, "solution")
	var faces int64 // the solution holds at most 12 bytes per shared voxel
	for i := range j.g.p.Len() {
		faces += int64(j.sharedLimit(i))
	}
	b, err := j.get(ctx, key, int(min(3*faces+24*int64(j.g.p.Len())+64, 1<<40)))
	if err != nil {
		return nil, fmt.Errorf("stitch: the solution (has the solve phase run?): %w", err)
	}
	s, err := decodeSolution(b, j.g.rule, j.g.p.Len(), func(i int) int { n, _ := j.g.boxes(i).dest.Size(); return n })
	if err != nil {
		return nil, fmt.Errorf("stitch: %s: %w", key, err)
	}
	return s, nil
}

// solution returns the solution, loading it the first time.
func (l *Labels) solution(ctx context.Context) (*solution, error) {
	l.load.Lock()
	defer l.load.Unlock()
	if l.sol == nil {
		s, err := l.j.loadSolution(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := l.j.opt.outDType(s.objects); err != nil {
			return nil, err
		}
		l.sol = s
	}
	return l.sol, nil
}

// readBytes is the memory one read holds besides its destination: one
// tile's Dest labels, IDs and result, and with Own a neighbour's record.
func (l *Labels) readBytes() int64 {
	var most int64
	for i := range l.j.g.p.Len() {
		n, _ := l.j.g.boxes(i).dest.Size()
		most = max(most, int64(n))
	}
	per := int64(4 + 8 + l.dt.Size())
	if l.j.g.rule == Own {
		per += 4 * 2 // a neighbour's shared boxes, about a Dest's worth
	}
	return most*per + l.limit
}

// DType returns the output dtype.
func (l *Labels) DType() nd.DType { return l.dt }

// Shape returns the plan's output shape.
func (l *Labels) Shape() []int { return l.j.g.p.OutShape() }

// Stats returns the solution's counts (zero before the first read of a
// reader that loads its solution lazily).
func (l *Labels) Stats() Stats {
	l.load.Lock()
	defer l.load.Unlock()
	if l.sol == nil {
		return Stats{DType: l.dt}
	}
	st := l.sol.stats()
	st.DType = l.dt
	return st
}

// ReadRegion fills dst (the shape of b, the output dtype) with box b of
// the stitched labels.
func (l *Labels) ReadRegion(b nd.Box, dst nd.Any) error {
	ctx := l.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	return l.ReadRegionContext(ctx, b, dst)
}

// ReadRegionContext is ReadRegion with ctx bounding the store reads.
func (l *Labels) ReadRegionContext(ctx context.Context, b nd.Box, dst nd.Any) error {
	if err := nd.CheckRegion(l.Shape(), b, dst, l.dt); err != nil {
		return err
	}
	s, err := l.solution(ctx)
	if err != nil {
		return err
	}
	g := l.j.g
	for _, i := range g.p.TilesFor(b, tile.Paste) {
		y, err := l.tile(ctx, s, i)
		if err != nil {
			return err
		}
		d := g.boxes(i).dest
		in := d.Intersect(b)
		if in.Empty() {
			continue
		}
		if err := nd.CopyAny(dst.View(in.Translate(neg(b.Min))), y.View(in.Translate(neg(d.Min)))); err != nil {
			return err
		}
	}
	return nil
}

// tile returns tile i's relabelled Dest box, from the cache if it is there.
func (l *Labels) tile(ctx context.Context, s *solution, i int) (nd.Any, error) {
	l.mu.Lock()
	y, ok := l.tiles[i]
	l.mu.Unlock()
	if ok {
		return y, nil
	}
	y, err := l.j.g.relabel(ctx, l.src, s, i, l.dt)
	if err != nil {
		return nil, err
	}
	n := int64(y.Len() * l.dt.Size())
	if n > l.limit {
		return y, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.tiles[i]; ok {
		return y, nil
	}
	for l.bytes+n > l.limit && len(l.order) > 0 {
		old := l.order[0]
		l.order = l.order[1:]
		l.bytes -= int64(l.tiles[old].Len() * l.dt.Size())
		delete(l.tiles, old)
	}
	l.tiles[i] = y
	l.order = append(l.order, i)
	l.bytes += n
	return y, nil
}
