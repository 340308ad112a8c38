package codec

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

const fuzzLimit = 1 << 22

func seedFixtures(f *testing.F, prefix string) {
	ms, _ := filepath.Glob(filepath.Join("testdata/numcodecs", prefix+"*"))
	for _, m := range ms {
		b, err := os.ReadFile(m)
		if err == nil && len(b) < 1<<16 {
			f.Add(b)
		}
	}
}

// FuzzBloscDecode: hostile blosc frames give errors, never panics, and
// never more output than the limit; what decodes re-encodes and round
// trips.
func FuzzBloscDecode(f *testing.F) {
	seedFixtures(f, "blosc-")
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := (Blosc{}).Decode(nil, b, fuzzLimit)
		if err != nil {
			return
		}
		if len(out) > fuzzLimit {
			t.Fatalf("%d bytes past the limit", len(out))
		}
		c := Blosc{CName: "lz4", CLevel: 5, Shuffle: 1, TypeSize: int(b[3])}
		enc, err := c.Encode(nil, out)
		if err != nil {
			t.Fatal(err)
		}
		back, err := c.Decode(nil, enc, len(out))
		if err != nil || !bytes.Equal(back, out) {
			t.Fatalf("re-encoded frame does not round trip: %v", err)
		}
	})
}

// FuzzBlosclz: our encoder and decoder are inverses on any input, and the
// decoder survives any input.
func FuzzBlosclz(f *testing.F) {
	f.Add([]byte("abcabcabcabcabcabcabcabc xyz xyz xyz"), []byte{0x1f, 0, 0})
	f.Add(bytes.Repeat([]byte{7}, 300), []byte{0xe0, 255, 3})
	f.Fuzz(func(t *testing.T, data, junk []byte) {
		enc := blosclzEncode(nil, data)
		dec := make([]byte, len(data))
		if n, err := blosclzDecode(dec, enc); err != nil || n != len(data) || !bytes.Equal(dec, data) {
			t.Fatalf("round trip of %d bytes: n=%d err=%v", len(data), n, err)
		}
		out := make([]byte, 1024)
		blosclzDecode(out, junk) // must not panic
	})
}

// FuzzDecoders feeds arbitrary bytes to every other decoder.
func FuzzDecoders(f *testing.F) {
	seedFixtures(f, "zstd-")
	seedFixtures(f, "gzip-")
	seedFixtures(f, "zlib-")
	seedFixtures(f, "lz4-")
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, c := range []Codec{Zstd{}, Gzip{}, Zlib{}, LZ4{}, CRC32C{}} {
			out, err := c.Decode(nil, b, fuzzLimit)
			if err == nil && len(out) > fuzzLimit {
				t.Fatalf("%s: %d bytes past the limit", c.Name(), len(out))
			}
		}
	})
}

// FuzzShuffle: the shuffles invert each other for any bytes and type size.
func FuzzShuffle(f *testing.F) {
	f.Add([]byte("0123456789abcdefghij"), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, ts uint8) {
		n := int(ts%17) + 1
		a, c := make([]byte, len(b)), make([]byte, len(b))
		Shuffle(a, b, n)
		Unshuffle(c, a, n)
		if !bytes.Equal(c, b) {
			t.Fatal("byte shuffle")
		}
		BitShuffle(a, b, n)
		BitUnshuffle(c, a, n)
		if !bytes.Equal(c, b) {
			t.Fatal("bit shuffle")
		}
	})
}
