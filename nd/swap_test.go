package nd

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSwapBytes compares every size's fast path with the reference loop
// of the doc comment, trailing bytes included.
func TestSwapBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, size := range []int{1, 2, 3, 4, 8, 16} {
		for _, n := range []int{0, 1, 7, 8, 9, 64, 65} {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			want := slices.Clone(b)
			for i := 0; size > 1 && i+size <= len(want); i += size {
				slices.Reverse(want[i : i+size])
			}
			SwapBytes(b, size)
			if !bytes.Equal(b, want) {
				t.Fatalf("size %d, %d bytes: %x, want %x", size, n, b, want)
			}
		}
	}
}
