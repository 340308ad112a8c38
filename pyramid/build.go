package pyramid

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/engine"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/progress"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

// Errors callers may test for: the engine's (see package engine).
var (
	ErrExists      = engine.ErrExists
	ErrBudget      = engine.ErrBudget
	ErrPlanChanged = engine.ErrPlanChanged
	ErrComplete    = engine.ErrComplete
	ErrForeign     = engine.ErrForeign
	ErrTakenOver   = engine.ErrTakenOver
)

// Options describe a build.
type Options struct {
	// Store and Path locate the output image group ("" is the store root).
	Store store.Store
	Path  string
	// Method names the reduction ("mean", "mode", "stride"); Reduce, when
	// set, replaces the built-in one of that name.
	Method string
	Reduce Reduce
	// Factors[i] takes level i to level i+1 (none: a one-level image, a
	// copy of the source).
	Factors [][]int
	// Chunks and Shard are the output chunk and shard shapes (Shard nil:
	// unsharded).
	Chunks, Shard []int
	// Codecs are the Zarr v3 bytes-to-bytes codecs of every output array
	// (inner chunks when sharded); nil stores chunks uncompressed.
	Codecs []codec.Codec
	// OMEVersion is "0.5" (default: Zarr v3, sharding allowed) or "0.4"
	// (Zarr v2 with "/" keys, readable by zarr-python 2 and older viewers;
	// at most one codec, no sharding).
	OMEVersion string
	// Axes describe level 0: names, types, units, physical scale and
	// translation, for the OME metadata. Only space axes may be reduced.
	Axes []nd.Axis
	Name string
	// Label marks the output as an OME label image ("image-label", with
	// its source image two groups up, as in img/labels/cells); a label
	// image built at IMAGE/labels/NAME is listed in IMAGE/labels when it is
	// complete. Channels name the channels of an image for the omero block.
	Label    bool
	Channels []string
	// Memory is the budget in bytes for task data (0: no limit); Workers
	// caps concurrency (0: GOMAXPROCS).
	Memory  int64
	Workers int
	// ShardIndex and ShardCount split the tasks across processes (see
	// package engine; ShardCount 0 means 1).
	ShardIndex, ShardCount int
	// Resume continues an unfinished run; Overwrite deletes the Zarr
	// hierarchy at Path first (see the package doc for what is kept).
	Resume, Overwrite bool
	// Source identifies the input in the run record; Params are further
	// parameters that decide the output's bytes (an operation and its
	// arguments). A resumed run must match both.
	Source Source
	Params map[string]string
	// Output names the output in errors (default: the store's location).
	Output string
	// Group is the most levels one task computes from one read: larger
	// groups read each level once per group instead of once per level, at
	// the price of bigger blocks. 0 chooses (see NewPlanAuto): one level
	// per phase, with phase 0 fused when the budget allows.
	Group int
	// Before are phases run in the same claimed job before the pyramid's
	// own, after the level arrays exist: work whose results the source
	// reads (stitching computes its labels there). Their bytes must be
	// decided by Source and Params.
	Before []engine.Phase
	// ReadBytes is the memory one read of the source holds besides the
	// block it fills (the working set of a computed source, such as a
	// tiled function's crops); the budget adds it to every task of phase 0.
	ReadBytes int64
	// Progress, when set, counts the build's work.
	Progress *progress.Counter
}

// Budget returns the number of concurrent tasks a budget allows for a
// single-process build, or an error when not even one fits. See
// BudgetShards.
func Budget(p *Plan, memory int64, workers int) (int, error) {
	return BudgetShards(p, memory, workers, 1)
}

// BudgetShards returns the number of concurrent tasks of the phase that
// needs most memory that a budget allows for one of shards processes, or
// an error wrapping ErrBudget when not even one fits. The budget first
// pays for what grows with the input (TrackingBytes: the plan and the
// finished-task set), then for whole tasks (TaskBytes). With no budget
// (memory <= 0) the finished-task set is still capped at 1 GiB and a task
// whose size cannot be counted is refused, so a hostile shape fails here,
// at once, instead of exhausting memory later.
func BudgetShards(p *Plan, memory int64, workers, shards int) (int, error) {
	j := &engine.Job{Memory: memory, Workers: workers, ShardCount: shards}
	phases := p.phases(nil, nil, nil, 0)
	most := engine.Phase{Name: "largest", Tasks: 1, TaskBytes: p.TaskBytes()}
	if err := j.Check(append(phases, most)...); err != nil {
		return 0, p.budgetError(err)
	}
	return j.PhaseWorkers(most, append(phases, most)...)
}

func (p *Plan) budgetError(err error) error {
	return fmt.Errorf("pyramid: shape %v with chunks %v (write unit %v, %s): %w", p.Shapes[0], p.Chunks, p.Unit(), p.DType, err)
}

// TrackingBytes estimates the memory a build holds besides its tasks when it
// runs as one of shards processes: the plan, the finished-task set of its
// largest phase (1 bit per task of that process) and the listing of one
// bucket of markers. It is what grows with the input; Budget counts it.
func (p *Plan) TrackingBytes(shards int) int64 {
	j := &engine.Job{ShardCount: shards}
	return p.PlanBytes() + j.TrackingBytes(p.phases(nil, nil, nil, 0)...)
}

// Build runs the plan for src into the output described by o.
func Build(ctx context.Context, src nd.Reader, o Options) (*Plan, error) {
	reduce, err := o.reduction()
	if err != nil {
		return nil, err
	}
	p, err := NewPlanAuto(src.DType(), src.Shape(), o.Factors, o.Chunks, o.Shard, o.Group, o.Memory)
	if err != nil {
		return nil, err
	}
	// Reject a dtype the method cannot handle before touching the output.
	one := make([]int, len(p.Shapes[0]))
	for i := range one {
		one[i] = 1
	}
	if err := reduce(nd.NewAny(p.DType, one, nd.C), nd.NewAny(p.DType, one, nd.C), one); err != nil {
		return nil, err
	}
	if err := checkAxes(p, o.Axes); err != nil {
		return nil, err
	}
	version, err := o.omeVersion(p)
	if err != nil {
		return nil, err
	}
	j := o.job(p)
	if err := j.Check(append(p.phases(nil, nil, nil, o.ReadBytes), o.Before...)...); err != nil {
		return nil, p.budgetError(err)
	}
	if err := j.Claim(ctx); err != nil {
		return nil, err
	}
	levels, err := createLevels(ctx, p, &o, version)
	if err != nil {
		return nil, err
	}
	if err := j.Run(ctx, o.Before...); err != nil {
		return nil, err
	}
	if err := j.Run(ctx, p.phases(src, levels, reduce, o.ReadBytes)...); err != nil {
		return nil, err
	}
	// Every task is done: now, and only now, the output claims to be an
	// OME-Zarr image.
	img, err := finalImage(p, &o, version, levels[len(levels)-1])
	if err != nil {
		return nil, err
	}
	if err := j.Finish(ctx, func(ctx context.Context) error { return ome.Write(ctx, o.Store, o.Path, img) }); err != nil {
		return nil, err
	}
	if o.Label {
		if err := registerLabel(ctx, &o, version); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// job is the engine job of a build of p (nil: a job that only reads the
// output's state).
func (o *Options) job(p *Plan) *engine.Job {
	if o.Progress == nil {
		o.Progress = new(progress.Counter)
	}
	var rec []byte
	if p != nil {
		rec = o.record(p)
	}
	return &engine.Job{
		Store: o.Store, Path: o.Path, Name: o.Output, Record: rec,
		Resume: o.Resume, Overwrite: o.Overwrite, Clear: o.clear,
		Complete: func(ctx context.Context) bool {
			img, err := ome.Read(ctx, o.Store, o.Path)
			return err == nil && len(img.Multiscales) > 0
		},
		ShardIndex: o.ShardIndex, ShardCount: o.ShardCount,
		Memory: o.Memory, Workers: o.Workers, Progress: o.Progress,
	}
}

// phases are the engine phases of the plan, reading src (whose reads
// hold readBytes besides their block) and writing levels (nil for a
// budget check, whose phases are never run).
func (p *Plan) phases(src nd.Reader, levels []*zarr.Array, reduce Reduce, readBytes int64) []engine.Phase {
	out := make([]engine.Phase, len(p.Phases))
	for i := range p.Phases {
		ph := &p.Phases[i]
		name := fmt.Sprintf("phase %d (level %d)", ph.Index, ph.Level)
		tb := p.PhaseTaskBytes(ph)
		if ph.First == 0 {
			tb = satAdd(tb, max(readBytes, 0))
		}
		out[i] = engine.Phase{Name: name, Tasks: ph.NumTasks(), TaskBytes: max(1, tb),
			Describe: func(id int64) string { return fmt.Sprint(ph.Task(id).Out) }}
		if levels == nil {
			continue
		}
		in := src
		if ph.First > 0 {
			in = levels[ph.First-1]
		}
		out[i].Run = func(ctx context.Context, id int64) (int64, int64, error) {
			return runTask(ctx, p, ph.Task(id), in, levels, reduce)
		}
	}
	return out
}

// reduction returns the build's reduction: Reduce, or the named method.
func (o *Options) reduction() (Reduce, error) {
	if o.Reduce != nil {
		return o.Reduce, nil
	}
	if r := Methods[o.Method]; r != nil {
		return r, nil
	}
	if len(o.Factors) == 0 {
		// A one-level image is a copy of the source: nothing is reduced
		// (Method, if set, names what made the source: "apply", "label").
		if o.Method == "" {
			o.Method = "stride"
		}
		return Stride, nil
	}
	if r := Methods[o.Method]; r != nil {
		return r, nil
	}
	return nil, fmt.Errorf("pyramid: unknown method %q", o.Method)
}

// omeVersion checks the OME-Zarr version against the plan's storage.
func (o *Options) omeVersion(p *Plan) (string, error) {
	switch o.OMEVersion {
	case "", ome.V05:
		return ome.V05, nil
	case ome.V04:
		if p.Shard != nil {
			return "", fmt.Errorf("pyramid: sharding needs OME-Zarr 0.5 (Zarr v3); drop the shard shape for 0.4")
		}
		if len(o.Codecs) > 1 {
			return "", fmt.Errorf("pyramid: OME-Zarr 0.4 (Zarr v2) takes one compressor, got %d codecs", len(o.Codecs))
		}
		return ome.V04, nil
	}
	return "", fmt.Errorf("pyramid: OME-Zarr version %q: want 0.4 or 0.5", o.OMEVersion)
}

// createLevels writes the metadata of every level's array (Zarr v3, or v2
// with "/" keys and one compressor for OME-Zarr 0.4).
func createLevels(ctx context.Context, p *Plan, o *Options, version string) ([]*zarr.Array, error) {
	names := make([]string, len(o.Axes))
	for i, a := range o.Axes {
		names[i] = a.Name
	}
	levels := make([]*zarr.Array, len(p.Shapes))
	for l, sh := range p.Shapes {
		m := zarr.Meta{ZarrFormat: 3, Shape: sh, Chunks: p.Chunks, Shard: p.Shard, DType: p.DType, DimensionNames: names, Codecs: o.Codecs}
		if version == ome.V04 {
			m = zarr.Meta{ZarrFormat: 2, Shape: sh, Chunks: p.Chunks, DType: p.DType, DimensionSeparator: "/"}
			if len(o.Codecs) > 0 {
				m.Compressor = o.Codecs[0]
			}
		}
		var err error
		if levels[l], err = zarr.Create(ctx, o.Store, path.Join(o.Path, strconv.Itoa(l)), m, &zarr.Options{MaxChunkBytes: o.Memory}); err != nil {
			return nil, err
		}
	}
	return levels, nil
}

// finalImage is the OME metadata that marks the output complete: the
// multiscales, and an image-label block for label images or channel
// colours and display windows (omero, from the coarsest level, cheap to
// read whole) for images.
func finalImage(p *Plan, o *Options, version string, coarsest nd.Reader) (ome.Image, error) {
	ol, err := omeLevels(p, o.Axes, o.Method)
	if err != nil {
		return ome.Image{}, err
	}
	img := ome.Image{Version: version, Multiscales: []ome.Multiscale{ome.NewMultiscale(o.Name, omeAxes(o.Axes), ol, o.Method)}}
	if o.Label {
		img.ImageLabel = ome.NewImageLabel()
		return img, nil
	}
	img.Omero, err = ome.ImageOmero(coarsest, omeAxes(o.Axes), p.Shapes[0], o.Channels)
	return img, err
}

// registerLabel lists a finished label image built at IMAGE/labels/NAME in
// IMAGE/labels, when IMAGE is an OME-Zarr image, so viewers and
// zarr-python find it.
func registerLabel(ctx context.Context, o *Options, version string) error {
	dir, name := path.Split(strings.TrimSuffix(o.Path, "/"))
	dir = strings.TrimSuffix(dir, "/")
	if path.Base(dir) != "labels" || name == "" {
		return nil
	}
	image := path.Dir(dir)
	if image == "." {
		image = ""
	}
	if img, err := ome.Read(ctx, o.Store, image); err != nil || len(img.Multiscales) == 0 {
		return nil // a label image outside an image: nothing to register in
	}
	return ome.AddLabel(ctx, o.Store, image, name, version)
}

// omeAxes converts axes to their OME form.
func omeAxes(axes []nd.Axis) []ome.Axis {
	out := make([]ome.Axis, len(axes))
	for i, a := range axes {
		out[i] = ome.Axis{Name: a.Name, Type: string(a.Type), Unit: a.Unit}
	}
	return out
}

// omeLevels gives every level its physical scale and translation: level
// 0's from the axes, coarser ones by the factors (mean-like methods shift
// by half a coarse voxel).
func omeLevels(p *Plan, axes []nd.Axis, method string) ([]ome.Level, error) {
	scale := make([]float64, len(axes))
	for i, a := range axes {
		scale[i] = a.PhysicalScale()
	}
	ol, err := ome.Levels(p.Shapes[0], scale, p.Factors, method)
	if err != nil {
		return nil, err
	}
	for l := range ol {
		for i, a := range axes {
			ol[l].Translation[i] += a.Translation
		}
	}
	return ol, nil
}

// checkAxes refuses a plan that reduces a channel, time or custom axis: a
// pyramid averages (or votes) only over space, never across channels or
// time points.
func checkAxes(p *Plan, axes []nd.Axis) error {
	if len(axes) != len(p.Shapes[0]) {
		return fmt.Errorf("pyramid: %d axes for rank %d", len(axes), len(p.Shapes[0]))
	}
	for l, f := range p.Factors {
		for i, a := range axes {
			if f[i] > 1 && !a.IsSpace() {
				return fmt.Errorf("pyramid: level %d factor %v reduces axis %q of type %q: pyramids reduce space axes only (it would mix values across %s)",
					l+1, f, a.Name, a.Type, a.Name)
			}
		}
	}
	return nil
}

// runTask reads t.In from in, writes level 0 (phase 0) or reduces it
// through the phase's levels, writing each; it returns the bytes read and
// written.
func runTask(ctx context.Context, p *Plan, t Task, in nd.Reader, levels []*zarr.Array, reduce Reduce) (read, written int64, err error) {
	buf, b := taskBufs.get(p.DType, t.In.Shape())
	defer taskBufs.put(b)
	if err := nd.ReadRegionContext(ctx, in, t.In, buf); err != nil {
		return 0, 0, err
	}
	es := int64(p.DType.Size())
	read = int64(buf.Len()) * es
	if t.Last == 0 {
		if err := levels[0].WriteRegionContext(ctx, t.Out, buf); err != nil {
			return read, 0, err
		}
		return read, read, nil
	}
	cur, first := buf, t.First
	if first == 0 {
		// A fused phase 0: the block is level 0 too.
		if err := levels[0].WriteRegionContext(ctx, t.In, buf); err != nil {
			return read, 0, err
		}
		written, first = read, 1
	}
	for l := first; l <= t.Last; l++ {
		box := p.boxAt(t.Out, t.Last, l)
		res, rb := taskBufs.get(p.DType, box.Shape())
		defer taskBufs.put(rb)
		if err := reduce(res, cur, p.Factors[l-1]); err != nil {
			return read, written, err
		}
		if err := levels[l].WriteRegionContext(ctx, box, res); err != nil {
			return read, written, err
		}
		written += int64(res.Len()) * es
		cur = res
	}
	return read, written, nil
}
