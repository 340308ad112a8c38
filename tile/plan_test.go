package tile

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// Ryomen's own positions, checked against its code (see
// shared/research/tiling-anchors.md): L=1000, c=512, o=64 padded gives
// -64, 320, 552; L=23, c=10, o=2 gives -2, 4, 10, 15 padded and 0, 6, 12,
// 13 unpadded.
func TestRyomenPositions(t *testing.T) {
	cases := []struct {
		L, c, m int
		b       Border
		want    []int
	}{
		{1000, 512, 64, Symmetric, []int{-64, 320, 552}},
		{23, 10, 2, Symmetric, []int{-2, 4, 10, 15}},
		{23, 10, 2, None, []int{0, 6, 12, 13}},
		{100, 30, 10, None, []int{0, 10, 20, 30, 40, 50, 60, 70}},
		{10, 10, 0, None, []int{0}},
		{10, 5, 0, Edge, []int{0, 5}},
		{11, 5, 0, Edge, []int{0, 5, 6}},
	}
	for _, c := range cases {
		p, err := New([]int{c.L}, Spec{Crop: []int{c.c}, Margin: []int{c.m}, Border: c.b})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Starts(0); !slices.Equal(got, c.want) {
			t.Errorf("L=%d c=%d m=%d %v: starts %v, want %v", c.L, c.c, c.m, c.b, got, c.want)
		}
	}
}

// The owned regions split the overlap of pulled-back crops at the midpoint
// of their centres instead of letting the last write win.
func TestDestBoxes(t *testing.T) {
	p, err := New([]int{1000}, Spec{Crop: []int{512}, Margin: []int{64}})
	if err != nil {
		t.Fatal(err)
	}
	want := [][4]int{ // dest lo, hi, source lo, hi
		{0, 384, 64, 448},
		{384, 692, 64, 372},
		{692, 1000, 140, 448},
	}
	for i, w := range want {
		tl := p.Tile(i)
		got := [4]int{tl.Dest.Min[0], tl.Dest.Max[0], tl.Source.Min[0], tl.Source.Max[0]}
		if got != w {
			t.Errorf("tile %d: dest/source %v, want %v", i, got, w)
		}
	}
}

func TestEvenPlacement(t *testing.T) {
	// span 1128, crop 512, 3 crops: starts -64 + round(k*616/2).
	p, err := New([]int{1000}, Spec{Crop: []int{512}, Margin: []int{64}, Placement: Even})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Starts(0), []int{-64, 244, 552}; !slices.Equal(got, want) {
		t.Errorf("even starts %v, want %v", got, want)
	}
}

func TestOverlapSpelling(t *testing.T) {
	a, err := New([]int{23, 40}, Spec{Crop: []int{10, 12}, Overlap: []int{4, 6}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New([]int{23, 40}, Spec{Crop: []int{10, 12}, Margin: []int{2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Len() != b.Len() || !slices.Equal(a.Starts(0), b.Starts(0)) || !slices.Equal(a.Starts(1), b.Starts(1)) {
		t.Errorf("Overlap 4,6 and Margin 2,3 give different plans")
	}
}

func TestSpecErrors(t *testing.T) {
	cases := []struct {
		shape []int
		s     Spec
		want  string
	}{
		{[]int{10}, Spec{}, "Crop is empty"},
		{[]int{10}, Spec{Crop: []int{4, 4}}, "2 crop axes for an image of rank 1"},
		{[]int{10}, Spec{Crop: []int{4}, Margin: []int{2}}, "larger than twice the margin"},
		{[]int{10}, Spec{Crop: []int{0}}, "Crop[0] = 0"},
		{[]int{10}, Spec{Crop: []int{4}, Overlap: []int{3}}, "must be even"},
		{[]int{10}, Spec{Crop: []int{4}, Overlap: []int{2}, Margin: []int{1}}, "not both"},
		{[]int{3, 10}, Spec{Crop: []int{12}, Border: None}, "axis 1: crop 12 is larger than the image (10)"},
		{[]int{10}, Spec{Crop: []int{4}, Margin: []int{1}, Scale: []Ratio{{1, 2}}}, "axis 0: crop start -1 does not scale"},
		{[]int{9}, Spec{Crop: []int{4}, Scale: []Ratio{{1, 2}}, Border: None}, "length 9 does not scale"},
		{[]int{10}, Spec{Crop: []int{4}, Scale: []Ratio{{0, 2}}}, "must be positive"},
		{[]int{2, 10}, Spec{Crop: []int{4}, OutLead: []int{0}}, "OutLead[0] = 0"},
		{[]int{10}, Spec{Crop: []int{4}, Border: Border(9)}, "invalid border"},
	}
	for _, c := range cases {
		_, err := New(c.shape, c.s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%v, %+v) = %v, want error containing %q", c.shape, c.s, err, c.want)
		}
	}
}

// A crop larger than the image is kept at its size and padded, never
// shrunk (Ryomen silently shrinks it).
func TestCropLargerThanImage(t *testing.T) {
	p, err := New([]int{3, 5}, Spec{Crop: []int{8, 8}, Margin: []int{1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != 1 || !slices.Equal(p.CropShape(), []int{8, 8}) {
		t.Fatalf("got %d tiles of %v, want 1 of [8 8]", p.Len(), p.CropShape())
	}
	tl := p.Tile(0)
	if !tl.Dest.Eq(nd.BoxOf([]int{3, 5})) {
		t.Errorf("dest %v, want the whole image", tl.Dest)
	}
}

// randomSpec draws a valid spec for shape, or false.
func randomSpec(r *rand.Rand, shape []int, nt int) Spec {
	s := Spec{Border: Border(r.IntN(int(None) + 1)), Placement: Placement(r.IntN(2)), Value: float64(r.IntN(50))}
	for _, L := range shape[len(shape)-nt:] {
		c := 1 + r.IntN(L+3)
		if s.Border == None {
			c = 1 + r.IntN(L)
		}
		m := r.IntN((c + 1) / 2) // c > 2m
		s.Crop = append(s.Crop, c)
		s.Margin = append(s.Margin, m)
	}
	return s
}

func randomShape(r *rand.Rand) ([]int, int) {
	rank := 1 + r.IntN(5)
	shape := make([]int, rank)
	for i := range shape {
		shape[i] = 1 + r.IntN(map[int]int{1: 60, 2: 25, 3: 10, 4: 6, 5: 4}[rank])
	}
	return shape, 1 + r.IntN(rank)
}

// Property: for random shapes and specs the Dest boxes partition the
// output exactly, each lies inside its crop's kept centre (or at an image
// edge when unpadded), starts strictly increase (no duplicate tiles), and
// Source and Dest have equal shapes.
func TestPlanProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 400; iter++ {
		shape, nt := randomShape(r)
		s := randomSpec(r, shape, nt)
		p, err := New(shape, s)
		if err != nil {
			t.Fatalf("New(%v, %+v): %v", shape, s, err)
		}
		for k := range nt {
			st := p.Starts(k)
			for i := 1; i < len(st); i++ {
				if st[i] <= st[i-1] {
					t.Fatalf("%v %+v: starts %v not increasing", shape, s, st)
				}
			}
		}
		count := nd.New[uint8](shape, nd.C)
		lead := len(shape) - nt
		for tl := range p.All() {
			if !slices.Equal(tl.Source.Shape(), tl.Dest.Shape()) {
				t.Fatalf("tile %d: source %v dest %v", tl.Index, tl.Source, tl.Dest)
			}
			for k := range nt {
				d := lead + k
				lo, hi := tl.Crop.Min[d]+s.Margin[k], tl.Crop.Max[d]-s.Margin[k]
				if s.Border == None {
					if tl.Crop.Min[d] == 0 {
						lo = 0
					}
					if tl.Crop.Max[d] == shape[d] {
						hi = shape[d]
					}
					if tl.Crop.Min[d] < 0 || tl.Crop.Max[d] > shape[d] {
						t.Fatalf("unpadded crop %v outside %v", tl.Crop, shape)
					}
				}
				if tl.Dest.Min[d] < lo || tl.Dest.Max[d] > hi {
					t.Fatalf("%v %+v tile %d: dest %v outside kept [%d,%d) on axis %d", shape, s, tl.Index, tl.Dest, lo, hi, d)
				}
				if tl.Source.Min[d] != tl.Dest.Min[d]-tl.Crop.Min[d] {
					t.Fatalf("tile %d: source %v does not match dest %v in crop %v", tl.Index, tl.Source, tl.Dest, tl.Crop)
				}
			}
			v := count.Sub(tl.Dest)
			v.Values(func(idx []int, c uint8) { v.Set(c+1, idx...) })
		}
		count.Values(func(idx []int, c uint8) {
			if c != 1 {
				t.Fatalf("%v %+v: voxel %v written %d times", shape, s, idx, c)
			}
		})
	}
}

func TestScaledBoxes(t *testing.T) {
	p, err := New([]int{2, 64, 48}, Spec{Crop: []int{16, 16}, Margin: []int{4, 2}, Scale: []Ratio{{1, 2}, {2, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.OutShape(), []int{2, 32, 96}; !slices.Equal(got, want) {
		t.Fatalf("out shape %v, want %v", got, want)
	}
	if got, want := p.OutCropShape(), []int{2, 8, 32}; !slices.Equal(got, want) {
		t.Fatalf("out crop shape %v, want %v", got, want)
	}
	count := nd.New[uint8](p.OutShape(), nd.C)
	for tl := range p.All() {
		for d := 1; d < 3; d++ {
			num, den := []int{1, 2}[d-1], []int{2, 1}[d-1]
			if tl.Dest.Min[d]-tl.Source.Min[d] != tl.Crop.Min[d]*num/den {
				t.Errorf("tile %d axis %d: dest %v source %v crop %v", tl.Index, d, tl.Dest, tl.Source, tl.Crop)
			}
		}
		v := count.Sub(tl.Dest)
		v.Values(func(idx []int, c uint8) { v.Set(c+1, idx...) })
	}
	count.Values(func(idx []int, c uint8) {
		if c != 1 {
			t.Fatalf("output voxel %v written %d times", idx, c)
		}
	})
}
