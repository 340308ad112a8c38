package downsample

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/ryomen-dev/ryomen/downsample/internal/vec"
)

// Every vector variant this build has (AVX2 and SSE2 assembly on amd64,
// AVX-512 under GOEXPERIMENT=simd) gives the pure-Go kernel's bytes for
// every row width, truncating and rounding.
func TestVectorVariants(t *testing.T) {
	saveE, saveA := vec.Enabled, vec.AVX2
	defer func() { vec.Enabled, vec.AVX2 = saveE, saveA }()
	r := rand.New(rand.NewPCG(41, 42))
	for w := 1; w < 300; w++ {
		r0, r1 := make([]uint8, w), make([]uint8, w)
		for i := range r0 {
			r0[i], r1[i] = uint8(r.Uint32()), uint8(r.Uint32())
		}
		for _, round := range []bool{false, true} {
			run := func(enabled, avx2 bool) []byte {
				vec.Enabled, vec.AVX2 = enabled && saveE, avx2 && saveA
				d := make([]byte, (w+1)/2)
				mean2x2U8(d, r0, r1, round)
				return d
			}
			want := run(false, false)
			for _, avx2 := range []bool{false, true} {
				if got := run(true, avx2); !bytes.Equal(got, want) {
					t.Fatalf("width %d round %v avx2 %v: vector kernel differs from pure Go", w, round, avx2)
				}
			}
		}
	}
}
