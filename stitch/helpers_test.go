package stitch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ryomen-dev/ryomen/label"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// blobs returns a uint8 image of the given shape whose non-zero voxels
// form objects of every size: a random field smoothed along each axis and
// thresholded, so some objects span many tiles and the image border.
func blobs(shape []int, seed uint64, frac float64) *nd.Array[uint8] {
	r := rand.New(rand.NewPCG(seed, 7))
	n := 1
	for _, s := range shape {
		n *= s
	}
	f := make([]float64, n)
	for i := range f {
		f[i] = r.Float64()
	}
	st := nd.Strides(shape, nd.C)
	for d := range shape {
		g := make([]float64, n)
		for i := range f {
			x := (i / st[d]) % shape[d]
			s, c := 0.0, 0
			for k := -2; k <= 2; k++ {
				if y := x + k; y >= 0 && y < shape[d] {
					s += f[i+k*st[d]]
					c++
				}
			}
			g[i] = s / float64(c)
		}
		f = g
	}
	a := nd.New[uint8](shape, nd.C)
	for i, v := range f {
		if v > 1-frac/2-0.25 { // threshold near the median of the smoothed field
			a.Data()[i] = uint8(1 + i%200)
		}
	}
	return a
}

// thresholdModel labels each crop's non-zero voxels with the label
// package's connected components (face connectivity, scipy's default).
func thresholdModel(rank int) tile.AnyFunc {
	return func(_ context.Context, _ []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		out := make([]nd.Any, len(crops))
		for i, c := range crops {
			lab, _, err := label.Local(c, label.Conn{Rank: c.Rank(), Order: 1}, false, nil)
			if err != nil {
				return nil, err
			}
			out[i] = nd.FromSlice(lab, c.Shape(), nd.C)
		}
		return out, nil
	}
}

// wholeLabels labels the whole image the same way (the label package
// equals scipy.ndimage.label, tested there).
func wholeLabels(t testing.TB, a nd.Any) []uint64 {
	lab, _, err := label.Local(a, label.Conn{Rank: a.Rank(), Order: 1}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]uint64, len(lab))
	for i, v := range lab {
		out[i] = uint64(v)
	}
	return out
}

// flat returns an integer array's values in C order.
func flat(t testing.TB, a nd.Any) []uint64 {
	v, err := values(a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// bijection checks that got and want label the same voxels and that a
// one-to-one map takes got's IDs to want's; it also checks that got's IDs
// are 1..N.
func bijection(got, want []uint64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d voxels, want %d", len(got), len(want))
	}
	fw, bw := map[uint64]uint64{}, map[uint64]uint64{}
	var hi uint64
	for i, g := range got {
		w := want[i]
		if (g == 0) != (w == 0) {
			return fmt.Errorf("voxel %d: label %d, want %d (background differs)", i, g, w)
		}
		if g == 0 {
			continue
		}
		hi = max(hi, g)
		if x, ok := fw[g]; ok && x != w {
			return fmt.Errorf("voxel %d: ID %d holds true objects %d and %d (merged)", i, g, x, w)
		}
		if x, ok := bw[w]; ok && x != g {
			return fmt.Errorf("voxel %d: true object %d has IDs %d and %d (split)", i, w, x, g)
		}
		fw[g], bw[w] = w, g
	}
	if hi != uint64(len(fw)) {
		return fmt.Errorf("IDs are not consecutive: %d objects, largest ID %d", len(fw), hi)
	}
	return nil
}
