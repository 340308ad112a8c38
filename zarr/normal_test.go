package zarr

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
)

// The v2 and v3 metadata of one layout (F order as a reversing transpose,
// big-endian uint16, one zstd compressor, "/"-separated keys without the
// "c" prefix) normalise to the same chain and key encoding.
func TestNormaliseV2V3Equal(t *testing.T) {
	v2 := `{"zarr_format":2,"shape":[5,6,7],"chunks":[2,3,4],"dtype":">u2",
		"compressor":{"id":"zstd","level":3},"fill_value":0,"order":"F","filters":null,
		"dimension_separator":"/"}`
	v3 := `{"zarr_format":3,"node_type":"array","shape":[5,6,7],"data_type":"uint16",
		"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2,3,4]}},
		"chunk_key_encoding":{"name":"v2","configuration":{"separator":"/"}},
		"fill_value":0,"codecs":[{"name":"transpose","configuration":{"order":[2,1,0]}},
		{"name":"bytes","configuration":{"endian":"big"}},
		{"name":"zstd","configuration":{"level":3,"checksum":false}}]}`
	m2, err := ParseV2("a/.zarray", []byte(v2))
	if err != nil {
		t.Fatal(err)
	}
	m3, err := ParseV3("a/zarr.json", []byte(v3))
	if err != nil {
		t.Fatal(err)
	}
	want := Chain{
		ArrayToArray: []Transpose{{Order: []int{2, 1, 0}}},
		ArrayToBytes: BytesCodec{BigEndian: true},
		BytesToBytes: []codec.Codec{codec.Zstd{Level: 3}},
	}
	for _, m := range []*Meta{m2, m3} {
		if c := m.Chain(); !reflect.DeepEqual(c, want) {
			t.Errorf("v%d chain %+v, want %+v", m.ZarrFormat, c, want)
		}
		if e := m.KeyEncoding(); e != (KeyEncoding{Rank: 3, Separator: "/"}) {
			t.Errorf("v%d key encoding %+v", m.ZarrFormat, e)
		}
	}
	// The arrays built from both read the same stored chunk the same way.
	ctx := context.Background()
	st := store.NewMemory()
	src := nd.NewAny(nd.Uint16, []int{5, 6, 7}, nd.C)
	s := src.(*nd.Array[uint16])
	for i := range s.Data() {
		s.Data()[i] = uint16(i*257 + 1)
	}
	w, err := Create(ctx, st, "v2", *m2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRegion(nd.BoxOf(w.Shape()), src); err != nil {
		t.Fatal(err)
	}
	keys, _ := st.List(ctx, "v2/")
	for _, k := range keys {
		if !IsMetadataKey(k) {
			b, _ := st.Get(ctx, k)
			_ = st.Put(ctx, "v3/"+k[len("v2/"):], b)
		}
	}
	if _, err := Create(ctx, st, "v3", *m3, nil); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, st, "v3")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Chain(), w.Chain()) || r.KeyEncoding() != w.KeyEncoding() {
		t.Fatalf("opened v3 %+v %+v, created v2 %+v %+v", r.Chain(), r.KeyEncoding(), w.Chain(), w.KeyEncoding())
	}
	got := nd.NewAny(nd.Uint16, []int{5, 6, 7}, nd.C)
	if err := r.ReadRegion(nd.BoxOf(r.Shape()), got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.(*nd.Array[uint16]).Data(), s.Data()) {
		t.Fatal("v3 array over v2 chunks reads different values")
	}
}

// Identity transposes and 1-byte big-endian dtypes normalise away; a v3
// "C" transpose is the identity, and v2 F order of a 1-d array too.
func TestNormaliseIdentities(t *testing.T) {
	for _, m := range []Meta{
		{ZarrFormat: 3, Shape: []int{4, 4}, DType: nd.Uint8, BigEndian: true, Transpose: []int{0, 1}},
		{ZarrFormat: 2, Shape: []int{4}, DType: nd.Float32, Order: nd.F},
	} {
		if c := m.Chain(); !reflect.DeepEqual(c, Chain{}) {
			t.Errorf("%+v: chain %+v, want the empty chain", m, c)
		}
	}
	c := Chain{ArrayToArray: []Transpose{{Order: []int{1, 2, 0}}, {Order: []int{1, 2, 0}}}}
	// stored axis i = logical axis p1[p2[i]]: [1,2,0]∘[1,2,0] = [2,0,1]
	if p := c.perm(); !slices.Equal(p, []int{2, 0, 1}) {
		t.Errorf("composed perm %v", p)
	}
	c.ArrayToArray = append(c.ArrayToArray, Transpose{Order: []int{1, 2, 0}})
	if p := c.perm(); p != nil {
		t.Errorf("three rotations compose to %v, want the identity (nil)", p)
	}
}

// Parse inverts Key for every encoding, and refuses keys of other
// encodings, ranks, or non-canonical numbers, naming the key.
func TestKeyEncodingParse(t *testing.T) {
	for _, e := range []KeyEncoding{
		{Rank: 3, Prefix: true, Separator: "/"}, {Rank: 3, Prefix: true, Separator: "."},
		{Rank: 3, Separator: "."}, {Rank: 3, Separator: "/"},
		{Rank: 0, Prefix: true, Separator: "/"}, {Rank: 0, Separator: "."},
	} {
		idx := []int{7, 0, 123456789}[:e.Rank]
		k := e.Key(idx)
		got, err := e.Parse(k)
		if err != nil || !slices.Equal(got, idx) {
			t.Errorf("%+v: Parse(%q) = %v, %v", e, k, got, err)
		}
	}
	e := KeyEncoding{Rank: 2, Prefix: true, Separator: "/"}
	for _, bad := range []string{"0/1", "c/0", "c/0/1/2", "c/01/2", "c/-1/2", "c.0.1", "c/a/1", "c//1"} {
		if _, err := e.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		} else if !strings.Contains(err.Error(), strconv.Quote(bad)) {
			t.Errorf("Parse(%q): error %q does not quote the key", bad, err)
		}
	}
}

// The metadata Create writes comes from the normalised form: opening it
// gives back the same chain and key encoding, for v2 and v3 layouts, and
// an identity transpose is not written.
func TestNormaliseRoundTrip(t *testing.T) {
	ctx := context.Background()
	for i, m := range []Meta{
		{ZarrFormat: 2},
		{ZarrFormat: 2, Order: nd.F, BigEndian: true, DimensionSeparator: "/", Compressor: codec.Zlib{Level: 2}},
		{ZarrFormat: 2, Codecs: []codec.Codec{codec.Gzip{Level: 4}}},
		{ZarrFormat: 3},
		{ZarrFormat: 3, Order: nd.F, ChunkKeyEncoding: "v2", DimensionSeparator: "/"},
		{ZarrFormat: 3, Transpose: []int{0, 1, 2}, BigEndian: true, Codecs: []codec.Codec{codec.Zstd{Level: 2}, codec.CRC32C{}}},
		{ZarrFormat: 3, Transpose: []int{2, 0, 1}, DimensionSeparator: ".", Shard: []int{4, 4, 4}, Compressor: codec.Gzip{Level: 1}},
	} {
		m.Shape, m.Chunks, m.DType = []int{8, 8, 8}, []int{2, 2, 2}, nd.Int32
		st := store.NewMemory()
		a, err := Create(ctx, st, "x", m, nil)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		r, err := Open(ctx, st, "x")
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if !reflect.DeepEqual(r.Chain(), a.Chain()) || r.KeyEncoding() != a.KeyEncoding() {
			t.Errorf("%d: created %+v %+v, opened %+v %+v", i, a.Chain(), a.KeyEncoding(), r.Chain(), r.KeyEncoding())
		}
		if want := m.Chain(); !reflect.DeepEqual(a.Chain(), want) {
			t.Errorf("%d: created chain %+v, Meta.Chain %+v", i, a.Chain(), want)
		}
		if b, _ := st.Get(ctx, "x/zarr.json"); m.Transpose != nil && isIdentity(m.Transpose) && strings.Contains(string(b), "transpose") {
			t.Errorf("%d: identity transpose written: %s", i, b)
		}
	}
}
