package child

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// Batcher gathers crops submitted one at a time from many goroutines into
// batches for a [Process]. A batch goes out when it holds Size crops, or
// Wait after its first crop arrived, whichever comes first, so the last
// crops of a run are never stuck waiting for company.
type Batcher struct {
	p     *Process
	ctx   context.Context
	size  int
	wait  time.Duration
	out   nd.DType
	halo  []int
	shape []int
	res   []int // result shape of one crop; nil: the crop's shape

	mu    sync.Mutex
	pend  []*item
	timer *time.Timer
	gen   int // batch generation, so a stale timer does not flush a new batch
}

type item struct {
	crop   nd.Any
	origin []int
	res    chan result
}

// NewBatcher returns a Batcher sending batches of up to size crops, whose
// results have dtype out. halo and shape are passed to the child in every
// request header. ctx bounds every request.
func NewBatcher(ctx context.Context, p *Process, size int, wait time.Duration, out nd.DType, halo, shape []int) *Batcher {
	return &Batcher{p: p, ctx: ctx, size: max(size, 1), wait: wait, out: out, halo: slices.Clone(halo), shape: slices.Clone(shape)}
}

// SetResultShape declares that the child returns, for each crop, an array
// of shape s instead of the crop's shape (a model that changes the number
// of channels or the resolution). It must be called before the first Do.
func (b *Batcher) SetResultShape(s []int) {
	b.mu.Lock()
	b.res = slices.Clone(s)
	b.mu.Unlock()
}

// Do submits one crop, whose first voxel is at origin in image
// coordinates, and returns the child's result for it. Every crop of a
// Batcher must have the same shape and dtype.
func (b *Batcher) Do(ctx context.Context, crop nd.Any, origin []int) (nd.Any, error) {
	it := &item{crop: crop, origin: slices.Clone(origin), res: make(chan result, 1)}
	b.mu.Lock()
	b.pend = append(b.pend, it)
	if len(b.pend) >= b.size {
		batch := b.take()
		b.mu.Unlock()
		go b.send(batch)
	} else {
		if len(b.pend) == 1 {
			gen := b.gen
			b.timer = time.AfterFunc(b.wait, func() { b.flush(gen) })
		}
		b.mu.Unlock()
	}
	select {
	case r := <-it.res:
		return r.a, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// take removes the pending batch; b.mu must be held.
func (b *Batcher) take() []*item {
	batch := b.pend
	b.pend = nil
	b.gen++
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	return batch
}

func (b *Batcher) flush(gen int) {
	b.mu.Lock()
	if gen != b.gen || len(b.pend) == 0 {
		b.mu.Unlock()
		return
	}
	batch := b.take()
	b.mu.Unlock()
	b.send(batch)
}

func (b *Batcher) send(batch []*item) {
	fail := func(err error) {
		for _, it := range batch {
			it.res <- result{err: err}
		}
	}
	crops := make([]nd.Any, len(batch))
	for i, it := range batch {
		crops[i] = it.crop
	}
	stacked, err := tile.StackAny(crops)
	if err != nil {
		fail(err)
		return
	}
	req := Request{Halo: b.halo, Shape: b.shape}
	for _, it := range batch {
		req.Batch = append(req.Batch, it.origin)
	}
	want := stacked.Shape()
	b.mu.Lock()
	rs := b.res
	b.mu.Unlock()
	if rs != nil {
		want = append([]int{len(batch)}, rs...)
	}
	res, err := b.p.CallShape(b.ctx, req, stacked, b.out, want)
	if err != nil {
		fail(err)
		return
	}
	parts, err := tile.UnstackAny(res)
	if err != nil {
		fail(err)
		return
	}
	for i, it := range batch {
		it.res <- result{a: parts[i]}
	}
}
