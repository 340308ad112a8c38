package tile_test

import (
	"context"
	"fmt"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// Computing Map's output one 32x32 output chunk at a time (what an
// out-of-core engine does, one task per chunk), with 48x48 crops that do
// not line up with the chunks and Gaussian blending; the result cache lets
// the chunks that share a crop compute it once.
func ExampleRunner() {
	img := nd.New[uint16]([]int{100, 100}, nd.C)
	for i := range img.Data() {
		img.Data()[i] = uint16(i % 251)
	}
	p, err := tile.New(img.Shape(), tile.Spec{Crop: []int{48, 48}, Margin: []int{8, 8}})
	if err != nil {
		panic(err)
	}
	double := func(_ context.Context, _ []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		out := make([]nd.Any, len(crops))
		for i, c := range crops {
			y := c.(*nd.Array[uint16]).Clone(nd.C)
			for j := range y.Data() {
				y.Data()[j] *= 2
			}
			out[i] = y
		}
		return out, nil
	}
	r, err := tile.NewRunner(p, nd.Uint16, nd.Uint16, double, tile.BoxOptions{Merge: tile.BlendGaussian, CacheBytes: 1 << 20})
	if err != nil {
		panic(err)
	}
	out := nd.New[uint16](p.OutShape(), nd.C)
	for y := 0; y < 100; y += 32 {
		for x := 0; x < 100; x += 32 {
			box := nd.NewBox([]int{y, x}, []int{min(y+32, 100), min(x+32, 100)})
			part, err := r.Box(context.Background(), img, box)
			if err != nil {
				panic(err)
			}
			out.WriteRegion(box, part)
		}
	}
	computed, _ := r.Stats()
	fmt.Println("tiles:", p.Len(), "computed:", computed, "voxel (57, 3):", out.At(57, 3), "=", 2*img.At(57, 3))
	// Output:
	// tiles: 16 computed: 16 voxel (57, 3): 362 = 362
}
