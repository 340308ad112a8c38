package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/ryomen-dev/ryomen/progress"
	"github.com/ryomen-dev/ryomen/store"
)

// Errors callers may test for (with errors.Is).
var (
	ErrExists      = errors.New("output exists")
	ErrBudget      = errors.New("memory budget too small")
	ErrPlanChanged = errors.New("output holds a run of another plan or input")
	// ErrComplete: a resumed run (or a shard joining a run) found the
	// output already complete; there is nothing to do.
	ErrComplete = errors.New("output is already complete")
	// ErrForeign: Overwrite found files that the output's format does not
	// own (returned by Job.Clear).
	ErrForeign = errors.New("output holds foreign files")
	// ErrTakenOver: the run record changed while the job ran.
	ErrTakenOver = errors.New("output was taken over by another run")
)

// Phase is a set of tasks that may run in any order and at once; the
// phases of a job run one after another.
type Phase struct {
	// Name names the phase in errors ("level 2", "tiles").
	Name string
	// Tasks is the number of tasks; their IDs 0..Tasks-1 are stable from
	// run to run (a resumed run skips the IDs that have markers).
	Tasks int64
	// TaskBytes is the most memory one task holds at its peak; the budget
	// divides by it. It must be positive.
	TaskBytes int64
	// Run runs task id and returns the bytes it read and wrote (decoded)
	// for progress. It must be deterministic and idempotent.
	Run func(ctx context.Context, id int64) (read, written int64, err error)
	// Describe, if set, names task id in errors (its box, say).
	Describe func(id int64) string
}

// Job is one run of phases into one output. Set the fields, then call
// Check (optional), Claim, Run (any number of times) and Finish.
type Job struct {
	// Store and Path locate the output ("" is the store root).
	Store store.Store
	Path  string
	// Name names the output in errors (default: the store's location and
	// Path).
	Name string
	// Record is the run record: everything that decides the bytes of the
	// output (input identity, plan, parameters). A resumed run and the
	// other shards of a run must have the same bytes.
	Record []byte
	// Resume continues an unfinished run; Overwrite calls Clear on an
	// output that is not empty first.
	Resume, Overwrite bool
	// Clear deletes an existing output for Overwrite, deleting only what
	// the output's format owns and returning an error wrapping ErrForeign
	// when something else is there. Overwrite without Clear is refused.
	Clear func(ctx context.Context) error
	// Complete reports whether the output already claims to be complete
	// (the metadata that Finish's commit writes is there).
	Complete func(ctx context.Context) bool
	// ShardIndex and ShardCount split the tasks across processes
	// (ShardCount 0 means 1).
	ShardIndex, ShardCount int
	// Memory is the budget in bytes for task data (0: no limit); Workers
	// caps concurrency (0: GOMAXPROCS).
	Memory  int64
	Workers int
	// Progress, if set, counts the job's work.
	Progress *progress.Counter

	phase   int // index of the next phase Run starts
	claimed bool
}

// Limits on bookkeeping (see TrackingBytes).
const (
	unlimitedTracking = 1 << 30 // the finished-task set with no budget
	markerBucketSize  = 4096    // most markers in one bucket
	minMarkerBuckets  = 16
	markerKeyBytes    = 256 // listing one marker: key string, directory entry
)

func (j *Job) shards() int { return max(j.ShardCount, 1) }

func (j *Job) workers() int {
	if j.Workers > 0 {
		return j.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// counter returns Progress, creating it if unset. Call it before starting
// goroutines that use it.
func (j *Job) counter() *progress.Counter {
	if j.Progress == nil {
		j.Progress = new(progress.Counter)
	}
	return j.Progress
}

// key is the store key of a bookkeeping file.
func (j *Job) key(parts ...string) string {
	k := path.Join(append([]string{j.Path, ".ryomen"}, parts...)...)
	return strings.TrimPrefix(k, "/")
}

// prefix is the key prefix of everything in the output.
func (j *Job) prefix() string {
	if j.Path == "" {
		return ""
	}
	return strings.TrimSuffix(j.Path, "/") + "/"
}

// name names the output in errors.
func (j *Job) name() string {
	if j.Name != "" {
		return j.Name
	}
	loc, ok := store.Location(j.Store)
	if !ok {
		loc = fmt.Sprintf("%T", j.Store)
	}
	return store.Join(loc, j.Path)
}

// TrackingBytes is the memory the job holds besides its tasks while it
// runs phases: the finished-task set of the largest phase (1 bit per
// task of this process), the listing of one bucket of markers and a
// little per phase. It is what grows with the input; the budget pays for
// it first.
func (j *Job) TrackingBytes(phases ...Phase) int64 {
	var most int64
	for _, ph := range phases {
		most = max(most, shardTasks(ph.Tasks, j.ShardIndex, j.shards()))
	}
	return 4096 + int64(len(phases))*128 + (most/64+1)*8 + markerBucketSize*markerKeyBytes
}

// PhaseWorkers is how many tasks of ph run at once under the budget: the
// memory left after bookkeeping divided by ph.TaskBytes, between 1 and the
// worker cap. It returns an error wrapping ErrBudget when not even one
// task fits (see Check).
func (j *Job) PhaseWorkers(ph Phase, all ...Phase) (int, error) {
	if len(all) == 0 {
		all = []Phase{ph}
	}
	if err := j.check(ph, all); err != nil {
		return 0, err
	}
	if j.Memory <= 0 {
		return j.workers(), nil
	}
	n := (j.Memory - j.TrackingBytes(all...)) / ph.TaskBytes
	return int(min(n, int64(j.workers()))), nil
}

// Check returns an error wrapping ErrBudget when a phase cannot run under
// the budget: one of its tasks needs more than the memory left after
// bookkeeping, or (with or without a budget) its finished-task set alone
// is too large. Run checks each phase too; Check lets a caller refuse a
// job before claiming its output.
func (j *Job) Check(phases ...Phase) error {
	for _, ph := range phases {
		if err := j.check(ph, phases); err != nil {
			return err
		}
	}
	return nil
}

func (j *Job) check(ph Phase, all []Phase) error {
	if ph.Tasks < 0 || ph.TaskBytes <= 0 {
		return fmt.Errorf("engine: phase %q: %d tasks of %d bytes: both must be positive (programmer error)", ph.Name, ph.Tasks, ph.TaskBytes)
	}
	tb, fixed := ph.TaskBytes, j.TrackingBytes(all...)
	if tb == math.MaxInt64 {
		return fmt.Errorf("%w: phase %s: one task needs more bytes than an int64 counts; use smaller tasks (chunks or shards)", ErrBudget, ph.Name)
	}
	tooMany := j.Memory <= 0 && fixed > unlimitedTracking
	if j.Memory > 0 && satAdd(fixed, tb) > j.Memory {
		if fixed < tb {
			return fmt.Errorf("%w: phase %s: one task needs about %d MiB besides %s of bookkeeping, and the budget is %d MiB; use smaller tasks (chunks or shards) or a larger budget",
				ErrBudget, ph.Name, (tb+(1<<20)-1)>>20, SizeOf(fixed), j.Memory>>20)
		}
		tooMany = true
	}
	if tooMany {
		var total, most int64
		for _, p := range all {
			total, most = satAdd(total, p.Tasks), max(most, p.Tasks)
		}
		return fmt.Errorf("%w: %d tasks (%d in the largest phase, split over %d shard processes); tracking which are finished takes 1 bit per task, %s, plus %s for one task, and the budget is %s; use larger tasks (chunks or shards), more shards or a larger budget",
			ErrBudget, total, most, j.shards(), SizeOf(fixed), SizeOf(tb), budgetName(j.Memory))
	}
	return nil
}

// SizeOf prints a byte count in binary units, and exactly.
func SizeOf(b int64) string {
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
	return SizeOf(memory)
}

// satAdd is a+b for non-negative a, b, or math.MaxInt64 when it overflows.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// shardTasks is the number of IDs below n congruent to i modulo shards.
func shardTasks(n int64, i, shards int) int64 {
	if i < 0 || int64(i) >= n {
		return 0
	}
	return (n-int64(i)-1)/int64(shards) + 1
}

// Run runs the phases in order, after those of earlier calls (phase
// numbers, and so marker keys, continue from them: a job must make the
// same calls with the same phases on every run). Each phase runs this
// process's unfinished tasks with as many workers as the budget allows,
// enumerating IDs lazily and leaving a marker for each; a sharded process
// then takes over the phase's tasks that still have no marker, so that
// when Run returns nil every task of every phase has a marker. Run counts
// the tasks of this process in Progress.
func (j *Job) Run(ctx context.Context, phases ...Phase) error {
	if !j.claimed {
		return fmt.Errorf("engine: %s: Run before Claim (programmer error)", j.name())
	}
	if j.ShardIndex < 0 || j.ShardIndex >= j.shards() {
		return fmt.Errorf("engine: shard %d/%d out of range", j.ShardIndex, j.shards())
	}
	pr := j.counter()
	var mine int64
	for _, ph := range phases {
		mine += shardTasks(ph.Tasks, j.ShardIndex, j.shards())
	}
	pr.AddTotal(mine)
	for _, ph := range phases {
		n, err := j.PhaseWorkers(ph, phases...)
		if err != nil {
			return err
		}
		pr.Phase.Store(int64(j.phase))
		if err := j.runPhase(ctx, j.phase, ph, n); err != nil {
			return err
		}
		j.phase++
	}
	return nil
}

func (j *Job) runPhase(ctx context.Context, index int, ph Phase, workers int) error {
	done, err := j.loadDone(ctx, index, ph.Tasks)
	if err != nil {
		return err
	}
	pr := j.counter()
	buckets := markerBuckets(ph.Tasks)
	sc, si := int64(j.shards()), int64(j.ShardIndex)
	sharded := sc > 1
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	k := int64(-1) // index of id among this process's tasks
	for id := si; id < ph.Tasks && gctx.Err() == nil; id += sc {
		k++
		if done.has(k) {
			pr.Skip()
			continue
		}
		// Another shard may have taken this task over since loadDone.
		g.Go(func() error { return j.doTask(gctx, index, ph, buckets, id, sharded, false) })
		if id > ph.Tasks-sc {
			break // the next ID would be past the end (and might overflow)
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil || !sharded {
		return err
	}
	return j.steal(ctx, index, ph, workers)
}

// Markers: task id of phase index, of a phase of n tasks, has the key
// .ryomen/tasks/<index>/b<id mod B>/<id> with B = markerBuckets(n).
func markerBuckets(n int64) int64 {
	return max((n-1)/markerBucketSize+1, min(n, minMarkerBuckets))
}

func (j *Job) markerKey(index int, buckets, id int64) string {
	return j.key("tasks", strconv.Itoa(index), "b"+strconv.FormatInt(id%buckets, 10), strconv.FormatInt(id, 10))
}

// MarkerPrefix is the key prefix of the markers of phase index: what a
// test or a tool counts to see how far a run got.
func (j *Job) MarkerPrefix(index int) string {
	return j.key("tasks", strconv.Itoa(index)) + "/"
}

// eachMarker calls f with the ID of every marker in bucket b of phase
// index of n tasks; keys that are not markers of that bucket are ignored.
func (j *Job) eachMarker(ctx context.Context, index int, b, n int64, f func(id int64)) error {
	buckets := markerBuckets(n)
	pre := j.key("tasks", strconv.Itoa(index), "b"+strconv.FormatInt(b, 10)) + "/"
	keys, err := j.Store.List(ctx, pre)
	if err != nil {
		return fmt.Errorf("engine: listing task markers %q: %w", pre, err)
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
// bucket of marker keys at a time; the set is counted by TrackingBytes.
func (j *Job) loadDone(ctx context.Context, index int, n int64) (bitset, error) {
	mine := shardTasks(n, j.ShardIndex, j.shards())
	done := make(bitset, mine/64+1)
	buckets := markerBuckets(n)
	sc, si := int64(j.shards()), int64(j.ShardIndex)
	step := gcd(buckets, sc)
	for b := int64(0); b < buckets; b++ {
		// Bucket b holds IDs = b (mod buckets); ours are = si (mod sc).
		// Both hold for some ID only when b = si modulo their gcd.
		if (b-si)%step != 0 {
			continue
		}
		err := j.eachMarker(ctx, index, b, n, func(id int64) {
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
