package main

import (
	"context"
	"fmt"
	"math"
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

// defaultSnapshotSize is the longer side of a snapshot given no size or
// level (never more than the plane's own size at level 0).
const defaultSnapshotSize = 1024

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
			v, lbl, err := parseView(src, q)
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
	fl.StringVar(&f.size, "size", "", fmt.Sprintf("output size WxH, or N for the longer side (default: %d, at most the level-0 size)", defaultSnapshotSize))
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

// parseView reads a view of src from query parameters (the snapshot
// flags' names): the shared language of 'snapshot' and 'serve'.
func parseView(src *render.Source, q url.Values) (render.View, *dataset.Image, error) {
	im := src.Image
	v := render.View{Axis: -1, Index: -1, Level: -1, Outline: q.Get("outline") != "0"}
	var err error
	if s := q.Get("axis"); s != "" {
		if v.Axis, err = axisIndex(im, s); err != nil {
			return v, nil, fmt.Errorf("axis: %w", err)
		}
	}
	ints := []struct {
		key string
		dst *int
	}{{"index", &v.Index}, {"level", &v.Level}}
	for _, p := range ints {
		if s := q.Get(p.key); s != "" {
			if *p.dst, err = strconv.Atoi(s); err != nil || *p.dst < 0 {
				return v, nil, fmt.Errorf("%s %q: want a non-negative integer", p.key, s)
			}
		}
	}
	v.MIP = q.Get("mip") == "1" || q.Get("mip") == "true"
	if s := q.Get("range"); s != "" {
		lo, hi, err := pair(s, ":")
		if err != nil || lo != math.Trunc(lo) || hi != math.Trunc(hi) {
			return v, nil, fmt.Errorf("range %q: want LO:HI", s)
		}
		v.MIPMin, v.MIPMax = int(lo), int(hi)
	}
	if err := parseSize(im, q, &v); err != nil {
		return v, nil, err
	}
	if v.Channels, err = parseChannels(src.Channels, q); err != nil {
		return v, nil, err
	}
	if err := parseAt(im, q["at"], &v); err != nil {
		return v, nil, err
	}
	if s := q.Get("alpha"); s != "" {
		if v.LabelAlpha, err = strconv.ParseFloat(s, 64); err != nil || v.LabelAlpha <= 0 || v.LabelAlpha > 1 {
			return v, nil, fmt.Errorf("alpha %q: want a number in (0, 1]", s)
		}
	}
	var lbl *dataset.Image
	if s := q.Get("labels"); s != "" {
		if lbl = src.Labels[s]; lbl == nil {
			return v, nil, fmt.Errorf("labels %q: the image has label images %v", s, im.Labels)
		}
	}
	return v, lbl, nil
}

// axisIndex finds an axis by name or index.
func axisIndex(im *dataset.Image, s string) (int, error) {
	for i, a := range im.Axes {
		if a.Name == s {
			return i, nil
		}
	}
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || i >= len(im.Axes) {
		names := make([]string, len(im.Axes))
		for i, a := range im.Axes {
			names[i] = a.Name
		}
		return 0, fmt.Errorf("%q is not an axis (axes %v)", s, names)
	}
	return i, nil
}

// pair parses "A<sep>B" as two numbers.
func pair(s, sep string) (float64, float64, error) {
	a, b, ok := strings.Cut(s, sep)
	if !ok {
		return 0, 0, fmt.Errorf("no %q", sep)
	}
	x, err := strconv.ParseFloat(a, 64)
	if err != nil {
		return 0, 0, err
	}
	y, err := strconv.ParseFloat(b, 64)
	if err != nil || math.IsNaN(x) || math.IsNaN(y) {
		return 0, 0, fmt.Errorf("not numbers")
	}
	return x, y, nil
}

// parseSize reads region, size (WxH or N for the longer side), width and
// height. With none of them and no level, the longer side is
// defaultSnapshotSize or the plane's level-0 size, whichever is smaller.
func parseSize(im *dataset.Image, q url.Values, v *render.View) error {
	if s := q.Get("region"); s != "" {
		rs, cs, ok := strings.Cut(s, ",")
		r0, r1, err1 := pair(rs, ":")
		c0, c1, err2 := pair(cs, ":")
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("region %q: want ROW0:ROW1,COL0:COL1", s)
		}
		v.Region = &render.Region{Min: [2]float64{r0, c0}, Max: [2]float64{r1, c1}}
	}
	for _, p := range []struct {
		key string
		dst *int
	}{{"width", &v.Width}, {"height", &v.Height}} {
		if s := q.Get(p.key); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				return fmt.Errorf("%s %q: want a positive integer", p.key, s)
			}
			*p.dst = n
		}
	}
	long := 0
	if s := q.Get("size"); s != "" {
		w, h, ok := strings.Cut(s, "x")
		var err error
		if ok {
			v.Width, err = strconv.Atoi(w)
			if err == nil {
				v.Height, err = strconv.Atoi(h)
			}
		} else {
			long, err = strconv.Atoi(s)
		}
		if err != nil || v.Width < 0 || v.Height < 0 || long < 0 || (ok && (v.Width == 0 || v.Height == 0)) || (!ok && long == 0) {
			return fmt.Errorf("size %q: want WxH or N, positive", s)
		}
	} else if v.Width == 0 && v.Height == 0 && v.Level < 0 {
		long = -defaultSnapshotSize
	}
	if long == 0 {
		return nil
	}
	nat := *v
	nat.Width, nat.Height, nat.Level = 0, 0, 0
	p, err := render.Resolve(im, nat)
	if err != nil {
		return err
	}
	if long < 0 && max(p.Width, p.Height) <= -long {
		return nil // the default: the level-0 size when it is small
	}
	long = max(long, -long)
	if p.Width >= p.Height {
		v.Width = long
	} else {
		v.Height = long
	}
	return nil
}

// parseChannels reads channels (indices to draw), window and color over
// the defaults.
func parseChannels(defs []render.Channel, q url.Values) ([]render.Channel, error) {
	chans := append([]render.Channel(nil), defs...)
	idx := func(s, what string) ([]int, error) {
		if s == "" {
			all := make([]int, len(chans))
			for i := range all {
				all[i] = i
			}
			return all, nil
		}
		i, err := strconv.Atoi(s)
		if err != nil || i < 0 || i >= len(chans) {
			return nil, fmt.Errorf("%s: channel %q: the image has %d", what, s, len(chans))
		}
		return []int{i}, nil
	}
	if s := q.Get("channels"); s != "" {
		for i := range chans {
			chans[i].Active = false
		}
		for _, p := range strings.Split(s, ",") {
			if s == "none" {
				break
			}
			is, err := idx(strings.TrimSpace(p), "channels")
			if err != nil || p == "" {
				return nil, fmt.Errorf("channels %q: want indices below %d, e.g. 0,2", s, len(chans))
			}
			chans[is[0]].Active = true
		}
	}
	for _, w := range q["window"] {
		c, se, ok := strings.Cut(w, "=")
		if !ok {
			c, se = "", w
		}
		is, err := idx(c, "window "+w)
		if err != nil {
			return nil, err
		}
		lo, hi, err := pair(se, ":")
		if err != nil {
			return nil, fmt.Errorf("window %q: want START:END or C=START:END", w)
		}
		for _, i := range is {
			chans[i].Start, chans[i].End = lo, hi
		}
	}
	for _, s := range q["color"] {
		c, hex, _ := strings.Cut(s, "=")
		is, err := idx(c, "color "+s)
		if err != nil || c == "" {
			return nil, fmt.Errorf("color %q: want C=RRGGBB", s)
		}
		col, err := render.ParseColor(hex)
		if err != nil {
			return nil, fmt.Errorf("color %q: %w", s, err)
		}
		chans[is[0]].Color = col
	}
	return chans, nil
}

// parseAt reads positions AXIS=N on the other axes.
func parseAt(im *dataset.Image, at []string, v *render.View) error {
	for _, s := range at {
		name, n, ok := strings.Cut(s, "=")
		i, err := strconv.Atoi(n)
		if !ok || err != nil {
			return fmt.Errorf("at %q: want AXIS=N", s)
		}
		a, err := axisIndex(im, name)
		if err != nil {
			return fmt.Errorf("at %q: %w", s, err)
		}
		if v.Fixed == nil {
			v.Fixed = map[int]int{}
		}
		v.Fixed[a] = i
	}
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
	v, l, err := parseView(src, q)
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
