package zarr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
)

// DefaultMaxChunkBytes is the default cap on one decoded chunk or shard.
const DefaultMaxChunkBytes = 1 << 30

// Options tune an opened or created array. The zero value is valid.
type Options struct {
	// MaxChunkBytes caps the decoded size of one chunk and of one shard
	// (default DefaultMaxChunkBytes).
	MaxChunkBytes int64
	// WriteEmptyChunks stores chunks that hold only fill_value. By default
	// such chunks are deleted (v2, unsharded v3) or marked empty in the
	// shard index, as zarr-python does with write_empty_chunks=False.
	WriteEmptyChunks bool
	// IndexCacheBytes bounds the cache of shard indexes of a sharded
	// array (default DefaultIndexCacheBytes; negative: no cache). Indexes
	// are kept across reads, and updated when the array writes a shard;
	// a shard another process rewrites after its index was cached is read
	// through the old index until the array is opened again.
	IndexCacheBytes int64
}

// Array is an open Zarr v2 or v3 array. It implements [nd.Reader] and
// [nd.Writer].
type Array struct {
	st   store.Store
	path string
	meta Meta
	opts Options

	cs         []int       // read (inner) chunk shape
	ws         []int       // write chunk (shard) shape
	chn        Chain       // normalised codec chain of a (inner) chunk
	keys       KeyEncoding // chunk (shard) key encoding
	perm       []int       // stored-layout permutation of chn, nil for identity
	chunkBytes int
	fill       []byte      // one element of fill value, host order
	shard      *sharding   // nil unless sharded
	indexes    *indexCache // shard indexes, when sharded

	blocks sync.Pool // *nd.Any write blocks of shape ws, reused across writes
	bufs   sync.Pool // *[]byte decode and encode scratch of chunkBytes
}

var (
	_ nd.Reader = (*Array)(nil)
	_ nd.Writer = (*Array)(nil)
)

// ErrNotArray is returned (wrapped) by Open when path holds no array.
var ErrNotArray = errors.New("zarr: no array")

// CleanPath normalises a node path: backslashes become slashes, leading,
// trailing and repeated slashes go. It rejects "." and ".." segments.
func CleanPath(p string) (string, error) {
	p = strings.ReplaceAll(p, "\\", "/")
	var segs []string
	for _, s := range strings.Split(p, "/") {
		switch s {
		case "":
		case ".", "..":
			return "", fmt.Errorf("zarr: path %q has a %q segment", p, s)
		default:
			segs = append(segs, s)
		}
	}
	return strings.Join(segs, "/"), nil
}

func join(p, key string) string {
	if p == "" {
		return key
	}
	return p + "/" + key
}

// Open opens the array at path, detecting Zarr v3 (zarr.json) or v2
// (.zarray, or a root .zmetadata holding it).
func Open(ctx context.Context, st store.Store, path string) (*Array, error) {
	return OpenOptions(ctx, st, path, Options{})
}

// OpenOptions is [Open] with options.
func OpenOptions(ctx context.Context, st store.Store, p string, o Options) (*Array, error) {
	p, err := CleanPath(p)
	if err != nil {
		return nil, err
	}
	key := join(p, "zarr.json")
	var m *Meta
	if b, err := st.Get(ctx, key); err == nil {
		if m, err = ParseV3(key, b); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("zarr: %s: %w", key, err)
	} else {
		key = join(p, ".zarray")
		b, err := st.Get(ctx, key)
		var attrs []byte
		if errors.Is(err, store.ErrNotFound) {
			b, attrs, err = consolidated(ctx, st, p)
		} else if err == nil {
			attrs, _ = st.Get(ctx, join(p, ".zattrs"))
		}
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("%w at %q", ErrNotArray, p)
			}
			return nil, fmt.Errorf("zarr: %s: %w", key, err)
		}
		if m, err = ParseV2(key, b); err != nil {
			return nil, err
		}
		if len(attrs) > 0 {
			if err := json.Unmarshal(attrs, &m.Attributes); err != nil {
				return nil, fmt.Errorf("zarr: %s: %w", join(p, ".zattrs"), err)
			}
		}
	}
	return newArray(st, p, *m, o, key)
}

// consolidated looks p's .zarray and .zattrs up in a root .zmetadata.
func consolidated(ctx context.Context, st store.Store, p string) ([]byte, []byte, error) {
	b, err := st.Get(ctx, ".zmetadata")
	if err != nil {
		return nil, nil, err
	}
	var c struct {
		Metadata map[string]json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, nil, fmt.Errorf("zarr: .zmetadata: %v", err)
	}
	za, ok := c.Metadata[join(p, ".zarray")]
	if !ok {
		return nil, nil, store.ErrNotFound
	}
	return za, c.Metadata[join(p, ".zattrs")], nil
}

func newArray(st store.Store, p string, m Meta, o Options, key string) (*Array, error) {
	if o.MaxChunkBytes <= 0 {
		o.MaxChunkBytes = DefaultMaxChunkBytes
	}
	a := &Array{st: st, path: p, meta: m, opts: o, cs: m.Chunks, ws: m.Chunks, shard: newSharding(&m)}
	a.chn, a.keys = m.Chain(), m.KeyEncoding()
	if a.shard != nil {
		a.indexes = newIndexCache(o.IndexCacheBytes)
	}
	a.perm = a.chn.perm()
	if m.Shard != nil {
		a.ws = m.Shard
	}
	for _, s := range [][]int{a.cs, a.ws} {
		n, ok := nd.CheckedSize(s)
		if !ok || int64(n) > o.MaxChunkBytes/int64(m.DType.Size()) {
			return nil, metaErr(key, "chunk shape %v of %v exceeds %d bytes", s, m.DType, o.MaxChunkBytes)
		}
	}
	n, _ := nd.CheckedSize(a.cs)
	a.chunkBytes = n * m.DType.Size()
	fill, err := fillBytes(m.DType, m.FillValue)
	if err != nil {
		return nil, fieldErr(key, "fill_value", err)
	}
	a.fill, a.meta.FillValue = fill, fill
	return a, nil
}

// DefaultChunks is the chunk shape Create gives an array whose Meta has
// none: 64 per axis for three or more axes, 256 for planes and 4096 for
// lines, clipped to the shape (about 0.25–1 MiB of 4-byte elements).
func DefaultChunks(shape []int) []int {
	edge := 64
	switch len(shape) {
	case 1:
		edge = 4096
	case 2:
		edge = 256
	}
	ch := make([]int, len(shape))
	for i, n := range shape {
		ch[i] = max(1, min(n, edge))
	}
	return ch
}

// Create writes the metadata of a new array at path (replacing any old
// metadata; old chunks are left alone, which is what a resumed build
// wants: to replace an array and its chunks, use dataset.Create with
// Overwrite, which deletes them safely) and creates missing ancestor
// groups. Zero fields of m get defaults: ZarrFormat 3 (zarr-python 2 reads
// only ZarrFormat 2), Chunks from DefaultChunks, separator "." (v2) or "/"
// (v3), chunk key encoding "default".
func Create(ctx context.Context, st store.Store, p string, m Meta, o *Options) (*Array, error) {
	p, err := CleanPath(p)
	if err != nil {
		return nil, err
	}
	m.Shape, m.Chunks, m.Shard = slices.Clone(m.Shape), slices.Clone(m.Chunks), slices.Clone(m.Shard)
	if m.ZarrFormat == 0 {
		m.ZarrFormat = 3
	}
	if !m.DType.Valid() {
		return nil, fmt.Errorf("zarr: create %q: invalid dtype", p)
	}
	if m.FillValue, err = fillBytes(m.DType, m.FillValue); err != nil {
		return nil, fmt.Errorf("zarr: create %q: %w", p, err)
	}
	if len(m.Chunks) == 0 {
		m.Chunks = DefaultChunks(m.Shape)
	}
	name := p
	if name == "" {
		name = "(root)"
	}
	if err := checkShapes(name, m.Shape, m.Chunks); err != nil {
		return nil, err
	}
	if b, ok := m.Compressor.(codec.Blosc); ok && b.TypeSize == 0 {
		b.TypeSize = m.DType.Size()
		m.Compressor = b
	}
	var key string
	var meta []byte
	switch m.ZarrFormat {
	case 2:
		if err := m.prepareV2(p); err != nil {
			return nil, err
		}
		key = join(p, ".zarray")
		meta, err = m.v2JSON()
	case 3:
		if err := m.prepareV3(p); err != nil {
			return nil, err
		}
		key = join(p, "zarr.json")
		meta, err = m.v3JSON()
	default:
		return nil, fmt.Errorf("zarr: create %q: zarr_format %d unsupported", p, m.ZarrFormat)
	}
	if err != nil {
		return nil, err
	}
	var opts Options
	if o != nil {
		opts = *o
	}
	a, err := newArray(st, p, m, opts, key)
	if err != nil {
		return nil, err
	}
	if err := ensureParents(ctx, st, p, m.ZarrFormat); err != nil {
		return nil, err
	}
	if err := st.Put(ctx, key, meta); err != nil {
		return nil, fmt.Errorf("zarr: %s: %w", key, err)
	}
	if m.ZarrFormat == 2 && len(m.Attributes) > 0 {
		if err := a.SetAttrs(ctx, m.Attributes); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// prepareV2 checks m for Zarr v2 and fills in its v2 defaults; p names the
// array in errors.
func (m *Meta) prepareV2(p string) error {
	if m.Shard != nil || m.Transpose != nil {
		return fmt.Errorf("zarr: create %q: sharding and transpose need Zarr v3", p)
	}
	if m.Compressor == nil && len(m.Codecs) == 1 {
		m.Compressor = m.Codecs[0]
	} else if len(m.Codecs) > 0 {
		return fmt.Errorf("zarr: create %q: Zarr v2 takes one compressor", p)
	}
	m.Codecs = nil
	if m.DimensionSeparator == "" {
		m.DimensionSeparator = "."
	}
	return nil
}

// prepareV3 checks m for Zarr v3 and fills in its v3 defaults (F order as
// a transpose codec, chunk key encoding and separator, blosc typesize).
func (m *Meta) prepareV3(p string) error {
	if len(m.Codecs) == 0 && m.Compressor != nil {
		m.Codecs = []codec.Codec{m.Compressor}
	}
	m.Compressor = nil
	if m.Order == nd.F && m.Transpose == nil {
		m.Transpose = make([]int, len(m.Shape))
		for i := range m.Transpose {
			m.Transpose[i] = len(m.Shape) - 1 - i
		}
	}
	m.Order = nd.C
	if m.Transpose != nil && !nd.IsPerm(m.Transpose, len(m.Shape)) {
		return fmt.Errorf("zarr: create %q: transpose %v is not a permutation", p, m.Transpose)
	}
	if m.ChunkKeyEncoding == "" {
		m.ChunkKeyEncoding = "default"
	}
	if m.DimensionSeparator == "" {
		m.DimensionSeparator = map[string]string{"default": "/", "v2": "."}[m.ChunkKeyEncoding]
	}
	if m.Shard != nil {
		if len(m.Shard) != len(m.Shape) {
			return fmt.Errorf("zarr: create %q: shard %v does not match shape %v", p, m.Shard, m.Shape)
		}
		for i := range m.Shard {
			if m.Shard[i] <= 0 || m.Shard[i]%m.Chunks[i] != 0 {
				return fmt.Errorf("zarr: create %q: shard %v is not a multiple of chunks %v", p, m.Shard, m.Chunks)
			}
		}
	}
	if m.DimensionNames != nil && len(m.DimensionNames) != len(m.Shape) {
		return fmt.Errorf("zarr: create %q: %d dimension names for rank %d", p, len(m.DimensionNames), len(m.Shape))
	}
	for i, c := range m.Codecs {
		if b, ok := c.(codec.Blosc); ok && b.TypeSize == 0 {
			b.TypeSize = m.DType.Size()
			m.Codecs[i] = b
		}
	}
	return nil
}

// Meta returns a copy of the array's metadata.
func (a *Array) Meta() Meta {
	m := a.meta
	m.Shape, m.Chunks, m.Shard = slices.Clone(m.Shape), slices.Clone(m.Chunks), slices.Clone(m.Shard)
	m.FillValue = slices.Clone(m.FillValue)
	return m
}

// Chain returns the array's normalised codec chain (of an inner chunk,
// when sharded), the same for a v2 and a v3 array of the same layout.
func (a *Array) Chain() Chain { return a.chn.clone() }

// KeyEncoding returns the array's chunk key encoding (of shard keys, when
// sharded).
func (a *Array) KeyEncoding() KeyEncoding { return a.keys }

// Path returns the array's cleaned path in its store.
func (a *Array) Path() string { return a.path }

// DType implements [nd.Reader].
func (a *Array) DType() nd.DType { return a.meta.DType }

// Shape implements [nd.Reader].
func (a *Array) Shape() []int { return slices.Clone(a.meta.Shape) }

// ChunkShape returns the shape of one stored (inner) chunk.
func (a *Array) ChunkShape() []int { return slices.Clone(a.cs) }

// WriteChunkShape returns the unit of writing: the shard shape when the
// array is sharded, else the chunk shape. Writes aligned to it never read.
func (a *Array) WriteChunkShape() []int { return slices.Clone(a.ws) }

// Attrs returns the array's attributes as read at Open or Create.
func (a *Array) Attrs() map[string]any { return a.meta.Attributes }

// SetAttrs replaces the array's attributes (.zattrs in v2, the attributes
// of zarr.json in v3).
func (a *Array) SetAttrs(ctx context.Context, attrs map[string]any) error {
	a.meta.Attributes = attrs
	if a.meta.ZarrFormat == 2 {
		b, err := json.MarshalIndent(attrs, "", "    ")
		if err != nil {
			return err
		}
		return a.st.Put(ctx, join(a.path, ".zattrs"), b)
	}
	b, err := a.meta.v3JSON()
	if err != nil {
		return err
	}
	return a.st.Put(ctx, join(a.path, "zarr.json"), b)
}

// chunkKey returns the store key of a write chunk (shard) or chunk.
func (a *Array) chunkKey(idx []int) string { return join(a.path, a.keys.Key(idx)) }

// ReadRegion implements [nd.Reader].
func (a *Array) ReadRegion(b nd.Box, dst nd.Any) error {
	return a.ReadRegionContext(context.Background(), b, dst)
}

// ReadRegionContext copies the elements of b into dst, which must have
// shape b.Shape() and the array's dtype. Missing chunks read as fill_value.
func (a *Array) ReadRegionContext(ctx context.Context, b nd.Box, dst nd.Any) error {
	if err := nd.CheckRegion(a.meta.Shape, b, dst, a.meta.DType); err != nil {
		return fmt.Errorf("zarr: %s: %w", a.path, err)
	}
	if b.Empty() {
		return nil
	}
	lo, hi := gridRange(b, a.cs)
	return parallelIndex(lo, hi, func(idx []int) error {
		cb := blockBox(idx, a.cs)
		inter := cb.Intersect(b)
		out := dst.View(inter.Translate(neg(b.Min)))
		raw, key, err := a.fetch(ctx, idx)
		if err != nil {
			return err
		}
		if raw == nil {
			_ = nd.FillBytes(out, a.fill)
			return nil
		}
		bp := a.scratch()
		c, buf, err := a.decode(raw, *bp)
		*bp = buf
		if err == nil {
			err = nd.CopyAny(out, c.View(inter.Translate(neg(cb.Min))))
		}
		a.bufs.Put(bp)
		if err != nil {
			return fmt.Errorf("zarr: %s: %w", key, err)
		}
		return nil
	})
}

// ReadChunk returns the write chunk (shard when sharded) at grid index idx
// as a new C-order array of shape WriteChunkShape(), overhang included as
// fill_value.
func (a *Array) ReadChunk(ctx context.Context, idx []int) (nd.Any, error) {
	if len(idx) != len(a.ws) {
		return nil, fmt.Errorf("zarr: %s: chunk index %v has wrong rank", a.path, idx)
	}
	wb := blockBox(idx, a.ws)
	clip := wb.Intersect(nd.BoxOf(a.meta.Shape))
	out := nd.NewAny(a.meta.DType, a.ws, nd.C)
	_ = nd.FillBytes(out, a.fill)
	if clip.Empty() {
		return nil, fmt.Errorf("zarr: %s: chunk index %v outside the array", a.path, idx)
	}
	if err := a.ReadRegionContext(ctx, clip, out.View(clip.Translate(neg(wb.Min)))); err != nil {
		return nil, err
	}
	return out, nil
}

// WriteChunk stores data as the write chunk (shard when sharded) at grid
// index idx, without reading. data has shape WriteChunkShape() or that
// shape clipped to the array; values in the overhang are ignored.
func (a *Array) WriteChunk(ctx context.Context, idx []int, data nd.Any) error {
	if len(idx) != len(a.ws) {
		return fmt.Errorf("zarr: %s: chunk index %v has wrong rank", a.path, idx)
	}
	wb := blockBox(idx, a.ws)
	clip := wb.Intersect(nd.BoxOf(a.meta.Shape))
	if clip.Empty() {
		return fmt.Errorf("zarr: %s: chunk index %v outside the array", a.path, idx)
	}
	if data.DType() != a.meta.DType {
		return fmt.Errorf("zarr: %s: chunk dtype %v, want %v", a.path, data.DType(), a.meta.DType)
	}
	block := a.block(!clip.Eq(wb))
	src := data
	if slices.Equal(data.Shape(), a.ws) {
		src = data.View(clip.Translate(neg(wb.Min)))
	}
	if err := nd.CopyAny(block.View(clip.Translate(neg(wb.Min))), src); err != nil {
		return fmt.Errorf("zarr: %s: %w", a.path, err)
	}
	return a.putBlock(ctx, idx, block)
}

// WriteRegion implements [nd.Writer].
func (a *Array) WriteRegion(b nd.Box, src nd.Any) error {
	return a.WriteRegionContext(context.Background(), b, src)
}

// WriteRegionContext stores src into the region b. Chunks (shards) that b
// covers completely are written without reading; partly covered ones are
// read, modified and written back.
func (a *Array) WriteRegionContext(ctx context.Context, b nd.Box, src nd.Any) error {
	if err := nd.CheckRegion(a.meta.Shape, b, src, a.meta.DType); err != nil {
		return fmt.Errorf("zarr: %s: %w", a.path, err)
	}
	if b.Empty() {
		return nil
	}
	bounds := nd.BoxOf(a.meta.Shape)
	lo, hi := gridRange(b, a.ws)
	return parallelIndex(lo, hi, func(idx []int) error {
		wb := blockBox(idx, a.ws)
		clip := wb.Intersect(bounds)
		inter := wb.Intersect(b)
		block := a.block(!inter.Eq(wb))
		if !inter.Eq(clip) {
			if err := a.ReadRegionContext(ctx, clip, block.View(clip.Translate(neg(wb.Min)))); err != nil {
				return err
			}
		}
		if err := nd.CopyAny(block.View(inter.Translate(neg(wb.Min))), src.View(inter.Translate(neg(b.Min)))); err != nil {
			return err
		}
		return a.putBlock(ctx, slices.Clone(idx), block)
	})
}

// block returns a write block of shape ws in C order, from the pool when
// one is free. When fill is true every element holds fill_value; else
// the contents are undefined and the caller overwrites all of them.
func (a *Array) block(fill bool) nd.Any {
	if p, ok := a.blocks.Get().(*nd.Any); ok {
		b := *p
		if fill {
			_ = nd.FillBytes(b, a.fill)
		}
		return b
	}
	b := nd.NewAny(a.meta.DType, a.ws, nd.C)
	if fill && !isZero(a.fill) {
		_ = nd.FillBytes(b, a.fill)
	}
	return b
}

// scratch returns a pooled buffer for one chunk's bytes (empty at first).
func (a *Array) scratch() *[]byte {
	if p, ok := a.bufs.Get().(*[]byte); ok {
		return p
	}
	return new([]byte)
}

func isZero(b []byte) bool {
	for _, v := range b {
		if v != 0 {
			return false
		}
	}
	return true
}

// putBlock encodes and stores one write chunk held in block (shape ws, C),
// which it takes over: block goes back to the pool unless the stored
// value is block's own memory (unsharded, no codec), which a store may
// keep.
func (a *Array) putBlock(ctx context.Context, idx []int, block nd.Any) error {
	key := a.chunkKey(idx)
	if a.shard != nil {
		err := a.putShard(ctx, key, block)
		a.blocks.Put(&block)
		return err
	}
	enc, empty, err := a.encodeBlock(block)
	if err != nil {
		return fmt.Errorf("zarr: %s: %w", key, err)
	}
	if empty {
		a.blocks.Put(&block)
		return a.st.Delete(ctx, key)
	}
	if own, _ := nd.AsBytes(block); len(enc) == 0 || len(own) == 0 || &own[0] != &enc[0] {
		defer a.blocks.Put(&block)
	}
	return a.st.Put(ctx, key, enc)
}

// fetch returns the stored bytes of inner chunk idx, or nil if it is
// missing.
func (a *Array) fetch(ctx context.Context, idx []int) ([]byte, string, error) {
	if a.shard == nil {
		key := a.chunkKey(idx)
		b, err := a.st.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil, key, nil
		}
		if err != nil {
			return nil, key, fmt.Errorf("zarr: %s: %w", key, err)
		}
		if int64(len(b)) > 2*a.opts.MaxChunkBytes+1024 {
			return nil, key, fmt.Errorf("zarr: %s: %w: %d bytes", key, codec.ErrLimit, len(b))
		}
		return b, key, nil
	}
	return a.fetchInner(ctx, idx)
}
