package dataset

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/synth"
)

// Synthetic volumes: "synth:" then a shape of rank 2 to 5, then options.
//
//	synth:256x256                      y, x: one plane of cells
//	synth:64x256x256?seed=2            z, y, x
//	synth:3x64x256x256                 c, z, y, x: each channel its own cells
//	synth:4x3x64x256x256               t, c, z, y, x
//	synth:...?labels=1                 the cells' labels (uint32) instead
//	synth:...?dtype=uint8              8-bit image instead of 16-bit
//
// Channel c of time point t is the volume of seed seed+1000*t+c, so
// channels and time points differ, as real ones do; a test that mixes them
// up sees it.
func init() {
	RegisterFormat(Format{Name: "synthetic", Match: func(loc string) bool { return strings.HasPrefix(loc, "synth:") }, Open: openSynth})
}

func openSynth(_ context.Context, loc string, _ map[string]string, _ *OpenOptions) (*Image, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("dataset: bad synth location %q: %v", loc, err)
	}
	var shape []int
	for f := range strings.SplitSeq(u.Opaque, "x") {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("dataset: bad synth shape %q: want e.g. synth:128x256x256", u.Opaque)
		}
		shape = append(shape, n)
	}
	if len(shape) < 2 || len(shape) > 5 {
		return nil, fmt.Errorf("dataset: synth shape %q: want rank 2 to 5 ([t,][c,][z,]y,x)", u.Opaque)
	}
	q := u.Query()
	for k := range q {
		if k != "seed" && k != "labels" && k != "dtype" {
			return nil, fmt.Errorf("dataset: synth option %q: want seed, labels or dtype", k)
		}
	}
	var seed uint64
	if s := q.Get("seed"); s != "" {
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			return nil, fmt.Errorf("dataset: synth seed %q: want a non-negative integer", s)
		}
	}
	kind := "image"
	switch dt := q.Get("dtype"); {
	case q.Get("labels") != "":
		kind = "labels"
	case dt == "uint8":
		kind = "image8"
	case dt != "" && dt != "uint16":
		return nil, fmt.Errorf("dataset: synth dtype %q: want uint16 (default) or uint8", dt)
	}
	r, err := newSynthReader(shape, seed, kind)
	if err != nil {
		return nil, err
	}
	axes := nd.DefaultAxes(len(shape))
	// Synthetic volumes are a pure function of their canonical URL.
	canon := "synth:" + u.Opaque
	if enc := q.Encode(); enc != "" {
		canon += "?" + enc
	}
	return &Image{Reader: r, Axes: axes, Levels: single(r, axes), Format: "synthetic", Location: canon}, nil
}

// synthReader serves a rank-2..5 synthetic image from 3-D volumes: one per
// (t, c) pair, each of seed seed+1000*t+c; a 2-D image is the first plane
// of a one-plane volume.
type synthReader struct {
	shape []int
	lead  int // leading non-space axes (t, c)
	dt    nd.DType
	vols  []nd.Reader // one per leading index, C order
}

func newSynthReader(shape []int, seed uint64, kind string) (*synthReader, error) {
	space := shape[max(0, len(shape)-3):]
	lead := len(shape) - len(space)
	if len(shape) == 2 {
		space, lead = append([]int{1}, shape...), 0
	}
	n := 1
	for _, s := range shape[:lead] {
		n *= s
	}
	if n > 1<<16 {
		return nil, fmt.Errorf("dataset: synth shape %v: at most 65536 channels x time points", shape)
	}
	r := &synthReader{shape: shape, lead: lead}
	for k := range n {
		t, c := 0, k
		if lead == 2 {
			t, c = k/shape[1], k%shape[1]
		}
		v, err := synth.New(synth.Params{Shape: space, Seed: seed + 1000*uint64(t) + uint64(c)})
		if err != nil {
			return nil, fmt.Errorf("dataset: synth shape %v: %w", shape, err)
		}
		switch kind {
		case "labels":
			r.vols = append(r.vols, v.Labels())
		case "image8":
			r.vols = append(r.vols, v.Image8())
		default:
			r.vols = append(r.vols, v.Image())
		}
	}
	r.dt = r.vols[0].DType()
	return r, nil
}

func (r *synthReader) DType() nd.DType { return r.dt }
func (r *synthReader) Shape() []int    { return append([]int(nil), r.shape...) }

// ReadRegion implements nd.Reader, one leading index at a time.
func (r *synthReader) ReadRegion(b nd.Box, dst nd.Any) error {
	if err := nd.CheckRegion(r.shape, b, dst, r.dt); err != nil {
		return err
	}
	sp := nd.NewBox(b.Min[r.lead:], b.Max[r.lead:])
	if len(r.shape) == 2 {
		sp = nd.NewBox([]int{0, b.Min[0], b.Min[1]}, []int{1, b.Max[0], b.Max[1]})
	}
	tmp := nd.NewAny(r.dt, sp.Shape(), nd.C)
	raw, _ := nd.AsBytes(tmp)
	ones := make([]int, r.lead)
	for i := range ones {
		ones[i] = 1
	}
	flat, err := nd.FromBytes(r.dt, append(ones, b.Shape()[r.lead:]...), nd.C, raw)
	if err != nil {
		return err
	}
	for idx := range nd.NewBox(b.Min[:r.lead], b.Max[:r.lead]).Points() {
		k := 0
		for i, v := range idx {
			k = k*r.shape[i] + v
		}
		if err := r.vols[k].ReadRegion(sp, tmp); err != nil {
			return err
		}
		lo, hi := make([]int, len(r.shape)), dst.Shape()
		for i, v := range idx {
			lo[i], hi[i] = v-b.Min[i], v-b.Min[i]+1
		}
		if err := nd.CopyAny(dst.View(nd.NewBox(lo, hi)), flat); err != nil {
			return err
		}
	}
	return nil
}
