package pyramid

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	ErrPlanChanged = errors.New("pyramid: output holds a run of another plan or input")
	// ErrComplete: a resumed run (or a shard joining a run) found the
	// output already complete; there is nothing to do.
	ErrComplete = errors.New("pyramid: output is already complete")
	// ErrForeign: Overwrite found files that no Zarr hierarchy owns.
	ErrForeign = errors.New("pyramid: output holds foreign files")
	// ErrTakenOver: the run record changed while the build ran.
	ErrTakenOver = errors.New("pyramid: output was taken over by another run")
)

// Progress counts the work of a build. The engine updates it atomically;
// a front end reads it whenever it likes.
type Progress struct {
	TasksTotal   atomic.Int64 // tasks this process is responsible for
	TasksDone    atomic.Int64 // of those, finished (including skipped)
	TasksSkipped atomic.Int64 // finished by an earlier run (resume) or another shard
	TasksStolen  atomic.Int64 // other shards' tasks this process took over (also in TasksTotal)
	BytesRead    atomic.Int64 // decoded bytes read
	BytesWritten atomic.Int64 // decoded bytes written
	Phase        atomic.Int64 // current phase
	FlushNanos   atomic.Int64 // time spent making the output durable
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
	// ShardIndex and ShardCount split the tasks across processes: this
	// process first runs the tasks with ID mod ShardCount == ShardIndex of
	// each phase, then takes over the phase's tasks that no process has
	// finished yet, so it never waits for another shard and Build returns
	// nil only with the output complete (see steal.go). ShardCount 0 means
	// 1.
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
	// ApplyUnit, when set, is used instead of Apply and ApplyBox: it
	// computes the task's output box out itself, reading the source as it
	// needs (a tiled function whose crops are independent of the storage
	// chunks, such as a tile.Runner), and returns the result and the
	// number of source bytes it read. Nothing is read for it.
	ApplyUnit func(ctx context.Context, out nd.Box) (res nd.Any, bytesRead int64, err error)
	Halo      []int
	OutDType  nd.DType
	// Group is the most levels one task computes from one read (default
	// 1): larger groups read each level once per group instead of once per
	// level, at the price of bigger blocks.
	Group int
	// Progress, when set, is updated as tasks finish.
	Progress *Progress
	// Poll is ignored: sharded processes no longer wait for one another
	// (see steal.go). It is kept so that existing callers compile.
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

// Budget returns the number of concurrent tasks a budget allows for a
// single-process build, or an error when not even one fits. See
// BudgetShards.
func Budget(p *Plan, memory int64, workers int) (int, error) {
	return BudgetShards(p, memory, workers, 1)
}

// BudgetShards returns the number of concurrent tasks a budget allows for
// one of shards processes, or an error wrapping ErrBudget when not even one
// fits. The budget first pays for what grows with the input (TrackingBytes:
// the plan and the finished-task set), then for whole tasks (TaskBytes).
// With no budget (memory <= 0) the finished-task set is still capped at
// 1 GiB and a task whose size cannot be counted is refused, so a hostile
// shape fails here, at once, instead of exhausting memory later.
func BudgetShards(p *Plan, memory int64, workers, shards int) (int, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	tb, fixed := p.TaskBytes(), p.TrackingBytes(shards)
	what := fmt.Sprintf("shape %v with chunks %v (write unit %v, %s)", p.Shapes[0], p.Chunks, p.Unit(), p.DType)
	if tb == math.MaxInt64 {
		return 0, fmt.Errorf("%w: %s: one task needs more bytes than an int64 counts; use smaller --chunks/--shard-shape", ErrBudget, what)
	}
	tooMany := memory <= 0 && fixed > unlimitedTracking
	if memory > 0 && satAdd(fixed, tb) > memory {
		if fixed < tb {
			return 0, fmt.Errorf("%w: one task needs about %d MiB (write unit %v of %s) besides %s of bookkeeping, budget is %d MiB; use smaller --chunks/--shard or a larger --memory",
				ErrBudget, (tb+(1<<20)-1)>>20, p.Unit(), p.DType, sizeOf(fixed), memory>>20)
		}
		tooMany = true
	}
	if tooMany {
		return 0, fmt.Errorf("%w: %s makes %d tasks (%d in the largest phase, split over %d shard processes); tracking which are finished takes 1 bit per task, %s, plus %s for one task, and the budget is %s; use larger --chunks/--shard-shape, more shards or a larger --memory",
			ErrBudget, what, p.NumTasks(), p.largestPhase(), max(shards, 1), sizeOf(fixed), sizeOf(tb), budgetName(memory))
	}
	if memory <= 0 {
		return workers, nil
	}
	n := (memory - fixed) / tb
	return int(min(n, int64(workers))), nil
}

// unlimitedTracking caps the finished-task set when there is no budget.
const unlimitedTracking = 1 << 30

// markerBucketSize is the most markers one bucket of a phase holds, and
// markerKeyBytes what listing one marker costs (key string, directory entry).
const (
	markerBucketSize = 4096
	minMarkerBuckets = 16
	markerKeyBytes   = 256
)

// TrackingBytes estimates the memory a build holds besides its tasks when it
// runs as one of shards processes: the plan, the finished-task set of its
// largest phase (1 bit per task of that process) and the listing of one
// bucket of markers. It is what grows with the input; Budget counts it.
func (p *Plan) TrackingBytes(shards int) int64 {
	var most int64
	for i := range p.Phases {
		most = max(most, p.Phases[i].ShardNumTasks(0, shards))
	}
	bitset := (most/64 + 1) * 8
	return p.PlanBytes() + bitset + markerBucketSize*markerKeyBytes
}

func (p *Plan) largestPhase() int64 {
	var most int64
	for i := range p.Phases {
		most = max(most, p.Phases[i].NumTasks())
	}
	return most
}

// sizeOf prints a byte count in binary units, and exactly.
func sizeOf(b int64) string {
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	if b < 1<<10 {
		return fmt.Sprintf("%d bytes", b)
	}
	v, u := float64(b)/(1<<10), 0
	for v >= 1<<10 && u < len(units)-1 {
		v /= 1 << 10
		u++
	}
	return fmt.Sprintf("%.1f %s (%d bytes)", v, units[u], b)
}

func budgetName(memory int64) string {
	if memory <= 0 {
		return "unlimited (bookkeeping capped at 1 GiB)"
	}
	return sizeOf(memory)
}

// Build runs the plan for src into the output described by o.
func Build(ctx context.Context, src nd.Reader, o Options) (*Plan, error) {
	if o.ShardCount <= 0 {
		o.ShardCount = 1
	}
	if o.ShardIndex < 0 || o.ShardIndex >= o.ShardCount {
		return nil, fmt.Errorf("pyramid: shard %d/%d out of range", o.ShardIndex, o.ShardCount)
	}
	applying := o.Apply != nil || o.ApplyBox != nil || o.ApplyUnit != nil
	reduce, err := o.reduction(applying)
	if err != nil {
		return nil, err
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
	workers, err := BudgetShards(p, o.Memory, o.Workers, o.ShardCount)
	if err != nil {
		return nil, err
	}
	if err := checkAxes(p, o.Axes); err != nil {
		return nil, err
	}
	version, err := o.omeVersion(p)
	if err != nil {
		return nil, err
	}
	rec, err := claim(ctx, p, &o)
	if err != nil {
		return nil, err
	}
	levels, err := createLevels(ctx, p, &o, version)
	if err != nil {
		return nil, err
	}
	pr := o.Progress
	if pr == nil {
		pr = new(Progress)
	}
	run := func(ctx context.Context, t Task, in nd.Reader, out *zarr.Array) error {
		if applying {
			return applyTask(ctx, srcDType, t, in, out, &o, pr)
		}
		return runTask(ctx, p, t, in, levels, reduce, pr)
	}
	if !applying {
		workers = -workers // per phase, from each phase's own task size
	}
	if err := runPhases(ctx, p, &o, src, levels, workers, pr, run); err != nil {
		return nil, err
	}
	// Every task is done: now, and only now, the output claims to be an
	// OME-Zarr image.
	img, err := finalImage(p, &o, version, levels[len(levels)-1])
	if err != nil {
		return nil, err
	}
	if err := finish(ctx, &o, rec, img, pr); err != nil {
		return nil, err
	}
	if o.Label {
		if err := registerLabel(ctx, &o, version); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// phaseWorkers is how many tasks of ph the budget runs at once: the memory
// left after task tracking divided by what one task of this phase holds
// (copying level 0 needs a small fraction of what reducing a block of the
// level below does), between the budget's count for the largest phase
// (least, which Budget checked) and the worker cap.
func phaseWorkers(p *Plan, ph *Phase, o *Options, least int) int {
	limit := o.Workers
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	if o.Memory <= 0 {
		return limit
	}
	n := (o.Memory - p.TrackingBytes(o.ShardCount)) / max(1, p.PhaseTaskBytes(ph))
	return int(max(int64(least), min(n, int64(limit))))
}

// runPhases runs every phase in order, each reading the level below it (the
// source for phase 0). No phase waits for another process: runPhase
// returns only once every task of the phase has a marker, taking over
// other shards' unfinished tasks if need be (see steal.go). A negative
// workers asks for each phase's own count from the budget, at least
// -workers.
func runPhases(ctx context.Context, p *Plan, o *Options, src nd.Reader, levels []*zarr.Array, workers int, pr *Progress,
	run func(context.Context, Task, nd.Reader, *zarr.Array) error) error {
	var mine int64
	for i := range p.Phases {
		mine += p.Phases[i].ShardNumTasks(o.ShardIndex, o.ShardCount)
	}
	pr.TasksTotal.Store(mine)
	for pi := range p.Phases {
		ph := &p.Phases[pi]
		pr.Phase.Store(int64(pi))
		var in nd.Reader = src
		if ph.First > 0 {
			in = levels[ph.First-1]
		}
		out := levels[ph.Level]
		n := workers
		if n < 0 {
			n = phaseWorkers(p, ph, o, -workers)
		}
		err := runPhase(ctx, ph, o, n, pr, func(ctx context.Context, t Task) error { return run(ctx, t, in, out) })
		if err != nil {
			return err
		}
	}
	return nil
}

// reduction returns the build's reduction: the named method, or Reduce,
// or stride for the one level of an Apply build.
func (o *Options) reduction(applying bool) (Reduce, error) {
	if applying {
		if len(o.Factors) > 0 {
			return nil, fmt.Errorf("pyramid: Apply builds one level; got %d factors", len(o.Factors))
		}
		if o.Method == "" {
			o.Method = "stride"
		}
		return Stride, nil
	}
	if o.Reduce != nil {
		return o.Reduce, nil
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
		if levels[l], err = zarr.Create(ctx, o.Store, path.Join(o.Path, strconv.Itoa(l)), m, nil); err != nil {
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

// runPhase runs this process's unfinished tasks of a phase with up to
// workers at once, enumerating them lazily, and leaves a marker for each.
// A sharded process then takes over the tasks of other shards that have no
// marker yet (steal), so that when it returns nil every task of the phase
// has a marker and the next phase can start without waiting for anyone.
func runPhase(ctx context.Context, ph *Phase, o *Options, workers int, pr *Progress, run func(context.Context, Task) error) error {
	done, err := loadDone(ctx, o, ph)
	if err != nil {
		return err
	}
	buckets := markerBuckets(ph.NumTasks())
	sharded := o.ShardCount > 1
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	k := int64(-1) // index of t among this process's tasks
	for t := range ph.ShardTasks(o.ShardIndex, o.ShardCount) {
		k++
		if done.has(k) {
			pr.TasksSkipped.Add(1)
			pr.TasksDone.Add(1)
			continue
		}
		if gctx.Err() != nil {
			break
		}
		// Another shard may have taken this task over since loadDone.
		g.Go(func() error { return doTask(gctx, o, buckets, t, sharded, false, pr, run) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil || !sharded {
		return err
	}
	return steal(ctx, ph, o, workers, pr, run)
}

// Markers: task id of a phase of n tasks has the key
// .ryomen/tasks/<phase>/b<id mod B>/<id> with B = markerBuckets(n), so no
// bucket holds more than markerBucketSize markers and they are listed one
// bucket at a time. (The "b" keeps bucket directories apart from the flat
// .ryomen/tasks/<phase>/<id> markers of earlier versions, which are ignored:
// such a run is resumed from the start of each phase.)
func markerBuckets(n int64) int64 {
	return max((n-1)/markerBucketSize+1, min(n, minMarkerBuckets))
}

func (o *Options) markerKey(phase int, buckets, id int64) string {
	return o.key("tasks", strconv.Itoa(phase), "b"+strconv.FormatInt(id%buckets, 10), strconv.FormatInt(id, 10))
}

// eachMarker calls f with the ID of every marker in bucket b of a phase of n
// tasks; keys that are not markers of that bucket are ignored.
func eachMarker(ctx context.Context, o *Options, phase int, b, n int64, f func(id int64)) error {
	buckets := markerBuckets(n)
	pre := o.key("tasks", strconv.Itoa(phase), "b"+strconv.FormatInt(b, 10)) + "/"
	keys, err := o.Store.List(ctx, pre)
	if err != nil {
		return fmt.Errorf("pyramid: listing task markers %q: %w", pre, err)
	}
	for _, k := range keys {
		id, err := strconv.ParseInt(strings.TrimPrefix(k, pre), 10, 64)
		if err == nil && id >= 0 && id < n && id%buckets == b {
			f(id)
		}
	}
	return nil
}

// bitset is a set of small non-negative integers.
type bitset []uint64

func (s bitset) has(k int64) bool { return s[k>>6]&(1<<(k&63)) != 0 }
func (s bitset) set(k int64)      { s[k>>6] |= 1 << (k & 63) }

// loadDone returns the finished tasks of this process in a phase, as a set
// of indices among its tasks (ID = ShardIndex + k*ShardCount). It holds one
// bucket of marker keys at a time; the set (1 bit per task) is counted by
// TrackingBytes.
func loadDone(ctx context.Context, o *Options, ph *Phase) (bitset, error) {
	mine := ph.ShardNumTasks(o.ShardIndex, o.ShardCount)
	done := make(bitset, mine/64+1)
	n := ph.NumTasks()
	buckets := markerBuckets(n)
	sc, si := int64(o.ShardCount), int64(o.ShardIndex)
	step := gcd(buckets, sc)
	for b := int64(0); b < buckets; b++ {
		// Bucket b holds IDs = b (mod buckets); ours are = si (mod sc).
		// Both hold for some ID only when b = si modulo their gcd.
		if (b-si)%step != 0 {
			continue
		}
		err := eachMarker(ctx, o, ph.Index, b, n, func(id int64) {
			if id%sc == si {
				done.set((id - si) / sc)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return done, nil
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func applyTask(ctx context.Context, dt nd.DType, t Task, in nd.Reader, out *zarr.Array, o *Options, pr *Progress) error {
	if o.ApplyUnit != nil {
		res, n, err := o.ApplyUnit(ctx, t.Out)
		if err != nil {
			return err
		}
		pr.BytesRead.Add(n)
		if err := out.WriteRegionContext(ctx, t.Out, res); err != nil {
			return err
		}
		pr.BytesWritten.Add(int64(res.Len() * res.DType().Size()))
		return nil
	}
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
