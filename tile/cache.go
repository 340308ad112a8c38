package tile

import (
	"container/list"
	"context"
	"sync"

	"github.com/ryomen-dev/ryomen/nd"
)

// resultCache holds function results by tile index, at most limit bytes
// of finished results not in use, evicting the least recently used. A
// result is computed by the one caller that claims it first; the others
// wait for it. A nil *resultCache caches nothing.
type resultCache struct {
	mu    sync.Mutex
	limit int64
	bytes int64
	m     map[int]*cacheEntry
	lru   *list.List   // of *cacheEntry, finished and unused, oldest first
	drop  func(nd.Any) // if set, given each result that leaves the cache
}

type cacheEntry struct {
	idx   int
	done  chan struct{}
	y     nd.Any
	err   error
	refs  int           // callers between claim and release
	elem  *list.Element // in lru while refs == 0
	bytes int64
}

func newResultCache(limit int64) *resultCache {
	return &resultCache{limit: limit, m: make(map[int]*cacheEntry), lru: list.New()}
}

// claim returns the entry of tile i and whether the caller must compute
// it (then it must call fill or fail).
func (c *resultCache) claim(i int) (*cacheEntry, bool) {
	if c == nil {
		return &cacheEntry{idx: i, done: make(chan struct{})}, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[i]; ok {
		if e.elem != nil {
			c.lru.Remove(e.elem)
			e.elem = nil
			c.bytes -= e.bytes
		}
		e.refs++
		return e, false
	}
	e := &cacheEntry{idx: i, done: make(chan struct{}), refs: 1}
	c.m[i] = e
	return e, true
}

// fill publishes the result of a claimed entry.
func (c *resultCache) fill(e *cacheEntry, y nd.Any) {
	e.y = y
	e.bytes = int64(y.Len() * y.DType().Size())
	close(e.done)
}

// fail publishes an error for a claimed entry and forgets it, so that a
// later claim computes it again.
func (c *resultCache) fail(e *cacheEntry, err error) {
	select {
	case <-e.done:
		return // filled before the failure of a batch-mate
	default:
	}
	e.err = err
	close(e.done)
	if c != nil {
		c.mu.Lock()
		if c.m[e.idx] == e {
			delete(c.m, e.idx)
		}
		c.mu.Unlock()
	}
}

// wait returns the entry's result once it is computed.
func (e *cacheEntry) wait(ctx context.Context) (nd.Any, error) {
	select {
	case <-e.done:
		return e.y, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release ends the caller's use of the entries; unused finished results
// stay cached while they fit the limit, if keep says another caller may
// want them.
func (c *resultCache) release(es []*cacheEntry, keep []bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range es {
		e.refs--
		if e.refs > 0 || c.m[e.idx] != e {
			continue
		}
		if e.err != nil || e.bytes > c.limit || !keep[i] {
			delete(c.m, e.idx)
			c.dropped(e)
			continue
		}
		e.elem = c.lru.PushBack(e)
		c.bytes += e.bytes
	}
	for c.bytes > c.limit {
		old := c.lru.Remove(c.lru.Front()).(*cacheEntry)
		old.elem = nil
		c.bytes -= old.bytes
		delete(c.m, old.idx)
		c.dropped(old)
	}
}

// dropped hands the result of an entry that left the cache to drop.
func (c *resultCache) dropped(e *cacheEntry) {
	if c.drop != nil && e.y != nil {
		c.drop(e.y)
	}
}
