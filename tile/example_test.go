package tile_test

import (
	"context"
	"fmt"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/progress"
	"github.com/ryomen-dev/ryomen/tile"
)

// A 2-D image with three channels, 512x512 crops with 64 voxels of context
// per side (neighbours share 128), mirrored padding: the README example of
// Ryomen. The function sees (3, 512, 512) crops.
func Example() {
	img := nd.New[uint8]([]int{3, 1000, 1000}, nd.C)
	out := nd.New[uint8]([]int{3, 1000, 1000}, nd.C)
	p, err := tile.New(img.Shape(), tile.Spec{Crop: []int{512, 512}, Margin: []int{64, 64}})
	if err != nil {
		panic(err)
	}
	fmt.Println("tiles:", p.Len(), "starts:", p.Starts(0))
	invert := func(_ context.Context, b tile.Batch[uint8]) ([]*nd.Array[uint8], error) {
		for _, c := range b.Crops {
			d := c.Data()
			for i := range d {
				d[i] = 255 - d[i]
			}
		}
		return b.Crops, nil
	}
	if err := tile.Map(context.Background(), p, img, out, invert, tile.Options{}); err != nil {
		panic(err)
	}
	fmt.Println(out.At(2, 999, 999))
	// Output:
	// tiles: 9 starts: [-64 320 552]
	// 255
}

// A 3-D volume whose result is float32: the function converts each crop
// (Ryomen's output_transform), here to a z-score of the crop's values.
func Example_outputTransform() {
	vol := nd.New[uint16]([]int{40, 64, 64}, nd.C)
	for i := range vol.Data() {
		vol.Data()[i] = uint16(i % 100)
	}
	out := nd.New[float32](vol.Shape(), nd.C)
	p, err := tile.New(vol.Shape(), tile.Spec{Crop: []int{16, 32, 32}, Margin: []int{4, 8, 8}, Border: tile.Reflect})
	if err != nil {
		panic(err)
	}
	toFloat := func(_ context.Context, b tile.Batch[uint16]) ([]*nd.Array[float32], error) {
		res := make([]*nd.Array[float32], len(b.Crops))
		for i, c := range b.Crops {
			res[i] = nd.New[float32](c.Shape(), nd.C)
			nd.Convert(res[i], c)
		}
		return res, nil
	}
	if err := tile.Map(context.Background(), p, vol, out, toFloat, tile.Options{Workers: 2}); err != nil {
		panic(err)
	}
	fmt.Println(p.Grid(), out.At(39, 63, 63) == float32(vol.At(39, 63, 63)))
	// Output: [5 4 4] true
}

// Batches of four crops stacked into one array with a leading batch axis,
// as a network wants them; Unstack splits the result again.
func Example_batched() {
	img := nd.New[float32]([]int{256, 256}, nd.C)
	out := nd.New[float32]([]int{256, 256}, nd.C)
	p, err := tile.New(img.Shape(), tile.Spec{Crop: []int{64, 64}, Overlap: []int{16, 16}})
	if err != nil {
		panic(err)
	}
	calls := 0
	model := func(_ context.Context, b tile.Batch[float32]) ([]*nd.Array[float32], error) {
		x := tile.Stack(b.Crops) // (n, 64, 64)
		calls++
		for i := range x.Data() {
			x.Data()[i] += 1
		}
		return tile.Unstack(x), nil
	}
	opt := tile.Options{BatchSize: 4, Workers: 1, Merge: tile.BlendGaussian}
	if err := tile.Map(context.Background(), p, img, out, model, opt); err != nil {
		panic(err)
	}
	fmt.Println(p.Len(), "tiles in", calls, "batches; out =", out.At(100, 100))
	// Output: 36 tiles in 9 batches; out = 1
}

// A progress.Counter counts a run's tiles and bytes; a command line reads
// Snapshot from another goroutine while Map runs.
func Example_progress() {
	img := nd.New[uint16]([]int{100, 100}, nd.C)
	out := nd.New[uint16]([]int{100, 100}, nd.C)
	p, err := tile.New(img.Shape(), tile.Spec{Crop: []int{32, 32}, Margin: []int{4, 4}})
	if err != nil {
		panic(err)
	}
	copyCrops := func(_ context.Context, b tile.Batch[uint16]) ([]*nd.Array[uint16], error) { return b.Crops, nil }
	var c progress.Counter
	if err := tile.Map(context.Background(), p, img, out, copyCrops, tile.Options{Progress: &c}); err != nil {
		panic(err)
	}
	s := c.Snapshot()
	fmt.Println(s.Done, "of", s.Total, "tiles;", s.BytesRead, "bytes read,", s.BytesWritten, "written")
	// Output: 25 of 25 tiles; 51200 bytes read, 20000 written
}
