package zarr

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func seedMeta(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// fuzzOpen checks that parsed metadata passes the size limits newArray
// enforces (so no chunk buffer above MaxChunkBytes is ever allocated).
func fuzzOpen(t *testing.T, m *Meta) {
	a, err := newArray(nil, "", *m, Options{MaxChunkBytes: 1 << 20}, "fuzz")
	if err != nil {
		return
	}
	if a.chunkBytes > 1<<20 {
		t.Fatalf("chunk of %d bytes accepted", a.chunkBytes)
	}
}

// fuzzFill checks that accepted metadata, written back by us, parses again
// with the same fill bytes (v2 has a single NaN, so there only NaN-ness
// must survive).
func fuzzFill(t *testing.T, m *Meta) {
	var b []byte
	var err error
	var m2 *Meta
	if m.ZarrFormat == 2 {
		if b, err = m.v2JSON(); err == nil {
			m2, err = ParseV2("again/.zarray", b)
		}
	} else if b, err = m.v3JSON(); err == nil {
		m2, err = ParseV3("again/zarr.json", b)
	}
	if err != nil {
		t.Fatalf("our own metadata does not parse: %v\n%s", err, b)
	}
	if !bytes.Equal(m.FillValue, m2.FillValue) && !(m.ZarrFormat == 2 && math.IsNaN(m.FillFloat64()) && math.IsNaN(m2.FillFloat64())) {
		t.Fatalf("fill %x written as %s reads back as %x", m.FillValue, b, m2.FillValue)
	}
}

func FuzzParseV2Meta(f *testing.F) {
	seedMeta(f, "testdata/v2/*/.zarray")
	seedMeta(f, "testdata/fill/*/.zarray")
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := ParseV2("fuzz/.zarray", b); err == nil {
			fuzzOpen(t, m)
			fuzzFill(t, m)
		}
	})
}

func FuzzParseV3Meta(f *testing.F) {
	seedMeta(f, "testdata/v3/*/zarr.json")
	f.Add([]byte(`{"zarr_format":3,"node_type":"array","shape":[4,4],"data_type":"uint16","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[4,4]}},"chunk_key_encoding":{"name":"default"},"fill_value":"NaN","codecs":[{"name":"sharding_indexed","configuration":{"chunk_shape":[2,2],"codecs":[{"name":"transpose","configuration":{"order":[1,0]}},{"name":"bytes","configuration":{"endian":"big"}},{"name":"gzip","configuration":{"level":1}}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}],"index_location":"start"}}]}`))
	for _, c := range [][2]string{{"bool", "true"}, {"float16", `"0x7e01"`}, {"int64", "-9223372036854775808"}, {"uint64", "18446744073709551615"}, {"float32", `"-Infinity"`}} {
		f.Add([]byte(`{"zarr_format":3,"node_type":"array","shape":[3],"data_type":"` + c[0] + `","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2]}},"chunk_key_encoding":{"name":"default"},"fill_value":` + c[1] + `,"codecs":[]}`))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := ParseV3("fuzz/zarr.json", b); err == nil {
			fuzzOpen(t, m)
			fuzzFill(t, m)
		}
	})
}

func FuzzShardIndex(f *testing.F) {
	f.Add([]byte{}, uint16(0), true)
	f.Add(make([]byte, 68), uint16(4), true)
	f.Add(make([]byte, 64), uint16(4), false)
	f.Fuzz(func(t *testing.T, b []byte, n uint16, crc bool) {
		e, err := ParseShardIndex(b, int(n), crc)
		if err == nil && len(e) != 2*int(n) {
			t.Fatalf("%d entries for n=%d", len(e), n)
		}
	})
}

// FuzzKeyEncoding: Parse never panics, and a key it accepts is canonical:
// Key of the parsed index gives the key back, for every encoding.
func FuzzKeyEncoding(f *testing.F) {
	for _, s := range []string{"c/0/3/1", "0.3.1", "c", "0", "c.1.2.3", "01.2", "c//", "9223372036854775807.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		for _, e := range []KeyEncoding{
			{Rank: 3, Prefix: true, Separator: "/"}, {Rank: 3, Prefix: true, Separator: "."},
			{Rank: 3, Separator: "."}, {Rank: 3, Separator: "/"}, {Rank: 0, Prefix: true, Separator: "/"},
			{Rank: 0, Separator: "."}, {Rank: 1, Separator: "."},
		} {
			idx, err := e.Parse(key)
			if err != nil {
				continue
			}
			if len(idx) != e.Rank {
				t.Fatalf("%+v: Parse(%q) = %v", e, key, idx)
			}
			if k := e.Key(idx); k != key {
				t.Fatalf("%+v: Parse(%q) = %v, whose key is %q", e, key, idx, k)
			}
		}
	})
}
