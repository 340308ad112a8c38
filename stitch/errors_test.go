package stitch

import (
	"context"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// Bad input is an error naming what is wrong, never a panic.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	img := blobs([]int{20, 30}, 1, 0.5)
	p, err := tile.New(img.Shape(), tile.Spec{Crop: []int{10, 10}, Margin: []int{2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	floats := func(_ context.Context, _ []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		out := make([]nd.Any, len(crops))
		for i := range crops {
			out[i] = nd.New[float32](p.OutCropShape(), nd.C)
		}
		return out, nil
	}
	short := func(_ context.Context, _ []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		return []nd.Any{nd.New[uint32]([]int{3, 3}, nd.C)}, nil
	}
	voxels := func(_ context.Context, ts []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		out := make([]nd.Any, len(crops))
		for i, t := range ts { // every voxel its own object, labelled by its image index
			a := nd.New[int64](p.OutCropShape(), nd.C)
			for k := range a.Data() {
				y, x := t.Crop.Min[0]+k/10, t.Crop.Min[1]+k%10
				a.Data()[k] = int64(y*1000 + x + 1)
			}
			out[i] = a
		}
		return out, nil
	}
	scaled, err := tile.New(img.Shape(), tile.Spec{Crop: []int{10, 10}, Margin: []int{2, 2}, Scale: []tile.Ratio{{Num: 1, Den: 2}, {Num: 1, Den: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	chans, err := tile.New([]int{3, 20, 30}, tile.Spec{Crop: []int{10, 10}, Margin: []int{2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		p    *tile.Plan
		src  nd.Reader
		fn   tile.AnyFunc
		opt  Options
		want string
	}{
		{"float result", p, img, floats, Options{}, "instance labels must be integers, the function returned float32"},
		{"wrong shape", p, img, short, Options{}, "want shape [10 10]"},
		{"iou", p, img, thresholdModel(2), Options{IoU: 1.5}, "IoU threshold 1.5"},
		{"rule", p, img, thresholdModel(2), Options{Rule: 9}, "invalid rule"},
		{"dtype", p, img, thresholdModel(2), Options{DType: nd.Float32}, "not an integer type"},
		{"too many objects", p, img, voxels, Options{DType: nd.Int8}, "600 objects do not fit output dtype int8"},
		{"scale", scaled, img, thresholdModel(2), Options{}, "output scale other than 1"},
		{"channels", chans, nd.New[uint8]([]int{3, 20, 30}, nd.C), thresholdModel(3), Options{}, "output axis 0 has length 3"},
		{"source", p, nd.New[uint8]([]int{20, 31}, nd.C), thresholdModel(2), Options{}, "source shape [20 31]"},
	} {
		_, _, err := Map(ctx, c.p, c.src, c.fn, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := ParseRule("stardist"); err == nil || !strings.Contains(err.Error(), `"stardist"`) {
		t.Errorf("ParseRule: %v", err)
	}
	for _, r := range []Rule{Overlap, Touch, Own} {
		if q, err := ParseRule(r.String()); err != nil || q != r {
			t.Errorf("ParseRule(%q) = %v, %v", r, q, err)
		}
	}
}
