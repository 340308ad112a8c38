package zarr

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
)

func ramp[T nd.Number](shape []int) *nd.Array[T] {
	a := nd.New[T](shape, nd.C)
	d := a.Data()
	for i := range d {
		d[i] = T(i%120 + 1)
	}
	return a
}

// asDType returns a converted to dt (a itself when dt is uint16). For bool
// the values are taken mod 2 first, so both values occur.
func asDType(a *nd.Array[uint16], dt nd.DType) nd.Any {
	if dt == nd.Uint16 {
		return a
	}
	src := a.Clone(nd.C)
	if dt == nd.DTypeBool {
		for i, v := range src.Data() {
			src.Data()[i] = v % 2
		}
	}
	out := nd.NewAny(dt, a.Shape(), nd.C)
	if err := nd.ConvertAny(out, src); err != nil {
		panic(err)
	}
	return out
}

func bytesC(a nd.Any) []byte {
	c := nd.NewAny(a.DType(), a.Shape(), nd.C)
	_ = nd.CopyAny(c, a)
	b, _ := nd.AsBytes(c)
	return b
}

// roundTrip writes a ramp of m.DType (and a patch of 7s over it), reads it
// back whole and as an F-order sub-box, and compares bytes.
func roundTrip(t *testing.T, m Meta) {
	t.Helper()
	ctx := context.Background()
	st := store.NewMemory()
	a, err := Create(ctx, st, "g/arr", m, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := asDType(ramp[uint16](m.Shape), m.DType)
	if err := a.WriteRegion(nd.BoxOf(m.Shape), want); err != nil {
		t.Fatal(err)
	}
	// partial overwrite
	sub := nd.NewBox([]int{1, 2, 3}, []int{4, 6, 5})
	patch := nd.New[uint16](sub.Shape(), nd.C)
	patch.Fill(7)
	if err := a.WriteRegion(sub, asDType(patch, m.DType)); err != nil {
		t.Fatal(err)
	}
	_ = nd.CopyAny(want.View(sub), asDType(patch, m.DType))
	b, err := Open(ctx, st, "/g/arr/")
	if err != nil {
		t.Fatal(err)
	}
	got := nd.NewAny(m.DType, m.Shape, nd.C)
	if err := b.ReadRegion(nd.BoxOf(m.Shape), got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bytesC(got), bytesC(want)) {
		t.Fatalf("%+v: read differs", m)
	}
	r := nd.NewBox([]int{2, 1, 0}, []int{5, 9, 7})
	g2 := nd.NewAny(m.DType, r.Shape(), nd.F)
	if err := b.ReadRegion(r, g2); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bytesC(g2), bytesC(want.View(r))) {
		t.Fatalf("%+v: sub-read differs", m)
	}
	if _, _, err := GroupAttrs(ctx, st, "g"); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	shape, chunks := []int{6, 10, 7}, []int{4, 3, 5}
	for _, m := range []Meta{
		{ZarrFormat: 2, Order: nd.C},
		{ZarrFormat: 2, Order: nd.F, DimensionSeparator: "/", BigEndian: true, Compressor: codec.Gzip{Level: 1}},
		{ZarrFormat: 2, FillValue: FillOf(uint16(7))},
		{ZarrFormat: 3},
		{ZarrFormat: 3, Order: nd.F, BigEndian: true, Codecs: []codec.Codec{codec.Gzip{Level: 5}, codec.CRC32C{}}},
		{ZarrFormat: 3, Transpose: []int{1, 2, 0}, ChunkKeyEncoding: "v2"},
		{ZarrFormat: 3, Shard: []int{8, 6, 10}, Codecs: []codec.Codec{codec.Gzip{Level: 1}}},
		{ZarrFormat: 3, Shard: []int{4, 6, 5}, IndexAtStart: true, NoIndexCRC32C: true, FillValue: FillOf(uint16(7))},
	} {
		m.Shape, m.Chunks, m.DType = shape, chunks, nd.Uint16
		t.Run(fmt.Sprintf("v%d_%v_%v", m.ZarrFormat, m.Order, m.Shard), func(t *testing.T) { roundTrip(t, m) })
	}
}

func TestFillAndMissing(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	a, err := Create(ctx, st, "f", Meta{ZarrFormat: 2, Shape: []int{5, 5}, Chunks: []int{2, 2}, DType: nd.Float32, FillValue: FillOf(float32(math.NaN()))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	z, _ := st.Get(ctx, "f/.zarray")
	if !strings.Contains(string(z), `"NaN"`) {
		t.Fatalf(".zarray %s", z)
	}
	got := nd.New[float32]([]int{5, 5}, nd.C)
	if err := a.ReadRegion(nd.BoxOf([]int{5, 5}), got); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(float64(got.At(4, 4))) {
		t.Fatal("missing chunk not NaN")
	}
	// An all-fill write stores nothing.
	if err := a.WriteRegion(nd.BoxOf([]int{5, 5}), got); err != nil {
		t.Fatal(err)
	}
	keys, _ := st.List(ctx, "f/")
	if len(keys) != 1 {
		t.Fatalf("keys %v", keys)
	}
}

func TestShardRanges(t *testing.T) {
	ctx := context.Background()
	st := &countStore{Memory: store.NewMemory()}
	a, err := Create(ctx, st, "", Meta{Shape: []int{8, 8}, Chunks: []int{2, 2}, Shard: []int{8, 8}, DType: nd.Uint8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.WriteChunk(ctx, []int{0, 0}, ramp[uint8]([]int{8, 8})); err != nil {
		t.Fatal(err)
	}
	st.gets.Store(0)
	got := nd.New[uint8]([]int{2, 2}, nd.C)
	if err := a.ReadRegion(nd.NewBox([]int{2, 4}, []int{4, 6}), got); err != nil {
		t.Fatal(err)
	}
	// The index is known from the write: one ranged read, no index read.
	if st.gets.Load() != 1 {
		t.Fatalf("%d reads for one inner chunk after writing its shard, want 1", st.gets.Load())
	}
	if got.At(0, 0) != 2*8+4+1 {
		t.Fatalf("got %v", got.Data())
	}
	c, err := a.ReadChunk(ctx, []int{0, 0})
	if err != nil || c.Len() != 64 {
		t.Fatal(err)
	}
}

type countStore struct {
	*store.Memory
	gets atomic.Int64
}

func (s *countStore) Get(ctx context.Context, k string) ([]byte, error) {
	s.gets.Add(1)
	return s.Memory.Get(ctx, k)
}
func (s *countStore) GetRange(ctx context.Context, k string, o, n int64) ([]byte, error) {
	s.gets.Add(1)
	return s.Memory.GetRange(ctx, k, o, n)
}
func (s *countStore) GetSuffix(ctx context.Context, k string, n int64) ([]byte, error) {
	s.gets.Add(1)
	return s.Memory.GetSuffix(ctx, k, n)
}

func TestParseErrors(t *testing.T) {
	_, err := ParseV2("raw/.zarray", []byte(`{"zarr_format":2,"shape":[2],"chunks":[2],"dtype":"<c8","compressor":null,"fill_value":0,"order":"C","filters":null}`))
	if err == nil || err.Error() != `zarr: raw/.zarray: dtype "<c8" (complex) is not supported` {
		t.Fatal(err)
	}
	rank := strings.Repeat("1,", 40) + "1"
	_, err = ParseV3("zarr.json", []byte(`{"zarr_format":3,"node_type":"array","shape":[`+rank+`],"data_type":"uint8","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[`+rank+`]}},"chunk_key_encoding":{"name":"default"},"fill_value":0,"codecs":[{"name":"bytes"}]}`))
	if err == nil {
		t.Fatal("rank 41 accepted")
	}
}
