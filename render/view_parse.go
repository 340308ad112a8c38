package render

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/ryomen-dev/ryomen/dataset"
)

// DefaultSize is the longer side of a view given no size or level (never
// more than the plane's own size at level 0).
const DefaultSize = 1024

// ParseView reads a view of src from query parameters, the language
// shared by `ryomen snapshot` (its flags' names) and `ryomen serve` (its
// /api/render URLs): axis, index, mip, range, level, size, region,
// channels, window, color, at, labels, alpha, outline. It returns the view
// and the label image to draw over it (nil: none).
func ParseView(src *Source, q url.Values) (View, *dataset.Image, error) {
	im := src.Image
	v := View{Axis: -1, Index: -1, Level: -1, Outline: q.Get("outline") != "0"}
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
// DefaultSize or the plane's level-0 size, whichever is smaller.
func parseSize(im *dataset.Image, q url.Values, v *View) error {
	if s := q.Get("region"); s != "" {
		rs, cs, ok := strings.Cut(s, ",")
		r0, r1, err1 := pair(rs, ":")
		c0, c1, err2 := pair(cs, ":")
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("region %q: want ROW0:ROW1,COL0:COL1", s)
		}
		v.Region = &Region{Min: [2]float64{r0, c0}, Max: [2]float64{r1, c1}}
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
		long = -DefaultSize
	}
	if long == 0 {
		return nil
	}
	nat := *v
	nat.Width, nat.Height, nat.Level = 0, 0, 0
	p, err := Resolve(im, nat)
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
func parseChannels(defs []Channel, q url.Values) ([]Channel, error) {
	chans := append([]Channel(nil), defs...)
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
		col, err := ParseColor(hex)
		if err != nil {
			return nil, fmt.Errorf("color %q: %w", s, err)
		}
		chans[is[0]].Color = col
	}
	return chans, nil
}

// parseAt reads positions AXIS=N on the other axes.
func parseAt(im *dataset.Image, at []string, v *View) error {
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
