package render

import (
	"fmt"
	"math"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
)

// Region is a rectangle of a plane in level-0 voxel coordinates:
// Min[0] <= row < Max[0] on the plane's row axis and Min[1] <= column <
// Max[1] on its column axis. It may reach outside the image; pixels there
// are black and unlabelled.
type Region struct {
	Min, Max [2]float64
}

// View says what to draw. Axis indices are array axes of the image;
// positions are level-0 voxel indices.
type View struct {
	// Axis is the space axis the plane cuts through (the plane's normal).
	// -1 picks the first space axis of a volume; it must be -1 for an
	// image with only two space axes.
	Axis int
	// Index is the plane's position on Axis; -1 is the middle.
	Index int
	// MIP draws the maximum over [MIPMin, MIPMax) of Axis instead of one
	// plane (MIPMax <= MIPMin: the whole axis). Labels then show the
	// largest ID along the range.
	MIP            bool
	MIPMin, MIPMax int
	// Fixed gives the position on other non-plane axes (time, extra space
	// axes), keyed by array axis; missing axes are at 0. The channel axis
	// is set by Channels instead.
	Fixed map[int]int
	// Region is the part of the plane to draw; nil is the whole plane.
	Region *Region
	// Width and Height are the output size in pixels. Both 0: the
	// region's size at Level (at level 0 when Level is -1); one 0: the
	// other scaled by the region's aspect ratio.
	Width, Height int
	// Level is the pyramid level to read; -1 chooses the coarsest level
	// with at least one voxel per output pixel on both plane axes.
	Level int
	// Channels are the channels to draw (inactive ones are skipped);
	// none draws channel 0 in grey over the full range of its dtype
	// (integers) or [0, 1] (floats).
	Channels []Channel
	// LabelAlpha is the opacity of label colours inside labels (0 means
	// 0.5); Outline draws label boundaries opaque.
	LabelAlpha float64
	Outline    bool
}

// Plane is a resolved view: which axes are shown and how output pixels
// map to level-0 coordinates.
type Plane struct {
	// Normal is the axis cut through (-1 for a 2-D image); Index its
	// level-0 position; Rows and Cols the axes shown down and across.
	Normal, Index, Rows, Cols int
	// MIPMin and MIPMax are the level-0 range of a MIP (MIPMax 0 for a
	// plane).
	MIPMin, MIPMax int
	Region         Region
	Width, Height  int
}

// MaxPixels bounds the output size of one view.
const MaxPixels = 1 << 26

// PlaneAxes returns the axes a plane through normal shows: the last two
// space axes other than normal, as rows and columns. normal -1 picks the
// first space axis when there are three or more.
func PlaneAxes(axes []nd.Axis, normal int) (n, rows, cols int, err error) {
	space := nd.SpaceAxes(axes)
	if normal < 0 && len(space) >= 3 {
		normal = space[0]
	}
	if normal >= len(axes) || (normal >= 0 && !axes[normal].IsSpace()) {
		return 0, 0, 0, fmt.Errorf("render: axis %d is not a space axis of this image (axes %s)", normal, axisNames(axes))
	}
	var rest []int
	for _, a := range space {
		if a != normal {
			rest = append(rest, a)
		}
	}
	if len(rest) < 2 {
		return 0, 0, 0, fmt.Errorf("render: axis %d leaves fewer than two space axes to show (axes %s)", normal, axisNames(axes))
	}
	return normal, rest[len(rest)-2], rest[len(rest)-1], nil
}

func axisNames(axes []nd.Axis) string {
	s := ""
	for _, a := range axes {
		s += a.Name
	}
	return s
}

// Resolve checks v against img and fills in its defaults: the axes, the
// index, the region and the output size.
func Resolve(img *dataset.Image, v View) (Plane, error) {
	shape := img.Levels[0].Shape()
	if len(img.Axes) != len(shape) {
		return Plane{}, fmt.Errorf("render: %d axes for an image of rank %d", len(img.Axes), len(shape))
	}
	n, rows, cols, err := PlaneAxes(img.Axes, v.Axis)
	if err != nil {
		return Plane{}, err
	}
	p := Plane{Normal: n, Rows: rows, Cols: cols, Index: v.Index}
	if n >= 0 {
		if p.Index < 0 {
			p.Index = shape[n] / 2
		}
		if p.Index >= shape[n] {
			return Plane{}, fmt.Errorf("render: index %d outside axis %q of size %d", p.Index, img.Axes[n].Name, shape[n])
		}
		if v.MIP {
			p.MIPMin, p.MIPMax = v.MIPMin, v.MIPMax
			if p.MIPMax <= p.MIPMin {
				p.MIPMin, p.MIPMax = 0, shape[n]
			}
			p.MIPMin, p.MIPMax = max(p.MIPMin, 0), min(p.MIPMax, shape[n])
			if p.MIPMin >= p.MIPMax {
				return Plane{}, fmt.Errorf("render: MIP range [%d, %d) outside axis %q of size %d", v.MIPMin, v.MIPMax, img.Axes[n].Name, shape[n])
			}
		}
	}
	for a, i := range v.Fixed {
		if a < 0 || a >= len(shape) {
			return Plane{}, fmt.Errorf("render: position on axis %d of an image of rank %d", a, len(shape))
		}
		if i < 0 || i >= shape[a] {
			return Plane{}, fmt.Errorf("render: position %d outside axis %q of size %d", i, img.Axes[a].Name, shape[a])
		}
	}
	p.Region = Region{Max: [2]float64{float64(shape[rows]), float64(shape[cols])}}
	if v.Region != nil {
		p.Region = *v.Region
	}
	r := p.Region
	if !(r.Max[0] > r.Min[0] && r.Max[1] > r.Min[1]) || math.IsInf(r.Max[0]-r.Min[0]+r.Max[1]-r.Min[1], 0) {
		return Plane{}, fmt.Errorf("render: region %v is empty or not finite", r)
	}
	if v.Level >= len(img.Levels) {
		return Plane{}, fmt.Errorf("render: level %d does not exist (the image has %d)", v.Level, len(img.Levels))
	}
	p.Width, p.Height = v.Width, v.Height
	if err := p.size(img, v.Level); err != nil {
		return Plane{}, err
	}
	return p, nil
}

// size fills in a missing width or height.
func (p *Plane) size(img *dataset.Image, level int) error {
	h, w := p.Region.Max[0]-p.Region.Min[0], p.Region.Max[1]-p.Region.Min[1]
	switch {
	case p.Width < 0 || p.Height < 0:
		return fmt.Errorf("render: negative output size %dx%d", p.Width, p.Height)
	case p.Width == 0 && p.Height == 0:
		f := [2]float64{1, 1}
		if level > 0 {
			f = [2]float64{factor(img.Levels, level, p.Rows), factor(img.Levels, level, p.Cols)}
		}
		p.Width, p.Height = max(1, int(math.Round(w/f[1]))), max(1, int(math.Round(h/f[0])))
	case p.Width == 0:
		p.Width = max(1, int(math.Round(float64(p.Height)*w/h)))
	case p.Height == 0:
		p.Height = max(1, int(math.Round(float64(p.Width)*h/w)))
	}
	if float64(p.Width)*float64(p.Height) > MaxPixels {
		return fmt.Errorf("render: output %dx%d is larger than %d pixels", p.Width, p.Height, MaxPixels)
	}
	return nil
}

// factor returns how many level-0 voxels one voxel of levels[l] spans on
// axis d: the ratio of the scales when both are known, else of the
// shapes.
func factor(levels []dataset.Level, l, d int) float64 {
	s0, sl := levels[0].Scale, levels[l].Scale
	if d < len(s0) && d < len(sl) && s0[d] > 0 && sl[d] > 0 {
		return sl[d] / s0[d]
	}
	return float64(levels[0].Shape()[d]) / float64(levels[l].Shape()[d])
}

// ChooseLevel returns the coarsest level with at least one voxel per
// output pixel on both plane axes (level 0 when even it has fewer).
func ChooseLevel(levels []dataset.Level, p Plane) int {
	vr := (p.Region.Max[0] - p.Region.Min[0]) / float64(p.Height)
	vc := (p.Region.Max[1] - p.Region.Min[1]) / float64(p.Width)
	best := 0
	for l := 1; l < len(levels); l++ {
		if factor(levels, l, p.Rows) <= vr*(1+1e-9) && factor(levels, l, p.Cols) <= vc*(1+1e-9) {
			best = l
		}
	}
	return best
}

// samples returns, for each of n output pixels over [lo, hi) of level-0
// coordinates, the index on a level axis of size size and factor f under
// the pixel's centre, or -1 outside the image.
func samples(n int, lo, hi, f float64, size0, size int) []int {
	out := make([]int, n)
	for i := range out {
		c := lo + (float64(i)+0.5)*(hi-lo)/float64(n)
		if c < 0 || c >= float64(size0) {
			out[i] = -1
			continue
		}
		out[i] = min(int(math.Floor(c/f)), size-1)
	}
	return out
}
