package tiff

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
)

// Series kinds: where a series' axes come from.
const (
	KindOME     = "ome"     // an Image of the OME-XML in an OME-TIFF
	KindImageJ  = "imagej"  // an ImageJ hyperstack description
	KindShaped  = "shaped"  // a tifffile {"shape": ...} description
	KindPages   = "pages"   // a run of pages of one size with no description
	KindPyramid = "pyramid" // pages that halve in size (vips --pyramid without --subifd)
)

// Series is one image of a file, with named axes: an OME Image, an ImageJ
// hyperstack, a tifffile shaped series or a run of equal pages. Its levels
// (level 0 first) are its resolutions: SubIFDs of its pages, or following
// pages of half the size (a vips page pyramid).
//
// Axes are in array order, always ending in y, x. Time, channel and z
// come in OME-NGFF's order t, c, z whatever order the file stores planes
// in. Samples of a pixel (RGB, contiguous or in separate planes) are the
// channel axis "c". Axes of length 1 that OME-XML or ImageJ describe (T,
// C, Z) are dropped, so a series has rank 2 to 5.
type Series struct {
	Name string
	Kind string    // KindOME, KindImageJ, ...
	Axes []nd.Axis // one per array axis
	// Channels are the channel names (OME Channel Name), one per index of
	// the "c" axis, or nil.
	Channels []string
	f        *File
	shape    []int     // level 0
	sAx      int       // the sample axis, or -1
	levels   [][]*Page // levels[k]: level k's pages, C order over the plane axes
}

// Shape returns the shape of level 0.
func (s *Series) Shape() []int { return append([]int(nil), s.shape...) }

// DType returns the sample type.
func (s *Series) DType() nd.DType { return s.levels[0][0].DType }

// Levels returns the number of resolution levels (1 without a pyramid).
func (s *Series) Levels() int { return len(s.levels) }

// Level returns resolution level k (0 is full resolution) as an
// nd.Reader with the series' axes; only y and x shrink from level to
// level.
func (s *Series) Level(k int) (*Stack, error) {
	if k < 0 || k >= len(s.levels) {
		return nil, fmt.Errorf("tiff: %sseries %q: level %d of %d", s.f.prefix(), s.Name, k, len(s.levels))
	}
	pages := s.levels[k]
	shape := s.Shape()
	r := len(shape)
	shape[r-2], shape[r-1] = pages[0].Height, pages[0].Width
	return s.f.newStack(pages, shape, r-2, r-1, s.sAx, fmt.Sprintf("series %q level %d plane", s.Name, k))
}

// Series returns the images in f, each with its axes: the Images of
// OME-XML, an ImageJ hyperstack, tifffile's shaped series, or runs of
// pages of equal size (a page of another size starts a new series, so
// nothing is merged silently). Pages that halve in size after a one-page
// image are its levels.
func (f *File) Series() ([]*Series, error) {
	d := f.Pages[0].Description
	if isOME(d) {
		return f.omeSeries(d)
	}
	from := 0
	var out []*Series
	if strings.HasPrefix(d, "ImageJ=") {
		s, n, err := f.imagejSeries()
		if err != nil {
			return nil, fmt.Errorf("tiff: %sImageJ description: %w", f.prefix(), err)
		}
		out, from = append(out, s), n
	}
	for i := from; i < len(f.Pages); {
		s, n, err := f.shapedSeries(i)
		if err != nil {
			return nil, fmt.Errorf("tiff: %spage %d: shaped description: %w", f.prefix(), i, err)
		}
		if s == nil {
			if s, n, err = f.pageRun(i); err != nil {
				return nil, err
			}
		}
		if len(s.levels[0]) == 1 && len(s.levels) == 1 {
			n += f.pagePyramid(s, i+n)
		}
		out, i = append(out, s), i+n
	}
	return out, nil
}

// seriesOf builds a series whose plane axes (every axis but y, x and the
// samples) are planeAxes, of lengths sizes, with pages in C order over
// them. The pages' samples, when there are several, become a channel
// axis "c" (or "s" if a "c" already exists) placed after the leading
// time axes. Every page must have the first one's size, samples and type.
func (f *File) seriesOf(kind, name string, planeAxes []nd.Axis, sizes []int, pages []*Page) (*Series, error) {
	p0 := pages[0]
	s := &Series{Name: name, Kind: kind, f: f, sAx: -1}
	at := 0
	for at < len(planeAxes) && planeAxes[at].Type == nd.Time {
		at++
	}
	for i, a := range planeAxes {
		if i == at && p0.Samples > 1 {
			s.sAx = len(s.Axes)
			s.Axes, s.shape = append(s.Axes, sampleAxis(planeAxes)), append(s.shape, p0.Samples)
		}
		s.Axes, s.shape = append(s.Axes, a), append(s.shape, sizes[i])
	}
	if s.sAx < 0 && p0.Samples > 1 {
		s.sAx = len(s.Axes)
		s.Axes, s.shape = append(s.Axes, sampleAxis(planeAxes)), append(s.shape, p0.Samples)
	}
	s.Axes = append(s.Axes, nd.Axis{Name: "y", Type: nd.Space}, nd.Axis{Name: "x", Type: nd.Space})
	s.shape = append(s.shape, p0.Height, p0.Width)
	s.levels = [][]*Page{pages}
	if _, err := s.Level(0); err != nil {
		return nil, err
	}
	for k := 1; k <= sharedSubIFDs(pages); k++ {
		s.levels = append(s.levels, subIFDs(pages, k))
	}
	return s, nil
}

// sampleAxis names the axis of a pixel's samples.
func sampleAxis(others []nd.Axis) nd.Axis {
	for _, a := range others {
		if a.Name == "c" {
			return nd.Axis{Name: "s", Type: nd.Channel}
		}
	}
	return nd.Axis{Name: "c", Type: nd.Channel}
}

// samePlane reports whether two pages have one size, samples and type.
func samePlane(a, b *Page) bool {
	return a.Width == b.Width && a.Height == b.Height && a.Samples == b.Samples && a.DType == b.DType
}

// pageRun makes a series of the run of pages of one size from page i:
// a z axis when there are several.
func (f *File) pageRun(i int) (*Series, int, error) {
	n := 1
	for i+n < len(f.Pages) && samePlane(f.Pages[i], f.Pages[i+n]) && !isShaped(f.Pages[i+n].Description) {
		n++
	}
	var axes []nd.Axis
	var sizes []int
	if n > 1 {
		axes, sizes = []nd.Axis{{Name: "z", Type: nd.Space}}, []int{n}
	}
	s, err := f.seriesOf(KindPages, fmt.Sprintf("pages %d-%d", i, i+n-1), axes, sizes, f.Pages[i:i+n])
	return s, n, err
}

// pagePyramid adds the pages from page i that each halve the previous
// level (rounding either way), with the same samples and type, as levels
// of the one-page series s, and returns how many it took.
func (f *File) pagePyramid(s *Series, i int) int {
	n := 0
	prev := s.levels[0][0]
	for ; i+n < len(f.Pages); n++ {
		p := f.Pages[i+n]
		if p.Samples != prev.Samples || p.DType != prev.DType || !halves(prev.Width, p.Width) ||
			!halves(prev.Height, p.Height) || isShaped(p.Description) {
			break
		}
		s.levels = append(s.levels, []*Page{p})
		prev = p
	}
	if n > 0 {
		s.Kind = KindPyramid
	}
	return n
}

// halves reports whether m is n/2 rounded down or up, and smaller than n.
func halves(n, m int) bool { return m < n && (m == n/2 || m == (n+1)/2) }

// imagejSeries reads an ImageJ hyperstack description (images, channels,
// slices, frames, spacing, unit, finterval) and the XResolution and
// YResolution of page 0 (pixels per unit; without a unit ImageJ counts
// pixels, and the sizes stay unknown). Pages are stored C fastest, then
// Z, then T.
func (f *File) imagejSeries() (*Series, int, error) {
	m := f.ImageJ()
	num := func(key string) (int, error) {
		v, ok := m[key]
		if !ok {
			return 1, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > len(f.Pages) {
			return 0, FormatError(fmt.Sprintf("%s=%q (the file has %d pages)", key, v, len(f.Pages)))
		}
		return n, nil
	}
	var c, z, t int
	var err error
	if c, err = num("channels"); err == nil {
		if z, err = num("slices"); err == nil {
			t, err = num("frames")
		}
	}
	if err != nil {
		return nil, 0, err
	}
	planes := c * z * t
	if _, ok := m["slices"]; !ok && c == 1 && t == 1 {
		if z, err = num("images"); err != nil {
			return nil, 0, err
		}
		planes = z
	}
	if planes > len(f.Pages) {
		return nil, 0, FormatError(fmt.Sprintf("channels*slices*frames = %d planes, the file has %d pages", planes, len(f.Pages)))
	}
	unit := imagejUnit(m["unit"])
	p0 := f.Pages[0]
	ax := [3]nd.Axis{{Name: "t", Type: nd.Time}, {Name: "c", Type: nd.Channel}, {Name: "z", Type: nd.Space, Unit: unit}}
	ax[2].Scale, _ = strconv.ParseFloat(m["spacing"], 64)
	if ax[0].Scale, _ = strconv.ParseFloat(m["finterval"], 64); ax[0].Scale > 0 {
		ax[0].Unit = "second"
	}
	// Array (t, c, z) from file order (t, z, c).
	s, err := f.tczSeries(KindImageJ, "", ax, [3]int{t, c, z}, func(it, ic, iz int) int { return (it*z+iz)*c + ic })
	if err != nil {
		return nil, 0, err
	}
	r := len(s.Axes)
	for i, res := range []float64{p0.YResolution, p0.XResolution} {
		if res > 0 && unit != "" {
			s.Axes[r-2+i].Scale, s.Axes[r-2+i].Unit = 1/res, unit
		}
	}
	return s, planes, nil
}

// imagejUnit maps ImageJ's unit names to UDUNITS names.
func imagejUnit(u string) string {
	u = strings.TrimSpace(u)
	switch u {
	case "micron", "um", "µm", `\u00B5m`, "microns":
		return "micrometer"
	case "":
		return ""
	}
	return omeUnit(u)
}

// tczSeries builds a series of sizes (T, C, Z) with axes ax (t, c, z),
// dropping those of length 1, whose plane (t, c, z) is page ifd(t, c, z).
func (f *File) tczSeries(kind, name string, ax [3]nd.Axis, sizes [3]int, ifd func(t, c, z int) int) (*Series, error) {
	var axes []nd.Axis
	var lens []int
	for i, n := range sizes {
		if n > 1 {
			axes, lens = append(axes, ax[i]), append(lens, n)
		}
	}
	pages := make([]*Page, 0, sizes[0]*sizes[1]*sizes[2])
	for t := range sizes[0] {
		for c := range sizes[1] {
			for z := range sizes[2] {
				k := ifd(t, c, z)
				if k < 0 || k >= len(f.Pages) {
					return nil, FormatError(fmt.Sprintf("plane (t=%d, c=%d, z=%d) is IFD %d of %d", t, c, z, k, len(f.Pages)))
				}
				pages = append(pages, f.Pages[k])
			}
		}
	}
	return f.seriesOf(kind, name, axes, lens, pages)
}

// isShaped reports whether d is a tifffile shaped description.
func isShaped(d string) bool {
	d = strings.TrimSpace(d)
	return strings.HasPrefix(d, "{") && strings.Contains(d, `"shape"`)
}

// shapedSeries reads a tifffile shaped description on page i: its shape
// (with the samples axis "S" where tifffile puts it: last for contiguous
// samples, before y for separate planes) and its axes letters if given.
// It returns nil when page i has no such description.
func (f *File) shapedSeries(i int) (*Series, int, error) {
	p := f.Pages[i]
	if !isShaped(p.Description) {
		return nil, 0, nil
	}
	shape, letters := shapedOf(p.Description)
	if shape == nil {
		return nil, 0, nil
	}
	r := len(shape)
	if r < 2 || shape[r-1] == 0 {
		return nil, 0, FormatError(fmt.Sprintf("shape %v", shape))
	}
	// Drop y, x and the samples from the shape; what is left indexes pages.
	lead := shape
	sIdx := -1
	switch {
	case p.Samples > 1 && p.Planar == 1 && r >= 3 && shape[r-1] == p.Samples:
		lead, sIdx = shape[:r-3], r-1
	case p.Samples > 1 && p.Planar == 2 && r >= 3 && shape[r-3] == p.Samples:
		lead, sIdx = shape[:r-3], r-3
	default:
		lead = shape[:r-2]
	}
	if p.Samples > 1 && sIdx < 0 {
		return nil, 0, FormatError(fmt.Sprintf("shape %v for pages of %d samples", shape, p.Samples))
	}
	yx := shape[r-2:]
	if sIdx == r-1 {
		yx = shape[r-3 : r-1]
	}
	if yx[0] != p.Height || yx[1] != p.Width {
		return nil, 0, FormatError(fmt.Sprintf("shape %v differs from the pages' %dx%d", shape, p.Height, p.Width))
	}
	n := 1
	for _, d := range lead {
		if d < 1 || d > len(f.Pages)-i || n*d > len(f.Pages)-i {
			return nil, 0, FormatError(fmt.Sprintf("shape %v needs more than the %d pages from page %d", shape, len(f.Pages)-i, i))
		}
		n *= d
	}
	axes := leadAxes(letters, len(lead), r, sIdx)
	for k := 1; k < n; k++ {
		if !samePlane(p, f.Pages[i+k]) {
			return nil, 0, FormatError(fmt.Sprintf("shape %v: page %d differs from page %d", shape, i+k, i))
		}
	}
	s, err := f.seriesOf(KindShaped, "", axes, lead, f.Pages[i:i+n])
	return s, n, err
}

func jsonUnmarshal(d string, v any) error { return json.Unmarshal([]byte(strings.TrimSpace(d)), v) }

// shapedOf parses {"shape": [...], "axes": "..."}.
func shapedOf(d string) ([]int, string) {
	var m struct {
		Shape []int  `json:"shape"`
		Axes  string `json:"axes"`
	}
	if err := jsonUnmarshal(d, &m); err != nil {
		return nil, ""
	}
	return m.Shape, m.Axes
}

// leadAxes names the n leading (page) axes of a shaped series from
// tifffile's axes letters when they fit (T, C, Z, or others as custom
// axes), else z for one axis and dim_0, dim_1, ... for several.
func leadAxes(letters string, n, rank, sIdx int) []nd.Axis {
	if len(letters) == rank {
		var names []string
		for k, ch := range strings.ToLower(letters) {
			if k < n && k != sIdx {
				names = append(names, string(ch))
			}
		}
		axes := nd.AxesFromNames(names)
		for k := range axes {
			if axes[k].Type == nd.Space {
				axes[k].Unit = "" // tifffile records no units
			}
		}
		if len(axes) == n && nd.CheckAxes(axes, n) == nil && !hasName(axes, "y") && !hasName(axes, "x") {
			return axes
		}
	}
	if n == 1 {
		return []nd.Axis{{Name: "z", Type: nd.Space}}
	}
	axes := make([]nd.Axis, n)
	for k := range axes {
		axes[k] = nd.Axis{Name: fmt.Sprintf("dim_%d", k), Type: "other"}
	}
	return axes
}

func hasName(axes []nd.Axis, name string) bool {
	for _, a := range axes {
		if a.Name == name {
			return true
		}
	}
	return false
}
