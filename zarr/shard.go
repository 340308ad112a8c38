package zarr

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
)

// sharding is the "sharding_indexed" layout of a v3 array's write chunks:
// a shard holds per[i] inner chunks along axis i, each encoded on its own
// by the inner codec chain and stored back to back in C order of their
// grid positions, plus an index of n (offset, nbytes) pairs of
// little-endian uint64 (optionally followed by a crc32c) at the start or
// the end of the shard. An empty inner chunk has both values 2^64-1.
type sharding struct {
	per     []int // inner chunks per shard, per axis
	n       int   // inner chunks per shard
	atStart bool  // index before the data
	crc     bool  // index followed by its crc32c
}

// newSharding returns the sharding of m, or nil when m is not sharded.
func newSharding(m *Meta) *sharding {
	if m.Shard == nil {
		return nil
	}
	per := make([]int, len(m.Chunks))
	for i := range per {
		per[i] = m.Shard[i] / m.Chunks[i]
	}
	n, _ := nd.CheckedSize(per)
	return &sharding{per: per, n: n, atStart: m.IndexAtStart, crc: !m.NoIndexCRC32C}
}

// indexSize is the size of the encoded index in bytes.
func (s *sharding) indexSize() int {
	if s.crc {
		return 16*s.n + 4
	}
	return 16 * s.n
}

// locate returns the grid index of the shard holding inner chunk idx (a
// grid index of inner chunks) and the chunk's position inside the shard.
func (s *sharding) locate(idx []int) (shard []int, inner int) {
	shard = make([]int, len(idx))
	for i := range idx {
		shard[i] = idx[i] / s.per[i]
		inner = inner*s.per[i] + idx[i]%s.per[i]
	}
	return shard, inner
}

// forEachInner calls f with the position k and the in-shard grid index of
// every inner chunk, in storage order.
func (s *sharding) forEachInner(f func(k int, j []int) error) error {
	zero, hi := make([]int, len(s.per)), make([]int, len(s.per))
	for i := range s.per {
		hi[i] = s.per[i] - 1
	}
	k := 0
	return forEachIndex(zero, hi, func(j []int) error {
		err := f(k, j)
		k++
		return err
	})
}

// putIndex writes the encoded index of entries (2 per inner chunk) to
// ib, which has room for indexSize() bytes.
func (s *sharding) putIndex(ib []byte, index []uint64) {
	for i, v := range index {
		binary.LittleEndian.PutUint64(ib[8*i:], v)
	}
	if s.crc {
		binary.LittleEndian.PutUint32(ib[16*s.n:], crc32.Checksum(ib[:16*s.n], castagnoli))
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// build lays out a shard from the encodings of its n inner chunks (nil for
// an empty chunk) in one allocation of the shard's exact size.
func (s *sharding) build(chunks [][]byte) []byte {
	index := make([]uint64, 2*s.n)
	isz := s.indexSize()
	total := isz
	for _, enc := range chunks {
		total += len(enc)
	}
	out := make([]byte, 0, total)
	if s.atStart {
		out = out[:isz]
	}
	for k, enc := range chunks {
		if enc == nil {
			index[2*k], index[2*k+1] = math.MaxUint64, math.MaxUint64
			continue
		}
		index[2*k], index[2*k+1] = uint64(len(out)), uint64(len(enc))
		out = append(out, enc...)
	}
	if s.atStart {
		s.putIndex(out[:isz], index)
		return out
	}
	out = out[:len(out)+isz]
	s.putIndex(out[len(out)-isz:], index)
	return out
}

// putShard encodes the inner chunks of block (one shard, shape ws, C order)
// and stores the shard at key, or deletes it when every chunk is empty.
func (a *Array) putShard(ctx context.Context, key string, block nd.Any) error {
	var out []byte
	var err error
	if len(a.chain()) == 0 {
		out, err = a.rawShard(block)
	} else {
		var chunks [][]byte
		if chunks, err = a.encodeInner(block); err == nil && chunks != nil {
			out = a.shard.build(chunks)
		}
	}
	if err != nil {
		return fmt.Errorf("zarr: %s: %w", key, err)
	}
	if out == nil {
		err = a.st.Delete(ctx, key)
	} else {
		err = a.st.Put(ctx, key, out)
	}
	a.noteWritten(key, out, err)
	return err
}

// rawShard lays out a shard of a codec-free array: every inner chunk is
// copied once, straight from block to its place in the shard, whose
// buffer is allocated once at its largest size. It returns nil when every
// chunk is empty.
func (a *Array) rawShard(block nd.Any) ([]byte, error) {
	s := a.shard
	isz := s.indexSize()
	out := make([]byte, 0, s.n*a.chunkBytes+isz)
	if s.atStart {
		out = out[:isz]
	}
	index := make([]uint64, 2*s.n)
	nonEmpty := false
	err := s.forEachInner(func(k int, j []int) error {
		start := len(out)
		var empty bool
		var err error
		out, empty, _, err = a.encodeAppend(out, block.View(blockBox(j, a.cs)), nil)
		if err != nil {
			return err
		}
		if empty {
			index[2*k], index[2*k+1] = math.MaxUint64, math.MaxUint64
			return nil
		}
		index[2*k], index[2*k+1] = uint64(start), uint64(len(out)-start)
		nonEmpty = true
		return nil
	})
	if err != nil || (!nonEmpty && !a.opts.WriteEmptyChunks) {
		return nil, err
	}
	if s.atStart {
		s.putIndex(out[:isz], index)
		return out, nil
	}
	out = out[:len(out)+isz]
	s.putIndex(out[len(out)-isz:], index)
	return out, nil
}

// encodeSlots bounds the goroutines that help encode inner chunks, for
// all shards written at once: at most GOMAXPROCS helpers, each holding at
// most one chunk's scratch and its encoding at a time. A shard that finds
// no free slot encodes on its writer's goroutine alone.
var encodeSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// encodeInner encodes the n inner chunks of block (nil for an empty one)
// on the calling goroutine and on as many helpers as encodeSlots allows.
// It returns nil when every chunk is empty.
func (a *Array) encodeInner(block nd.Any) ([][]byte, error) {
	s := a.shard
	boxes := make([]nd.Box, 0, s.n)
	_ = s.forEachInner(func(_ int, j []int) error {
		boxes = append(boxes, blockBox(j, a.cs))
		return nil
	})
	chunks := make([][]byte, s.n)
	var (
		next     atomic.Int64
		nonEmpty atomic.Bool
		failed   atomic.Bool
		errOnce  sync.Once
		firstErr error
	)
	work := func() {
		var scratch []byte
		for !failed.Load() {
			k := int(next.Add(1) - 1)
			if k >= s.n {
				return
			}
			enc, empty, sc, err := a.encodeAppend(nil, block.View(boxes[k]), scratch)
			scratch = sc
			if err != nil {
				errOnce.Do(func() { firstErr = err })
				failed.Store(true)
				return
			}
			if !empty {
				chunks[k] = enc
				nonEmpty.Store(true)
			}
		}
	}
	withHelpers(encodeSlots, s.n, work)
	if firstErr != nil {
		return nil, firstErr
	}
	if !nonEmpty.Load() && !a.opts.WriteEmptyChunks {
		return nil, nil
	}
	return chunks, nil
}

// ParseShardIndex decodes a shard index of n inner chunks: n (offset,
// nbytes) pairs of little-endian uint64, followed by a crc32c when
// withCRC. Empty chunks have both values 2^64-1.
func ParseShardIndex(b []byte, n int, withCRC bool) ([]uint64, error) {
	if n < 0 || n > math.MaxInt32/16 {
		return nil, fmt.Errorf("%w: shard index of %d entries", codec.ErrLimit, n)
	}
	want := 16 * n
	if withCRC {
		want += 4
	}
	if len(b) != want {
		return nil, fmt.Errorf("%w: shard index has %d bytes, want %d", codec.ErrCorrupt, len(b), want)
	}
	if withCRC {
		var err error
		if b, err = (codec.CRC32C{}).Decode(nil, b, 16*n); err != nil {
			return nil, fmt.Errorf("shard index: %w", err)
		}
	}
	e := make([]uint64, 2*n)
	for i := range e {
		e[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	for i := 0; i < n; i++ {
		off, sz := e[2*i], e[2*i+1]
		if off == math.MaxUint64 && sz == math.MaxUint64 {
			continue
		}
		if off+sz < off {
			return nil, fmt.Errorf("%w: shard index entry %d (%d, %d) overflows", codec.ErrCorrupt, i, off, sz)
		}
	}
	return e, nil
}
