// Package pyramid builds multiscale pyramids of arrays larger than memory.
//
// A build is a deterministic [Plan]: phase 0 copies the source into level 0
// of the output, and each later phase computes one level, or a group of
// levels from one block read, from the level below it as written. Tasks are
// aligned to write units (a shard when the output is sharded, a chunk
// otherwise): every unit of every level is written by exactly one task, so no
// two tasks touch the same stored object and no locks are needed.
//
// Tasks have stable IDs (the C-order index of the output unit in the
// phase's grid), so several processes can split the work (task i goes to
// shard i mod N). A plan stores only the geometry of each phase and computes
// tasks from their IDs ([Phase.Task], [Phase.ShardTasks]), so it costs
// O(levels) memory for any task count. A finished task leaves a small marker
// key in the output store, .ryomen/tasks/<phase>/b<id mod B>/<id>, with B
// chosen so no bucket holds more than 4096 markers; a resumed run reads them
// one bucket at a time into a set of 1 bit per task. That set is the only
// structure that grows with the input, and [BudgetShards] counts it inside
// the memory budget and refuses up front a shape whose tasks cannot be
// tracked. The OME-Zarr multiscales metadata that marks the output complete
// is written last.
package pyramid

import (
	"fmt"
	"iter"
	"math"
	"math/bits"
	"slices"

	"github.com/ryomen-dev/ryomen/downsample"
	"github.com/ryomen-dev/ryomen/nd"
)

// Task is one unit of work: read In from the level below (or the source, in
// phase 0), reduce it and write Out into the phase's level.
// In phases that compute several levels from one read (see NewPlanGroup),
// Out is the box at the coarsest level Last; the task also writes the boxes
// of levels First..Last-1 that Out covers.
type Task struct {
	Phase       int
	ID          int64 // C-order index of Out in the phase's grid of units
	First, Last int   // levels written
	In, Out     nd.Box
}

// Phase computes levels First..Level from level First-1 (phase 0: level 0
// from the source). It holds only its geometry: the grid of write units at
// level Level. Tasks are computed on demand from their IDs, so a phase costs
// O(rank) memory whatever its task count.
type Phase struct {
	Index, First, Level int
	Grid                []int // units per axis at level Level
	n                   int64
	p                   *Plan
}

// Plan is the whole build: per-level shapes and factors, and the phases.
type Plan struct {
	DType   nd.DType
	Shapes  [][]int // level shapes, finest first
	Factors [][]int // Factors[i] takes level i to level i+1
	Chunks  []int   // output chunk shape (inner chunk when sharded)
	Shard   []int   // output shard shape, or nil
	Group   int     // most levels one task computes
	// Fused plans compute the first group of levels in phase 0, from the
	// source blocks that phase copies into level 0, so the source is read
	// once and level 0 is never read back (see NewPlanFused).
	Fused  bool
	Phases []Phase
}

// Unit is the shape of one write unit: the shard, or the chunk.
func (p *Plan) Unit() []int {
	if p.Shard != nil {
		return p.Shard
	}
	return p.Chunks
}

// NumTasks counts the tasks of all phases. NewPlanGroup guarantees that the
// sum fits in an int64.
func (p *Plan) NumTasks() int64 {
	var n int64
	for i := range p.Phases {
		n += p.Phases[i].n
	}
	return n
}

// NumTasks is the number of tasks of the phase: the product of Grid.
func (ph *Phase) NumTasks() int64 { return ph.n }

// Task returns the task with the given ID, computed from the ID alone: the
// ID is the C-order index of the task's output unit in Grid. It panics if id
// is outside [0, NumTasks()), like an out-of-range slice index.
func (ph *Phase) Task(id int64) Task {
	if id < 0 || id >= ph.n {
		panic(fmt.Sprintf("pyramid: task %d of phase %d out of range [0, %d)", id, ph.Index, ph.n))
	}
	p := ph.p
	unit, sh := p.Unit(), p.Shapes[ph.Level]
	n := len(ph.Grid)
	lo, hi := make([]int, n), make([]int, n)
	rest := id
	for i := n - 1; i >= 0; i-- {
		g := int(rest % int64(ph.Grid[i]))
		rest /= int64(ph.Grid[i])
		lo[i] = g * unit[i]
		hi[i] = lo[i] + min(unit[i], sh[i]-lo[i])
	}
	t := Task{Phase: ph.Index, ID: id, First: ph.First, Last: ph.Level, Out: nd.Box{Min: lo, Max: hi}}
	if ph.Level == 0 {
		t.In = t.Out
	} else {
		t.In = p.boxAt(t.Out, ph.Level, max(ph.First-1, 0))
	}
	return t
}

// ShardNumTasks is the number of tasks of shard i of n: the IDs congruent to
// i modulo n (n < 1 counts as 1).
func (ph *Phase) ShardNumTasks(i, n int) int64 {
	if n < 1 {
		n = 1
	}
	if i < 0 || int64(i) >= ph.n {
		return 0
	}
	return (ph.n-int64(i)-1)/int64(n) + 1
}

// ShardTasks enumerates, in increasing ID order, the tasks of shard i of n
// (IDs congruent to i modulo n; n < 1 counts as 1), computing each from its
// ID. It holds one task at a time.
func (ph *Phase) ShardTasks(i, n int) iter.Seq[Task] {
	if n < 1 {
		n = 1
	}
	return func(yield func(Task) bool) {
		if i < 0 {
			return
		}
		for id := int64(i); id < ph.n; id += int64(n) {
			if !yield(ph.Task(id)) {
				return
			}
			if id > ph.n-int64(n) {
				return // the next ID would be past the end (and might overflow)
			}
		}
	}
}

// PlanBytes estimates the memory the plan itself holds: a few ints per level
// and per phase, independent of the task count.
func (p *Plan) PlanBytes() int64 {
	rank := int64(len(p.Chunks))
	ints := int64(len(p.Shapes)+len(p.Factors)+len(p.Phases)+2) * rank
	return 256 + int64(len(p.Phases))*96 + ints*8 + int64(len(p.Shapes)+len(p.Factors)+len(p.Phases))*24
}

// TaskBytes estimates the memory one task holds at its peak in the phase
// that needs most (see PhaseTaskBytes); a build that fits it fits every
// phase.
func (p *Plan) TaskBytes() int64 {
	var most int64
	for i := range p.Phases {
		most = max(most, p.PhaseTaskBytes(&p.Phases[i]))
	}
	if len(p.Phases) == 0 {
		return p.groupTaskBytes()
	}
	return most
}

// PhaseTaskBytes estimates the memory one task of ph holds at its peak.
// Copying level 0 of a pyramid holds the unit read, the shard assembled
// from it, its encoded chunks and the shard's buffer: four units.
// Computing
// levels First..Level holds the input block (the unit times the product
// of the phase's factors, plus half again for intermediate levels), the
// output twice (the result and the encoded unit), and 12 bytes of scratch
// per output voxel for the reduction. The arithmetic saturates: a unit too
// large to count gives math.MaxInt64.
func (p *Plan) PhaseTaskBytes(ph *Phase) int64 {
	unit := p.Unit()
	es := int64(p.DType.Size())
	out := int64(1)
	for _, u := range unit {
		out = satMul(out, int64(u))
	}
	if ph.Level == 0 {
		// The unit read, the shard assembled from it, its encoded chunks
		// and the growing shard buffer: four units.
		return satMul(4*es, out)
	}
	in := out
	for i := range unit {
		f := int64(1)
		for l := max(ph.First-1, 0); l < ph.Level; l++ {
			f = satMul(f, int64(p.Factors[l][i]))
		}
		in = satMul(in, f)
	}
	if ph.Level > ph.First {
		in = satAdd(in, in/2)
	}
	extra := int64(0)
	if ph.First == 0 {
		// Fused: level 0 is written from the block, one unit's shard
		// and encoded chunks at a time.
		extra = satMul(2*es, out)
	}
	return satAdd(satAdd(satMul(in, es), extra), satAdd(satMul(2*es, out), satMul(12, out)))
}

// groupTaskBytes is the estimate for a plan without phases: a task of the
// largest group of consecutive factors.
func (p *Plan) groupTaskBytes() int64 {
	unit := p.Unit()
	out, in := int64(1), int64(1)
	for i, u := range unit {
		out = satMul(out, int64(u))
		// The largest product of Group consecutive factors.
		f := int64(1)
		for a := range p.Factors {
			g := int64(1)
			for b := a; b < min(len(p.Factors), a+p.Group); b++ {
				g = satMul(g, int64(p.Factors[b][i]))
			}
			f = max(f, g)
		}
		in = satMul(in, satMul(int64(u), f))
	}
	es := int64(p.DType.Size())
	// Intermediate levels of a group add at most in/2 more.
	if p.Group > 1 {
		in = satAdd(in, in/2)
	}
	return satAdd(satMul(in, es), satAdd(satMul(2*es, out), satMul(12, out)))
}

// satMul is a*b for non-negative a, b, or math.MaxInt64 when it overflows.
func satMul(a, b int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}

// satAdd is a+b for non-negative a, b, or math.MaxInt64 when it overflows.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// NewPlan lays out the tasks for a source of the given shape and dtype, one
// level per phase.
func NewPlan(dt nd.DType, shape []int, factors [][]int, chunks, shard []int) (*Plan, error) {
	return NewPlanGroup(dt, shape, factors, chunks, shard, 1)
}

// NewPlanGroup is NewPlan with up to group levels per phase: a task reads
// one block of the level below the phase and computes every level of the
// phase from it, writing whole units of each. It records only the geometry
// of each phase (O(levels) memory); tasks are enumerated lazily. A plan
// whose task count does not fit in an int64 is refused.
func NewPlanGroup(dt nd.DType, shape []int, factors [][]int, chunks, shard []int, group int) (*Plan, error) {
	return newPlan(dt, shape, factors, chunks, shard, group, false)
}

// NewPlanFused is NewPlanGroup whose phase 0, besides copying the source
// into level 0, computes levels 1..group from the same blocks: a task of
// phase 0 reads the source block under one unit of level group, writes
// the level-0 units in it and reduces it. The source is read once and
// level 0 is never read back, at the price of bigger phase-0 blocks.
func NewPlanFused(dt nd.DType, shape []int, factors [][]int, chunks, shard []int, group int) (*Plan, error) {
	return newPlan(dt, shape, factors, chunks, shard, group, true)
}

// NewPlanAuto is the plan a build uses: with group >= 1, NewPlanGroup;
// with group 0, one level per phase, fused into phase 0 when the fused
// phase 0 runs as many tasks at once as the plain one within the memory
// budget (two, or all of the plain phase 0's if it has fewer; with no
// budget, when a fused task needs at most 256 MiB). The choice depends on
// the shape, chunks, factors and budget only, never on the machine, the
// worker count or the shard count: it is part of the run record, which
// every process of a run must share.
func NewPlanAuto(dt nd.DType, shape []int, factors [][]int, chunks, shard []int, group int, memory int64) (*Plan, error) {
	if group >= 1 || len(factors) == 0 {
		return NewPlanGroup(dt, shape, factors, chunks, shard, max(group, 1))
	}
	plain, err := NewPlanGroup(dt, shape, factors, chunks, shard, 1)
	if err != nil {
		return nil, err
	}
	fused, err := NewPlanFused(dt, shape, factors, chunks, shard, 1)
	if err != nil {
		return nil, err
	}
	tb := fused.PhaseTaskBytes(&fused.Phases[0])
	if memory <= 0 {
		if tb > 256<<20 {
			return plain, nil
		}
		memory = 1 << 40 // only the task counts decide
	}
	// Two tasks at once, not GOMAXPROCS or the worker count: the choice
	// goes into the run record, and the processes of one run (shards on
	// nodes of different sizes, a resume with other flags) must agree.
	const workers = 2
	// As many tasks at once as the plain plan's phase 0 runs: a fused
	// phase 0 has fewer, bigger tasks, and one that the budget (or the
	// task count) leaves less parallel is slower, whatever it saves.
	// The choice ignores the shard count: the plan is in the run record,
	// and a run started by one process may be resumed by N shards.
	want := min(int64(workers), plain.Phases[0].NumTasks())
	have := min((memory-fused.TrackingBytes(1))/max(tb, 1), fused.Phases[0].NumTasks())
	if have >= want {
		return fused, nil
	}
	return plain, nil
}

func newPlan(dt nd.DType, shape []int, factors [][]int, chunks, shard []int, group int, fused bool) (*Plan, error) {
	if group < 1 {
		group = 1
	}
	if err := checkGeometry(shape, chunks, shard); err != nil {
		return nil, err
	}
	n := len(shape)
	p := &Plan{DType: dt, Chunks: slices.Clone(chunks), Shard: slices.Clone(shard), Group: group, Fused: fused && len(factors) > 0}
	p.Shapes = [][]int{slices.Clone(shape)}
	for _, f := range factors {
		if len(f) != n {
			return nil, fmt.Errorf("pyramid: factor %v does not match rank %d", f, n)
		}
		for i := range f {
			if f[i] < 1 {
				return nil, fmt.Errorf("pyramid: factor %v has an entry below 1", f)
			}
		}
		p.Factors = append(p.Factors, slices.Clone(f))
		p.Shapes = append(p.Shapes, downsample.OutShape(p.Shapes[len(p.Shapes)-1], f))
	}
	unit := p.Unit()
	// Phase 0 copies level 0 (and, fused, computes the first group of
	// levels from the same blocks); then groups of levels.
	ranges := [][2]int{{0, 0}}
	if p.Fused {
		ranges[0][1] = min(len(p.Shapes)-1, group)
	}
	for a := ranges[0][1] + 1; a < len(p.Shapes); a += group {
		ranges = append(ranges, [2]int{a, min(len(p.Shapes)-1, a+group-1)})
	}
	var total int64
	for pi, r := range ranges {
		ph := Phase{Index: pi, First: r[0], Level: r[1], Grid: make([]int, n), n: 1, p: p}
		sh := p.Shapes[ph.Level]
		for i := range n {
			ph.Grid[i] = (sh[i]-1)/unit[i] + 1
			ph.n = satMul(ph.n, int64(ph.Grid[i]))
		}
		total = satAdd(total, ph.n)
		if ph.n == math.MaxInt64 || total == math.MaxInt64 {
			return nil, fmt.Errorf("pyramid: shape %v in write units %v makes more tasks than an int64 counts (level %d has grid %v); use larger chunks or shards", shape, unit, ph.Level, ph.Grid)
		}
		p.Phases = append(p.Phases, ph)
	}
	return p, nil
}

// checkGeometry validates the source shape and the chunk and shard shapes.
func checkGeometry(shape, chunks, shard []int) error {
	n := len(shape)
	if n == 0 {
		return fmt.Errorf("pyramid: source has rank 0")
	}
	for _, s := range shape {
		if s <= 0 {
			return fmt.Errorf("pyramid: source shape %v has an empty axis", shape)
		}
	}
	if len(chunks) != n {
		return fmt.Errorf("pyramid: chunks %v do not match shape %v", chunks, shape)
	}
	for _, c := range chunks {
		if c <= 0 {
			return fmt.Errorf("pyramid: bad chunk shape %v", chunks)
		}
	}
	if shard != nil {
		if len(shard) != n {
			return fmt.Errorf("pyramid: shard %v does not match shape %v", shard, shape)
		}
		for i := range shard {
			if shard[i] <= 0 || shard[i]%chunks[i] != 0 {
				return fmt.Errorf("pyramid: shard %v is not a multiple of chunks %v", shard, chunks)
			}
		}
	}
	return nil
}

// boxAt maps box b of level from to the finer level to (to <= from),
// clipped to that level's shape. Box b lies inside level from, so lo*f stays
// inside level l; hi*f may pass the int range at the last unit of an axis
// near math.MaxInt, and is clipped before it could.
func (p *Plan) boxAt(b nd.Box, from, to int) nd.Box {
	n := len(b.Min)
	lo, hi := slices.Clone(b.Min), slices.Clone(b.Max)
	for l := from - 1; l >= to; l-- {
		for i := range n {
			f, sh := p.Factors[l][i], p.Shapes[l][i]
			lo[i] *= f
			if hi[i] > sh/f {
				hi[i] = sh
			} else {
				hi[i] = min(sh, hi[i]*f)
			}
		}
	}
	return nd.Box{Min: lo, Max: hi}
}

// FixedFactors repeats f until the level fits in one chunk per axis or
// levels are reached (levels <= 0: no limit). Axes already of size 1 are not
// reduced further.
func FixedFactors(shape []int, f []int, chunks []int, levels int) [][]int {
	var out [][]int
	cur := slices.Clone(shape)
	for levels <= 0 || len(out)+1 < levels {
		if fits(cur, chunks) && levels <= 0 {
			break
		}
		ff := make([]int, len(f))
		moved := false
		for i := range f {
			ff[i] = f[i]
			if cur[i] == 1 {
				ff[i] = 1
			}
			if ff[i] > 1 {
				moved = true
			}
		}
		if !moved {
			break
		}
		cur = downsample.OutShape(cur, ff)
		out = append(out, ff)
	}
	return out
}

// AutoFactors chooses near-isotropic factors from the voxel size: an axis is
// halved only while its voxel size is below 1.5 times the finest, so a coarse
// (anisotropic) axis waits until the others catch up. spatial marks the axes
// that may be reduced; others keep factor 1.
func AutoFactors(shape []int, scale []float64, spatial []bool, chunks []int, levels int) [][]int {
	n := len(shape)
	cur := slices.Clone(shape)
	sc := slices.Clone(scale)
	if sc == nil {
		sc = make([]float64, n)
		for i := range sc {
			sc[i] = 1
		}
	}
	var out [][]int
	for levels <= 0 || len(out)+1 < levels {
		if fits(cur, chunks) && levels <= 0 {
			break
		}
		finest := math.Inf(1)
		for i := range n {
			if spatial[i] && cur[i] > 1 {
				finest = min(finest, sc[i])
			}
		}
		f := make([]int, n)
		moved := false
		for i := range n {
			f[i] = 1
			if spatial[i] && cur[i] > 1 && sc[i] < 1.5*finest {
				f[i] = 2
				moved = true
			}
		}
		if !moved {
			break
		}
		cur = downsample.OutShape(cur, f)
		for i := range n {
			sc[i] *= float64(f[i])
		}
		out = append(out, f)
	}
	return out
}

func fits(shape, chunks []int) bool {
	for i := range shape {
		if shape[i] > chunks[i] {
			return false
		}
	}
	return true
}
