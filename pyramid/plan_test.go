package pyramid

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/store/storetest"
)

// eagerTasks is the task enumeration NewPlanGroup did before plans became
// lazy, kept here as the oracle: it walks the unit grid of each phase in C
// order and builds every task.
func eagerTasks(p *Plan) [][]Task {
	n := len(p.Shapes[0])
	unit := p.Unit()
	ranges := [][2]int{{0, 0}}
	if p.Fused {
		ranges[0][1] = min(len(p.Shapes)-1, p.Group)
	}
	for a := ranges[0][1] + 1; a < len(p.Shapes); a += p.Group {
		ranges = append(ranges, [2]int{a, min(len(p.Shapes)-1, a+p.Group-1)})
	}
	var out [][]Task
	for pi, r := range ranges {
		first, lvl := r[0], r[1]
		sh := p.Shapes[lvl]
		grid := make([]int, n)
		for i := range n {
			grid[i] = (sh[i] + unit[i] - 1) / unit[i]
		}
		g := make([]int, n)
		var tasks []Task
		for id := int64(0); ; id++ {
			lo, hi := make([]int, n), make([]int, n)
			for i := range n {
				lo[i] = g[i] * unit[i]
				hi[i] = min(sh[i], lo[i]+unit[i])
			}
			t := Task{Phase: pi, ID: id, First: first, Last: lvl, Out: nd.NewBox(lo, hi)}
			if lvl == 0 {
				t.In = t.Out
			} else {
				t.In = eagerBoxAt(p, t.Out, lvl, max(first-1, 0))
			}
			tasks = append(tasks, t)
			if !nextIndex(g, grid) {
				break
			}
		}
		out = append(out, tasks)
	}
	return out
}

func eagerBoxAt(p *Plan, b nd.Box, from, to int) nd.Box {
	lo, hi := slices.Clone(b.Min), slices.Clone(b.Max)
	for l := from - 1; l >= to; l-- {
		for i := range lo {
			lo[i] *= p.Factors[l][i]
			hi[i] = min(p.Shapes[l][i], hi[i]*p.Factors[l][i])
		}
	}
	return nd.NewBox(lo, hi)
}

func nextIndex(idx, shape []int) bool {
	for i := len(idx) - 1; i >= 0; i-- {
		idx[i]++
		if idx[i] < shape[i] {
			return true
		}
		idx[i] = 0
	}
	return false
}

func sameTask(a, b Task) bool {
	return a.Phase == b.Phase && a.ID == b.ID && a.First == b.First && a.Last == b.Last &&
		slices.Equal(a.In.Min, b.In.Min) && slices.Equal(a.In.Max, b.In.Max) &&
		slices.Equal(a.Out.Min, b.Out.Min) && slices.Equal(a.Out.Max, b.Out.Max)
}

// Tasks computed from their IDs equal the old eager enumeration, task for
// task, for random shapes, factors, chunks, shards and groups; every shard
// iterator yields exactly the tasks with ID = i mod n, in order.
func TestTaskFromIDMatchesEager(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 300 {
		rank := 1 + rng.IntN(4)
		shape, chunks := make([]int, rank), make([]int, rank)
		var shard []int
		if rng.IntN(3) == 0 {
			shard = make([]int, rank)
		}
		for i := range rank {
			shape[i] = 1 + rng.IntN(40)
			chunks[i] = 1 + rng.IntN(9)
			if shard != nil {
				shard[i] = chunks[i] * (1 + rng.IntN(3))
			}
		}
		var factors [][]int
		for range rng.IntN(4) {
			f := make([]int, rank)
			for i := range f {
				f[i] = 1 + rng.IntN(3)
			}
			factors = append(factors, f)
		}
		group := 1 + rng.IntN(3)
		p, err := NewPlanGroup(nd.Uint16, shape, factors, chunks, shard, group)
		if trial%2 == 1 {
			p, err = NewPlanFused(nd.Uint16, shape, factors, chunks, shard, group)
		}
		if err != nil {
			t.Fatal(err)
		}
		want := eagerTasks(p)
		if len(want) != len(p.Phases) {
			t.Fatalf("trial %d: %d phases, eager %d", trial, len(p.Phases), len(want))
		}
		var total int64
		for pi := range p.Phases {
			ph := &p.Phases[pi]
			if ph.NumTasks() != int64(len(want[pi])) {
				t.Fatalf("trial %d phase %d: %d tasks, eager %d", trial, pi, ph.NumTasks(), len(want[pi]))
			}
			total += ph.NumTasks()
			for id, w := range want[pi] {
				if got := ph.Task(int64(id)); !sameTask(got, w) {
					t.Fatalf("trial %d (shape %v chunks %v shard %v factors %v group %d) phase %d task %d:\n got %+v\nwant %+v",
						trial, shape, chunks, shard, factors, group, pi, id, got, w)
				}
			}
			n := 1 + rng.IntN(5)
			for i := range n {
				var ids []int64
				for task := range ph.ShardTasks(i, n) {
					ids = append(ids, task.ID)
				}
				var wantIDs []int64
				for _, w := range want[pi] {
					if w.ID%int64(n) == int64(i) {
						wantIDs = append(wantIDs, w.ID)
					}
				}
				if !slices.Equal(ids, wantIDs) || ph.ShardNumTasks(i, n) != int64(len(wantIDs)) {
					t.Fatalf("trial %d phase %d shard %d/%d: ids %v (count %d), want %v", trial, pi, i, n, ids, ph.ShardNumTasks(i, n), wantIDs)
				}
			}
		}
		if p.NumTasks() != total {
			t.Fatalf("trial %d: NumTasks %d, phases sum to %d", trial, p.NumTasks(), total)
		}
	}
}

// A plan for a 16384x8192x8192 uint16 volume in 64^3 chunks (4.8 million
// tasks, about 1 GiB as an eager list) takes a few kilobytes, and
// enumerating all its tasks keeps the live heap small.
func TestPlanMemoryIsOLevels(t *testing.T) {
	shape, chunks := []int{16384, 8192, 8192}, []int{64, 64, 64}
	factors := FixedFactors(shape, []int{2, 2, 2}, chunks, 0)
	var p *Plan
	allocated := allocatedBy(func() {
		var err error
		if p, err = NewPlan(nd.Uint16, shape, factors, chunks, nil); err != nil {
			t.Fatal(err)
		}
	})
	if p.NumTasks() != 4793491 { // sum over levels of 256*128*128 / 8^l, down to 1
		t.Fatalf("NumTasks %d, want 4793491", p.NumTasks())
	}
	t.Logf("plan of %d tasks in %d phases: %d bytes allocated, PlanBytes %d", p.NumTasks(), len(p.Phases), allocated, p.PlanBytes())
	if allocated > 16<<10 {
		t.Errorf("NewPlan allocated %d bytes; want O(levels), under 16 KiB", allocated)
	}
	allocs := testing.AllocsPerRun(3, func() { NewPlan(nd.Uint16, shape, factors, chunks, nil) })
	if allocs > 100 {
		t.Errorf("NewPlan made %v allocations; want O(levels)", allocs)
	}
	// Count every task by enumeration, sampling the live heap as we go.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	var count int64
	for i := range p.Phases {
		want := int64(0)
		for task := range p.Phases[i].ShardTasks(0, 1) {
			if task.ID != want {
				t.Fatalf("phase %d: task %d after %d", i, task.ID, want-1)
			}
			want++
			if count++; count%500000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
	}
	if count != p.NumTasks() {
		t.Fatalf("enumerated %d tasks, NumTasks %d", count, p.NumTasks())
	}
	t.Logf("enumerating %d tasks: heap %d KiB before, at most %d KiB during", count, base>>10, peak>>10)
	if peak > base+32<<20 {
		t.Errorf("heap grew from %d to %d KiB while enumerating", base>>10, peak>>10)
	}
}

// allocatedBy reports the bytes f allocates.
func allocatedBy(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// hostile reports a huge shape and fails the test if it is ever read.
type hostile struct {
	t     *testing.T
	shape []int
}

func (h hostile) Shape() []int    { return h.shape }
func (h hostile) DType() nd.DType { return nd.Uint8 }
func (h hostile) ReadRegion(b nd.Box, _ nd.Any) error {
	h.t.Errorf("hostile source read at %v", b)
	return errors.New("hostile source read")
}

// A [2^31, 2^31] array in 64x64 chunks (2^50 tasks in phase 0) is refused
// by Build up front, with a message naming the shape, the chunks and the
// bytes needed, in milliseconds and without allocating for its tasks, with
// or without a budget; nothing is written.
func TestHostileShapeRefused(t *testing.T) {
	shape, chunks := []int{1 << 31, 1 << 31}, []int{64, 64}
	for _, memory := range []int64{256 << 20, 0} {
		st := storetest.NewCounting(store.NewMemory())
		o := Options{Store: st, Method: "mean", Factors: FixedFactors(shape, []int{2, 2}, chunks, 0), Chunks: chunks, Axes: axes[1:], Memory: memory, Group: 1}
		var err error
		start := time.Now()
		allocated := allocatedBy(func() { _, err = Build(context.Background(), hostile{t, shape}, o) })
		took := time.Since(start)
		t.Logf("memory %d: refused in %v, %d bytes allocated: %v", memory, took, allocated, err)
		if !errors.Is(err, ErrBudget) {
			t.Fatalf("memory %d: %v, want ErrBudget", memory, err)
		}
		for _, w := range []string{"[2147483648 2147483648]", "chunks [64 64]", "1125899906842624 in the largest phase", "128.0 TiB (140737", "bytes"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error lacks %q: %v", w, err)
			}
		}
		if took > time.Second { // milliseconds on an idle machine; generous for a loaded one
			t.Errorf("refusal took %v", took)
		}
		if allocated > 1<<20 {
			t.Errorf("refusal allocated %d bytes", allocated)
		}
		if st.Puts.Load() != 0 {
			t.Errorf("%d keys written before refusing", st.Puts.Load())
		}
	}
}

// Counts that do not fit in an int64 are refused, and a task too big to
// count saturates instead of wrapping around.
func TestPlanOverflow(t *testing.T) {
	big := math.MaxInt64 / 2
	if _, err := NewPlan(nd.Uint8, []int{big, big}, nil, []int{1, 1}, nil); err == nil || !strings.Contains(err.Error(), "int64") {
		t.Errorf("2^62 x 2^62 tasks: %v, want an int64 overflow error", err)
	}
	p, err := NewPlan(nd.Uint16, []int{big, big}, [][]int{{2, 2}}, []int{big, big}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tb := p.TaskBytes(); tb != math.MaxInt64 {
		t.Errorf("TaskBytes %d, want saturation at MaxInt64", tb)
	}
	if _, err := Budget(p, 0, 1); !errors.Is(err, ErrBudget) || !strings.Contains(err.Error(), "int64") {
		t.Errorf("uncountable task with no budget: %v", err)
	}
	// A shape at the int limit still gives in-range boxes.
	p, err = NewPlan(nd.Uint8, []int{math.MaxInt}, [][]int{{3}}, []int{1 << 40}, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := p.Phases[0].Task(p.Phases[0].NumTasks() - 1)
	if last.Out.Max[0] != math.MaxInt || last.Out.Min[0] >= last.Out.Max[0] {
		t.Errorf("last task of a MaxInt axis: %v", last.Out)
	}
	last = p.Phases[1].Task(p.Phases[1].NumTasks() - 1)
	if last.In.Max[0] != math.MaxInt || last.In.Min[0] != last.Out.Min[0]*3 || last.Out.Max[0] != p.Shapes[1][0] {
		t.Errorf("last task of level 1 of a MaxInt axis: in %v out %v", last.In, last.Out)
	}
}

// The bookkeeping is counted: TrackingBytes is one bit per task of a
// process's largest phase plus a constant, so sharding divides it, and a
// budget that pays for tasks but not for tracking is refused.
func TestTrackingCounted(t *testing.T) {
	p, err := NewPlan(nd.Uint8, []int{1 << 20, 1 << 20}, nil, []int{16, 16}, nil) // 2^32 tasks
	if err != nil {
		t.Fatal(err)
	}
	one, four := p.TrackingBytes(1), p.TrackingBytes(4)
	// The bitset of 2^32 tasks is 512 MiB; over four shards, a quarter.
	if d := one - four; d != (1<<32)/8-(1<<32)/4/8 {
		t.Errorf("TrackingBytes(1) - TrackingBytes(4) = %d, want three quarters of a 2^32-bit set", d)
	}
	if fixed := four - (1<<32)/4/8; fixed < p.PlanBytes() || fixed > 2<<20 {
		t.Errorf("TrackingBytes besides the bitset: %d bytes, want the plan and one bucket listing (about 1 MiB)", fixed)
	}
	if _, err := Budget(p, 256<<20, 1); !errors.Is(err, ErrBudget) {
		t.Errorf("512 MiB of tracking in a 256 MiB budget: %v", err)
	}
	if w, err := BudgetShards(p, 256<<20, 2, 4); err != nil || w != 2 {
		t.Errorf("over 4 shards (128 MiB of tracking each): %d workers, %v", w, err)
	}
}
