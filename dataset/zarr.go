package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

// ErrIncomplete is returned (wrapped) by Open for an output that a
// ryomen run has started and not finished: it has a run record but no
// final metadata, so it must not be read as an image.
var ErrIncomplete = errors.New("dataset: unfinished ryomen output")

// zarrFormat opens every location no registered format claims: a
// directory or URL of a Zarr hierarchy.
var zarrFormat = Format{Name: "zarr", Match: func(string) bool { return true }, Open: openZarrLoc}

// SplitPath separates a local directory holding a Zarr hierarchy from a
// path inside it: "out.zarr/labels/cells" gives the store root "out.zarr"
// and the path "labels/cells". The root is the outermost directory with a
// zarr.json, .zgroup or .zarray.
func SplitPath(p string) (root, inner string) {
	p = filepath.Clean(p)
	root, inner = p, ""
	for cur := p; ; {
		for _, m := range []string{"zarr.json", ".zgroup", ".zarray"} {
			if _, err := os.Stat(filepath.Join(cur, m)); err == nil {
				root = cur
				rel, _ := filepath.Rel(cur, p)
				inner = strings.TrimPrefix(filepath.ToSlash(rel), ".")
			}
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return root, inner
		}
		cur = parent
	}
}

// openStore returns the store and inner path of a Zarr location; a remote
// store reads no object larger than memory (0: its default cap).
func openStore(ctx context.Context, loc string, memory int64) (store.Store, string, string, error) {
	if strings.Contains(loc, "://") && !strings.HasPrefix(loc, "file://") {
		st, err := store.Open(ctx, loc)
		if err == nil && memory > 0 {
			switch s := st.(type) {
			case *store.HTTP:
				s.MaxBytes = memory
			case *store.S3:
				s.MaxBytes = memory
			}
		}
		return st, "", "", err
	}
	p := strings.TrimPrefix(loc, "file://")
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, "", "", fmt.Errorf("dataset: %s does not exist", loc)
		}
		return nil, "", "", err
	}
	root, inner := SplitPath(p)
	return store.NewFile(root), inner, p, nil
}

func openZarrLoc(ctx context.Context, loc string, frag map[string]string, o *OpenOptions) (*Image, error) {
	st, inner, local, err := openStore(ctx, loc, o.Memory)
	if err != nil {
		return nil, err
	}
	im, err := openZarr(ctx, st, inner, loc, zarr.Options{MaxChunkBytes: o.Memory})
	if err != nil {
		return nil, err
	}
	im.Local = local
	return im, nil
}

// OpenZarr opens the Zarr array or OME-Zarr image at path inner of st;
// name is how errors name it.
func OpenZarr(ctx context.Context, st store.Store, inner, name string) (*Image, error) {
	return openZarr(ctx, st, inner, name, zarr.Options{})
}

// openZarr is OpenZarr with the arrays' options (their chunk size cap).
func openZarr(ctx context.Context, st store.Store, inner, name string, zo zarr.Options) (*Image, error) {
	im, err := openOME(ctx, st, inner, name, zo)
	if err != nil || im == nil {
		return im, err
	}
	return im, im.identifyZarr(ctx, st, inner)
}

func openOME(ctx context.Context, st store.Store, inner, name string, zo zarr.Options) (*Image, error) {
	img, err := ome.Read(ctx, st, inner)
	if err != nil || len(img.Multiscales) == 0 || len(img.Multiscales[0].Datasets) == 0 {
		return openArray(ctx, st, inner, name, zo)
	}
	ms := img.Multiscales[0]
	im := &Image{Format: "OME-Zarr " + img.Version}
	for _, ds := range ms.Datasets {
		a, err := zarr.OpenOptions(ctx, st, joinKey(inner, ds.Path), zo)
		if err != nil {
			return nil, fmt.Errorf("dataset: %s: level %s: %w", name, ds.Path, err)
		}
		lv := arrayLevel(a, ds.Path)
		for _, t := range ds.CoordinateTransformations {
			switch {
			case t.Type == "scale" && len(t.Scale) == len(lv.Scale):
				lv.Scale = t.Scale
			case t.Type == "translation" && len(t.Translation) == len(lv.Translation):
				lv.Translation = t.Translation
			}
		}
		im.Levels = append(im.Levels, lv)
	}
	im.Reader = im.Levels[0].Reader
	im.Axes = make([]nd.Axis, len(ms.Axes))
	for i, a := range ms.Axes {
		im.Axes[i] = nd.Axis{Name: a.Name, Type: nd.AxisType(a.Type), Unit: a.Unit}
		if i < len(im.Levels[0].Scale) {
			im.Axes[i].Scale, im.Axes[i].Translation = im.Levels[0].Scale[i], im.Levels[0].Translation[i]
		}
	}
	if l, err := ome.Read(ctx, st, joinKey(inner, "labels")); err == nil {
		im.Labels = l.Labels
	}
	return im, nil
}

func openArray(ctx context.Context, st store.Store, inner, name string, zo zarr.Options) (*Image, error) {
	a, err := zarr.OpenOptions(ctx, st, inner, zo)
	if err != nil {
		if _, perr := st.GetRange(ctx, joinKey(inner, ".ryomen/plan.json"), 0, 1); perr == nil {
			return nil, fmt.Errorf("%w: %s has no final metadata yet (a run is going on, or was killed)", ErrIncomplete, name)
		}
		return nil, fmt.Errorf("dataset: %s: not a Zarr array or OME-Zarr image: %w", name, err)
	}
	m := a.Meta()
	axes := nd.DefaultAxes(len(m.Shape))
	if len(m.DimensionNames) == len(m.Shape) {
		axes = nd.AxesFromNames(m.DimensionNames)
	}
	lv := arrayLevel(a, "")
	return &Image{Reader: a, Axes: axes, Levels: []Level{lv}, Format: fmt.Sprintf("Zarr v%d", m.ZarrFormat)}, nil
}

// arrayLevel describes a stored array as a level of unit scale.
func arrayLevel(a *zarr.Array, p string) Level {
	m := a.Meta()
	lv := Level{Reader: a, Path: p, Chunks: m.Chunks, Shard: m.Shard, Scale: make([]float64, len(m.Shape)), Translation: make([]float64, len(m.Shape))}
	for i := range lv.Scale {
		lv.Scale[i] = 1
	}
	for _, c := range m.Codecs {
		lv.Codecs = append(lv.Codecs, c.Name())
	}
	if m.Compressor != nil {
		lv.Codecs = append(lv.Codecs, m.Compressor.Name())
	}
	return lv
}

// fingerprintSample is how many chunks of a Zarr image the fingerprint
// stats: enough to notice a regenerated input, few enough to cost nothing
// next to a job.
const fingerprintSample = 64

// identifyZarr fills the location and fingerprint: the group's and level
// 0's metadata, and the sizes and times (or ETags) of a spread of level
// 0's chunks.
func (im *Image) identifyZarr(ctx context.Context, st store.Store, inner string) error {
	loc, _ := store.Location(st)
	a := im.Levels[0].Reader.(*zarr.Array)
	meta := a.MetadataKeys()
	if len(im.Levels) > 1 || im.Levels[0].Path != "" {
		meta = append(meta, joinKey(inner, "zarr.json"), joinKey(inner, ".zattrs"))
	}
	fp, err := store.Fingerprint(ctx, st, meta, a.SampleKeys(fingerprintSample))
	if err != nil {
		return fmt.Errorf("dataset: fingerprinting %s: %w", loc, err)
	}
	im.Location, im.Fingerprint = store.Join(loc, inner), fp
	return nil
}

func joinKey(a, b string) string {
	if a == "" {
		return b
	}
	return strings.TrimSuffix(a, "/") + "/" + b
}
