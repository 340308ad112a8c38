package codec

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
)

type fixture struct {
	Enc, Raw string
	Config   map[string]any
}

func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/numcodecs/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Cases []fixture }
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.Cases
}

// typeSize returns the element size encoded in a raw fixture's name
// ("u2-n777.raw" -> 2).
func typeSize(raw string) int {
	var k byte
	var n int
	fmt.Sscanf(raw, "%c%d", &k, &n)
	return n
}

// fromConfig builds our codec from a numcodecs configuration.
func fromConfig(t testing.TB, c map[string]any, ts int) Codec {
	num := func(k string) int {
		v, _ := c[k].(float64)
		return int(v)
	}
	switch c["id"] {
	case "blosc":
		return Blosc{CName: c["cname"].(string), CLevel: num("clevel"), Shuffle: num("shuffle"), TypeSize: ts, BlockSize: num("blocksize")}
	case "zstd":
		return Zstd{Level: num("level")}
	case "gzip":
		return Gzip{Level: num("level")}
	case "zlib":
		return Zlib{Level: num("level")}
	case "lz4":
		return LZ4{}
	}
	t.Fatalf("unknown codec %v", c)
	return nil
}

// Every chunk numcodecs 0.11 (c-blosc 1.21) wrote decodes to its input
// exactly: 6 blosc compressors x 3 shuffles x 2 block sizes x 4 dtypes,
// clevel 0, and zstd, gzip, zlib and lz4.
func TestDecodeNumcodecsFixtures(t *testing.T) {
	cases := loadFixtures(t)
	if len(cases) < 280 {
		t.Fatalf("only %d fixtures", len(cases))
	}
	for _, c := range cases {
		enc, err := os.ReadFile(filepath.Join("testdata/numcodecs", c.Enc))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join("testdata/numcodecs", c.Raw))
		if err != nil {
			t.Fatal(err)
		}
		cd := fromConfig(t, c.Config, typeSize(c.Raw))
		got, err := cd.Decode(nil, enc, len(raw))
		if err != nil {
			t.Errorf("%s: %v", c.Enc, err)
			continue
		}
		if !bytes.Equal(got, raw) {
			t.Errorf("%s: decoded %d bytes differ from the %d-byte input", c.Enc, len(got), len(raw))
		}
		// A limit one byte short must refuse, not truncate.
		if len(raw) > 0 {
			if _, err := cd.Decode(nil, enc, len(raw)-1); !errors.Is(err, ErrLimit) {
				t.Errorf("%s: limit %d: %v, want ErrLimit", c.Enc, len(raw)-1, err)
			}
		}
	}
}

func smooth(n, ts int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n*ts)
	for i := 0; i < n; i++ {
		v := uint64(1000+800*math.Sin(float64(i)/23)) + uint64(r.IntN(8))
		for k := 0; k < ts; k++ {
			b[i*ts+k] = byte(v >> (8 * (k % 8)))
		}
	}
	return b
}

func allCodecs(ts int) []Codec {
	cs := []Codec{Zstd{}, Zstd{Level: 9, Checksum: true}, Gzip{Level: 1}, Gzip{Level: 9}, Zlib{}, LZ4{}, CRC32C{}}
	for _, cn := range []string{"blosclz", "lz4", "lz4hc", "zstd", "zlib", "snappy"} {
		for sh := 0; sh <= 2; sh++ {
			cs = append(cs, Blosc{CName: cn, CLevel: 5, Shuffle: sh, TypeSize: ts})
		}
	}
	cs = append(cs, Blosc{CName: "lz4", CLevel: 0, TypeSize: ts}, Blosc{CName: "lz4", CLevel: 9, Shuffle: 1, TypeSize: ts, BlockSize: 256})
	return cs
}

// Round trips across sizes around every boundary (0, 1, odd, blocks of
// 128, big), every type size 1..16, random and smooth data.
func TestRoundTrip(t *testing.T) {
	for _, ts := range []int{1, 2, 3, 4, 7, 8, 16} {
		sizes := []int{0, 1, 7, 8, 127, 128, 129, 1000}
		if ts <= 2 {
			sizes = append(sizes, 70001) // several blocks
		}
		for _, n := range sizes {
			for _, data := range [][]byte{smooth(n, ts, uint64(n)), randomBytes(n*ts, uint64(ts))} {
				for _, c := range allCodecs(ts) {
					enc, err := c.Encode([]byte("prefix"), data)
					if err != nil {
						t.Fatalf("%#v n=%d: encode: %v", c, n, err)
					}
					if !bytes.HasPrefix(enc, []byte("prefix")) {
						t.Fatalf("%#v: Encode did not append", c)
					}
					dec, err := c.Decode([]byte("x"), enc[6:], len(data))
					if err != nil {
						t.Fatalf("%#v n=%d ts=%d: decode: %v", c, n, ts, err)
					}
					if !bytes.Equal(dec[1:], data) || dec[0] != 'x' {
						t.Fatalf("%#v n=%d ts=%d: round trip differs", c, n, ts)
					}
				}
			}
		}
	}
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// Truncating a valid encoding at every position gives an error (or, for
// formats without a length, at worst a short output), never a panic; and
// flipping bytes never panics.
func TestCorrupt(t *testing.T) {
	data := smooth(3001, 2, 5)
	for _, c := range allCodecs(2) {
		enc, err := c.Encode(nil, data)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(enc); i += 1 + len(enc)/200 {
			if out, err := c.Decode(nil, enc[:i], len(data)); err == nil && bytes.Equal(out, data) {
				t.Fatalf("%#v: truncation at %d of %d decoded to the full input", c, i, len(enc))
			}
		}
		r := rand.New(rand.NewPCG(7, 7))
		for k := 0; k < 200; k++ {
			bad := bytes.Clone(enc)
			bad[r.IntN(len(bad))] ^= byte(1 + r.IntN(255))
			c.Decode(nil, bad, len(data)) // must not panic
		}
	}
}

// A blosc header that claims 2 GiB with a tiny body is refused before any
// allocation of that size.
func TestBloscHugeHeader(t *testing.T) {
	h := make([]byte, 16+16)
	h[0], h[1], h[2], h[3] = 2, 1, 0x1, 1 // version, versionlz, flags (shuffle), typesize
	binary.LittleEndian.PutUint32(h[4:], 1<<31-1)
	binary.LittleEndian.PutUint32(h[8:], 1<<16)
	binary.LittleEndian.PutUint32(h[12:], uint32(len(h)))
	if _, err := (Blosc{}).Decode(nil, h, 1<<20); !errors.Is(err, ErrLimit) {
		t.Fatalf("got %v, want ErrLimit", err)
	}
	if _, err := (Blosc{}).Decode(nil, h, 1<<31); err == nil {
		t.Fatal("a 2 GiB claim with a 32-byte body decoded")
	}
	if _, err := (Zstd{}).Decode(nil, mustEncode(t, Zstd{}, make([]byte, 1<<20)), 1000); !errors.Is(err, ErrLimit) {
		t.Fatalf("zstd over the limit: %v", err)
	}
	if _, err := (Gzip{}).Decode(nil, mustEncode(t, Gzip{}, make([]byte, 1<<20)), 1000); !errors.Is(err, ErrLimit) {
		t.Fatalf("gzip over the limit: %v", err)
	}
	if _, err := (LZ4{}).Decode(nil, mustEncode(t, LZ4{}, make([]byte, 1<<20)), 1000); !errors.Is(err, ErrLimit) {
		t.Fatalf("lz4 over the limit: %v", err)
	}
}

func mustEncode(t testing.TB, c Codec, b []byte) []byte {
	t.Helper()
	e, err := c.Encode(nil, b)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCRC32C(t *testing.T) {
	// The CRC-32C of "123456789" is 0xE3069283 (RFC 3720).
	enc := mustEncode(t, CRC32C{}, []byte("123456789"))
	if got := binary.LittleEndian.Uint32(enc[9:]); got != 0xE3069283 {
		t.Fatalf("crc32c %#x", got)
	}
	enc[0] ^= 1
	if _, err := (CRC32C{}).Decode(nil, enc, 100); err == nil {
		t.Fatal("corrupted data passed the checksum")
	}
}

// Shuffles invert each other for every size and type size.
func TestShuffles(t *testing.T) {
	for _, ts := range []int{1, 2, 3, 4, 8, 16} {
		for _, n := range []int{0, 1, 5, 8, 9, 64, 65, 1000} {
			src := randomBytes(n*ts, uint64(n))
			a, b := make([]byte, len(src)), make([]byte, len(src))
			Shuffle(a, src, ts)
			Unshuffle(b, a, ts)
			if !bytes.Equal(b, src) {
				t.Fatalf("byte shuffle ts=%d n=%d", ts, n)
			}
			BitShuffle(a, src, ts)
			BitUnshuffle(b, a, ts)
			if !bytes.Equal(b, src) {
				t.Fatalf("bit shuffle ts=%d n=%d", ts, n)
			}
		}
	}
	// Byte shuffle golden: elements 0x0201, 0x0403 -> 01 03 02 04.
	dst := make([]byte, 4)
	Shuffle(dst, []byte{1, 2, 3, 4}, 2)
	if !bytes.Equal(dst, []byte{1, 3, 2, 4}) {
		t.Fatalf("shuffle golden: %v", dst)
	}
}

// Our encodings decode in numcodecs 0.11 (c-blosc 1.21), exactly, across
// the same matrix as the fixtures: one Python process checks them all.
func TestNumcodecsDecodesOurs(t *testing.T) {
	py := testtool.PythonWith(t, "numcodecs")
	dir := t.TempDir()
	type job struct {
		Enc, Raw string
		Config   map[string]any
	}
	var jobs []job
	id := 0
	for _, ts := range []int{1, 2, 4, 8} {
		for _, n := range []int{1, 777, 3001} {
			raw := smooth(n, ts, uint64(ts*n))
			rawName := fmt.Sprintf("raw-%d-%d", ts, n)
			os.WriteFile(filepath.Join(dir, rawName), raw, 0o644)
			var cs []Codec
			for _, cn := range []string{"blosclz", "lz4", "lz4hc", "zstd", "zlib", "snappy"} {
				for sh := 0; sh <= 2; sh++ {
					for _, bs := range []int{0, 1024} {
						cs = append(cs, Blosc{CName: cn, CLevel: 5, Shuffle: sh, TypeSize: ts, BlockSize: bs})
					}
				}
			}
			cs = append(cs, Blosc{CName: "lz4", CLevel: 0, TypeSize: ts}, Zstd{Level: 3}, Gzip{Level: 5}, Zlib{Level: 5}, LZ4{})
			for _, c := range cs {
				enc := mustEncode(t, c, raw)
				name := fmt.Sprintf("enc-%d", id)
				id++
				os.WriteFile(filepath.Join(dir, name), enc, 0o644)
				jobs = append(jobs, job{Enc: name, Raw: rawName, Config: map[string]any{"id": c.Name()}})
			}
		}
	}
	js, _ := json.Marshal(jobs)
	os.WriteFile(filepath.Join(dir, "jobs.json"), js, 0o644)
	script := `import json, sys, os, numcodecs
d = sys.argv[1]
bad = []
for j in json.load(open(os.path.join(d, "jobs.json"))):
    enc = open(os.path.join(d, j["Enc"]), "rb").read()
    raw = open(os.path.join(d, j["Raw"]), "rb").read()
    c = numcodecs.get_codec({"id": j["Config"]["id"]})
    try:
        out = bytes(c.decode(enc))
    except Exception as e:
        bad.append("%s: %s" % (j["Enc"], e)); continue
    if out != raw:
        bad.append("%s: differs" % j["Enc"])
print(json.dumps({"n": len(json.load(open(os.path.join(d, "jobs.json")))), "bad": bad}))`
	out, err := exec.Command(py, "-c", script, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("numcodecs: %v\n%s", err, out)
	}
	var res struct {
		N   int
		Bad []string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res.N != len(jobs) || len(res.Bad) > 0 {
		t.Fatalf("numcodecs decoded %d of %d; failures:\n%s", res.N-len(res.Bad), len(jobs), strings.Join(res.Bad, "\n"))
	}
	t.Logf("numcodecs decoded all %d of our encodings", len(jobs))
}
