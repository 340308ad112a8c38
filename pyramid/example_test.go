package pyramid_test

import (
	"context"
	"fmt"
	"os"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/store"
)

// Build a three-level mean pyramid of a synthetic volume into an
// OME-Zarr image on disk, under a 64 MiB budget, and open it.
func ExampleBuild() {
	ctx := context.Background()
	img, _ := dataset.Open(ctx, "synth:64x128x128?seed=1", nil)
	dir, _ := os.MkdirTemp("", "pyramid")
	defer os.RemoveAll(dir)
	chunks := []int{32, 64, 64}
	p, err := pyramid.Build(ctx, img.Reader, pyramid.Options{
		Store: store.NewFile(dir), Method: "mean", Axes: img.Axes, Chunks: chunks,
		Factors: pyramid.FixedFactors(img.Shape(), []int{2, 2, 2}, chunks, 3), Memory: 64 << 20,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := dataset.Open(ctx, dir, nil)
	fmt.Println(p.Shapes, out.Format, len(out.Levels))
	// A voxel of level 1 is the mean of its 2x2x2 block of level 0.
	l0 := nd.New[uint16]([]int{2, 2, 2}, nd.C)
	l1 := nd.New[uint16]([]int{1, 1, 1}, nd.C)
	out.Levels[0].ReadRegion(nd.Box{Min: []int{20, 40, 60}, Max: []int{22, 42, 62}}, l0)
	out.Levels[1].ReadRegion(nd.Box{Min: []int{10, 20, 30}, Max: []int{11, 21, 31}}, l1)
	sum := 0
	for _, v := range l0.Data() {
		sum += int(v)
	}
	fmt.Println(int(l1.Data()[0]) == (sum+4)/8 || int(l1.Data()[0]) == sum/8)
	// Output:
	// [[64 128 128] [32 64 64] [16 32 32]] OME-Zarr 0.5 3
	// true
}
