package dataset

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/npy"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/tiff"
)

// IsTIFF reports whether a location names a TIFF file by its extension.
func IsTIFF(loc string) bool {
	l := strings.ToLower(loc)
	return strings.HasSuffix(l, ".tif") || strings.HasSuffix(l, ".tiff")
}

func init() {
	local := func(loc string) string { return strings.TrimPrefix(loc, "file://") }
	RegisterFormat(Format{Name: "npy",
		Match: func(loc string) bool {
			return strings.HasSuffix(strings.ToLower(loc), ".npy") && !strings.Contains(local(loc), "://")
		},
		Open: func(_ context.Context, loc string, _ map[string]string, _ *OpenOptions) (*Image, error) {
			return openNPY(local(loc))
		}})
	RegisterFormat(Format{Name: "tiff",
		Match: func(loc string) bool { return IsTIFF(loc) && !strings.Contains(local(loc), "://") },
		Open: func(_ context.Context, loc string, frag map[string]string, o *OpenOptions) (*Image, error) {
			return openTIFF(local(loc), frag, o)
		}})
}

// identifyFile fills the location and fingerprint of a one-file image.
func (im *Image) identifyFile(p string) error {
	loc, err := store.FileLocation(p)
	if err != nil {
		return err
	}
	fp, err := store.FileFingerprint(p)
	if err != nil {
		return fmt.Errorf("dataset: %s: %w", p, err)
	}
	im.Location, im.Fingerprint, im.Local = loc, fp, p
	return nil
}

// openNPY opens a .npy file for region reads (no whole-file load).
func openNPY(p string) (*Image, error) {
	f, err := npy.OpenFile(p)
	if err != nil {
		return nil, err
	}
	axes := nd.DefaultAxes(len(f.Shape()))
	im := &Image{Reader: f, Axes: axes, Levels: single(f, axes), Format: "npy", closers: []io.Closer{f}}
	if err := im.identifyFile(p); err != nil {
		im.Close()
		return nil, err
	}
	return im, nil
}

// openTIFF opens one series of a TIFF file (series 0 unless the fragment
// or the options pick another) with its axes and levels.
func openTIFF(p string, frag map[string]string, o *OpenOptions) (*Image, error) {
	f, err := openTIFFFile(p, o.Memory)
	if err != nil {
		return nil, err
	}
	im, err := tiffImage(p, f, frag, o)
	if err != nil {
		f.Close()
		return nil, err
	}
	im.closers = append(im.closers, f)
	if err := im.identifyFile(p); err != nil {
		im.Close()
		return nil, err
	}
	return im, nil
}

func tiffImage(p string, f *tiff.File, frag map[string]string, o *OpenOptions) (*Image, error) {
	series, err := f.Series()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	k, err := fragInt(p, frag, "series", o.Series)
	if err != nil {
		return nil, err
	}
	if k >= len(series) {
		return nil, fmt.Errorf("dataset: %s: series %d does not exist (the file has %d)", p, k, len(series))
	}
	s := series[k]
	im := &Image{Axes: append([]nd.Axis(nil), s.Axes...), Channels: s.Channels, SeriesIndex: k}
	for i, x := range series {
		name := x.Name
		if name == "" {
			name = fmt.Sprintf("series %d", i)
		}
		im.Series = append(im.Series, name)
	}
	im.Format = map[string]string{tiff.KindOME: "OME-TIFF", tiff.KindImageJ: "ImageJ TIFF", tiff.KindShaped: "TIFF (tifffile)",
		tiff.KindPages: "TIFF", tiff.KindPyramid: "TIFF pyramid"}[s.Kind]
	if f.BigTIFF() {
		im.Format += " (BigTIFF)"
	}
	base := s.Shape()
	for l := range s.Levels() {
		st, err := s.Level(l)
		if err != nil {
			return nil, fmt.Errorf("%s: series %d level %d: %w", p, k, l, err)
		}
		lv := Level{Reader: st, Path: fmt.Sprint(l), Scale: scaleOf(s.Axes), Translation: make([]float64, len(s.Axes))}
		for i, n := range st.Shape() {
			if n > 0 && base[i] != n {
				lv.Scale[i] *= float64(base[i]) / float64(n)
			}
		}
		im.Levels = append(im.Levels, lv)
	}
	im.Reader = im.Levels[0].Reader
	return im, nil
}

// openTIFFFile opens a TIFF file whose blocks may each decode to at most
// memory bytes (0: tiff.DefaultLimits).
func openTIFFFile(p string, memory int64) (*tiff.File, error) {
	lim := tiff.DefaultLimits
	if memory > 0 {
		lim.MaxBlockBytes = memory
	}
	return tiff.OpenFileLimits(p, lim)
}
