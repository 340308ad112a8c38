package process_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/process"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/tile"
)

// A Gaussian blur of a synthetic volume, in crops of 32 voxels with a
// margin of the kernel's radius, written as an OME-Zarr image on disk.
func ExampleRun() {
	ctx := context.Background()
	img, _ := dataset.Open(ctx, "synth:48x96x96?seed=1", nil)
	plan, _ := tile.New(img.Shape(), tile.Spec{Crop: []int{32, 32, 32}, Margin: []int{5, 5, 5}})
	blur := process.Gaussian([]float64{1.2, 1.2, 1.2}, tile.Paste)
	dir, _ := os.MkdirTemp("", "process")
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "blur.ome.zarr")
	_, err := process.Run(ctx, img.Reader, process.Options{
		Plan: plan, Func: blur.Func, OutDType: blur.OutDType, Recycle: blur.Recycle, BatchSize: 4,
		Output: pyramid.Options{Store: store.NewFile(out), Chunks: []int{16, 64, 64}, Axes: img.Axes, Memory: 256 << 20},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, _ := dataset.Open(ctx, out, nil)
	fmt.Println(res.Format, res.DType(), res.Shape())
	// The same result computed lazily, for one box, in memory.
	lazy, _ := process.NewReader(img.Reader, process.Options{Plan: plan, Func: blur.Func, OutDType: blur.OutDType})
	box := nd.Box{Min: []int{20, 40, 40}, Max: []int{22, 44, 44}}
	a, b := nd.New[float32](box.Shape(), nd.C), nd.New[float32](box.Shape(), nd.C)
	res.ReadRegion(box, a)
	lazy.ReadRegion(box, b)
	fmt.Println(slices.Equal(a.Data(), b.Data()))
	// Output:
	// OME-Zarr 0.5 float32 [48 96 96]
	// true
}
