package codec

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// fuzzLimit is the decode limit of the fuzz targets: what they may
// allocate for output.
const fuzzLimit = 1 << 24

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

// fuzzCodec checks c on fuzzer input b: encoding b and decoding it gives
// b back (differential round trip through our encoder), and decoding b
// itself as a hostile chunk gives an error or at most fuzzLimit bytes,
// never a panic.
func fuzzCodec(t *testing.T, c Codec, b []byte) {
	enc, err := c.Encode(nil, b)
	if err != nil {
		t.Fatalf("%s: encode %d bytes: %v", c.Name(), len(b), err)
	}
	dec, err := c.Decode(nil, enc, len(b))
	if err != nil || !bytes.Equal(dec, b) {
		t.Fatalf("%s: round trip of %d bytes: %v", c.Name(), len(b), err)
	}
	if out, err := c.Decode(nil, b, fuzzLimit); err == nil && len(out) > fuzzLimit {
		t.Fatalf("%s: %d bytes past the limit", c.Name(), len(out))
	}
}

// FuzzLZ4: numcodecs-framed LZ4 round trips any input and survives any
// chunk.
func FuzzLZ4(f *testing.F) {
	seedFixtures(f, "lz4-")
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 0x1f, 0})
	f.Fuzz(func(t *testing.T, b []byte) { fuzzCodec(t, LZ4{}, b) })
}

// FuzzZstd: zstd round trips any input and survives any chunk.
func FuzzZstd(f *testing.F) {
	seedFixtures(f, "zstd-")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzCodec(t, Zstd{}, b) })
}

// FuzzDecoders feeds arbitrary bytes to the other decoders.
func FuzzDecoders(f *testing.F) {
	seedFixtures(f, "gzip-")
	seedFixtures(f, "zlib-")
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, c := range []Codec{Gzip{}, Zlib{}, CRC32C{}} {
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
