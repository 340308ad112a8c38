package synth

import (
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// Any region must equal the same region of a whole-volume read: that is what
// lets the volume stand in for data of any size.
func TestRegionsAgree(t *testing.T) {
	v, err := New(Params{Shape: []int{40, 70, 90}, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	whole := nd.New[uint16](v.Image().Shape(), nd.C)
	if err := v.Image().ReadRegion(nd.BoxOf(whole.Shape()), whole); err != nil {
		t.Fatal(err)
	}
	wl := nd.New[uint32](v.Labels().Shape(), nd.C)
	if err := v.Labels().ReadRegion(nd.BoxOf(wl.Shape()), wl); err != nil {
		t.Fatal(err)
	}
	b := nd.NewBox([]int{5, 13, 31}, []int{29, 61, 77})
	part := nd.New[uint16](b.Shape(), nd.C)
	if err := v.Image().ReadRegion(b, part); err != nil {
		t.Fatal(err)
	}
	pl := nd.New[uint32](b.Shape(), nd.C)
	if err := v.Labels().ReadRegion(b, pl); err != nil {
		t.Fatal(err)
	}
	sub, subl := whole.Sub(b), wl.Sub(b)
	labelled := 0
	part.Values(func(idx []int, x uint16) {
		if sub.At(idx...) != x {
			t.Fatalf("image differs at %v", idx)
		}
		if l := pl.At(idx...); l != subl.At(idx...) {
			t.Fatalf("labels differ at %v", idx)
		} else if l != 0 {
			labelled++
		}
	})
	if labelled == 0 || labelled == part.Len() {
		t.Fatalf("%d of %d voxels labelled: want some cells and some background", labelled, part.Len())
	}
	// Cells are brighter than background on average.
	var in, out, nin, nout float64
	whole.Values(func(idx []int, x uint16) {
		if wl.At(idx...) != 0 {
			in, nin = in+float64(x), nin+1
		} else {
			out, nout = out+float64(x), nout+1
		}
	})
	if in/nin < 2*out/nout {
		t.Fatalf("cells (%.0f) not brighter than background (%.0f)", in/nin, out/nout)
	}
}

func TestSeedsDiffer(t *testing.T) {
	a, _ := New(Params{Shape: []int{16, 16, 16}, Seed: 1})
	b, _ := New(Params{Shape: []int{16, 16, 16}, Seed: 2})
	x, y := nd.New[uint16]([]int{16, 16, 16}, nd.C), nd.New[uint16]([]int{16, 16, 16}, nd.C)
	a.Image().ReadRegion(nd.BoxOf(x.Shape()), x)
	b.Image().ReadRegion(nd.BoxOf(y.Shape()), y)
	same := true
	x.Values(func(idx []int, v uint16) { same = same && y.At(idx...) == v })
	if same {
		t.Fatal("seeds 1 and 2 gave equal volumes")
	}
}

func TestBadParams(t *testing.T) {
	for _, p := range []Params{{Shape: []int{4, 4}}, {Shape: []int{0, 4, 4}}, {Shape: []int{4, 4, 4}, Spacing: 3}} {
		if _, err := New(p); err == nil {
			t.Errorf("New(%+v) succeeded", p)
		}
	}
}

func TestImage8(t *testing.T) {
	v, err := New(Params{Shape: []int{9, 20, 30}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b := nd.BoxOf([]int{9, 20, 30})
	w := nd.New[uint16](b.Shape(), nd.C)
	n := nd.New[uint8](b.Shape(), nd.C)
	if err := v.Image().ReadRegion(b, w); err != nil {
		t.Fatal(err)
	}
	if err := v.Image8().ReadRegion(b, n); err != nil {
		t.Fatal(err)
	}
	for i, x := range w.Data() {
		if want := uint8(min(x/4, 255)); n.Data()[i] != want {
			t.Fatalf("voxel %d: %d, want %d", i, n.Data()[i], want)
		}
	}
	if err := v.Image8().ReadRegion(b, w); err == nil {
		t.Fatal("no error for a uint16 destination")
	}
}
