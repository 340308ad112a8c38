package child

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// The child as a tile.Func: tile.Map with a doubling server on 2 workers
// and Gaussian blending equals tile.Map with the same model in Go.
func TestFuncMatchesGo(t *testing.T) {
	p := start(t, "double")
	defer p.Close()
	img := ramp([]int{9, 40, 33})
	pl, err := tile.New(img.Shape(), tile.Spec{Crop: []int{5, 16, 16}, Margin: []int{1, 3, 3}, Border: tile.Reflect})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatcher(context.Background(), p, 3, 10*time.Millisecond, nd.Uint16, []int{0, 0, 0}, img.Shape())
	got := nd.New[uint16](pl.OutShape(), nd.C)
	opt := tile.Options{Workers: 1, BatchSize: 2, Merge: tile.BlendGaussian}
	if err := tile.Map(context.Background(), pl, img, got, Func[uint16, uint16](b), opt); err != nil {
		t.Fatal(err)
	}
	double := func(_ context.Context, bt tile.Batch[uint16]) ([]*nd.Array[uint16], error) {
		out := make([]*nd.Array[uint16], len(bt.Crops))
		for i, c := range bt.Crops {
			y := c.Clone(nd.C)
			for j := range y.Data() {
				y.Data()[j] *= 2
			}
			out[i] = y
		}
		return out, nil
	}
	want := nd.New[uint16](pl.OutShape(), nd.C)
	if err := tile.Map(context.Background(), pl, img, want, double, opt); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Data(), want.Data()) {
		t.Fatal("the child through Func differs from the same model in Go")
	}
	// A result dtype other than U is an error naming both.
	f := Func[uint16, float32](b)
	bt := tile.Batch[uint16]{Tiles: []tile.Tile{pl.Tile(0)}, Crops: []*nd.Array[uint16]{ramp(pl.CropShape())}}
	if _, err := f(context.Background(), bt); err == nil {
		t.Error("a uint16 result accepted as float32")
	}
}

// TileFunc with a declared result shape: a channel-changing server (2
// channels in, 3 out) answers every crop, and a wrong declared shape is an
// error.
func TestTileFuncResultShape(t *testing.T) {
	p := start(t, "chmix")
	defer p.Close()
	b := NewBatcher(context.Background(), p, 4, 10*time.Millisecond, nd.Uint16, []int{0, 1, 1}, []int{2, 10, 10})
	b.SetResultShape([]int{3, 4, 4})
	crops := []nd.Any{ramp([]int{2, 4, 4}), ramp([]int{2, 4, 4})}
	tiles := []tile.Tile{{Crop: nd.Box{Min: []int{0, -1, -1}, Max: []int{2, 3, 3}}}, {Crop: nd.Box{Min: []int{0, 3, 3}, Max: []int{2, 7, 7}}}}
	res, err := TileFunc(b)(context.Background(), tiles, crops)
	if err != nil {
		t.Fatal(err)
	}
	c := crops[0].(*nd.Array[uint16])
	for i, y := range res {
		a := y.(*nd.Array[uint16])
		if !slices.Equal(a.Shape(), []int{3, 4, 4}) {
			t.Fatalf("result %d: shape %v", i, a.Shape())
		}
		if a.At(0, 1, 2) != c.At(0, 1, 2)+c.At(1, 1, 2) || a.At(2, 3, 3) != c.At(1, 3, 3) {
			t.Fatalf("result %d: wrong channels", i)
		}
	}
	b2 := NewBatcher(context.Background(), p, 4, 10*time.Millisecond, nd.Uint16, nil, nil)
	b2.SetResultShape([]int{2, 4, 4})
	if _, err := TileFunc(b2)(context.Background(), tiles[:1], crops[:1]); err == nil {
		t.Error("a result of another shape than declared accepted")
	}
}
