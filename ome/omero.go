package ome

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

// Window is a channel's display window: Min and Max bound the values the
// viewer's contrast slider can reach (the dtype's range or the data's),
// Start and End are the initial contrast limits.
type Window struct {
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

// Channel is one entry of "omero.channels": how a viewer renders one
// channel.
type Channel struct {
	// Label is the channel's name ("DAPI", "GFP").
	Label string `json:"label,omitempty"`
	// Color is the channel's colour as 6 hexadecimal digits RRGGBB,
	// without "#".
	Color  string `json:"color"`
	Window Window `json:"window"`
	// Active reports whether the channel is shown (default true).
	Active bool `json:"active"`
	// Coefficient scales the channel's values (default 1).
	Coefficient float64 `json:"coefficient"`
	// Family names the mapping of values to intensities (default
	// "linear").
	Family string `json:"family,omitempty"`
	// Inverted reports whether the intensity scale is inverted.
	Inverted bool `json:"inverted"`
}

// UnmarshalJSON reads a channel, taking the OMERO defaults (active, a
// coefficient of 1, the "linear" family) for missing fields.
func (c *Channel) UnmarshalJSON(b []byte) error {
	type plain Channel
	p := plain{Active: true, Coefficient: 1, Family: "linear"}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = Channel(p)
	return nil
}

// Rdefs are the rendering defaults of "omero.rdefs".
type Rdefs struct {
	// Model is "color" (channels blended in their colours) or
	// "greyscale".
	Model string `json:"model,omitempty"`
	// DefaultZ and DefaultT are the z plane and time point shown first,
	// as indices into level 0.
	DefaultZ int `json:"defaultZ"`
	DefaultT int `json:"defaultT"`
}

// Omero is the transitional "omero" block of an image: channel labels,
// colours and display windows, which napari and Neuroglancer use to show
// channels. It sits in .zattrs in 0.4 and under attributes.ome in 0.5.
type Omero struct {
	// Name is the image's name (optional).
	Name     string    `json:"name,omitempty"`
	Channels []Channel `json:"channels"`
	Rdefs    *Rdefs    `json:"rdefs,omitempty"`
}

// Validate checks the fields viewers and the NGFF schema rely on: at least
// one channel, colours of 6 hex digits, finite windows with Min <= Max and
// Start <= End, a known rdefs model and non-negative default planes.
func (o *Omero) Validate() error {
	if len(o.Channels) == 0 {
		return fmt.Errorf("ome: omero.channels is empty")
	}
	for i, c := range o.Channels {
		if !isHexColor(c.Color) {
			return fmt.Errorf("ome: omero.channels[%d].color %q: want 6 hex digits RRGGBB", i, c.Color)
		}
		w := c.Window
		for _, v := range []float64{w.Min, w.Max, w.Start, w.End, c.Coefficient} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("ome: omero.channels[%d]: window or coefficient %v is not finite", i, v)
			}
		}
		if w.Min > w.Max || w.Start > w.End {
			return fmt.Errorf("ome: omero.channels[%d].window %+v: want min <= max and start <= end", i, w)
		}
	}
	if r := o.Rdefs; r != nil {
		if r.Model != "" && r.Model != "color" && r.Model != "greyscale" {
			return fmt.Errorf("ome: omero.rdefs.model %q: want \"color\" or \"greyscale\"", r.Model)
		}
		if r.DefaultZ < 0 || r.DefaultT < 0 {
			return fmt.Errorf("ome: omero.rdefs defaultZ %d, defaultT %d: want >= 0", r.DefaultZ, r.DefaultT)
		}
	}
	return nil
}

func isHexColor(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return false
		}
	}
	return true
}

// palette is the colour cycle for images of more than 3 channels: the
// primaries and secondaries first, then mixtures that stay apart from
// them.
var palette = []string{
	"FF0000", "00FF00", "0000FF", "FFFF00", "FF00FF", "00FFFF",
	"FF8000", "8000FF", "00FF80", "FF0080", "80FF00", "0080FF",
}

// ChannelColors returns the default colours of n channels: grey (FFFFFF)
// for one, green and magenta for two, red, green and blue for three, and
// the cycle red, green, blue, yellow, magenta, cyan, orange, violet, ...
// (12 colours, then repeating) for more.
func ChannelColors(n int) []string {
	switch n {
	case 0:
		return nil
	case 1:
		return []string{"FFFFFF"}
	case 2:
		return []string{"00FF00", "FF00FF"}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = palette[i%len(palette)]
	}
	return out
}

// Low and high percentiles of the default contrast limits (Start, End).
const (
	LowPercentile  = 0.1
	HighPercentile = 99.9
)

// NewOmero builds an omero block with sensible defaults for channels of
// dtype dt whose data statistics are stats (one per channel, from
// [ChannelStats]). labels name the channels (nil gives "channel 0",
// "channel 1", ...). Colours come from [ChannelColors]; each window's Min
// and Max are the dtype's range for 8- and 16-bit integers (and bool) and
// the data's range for wider integers and floats; Start and End are the
// data's 0.1 and 99.9 percentiles (widened to a non-empty interval when
// the channel is constant, so viewers can map it). rdefs.model is "greyscale" for one channel and "color" for
// more.
func NewOmero(labels []string, dt nd.DType, stats []Stats) (*Omero, error) {
	n := len(stats)
	if n == 0 {
		return nil, fmt.Errorf("ome: omero: no channel statistics")
	}
	if labels != nil && len(labels) != n {
		return nil, fmt.Errorf("ome: omero: %d labels for %d channels", len(labels), n)
	}
	lo, hi, fixed := dtypeRange(dt)
	isInt := dt.IsInteger() || dt == nd.DTypeBool
	colors := ChannelColors(n)
	o := &Omero{Rdefs: &Rdefs{Model: "color"}}
	if n == 1 {
		o.Rdefs.Model = "greyscale"
	}
	for i, s := range stats {
		label := fmt.Sprintf("channel %d", i)
		if labels != nil {
			label = labels[i]
		}
		w := Window{Min: lo, Max: hi}
		if !fixed {
			w.Min, w.Max = s.Min, s.Max
		}
		if s.Count > 0 {
			w.Start, w.End = s.Percentile(LowPercentile), s.Percentile(HighPercentile)
		}
		w = widen(w, isInt)
		o.Channels = append(o.Channels, Channel{Label: label, Color: colors[i], Window: w,
			Active: true, Coefficient: 1, Family: "linear"})
	}
	return o, o.Validate()
}

// widen makes the window well formed: finite, Min < Max and Start < End
// inside [Min, Max]. For constant data Max grows by 1 (integers) or by
// max(1, |Max|) (floats), and End moves one step from Start: 1 for
// integers, (Max-Min)/256 for floats.
func widen(w Window, isInt bool) Window {
	for _, p := range []*float64{&w.Min, &w.Max, &w.Start, &w.End} {
		if math.IsNaN(*p) || math.IsInf(*p, 0) {
			*p = 0
		}
	}
	if w.Min > w.Max {
		w.Min, w.Max = 0, 0
	}
	if w.Min == w.Max {
		d := 1.0
		if !isInt {
			d = math.Max(1, math.Abs(w.Max))
		}
		w.Max += d
	}
	w.Start = math.Min(math.Max(w.Start, w.Min), w.Max)
	w.End = math.Min(math.Max(w.End, w.Start), w.Max)
	if w.Start == w.End {
		step := 1.0
		if !isInt {
			step = (w.Max - w.Min) / 256
		}
		if w.End+step <= w.Max {
			w.End += step
		} else {
			w.Start = math.Max(w.Min, w.Start-step)
		}
	}
	return w
}

// dtypeRange returns the range of dt when it is an 8- or 16-bit integer
// type or bool (ok true); wider types have no useful fixed range.
func dtypeRange(dt nd.DType) (lo, hi float64, ok bool) {
	switch {
	case dt == nd.DTypeBool:
		return 0, 1, true
	case dt.IsInteger() && dt.Size() <= 2:
		lo, hi = nd.LimitsOf(dt)
		return lo, hi, true
	}
	return 0, 0, false
}

// MaxSampleElements bounds the values [ImageOmero] reads: a larger sample
// is cut to its centre, every channel and time point kept and the space
// axes shrunk alike.
const MaxSampleElements = 1 << 26

// ImageOmero builds the default omero block of an image with the given
// axes and level-0 shape, taking the channel statistics from sample
// (usually the pyramid's coarsest level, which has the same axes; beyond
// [MaxSampleElements] values only its centre is read): the channel axis
// is the one of type "channel" (none: one channel), labels name the
// channels (nil for defaults), rdefs.defaultZ is the middle z plane and
// defaultT the first time point. See [NewOmero].
func ImageOmero(sample nd.Reader, axes []Axis, shape []int, labels []string) (*Omero, error) {
	rank := len(sample.Shape())
	if len(axes) != rank || len(shape) != rank {
		return nil, fmt.Errorf("ome: omero: %d axes and shape %v for a sample of rank %d", len(axes), shape, rank)
	}
	ch := -1
	for i, a := range axes {
		if a.Type == "channel" {
			if ch >= 0 {
				return nil, fmt.Errorf("ome: omero: two channel axes %q and %q", axes[ch].Name, a.Name)
			}
			ch = i
		}
	}
	st, err := ChannelStats(centre(sample, axes, MaxSampleElements), ch)
	if err != nil {
		return nil, err
	}
	o, err := NewOmero(labels, sample.DType(), st)
	if err != nil {
		return nil, err
	}
	for i, a := range axes {
		if a.Name == "z" && a.Type == "space" {
			o.Rdefs.DefaultZ = shape[i] / 2
		}
	}
	return o, nil
}

// centre returns r, or the centred crop of r of at most limit elements,
// when r is larger, that shrinks the space axes by one factor.
func centre(r nd.Reader, axes []Axis, limit int) nd.Reader {
	shape := r.Shape()
	total := 1.0
	nspace := 0
	for i, s := range shape {
		total *= float64(s)
		if axes[i].Type == "space" {
			nspace++
		}
	}
	if total <= float64(limit) || nspace == 0 {
		return r
	}
	f := math.Pow(float64(limit)/total, 1/float64(nspace))
	b := nd.BoxOf(shape)
	for i, s := range shape {
		if axes[i].Type == "space" {
			n := max(1, int(float64(s)*f))
			b.Min[i] = (s - n) / 2
			b.Max[i] = b.Min[i] + n
		}
	}
	return crop{r, b}
}

// crop is the region b of a reader, as a reader.
type crop struct {
	r nd.Reader
	b nd.Box
}

func (c crop) DType() nd.DType { return c.r.DType() }
func (c crop) Shape() []int    { return c.b.Shape() }
func (c crop) ReadRegion(b nd.Box, dst nd.Any) error {
	return c.r.ReadRegion(b.Translate(c.b.Min), dst)
}

// WriteOmero computes the default omero block of the multiscales image at
// imagePath from its coarsest level (see [ImageOmero]; labels name the
// channels, nil for defaults), stores it in the image's metadata and
// returns it. Label images are refused: viewers colour them by value.
func WriteOmero(ctx context.Context, st store.Store, imagePath string, labels []string) (*Omero, error) {
	img, err := Read(ctx, st, imagePath)
	if err != nil {
		return nil, fmt.Errorf("ome: write omero: %w", err)
	}
	if len(img.Multiscales) == 0 || len(img.Multiscales[0].Datasets) == 0 {
		return nil, fmt.Errorf("ome: write omero: %q is not a multiscales image: %w", imagePath, ErrNoOME)
	}
	if img.ImageLabel != nil {
		return nil, fmt.Errorf("ome: write omero: %q is a label image", imagePath)
	}
	ms := img.Multiscales[0]
	ds := ms.Datasets
	first, err := zarr.Open(ctx, st, path.Join(imagePath, ds[0].Path))
	if err != nil {
		return nil, fmt.Errorf("ome: write omero: level 0 of %q: %w", imagePath, err)
	}
	last, err := zarr.Open(ctx, st, path.Join(imagePath, ds[len(ds)-1].Path))
	if err != nil {
		return nil, fmt.Errorf("ome: write omero: coarsest level of %q: %w", imagePath, err)
	}
	o, err := ImageOmero(last, ms.Axes, first.Shape(), labels)
	if err != nil {
		return nil, fmt.Errorf("ome: write omero: %q: %w", imagePath, err)
	}
	img.Omero = o
	if err := Write(ctx, st, imagePath, *img); err != nil {
		return nil, err
	}
	return o, nil
}
