package engine

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/store/storetest"
)

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
	const n = int64(70000)
	st := storetest.NewCounting(store.NewMemory())
	o := &Job{Store: st, Path: "out"}
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
		set, err := o.loadDone(ctx, 0, n)
		if err != nil {
			t.Fatal(err)
		}
		k := int64(0)
		for id := int64(sh[0]); id < n; id += int64(sh[1]) {
			if set.has(k) != done(id) {
				t.Fatalf("shard %d/%d: task %d finished=%v, want %v", sh[0], sh[1], id, set.has(k), done(id))
			}
			k++
		}
	}
	if m := st.MaxList.Load(); m > markerBucketSize+2 || m == 0 {
		t.Errorf("longest marker listing %d keys, want at most one bucket (%d)", m, markerBucketSize)
	}
	// steal: runs the missing tasks, and only those, one bucket at a time.
	var ran sync.Map
	var runs atomic.Int64
	st.Lists.Store(0)
	o.ShardIndex, o.ShardCount = 1, 3
	ph := Phase{Name: "test", Tasks: n, TaskBytes: 1, Run: func(_ context.Context, id int64) (int64, int64, error) {
		if done(id) {
			return 0, 0, fmt.Errorf("task %d has a marker but was run", id)
		}
		if _, dup := ran.LoadOrStore(id, true); dup {
			return 0, 0, fmt.Errorf("task %d run twice", id)
		}
		runs.Add(1)
		return 0, 0, nil
	}}
	err := o.steal(ctx, 0, ph, 4)
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
	if l := st.Lists.Load(); l != buckets {
		t.Errorf("steal listed markers %d times, want once per bucket (%d)", l, buckets)
	}
	if m := st.MaxList.Load(); m > markerBucketSize+2 {
		t.Errorf("longest marker listing %d keys", m)
	}
}
