package pyramid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

// Errors callers may test for.
var (
	ErrExists      = errors.New("pyramid: output exists")
	ErrBudget      = errors.New("pyramid: memory budget too small")
	ErrPlanChanged = errors.New("pyramid: output holds an unfinished run with a different plan")
)

// Progress counts the work of a build. The engine updates it atomically;
// a front end reads it whenever it likes.
type Progress struct {
	TasksTotal   atomic.Int64 // tasks this process is responsible for
	TasksDone    atomic.Int64 // of those, finished (including skipped)
	TasksSkipped atomic.Int64 // finished by an earlier run (resume)
	BytesRead    atomic.Int64 // decoded bytes read
	BytesWritten atomic.Int64 // decoded bytes written
	Phase        atomic.Int64 // current phase
}

// Options describe a build.
type Options struct {
	// Store and Path locate the output image group ("" is the store root).
	Store store.Store
	Path  string
	// Method names the reduction ("mean", "mode", "stride"); Reduce, when
	// set, replaces the built-in one of that name.
	Method string
	Reduce Reduce
	// Factors[i] takes level i to level i+1.
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
	// Axes and Scale describe level 0 for the OME metadata (Scale nil: 1).
	Axes  []ome.Axis
	Scale []float64
	Name  string
	// Label writes an OME image-label (for label images).
	Label *ome.ImageLabel
	// Memory is the budget in bytes for task data (0: no limit); Workers
	// caps concurrency (0: GOMAXPROCS).
	Memory  int64
	Workers int
	// ShardIndex and ShardCount split the tasks across processes: this
	// process runs tasks with ID mod ShardCount == ShardIndex. ShardCount 0
	// means 1.
	ShardIndex, ShardCount int
	// Resume continues an unfinished run; Overwrite deletes what is at Path
	// first.
	Resume, Overwrite bool
	// Apply, when set, makes the build a tiled operation instead of a
	// pyramid: each task reads its output box grown by Halo (clipped to the
	// source), and Apply returns the result for inner, the output box inside
	// that block. Factors must be empty. OutDType is the result dtype
	// (default: the source dtype).
	Apply func(block nd.Any, inner nd.Box) (nd.Any, error)
	// ApplyBox, when set, is used instead of Apply and also receives the
	// context and the image coordinates of the block and of the task's
	// output box.
	ApplyBox func(ctx context.Context, block nd.Any, blockBox, out nd.Box) (nd.Any, error)
	Halo     []int
	OutDType nd.DType
	// Group is the most levels one task computes from one read (default
	// 1): larger groups read each level once per group instead of once per
	// level, at the price of bigger blocks.
	Group int
	// Progress, when set, is updated as tasks finish.
	Progress *Progress
	// Poll is how often a sharded process checks whether the other shards
	// finished a phase (default 200ms).
	Poll time.Duration
}

func (o *Options) key(parts ...string) string {
	k := path.Join(append([]string{o.Path, ".ryomen"}, parts...)...)
	return strings.TrimPrefix(k, "/")
}

func (o *Options) prefix() string {
	if o.Path == "" {
		return ""
	}
	return strings.TrimSuffix(o.Path, "/") + "/"
}

// planRecord is stored at .ryomen/plan.json; a resumed or sharded run must
// match it.
type planRecord struct {
	DType   string   `json:"dtype"`
	Shapes  [][]int  `json:"shapes"`
	Factors [][]int  `json:"factors"`
	Chunks  []int    `json:"chunks"`
	Shard   []int    `json:"shard,omitempty"`
	Group   int      `json:"group"`
	Method  string   `json:"method"`
	Codecs  []string `json:"codecs,omitempty"`
	OME     string   `json:"ome,omitempty"`
}

// Budget returns the number of concurrent tasks a budget allows, or an error
// when not even one fits.
func Budget(p *Plan, memory int64, workers int) (int, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if memory <= 0 {
		return workers, nil
	}
	tb := p.TaskBytes()
	n := memory / tb
	if n < 1 {
		return 0, fmt.Errorf("%w: one task needs about %d MiB (write unit %v of %s), budget is %d MiB; use smaller --chunks/--shard or a larger --memory",
			ErrBudget, (tb+(1<<20)-1)>>20, p.Unit(), p.DType, memory>>20)
	}
	return int(min(n, int64(workers))), nil
}

// Build runs the plan for src into the output described by o.
func Build(ctx context.Context, src nd.Reader, o Options) (*Plan, error) {
	if o.ShardCount <= 0 {
		o.ShardCount = 1
	}
	if o.ShardIndex < 0 || o.ShardIndex >= o.ShardCount {
		return nil, fmt.Errorf("pyramid: shard %d/%d out of range", o.ShardIndex, o.ShardCount)
	}
	if o.Poll == 0 {
		o.Poll = 200 * time.Millisecond
	}
	reduce := o.Reduce
	applying := o.Apply != nil || o.ApplyBox != nil
	if applying {
		if len(o.Factors) > 0 {
			return nil, fmt.Errorf("pyramid: Apply builds one level; got %d factors", len(o.Factors))
		}
		reduce = Stride
		if o.Method == "" {
			o.Method = "stride"
		}
	}
	if reduce == nil {
		reduce = Methods[o.Method]
		if reduce == nil {
			return nil, fmt.Errorf("pyramid: unknown method %q", o.Method)
		}
	}
	p, err := NewPlanGroup(src.DType(), src.Shape(), o.Factors, o.Chunks, o.Shard, o.Group)
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
	srcDType := p.DType
	if applying && o.OutDType != nd.Invalid {
		p.DType = o.OutDType
	}
	workers, err := Budget(p, o.Memory, o.Workers)
	if err != nil {
		return nil, err
	}
	if err := prepare(ctx, p, &o); err != nil {
		return nil, err
	}
	if len(o.Axes) != len(p.Shapes[0]) {
		return nil, fmt.Errorf("pyramid: %d axes for rank %d", len(o.Axes), len(p.Shapes[0]))
	}
	names := make([]string, len(o.Axes))
	for i, a := range o.Axes {
		names[i] = a.Name
	}
	version := o.OMEVersion
	switch version {
	case "":
		version = ome.V05
	case ome.V05:
	case ome.V04:
		if p.Shard != nil {
			return nil, fmt.Errorf("pyramid: sharding needs OME-Zarr 0.5 (Zarr v3); drop the shard shape for 0.4")
		}
		if len(o.Codecs) > 1 {
			return nil, fmt.Errorf("pyramid: OME-Zarr 0.4 (Zarr v2) takes one compressor, got %d codecs", len(o.Codecs))
		}
	default:
		return nil, fmt.Errorf("pyramid: OME-Zarr version %q: want 0.4 or 0.5", version)
	}
	levels := make([]*zarr.Array, len(p.Shapes))
	for l, sh := range p.Shapes {
		m := zarr.Meta{ZarrFormat: 3, Shape: sh, Chunks: p.Chunks, Shard: p.Shard, DType: p.DType, DimensionNames: names, Codecs: o.Codecs}
		if version == ome.V04 {
			// NGFF 0.4: Zarr v2 with "/" separators; one compressor.
			m = zarr.Meta{ZarrFormat: 2, Shape: sh, Chunks: p.Chunks, DType: p.DType, DimensionSeparator: "/"}
			if len(o.Codecs) > 0 {
				m.Compressor = o.Codecs[0]
			}
		}
		levels[l], err = zarr.Create(ctx, o.Store, path.Join(o.Path, strconv.Itoa(l)), m, nil)
		if err != nil {
			return nil, err
		}
	}
	pr := o.Progress
	if pr == nil {
		pr = new(Progress)
	}
	var mine int64
	for _, ph := range p.Phases {
		for _, t := range ph.Tasks {
			if t.ID%o.ShardCount == o.ShardIndex {
				mine++
			}
		}
	}
	pr.TasksTotal.Store(mine)

	for pi, ph := range p.Phases {
		pr.Phase.Store(int64(pi))
		if pi > 0 && o.ShardCount > 1 {
			if err := waitPhase(ctx, p, &o, pi-1); err != nil {
				return nil, err
			}
		}
		done, err := finished(ctx, &o, pi)
		if err != nil {
			return nil, err
		}
		var in nd.Reader = src
		if ph.First > 0 {
			in = levels[ph.First-1]
		}
		out := levels[ph.Level]
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(workers)
		for _, t := range ph.Tasks {
			if t.ID%o.ShardCount != o.ShardIndex {
				continue
			}
			if done[t.ID] {
				pr.TasksSkipped.Add(1)
				pr.TasksDone.Add(1)
				continue
			}
			if gctx.Err() != nil {
				break
			}
			g.Go(func() error {
				var err error
				if applying {
					err = applyTask(gctx, srcDType, t, in, out, &o, pr)
				} else {
					err = runTask(gctx, p, t, in, levels, reduce, pr)
				}
				if err != nil {
					return fmt.Errorf("pyramid: level %d, task %d %v: %w", t.Phase, t.ID, t.Out, err)
				}
				// Markers are not empty: some S3 servers refuse empty objects.
				if err := o.Store.Put(gctx, o.key("tasks", strconv.Itoa(t.Phase), strconv.Itoa(t.ID)), []byte("done\n")); err != nil {
					return err
				}
				pr.TasksDone.Add(1)
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if o.ShardCount > 1 {
		if err := waitPhase(ctx, p, &o, len(p.Phases)-1); err != nil {
			return nil, err
		}
	}
	// Every task is done: now, and only now, the output claims to be an
	// OME-Zarr image.
	ol, err := ome.Levels(p.Shapes[0], o.Scale, p.Factors, o.Method)
	if err != nil {
		return nil, err
	}
	img := ome.Image{Version: version, Multiscales: []ome.Multiscale{ome.NewMultiscale(o.Name, o.Axes, ol, o.Method)}, ImageLabel: o.Label}
	if err := ome.Write(ctx, o.Store, o.Path, img); err != nil {
		return nil, err
	}
	return p, nil
}

func runTask(ctx context.Context, p *Plan, t Task, in nd.Reader, levels []*zarr.Array, reduce Reduce, pr *Progress) error {
	buf := nd.NewAny(p.DType, t.In.Shape(), nd.C)
	var err error
	if zr, ok := in.(*zarr.Array); ok {
		err = zr.ReadRegionContext(ctx, t.In, buf)
	} else {
		err = in.ReadRegion(t.In, buf)
	}
	if err != nil {
		return err
	}
	pr.BytesRead.Add(int64(buf.Len() * p.DType.Size()))
	if t.Last == 0 {
		if err := levels[0].WriteRegionContext(ctx, t.Out, buf); err != nil {
			return err
		}
		pr.BytesWritten.Add(int64(buf.Len() * p.DType.Size()))
		return nil
	}
	cur := buf
	for l := t.First; l <= t.Last; l++ {
		box := p.boxAt(t.Out, t.Last, l)
		res := nd.NewAny(p.DType, box.Shape(), nd.C)
		if err := reduce(res, cur, p.Factors[l-1]); err != nil {
			return err
		}
		if err := levels[l].WriteRegionContext(ctx, box, res); err != nil {
			return err
		}
		pr.BytesWritten.Add(int64(res.Len() * p.DType.Size()))
		cur = res
	}
	return nil
}

// finished returns the IDs of the tasks of a phase that have markers.
func finished(ctx context.Context, o *Options, phase int) (map[int]bool, error) {
	pre := o.key("tasks", strconv.Itoa(phase)) + "/"
	keys, err := o.Store.List(ctx, pre)
	if err != nil {
		return nil, err
	}
	done := make(map[int]bool, len(keys))
	for _, k := range keys {
		if id, err := strconv.Atoi(strings.TrimPrefix(k, pre)); err == nil {
			done[id] = true
		}
	}
	return done, nil
}

// waitPhase blocks until every task of a phase has its marker (written by
// any process).
func waitPhase(ctx context.Context, p *Plan, o *Options, phase int) error {
	want := len(p.Phases[phase].Tasks)
	for {
		done, err := finished(ctx, o, phase)
		if err != nil {
			return err
		}
		if len(done) >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(o.Poll):
		}
	}
}

// prepare checks what is already at the output and records the plan.
func prepare(ctx context.Context, p *Plan, o *Options) error {
	rec, _ := json.Marshal(planRecord{DType: p.DType.String(), Shapes: p.Shapes, Factors: p.Factors, Chunks: p.Chunks, Shard: p.Shard, Group: p.Group, Method: o.Method, Codecs: codecNames(o.Codecs), OME: o.OMEVersion})
	planKey := o.key("plan.json")
	all, err := o.Store.List(ctx, o.prefix())
	if err != nil {
		return err
	}
	// Only keys this build writes matter: level arrays, markers, and the
	// group metadata once it claims to be an image. Other members of the
	// group (labels, for instance) are left alone.
	var keys []string
	for _, k := range all {
		first, _, _ := strings.Cut(strings.TrimPrefix(k, o.prefix()), "/")
		if _, err := strconv.Atoi(first); err == nil || first == ".ryomen" {
			keys = append(keys, k)
		}
	}
	if img, err := ome.Read(ctx, o.Store, o.Path); err == nil && len(img.Multiscales) > 0 {
		if !o.Overwrite {
			return fmt.Errorf("%w: %q is a complete OME-Zarr image; use --overwrite to replace it", ErrExists, o.Path)
		}
		for _, name := range []string{"zarr.json", ".zattrs", ".zgroup"} {
			keys = append(keys, strings.TrimPrefix(path.Join(o.Path, name), "/"))
		}
	}
	if len(keys) > 0 {
		switch {
		case o.Overwrite:
			if o.ShardCount > 1 {
				return fmt.Errorf("pyramid: --overwrite cannot be combined with --shard (each shard would delete the others' work); empty the output first")
			}
			for _, k := range keys {
				if err := o.Store.Delete(ctx, k); err != nil {
					return err
				}
			}
		default:
			old, err := o.Store.Get(ctx, planKey)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%w: %q is not empty and was not written by an unfinished ryomen run; use --overwrite to replace it", ErrExists, o.Path)
			}
			if err != nil {
				return err
			}
			if !bytes.Equal(old, rec) {
				return fmt.Errorf("%w (%s); use --overwrite to start again", ErrPlanChanged, old)
			}
			if !o.Resume && o.ShardCount == 1 {
				return fmt.Errorf("%w: %q holds a run with the same plan; use --resume to continue it or --overwrite to start again", ErrExists, o.Path)
			}
			// Resuming: if the run had completed, the metadata is
			// rewritten identically at the end.
		}
	}
	return o.Store.Put(ctx, planKey, rec)
}

func applyTask(ctx context.Context, dt nd.DType, t Task, in nd.Reader, out *zarr.Array, o *Options, pr *Progress) error {
	b := t.Out
	if o.Halo != nil {
		b = b.Expand(o.Halo).Intersect(nd.BoxOf(in.Shape()))
	}
	buf := nd.NewAny(dt, b.Shape(), nd.C)
	if err := in.ReadRegion(b, buf); err != nil {
		return err
	}
	pr.BytesRead.Add(int64(buf.Len() * dt.Size()))
	neg := make([]int, len(b.Min))
	for i := range neg {
		neg[i] = -b.Min[i]
	}
	var res nd.Any
	var err error
	if o.ApplyBox != nil {
		res, err = o.ApplyBox(ctx, buf, b, t.Out)
	} else {
		res, err = o.Apply(buf, t.Out.Translate(neg))
	}
	if err != nil {
		return err
	}
	if err := out.WriteRegionContext(ctx, t.Out, res); err != nil {
		return err
	}
	pr.BytesWritten.Add(int64(res.Len() * res.DType().Size()))
	return nil
}

// codecNames describes a codec chain with its parameters, so a resumed run
// with other compression is refused.
func codecNames(cs []codec.Codec) []string {
	var n []string
	for _, c := range cs {
		n = append(n, fmt.Sprintf("%s%+v", c.Name(), c))
	}
	return n
}
