package label_test

import (
	"context"
	"fmt"
	"os"

	"github.com/ryomen-dev/ryomen/label"
	"github.com/ryomen-dev/ryomen/nd"
)

// Label a small mask in blocks of 2x3: the U-shaped object crosses three
// blocks and still gets one ID; the objects table follows.
func ExampleLabel() {
	mask := nd.FromSlice([]uint8{
		1, 0, 1, 0, 0, 1,
		1, 0, 1, 0, 0, 0,
		1, 1, 1, 0, 1, 1,
	}, []int{3, 6}, nd.C)
	out := nd.New[uint32](mask.Shape(), nd.C)
	o := label.Options{Conn: label.Conn{Rank: 2, Order: 1}, Chunks: []int{2, 3}}
	t, err := label.Label(context.Background(), mask, out, o, os.Stdout, label.Format{Axes: []string{"y", "x"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Objects(), out.Data())
	// Output:
	// id,voxels,min_y,min_x,max_y,max_x,centroid_y,centroid_x
	// 2,1,0,5,1,6,0,5
	// 3,2,2,4,3,6,2,4.5
	// 1,7,0,0,3,3,1.1428571428571428,1
	// 3 [1 0 1 0 0 2 1 0 1 0 0 0 1 1 1 0 3 3]
}
