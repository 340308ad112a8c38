package zarr

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
)

// TestRewriteFixturesSameBytes reads every codec-free fixture written by
// zarr-python (v2, C and F order) and zarrita (v3: little and big endian,
// transpose), writes it again with the same metadata and requires every
// chunk file to be byte for byte the other tool's. A chunk the other tool
// stored but we did not must hold only fill_value (we skip empty chunks).
func TestRewriteFixturesSameBytes(t *testing.T) {
	ctx := context.Background()
	type src struct{ dir, path string }
	var srcs []src
	for _, fx := range loadManifest(t, "testdata/v2.json") {
		if fx.Compressor == "" {
			srcs = append(srcs, src{"testdata/v2", fx.Path})
		}
	}
	var v3 []fixtureV3
	b, err := readFile("testdata/v3.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v3); err != nil {
		t.Fatal(err)
	}
	for _, f := range v3 {
		if f.Codecs == "bytes-le" || f.Codecs == "bytes-be" || f.Codecs == "transpose" {
			srcs = append(srcs, src{"testdata/v3", f.Path})
		}
	}
	if len(srcs) < 20 {
		t.Fatalf("only %d codec-free fixtures", len(srcs))
	}
	out := dirStore(t.TempDir())
	compared := 0
	for _, s := range srcs {
		in := dirStore(s.dir)
		a, err := Open(ctx, in, s.path)
		if err != nil {
			t.Fatal(err)
		}
		m := a.Meta()
		buf := nd.NewAny(m.DType, m.Shape, nd.C)
		if err := a.ReadRegion(nd.BoxOf(m.Shape), buf); err != nil {
			t.Fatal(err)
		}
		w, err := Create(ctx, out, s.dir+"/"+s.path, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRegion(nd.BoxOf(m.Shape), buf); err != nil {
			t.Fatal(err)
		}
		compared += compareChunkFiles(t, a, in, out, s.dir+"/"+s.path)
	}
	t.Logf("%d arrays, %d chunk files equal byte for byte", len(srcs), compared)
}

// compareChunkFiles compares the chunk files of a (in store in) with
// those written under path prefix in out, and returns how many matched.
func compareChunkFiles(t *testing.T, a *Array, in, out store.Store, prefix string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	lo := make([]int, len(a.ws))
	hi := make([]int, len(a.ws))
	for i := range hi {
		hi[i] = (a.meta.Shape[i] - 1) / a.ws[i]
	}
	_ = forEachIndex(lo, hi, func(idx []int) error {
		key := a.chunkKey(idx)
		want, werr := in.Get(ctx, key)
		got, gerr := out.Get(ctx, prefix+"/"+a.keys.Key(idx))
		switch {
		case werr != nil && gerr != nil:
		case werr != nil:
			t.Errorf("%s: we stored a chunk the fixture lacks", key)
		case gerr != nil:
			c, _, err := a.decode(want, nil)
			if err != nil {
				t.Errorf("%s: %v", key, err)
				break
			}
			cc := nd.NewAny(c.DType(), c.Shape(), nd.C)
			_ = nd.CopyAny(cc, c)
			cb, _ := nd.AsBytes(cc)
			if !allFill(cb, a.fill) {
				t.Errorf("%s: we skipped a chunk that is not all fill", key)
			}
		case !bytes.Equal(got, want):
			t.Errorf("%s: %d bytes differ from the fixture's %d", key, len(got), len(want))
		default:
			n++
		}
		return nil
	})
	return n
}

// refChunk is the plain encoding of one inner chunk c: a C-order copy in
// the stored layout, byte-swapped for big endian, through every codec;
// nil for a chunk of only fill.
func refChunk(t *testing.T, m Meta, perm []int, fill []byte, c nd.Any) []byte {
	if perm != nil {
		c = transposeAny(c, perm)
	}
	cc := nd.NewAny(m.DType, c.Shape(), nd.C)
	if err := nd.CopyAny(cc, c); err != nil {
		t.Fatal(err)
	}
	b, _ := nd.AsBytes(cc)
	b = slices.Clone(b)
	if allFill(b, fill) {
		return nil
	}
	if m.BigEndian {
		nd.SwapBytes(b, m.DType.Size())
	}
	for _, k := range m.Codecs {
		var err error
		if b, err = k.Encode(nil, b); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// refShard lays out the shard at grid index sidx of data (the whole
// array) the plain way: a fill-valued block, its inner chunks in C order
// of their grid positions, then the index. nil for an all-empty shard.
func refShard(t *testing.T, a *Array, data nd.Any, sidx []int) []byte {
	wb := blockBox(sidx, a.ws)
	clip := wb.Intersect(nd.BoxOf(a.meta.Shape))
	block := nd.NewAny(a.meta.DType, a.ws, nd.C)
	_ = nd.FillBytes(block, a.fill)
	if err := nd.CopyAny(block.View(clip.Translate(neg(wb.Min))), data.View(clip)); err != nil {
		t.Fatal(err)
	}
	per := make([]int, len(a.ws))
	for i := range per {
		per[i] = a.ws[i] / a.cs[i]
	}
	n, _ := nd.CheckedSize(per)
	isz := 16 * n
	if !a.meta.NoIndexCRC32C {
		isz += 4
	}
	var data2 []byte
	index := make([]byte, 0, isz)
	any := false
	lo, hi := make([]int, len(per)), make([]int, len(per))
	for i := range hi {
		hi[i] = per[i] - 1
	}
	_ = forEachIndex(lo, hi, func(j []int) error {
		enc := refChunk(t, a.meta, a.perm, a.fill, block.View(blockBox(j, a.cs)))
		if enc == nil {
			index = binary.LittleEndian.AppendUint64(index, math.MaxUint64)
			index = binary.LittleEndian.AppendUint64(index, math.MaxUint64)
			return nil
		}
		off := len(data2)
		if a.meta.IndexAtStart {
			off += isz
		}
		index = binary.LittleEndian.AppendUint64(index, uint64(off))
		index = binary.LittleEndian.AppendUint64(index, uint64(len(enc)))
		data2 = append(data2, enc...)
		any = true
		return nil
	})
	if !any {
		return nil
	}
	if !a.meta.NoIndexCRC32C {
		index = binary.LittleEndian.AppendUint32(index, crc32.Checksum(index, crc32.MakeTable(crc32.Castagnoli)))
	}
	if a.meta.IndexAtStart {
		return append(index, data2...)
	}
	return append(data2, index...)
}

// TestShardBytesMatchReference writes sharded arrays (index at either
// end, with and without crc32c, big endian with transpose, several
// codecs, a non-zero fill, 1- to 8-byte dtypes, edge shards) whole, then
// rewrites part of them (read-modify-write) and writes one shard with
// WriteChunk, and compares every shard file with refShard's plain layout
// of the same data.
func TestShardBytesMatchReference(t *testing.T) {
	ctx := context.Background()
	variants := map[string]Meta{
		"end":       {Shard: []int{4, 6}},
		"start":     {Shard: []int{4, 6}, IndexAtStart: true},
		"nocrc":     {Shard: []int{2, 6}, NoIndexCRC32C: true},
		"start-be":  {Shard: []int{4, 6}, IndexAtStart: true, BigEndian: true, Transpose: []int{1, 0}},
		"gzip-be":   {Shard: []int{4, 3}, BigEndian: true, Transpose: []int{1, 0}, Codecs: []codec.Codec{codec.Gzip{Level: 1}}},
		"zstd-crc":  {Shard: []int{4, 6}, Codecs: []codec.Codec{codec.Zstd{Level: 1}, codec.CRC32C{}}},
		"zstd-fill": {Shard: []int{4, 6}, FillValue: []byte{5}, Codecs: []codec.Codec{codec.Zstd{Level: 3}}},
		"raw-fill":  {Shard: []int{2, 6}, FillValue: []byte{5}},
	}
	for name, v := range variants {
		for _, dt := range []nd.DType{nd.Uint8, nd.Uint16, nd.Int32, nd.Float64} {
			t.Run(fmt.Sprintf("%s-%v", name, dt), func(t *testing.T) {
				m := v
				m.ZarrFormat, m.Shape, m.Chunks, m.DType = 3, []int{11, 13}, []int{2, 3}, dt
				m.Shard = slices.Clone(v.Shard)
				if v.FillValue != nil {
					m.FillValue = fillFloat(dt, float64(v.FillValue[0]))
				}
				st := store.NewMemory()
				a, err := Create(ctx, st, "x", m, nil)
				if err != nil {
					t.Fatal(err)
				}
				data := shardTestData(a)
				if err := a.WriteRegion(nd.BoxOf(m.Shape), data); err != nil {
					t.Fatal(err)
				}
				checkShards(t, a, st, data, "whole")
				part := nd.Box{Min: []int{3, 2}, Max: []int{9, 12}}
				upd := nd.NewAny(dt, part.Shape(), nd.C)
				_ = nd.FillBytes(upd, a.fill)
				if err := a.WriteRegion(part, upd); err != nil {
					t.Fatal(err)
				}
				_ = nd.CopyAny(data.View(part), upd)
				checkShards(t, a, st, data, "partial")
				blk := nd.NewAny(dt, a.ws, nd.C)
				src := shardTestData(a)
				wb := blockBox([]int{1, 1}, a.ws)
				_ = nd.CopyAny(blk.View(wb.Intersect(nd.BoxOf(m.Shape)).Translate(neg(wb.Min))), src.View(wb.Intersect(nd.BoxOf(m.Shape))))
				if err := a.WriteChunk(ctx, []int{1, 1}, blk); err != nil {
					t.Fatal(err)
				}
				_ = nd.CopyAny(data.View(wb.Intersect(nd.BoxOf(m.Shape))), src.View(wb.Intersect(nd.BoxOf(m.Shape))))
				checkShards(t, a, st, data, "chunk")
				got := nd.NewAny(dt, m.Shape, nd.C)
				if err := a.ReadRegion(nd.BoxOf(m.Shape), got); err != nil {
					t.Fatal(err)
				}
				gb, _ := nd.AsBytes(got)
				db, _ := nd.AsBytes(data)
				if !bytes.Equal(gb, db) {
					t.Error("read back differs from what was written")
				}
			})
		}
	}
}

// shardTestData returns distinct values with a fill-only band (rows 4-5,
// so some inner chunks and, for 2-row shards, a whole shard are empty).
func shardTestData(a *Array) nd.Any {
	m := a.meta
	f := nd.New[float64](m.Shape, nd.C)
	for i := range f.Data() {
		f.Data()[i] = fixtureValue(m.DType, i)
	}
	out := nd.NewAny(m.DType, m.Shape, nd.C)
	_ = nd.ConvertAny(out, f)
	_ = nd.FillBytes(out.View(nd.Box{Min: []int{4, 0}, Max: []int{6, m.Shape[1]}}), a.fill)
	return out
}

func checkShards(t *testing.T, a *Array, st store.Store, data nd.Any, when string) {
	t.Helper()
	ctx := context.Background()
	lo := make([]int, len(a.ws))
	hi := make([]int, len(a.ws))
	for i := range hi {
		hi[i] = (a.meta.Shape[i] - 1) / a.ws[i]
	}
	_ = forEachIndex(lo, hi, func(idx []int) error {
		key := a.chunkKey(idx)
		want := refShard(t, a, data, idx)
		got, err := st.Get(ctx, key)
		if want == nil {
			if err == nil {
				t.Errorf("%s: %s: stored an all-empty shard", when, key)
			}
			return nil
		}
		if err != nil {
			t.Errorf("%s: %s: %v", when, key, err)
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s: %s: %d bytes differ from the reference's %d", when, key, len(got), len(want))
		}
		return nil
	})
}

// TestAllFill checks the block-wise fill test against the element-wise
// definition at every length around the block size and every position of
// a differing element.
func TestAllFill(t *testing.T) {
	for _, fill := range [][]byte{{0}, {5}, {1, 2}, {1, 2, 3, 4}, {9, 8, 7, 6, 5, 4, 3, 2}} {
		for _, n := range []int{0, 1, 7, 511, 512, 513, 1024, 1500} {
			b := bytes.Repeat(fill, n)
			if !allFill(b, fill) {
				t.Errorf("fill %v x %d: not all fill", fill, n)
			}
			for _, at := range []int{0, n / 2, n - 1} {
				if n == 0 {
					continue
				}
				c := slices.Clone(b)
				c[at*len(fill)+len(fill)-1] ^= 0x40
				if allFill(c, fill) {
					t.Errorf("fill %v x %d: element %d differs, still all fill", fill, n, at)
				}
			}
		}
	}
	if allFill([]byte{0, 0}, nil) {
		t.Error("no fill element: all fill")
	}
}

// BenchmarkAllFill: the empty-chunk test on a 256 KiB uint8 chunk of
// fill (the whole chunk is compared).
func BenchmarkAllFill(b *testing.B) {
	c := make([]byte, 256<<10)
	b.SetBytes(int64(len(c)))
	b.ReportAllocs()
	for b.Loop() {
		if !allFill(c, []byte{0}) {
			b.Fatal("not fill")
		}
	}
}
