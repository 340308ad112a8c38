package stitch_test

import (
	"context"
	"fmt"

	"github.com/ryomen-dev/ryomen/label"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/stitch"
	"github.com/ryomen-dev/ryomen/tile"
)

// A bar crossing three tiles, labelled crop by crop, comes back as one
// object; the dot on the right is a second.
func ExampleMap() {
	img := nd.New[uint8]([]int{3, 12}, nd.C)
	for x := range 9 {
		img.Set(1, 1, x)
	}
	img.Set(1, 1, 11)
	p, _ := tile.New(img.Shape(), tile.Spec{Crop: []int{3, 6}, Margin: []int{0, 1}, Border: tile.Symmetric})
	model := func(_ context.Context, _ []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		out := make([]nd.Any, len(crops))
		for i, c := range crops {
			lab, _, err := label.Local(c, label.Conn{Rank: 2, Order: 1}, false, nil)
			if err != nil {
				return nil, err
			}
			out[i] = nd.FromSlice(lab, c.Shape(), nd.C)
		}
		return out, nil
	}
	out, st, err := stitch.Map(context.Background(), p, img, model, stitch.Options{Rule: stitch.Overlap})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Objects, "objects from", p.Len(), "tiles")
	fmt.Println(out.(*nd.Array[uint32]).Sub(nd.NewBox([]int{1, 0}, []int{2, 12})).Clone(nd.C).Data())
	// Output:
	// 2 objects from 3 tiles
	// [1 1 1 1 1 1 1 1 1 0 0 2]
}
