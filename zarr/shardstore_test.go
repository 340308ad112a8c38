package zarr

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
)

// reqStore counts requests by kind and key.
type reqStore struct {
	*store.Memory
	mu                   sync.Mutex
	gets, ranges, suffix map[string]int
}

func newReqStore() *reqStore {
	return &reqStore{Memory: store.NewMemory(), gets: map[string]int{}, ranges: map[string]int{}, suffix: map[string]int{}}
}

func (s *reqStore) count(m map[string]int, k string) {
	s.mu.Lock()
	m[k]++
	s.mu.Unlock()
}
func (s *reqStore) Get(ctx context.Context, k string) ([]byte, error) {
	s.count(s.gets, k)
	return s.Memory.Get(ctx, k)
}
func (s *reqStore) GetRange(ctx context.Context, k string, o, n int64) ([]byte, error) {
	s.count(s.ranges, k)
	return s.Memory.GetRange(ctx, k, o, n)
}
func (s *reqStore) GetSuffix(ctx context.Context, k string, n int64) ([]byte, error) {
	s.count(s.suffix, k)
	return s.Memory.GetSuffix(ctx, k, n)
}
func (s *reqStore) reset() {
	s.mu.Lock()
	clear(s.gets)
	clear(s.ranges)
	clear(s.suffix)
	s.mu.Unlock()
}

// shardFixture writes a [16,16] uint16 ramp as 4 shards of [8,8] with
// [2,2] inner chunks (index at the end or start) and reopens it.
func shardFixture(t *testing.T, atStart bool) (*reqStore, *Array, *nd.Array[uint16]) {
	t.Helper()
	ctx := context.Background()
	st := newReqStore()
	m := Meta{Shape: []int{16, 16}, Chunks: []int{2, 2}, Shard: []int{8, 8}, DType: nd.Uint16,
		IndexAtStart: atStart, Codecs: []codec.Codec{codec.Zstd{Level: 1}}}
	w, err := Create(ctx, st, "s", m, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := ramp[uint16]([]int{16, 16})
	if err := w.WriteRegion(nd.BoxOf(w.Shape()), src); err != nil {
		t.Fatal(err)
	}
	a, err := Open(ctx, st, "s")
	if err != nil {
		t.Fatal(err)
	}
	st.reset()
	return st, a, src
}

// N small reads inside one shard (a viewer's tiles, overlapping crops) read
// the shard index once: 1 suffix (or prefix) request, not N, and one
// ranged request per inner chunk.
func TestShardIndexCachedAcrossReads(t *testing.T) {
	for _, atStart := range []bool{false, true} {
		st, a, src := shardFixture(t, atStart)
		const n = 10
		for i := range n {
			b := nd.NewBox([]int{i % 4, 1}, []int{i%4 + 3, 4}) // 2x2 inner chunks of shard c/0/0
			got := nd.New[uint16](b.Shape(), nd.C)
			if err := a.ReadRegion(b, got); err != nil {
				t.Fatal(err)
			}
			for y := range 3 {
				for x := range 3 {
					if got.At(y, x) != src.At(b.Min[0]+y, b.Min[1]+x) {
						t.Fatalf("read %d: (%d,%d) = %d, want %d", i, y, x, got.At(y, x), src.At(b.Min[0]+y, b.Min[1]+x))
					}
				}
			}
		}
		idxReads := st.suffix["s/c/0/0"]
		dataReads := st.ranges["s/c/0/0"]
		if atStart {
			// the prefix read is a ranged read too: one more than the data reads
			idxReads, dataReads = 1, dataReads-1
			if st.suffix["s/c/0/0"] != 0 {
				t.Errorf("index at start read with %d suffix requests", st.suffix["s/c/0/0"])
			}
		}
		if idxReads != 1 || dataReads != 4*n || len(st.gets) != 0 {
			t.Errorf("atStart=%v: %d index requests, %d chunk requests, %d whole gets; want 1, %d, 0",
				atStart, idxReads, dataReads, len(st.gets), 4*n)
		}
		if c := a.indexes; c.reads != 1 || c.hits+c.shared != 4*n-1 {
			t.Errorf("cache: %d reads, %d hits, %d shared", c.reads, c.hits, c.shared)
		}
	}
}

// A write through the array updates its cached index: the next read sees
// the new data without reading the index again; deleting a shard (all
// fill) drops it; a missing shard is not cached, so one written by
// another array later is seen.
func TestShardIndexCacheWrites(t *testing.T) {
	ctx := context.Background()
	st, a, _ := shardFixture(t, false)
	one := nd.NewBox([]int{0, 0}, []int{1, 1})
	px := nd.New[uint16]([]int{1, 1}, nd.C)
	if err := a.ReadRegion(one, px); err != nil {
		t.Fatal(err)
	}
	px.Set(999, 0, 0)
	if err := a.WriteRegion(one, px); err != nil { // partial shard: reads, then writes
		t.Fatal(err)
	}
	st.reset()
	got := nd.New[uint16]([]int{1, 1}, nd.C)
	if err := a.ReadRegion(one, got); err != nil || got.At(0, 0) != 999 {
		t.Fatalf("after write: %v, %v", got.Data(), err)
	}
	if st.suffix["s/c/0/0"] != 0 || st.ranges["s/c/0/0"] != 1 {
		t.Errorf("read after write: %d index, %d chunk requests; want 0, 1", st.suffix["s/c/0/0"], st.ranges["s/c/0/0"])
	}
	// All fill: the shard is deleted and reads as fill without a stale index.
	zero := nd.New[uint16]([]int{8, 8}, nd.C)
	if err := a.WriteChunk(ctx, []int{1, 1}, zero); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Memory.Get(ctx, "s/c/1/1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("all-fill shard stored: %v", err)
	}
	big := nd.New[uint16]([]int{8, 8}, nd.C)
	big.Data()[0] = 1
	if err := a.ReadRegion(nd.NewBox([]int{8, 8}, []int{16, 16}), big); err != nil || slices.Max(big.Data()) != 0 {
		t.Fatalf("deleted shard reads %v, %v", big.Data()[:4], err)
	}
	// Missing shards are not cached: another writer's shard shows up.
	other, err := Open(ctx, st, "s")
	if err != nil {
		t.Fatal(err)
	}
	if err := other.WriteChunk(ctx, []int{1, 1}, ramp[uint16]([]int{8, 8})); err != nil {
		t.Fatal(err)
	}
	if err := a.ReadRegion(nd.NewBox([]int{8, 8}, []int{16, 16}), big); err != nil || big.At(7, 7) != ramp[uint16]([]int{8, 8}).At(7, 7) {
		t.Fatalf("shard written by another array: %v, %v", big.Data()[60:], err)
	}
}

// A bounded cache evicts: with room for one index, alternating between two
// shards reads an index every time; with the default, twice in all.
func TestShardIndexCacheBound(t *testing.T) {
	for _, tc := range []struct {
		bytes int64
		want  int
	}{{entryBytes("s/c/0/0", make([]uint64, 2*16)), 6}, {0, 2}, {-1, 6}} {
		st, a, _ := shardFixture(t, false)
		a.indexes = newIndexCache(tc.bytes)
		px := nd.New[uint16]([]int{1, 1}, nd.C)
		for i := range 6 {
			b := nd.NewBox([]int{0, 8 * (i % 2)}, []int{1, 8*(i%2) + 1})
			if err := a.ReadRegion(b, px); err != nil {
				t.Fatal(err)
			}
		}
		if n := st.suffix["s/c/0/0"] + st.suffix["s/c/0/1"]; n != tc.want {
			t.Errorf("cache of %d bytes: %d index reads, want %d", tc.bytes, n, tc.want)
		}
		if a.indexes.size > max(a.indexes.max, 0) {
			t.Errorf("cache holds %d bytes, bound %d", a.indexes.size, a.indexes.max)
		}
	}
}

// A corrupt or short shard index is a FormatError naming the shard's key,
// and is not cached (fixing the shard fixes the next read).
func TestShardIndexCorrupt(t *testing.T) {
	ctx := context.Background()
	for name, mangle := range map[string]func([]byte) []byte{
		"short": func(b []byte) []byte { return b[:100] },
		"crc":   func(b []byte) []byte { b[len(b)-5] ^= 1; return b },
		"entry": func(b []byte) []byte {
			// entry 0 offset far past the end, crc recomputed
			isz := 16*16 + 4
			ib := b[len(b)-isz:]
			ib[3] = 0x7f
			(&sharding{n: 16, crc: true}).putIndex(ib, leUint64s(ib[:16*16]))
			return b
		},
	} {
		st, a, _ := shardFixture(t, false)
		good, _ := st.Memory.Get(ctx, "s/c/0/0")
		_ = st.Memory.Put(ctx, "s/c/0/0", mangle(slices.Clone(good)))
		px := nd.New[uint16]([]int{1, 1}, nd.C)
		err := a.ReadRegion(nd.NewBox([]int{0, 0}, []int{1, 1}), px)
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Key != "s/c/0/0" || !errors.Is(err, codec.ErrCorrupt) {
			t.Errorf("%s: error %v, want a FormatError for s/c/0/0 wrapping ErrCorrupt", name, err)
		}
		_ = st.Memory.Put(ctx, "s/c/0/0", good)
		if err := a.ReadRegion(nd.NewBox([]int{0, 0}, []int{1, 1}), px); err != nil {
			t.Errorf("%s: after repair: %v", name, err)
		}
	}
}

func leUint64s(b []byte) []uint64 {
	e, _ := ParseShardIndex(b, len(b)/16, false)
	return e
}

// ShardStore presents one shard's inner chunks as a read-only store: its
// values decode to the array's inner chunks, List names the stored ones,
// writes are refused, and missing inner chunks are ErrNotFound.
func TestShardStore(t *testing.T) {
	ctx := context.Background()
	st, a, src := shardFixture(t, false)
	ss, err := a.ShardStore([]int{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ss.List(ctx, "")
	if err != nil || len(keys) != 16 || keys[0] != "c/0/0" || keys[15] != "c/3/3" {
		t.Fatalf("List: %v, %v", keys, err)
	}
	b, err := ss.Get(ctx, "c/1/2")
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := a.decode(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	// inner chunk (1,2) of shard (0,1): rows 2..3, cols 8+4..8+5
	if v := c.(*nd.Array[uint16]).At(1, 0); v != src.At(3, 12) {
		t.Fatalf("inner chunk value %d, want %d", v, src.At(3, 12))
	}
	if r, err := ss.GetRange(ctx, "c/1/2", 1, 3); err != nil || !slices.Equal(r, b[1:4]) {
		t.Fatalf("GetRange: %v", err)
	}
	if r, err := ss.GetSuffix(ctx, "c/1/2", 5); err != nil || !slices.Equal(r, b[len(b)-5:]) {
		t.Fatalf("GetSuffix: %v", err)
	}
	if st.suffix["s/c/0/1"] != 1 {
		t.Errorf("%d index reads for List and 3 gets, want 1", st.suffix["s/c/0/1"])
	}
	for _, k := range []string{"c/4/0", "0.1", "c/1"} {
		if _, err := ss.Get(ctx, k); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q): %v, want a bad-key error", k, err)
		}
	}
	if err := ss.Put(ctx, "c/0/0", nil); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Put: %v", err)
	}
	if err := a.WriteChunk(ctx, []int{0, 1}, nd.New[uint16]([]int{8, 8}, nd.C)); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Get(ctx, "c/0/0"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of a deleted shard: %v, want ErrNotFound", err)
	}
	if _, err := a.ShardStore([]int{2, 0}); err == nil {
		t.Error("ShardStore outside the grid accepted")
	}
}

// Concurrent first reads of one shard share one index read.
func TestShardIndexConcurrentMiss(t *testing.T) {
	st, a, src := shardFixture(t, false)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			px := nd.New[uint16]([]int{1, 1}, nd.C)
			errs[g] = a.ReadRegion(nd.NewBox([]int{g, g}, []int{g + 1, g + 1}), px)
			if errs[g] == nil && px.At(0, 0) != src.At(g, g) {
				errs[g] = errors.New("wrong value")
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := st.suffix["s/c/0/0"]; n != 1 || a.indexes.reads != 1 {
		t.Errorf("8 concurrent reads: %d index requests (%d cache reads), want 1", n, a.indexes.reads)
	}
}
