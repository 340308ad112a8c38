package tile

import (
	"math/rand/v2"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// sweepCopy equals its reference loop (nd.Copy per pair) for random
// groups of side-by-side boxes in arrays of any layout.
func TestSweepCopy(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for iter := 0; iter < 200; iter++ {
		rank := 1 + r.IntN(4)
		shape := make([]int, rank)
		for d := range shape {
			shape[d] = 1 + r.IntN(12)
		}
		order := nd.Order(r.IntN(2))
		src := randomImage(r, shape)
		got := nd.New[int32](shape, order)
		want := nd.New[int32](shape, order)
		rows := nd.BoxOf(shape)
		for d := 0; d < rank-1; d++ {
			rows.Min[d] = r.IntN(shape[d])
			rows.Max[d] = rows.Min[d] + 1 + r.IntN(shape[d]-rows.Min[d])
		}
		var pairs []sweepPair[int32]
		for x := 0; x < shape[rank-1]; {
			w := 1 + r.IntN(shape[rank-1]-x)
			b := rows.Translate(make([]int, rank))
			b.Min[rank-1], b.Max[rank-1] = x, x+w
			pairs = append(pairs, sweepPair[int32]{dst: got, src: src, db: b, sb: b})
			nd.Copy(want.Sub(b), src.Sub(b))
			x += w
		}
		sweepCopy(pairs)
		equal(t, "sweep", got, want)
	}
}
