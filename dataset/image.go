package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/ryomen-dev/ryomen/nd"
)

// Image is an opened image: level 0 as an nd.Reader, plus its axes and
// what else the format knows.
type Image struct {
	nd.Reader
	// Axes describe the array axes of level 0, in order.
	Axes []nd.Axis
	// Levels are the stored resolution levels, finest first (Levels[0] is
	// the Reader); formats without pyramids have one.
	Levels []Level
	// Channels names the entries of the channel axis, when the file does.
	Channels []string
	// Labels names the label images of an OME-Zarr image ("cells").
	Labels []string
	// Format names what was opened: "OME-Zarr 0.5", "Zarr v2", "OME-TIFF",
	// "ImageJ TIFF", "npy", "synthetic", ...
	Format string
	// Series lists the names of every image in a multi-image file (TIFF),
	// the opened one at index SeriesIndex.
	Series      []string
	SeriesIndex int
	// Location is the canonical location (see store.Locator); Local is
	// the local path when the image is on the local file system.
	Location, Local string
	// Fingerprint digests the metadata and a sample of the data's
	// modification times (see store.Fingerprint); "" when unknown.
	Fingerprint string

	closers []io.Closer
}

// Level is one stored resolution level.
type Level struct {
	nd.Reader
	// Path is where the level sits inside its hierarchy ("0", "1", ...),
	// or "" for a lone array.
	Path string
	// Scale and Translation are the level's physical voxel size and the
	// position of its first voxel, per axis.
	Scale, Translation []float64
	// Chunks, Shard and Codecs describe the storage, when it has them.
	Chunks, Shard []int
	Codecs        []string
}

// Close releases the files the image holds open.
func (im *Image) Close() error {
	var errs []error
	for _, c := range im.closers {
		errs = append(errs, c.Close())
	}
	im.closers = nil
	return errors.Join(errs...)
}

// SpaceAxes returns the indices of the image's space axes.
func (im *Image) SpaceAxes() []int { return nd.SpaceAxes(im.Axes) }

// Scale returns the physical voxel size of level 0 per axis (1 where it is
// unknown).
func (im *Image) Scale() []float64 { return scaleOf(im.Axes) }

// OpenOptions tune Open. The zero value is the default.
type OpenOptions struct {
	// Series picks an image of a multi-image file (TIFF); a "#series=N"
	// suffix of the location wins over it.
	Series int
	// Memory is the caller's memory budget in bytes. No single allocation
	// of reading may exceed it: one decoded Zarr chunk or shard, one TIFF
	// block, one HTTP response, one S3 object (0: each layer's own
	// default cap, 1 to 16 GiB).
	Memory int64
}

// Format is a registered image format: Match says whether a location is
// one of its files, Open opens it. Fragment is the part of the location
// after '#' (for "#series=1"), already removed from loc.
type Format struct {
	Name  string
	Match func(loc string) bool
	Open  func(ctx context.Context, loc string, frag map[string]string, o *OpenOptions) (*Image, error)
}

var (
	formatsMu sync.Mutex
	formats   []Format
)

// RegisterFormat makes Open try f before the formats registered earlier.
// Locations no format matches are opened as Zarr (a directory or URL).
func RegisterFormat(f Format) {
	formatsMu.Lock()
	defer formatsMu.Unlock()
	formats = append([]Format{f}, formats...)
}

// Open opens the image at loc (see the package doc for the location
// syntax). It reads metadata only. Close the image when done.
func Open(ctx context.Context, loc string, o *OpenOptions) (*Image, error) {
	if o == nil {
		o = &OpenOptions{}
	}
	if loc == "" {
		return nil, errors.New("dataset: empty location")
	}
	loc, frag, err := splitFragment(loc)
	if err != nil {
		return nil, err
	}
	formatsMu.Lock()
	fs := append(slices.Clone(formats), zarrFormat)
	formatsMu.Unlock()
	for _, f := range fs {
		if f.Match(loc) {
			im, err := f.Open(ctx, loc, frag, o)
			if err != nil {
				return nil, err
			}
			if err := im.pickLevel(loc, frag); err != nil {
				im.Close()
				return nil, err
			}
			if err := nd.CheckAxes(im.Axes, len(im.Shape())); err != nil {
				im.Close()
				return nil, fmt.Errorf("dataset: %s: %w", loc, err)
			}
			return im, nil
		}
	}
	return nil, fmt.Errorf("dataset: %s: no format recognises this location", loc)
}

// splitFragment cuts "#key=value&key=value" off a location. A '#' inside
// a URL's query or path is not special unless it starts a known key.
func splitFragment(loc string) (string, map[string]string, error) {
	i := strings.LastIndex(loc, "#")
	if i < 0 {
		return loc, nil, nil
	}
	frag := map[string]string{}
	for kv := range strings.SplitSeq(loc[i+1:], "&") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || (k != "series" && k != "level") {
			return "", nil, fmt.Errorf("dataset: location %q: fragment %q: want #series=N or #level=N", loc, loc[i+1:])
		}
		frag[k] = v
	}
	return loc[:i], frag, nil
}

// fragInt reads an integer fragment value, def when absent.
func fragInt(loc string, frag map[string]string, key string, def int) (int, error) {
	v, ok := frag[key]
	if !ok {
		return def, nil
	}
	var n int
	if _, err := fmt.Sscanf(v, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != v {
		return 0, fmt.Errorf("dataset: %s: #%s=%q: want a non-negative integer", loc, key, v)
	}
	return n, nil
}

// pickLevel applies a "#level=N" fragment, for any format with levels:
// level N becomes the image (its Reader, and the axes' scale and
// translation), coarser levels stay behind it.
func (im *Image) pickLevel(loc string, frag map[string]string) error {
	d, err := fragInt(loc, frag, "level", 0)
	if err != nil || d == 0 {
		return err
	}
	if d >= len(im.Levels) {
		return fmt.Errorf("dataset: %s: level %d does not exist (the image has %d)", loc, d, len(im.Levels))
	}
	im.Levels = im.Levels[d:]
	im.Reader = im.Levels[0].Reader
	for i := range im.Axes {
		im.Axes[i].Scale, im.Axes[i].Translation = im.Levels[0].Scale[i], im.Levels[0].Translation[i]
	}
	return nil
}

// scaleOf returns the physical scale of axes, 1 where unknown.
func scaleOf(axes []nd.Axis) []float64 {
	s := make([]float64, len(axes))
	for i, a := range axes {
		s[i] = a.PhysicalScale()
	}
	return s
}

// single makes the one level of a format without pyramids.
func single(r nd.Reader, axes []nd.Axis) []Level {
	tr := make([]float64, len(axes))
	for i, a := range axes {
		tr[i] = a.Translation
	}
	return []Level{{Reader: r, Scale: scaleOf(axes), Translation: tr}}
}
