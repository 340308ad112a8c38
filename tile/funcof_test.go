package tile

import (
	"context"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// FuncOf runs an AnyFunc through Map: a doubling function gives the
// doubled image, and wrong results are errors naming what is wrong.
func TestFuncOf(t *testing.T) {
	img := nd.New[uint16]([]int{20, 30}, nd.C)
	for i := range img.Data() {
		img.Data()[i] = uint16(i)
	}
	p, err := New(img.Shape(), Spec{Crop: []int{8, 12}, Margin: []int{2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	double := func(_ context.Context, _ []Tile, cs []nd.Any) ([]nd.Any, error) {
		out := make([]nd.Any, len(cs))
		for i, c := range cs {
			a := c.(*nd.Array[uint16]).Clone(nd.C)
			for j := range a.Data() {
				a.Data()[j] *= 2
			}
			out[i] = a
		}
		return out, nil
	}
	out := nd.New[uint16](img.Shape(), nd.C)
	if err := Map(context.Background(), p, img, out, FuncOf[uint16, uint16](double), Options{BatchSize: 3}); err != nil {
		t.Fatal(err)
	}
	for i, v := range out.Data() {
		if v != uint16(2*i) {
			t.Fatalf("element %d = %d, want %d", i, v, 2*i)
		}
	}
	wrong := func(_ context.Context, _ []Tile, cs []nd.Any) ([]nd.Any, error) {
		out := make([]nd.Any, len(cs))
		for i, c := range cs {
			out[i] = nd.New[float32](c.Shape(), nd.C)
		}
		return out, nil
	}
	err = Map(context.Background(), p, img, nd.New[uint16](img.Shape(), nd.C), FuncOf[uint16, uint16](wrong), Options{})
	if err == nil || !strings.Contains(err.Error(), "want uint16") {
		t.Errorf("float32 results for uint16: %v", err)
	}
	short := func(_ context.Context, _ []Tile, cs []nd.Any) ([]nd.Any, error) { return cs[:len(cs)-1], nil }
	err = Map(context.Background(), p, img, nd.New[uint16](img.Shape(), nd.C), FuncOf[uint16, uint16](short), Options{BatchSize: 2})
	if err == nil || !strings.Contains(err.Error(), "results for") {
		t.Errorf("one result short: %v", err)
	}
}
