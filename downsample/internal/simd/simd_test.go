package simd

import (
	"math/rand/v2"
	"testing"
)

// TestMeanKernels checks the kernels against their reference loops at
// every length up to 300 bytes per row, with a guard band after the
// output; in builds without the vector kernels they must write nothing.
func TestMeanKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rows := make([][]uint8, 4)
	for i := range rows {
		rows[i] = make([]uint8, 300)
		for j := range rows[i] {
			rows[i][j] = uint8(r.Uint32())
		}
	}
	for n := 0; n <= 300; n++ {
		for _, nr := range []int{2, 4} {
			buf := make([]uint8, (n+1)/2+40)
			for i := range buf {
				buf[i] = 0xA5
			}
			d := buf[:(n+1)/2]
			var got int
			if nr == 2 {
				got = Mean2x2U8(d, rows[0][:n], rows[1][:n])
			} else {
				got = Mean2x2x2U8(d, rows[0][:n], rows[1][:n], rows[2][:n], rows[3][:n])
			}
			want := 0
			if Available {
				want = n / 64 * 32
			}
			if got != want {
				t.Fatalf("rows %d n=%d: %d outputs, want %d", nr, n, got, want)
			}
			for x := range got {
				s := 0
				for _, row := range rows[:nr] {
					s += int(row[2*x]) + int(row[2*x+1])
				}
				if w := uint8(s >> (nr/2 + 1)); d[x] != w {
					t.Fatalf("rows %d n=%d x=%d: %d, want %d", nr, n, x, d[x], w)
				}
			}
			for i, v := range buf[got:] {
				if v != 0xA5 {
					t.Fatalf("rows %d n=%d: wrote byte %d past the %d outputs", nr, n, got+i, got)
				}
			}
		}
	}
	t.Logf("vector kernels available: %v", Available)
}
