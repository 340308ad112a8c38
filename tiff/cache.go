package tiff

import (
	"container/list"
	"sync"
)

// DefaultCacheBytes is the size of the cache of decoded compressed blocks
// that File.Stack gives each Stack.
const DefaultCacheBytes = 64 << 20

// blockCache keeps the most recently used decoded blocks, up to max bytes,
// so that region reads that do not align with the tiles decode each tile
// once rather than once per region. Cached data is never modified.
type blockCache struct {
	mu        sync.Mutex
	max, used int64
	order     *list.List // front: most recently used
	items     map[[2]int]*list.Element
}

type cached struct {
	key  [2]int // page, block
	data []byte
	blk  Block
}

func newBlockCache(max int64) *blockCache {
	if max <= 0 {
		return nil
	}
	return &blockCache{max: max, order: list.New(), items: map[[2]int]*list.Element{}}
}

// lookup returns page p's (page z) block i if cached; uncompressed
// blocks are never cached.
func (c *blockCache) lookup(p *Page, z, i int) (*cached, bool) {
	if c == nil || p.Compression == CompressionNone {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[[2]int{z, i}]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached), true
}

func (c *blockCache) put(b *cached) {
	n := int64(len(b.data))
	if n > c.max/4 {
		return // too large to be worth holding
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[b.key]; ok {
		return
	}
	c.items[b.key] = c.order.PushFront(b)
	c.used += n
	for c.used > c.max {
		e := c.order.Back()
		old := e.Value.(*cached)
		c.order.Remove(e)
		delete(c.items, old.key)
		c.used -= int64(len(old.data))
	}
}
