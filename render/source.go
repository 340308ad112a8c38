package render

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/store"
)

// Source is an opened image with what drawing it needs.
type Source struct {
	Image *dataset.Image
	// Omero is the image's OME "omero" block, nil when it has none.
	Omero *ome.Omero
	// Channels are the default channel settings (see DefaultChannels).
	Channels []Channel
	// Labels are the image's label images by name.
	Labels map[string]*dataset.Image
	// Store and Inner are the Zarr store holding the image and the
	// image's path in it; Store is nil for other formats.
	Store store.Store
	Inner string
	// Root is the local directory of Store ("" when it is remote or
	// there is none).
	Root string
}

// Open opens the image at loc (any location dataset.Open takes), its
// omero block and its label images, and computes default channels.
func Open(ctx context.Context, loc string) (*Source, error) {
	im, err := dataset.Open(ctx, loc, nil)
	if err != nil {
		return nil, err
	}
	s := &Source{Image: im, Labels: map[string]*dataset.Image{}}
	if strings.HasPrefix(im.Format, "OME-Zarr") || strings.HasPrefix(im.Format, "Zarr") {
		s.Store, s.Inner, s.Root, err = zarrStore(ctx, loc)
		if err != nil {
			s.Close()
			return nil, err
		}
		if o, err := ome.Read(ctx, s.Store, s.Inner); err == nil {
			s.Omero = o.Omero
		}
	}
	for _, name := range im.Labels {
		l, err := dataset.Open(ctx, strings.TrimRight(loc, "/")+"/labels/"+name, nil)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("render: label image %q of %s: %w", name, loc, err)
		}
		s.Labels[name] = l
	}
	if s.Channels, err = DefaultChannels(im, s.Omero); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// zarrStore returns the store, inner path and local root of a Zarr
// location.
func zarrStore(ctx context.Context, loc string) (store.Store, string, string, error) {
	if strings.Contains(loc, "://") && !strings.HasPrefix(loc, "file://") {
		st, err := store.Open(ctx, loc)
		return st, "", "", err
	}
	root, inner := dataset.SplitPath(strings.TrimPrefix(loc, "file://"))
	if _, err := os.Stat(root); err != nil {
		return nil, "", "", fmt.Errorf("render: %s: %w", loc, err)
	}
	return store.NewFile(root), inner, root, nil
}

// Close closes the image and its labels.
func (s *Source) Close() error {
	errs := []error{s.Image.Close()}
	for _, l := range s.Labels {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// DefaultChannels returns the channels of img as the omero block om
// draws them (when om is not nil and has one entry per channel), else
// with the default colours of ome.ChannelColors and windows from the 0.1
// and 99.9 percentiles of the coarsest level (see ome.ImageOmero).
func DefaultChannels(img *dataset.Image, om *ome.Omero) ([]Channel, error) {
	shape := img.Levels[0].Shape()
	_, n := channelAxis(img.Axes, shape)
	if om == nil || len(om.Channels) != n {
		axes := make([]ome.Axis, len(img.Axes))
		for i, a := range img.Axes {
			axes[i] = ome.Axis{Name: a.Name, Type: string(a.Type), Unit: a.Unit}
		}
		var names []string
		if len(img.Channels) == n {
			names = img.Channels
		}
		o, err := ome.ImageOmero(img.Levels[len(img.Levels)-1], axes, shape, names)
		if err != nil {
			return nil, fmt.Errorf("render: default windows: %w", err)
		}
		om = o
	}
	out := make([]Channel, n)
	for i, c := range om.Channels {
		col, err := ParseColor(c.Color)
		if err != nil {
			return nil, fmt.Errorf("render: omero channel %d: %w", i, err)
		}
		out[i] = Channel{Index: i, Label: c.Label, Color: col, Start: c.Window.Start, End: c.Window.End,
			Inverted: c.Inverted, Active: c.Active}
	}
	return out, nil
}

// EncodePNG writes img as a PNG.
func EncodePNG(w io.Writer, img image.Image) error {
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("render: png: %w", err)
	}
	return nil
}

// LabelAt returns the label ID of lbl at a level-0 point of img (axes
// matched by name, coordinates scaled by the ratio of the level-0
// shapes); the point's channel is ignored. A point outside gives 0.
func LabelAt(img, lbl *dataset.Image, at []int) (uint64, error) {
	s0, l0 := img.Levels[0].Shape(), lbl.Levels[0].Shape()
	if len(at) != len(s0) {
		return 0, fmt.Errorf("render: point %v for an image of rank %d", at, len(s0))
	}
	box := nd.BoxOf(l0)
	for i, b := range lbl.Axes {
		box.Min[i], box.Max[i] = 0, 1
		for a, ax := range img.Axes {
			if ax.Name == b.Name && b.Type != nd.Channel {
				if at[a] < 0 || at[a] >= s0[a] {
					return 0, nil
				}
				box.Min[i] = min(at[a]*l0[i]/s0[a], l0[i]-1)
				box.Max[i] = box.Min[i] + 1
			}
		}
	}
	a, err := readAs[uint64](lbl.Levels[0], box)
	if err != nil {
		return 0, err
	}
	return a.Data()[a.Offset()], nil
}
