package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ryomen-dev/ryomen/filter"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/process"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/stitch"
	"github.com/ryomen-dev/ryomen/tile"
)

// applyFlags are the flags of ryomen apply beyond the output's.
type applyFlags struct {
	op, execCmd, outDType                string
	crop, margin, overlap, halo          string
	border, placement, blend, scale      string
	sigma, value, borderValue, blendSig  float64
	batch, inflight, outChannels, cacheM int
	execTimeout                          time.Duration
	instances                            string
	iou                                  float64
}

const applyLong = `Run a function crop by crop over IN, as Ryomen does, and write a one-level
OME-Zarr v0.5 image to OUT, out of core, resumable and shardable like pyramid.

  --op gaussian --sigma S   Gaussian blur (float32 output), scipy's kernel
                            (truncate 4); the margin defaults to its radius
                            int(4S+0.5), so with --blend none the result equals
                            scipy.ndimage.gaussian_filter of the whole image
                            with the border mode (symmetric = scipy 'reflect')
  --op threshold --value V  1 where the voxel is > V, else 0 (uint8 output)
  --exec CMD                run CMD (through /bin/sh -c) once as a model
                            server and stream it batches of crops as .npy
                            frames over stdin/stdout (docs/exec-protocol.md)

Tiling (package tile): crops of --crop voxels on the space axes (channel and
time axes are carried whole in every crop and are never padded) overlap by
--margin voxels per side (Ryomen's "overlap"; or give --overlap, twice that).
Crops reaching outside the image are filled by --border; the last crop of an
axis is pulled back to the edge (--placement pull-back) or the crops are
spread evenly (even). Each output voxel comes from the crop in which it lies
farthest from the edge (--blend none), or the crops covering it are averaged
(constant) or weighted by a Gaussian window (gaussian). Crop size and margin
are independent of --chunks: each task computes one output chunk (or shard)
from the crops that reach it; caches (--cache-mib) keep the results of crops
that several chunks need and the input chunks that overlapping crops share.
The output equals the tile package's Map of the same function on the whole
image, bit for bit. The default crop is the output chunk plus the
margin on both sides, so crops line up with chunks.

--instances RULE treats the function's results as instance labels (integers,
0 = background, numbered per crop) and stitches them into one label image
with IDs 1..N (package stitch), written with a mode pyramid (--levels):
  overlap  join labels of overlapping crops whose IoU in the shared voxels is
           at least --iou (0: any shared voxel); needs a margin of 1 or more
  touch    join labels that touch across the faces of the kept regions
  own      keep each object in the tile that holds its bounding-box centre
           (StarDist); an object larger than the margin is an error
The output is uint32 (--out-dtype of the stitched labels is not settable;
more than 2^32-1 objects is an error).

--halo is the deprecated spelling of --margin.`

func newApply() *cobra.Command {
	var f pyrFlags
	var a applyFlags
	c := &cobra.Command{
		Use:   "apply IN OUT",
		Short: "Run a tiled operation over an image out of core: --op gaussian or threshold, or --exec a model",
		Long:  applyLong,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runApply(cmd.Context(), &f, &a, args[0], args[1])
		},
	}
	fl := c.Flags()
	registerCodec(c, &f)
	fl.StringVar(&a.op, "op", "", "operation: gaussian or threshold")
	fl.StringVar(&a.execCmd, "exec", "", "external model server command (see docs/exec-protocol.md)")
	fl.StringVar(&a.crop, "crop", "", "crop size per space axis, one value or one per space axis (default: the output chunk plus twice the margin)")
	fl.StringVar(&a.margin, "margin", "", "context voxels per side per space axis, thrown away after the function (Ryomen's overlap; default: gaussian radius, 8 for --exec, 0 for threshold)")
	fl.StringVar(&a.overlap, "overlap", "", "voxels neighbouring crops share per space axis (even; twice the margin); instead of --margin")
	fl.StringVar(&a.halo, "halo", "", "deprecated: the same as --margin")
	fl.StringVar(&a.border, "border", "symmetric", "filling of crops outside the image: symmetric, reflect, edge, periodic, constant or none")
	fl.Float64Var(&a.borderValue, "border-value", 0, "fill value for --border constant")
	fl.StringVar(&a.placement, "placement", "pull-back", "last crops of an axis: pull-back or even")
	fl.StringVar(&a.blend, "blend", "none", "merging of overlapping crops: none (keep each crop's centre), constant or gaussian")
	fl.Float64Var(&a.blendSig, "blend-sigma", 0.125, "--blend gaussian: window sigma as a fraction of the crop size")
	fl.StringVar(&a.scale, "scale", "", "--exec: output/input size per space axis, e.g. 2 or 1/2 or 1,2,2 (a model that changes the resolution)")
	fl.IntVar(&a.outChannels, "out-channels", 0, "--exec: length of the output's channel axis (a model that changes the channel count; 0: unchanged)")
	fl.StringVar(&a.outDType, "out-dtype", "", "--exec: dtype the child returns (default: the input dtype)")
	fl.IntVar(&a.batch, "batch", 4, "crops per call of the function (per request with --exec)")
	fl.IntVar(&a.inflight, "inflight", 2, "--exec: requests sent before waiting for a response")
	fl.IntVar(&a.cacheM, "cache-mib", 256, "MiB for each of two caches (at most a quarter of --memory each): results of crops that several output chunks need, and input chunks that overlapping crops share (0: no caches)")
	fl.DurationVar(&a.execTimeout, "exec-timeout", 10*time.Minute, "--exec: longest wait for one response (from its request, or from the previous response if later); then the server is killed and the run fails (0: no limit)")
	fl.StringVar(&a.instances, "instances", "", "stitch instance labels returned per crop: overlap, touch or own (see above; default: no stitching)")
	fl.Float64Var(&a.iou, "iou", 0, "--instances overlap: IoU threshold in [0, 1] (0: any shared voxel joins)")
	fl.IntVar(&f.levels, "levels", 0, "--instances: levels of the mode pyramid, level 0 included (0: until the smallest fits one chunk)")
	fl.Float64Var(&a.sigma, "sigma", 1, "gaussian sigma in voxels")
	fl.Float64Var(&a.value, "value", 0, "threshold value")
	fl.StringVar(&f.chunks, "chunks", "", "output chunk shape, per axis or per space axis (default: 64 per space axis of a volume, 256 of a plane; whole channel and time axes); one task per chunk or shard")
	fl.StringVar(&f.shardShape, "shard-shape", "", "output shard shape (a multiple of --chunks)")
	fl.StringVar(&f.shard, "shard", "", "run only shard i of N of the task plan: i/N")
	fl.BoolVar(&f.resume, "resume", false, "continue an unfinished run")
	fl.BoolVar(&f.overwrite, "overwrite", false, "replace whatever is at OUT")
	return c
}

// applyJob is a resolved apply: the tiling, the function and what
// decides the output's bytes.
type applyJob struct {
	plan   *tile.Plan
	fn     tile.AnyFunc
	out    nd.DType
	merge  tile.Merge
	params map[string]string
	exec   *execRun
	// recycle takes back results the runner is done with (nil: none).
	recycle func(nd.Any)
}

// applySource opens apply's input (a variable so that tests can count
// the store reads).
var applySource = openSource

func runApply(ctx context.Context, f *pyrFlags, a *applyFlags, in, out string) error {
	switch {
	case a.execCmd != "" && a.op != "":
		return usagef("give --op or --exec, not both")
	case a.execCmd == "" && a.op == "":
		return usagef("--op (gaussian or threshold) or --exec CMD is required")
	case a.op != "" && a.op != "gaussian" && a.op != "threshold":
		return usagef("--op %q: want gaussian or threshold", a.op)
	}
	rule, err := a.rule()
	if err != nil {
		return err
	}
	src, err := applySource(ctx, in)
	if err != nil {
		return err
	}
	levels := f.levels
	o, job, err := a.prepare(ctx, f, src)
	if job != nil && job.exec != nil {
		defer job.exec.kill()
	}
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		// A run allocates a few crops per task and keeps little: collect
		// less often (memory stays a small multiple of the crops in
		// flight).
		defer debug.SetGCPercent(debug.SetGCPercent(200))
	}
	po := a.processOptions(job, src)
	run := func(ctx context.Context, o pyramid.Options) (*pyramid.Plan, error) {
		po.Output = o
		return process.Run(ctx, src.r, po)
	}
	if rule != nil {
		o.Factors = pyramid.AutoFactors(job.plan.OutShape(), src.Scale(), src.spaceFlags(), o.Chunks, levels)
		so := stitch.Options{Rule: *rule, IoU: a.iou}
		run = func(ctx context.Context, o pyramid.Options) (*pyramid.Plan, error) {
			return stitch.Build(ctx, job.plan, src.r, job.fn, so, o)
		}
	}
	err = runBuild(ctx, "apply", src, out, o, run)
	if job.exec != nil {
		if cerr := job.exec.close(); err == nil && cerr != nil {
			return cerr
		}
	}
	return err
}

// prepare resolves the output options and the job: one level, chunks
// fitted to the result's shape, axes rescaled by the output scale.
func (a *applyFlags) prepare(ctx context.Context, f *pyrFlags, src *source) (pyramid.Options, *applyJob, error) {
	f.levels, f.factor, f.method = 1, "auto", "stride"
	o, err := f.options(src)
	if err != nil {
		return o, nil, err
	}
	o.Factors = nil
	unit := o.Chunks
	if o.Shard != nil {
		unit = o.Shard
	}
	job, err := a.resolve(ctx, src, unit)
	if err != nil {
		return o, job, err
	}
	if job.exec != nil {
		// Enough tasks in flight to fill every batch in flight.
		o.Workers = max(g.workers, a.batch*a.inflight)
	}
	outShape := job.plan.OutShape()
	o.Chunks, o.Shard = process.FitChunks(o.Chunks, o.Shard, outShape, src.Axes, len(strings.Split(f.chunks, ",")) == len(outShape))
	o.Axes = process.OutAxes(src.Axes, job.plan)
	o.Method, o.Params = "apply", job.params
	return o, job, nil
}

// processOptions are the tiled run's options of a job (the caches take
// at most a quarter of --memory each).
func (a *applyFlags) processOptions(job *applyJob, src *source) process.Options {
	cache := int64(a.cacheM) << 20
	if g.memBytes > 0 {
		cache = min(cache, g.memBytes/4)
	}
	po := process.Options{Plan: job.plan, Func: job.fn, OutDType: job.out, Recycle: job.recycle,
		BatchSize: a.batch, Merge: job.merge, Sigma: a.blendSig, CacheBytes: cache}
	if len(src.Levels) > 0 {
		po.InputChunks = src.Levels[0].Chunks
	}
	return po
}

// rule parses --instances and checks the flags that go with it (nil:
// no stitching).
func (a *applyFlags) rule() (*stitch.Rule, error) {
	if a.instances == "" {
		if a.iou != 0 {
			return nil, usagef("--iou needs --instances overlap")
		}
		return nil, nil
	}
	r, err := stitch.ParseRule(a.instances)
	if err != nil {
		return nil, usagef("--instances %q: want overlap, touch or own", a.instances)
	}
	switch {
	case a.iou != 0 && r != stitch.Overlap:
		return nil, usagef("--iou is for --instances overlap, not %s", r)
	case !(a.iou >= 0 && a.iou <= 1):
		return nil, usagef("--iou %v: want a value in [0, 1]", a.iou)
	case a.blend != "none":
		return nil, usagef("--instances keeps each crop's labels whole: --blend must be none, not %q", a.blend)
	case a.scale != "":
		return nil, usagef("--instances needs the output at the input's resolution (no --scale)")
	}
	return &r, nil
}

// resolve turns the flags into a plan and a tile function.
func (a *applyFlags) resolve(ctx context.Context, src *source, unit []int) (*applyJob, error) {
	shape, space := src.r.Shape(), src.spaceFlags()
	lead := 0
	for lead < len(space) && !space[lead] {
		lead++
	}
	for i := lead; i < len(space); i++ {
		if !space[i] {
			return nil, usagef("apply tiles the space axes, which must come after the channel and time axes; axis %d (%s) is a %s axis", i, src.Axes[i].Name, src.Axes[i].Type)
		}
	}
	if lead == len(space) {
		return nil, usagef("apply: the image has no space axis to tile")
	}
	spec, err := a.spec(src, shape, lead, unit)
	if err != nil {
		return nil, err
	}
	p, err := tile.New(shape, spec)
	if err != nil {
		return nil, usagef("--crop %v, --margin %v: %v", spec.Crop, spec.Margin, err)
	}
	job := &applyJob{plan: p, params: a.params(spec)}
	if job.merge, err = parseBlend(a.blend); err != nil {
		return nil, err
	}
	if a.batch < 1 || a.inflight < 1 {
		return nil, usagef("--batch and --inflight must be >= 1")
	}
	if a.cacheM < 0 {
		return nil, usagef("--cache-mib %d: must be >= 0", a.cacheM)
	}
	switch a.op {
	case "gaussian":
		sig := make([]float64, len(shape))
		for i := lead; i < len(shape); i++ {
			sig[i] = a.sigma
		}
		op := process.Gaussian(sig, job.merge)
		job.out, job.fn, job.recycle = op.OutDType, op.Func, op.Recycle
	case "threshold":
		op := process.Threshold(a.value)
		job.out, job.fn, job.recycle = op.OutDType, op.Func, op.Recycle
	default:
		job.out = src.r.DType()
		if a.outDType != "" {
			if job.out, err = nd.ParseDType(a.outDType); err != nil {
				return nil, usagef("--out-dtype: %v", err)
			}
		}
		if a.execTimeout < 0 {
			return nil, usagef("--exec-timeout %v: must be >= 0 (0: no limit)", a.execTimeout)
		}
		margin := make([]int, len(shape))
		copy(margin[lead:], spec.Margin)
		job.exec, err = startExec(ctx, a.execCmd, src, margin, p.OutCropShape(), job.out, a.batch, a.inflight, a.execTimeout)
		if err != nil {
			return nil, err
		}
		job.fn = job.exec.fn()
	}
	return job, nil
}

// spec builds the tile spec of the space axes from the flags.
func (a *applyFlags) spec(src *source, shape []int, lead int, unit []int) (tile.Spec, error) {
	var s tile.Spec
	var err error
	if s.Border, err = tile.ParseBorder(a.border); err != nil {
		return s, usagef("--border: %v", err)
	}
	s.Value = a.borderValue
	switch a.placement {
	case "pull-back", "pullback":
		s.Placement = tile.PullBack
	case "even":
		s.Placement = tile.Even
	default:
		return s, usagef("--placement %q: want pull-back or even", a.placement)
	}
	if a.op != "" && (a.scale != "" || a.outChannels != 0) {
		return s, usagef("--scale and --out-channels are for --exec models; --op %s keeps the shape", a.op)
	}
	n := len(shape) - lead
	if s.Scale, err = parseScale(a.scale, n); err != nil {
		return s, err
	}
	if s.Margin, err = a.margins(src, lead); err != nil {
		return s, err
	}
	if s.Crop, err = a.crops(src, shape, lead, unit, s); err != nil {
		return s, err
	}
	if a.outChannels < 0 {
		return s, usagef("--out-channels %d: must be >= 0", a.outChannels)
	}
	if a.outChannels > 0 {
		ch := slices.IndexFunc(src.Axes[:lead], func(ax nd.Axis) bool { return ax.Type == nd.Channel })
		if ch < 0 {
			return s, usagef("--out-channels %d: the image has no channel axis", a.outChannels)
		}
		s.OutLead = slices.Clone(shape[:lead])
		s.OutLead[ch] = a.outChannels
	}
	return s, nil
}

// margins reads --margin, --overlap or --halo (at most one) as the margin
// per side of each space axis, or the operation's default.
func (a *applyFlags) margins(src *source, lead int) ([]int, error) {
	set := 0
	for _, v := range []string{a.margin, a.overlap, a.halo} {
		if v != "" {
			set++
		}
	}
	if set > 1 {
		return nil, usagef("give one of --margin, --overlap and --halo (--halo is --margin's old name)")
	}
	space := src.spaceFlags()
	var m []int
	var err error
	switch {
	case a.margin != "":
		m, err = parseHalo("--margin", a.margin, space)
	case a.halo != "":
		m, err = parseHalo("--halo", a.halo, space)
	case a.overlap != "":
		if m, err = parseHalo("--overlap", a.overlap, space); err == nil {
			for i, v := range m {
				if v%2 != 0 {
					return nil, usagef("--overlap %q: %d on axis %d is odd; the overlap is twice the margin per side", a.overlap, v, i)
				}
				m[i] = v / 2
			}
		}
	default:
		def := 0
		switch a.op {
		case "gaussian":
			if !(a.sigma > 0) || math.IsInf(a.sigma, 0) {
				return nil, usagef("--sigma %v: must be > 0 and finite", a.sigma)
			}
			def = filter.Radius(a.sigma)
		case "":
			def = 8 // the old --halo default of --exec
		}
		m = make([]int, len(space))
		for i := range m {
			if space[i] {
				m[i] = def
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return m[lead:], nil
}

// crops reads --crop: one value, one per space axis, or one per axis with
// channel and time axes given whole. The default is the task's output
// unit, in input voxels, plus twice the margin.
func (a *applyFlags) crops(src *source, shape []int, lead int, unit []int, s tile.Spec) ([]int, error) {
	n := len(shape) - lead
	if a.crop == "" {
		c := make([]int, n)
		for k := range c {
			L := shape[lead+k]
			u := min(unit[lead+k], L)
			r := s.Scale[k]
			if u*r.Den%r.Num != 0 {
				return nil, usagef("the output chunk %d of axis %d is not a whole number of input voxels at --scale %d/%d; give --crop", u, lead+k, r.Num, r.Den)
			}
			c[k] = u*r.Den/r.Num + 2*s.Margin[k]
			if s.Border == tile.None {
				c[k] = min(c[k], L)
			}
		}
		return c, nil
	}
	v, err := parseInts(a.crop)
	if err != nil {
		return nil, usagef("--crop: %v", err)
	}
	switch len(v) {
	case 1:
		one := v[0]
		v = make([]int, n)
		for k := range v {
			v[k] = one
		}
	case n:
	case len(shape):
		for i, c := range v[:lead] {
			if c != shape[i] {
				return nil, usagef("--crop %q: axis %d (%s) is a %s axis of length %d; crops carry it whole and never pad it, so give %d there or crop sizes for the %d space axes only",
					a.crop, i, src.Axes[i].Name, src.Axes[i].Type, shape[i], shape[i], n)
			}
		}
		v = v[lead:]
	default:
		return nil, usagef("--crop %q: want one value, %d (one per space axis) or %d (one per axis) for shape %v", a.crop, n, len(shape), shape)
	}
	return v, nil
}

// parseScale reads --scale: per space axis ratios "N", "N/D" or "1/D".
func parseScale(s string, n int) ([]tile.Ratio, error) {
	out := make([]tile.Ratio, n)
	for i := range out {
		out[i] = tile.Ratio{Num: 1, Den: 1}
	}
	if s == "" {
		return out, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 1 && len(parts) != n {
		return nil, usagef("--scale %q: want one ratio or %d (one per space axis)", s, n)
	}
	for i := range out {
		p := strings.TrimSpace(parts[min(i, len(parts)-1)])
		num, den, ok := strings.Cut(p, "/")
		if !ok {
			den = "1"
		}
		x, err1 := strconv.Atoi(num)
		y, err2 := strconv.Atoi(den)
		if err1 != nil || err2 != nil || x <= 0 || y <= 0 {
			return nil, usagef("--scale %q: %q is not a positive ratio such as 2 or 1/2", s, p)
		}
		out[i] = tile.Ratio{Num: x, Den: y}
	}
	return out, nil
}

func parseBlend(s string) (tile.Merge, error) {
	switch s {
	case "none", "paste":
		return tile.Paste, nil
	case "constant":
		return tile.BlendConstant, nil
	case "gaussian":
		return tile.BlendGaussian, nil
	}
	return 0, usagef("--blend %q: want none, constant or gaussian", s)
}

// params are the options that decide the output's bytes, for the run
// record: a resume with other values is refused.
func (a *applyFlags) params(s tile.Spec) map[string]string {
	// The tiling goes under one key that sorts after the operation's, so
	// a refused resume names the operation's parameters first.
	tl := fmt.Sprintf("crop=%v margin=%v border=%v placement=%v blend=%s scale=%v out-lead=%v",
		s.Crop, s.Margin, s.Border, s.Placement, a.blend, s.Scale, s.OutLead)
	if s.Border == tile.Constant {
		tl += " border-value=" + strconv.FormatFloat(a.borderValue, 'g', -1, 64)
	}
	if a.blend == "gaussian" {
		tl += " blend-sigma=" + strconv.FormatFloat(a.blendSig, 'g', -1, 64)
	}
	p := map[string]string{"tiling": tl}
	switch a.op {
	case "gaussian":
		p["op"], p["sigma"] = a.op, strconv.FormatFloat(a.sigma, 'g', -1, 64)
	case "threshold":
		p["op"], p["value"] = a.op, strconv.FormatFloat(a.value, 'g', -1, 64)
	default:
		// The model is the command line: a resume with another command
		// (or batch shape) must not mix results.
		p["exec"], p["batch"], p["out-dtype"] = a.execCmd, strconv.Itoa(a.batch), a.outDType
	}
	return p
}
