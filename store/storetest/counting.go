package storetest

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/ryomen-dev/ryomen/store"
)

// Counting wraps a store and counts what is asked of it: reads (Get,
// GetRange, GetSuffix) per key, puts, deletes and listings, and the
// longest listing returned. Tests use it to bound requests: chunks read
// once, shard indexes read once, markers listed a bucket at a time.
type Counting struct {
	store.Store
	Puts, Deletes, Lists atomic.Int64
	// MaxList is the most keys one List returned.
	MaxList atomic.Int64

	mu    sync.Mutex
	reads map[string]int
}

// NewCounting returns a counting wrapper of s.
func NewCounting(s store.Store) *Counting { return &Counting{Store: s, reads: map[string]int{}} }

func (c *Counting) read(key string) {
	c.mu.Lock()
	c.reads[key]++
	c.mu.Unlock()
}

// Reads returns the number of reads of key so far.
func (c *Counting) Reads(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads[key]
}

// ReadCounts returns a copy of the reads per key.
func (c *Counting) ReadCounts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.reads)
}

// Reset forgets the reads counted so far.
func (c *Counting) Reset() {
	c.mu.Lock()
	c.reads = map[string]int{}
	c.mu.Unlock()
}

// Get counts a read of key.
func (c *Counting) Get(ctx context.Context, key string) ([]byte, error) {
	c.read(key)
	return c.Store.Get(ctx, key)
}

// GetRange counts a read of key.
func (c *Counting) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	c.read(key)
	return c.Store.GetRange(ctx, key, off, n)
}

// GetSuffix counts a read of key.
func (c *Counting) GetSuffix(ctx context.Context, key string, n int64) ([]byte, error) {
	c.read(key)
	return c.Store.GetSuffix(ctx, key, n)
}

// Put counts a put.
func (c *Counting) Put(ctx context.Context, key string, v []byte) error {
	c.Puts.Add(1)
	return c.Store.Put(ctx, key, v)
}

// Delete counts a delete.
func (c *Counting) Delete(ctx context.Context, key string) error {
	c.Deletes.Add(1)
	return c.Store.Delete(ctx, key)
}

// List counts a listing and keeps the longest.
func (c *Counting) List(ctx context.Context, prefix string) ([]string, error) {
	keys, err := c.Store.List(ctx, prefix)
	c.Lists.Add(1)
	for n := int64(len(keys)); ; {
		old := c.MaxList.Load()
		if n <= old || c.MaxList.CompareAndSwap(old, n) {
			break
		}
	}
	return keys, err
}
