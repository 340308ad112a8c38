package label_test

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/ryomen-dev/ryomen/label"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/synth"
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

// Run labels a volume out of core into an OME-Zarr label image with a
// per-object table: here the cells of a synthetic volume, each labelled
// separately (semantic), in blocks of 24 voxels that cut every one of them.
func ExampleRun() {
	ctx := context.Background()
	v, _ := synth.New(synth.Params{Shape: []int{64, 64, 64}, Seed: 3})
	st := store.NewMemory()
	conn, _ := label.ParseConn(3, 1)
	r, err := label.Run(ctx, v.Labels(), label.RunOptions{
		Options: label.Options{Conn: conn, Semantic: true},
		Stats:   "objects.csv", Axes: []string{"z", "y", "x"},
		Output: pyramid.Options{Store: st, Chunks: []int{24, 24, 24}, Axes: nd.DefaultAxes(3), Memory: 64 << 20},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	csv, _ := st.Get(ctx, "objects.csv")
	fmt.Println(r.Table.Objects(), "objects,", r.OutDType, "labels,", r.StatsRows, "rows,", bytes.Count(csv, []byte("\n"))-1, "lines of CSV")
	// Output:
	// 8 objects, uint32 labels, 8 rows, 8 lines of CSV
}
