package nd

import (
	"fmt"
	"strings"
)

// AxisType says what an axis of an image measures.
type AxisType string

// The axis types of OME-NGFF. Other values are custom types, kept as given.
const (
	Space   AxisType = "space"
	Time    AxisType = "time"
	Channel AxisType = "channel"
)

// Axis describes one axis of an image: its name ("t", "c", "z", "y", "x"
// or a custom name), what it measures, and where its samples lie in
// physical units: sample i is at Translation + i*Scale in Unit.
//
// A zero Scale means the physical size is unknown (read it as 1); an empty
// Unit means none was given.
type Axis struct {
	Name        string
	Type        AxisType
	Unit        string  // a UDUNITS name such as "micrometer" or "second"
	Scale       float64 // physical size of one sample (0: unknown)
	Translation float64 // physical position of sample 0
}

// IsSpace reports whether a is a space axis. An axis with no type counts
// as space, as NGFF readers treat untyped axes.
func (a Axis) IsSpace() bool { return a.Type == Space || a.Type == "" }

// PhysicalScale returns Scale, or 1 when it is unknown.
func (a Axis) PhysicalScale() float64 {
	if a.Scale > 0 {
		return a.Scale
	}
	return 1
}

// DefaultAxes names the axes of an image of the given rank that carries no
// axis metadata, the way OME-NGFF orders them: t, c, z, y, x taken from the
// right, so rank 2 is (y, x), rank 3 (z, y, x), rank 4 (c, z, y, x) and
// rank 5 (t, c, z, y, x). Space axes get unit micrometer. Ranks above 5
// get extra leading axes "dim_0", ... of custom type "other", which no
// algorithm treats as space.
func DefaultAxes(rank int) []Axis {
	std := []Axis{{Name: "t", Type: Time}, {Name: "c", Type: Channel},
		{Name: "z", Type: Space, Unit: "micrometer"}, {Name: "y", Type: Space, Unit: "micrometer"},
		{Name: "x", Type: Space, Unit: "micrometer"}}
	axes := make([]Axis, rank)
	for i := range axes {
		if j := len(std) - rank + i; j >= 0 {
			axes[i] = std[j]
		} else {
			axes[i] = Axis{Name: fmt.Sprintf("dim_%d", i), Type: "other"}
		}
	}
	return axes
}

// AxesFromNames types axes from their names, as written in Zarr v3
// dimension_names or an OME order string: "t" is time, "c" channel, "x",
// "y" and "z" space (case-insensitive); any other name is a custom axis of
// type "other". An empty name takes the default axis of its position (see
// [DefaultAxes]).
func AxesFromNames(names []string) []Axis {
	axes := DefaultAxes(len(names))
	for i, n := range names {
		if n == "" {
			continue
		}
		switch strings.ToLower(n) {
		case "t", "time":
			axes[i] = Axis{Name: n, Type: Time}
		case "c", "ch", "channel", "s", "sample":
			axes[i] = Axis{Name: n, Type: Channel}
		case "x", "y", "z":
			axes[i] = Axis{Name: n, Type: Space, Unit: "micrometer"}
		default:
			axes[i] = Axis{Name: n, Type: "other"}
		}
	}
	return axes
}

// SpaceAxes returns the indices of the space axes of axes.
func SpaceAxes(axes []Axis) []int {
	var out []int
	for i, a := range axes {
		if a.IsSpace() {
			out = append(out, i)
		}
	}
	return out
}

// CheckAxes reports an error unless axes fits an array of the given rank
// with unique, non-empty names.
func CheckAxes(axes []Axis, rank int) error {
	if len(axes) != rank {
		return fmt.Errorf("nd: %d axes for an array of rank %d", len(axes), rank)
	}
	seen := map[string]bool{}
	for i, a := range axes {
		if a.Name == "" {
			return fmt.Errorf("nd: axis %d has no name", i)
		}
		if seen[a.Name] {
			return fmt.Errorf("nd: axis name %q appears twice", a.Name)
		}
		seen[a.Name] = true
		if a.Scale < 0 {
			return fmt.Errorf("nd: axis %q has negative scale %g", a.Name, a.Scale)
		}
	}
	return nil
}
