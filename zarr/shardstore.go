package zarr

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/store"
)

// DefaultIndexCacheBytes is the default bound of an array's shard index
// cache (Options.IndexCacheBytes): 8 MiB holds the indexes of 2048 shards
// of 16^3 inner chunks, or 32768 shards of 4^3.
const DefaultIndexCacheBytes = 8 << 20

// ShardStore presents the inner chunks of one shard of a sharded array as
// a read-only [store.Store]. Its keys are the in-shard grid indices of the
// inner chunks under the array's [KeyEncoding] ("c/0/1/0", or "0.1.0");
// Get of an inner chunk is one ranged read of the shard, located through
// the shard index, which is read once with one suffix read (index at the
// end) or one prefix read (index at the start) and kept in the array's
// bounded index cache across reads. Missing inner chunks, and every key of
// a missing shard, are [store.ErrNotFound]. The values are the inner
// chunks' encoded bytes, as the array's [Chain] wrote them.
type ShardStore struct {
	v shardView
}

var _ store.Store = (*ShardStore)(nil)

// shardView is the read path of one shard: the array and the shard's key.
type shardView struct {
	a   *Array
	key string
}

// ShardStore returns the store of the inner chunks of the shard at grid
// index idx (a shard index, as WriteChunkShape counts). It fails when the
// array is not sharded or idx is outside the shard grid.
func (a *Array) ShardStore(idx []int) (*ShardStore, error) {
	if a.shard == nil {
		return nil, fmt.Errorf("zarr: %s: array is not sharded", a.path)
	}
	if len(idx) != len(a.ws) {
		return nil, fmt.Errorf("zarr: %s: shard index %v has wrong rank", a.path, idx)
	}
	for i, v := range idx {
		if v < 0 || v*a.ws[i] >= max(a.meta.Shape[i], 1) {
			return nil, fmt.Errorf("zarr: %s: shard index %v outside the array", a.path, idx)
		}
	}
	return &ShardStore{v: shardView{a: a, key: a.chunkKey(idx)}}, nil
}

// Key returns the store key of the shard.
func (s *ShardStore) Key() string { return s.v.key }

// innerEncoding is the key encoding of inner chunks inside a shard.
func (s *ShardStore) innerEncoding() KeyEncoding {
	e := s.v.a.keys
	e.Rank = len(s.v.a.shard.per)
	return e
}

// inner returns the storage position of the inner chunk named by key.
func (s *ShardStore) inner(key string) (int, error) {
	idx, err := s.innerEncoding().Parse(key)
	if err != nil {
		return 0, fmt.Errorf("zarr: %s: %w", s.v.key, err)
	}
	k := 0
	for i, v := range idx {
		per := s.v.a.shard.per[i]
		if v >= per {
			return 0, fmt.Errorf("zarr: %s: inner chunk %q outside the shard (%v chunks)", s.v.key, key, s.v.a.shard.per)
		}
		k = k*per + v
	}
	return k, nil
}

// Get returns the encoded bytes of the inner chunk at key.
func (s *ShardStore) Get(ctx context.Context, key string) ([]byte, error) {
	k, err := s.inner(key)
	if err != nil {
		return nil, err
	}
	b, err := s.v.get(ctx, k)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("zarr: %s: inner chunk %q: %w", s.v.key, key, store.ErrNotFound)
	}
	return b, nil
}

// GetRange returns length bytes of the inner chunk at key from offset (a
// negative length reads to its end; a range past the end is truncated).
func (s *ShardStore) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	b, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("zarr: %s: inner chunk %q: negative offset %d", s.v.key, key, offset)
	}
	offset = min(offset, int64(len(b)))
	end := int64(len(b))
	if length >= 0 && length < end-offset {
		end = offset + length
	}
	return b[offset:end], nil
}

// GetSuffix returns the last n bytes of the inner chunk at key.
func (s *ShardStore) GetSuffix(ctx context.Context, key string, n int64) ([]byte, error) {
	b, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return b[len(b)-int(min(max(n, 0), int64(len(b)))):], nil
}

// Put fails: a ShardStore is read-only (write the array instead).
func (s *ShardStore) Put(context.Context, string, []byte) error {
	return fmt.Errorf("zarr: %s: %w", s.v.key, store.ErrReadOnly)
}

// Delete fails: a ShardStore is read-only.
func (s *ShardStore) Delete(context.Context, string) error {
	return fmt.Errorf("zarr: %s: %w", s.v.key, store.ErrReadOnly)
}

// List returns the keys of the shard's stored (non-empty) inner chunks
// that start with prefix, sorted.
func (s *ShardStore) List(ctx context.Context, prefix string) ([]string, error) {
	e, err := s.v.index(ctx)
	if err != nil {
		return nil, err
	}
	enc := s.innerEncoding()
	var keys []string
	_ = s.v.a.shard.forEachInner(func(k int, j []int) error {
		if e != nil && !emptyEntry(e, k) {
			if key := enc.Key(j); strings.HasPrefix(key, prefix) {
				keys = append(keys, key)
			}
		}
		return nil
	})
	slices.Sort(keys)
	return keys, nil
}

func emptyEntry(e []uint64, k int) bool {
	return e[2*k] == math.MaxUint64 && e[2*k+1] == math.MaxUint64
}

// index returns the shard's index entries (nil when the shard is
// missing), from the array's cache or with one read.
func (v shardView) index(ctx context.Context) ([]uint64, error) {
	return v.a.indexes.get(v.key, func() ([]uint64, error) { return v.a.readIndex(ctx, v.key) })
}

// get returns the encoded bytes of the inner chunk at storage position k
// with one ranged read, or nil when it (or the shard) is missing. An
// entry that does not fit the shard drops the cached index, which may be
// stale (the shard rewritten by another process), and is tried once more
// with a fresh one.
func (v shardView) get(ctx context.Context, k int) ([]byte, error) {
	for try := 0; ; try++ {
		b, err := v.getOnce(ctx, k)
		var fe *FormatError
		if !errors.As(err, &fe) || try > 0 {
			return b, err
		}
		v.a.indexes.set(v.key, nil)
	}
}

func (v shardView) getOnce(ctx context.Context, k int) ([]byte, error) {
	e, err := v.index(ctx)
	if err != nil || e == nil || emptyEntry(e, k) {
		return nil, err
	}
	off, n := e[2*k], e[2*k+1]
	if off > math.MaxInt64/2 || n > uint64(2*v.a.opts.MaxChunkBytes+1024) {
		return nil, &FormatError{Key: v.key, Err: fmt.Errorf("%w: shard index entry %d (%d, %d)", codec.ErrCorrupt, k, off, n)}
	}
	b, err := v.a.st.GetRange(ctx, v.key, int64(off), int64(n))
	if err != nil {
		return nil, fmt.Errorf("zarr: %s: %w", v.key, err)
	}
	if uint64(len(b)) != n {
		return nil, &FormatError{Key: v.key, Err: fmt.Errorf("%w: inner chunk %d past the shard's end", codec.ErrCorrupt, k)}
	}
	return b, nil
}

// fetchInner returns the stored bytes of inner chunk idx of a sharded
// array (nil when missing) and the shard's key.
func (a *Array) fetchInner(ctx context.Context, idx []int) ([]byte, string, error) {
	sidx, inner := a.shard.locate(idx)
	v := shardView{a: a, key: a.chunkKey(sidx)}
	b, err := v.get(ctx, inner)
	return b, v.key, err
}

// readIndex reads and checks the index of the shard at key with one
// ranged (index at the start) or suffix (at the end) read. A missing
// shard gives nil entries and no error.
func (a *Array) readIndex(ctx context.Context, key string) ([]uint64, error) {
	s := a.shard
	isz := s.indexSize()
	var b []byte
	var err error
	if s.atStart {
		b, err = a.st.GetRange(ctx, key, 0, int64(isz))
	} else {
		b, err = a.st.GetSuffix(ctx, key, int64(isz))
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("zarr: %s: %w", key, err)
	}
	e, err := ParseShardIndex(b, s.n, s.crc)
	if err != nil {
		return nil, &FormatError{Key: key, Err: err}
	}
	return e, nil
}

// indexCache keeps the indexes of the shards an array read or wrote,
// least recently used first out, within max bytes. Missing shards are not
// kept: another writer may create them later. Concurrent misses of one
// shard share one read.
type indexCache struct {
	mu     sync.Mutex
	max    int64
	size   int64
	gen    uint64 // bumped by every write, so reads begun before it are not kept
	m      map[string]*indexEntry
	lru    list.List // of *indexEntry, most recent at the front
	reads  int       // index reads done (for tests)
	hits   int       // lookups served from the cache (for tests)
	shared int       // lookups that waited on another's read (for tests)
}

type indexEntry struct {
	key     string
	entries []uint64
	err     error
	done    chan struct{} // closed once entries and err are set
	el      *list.Element // nil while pending or when not kept
}

func newIndexCache(max int64) *indexCache {
	if max == 0 {
		max = DefaultIndexCacheBytes
	}
	return &indexCache{max: max, m: map[string]*indexEntry{}}
}

func entryBytes(key string, e []uint64) int64 { return int64(8*len(e) + len(key) + 64) }

// get returns the cached entries of key, or those read calls (once for all
// concurrent callers) returns.
func (c *indexCache) get(key string, read func() ([]uint64, error)) ([]uint64, error) {
	c.mu.Lock()
	if e, ok := c.m[key]; ok {
		if e.el != nil {
			c.lru.MoveToFront(e.el)
			c.hits++
			c.mu.Unlock()
			return e.entries, nil
		}
		c.shared++
		c.mu.Unlock()
		<-e.done
		return e.entries, e.err
	}
	e := &indexEntry{key: key, done: make(chan struct{})}
	c.m[key] = e
	gen := c.gen
	c.reads++
	c.mu.Unlock()
	e.entries, e.err = read()
	c.mu.Lock()
	if c.m[key] == e {
		delete(c.m, key)
		if e.err == nil && e.entries != nil && c.gen == gen {
			c.keep(e)
		}
	}
	c.mu.Unlock()
	close(e.done)
	return e.entries, e.err
}

// keep adds the finished entry e to the cache, evicting the least
// recently used ones beyond max. c.mu is held.
func (c *indexCache) keep(e *indexEntry) {
	n := entryBytes(e.key, e.entries)
	if c.max < 0 || n > c.max {
		return
	}
	for c.size+n > c.max {
		old := c.lru.Remove(c.lru.Back()).(*indexEntry)
		delete(c.m, old.key)
		c.size -= entryBytes(old.key, old.entries)
	}
	e.el = c.lru.PushFront(e)
	c.m[e.key] = e
	c.size += n
}

// set records the index of a shard just written (nil entries: deleted or
// unknown, dropped from the cache).
func (c *indexCache) set(key string, entries []uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if old, ok := c.m[key]; ok {
		delete(c.m, key)
		if old.el != nil {
			c.lru.Remove(old.el)
			c.size -= entryBytes(old.key, old.entries)
		}
	}
	if entries != nil {
		e := &indexEntry{key: key, entries: entries, done: make(chan struct{})}
		close(e.done)
		c.keep(e)
	}
}

// noteWritten updates the index cache after the shard at key was stored
// as out (nil: deleted; err: the store failed, state unknown).
func (a *Array) noteWritten(key string, out []byte, err error) {
	if out == nil || err != nil {
		a.indexes.set(key, nil)
		return
	}
	s := a.shard
	isz := s.indexSize()
	ib := out[len(out)-isz:]
	if s.atStart {
		ib = out[:isz]
	}
	e, perr := ParseShardIndex(ib, s.n, s.crc)
	if perr != nil {
		e = nil
	}
	a.indexes.set(key, e)
}
