package codec

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// ReadLimited decodes into the caller's spare capacity without
// allocating, accepts exactly limit bytes, and refuses one more.
func TestReadLimited(t *testing.T) {
	src := smooth(100000, 2, 3)
	dst := make([]byte, 3, 3+len(src))
	copy(dst, "abc")
	var out []byte
	var err error
	n := testing.AllocsPerRun(5, func() {
		out, err = ReadLimited(dst[:3], bytes.NewReader(src), len(src), "test")
	})
	if err != nil || !bytes.Equal(out[3:], src) || string(out[:3]) != "abc" || &out[0] != &dst[0] {
		t.Fatalf("exact limit: err %v, %d bytes, same memory %v", err, len(out), &out[0] == &dst[0])
	}
	if n > 2 { // the bytes.Reader and the one-byte probe
		t.Errorf("%v allocations decoding into room", n)
	}
	if _, err := ReadLimited(nil, bytes.NewReader(src), len(src)-1, "test"); !errors.Is(err, ErrLimit) {
		t.Errorf("one byte over the limit: %v, want ErrLimit", err)
	}
	// A reader yielding a byte at a time, and one failing midway.
	if out, err := ReadLimited(nil, iotest.OneByteReader(bytes.NewReader(src)), len(src), "test"); err != nil || !bytes.Equal(out, src) {
		t.Errorf("one byte at a time: %v", err)
	}
	r := io.MultiReader(bytes.NewReader(src[:10]), iotest.ErrReader(errors.New("boom")))
	if _, err := ReadLimited(nil, r, len(src), "test"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("failing reader: %v, want ErrCorrupt", err)
	}
	if out, err := ReadLimited(nil, bytes.NewReader(nil), 0, "test"); err != nil || len(out) != 0 {
		t.Errorf("empty stream, limit 0: %v %d", err, len(out))
	}
}

// The pooled zlib decoder round-trips, checks the Adler-32 checksum, and
// keeps working after a corrupt stream went through the pool.
func TestZlibPooled(t *testing.T) {
	src := smooth(50000, 4, 7)
	enc := mustEncode(t, Zlib{Level: 6}, src)
	bad := bytes.Clone(enc)
	bad[len(bad)-1] ^= 1 // the checksum
	for i := range 3 {
		if _, err := (Zlib{}).Decode(nil, bad, len(src)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("round %d: bad checksum: %v, want ErrCorrupt", i, err)
		}
		if _, err := (Zlib{}).Decode(nil, []byte{1, 2, 3}, len(src)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("round %d: bad header: %v, want ErrCorrupt", i, err)
		}
		out, err := (Zlib{}).Decode(nil, enc, len(src))
		if err != nil || !bytes.Equal(out, src) {
			t.Fatalf("round %d: %v", i, err)
		}
	}
}
