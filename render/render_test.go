package render

import (
	"context"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
)

// volume returns a 3-D uint16 array whose value at (z, y, x) is a
// distinct function of the position.
func volume(nz, ny, nx int) *nd.Array[uint16] {
	a := nd.New[uint16]([]int{nz, ny, nx}, nd.C)
	for z := 0; z < nz; z++ {
		for y := 0; y < ny; y++ {
			for x := 0; x < nx; x++ {
				a.Set(uint16((z*7919+y*131+x*17)%4000), z, y, x)
			}
		}
	}
	return a
}

// oneLevel wraps r as a single-level image with default axes.
func oneLevel(r nd.Reader) *dataset.Image {
	sh := r.Shape()
	sc := make([]float64, len(sh))
	for i := range sc {
		sc[i] = 1
	}
	return &dataset.Image{Reader: r, Axes: nd.DefaultAxes(len(sh)), Levels: []dataset.Level{{Reader: r, Scale: sc}}}
}

// grey is the expected 8-bit value of v through window [s, e].
func grey(v, s, e float64) uint8 {
	t := math.Min(1, math.Max(0, (v-s)/(e-s)))
	return uint8(math.Round(255 * t))
}

func white(s, e float64) Channel {
	return Channel{Color: color.RGBA{255, 255, 255, 255}, Start: s, End: e, Active: true}
}

// TestPlanesMatchArray draws planes through each axis at level 0 (one
// pixel per voxel) and compares every pixel with the windowed array.
func TestPlanesMatchArray(t *testing.T) {
	a := volume(6, 10, 12)
	img := oneLevel(a)
	const s, e = 500, 3500
	for axis := 0; axis < 3; axis++ {
		idx := []int{4, 7, 9}[axis]
		res, err := Render(context.Background(), img, nil, View{Axis: axis, Index: idx, Level: -1, Channels: []Channel{white(s, e)}})
		if err != nil {
			t.Fatal(err)
		}
		p := res.Plane
		sh := a.Shape()
		if p.Height != sh[p.Rows] || p.Width != sh[p.Cols] {
			t.Fatalf("axis %d: size %dx%d, want %dx%d", axis, p.Width, p.Height, sh[p.Cols], sh[p.Rows])
		}
		for i := 0; i < p.Height; i++ {
			for j := 0; j < p.Width; j++ {
				pos := make([]int, 3)
				pos[axis], pos[p.Rows], pos[p.Cols] = idx, i, j
				want := grey(float64(a.At(pos...)), s, e)
				got := res.Image.RGBAAt(j, i)
				if got != (color.RGBA{want, want, want, 255}) {
					t.Fatalf("axis %d pixel (%d,%d): %v, want grey %d (value %d)", axis, i, j, got, want, a.At(pos...))
				}
			}
		}
	}
}

// TestWindowKnownValues checks the window at its ends, inside and
// outside, inverted, and a step window.
func TestWindowKnownValues(t *testing.T) {
	c := white(100, 300)
	for _, tc := range []struct{ v, want float64 }{{50, 0}, {100, 0}, {200, 0.5}, {300, 1}, {1e9, 1}, {math.NaN(), 0}} {
		if got := c.Level(tc.v); got != tc.want {
			t.Errorf("Level(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
	c.Inverted = true
	if got := c.Level(150); got != 0.75 {
		t.Errorf("inverted Level(150) = %v, want 0.75", got)
	}
	step := white(5, 5)
	if step.Level(4) != 0 || step.Level(5) != 1 {
		t.Errorf("step window: %v %v", step.Level(4), step.Level(5))
	}
}

// TestMIPMatchesMax compares a MIP over part of each axis with the
// maximum computed here.
func TestMIPMatchesMax(t *testing.T) {
	a := volume(9, 8, 7)
	img := oneLevel(a)
	for axis := 0; axis < 3; axis++ {
		lo, hi := 2, 6
		res, err := Render(context.Background(), img, nil, View{Axis: axis, MIP: true, MIPMin: lo, MIPMax: hi, Level: -1, Channels: []Channel{white(0, 4000)}})
		if err != nil {
			t.Fatal(err)
		}
		p := res.Plane
		for i := 0; i < p.Height; i++ {
			for j := 0; j < p.Width; j++ {
				pos := make([]int, 3)
				pos[p.Rows], pos[p.Cols] = i, j
				m := uint16(0)
				for k := lo; k < hi; k++ {
					pos[axis] = k
					m = max(m, a.At(pos...))
				}
				want := grey(float64(m), 0, 4000)
				if got := res.Image.RGBAAt(j, i).R; got != want {
					t.Fatalf("axis %d MIP pixel (%d,%d): %d, want %d", axis, i, j, got, want)
				}
			}
		}
	}
}

// TestChannelsBlend draws two channels of a czyx image in green and
// magenta and checks the sums at known values.
func TestChannelsBlend(t *testing.T) {
	a := nd.New[uint8]([]int{2, 1, 2, 3}, nd.C)
	vals := [2][]uint8{{0, 100, 200, 50, 150, 250}, {250, 150, 50, 200, 100, 0}}
	for c := 0; c < 2; c++ {
		for k, v := range vals[c] {
			a.Set(v, c, 0, k/3, k%3)
		}
	}
	img := oneLevel(a)
	img.Axes = nd.AxesFromNames([]string{"c", "z", "y", "x"})
	green := Channel{Index: 0, Color: color.RGBA{0, 255, 0, 255}, Start: 0, End: 200, Active: true}
	magenta := Channel{Index: 1, Color: color.RGBA{255, 0, 255, 255}, Start: 50, End: 250, Active: true}
	res, err := Render(context.Background(), img, nil, View{Axis: -1, Index: 0, Level: -1, Channels: []Channel{green, magenta}})
	if err != nil {
		t.Fatal(err)
	}
	for k := range vals[0] {
		g := green.Level(float64(vals[0][k]))
		m := magenta.Level(float64(vals[1][k]))
		want := color.RGBA{clip8(255 * m), clip8(255 * g), clip8(255 * m), 255}
		if got := res.Image.RGBAAt(k%3, k/3); got != want {
			t.Errorf("pixel %d: %v, want %v", k, got, want)
		}
	}
	// An inactive channel is not drawn.
	magenta.Active = false
	res, err = Render(context.Background(), img, nil, View{Axis: -1, Index: 0, Level: -1, Channels: []Channel{green, magenta}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Image.RGBAAt(0, 0); got != (color.RGBA{0, 0, 0, 255}) {
		t.Errorf("inactive magenta drawn: %v", got)
	}
}

// TestRegionAndSampling draws a sub-region at twice the voxel size
// (nearest sampling) with part of it outside the image.
func TestRegionAndSampling(t *testing.T) {
	a := volume(1, 6, 6)
	img := oneLevel(a)
	r := Region{Min: [2]float64{-1, 2}, Max: [2]float64{3, 8}}
	res, err := Render(context.Background(), img, nil, View{Axis: 0, Index: 0, Level: -1, Region: &r, Width: 12, Height: 8, Channels: []Channel{white(0, 4000)}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		for j := 0; j < 12; j++ {
			y, x := int(math.Floor(-1+(float64(i)+0.5)/2)), int(math.Floor(2+(float64(j)+0.5)/2))
			want := uint8(0)
			if y >= 0 && y < 6 && x < 6 {
				want = grey(float64(a.At(0, y, x)), 0, 4000)
			}
			if got := res.Image.RGBAAt(j, i).R; got != want {
				t.Fatalf("pixel (%d,%d) -> voxel (%d,%d): %d, want %d", i, j, y, x, got, want)
			}
		}
	}
}

func TestViewErrors(t *testing.T) {
	img := oneLevel(volume(4, 5, 6))
	for _, tc := range []struct {
		v    View
		want string
	}{
		{View{Axis: 3, Level: -1}, "axis 3"},
		{View{Axis: 0, Index: 4, Level: -1}, `index 4 outside axis "z"`},
		{View{Axis: 0, Index: 0, Level: 2}, "level 2 does not exist"},
		{View{Axis: 0, Index: 0, Level: -1, Width: -3}, "negative output size"},
		{View{Axis: 0, Index: 0, Level: -1, Region: &Region{Max: [2]float64{0, 5}}}, "region"},
		{View{Axis: 0, Index: 0, Level: -1, Channels: []Channel{{Index: 1, Active: true}}}, "channel 1"},
		{View{Axis: 0, MIP: true, MIPMin: 7, MIPMax: 9, Level: -1}, "MIP range"},
		{View{Axis: 0, Level: -1, Fixed: map[int]int{1: 5}}, `position 5 outside axis "y"`},
	} {
		_, err := Render(context.Background(), img, nil, tc.v)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one naming %q", tc.v, err, tc.want)
		}
	}
	if _, err := ParseColor("12345G"); err == nil || !strings.Contains(err.Error(), "12345G") {
		t.Errorf("ParseColor: %v", err)
	}
}
