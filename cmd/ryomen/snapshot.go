package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/render"
)

func newSnapshot() *cobra.Command {
	var f struct {
		axis, index, mipRange, level, size, region, channels, labels, alpha string
		window, color, at                                                   []string
		mip, noOutline                                                      bool
	}
	c := &cobra.Command{
		Use:   "snapshot IN OUT.png",
		Short: "Draw a plane or a maximum-intensity projection of an image (with labels) as a PNG",
		Long: `Draw a 2-D view of IN as a PNG: the plane through --axis at --index (default
the middle), or with --mip the maximum over --range of that axis. Channels
are blended in their colours through display windows (the OME omero block
when there is one, else the data's 0.1 and 99.9 percentiles); --labels NAME
draws the label image IN/labels/NAME over it in stable colours with
outlines. The picture is read from the coarsest pyramid level that still
gives the requested --size, reading only the chunks it needs.

The same view in 'ryomen serve' (the parameters of its /api/render URLs
are these flags' names) gives the same pixels.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"axis": f.axis, "index": f.index, "range": f.mipRange, "level": f.level,
				"size": f.size, "region": f.region, "channels": f.channels, "labels": f.labels, "alpha": f.alpha} {
				if v != "" {
					q.Set(k, v)
				}
			}
			q["window"], q["color"], q["at"] = f.window, f.color, f.at
			if f.mip {
				q.Set("mip", "1")
			}
			if f.noOutline {
				q.Set("outline", "0")
			}
			src, err := render.Open(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			defer src.Close()
			v, lbl, err := render.ParseView(src, q)
			if err != nil {
				return usageError{err}
			}
			res, err := render.Render(cmd.Context(), src.Image, lbl, v)
			if err != nil {
				return err
			}
			return writeSnapshot(args[1], res)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.axis, "axis", "", "space axis the plane cuts through, by name or index (default: the first, z)")
	fl.StringVar(&f.index, "index", "", "level-0 position on --axis (default: the middle)")
	fl.BoolVar(&f.mip, "mip", false, "draw the maximum-intensity projection along --axis")
	fl.StringVar(&f.mipRange, "range", "", "MIP range LO:HI of level-0 positions on --axis (default: all)")
	fl.StringVar(&f.level, "level", "", "pyramid level to read (default: the coarsest that gives --size)")
	fl.StringVar(&f.size, "size", "", fmt.Sprintf("output size WxH, or N for the longer side (default: %d, at most the level-0 size)", render.DefaultSize))
	fl.StringVar(&f.region, "region", "", "part of the plane, in level-0 coordinates ROW0:ROW1,COL0:COL1 (default: all)")
	fl.StringVar(&f.channels, "channels", "", "channel indices to draw, e.g. 0,2, or none (default: the active ones)")
	fl.StringArrayVar(&f.window, "window", nil, "display window START:END for every channel, or C=START:END for channel C (repeatable)")
	fl.StringArrayVar(&f.color, "color", nil, "colour C=RRGGBB of channel C (repeatable)")
	fl.StringArrayVar(&f.at, "at", nil, "position AXIS=N on another axis, e.g. t=3 (repeatable)")
	fl.StringVar(&f.labels, "labels", "", "label image to draw over the image (a name under IN/labels)")
	fl.StringVar(&f.alpha, "alpha", "", "opacity of label colours inside labels (default 0.5)")
	fl.BoolVar(&f.noOutline, "no-outline", false, "do not draw label outlines")
	return c
}

// writeSnapshot writes res as a PNG at path and reports it.
func writeSnapshot(path string, res *render.Result) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := render.EncodePNG(out, res.Image); err != nil {
		out.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	if g.json {
		return printJSON(map[string]any{"output": path, "width": res.Plane.Width, "height": res.Plane.Height,
			"level": res.Level, "label_level": res.LabelLevel})
	}
	fmt.Printf("wrote %s (%dx%d from level %d)\n", path, res.Plane.Width, res.Plane.Height, res.Level)
	return nil
}

// demoSnapshot draws the demo's image with its labels at out's side
// (OUT without .ome.zarr, plus .png) on the z plane with the most label
// voxels (the middle plane of the synthetic volume falls between layers
// of cells), and returns the PNG's path and the plane. Remote outputs get
// none ("" and no error).
func demoSnapshot(ctx context.Context, out string) (string, int, error) {
	if strings.Contains(out, "://") {
		return "", 0, nil
	}
	src, err := render.Open(ctx, out)
	if err != nil {
		return "", 0, err
	}
	defer src.Close()
	lbl := src.Labels["cells"]
	if lbl == nil {
		return "", 0, fmt.Errorf("demo snapshot: %s has no labels/cells", out)
	}
	z, err := busiestPlane(lbl)
	if err != nil {
		return "", 0, err
	}
	q := url.Values{"index": {strconv.Itoa(z)}, "labels": {"cells"}}
	v, l, err := render.ParseView(src, q)
	if err != nil {
		return "", 0, err
	}
	res, err := render.Render(ctx, src.Image, l, v)
	if err != nil {
		return "", 0, err
	}
	p := strings.TrimSuffix(strings.TrimSuffix(filepath.Clean(out), ".zarr"), ".ome") + ".png"
	f, err := os.Create(p)
	if err != nil {
		return "", 0, err
	}
	if err := render.EncodePNG(f, res.Image); err != nil {
		f.Close()
		return "", 0, fmt.Errorf("%s: %w", p, err)
	}
	return p, z, f.Close()
}

// busiestPlane returns the level-0 z of the plane of the coarsest label
// level with the most labelled voxels (the one nearest the middle on
// ties).
func busiestPlane(lbl *dataset.Image) (int, error) {
	lv := lbl.Levels[len(lbl.Levels)-1]
	sh := lv.Shape()
	if len(sh) != 3 {
		return 0, fmt.Errorf("demo snapshot: labels of rank %d, want 3", len(sh))
	}
	buf, err := nd.NewAnyChecked(lv.DType(), sh, nd.C)
	if err != nil {
		return 0, err
	}
	if err := lv.ReadRegion(nd.BoxOf(sh), buf); err != nil {
		return 0, fmt.Errorf("demo snapshot: %w", err)
	}
	a := nd.New[uint64](sh, nd.C)
	if err := nd.ConvertAny(a, buf); err != nil {
		return 0, err
	}
	best, bestN := sh[0]/2, -1
	data := a.Data()
	for z := 0; z < sh[0]; z++ {
		n := 0
		for _, v := range data[z*sh[1]*sh[2] : (z+1)*sh[1]*sh[2]] {
			if v != 0 {
				n++
			}
		}
		if d, bd := intAbs(z-sh[0]/2), intAbs(best-sh[0]/2); n > bestN || (n == bestN && d < bd) {
			best, bestN = z, n
		}
	}
	f := float64(lbl.Levels[0].Shape()[0]) / float64(sh[0])
	return min(int(float64(best)*f+f/2), lbl.Levels[0].Shape()[0]-1), nil
}

func intAbs(x int) int { return max(x, -x) }
