package tile

import (
	"fmt"
	"iter"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// MaxTiles bounds the number of tiles a plan may have, so that a typo in a
// crop size cannot make a caller loop for days.
const MaxTiles = 1 << 40

// MaxAxisTiles bounds the number of crops along one tiled axis. A plan
// stores two ints per crop per axis, so the bound keeps a plan below
// 256 MiB per axis whatever the shape.
const MaxAxisTiles = 1 << 24

// axis is the plan of one tiled axis.
type axis struct {
	n      int   // image length
	crop   int   // crop size
	margin int   // context per side
	starts []int // crop starts, strictly increasing, may be negative
	bounds []int // len(starts)+1 owned-region boundaries: bounds[0]=0, last=n
	scale  Ratio
}

// Plan is a tiling of one image shape by one [Spec]. It is immutable and
// safe for concurrent use. Tiles are numbered 0..Len()-1 in C order of
// their grid position: the first tiled axis changes slowest.
type Plan struct {
	shape   []int // image shape
	lead    int   // number of leading (untiled) axes
	outLead []int // leading shape of the output
	axes    []axis
	border  Border
	value   float64
	len     int
}

// New plans the tiles of an image of the given shape. It fails with an
// error naming the axis when the spec does not fit the shape: a crop no
// larger than twice its margin, a crop larger than the image with Border
// None (no silent shrinking), or an output scale that would give fractional
// boxes.
func New(shape []int, s Spec) (*Plan, error) {
	margins, err := s.validate(shape)
	if err != nil {
		return nil, err
	}
	lead := len(shape) - len(s.Crop)
	p := &Plan{shape: slices.Clone(shape), lead: lead, border: s.Border, value: s.Value}
	p.outLead = slices.Clone(shape[:lead])
	if s.OutLead != nil {
		p.outLead = slices.Clone(s.OutLead)
	}
	p.len = 1
	for i := range shape[:lead] {
		if shape[i] == 0 {
			p.len = 0
		}
	}
	for i, c := range s.Crop {
		ax := axis{n: shape[lead+i], crop: c, margin: margins[i], scale: Ratio{1, 1}}
		if s.Scale != nil {
			ax.scale = s.Scale[i].norm()
		}
		if err := ax.place(s.Border, s.Placement); err != nil {
			return nil, fmt.Errorf("tile: axis %d: %w", lead+i, err)
		}
		p.axes = append(p.axes, ax)
		if len(ax.starts) == 0 {
			p.len = 0
		} else if p.len > 0 {
			if p.len > MaxTiles/len(ax.starts) {
				return nil, fmt.Errorf("tile: more than %d tiles", MaxTiles)
			}
			p.len *= len(ax.starts)
		}
	}
	for _, c := range []struct {
		what  string
		shape []int
	}{{"crop", p.CropShape()}, {"output crop", p.OutCropShape()}, {"output", p.OutShape()}} {
		if _, ok := nd.CheckedSize(c.shape); !ok {
			return nil, fmt.Errorf("tile: %s shape %v has more voxels than an int holds", c.what, c.shape)
		}
	}
	return p, nil
}

// place computes the crop starts and owned boundaries of one axis.
func (a *axis) place(b Border, pl Placement) error {
	L, c, m := a.n, a.crop, a.margin
	if L == 0 {
		a.bounds = []int{0}
		return nil
	}
	start, end := 0, L
	if b != None {
		if m > (maxInt-L)/2 {
			return fmt.Errorf("length %d padded by the margin %d on both ends overflows an int", L, m)
		}
		start, end = -m, L+m
	} else if c > L {
		return fmt.Errorf("crop %d is larger than the image (%d) and the border mode is none: pad with a border mode or use a smaller crop", c, L)
	}
	span, stride := end-start, c-2*m
	n := 1
	if c < span {
		n = (span-c-1)/stride + 2 // ceil((span-c)/stride) + 1, without overflow
	}
	if n > MaxAxisTiles {
		return fmt.Errorf("%d crops of %d with stride %d, more than %d per axis", n, c, stride, MaxAxisTiles)
	}
	a.starts = make([]int, n)
	// Even: start + round(k*(span-c)/(n-1)), half up, as k*q + round(k*r/(n-1))
	// with span-c = q*(n-1) + r, so that nothing overflows.
	q, r := 0, 0
	if n > 1 {
		q, r = (span-c)/(n-1), (span-c)%(n-1)
	}
	for k := range a.starts {
		switch {
		case n == 1:
			a.starts[k] = start
		case pl == Even:
			a.starts[k] = start + k*q + (2*k*r+(n-1))/(2*(n-1))
		case k == n-1:
			a.starts[k] = end - c
		default:
			a.starts[k] = start + k*stride
		}
	}
	return a.bound(b)
}

// bound sets the owned boundaries between the crops placed by place
// (midpoints of neighbouring crops' centres, on the output grid) and
// checks that every crop scales exactly and owns a non-empty part of its
// kept region.
func (a *axis) bound(b Border) error {
	L, c, m, n := a.n, a.crop, a.margin, len(a.starts)
	// Unit of the output grid in input voxels: boundaries and starts must
	// be multiples of it for boxes to scale exactly.
	unit := a.scale.Den / gcd(a.scale.Num, a.scale.Den)
	a.bounds = make([]int, n+1)
	a.bounds[n] = L
	for k := 1; k < n; k++ {
		// Midpoint of the two crops' centres, so each voxel is owned by
		// the crop in which it is farthest from the crop's edge.
		mid := a.starts[k-1] + (a.starts[k]-a.starts[k-1]+c)/2
		a.bounds[k] = mid - mid%unit
	}
	if _, ok := a.scale.scale(L); !ok {
		return fmt.Errorf("length %d does not scale to whole voxels by %d/%d", L, a.scale.Num, a.scale.Den)
	}
	if _, ok := a.scale.scale(c); !ok {
		return fmt.Errorf("crop %d does not scale to whole voxels by %d/%d", c, a.scale.Num, a.scale.Den)
	}
	for k, s := range a.starts {
		if _, ok := a.scale.scale(s); !ok {
			return fmt.Errorf("crop start %d does not scale to whole voxels by %d/%d (make margin, stride and length multiples of %d)", s, a.scale.Num, a.scale.Den, unit)
		}
		lo, hi := a.bounds[k], a.bounds[k+1]
		// The owned region must be non-empty, inside the crop, and keep
		// the full margin wherever the crop has a neighbour or padding.
		keptLo, keptHi := s+m, s+c-m
		if b == None {
			if k == 0 {
				keptLo = 0
			}
			if k == n-1 {
				keptHi = L
			}
		}
		if lo >= hi || lo < keptLo || hi > keptHi {
			return fmt.Errorf("tile %d owns [%d,%d), outside its kept region [%d,%d) (output scale %d/%d needs boundaries on multiples of %d)", k, lo, hi, keptLo, keptHi, a.scale.Num, a.scale.Den, unit)
		}
	}
	return nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Len returns the number of tiles.
func (p *Plan) Len() int { return p.len }

// Shape returns the image shape the plan was made for.
func (p *Plan) Shape() []int { return slices.Clone(p.shape) }

// Border returns the border mode and fill value.
func (p *Plan) Border() (Border, float64) { return p.border, p.value }

// Grid returns the number of tiles along each tiled axis.
func (p *Plan) Grid() []int {
	g := make([]int, len(p.axes))
	for i, a := range p.axes {
		g[i] = len(a.starts)
	}
	return g
}

// Starts returns the crop starts along tiled axis i (0 is the first tiled
// axis), in image coordinates; with padding the first is -margin. It
// panics if i is not in [0, len(Grid())).
func (p *Plan) Starts(i int) []int { return slices.Clone(p.axes[i].starts) }

// CropShape returns the shape of every input crop: the leading axes whole
// and Crop on the tiled axes.
func (p *Plan) CropShape() []int {
	return p.shapeOf(p.shape[:p.lead], func(a *axis) int { return a.crop })
}

// OutCropShape returns the shape a function must return for each crop:
// OutLead on the leading axes and Crop scaled on the tiled axes.
func (p *Plan) OutCropShape() []int {
	return p.shapeOf(p.outLead, func(a *axis) int { v, _ := a.scale.scale(a.crop); return v })
}

// OutShape returns the shape of the output image.
func (p *Plan) OutShape() []int {
	return p.shapeOf(p.outLead, func(a *axis) int { v, _ := a.scale.scale(a.n); return v })
}

// shapeOf is lead followed by f of each tiled axis.
func (p *Plan) shapeOf(lead []int, f func(*axis) int) []int {
	s := slices.Clone(lead)
	for i := range p.axes {
		s = append(s, f(&p.axes[i]))
	}
	return s
}

// Tile describes one crop. All boxes have the image's full rank.
type Tile struct {
	// Index is the tile's number in the plan, Grid its position per
	// tiled axis.
	Index int
	Grid  []int
	// Crop is the crop in image coordinates; with padding it may reach
	// outside [0, shape).
	Crop nd.Box
	// Source is the part of the function's output crop to keep, in the
	// output crop's coordinates.
	Source nd.Box
	// Dest is where Source goes in the output image. The Dest boxes of a
	// plan partition the output exactly.
	Dest nd.Box
	// Region is Crop clipped to the image and scaled to the output: the
	// part of the output the whole crop covers, used by blending.
	Region nd.Box
	// RegionSource is Region in the output crop's coordinates.
	RegionSource nd.Box
}

// Padded reports whether the crop reaches outside an image of the given
// shape, so that reading it needs the border mode.
func (t Tile) Padded(shape []int) bool { return !nd.BoxOf(shape).Contains(t.Crop) }

// Tile returns tile i. It panics if i is out of range.
func (p *Plan) Tile(i int) Tile {
	if i < 0 || i >= p.len {
		panic(fmt.Sprintf("tile: Tile(%d) of a plan of %d tiles", i, p.len))
	}
	r := len(p.shape)
	t := Tile{Index: i, Grid: make([]int, len(p.axes))}
	for _, b := range []*nd.Box{&t.Crop, &t.Source, &t.Dest, &t.Region, &t.RegionSource} {
		*b = nd.Box{Min: make([]int, r), Max: make([]int, r)}
	}
	for d := 0; d < p.lead; d++ {
		t.Crop.Max[d] = p.shape[d]
		for _, b := range []*nd.Box{&t.Source, &t.Dest, &t.Region, &t.RegionSource} {
			b.Max[d] = p.outLead[d]
		}
	}
	rem := i
	for k := len(p.axes) - 1; k >= 0; k-- {
		a := &p.axes[k]
		g := rem % len(a.starts)
		rem /= len(a.starts)
		t.Grid[k] = g
		d := p.lead + k
		s := a.starts[g]
		lo, hi := a.bounds[g], a.bounds[g+1]
		sc := func(v int) int { x, _ := a.scale.scale(v); return x }
		t.Crop.Min[d], t.Crop.Max[d] = s, s+a.crop
		t.Dest.Min[d], t.Dest.Max[d] = sc(lo), sc(hi)
		t.Source.Min[d], t.Source.Max[d] = sc(lo-s), sc(hi-s)
		rlo, rhi := max(s, 0), min(s+a.crop, a.n)
		t.Region.Min[d], t.Region.Max[d] = sc(rlo), sc(rhi)
		t.RegionSource.Min[d], t.RegionSource.Max[d] = sc(rlo-s), sc(rhi-s)
	}
	return t
}

// All iterates over the tiles in order.
func (p *Plan) All() iter.Seq[Tile] {
	return func(yield func(Tile) bool) {
		for i := 0; i < p.len; i++ {
			if !yield(p.Tile(i)) {
				return
			}
		}
	}
}
