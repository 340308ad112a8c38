package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/testtool"
)

// allocated returns the bytes f allocates (the test runs alone, so the
// process-wide counter is f's, within a few KiB of noise).
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// A blosc frame whose header claims close to 2 GiB in one block, with a
// body of a few bytes, is refused before the output is allocated, even
// when the caller's limit would allow 2 GiB.
func TestBloscHugeOneBlock(t *testing.T) {
	const claim = 1<<31 - 1 - bloscHeaderSize
	for _, comp := range []byte{bloscBloscLZ, bloscLZ4, bloscZlib, bloscZstd} {
		h := make([]byte, bloscHeaderSize+4+4+8)
		h[0], h[1], h[2], h[3] = 2, 1, 0x1|bloscFlagNoSplit|comp<<5, 2
		binary.LittleEndian.PutUint32(h[4:], claim)
		binary.LittleEndian.PutUint32(h[8:], claim) // one block
		binary.LittleEndian.PutUint32(h[12:], uint32(len(h)))
		binary.LittleEndian.PutUint32(h[16:], bloscHeaderSize+4) // block 0
		binary.LittleEndian.PutUint32(h[20:], 8)                 // 8 stream bytes
		var err error
		n := allocated(func() { _, err = (Blosc{}).Decode(nil, h, 1<<31) })
		if err == nil || !errors.Is(err, ErrCorrupt) {
			t.Errorf("compressor %d: %v, want ErrCorrupt", comp, err)
		}
		if n > 1<<20 {
			t.Errorf("compressor %d: refusing a %d-byte frame allocated %d bytes", comp, len(h), n)
		}
	}
}

// Decoders refuse output past the limit without allocating the whole of
// what the input would decode to.
func TestLimitAllocations(t *testing.T) {
	zeros := make([]byte, 16<<20)
	for _, c := range []Codec{Zstd{}, Gzip{}, Zlib{}, LZ4{}, Blosc{CName: "zstd", CLevel: 5, Shuffle: 1, TypeSize: 2}, Blosc{CName: "lz4", CLevel: 5, TypeSize: 4}} {
		enc := mustEncode(t, c, zeros)
		var err error
		n := allocated(func() { _, err = c.Decode(nil, enc, 256<<10) })
		if !errors.Is(err, ErrLimit) {
			t.Errorf("%#v: %v, want ErrLimit", c, err)
		}
		if n > 4<<20 {
			t.Errorf("%#v: decoding 16 MiB with a 256 KiB limit allocated %d bytes", c, n)
		}
	}
}

// Every truncation of numcodecs' own encodings, at every byte position,
// is an error (never a panic, never a short output passed off as whole).
func TestTruncatedFixtures(t *testing.T) {
	n := 0
	for _, c := range loadFixtures(t) {
		// One fixture per compressor and shuffle, plus the plain codecs.
		if !strings.HasSuffix(c.Raw, "u2-n777.raw") || strings.Contains(c.Enc, "-b0-") {
			continue
		}
		enc, err := os.ReadFile(filepath.Join("testdata/numcodecs", c.Enc))
		if err != nil {
			t.Fatal(err)
		}
		cd := fromConfig(t, c.Config, 2)
		for i := range len(enc) {
			if out, err := cd.Decode(nil, enc[:i], 1554); err == nil {
				t.Fatalf("%s cut to %d of %d bytes decoded to %d bytes without error", c.Enc, i, len(enc), len(out))
			}
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d fixtures truncated", n)
	}
	t.Logf("%d fixtures cut at every byte", n)
}

// Blosc round trips for every type size 1..16 and each shuffle, at sizes
// that leave partial elements, partial blocks and partial bit-shuffle
// groups.
func TestBloscEveryTypeSize(t *testing.T) {
	for ts := 1; ts <= 16; ts++ {
		for _, nb := range []int{0, 1, 7, 8, 127, 128, 129, 4096*ts + 3} {
			data := smooth(nb/ts+1, ts, uint64(nb))[:nb]
			for sh := 0; sh <= 2; sh++ {
				for _, cn := range []string{"blosclz", "lz4", "zstd"} {
					c := Blosc{CName: cn, CLevel: 5, Shuffle: sh, TypeSize: ts, BlockSize: 1024}
					enc := mustEncode(t, c, data)
					dec, err := c.Decode(nil, enc, len(data))
					if err != nil || !bytes.Equal(dec, data) {
						t.Fatalf("%#v on %d bytes: %v", c, nb, err)
					}
				}
			}
		}
	}
}

// The most compressible chunks c-blosc writes (zeros, clevel 9, large
// blocks), and numcodecs' LZ4 and zstd (level 22) of zeros, stay under
// the decoders' ratio bounds and decode; so do ours.
func TestBloscZerosDecode(t *testing.T) {
	zeros := make([]byte, 4<<20)
	for _, cn := range []string{"blosclz", "lz4", "zstd", "zlib"} {
		c := Blosc{CName: cn, CLevel: 9, Shuffle: 1, TypeSize: 8, BlockSize: 4 << 20}
		dec, err := c.Decode(nil, mustEncode(t, c, zeros), len(zeros))
		if err != nil || !bytes.Equal(dec, zeros) {
			t.Errorf("%#v: %v", c, err)
		}
	}
	py := testtool.PythonWith(t, "numcodecs")
	dir := t.TempDir()
	script := `import sys, os, numcodecs
from numcodecs import Blosc
z = bytes(4 << 20)
for cn in ["blosclz", "lz4", "lz4hc", "zstd", "zlib", "snappy"]:
    for sh in [0, 1]:
        for bs in [0, 4 << 20]:
            c = Blosc(cname=cn, clevel=9, shuffle=sh, blocksize=bs)
            open(os.path.join(sys.argv[1], "%s-%d-%d" % (cn, sh, bs)), "wb").write(c.encode(z))
for name, c in [("lz4", numcodecs.LZ4(acceleration=1)), ("zstd", numcodecs.Zstd(level=22))]:
    open(os.path.join(sys.argv[1], "plain-" + name), "wb").write(c.encode(z))
`
	if out, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("numcodecs: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 26 {
		t.Fatalf("numcodecs wrote %d files", len(files))
	}
	best := 0
	for _, f := range files {
		enc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		best = max(best, len(zeros)/len(enc))
		var c Codec = Blosc{}
		switch filepath.Base(f) {
		case "plain-lz4":
			c = LZ4{}
		case "plain-zstd":
			c = Zstd{}
		}
		dec, err := c.Decode(nil, enc, len(zeros))
		if err != nil || !bytes.Equal(dec, zeros) {
			t.Errorf("%s (%d bytes, ratio %d): %v", filepath.Base(f), len(enc), len(zeros)/len(enc), err)
		}
	}
	t.Logf("%d numcodecs chunks of zeros decode; highest ratio %d (blosc bound %d)", len(files), best, bloscMaxRatio)
}

// LZ4 and zstd chunks whose headers claim far more than their bodies can
// hold fail without allocating the claim, even under a generous limit.
func TestSmallChunkHugeClaim(t *testing.T) {
	lz := []byte{0, 0, 0, 1, 0x10, 'a'}                                                 // 16 MiB claimed, 2-byte block
	zs := []byte{0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0x40, 0, 0, 0, 0, 9, 0, 0, 'a'} // 1 GiB claimed, 1 raw byte
	for _, c := range []struct {
		c   Codec
		src []byte
	}{{LZ4{}, lz}, {Zstd{}, zs}} {
		var err error
		n := allocated(func() { _, err = c.c.Decode(nil, c.src, 2<<30) })
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", c.c.Name(), err)
		}
		if n > 1<<20 {
			t.Errorf("%s: a %d-byte chunk made Decode allocate %d bytes", c.c.Name(), len(c.src), n)
		}
	}
	// The most compressible inputs still decode: LZ4 and zstd of zeros.
	zeros := make([]byte, 4<<20)
	for _, c := range []Codec{LZ4{}, Zstd{Level: 19}} {
		enc := mustEncode(t, c, zeros)
		if dec, err := c.Decode(nil, enc, len(zeros)); err != nil || !bytes.Equal(dec, zeros) {
			t.Errorf("%s of zeros (ratio %d): %v", c.Name(), len(zeros)/len(enc), err)
		}
	}
}
