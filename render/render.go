package render

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
)

// Result is a drawn view.
type Result struct {
	Image *image.RGBA
	// Plane is the resolved view; Level the image level read.
	Plane Plane
	Level int
	// LabelLevel is the label level read (-1 without labels) and Labels
	// the label ID under each output pixel, row by row (nil without
	// labels).
	LabelLevel int
	Labels     []uint64
}

// MaxReadElements bounds the voxels one read of a view holds in memory;
// a view that needs more per plane is refused (choose a coarser level or
// a smaller region).
const MaxReadElements = 1 << 25

// Render draws view v of img, with the label image labels over it when
// labels is not nil (its axes are matched to img's by name and its
// level-0 coordinates scaled by the ratio of the level-0 shapes).
func Render(ctx context.Context, img, labels *dataset.Image, v View) (*Result, error) {
	p, err := Resolve(img, v)
	if err != nil {
		return nil, err
	}
	res := &Result{Plane: p, Level: v.Level, LabelLevel: -1}
	if res.Level < 0 {
		res.Level = ChooseLevel(img.Levels, p)
	}
	chans := v.Channels
	if len(chans) == 0 {
		chans = []Channel{Grey(img.Levels[0].DType())}
	}
	chAxis, nch := channelAxis(img.Axes, img.Levels[0].Shape())
	var vals [][]float64
	var active []Channel
	for i, c := range chans {
		if !c.Active {
			continue
		}
		if c.Index < 0 || c.Index >= nch {
			return nil, fmt.Errorf("render: channel %d (entry %d): the image has %d", c.Index, i, nch)
		}
		s, err := sample(ctx, img.Levels, res.Level, p, chAxis, c.Index, v.Fixed, math.NaN())
		if err != nil {
			return nil, err
		}
		vals, active = append(vals, s), append(active, c)
	}
	res.Image = compose(p.Width, p.Height, vals, active)
	if labels == nil {
		return res, nil
	}
	lp, fixed, err := labelPlane(img, labels, p, v.Fixed)
	if err != nil {
		return nil, err
	}
	res.LabelLevel = ChooseLevel(labels.Levels, lp)
	lch, _ := channelAxis(labels.Axes, labels.Levels[0].Shape())
	if res.Labels, err = sample(ctx, labels.Levels, res.LabelLevel, lp, lch, 0, fixed, uint64(0)); err != nil {
		return nil, fmt.Errorf("render: labels: %w", err)
	}
	alpha := v.LabelAlpha
	if alpha <= 0 {
		alpha = 0.5
	}
	overlay(res.Image, res.Labels, min(alpha, 1), v.Outline)
	return res, nil
}

// Grey is the default channel of an image of dtype dt: white over the
// full range of 8-, 16- and 32-bit integers, [0, 1] for other types.
func Grey(dt nd.DType) Channel {
	c := Channel{Color: color.RGBA{255, 255, 255, 255}, Active: true, End: 1}
	if dt.IsInteger() && dt.Size() <= 4 {
		c.Start, c.End = nd.LimitsOf(dt)
	}
	return c
}

// channelAxis returns the channel axis (-1 when none) and the number of
// channels.
func channelAxis(axes []nd.Axis, shape []int) (int, int) {
	for i, a := range axes {
		if a.Type == nd.Channel && i < len(shape) {
			return i, shape[i]
		}
	}
	return -1, 1
}

// labelPlane maps plane p of img onto the label image: axes by name,
// coordinates scaled by the ratio of the level-0 shapes.
func labelPlane(img, labels *dataset.Image, p Plane, fixed map[int]int) (Plane, map[int]int, error) {
	s0, l0 := img.Levels[0].Shape(), labels.Levels[0].Shape()
	find := func(a int) (int, float64, error) {
		for i, b := range labels.Axes {
			if b.Name == img.Axes[a].Name && i < len(l0) {
				return i, float64(l0[i]) / float64(s0[a]), nil
			}
		}
		return 0, 0, fmt.Errorf("render: the label image has no axis %q (axes %s)", img.Axes[a].Name, axisNames(labels.Axes))
	}
	lp := p
	var r, c float64
	var err error
	if lp.Rows, r, err = find(p.Rows); err != nil {
		return lp, nil, err
	}
	if lp.Cols, c, err = find(p.Cols); err != nil {
		return lp, nil, err
	}
	lp.Region = Region{Min: [2]float64{p.Region.Min[0] * r, p.Region.Min[1] * c}, Max: [2]float64{p.Region.Max[0] * r, p.Region.Max[1] * c}}
	if p.Normal >= 0 {
		var f float64
		if lp.Normal, f, err = find(p.Normal); err != nil {
			return lp, nil, err
		}
		lp.Index = min(int(float64(p.Index)*f), l0[lp.Normal]-1)
		lp.MIPMin, lp.MIPMax = int(float64(p.MIPMin)*f), int(math.Ceil(float64(p.MIPMax)*f))
	}
	lf := map[int]int{}
	for a, i := range fixed {
		if a >= 0 && a < len(img.Axes) && img.Axes[a].Type != nd.Channel {
			if la, f, err := find(a); err == nil {
				lf[la] = min(int(float64(i)*f), l0[la]-1)
			}
		}
	}
	return lp, lf, nil
}

// compose blends channel planes vals (one per channel of chans) into an
// opaque RGBA image.
func compose(w, h int, vals [][]float64, chans []Channel) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		var r, g, b float64
		for k, c := range chans {
			t := c.Level(vals[k][i])
			r += t * float64(c.Color.R)
			g += t * float64(c.Color.G)
			b += t * float64(c.Color.B)
		}
		px := out.Pix[4*i : 4*i+4]
		px[0], px[1], px[2], px[3] = clip8(r), clip8(g), clip8(b), 255
	}
	return out
}

func clip8(v float64) uint8 { return uint8(math.Min(255, math.Round(v))) }

// overlay draws label IDs ids over out: LabelColor blended at alpha
// inside labels, opaque on outline pixels when outline is set.
func overlay(out *image.RGBA, ids []uint64, alpha float64, outline bool) {
	w, h := out.Rect.Dx(), out.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			id := ids[y*w+x]
			if id == 0 {
				continue
			}
			c := LabelColor(id)
			a := alpha
			if outline && isEdge(ids, w, h, x, y) {
				a = 1
			}
			px := out.Pix[4*(y*w+x) : 4*(y*w+x)+3]
			px[0], px[1], px[2] = blend(px[0], c.R, a), blend(px[1], c.G, a), blend(px[2], c.B, a)
		}
	}
}

// isEdge reports whether pixel (x, y) has a 4-neighbour inside the image
// with another ID.
func isEdge(ids []uint64, w, h, x, y int) bool {
	id := ids[y*w+x]
	return (x > 0 && ids[y*w+x-1] != id) || (x+1 < w && ids[y*w+x+1] != id) ||
		(y > 0 && ids[(y-1)*w+x] != id) || (y+1 < h && ids[(y+1)*w+x] != id)
}
