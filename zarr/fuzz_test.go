package zarr

import (
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

func FuzzParseV2Meta(f *testing.F) {
	seedMeta(f, "testdata/v2/*/.zarray")
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := ParseV2("fuzz/.zarray", b); err == nil {
			fuzzOpen(t, m)
		}
	})
}

func FuzzParseV3Meta(f *testing.F) {
	seedMeta(f, "testdata/v3/*/zarr.json")
	f.Add([]byte(`{"zarr_format":3,"node_type":"array","shape":[4,4],"data_type":"uint16","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[4,4]}},"chunk_key_encoding":{"name":"default"},"fill_value":"NaN","codecs":[{"name":"sharding_indexed","configuration":{"chunk_shape":[2,2],"codecs":[{"name":"transpose","configuration":{"order":[1,0]}},{"name":"bytes","configuration":{"endian":"big"}},{"name":"gzip","configuration":{"level":1}}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}],"index_location":"start"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := ParseV3("fuzz/zarr.json", b); err == nil {
			fuzzOpen(t, m)
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
