package pyramid

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
)

// countingStore is a memory store that counts writes and marker listings
// and remembers the longest marker listing it returned.
type countingStore struct {
	mem      *store.Memory
	puts     atomic.Int64
	lists    atomic.Int64
	maxMarks atomic.Int64
}

func newCountingStore() *countingStore { return &countingStore{mem: store.NewMemory()} }

func (c *countingStore) Get(ctx context.Context, k string) ([]byte, error) { return c.mem.Get(ctx, k) }
func (c *countingStore) GetRange(ctx context.Context, k string, off, n int64) ([]byte, error) {
	return c.mem.GetRange(ctx, k, off, n)
}
func (c *countingStore) GetSuffix(ctx context.Context, k string, n int64) ([]byte, error) {
	return c.mem.GetSuffix(ctx, k, n)
}
func (c *countingStore) Delete(ctx context.Context, k string) error { return c.mem.Delete(ctx, k) }
func (c *countingStore) Put(ctx context.Context, k string, v []byte) error {
	c.puts.Add(1)
	return c.mem.Put(ctx, k, v)
}
func (c *countingStore) List(ctx context.Context, pre string) ([]string, error) {
	keys, err := c.mem.List(ctx, pre)
	if strings.Contains(pre, ".ryomen/tasks/") {
		c.lists.Add(1)
		for n := int64(len(keys)); ; {
			old := c.maxMarks.Load()
			if n <= old || c.maxMarks.CompareAndSwap(old, n) {
				break
			}
		}
	}
	return keys, err
}

func TestMarkerBuckets(t *testing.T) {
	for _, tc := range []struct{ n, want int64 }{
		{1, 1}, {9, 9}, {16, 16}, {1000, 16}, {65536, 16}, {65537, 17}, {4793491, 1171}, {1 << 50, 1 << 38},
	} {
		b := markerBuckets(tc.n)
		if b != tc.want {
			t.Errorf("markerBuckets(%d) = %d, want %d", tc.n, b, tc.want)
		}
		if most := (tc.n-1)/b + 1; most > markerBucketSize {
			t.Errorf("%d tasks in %d buckets: %d in the fullest", tc.n, b, most)
		}
	}
}

// A resumed phase of 70,000 tasks (18 buckets of markers) reads back exactly
// the markers that exist, for every shard, never listing more than one
// bucket's worth of keys at once; steal runs exactly the tasks with no
// marker (never one that has one), listing each bucket once.
func TestMarkersBounded(t *testing.T) {
	ctx := context.Background()
	p, err := NewPlan(nd.Uint8, []int{70000}, nil, []int{1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ph := &p.Phases[0]
	n := ph.NumTasks()
	st := newCountingStore()
	o := &Options{Store: st, Path: "out"}
	buckets := markerBuckets(n)
	done := func(id int64) bool { return id%7 == 3 || id%1000 == 0 || id == n-1 }
	for id := range n {
		if done(id) {
			st.Put(ctx, o.markerKey(0, buckets, id), []byte("done\n"))
		}
	}
	// Junk that must be ignored: a foreign key and an ID out of range.
	st.Put(ctx, "out/.ryomen/tasks/0/b0/junk", nil)
	st.Put(ctx, o.key("tasks", "0", "b0", strconv.FormatInt(n+buckets*10, 10)), nil)
	st.Put(ctx, o.key("tasks", "0", "b0", "1"), nil) // ID 1 belongs in bucket 1
	st.Put(ctx, o.key("tasks", "0", "4"), nil)       // an earlier version's flat marker
	for _, sh := range [][2]int{{0, 1}, {2, 3}, {4, 5}, {5, 6}} {
		o.ShardIndex, o.ShardCount = sh[0], sh[1]
		set, err := loadDone(ctx, o, ph)
		if err != nil {
			t.Fatal(err)
		}
		k := int64(0)
		for task := range ph.ShardTasks(sh[0], sh[1]) {
			if set.has(k) != done(task.ID) {
				t.Fatalf("shard %d/%d: task %d finished=%v, want %v", sh[0], sh[1], task.ID, set.has(k), done(task.ID))
			}
			k++
		}
	}
	if m := st.maxMarks.Load(); m > markerBucketSize+2 || m == 0 {
		t.Errorf("longest marker listing %d keys, want at most one bucket (%d)", m, markerBucketSize)
	}
	// steal: runs the missing tasks, and only those, one bucket at a time.
	var ran sync.Map
	var runs atomic.Int64
	st.lists.Store(0)
	o.ShardIndex, o.ShardCount = 1, 3
	err = steal(ctx, ph, o, 4, new(Progress), func(_ context.Context, task Task) error {
		if done(task.ID) {
			return fmt.Errorf("task %d has a marker but was run", task.ID)
		}
		if _, dup := ran.LoadOrStore(task.ID, true); dup {
			return fmt.Errorf("task %d run twice", task.ID)
		}
		runs.Add(1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing int64
	for id := range n {
		if !done(id) {
			missing++
		}
		if _, err := st.Get(ctx, o.markerKey(0, buckets, id)); err != nil {
			t.Fatalf("after steal, task %d has no marker: %v", id, err)
		}
	}
	if runs.Load() != missing {
		t.Errorf("steal ran %d tasks, want the %d without markers", runs.Load(), missing)
	}
	if l := st.lists.Load(); l != buckets {
		t.Errorf("steal listed markers %d times, want once per bucket (%d)", l, buckets)
	}
	if m := st.maxMarks.Load(); m > markerBucketSize+2 {
		t.Errorf("longest marker listing %d keys", m)
	}
}

// Markers are laid out as tasks/<phase>/b<id mod B>/<id>, one per task, and
// a run killed in a phase with several buckets resumes to the same output.
func TestResumeAcrossBuckets(t *testing.T) {
	ctx := context.Background()
	src := nd.New[uint16]([]int{1, 9000}, nd.C)
	for i := range src.Data() {
		src.Data()[i] = uint16(i * 31)
	}
	factors := [][]int{{1, 2}}
	o := Options{Method: "mean", Factors: factors, Chunks: []int{1, 1}, Axes: axes[1:], Workers: 2}
	ref := store.NewMemory()
	o.Store = ref
	if _, err := Build(ctx, src, o); err != nil {
		t.Fatal(err)
	}
	keys, _ := ref.List(ctx, ".ryomen/tasks/")
	seen := map[string]bool{}
	for _, k := range keys {
		parts := strings.Split(strings.TrimPrefix(k, ".ryomen/tasks/"), "/")
		if len(parts) != 3 {
			t.Fatalf("marker %q is not tasks/<phase>/b<bucket>/<id>", k)
		}
		phase, _ := strconv.Atoi(parts[0])
		id, _ := strconv.ParseInt(parts[2], 10, 64)
		b, err := strconv.ParseInt(strings.TrimPrefix(parts[1], "b"), 10, 64)
		if err != nil || !strings.HasPrefix(parts[1], "b") {
			t.Fatalf("marker %q: bucket %q is not b<number>", k, parts[1])
		}
		if n := []int64{9000, 4500}[phase]; b != id%markerBuckets(n) {
			t.Errorf("marker %q in bucket %d, want %d", k, b, id%markerBuckets(n))
		}
		seen[fmt.Sprint(phase, "/", id)] = true
	}
	if len(keys) != 13500 || len(seen) != 13500 {
		t.Fatalf("%d markers (%d distinct), want 9000+4500", len(keys), len(seen))
	}
	want := reference(t, src, factors, Mean)
	check(t, ref, "", want)

	st := store.NewMemory()
	o.Store, o.Workers = st, 1
	if _, err := Build(ctx, &failing{Reader: src, n: 6000}, o); err == nil {
		t.Fatal("want an error")
	}
	o.Resume, o.Progress = true, new(Progress)
	if _, err := Build(ctx, src, o); err != nil {
		t.Fatal(err)
	}
	if s := o.Progress.TasksSkipped.Load(); s != 6000 {
		t.Errorf("skipped %d tasks, want 6000", s)
	}
	check(t, st, "", want)
}
