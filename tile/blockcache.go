package tile

import (
	"fmt"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// CachedReader reads an image through a cache of its blocks: regions
// are assembled from whole blocks of a fixed shape (best the storage's
// chunk shape, so that each stored chunk is fetched and decoded once
// while its block stays cached), at most limit bytes of them kept, least
// recently used first out. Overlapping crops then share their reads. It
// is safe for concurrent use; concurrent readers of one block wait for a
// single read.
type CachedReader struct {
	src   nd.Reader
	block []int
	grid  []int // blocks per axis
	cache *resultCache
}

// NewCachedReader returns a reader of src through a cache of limit bytes
// of blocks of shape block (one entry per axis, each > 0).
func NewCachedReader(src nd.Reader, block []int, limit int64) (*CachedReader, error) {
	shape := src.Shape()
	if len(block) != len(shape) {
		return nil, fmt.Errorf("tile: cache block %v for an image of rank %d", block, len(shape))
	}
	c := &CachedReader{src: src, block: slices.Clone(block), grid: make([]int, len(shape)), cache: newResultCache(limit)}
	for d, b := range block {
		if b <= 0 {
			return nil, fmt.Errorf("tile: cache block %v: entry %d must be > 0", block, d)
		}
		c.grid[d] = (shape[d] + b - 1) / b
	}
	return c, nil
}

// DType returns the source's dtype.
func (c *CachedReader) DType() nd.DType { return c.src.DType() }

// Shape returns the source's shape.
func (c *CachedReader) Shape() []int { return c.src.Shape() }

// ReadRegion copies box b of the image into dst, from cached blocks.
func (c *CachedReader) ReadRegion(b nd.Box, dst nd.Any) error {
	if err := nd.CheckRegion(c.src.Shape(), b, dst, c.src.DType()); err != nil {
		return err
	}
	if b.Empty() {
		return nil
	}
	r := b.Rank()
	lo, hi := make([]int, r), make([]int, r)
	for d := range r {
		lo[d], hi[d] = b.Min[d]/c.block[d], (b.Max[d]-1)/c.block[d]+1
	}
	g := slices.Clone(lo)
	shape := c.src.Shape()
	for {
		key := 0
		bb := nd.Box{Min: make([]int, r), Max: make([]int, r)}
		for d := range r {
			key = key*c.grid[d] + g[d]
			bb.Min[d] = g[d] * c.block[d]
			bb.Max[d] = min(bb.Min[d]+c.block[d], shape[d])
		}
		e, owner := c.cache.claim(key)
		if owner {
			blk := nd.NewAny(c.src.DType(), bb.Shape(), nd.C)
			if err := c.src.ReadRegion(bb, blk); err != nil {
				c.cache.fail(e, err)
				return err
			}
			c.cache.fill(e, blk)
		}
		<-e.done
		if e.err != nil {
			c.cache.release([]*cacheEntry{e}, []bool{false})
			return e.err
		}
		in := bb.Intersect(b)
		err := nd.CopyAny(dst.View(in.Translate(neg(b.Min))), e.y.View(in.Translate(neg(bb.Min))))
		c.cache.release([]*cacheEntry{e}, []bool{true})
		if err != nil {
			return err
		}
		d := r - 1
		for ; d >= 0; d-- {
			g[d]++
			if g[d] < hi[d] {
				break
			}
			g[d] = lo[d]
		}
		if d < 0 {
			return nil
		}
	}
}
