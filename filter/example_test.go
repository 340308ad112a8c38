package filter_test

import (
	"context"
	"fmt"
	"math"

	"github.com/ryomen-dev/ryomen/filter"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// A Gaussian as a tile function: the margin is the kernel radius, so each
// crop holds the context its centre needs, and the blur of the crop's
// inner box (the crop shrunk by the radius, which contains the part Map
// keeps) is the blur of the whole image there. The tiled result equals
// one call on the image padded the same way, to float32 rounding (the
// vector kernel fuses multiply-adds; row tails shorter than 8 do not).
func Example_tiled() {
	vol := nd.New[float32]([]int{30, 70, 50}, nd.C)
	for i := range vol.Data() {
		vol.Data()[i] = float32(i % 97)
	}
	sigma := []float64{1, 2, 2}
	m := filter.Margins(sigma) // [4 8 8]
	p, err := tile.New(vol.Shape(), tile.Spec{Crop: []int{16, 32, 32}, Margin: m, Border: tile.Symmetric})
	if err != nil {
		panic(err)
	}
	var ws filter.Workspace // one per worker: Workers is 1 here
	blur := func(_ context.Context, b tile.Batch[float32]) ([]*nd.Array[float32], error) {
		res := make([]*nd.Array[float32], len(b.Crops))
		for i, c := range b.Crops {
			res[i] = nd.New[float32](c.Shape(), nd.C)
			inner := c.Bounds()
			for d := range m {
				inner.Min[d] += m[d]
				inner.Max[d] -= m[d]
			}
			if err := ws.Gaussian(res[i].Sub(inner), c, sigma); err != nil {
				return nil, err
			}
		}
		return res, nil
	}
	tiled := nd.New[float32](vol.Shape(), nd.C)
	if err := tile.Map(context.Background(), p, vol, tiled, blur, tile.Options{Workers: 1}); err != nil {
		panic(err)
	}

	// The whole image at once, padded by the radius with the same border.
	whole := vol.Bounds()
	for d := range m {
		whole.Min[d] -= m[d]
		whole.Max[d] += m[d]
	}
	padded := nd.New[float32](whole.Shape(), nd.C)
	if err := tile.ReadCrop(vol, whole, tile.Symmetric, 0, padded); err != nil {
		panic(err)
	}
	once := nd.New[float32](vol.Shape(), nd.C)
	if err := filter.Gaussian(once, padded, sigma); err != nil {
		panic(err)
	}
	var worst float64
	for i, v := range once.Data() {
		worst = max(worst, math.Abs(float64(v-tiled.Data()[i]))/max(math.Abs(float64(v)), 1))
	}
	fmt.Println("margins:", m, "tiles:", p.Len())
	fmt.Println("equal to 1e-6 relative:", worst < 1e-6)
	// Output:
	// margins: [4 8 8] tiles: 80
	// equal to 1e-6 relative: true
}
