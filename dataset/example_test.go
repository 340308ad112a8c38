package dataset_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// must stops an example at its first error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// equal reports whether two readers hold the same values (as float64).
func equal(a, b nd.Reader) bool {
	x, y := nd.New[float64](a.Shape(), nd.C), nd.New[float64](b.Shape(), nd.C)
	ra, rb := nd.NewAny(a.DType(), a.Shape(), nd.C), nd.NewAny(b.DType(), b.Shape(), nd.C)
	a.ReadRegion(nd.BoxOf(a.Shape()), ra)
	b.ReadRegion(nd.BoxOf(b.Shape()), rb)
	nd.ConvertAny(x, ra)
	nd.ConvertAny(y, rb)
	return fmt.Sprint(x.Data()) == fmt.Sprint(y.Data())
}

// Ryomen's first README example: a 3-channel 2-D image (an RGB TIFF
// written by tifffile) into a float32 OME-Zarr on disk, crops of 16x16
// with 4 voxels of context per side, the channel axis carried whole.
func Example_channels() {
	ctx, dir := context.Background(), must(os.MkdirTemp("", "example"))
	defer os.RemoveAll(dir)
	img := must(dataset.Open(ctx, "../tiff/testdata/series/rgb-planar.tif", nil))
	defer img.Close()
	out := must(dataset.Create(ctx, filepath.Join(dir, "out.ome.zarr"), dataset.Spec{Shape: img.Shape(), DType: nd.Float32, Axes: img.Axes}))
	p := must(tile.New(img.Shape(), tile.Spec{Crop: []int{16, 16}, Margin: []int{4, 4}}))
	toFloat := func(_ context.Context, b tile.Batch[uint8]) ([]*nd.Array[float32], error) {
		res := make([]*nd.Array[float32], len(b.Crops))
		for i, c := range b.Crops {
			res[i] = nd.New[float32](c.Shape(), nd.C)
			nd.Convert(res[i], c)
		}
		return res, nil
	}
	must(0, tile.Map(ctx, p, img, out, toFloat, tile.Options{}))
	must(0, out.Commit(ctx))
	back := must(dataset.Open(ctx, filepath.Join(dir, "out.ome.zarr"), nil))
	fmt.Println(back.Format, back.Shape(), back.DType(), back.Axes[0].Type, equal(back, img))
	// Output: OME-Zarr 0.5 [3 20 24] float32 channel true
}

// Ryomen's second README example: a 3-D volume (an ImageJ stack on disk)
// whose function returns float (Ryomen's output_transform), here the
// crop's values halved, written as a Zarr v2 array.
func Example_outputTransform() {
	ctx, dir := context.Background(), must(os.MkdirTemp("", "example"))
	defer os.RemoveAll(dir)
	vol := must(dataset.Open(ctx, "synth:24x40x40?seed=2", nil))
	tif := filepath.Join(dir, "vol.tif")
	must(0, dataset.WriteTIFF(ctx, vol, tif, dataset.TIFFOptions{Codec: "deflate"}))
	img := must(dataset.Open(ctx, tif, nil))
	defer img.Close()
	out := must(dataset.Create(ctx, filepath.Join(dir, "half.zarr"), dataset.Spec{Shape: img.Shape(), DType: nd.Float64, Format: dataset.Zarr2}))
	p := must(tile.New(img.Shape(), tile.Spec{Crop: []int{10, 16, 16}, Margin: []int{2, 3, 3}}))
	half := func(_ context.Context, b tile.Batch[uint16]) ([]*nd.Array[float64], error) {
		res := make([]*nd.Array[float64], len(b.Crops))
		for i, c := range b.Crops {
			res[i] = nd.New[float64](c.Shape(), nd.C)
			c.Values(func(idx []int, v uint16) { res[i].Set(float64(v)/2, idx...) })
		}
		return res, nil
	}
	must(0, tile.Map(ctx, p, img, out, half, tile.Options{Workers: 2}))
	must(0, out.Commit(ctx))
	back := must(dataset.Open(ctx, filepath.Join(dir, "half.zarr"), nil))
	whole := nd.New[float64](back.Shape(), nd.C)
	must(0, back.ReadRegion(nd.BoxOf(back.Shape()), whole))
	fmt.Println(back.Format, p.Grid(), 2*whole.At(23, 39, 39) == float64(readAt(img, 23, 39, 39)))
	// Output: Zarr v2 [4 4 4] true
}

// readAt reads one voxel of a uint16 image.
func readAt(r nd.Reader, idx ...int) uint16 {
	lo, hi := append([]int(nil), idx...), append([]int(nil), idx...)
	for i := range hi {
		hi[i]++
	}
	v := nd.New[uint16]([]int{1, 1, 1}, nd.C)
	r.ReadRegion(nd.NewBox(lo, hi), v)
	return v.Data()[0]
}

// Ryomen's third README example: crops batched four at a time and stacked
// into one (batch, channel, y, x) array for a model (Ryomen's collate),
// the result unstacked and pasted back; the "model" converts to float32.
func Example_batched() {
	ctx, dir := context.Background(), must(os.MkdirTemp("", "example"))
	defer os.RemoveAll(dir)
	img := must(dataset.Open(ctx, "synth:3x64x64?seed=4&dtype=uint8", nil))
	cyx := nd.AxesFromNames([]string{"c", "y", "x"})
	out := must(dataset.Create(ctx, filepath.Join(dir, "seg.ome.zarr"), dataset.Spec{Shape: img.Shape(), DType: nd.Float32, Axes: cyx}))
	p := must(tile.New(img.Shape(), tile.Spec{Crop: []int{32, 32}, Margin: []int{4, 4}}))
	var calls atomic.Int32 // workers call the model concurrently
	model := func(_ context.Context, b tile.Batch[uint8]) ([]*nd.Array[float32], error) {
		x := tile.Stack(b.Crops) // (n, 3, 32, 32), as a network wants it
		y := nd.New[float32](x.Shape(), nd.C)
		nd.Convert(y, x)
		calls.Add(1)
		return tile.Unstack(y), nil
	}
	must(0, tile.Map(ctx, p, img, out, model, tile.Options{BatchSize: 4}))
	must(0, out.Commit(ctx))
	back := must(dataset.Open(ctx, filepath.Join(dir, "seg.ome.zarr"), nil))
	fmt.Println(p.Len(), "crops in", calls.Load(), "batches;", back.Shape(), back.Axes[0].Type, equal(back, img))
	// Output: 9 crops in 3 batches; [3 64 64] channel true
}
