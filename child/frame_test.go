package child

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// Every dtype and odd shapes (0-d, empty, 1-d, 4-d) survive a frame round
// trip exactly.
func TestFrameRoundTrip(t *testing.T) {
	for _, dt := range nd.DTypes {
		for _, shape := range [][]int{{}, {0}, {7}, {2, 3, 1, 5}} {
			a := nd.NewAny(dt, shape, nd.C)
			b, _ := nd.AsBytes(a)
			for i := range b {
				b[i] = byte(i*37 + 11)
			}
			var buf bytes.Buffer
			if err := writeFrame(&buf, map[string]int{"id": 3}, a); err != nil {
				t.Fatal(err)
			}
			hdr, got, err := readFrame(bufio.NewReader(&buf), 1<<20)
			if err != nil {
				t.Fatalf("%v %v: %v", dt, shape, err)
			}
			gb, _ := nd.AsBytes(got)
			if string(hdr) != `{"id":3}` || got.DType() != dt || len(got.Shape()) != len(shape) || !bytes.Equal(gb, b) {
				t.Fatalf("%v %v: got %s %v %v", dt, shape, hdr, got.DType(), got.Shape())
			}
			if buf.Len() != 0 {
				t.Fatalf("%d bytes left after one frame", buf.Len())
			}
		}
	}
}

// A frame whose array is over the limit is refused before allocation.
func TestFrameLimit(t *testing.T) {
	var buf bytes.Buffer
	writeFrame(&buf, map[string]int{"id": 0}, nd.New[uint32]([]int{100, 100}, nd.C))
	if _, _, err := readFrame(bufio.NewReader(&buf), 1000); err == nil {
		t.Fatal("no error for an array over the byte limit")
	}
}

// FuzzReadFrame: hostile frames give errors, never panics, and never
// allocate beyond the limit.
func FuzzReadFrame(f *testing.F) {
	var buf bytes.Buffer
	writeFrame(&buf, map[string]int{"id": 0}, nd.New[uint16]([]int{3, 4}, nd.C))
	f.Add(buf.Bytes())
	buf.Reset()
	writeFrame(&buf, map[string]any{"id": 1, "error": "x"}, nd.New[uint8]([]int{0}, nd.C))
	f.Add(buf.Bytes())
	f.Add([]byte("RYOMEN01\xff\xff\xff\xff"))
	// What the misbehaving servers of testdata/child.py write: text, and
	// the first half of a frame.
	f.Add([]byte("hello, I am printing to stdout\n"))
	buf.Reset()
	writeFrame(&buf, map[string]int{"id": 2}, nd.New[float32]([]int{2, 3, 4}, nd.C))
	f.Add(buf.Bytes()[:buf.Len()/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		_, a, err := readFrame(bufio.NewReader(bytes.NewReader(b)), 1<<16)
		if err == nil {
			if n := a.Len() * a.DType().Size(); n > 1<<16 {
				t.Fatalf("decoded %d bytes past the limit", n)
			}
		}
	})
}
