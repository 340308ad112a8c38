package codec

import (
	"bytes"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestParse: every name gives a chain that round-trips data, defaults and
// levels land where documented, and bad names and levels are refused.
func TestParse(t *testing.T) {
	data := bytes.Repeat([]byte("ryomen pyramid "), 1000)
	for _, n := range []string{"none", "zstd", "gzip", "blosc-lz4", "blosc-lz4hc", "blosc-zstd", "blosc-zlib", "blosc-blosclz"} {
		cs, err := Parse(n, -1, 2)
		if err != nil {
			t.Fatal(n, err)
		}
		enc := data
		for _, c := range cs {
			if enc, err = c.Encode(nil, enc); err != nil {
				t.Fatal(n, err)
			}
		}
		for i := len(cs) - 1; i >= 0; i-- {
			if enc, err = cs[i].Decode(nil, enc, 1<<20); err != nil {
				t.Fatal(n, err)
			}
		}
		if !bytes.Equal(enc, data) {
			t.Errorf("%s does not round-trip", n)
		}
	}
	if cs, _ := Parse("zstd", -1, 1); cs[0].(Zstd).Level != 3 {
		t.Error("zstd default level")
	}
	if cs, _ := Parse("blosc-lz4", 7, 1); cs[0].(Blosc).Shuffle != 2 || cs[0].(Blosc).CLevel != 7 {
		t.Error("blosc on bytes: bit shuffle, level 7")
	}
	for _, bad := range []struct {
		n string
		l int
	}{{"lzma", -1}, {"blosc-xz", -1}, {"gzip", 12}, {"zstd", 23}} {
		if _, err := Parse(bad.n, bad.l, 2); err == nil {
			t.Errorf("%s level %d accepted", bad.n, bad.l)
		}
	}
}

// TestZstdStreamedSmallFrame: a frame from a streaming encoder decodes
// under a limit of exactly its content's size, and a smaller limit is
// refused. (The frames whose declared window exceeds such a limit, as in
// tiff/testdata/zstd-pred-be-i2.tif, are covered by tiff's TestFixtures,
// which now decode through this codec.)
func TestZstdStreamedSmallFrame(t *testing.T) {
	content := bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, 48) // 336 bytes
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	w.Close()
	got, err := Zstd{}.Decode(nil, buf.Bytes(), len(content))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("decode: %v (%d bytes)", err, len(got))
	}
	if _, err := (Zstd{}).Decode(nil, buf.Bytes(), len(content)-1); err == nil {
		t.Fatal("content over the limit accepted")
	}
}
