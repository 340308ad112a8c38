package tile

import (
	"fmt"

	"github.com/ryomen-dev/ryomen/nd"
)

// Border says how a crop that reaches outside the image is filled. Modes
// are defined for any axis length L and any coordinate i (numpy's names in
// brackets):
//
//	Symmetric  mirror with the edge repeated  [symmetric]  ... 1 0 | 0 1 2 ... L-1 | L-1 L-2 ...
//	Reflect    mirror about the edge voxel    [reflect]    ... 2 1 | 0 1 2 ... L-1 | L-2 L-3 ...
//	Edge       repeat the edge voxel          [edge]       ... 0 0 | 0 1 2 ... L-1 | L-1 L-1 ...
//	Periodic   wrap around                    [wrap]       ... L-2 L-1 | 0 1 ... L-1 | 0 1 ...
//	Constant   a fixed value (Spec.Value)     [constant]
//	None       no padding: crops stay inside the image
//
// Symmetric is what Ryomen (and dask's "reflect") does. Mirroring repeats
// as often as needed, so a margin wider than the image is still defined.
type Border uint8

// The border modes. The zero value is Symmetric, Ryomen's default.
const (
	Symmetric Border = iota
	Reflect
	Edge
	Periodic
	Constant
	None
)

var borderNames = [...]string{"symmetric", "reflect", "edge", "periodic", "constant", "none"}

// String returns the mode's lower-case name.
func (b Border) String() string {
	if int(b) < len(borderNames) {
		return borderNames[b]
	}
	return fmt.Sprintf("Border(%d)", uint8(b))
}

// ParseBorder returns the Border named s (as printed by String).
func ParseBorder(s string) (Border, error) {
	for i, n := range borderNames {
		if n == s {
			return Border(i), nil
		}
	}
	return 0, fmt.Errorf("tile: unknown border mode %q (want symmetric, reflect, edge, periodic, constant or none)", s)
}

// Placement says where the tiles of one axis go when the crops do not
// divide the (padded) axis evenly.
type Placement uint8

const (
	// PullBack steps by the stride from the start and moves the last crop
	// back so it ends exactly at the (padded) end, as Ryomen and MONAI do.
	// The last two crops overlap more than the others.
	PullBack Placement = iota
	// Even uses the same number of crops as PullBack but spreads the
	// extra overlap over every gap (starts rounded to integers), as
	// nnU-Net and cellpose do.
	Even
)

// String returns "pullback" or "even".
func (p Placement) String() string {
	switch p {
	case PullBack:
		return "pullback"
	case Even:
		return "even"
	}
	return fmt.Sprintf("Placement(%d)", uint8(p))
}

// Ratio is an exact output/input scale for one axis: an output of a model
// that halves each spatial axis has Ratio{1, 2}; one that doubles it has
// Ratio{2, 1}. The zero Ratio means 1/1.
type Ratio struct{ Num, Den int }

func (r Ratio) norm() Ratio {
	if r.Num == 0 && r.Den == 0 {
		return Ratio{1, 1}
	}
	return r
}

// scale returns v*Num/Den and whether it is an integer that fits an int
// (Num and Den are positive).
func (r Ratio) scale(v int) (int, bool) {
	r = r.norm()
	if r.Num <= 0 || r.Den <= 0 || !mulFits(v, r.Num) {
		return 0, false
	}
	p := v * r.Num
	if p%r.Den != 0 {
		return 0, false
	}
	return p / r.Den, true
}

// mulFits reports whether v*k fits an int, for k > 0.
func mulFits(v, k int) bool {
	if v >= 0 {
		return v <= maxInt/k
	}
	return v >= -maxInt/k
}

const maxInt = int(^uint(0) >> 1)

// Spec describes a tiling. Crop and the margins apply to the last
// len(Crop) axes of the image ("tiled axes"); the axes before them
// (channels, time, batch) are carried whole in every crop.
type Spec struct {
	// Crop is the crop size per tiled axis, every entry > 0.
	Crop []int
	// Margin is the context per side per tiled axis: the part of a crop
	// that is read for context and thrown away. Neighbouring crops share
	// 2*Margin voxels and the stride is Crop-2*Margin. This is what Ryomen
	// calls "overlap". Nil means zero. Set at most one of Margin and
	// Overlap.
	Margin []int
	// Overlap is the number of voxels neighbouring crops share (the
	// spelling of tiler, xbatcher and MONAI's splitter); it must be even
	// and is the same as Margin = Overlap/2.
	Overlap []int
	// Border fills the parts of crops outside the image. With any mode but
	// None the axis is padded by Margin on both ends (Ryomen's pad=True);
	// with None crops stay inside the image and the outermost Margin
	// voxels are written from crops that see context on one side only.
	Border Border
	// Value is the fill value for Border == Constant.
	Value float64
	// Placement positions the last crops of each axis.
	Placement Placement
	// Scale is the output/input size ratio per tiled axis for functions
	// whose output is at another resolution. Nil means 1/1 for every axis.
	// Every box must scale to whole voxels, or New fails.
	Scale []Ratio
	// OutLead is the shape of the leading (untiled) axes of the output,
	// for functions that change the number of channels. Nil means the
	// same as the input's.
	OutLead []int
	// Axes, when set (one per image axis), say what each axis is: every
	// tiled axis must then be a space axis, so a crop spec can never pad
	// or cut a channel or time axis (give one crop entry per space axis;
	// channels and time are carried whole, as in Ryomen).
	Axes []nd.Axis
}

// margins returns the per-side margins after checking Margin/Overlap.
func (s *Spec) margins() ([]int, error) {
	n := len(s.Crop)
	switch {
	case s.Margin != nil && s.Overlap != nil:
		return nil, fmt.Errorf("tile: set Margin or Overlap, not both")
	case s.Overlap != nil:
		if len(s.Overlap) != n {
			return nil, fmt.Errorf("tile: Overlap has %d entries for %d crop axes", len(s.Overlap), n)
		}
		m := make([]int, n)
		for i, o := range s.Overlap {
			if o < 0 || o%2 != 0 {
				return nil, fmt.Errorf("tile: Overlap[%d] = %d: the overlap between neighbours must be even and >= 0 (it is twice the margin per side)", i, o)
			}
			m[i] = o / 2
		}
		return m, nil
	case s.Margin != nil:
		if len(s.Margin) != n {
			return nil, fmt.Errorf("tile: Margin has %d entries for %d crop axes", len(s.Margin), n)
		}
		return append([]int(nil), s.Margin...), nil
	}
	return make([]int, n), nil
}

func (s *Spec) validate(shape []int) ([]int, error) {
	if len(s.Crop) == 0 {
		return nil, fmt.Errorf("tile: Crop is empty")
	}
	if len(s.Crop) > len(shape) {
		return nil, fmt.Errorf("tile: %d crop axes for an image of rank %d", len(s.Crop), len(shape))
	}
	if s.Axes != nil {
		if len(s.Axes) != len(shape) {
			return nil, fmt.Errorf("tile: %d axes for an image of rank %d", len(s.Axes), len(shape))
		}
		for _, a := range s.Axes[len(shape)-len(s.Crop):] {
			if !a.IsSpace() {
				return nil, fmt.Errorf("tile: Crop has %d entries, so it would tile (and pad) axis %q, a %s axis; give one entry per space axis: channel and time axes are carried whole",
					len(s.Crop), a.Name, a.Type)
			}
		}
	}
	if s.Border > None {
		return nil, fmt.Errorf("tile: invalid border mode %v", s.Border)
	}
	if s.Placement > Even {
		return nil, fmt.Errorf("tile: invalid placement %v", s.Placement)
	}
	for i, v := range shape {
		if v < 0 {
			return nil, fmt.Errorf("tile: image axis %d has negative length %d", i, v)
		}
	}
	m, err := s.margins()
	if err != nil {
		return nil, err
	}
	for i, c := range s.Crop {
		if c <= 0 {
			return nil, fmt.Errorf("tile: Crop[%d] = %d must be > 0", i, c)
		}
		if m[i] < 0 {
			return nil, fmt.Errorf("tile: Margin[%d] = %d must be >= 0", i, m[i])
		}
		if m[i] > (c-1)/2 { // c <= 2*m, without overflow
			return nil, fmt.Errorf("tile: axis %d: crop %d must be larger than twice the margin %d (nothing would be kept)", len(shape)-len(s.Crop)+i, c, m[i])
		}
	}
	if s.Scale != nil {
		if len(s.Scale) != len(s.Crop) {
			return nil, fmt.Errorf("tile: Scale has %d entries for %d crop axes", len(s.Scale), len(s.Crop))
		}
		for i, r := range s.Scale {
			r = r.norm()
			if r.Num <= 0 || r.Den <= 0 {
				return nil, fmt.Errorf("tile: Scale[%d] = %d/%d must be positive", i, r.Num, r.Den)
			}
		}
	}
	if s.OutLead != nil {
		if len(s.OutLead) != len(shape)-len(s.Crop) {
			return nil, fmt.Errorf("tile: OutLead has %d entries for %d leading axes", len(s.OutLead), len(shape)-len(s.Crop))
		}
		for i, v := range s.OutLead {
			if v <= 0 {
				return nil, fmt.Errorf("tile: OutLead[%d] = %d must be > 0", i, v)
			}
		}
	}
	return m, nil
}
