package pyramid

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/progress"
	"github.com/ryomen-dev/ryomen/store"
)

// markerBuckets is the engine's bucket count of a phase of n tasks (its
// documented layout).
func markerBuckets(n int64) int64 { return max((n-1)/4096+1, min(n, 16)) }

// Markers are laid out as tasks/<phase>/b<id mod B>/<id>, one per task, and
// a run killed in a phase with several buckets resumes to the same output.
func TestResumeAcrossBuckets(t *testing.T) {
	ctx := context.Background()
	src := nd.New[uint16]([]int{1, 9000}, nd.C)
	for i := range src.Data() {
		src.Data()[i] = uint16(i * 31)
	}
	factors := [][]int{{1, 2}}
	o := Options{Method: "mean", Factors: factors, Chunks: []int{1, 1}, Axes: axes[1:], Workers: 2, Group: 1}
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
	o.Resume, o.Progress = true, new(progress.Counter)
	if _, err := Build(ctx, src, o); err != nil {
		t.Fatal(err)
	}
	if s := o.Progress.Skipped.Load(); s != 6000 {
		t.Errorf("skipped %d tasks, want 6000", s)
	}
	check(t, st, "", want)
}
