package pyramid

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/progress"
	"github.com/ryomen-dev/ryomen/store"
)

// killStore cancels a context once its n-th task marker is written, like a
// process killed (scancel, preemption) right after finishing a task.
type killStore struct {
	*store.Memory
	n      atomic.Int64
	cancel context.CancelFunc
}

func (k *killStore) Put(ctx context.Context, key string, v []byte) error {
	err := k.Memory.Put(ctx, key, v)
	if strings.HasPrefix(key, ".ryomen/tasks/") && k.n.Add(-1) == 0 {
		k.cancel()
	}
	return err
}

// snapshot returns every key and value of a store but the task markers.
func snapshot(t *testing.T, st store.Store) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	keys, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, k := range keys {
		if strings.Contains(k, ".ryomen/tasks/") {
			continue
		}
		if m[k], err = st.Get(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func sameStores(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("key %q missing", k)
		} else if !bytes.Equal(g, v) {
			t.Errorf("key %q differs (%d bytes, want %d)", k, len(g), len(v))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("extra key %q", k)
		}
	}
}

// Four shards started strictly one after another (never two at once), each
// but the last killed after a few tasks, complete the build; the output is
// byte for byte the single-process build. On a build whose shards wait for
// each other (waitPhase), shard 0 blocks forever at the end of phase 0: the
// per-shard deadline turns that deadlock into a failure.
func TestShardsOneAfterAnother(t *testing.T) {
	v := vol(t)
	factors := [][]int{{2, 2, 2}, {2, 2, 2}}
	opts := func(st store.Store) Options {
		return Options{Store: st, Method: "mean", Factors: factors, Chunks: []int{8, 8, 8}, Axes: axes, Workers: 2, Group: 1}
	}
	single := store.NewMemory()
	if _, err := Build(context.Background(), v.Image(), opts(single)); err != nil {
		t.Fatal(err)
	}
	want := snapshot(t, single)
	// kill[i]: shard i is killed after writing that many markers (0: runs
	// to the end). 60 lets shard 2 get past phase 0 (40 tasks).
	kill := []int64{3, 7, 60, 0}
	st := &killStore{Memory: store.NewMemory()}
	var done bool
	for i, k := range kill {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		st.n.Store(k)
		st.cancel = cancel
		o := opts(st)
		o.ShardIndex, o.ShardCount = i, len(kill)
		o.Progress = new(progress.Counter)
		_, err := Build(ctx, v.Image(), o)
		deadline := errors.Is(ctx.Err(), context.DeadlineExceeded)
		cancel()
		switch {
		case deadline:
			t.Fatalf("shard %d/%d did not finish within 20s alone (waiting for shards that have not started?): %v", i, len(kill), err)
		case k > 0 && !errors.Is(err, context.Canceled):
			t.Fatalf("shard %d killed after %d tasks: %v, want context.Canceled", i, k, err)
		case k == 0 && err != nil:
			t.Fatalf("last shard %d: %v", i, err)
		}
		if k == 0 {
			done = true
			// It ran everything the others left, most of it theirs.
			if s := o.Progress.Stolen.Load(); s == 0 {
				t.Errorf("last shard took over no tasks")
			}
		}
	}
	if !done {
		t.Fatal("no shard completed")
	}
	sameStores(t, snapshot(t, st.Memory), want)
	check(t, st.Memory, "", reference(t, v.Image(), factors, Mean))
	// A shard started after completion (a throttled array's later tasks)
	// has nothing to do.
	o := opts(st.Memory)
	o.ShardIndex, o.ShardCount = 1, len(kill)
	if _, err := Build(context.Background(), v.Image(), o); !errors.Is(err, ErrComplete) {
		t.Fatalf("shard after completion: %v, want ErrComplete", err)
	}
}

// One shard of eight, alone, builds everything: its own tasks and, by
// taking over, every other shard's; each task runs exactly once.
func TestOneShardAlone(t *testing.T) {
	v := vol(t)
	factors := [][]int{{2, 2, 2}, {2, 2, 2}}
	st := store.NewMemory()
	pr := new(progress.Counter)
	o := Options{Store: st, Method: "mean", Factors: factors, Chunks: []int{8, 8, 8}, Shard: []int{16, 16, 16}, Axes: axes, ShardIndex: 5, ShardCount: 8, Workers: 2, Progress: pr}
	p, err := Build(context.Background(), v.Image(), o)
	if err != nil {
		t.Fatal(err)
	}
	check(t, st, "", reference(t, v.Image(), factors, Mean))
	var own int64
	for i := range p.Phases {
		own += p.Phases[i].ShardNumTasks(5, 8)
	}
	if got, total := pr.Done.Load(), p.NumTasks(); got != total || pr.Total.Load() != total {
		t.Errorf("done %d of %d tasks (total counted %d), want all", got, total, pr.Total.Load())
	}
	if s := pr.Stolen.Load(); s != p.NumTasks()-own {
		t.Errorf("took over %d tasks, want %d (all but its own %d)", s, p.NumTasks()-own, own)
	}
}

// Concurrent shards that take over each other's tasks may run a task twice;
// the output is still byte for byte the single-process build. The reader
// slows every other shard down so that the fast ones take over its tasks
// while it is still running them.
func TestConcurrentStealingSameBytes(t *testing.T) {
	v := vol(t)
	factors := [][]int{{2, 2, 2}, {1, 2, 2}}
	opts := func(st store.Store) Options {
		return Options{Store: st, Method: "mean", Factors: factors, Chunks: []int{8, 8, 8}, Axes: axes, Workers: 2, Group: 1}
	}
	single := store.NewMemory()
	if _, err := Build(context.Background(), v.Image(), opts(single)); err != nil {
		t.Fatal(err)
	}
	st := store.NewMemory()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	prs := make([]*progress.Counter, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := opts(st)
			o.ShardIndex, o.ShardCount, o.Progress = i, 3, new(progress.Counter)
			prs[i] = o.Progress
			src := v.Image()
			if i == 0 {
				src = &slow{Reader: src, d: 3 * time.Millisecond}
			}
			_, errs[i] = Build(context.Background(), src, o)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	sameStores(t, snapshot(t, st), snapshot(t, single))
	if prs[1].Stolen.Load()+prs[2].Stolen.Load() == 0 {
		t.Errorf("no fast shard took over a task of the slow one")
	}
}

// A task rerun over a finished output (after a crash that lost its marker,
// or a duplicate scheduling) writes the same bytes, and the metadata
// rewritten by the completing run is the same too.
func TestRerunSameBytes(t *testing.T) {
	ctx := context.Background()
	v := vol(t)
	factors := [][]int{{2, 2, 2}, {2, 2, 2}}
	st := store.NewMemory()
	o := Options{Store: st, Method: "mean", Factors: factors, Chunks: []int{8, 8, 8}, Axes: axes, Workers: 2}
	if _, err := Build(ctx, v.Image(), o); err != nil {
		t.Fatal(err)
	}
	want := snapshot(t, st)
	// Lose every other marker of every phase and the completion metadata.
	keys, _ := st.List(ctx, ".ryomen/tasks/")
	for i, k := range keys {
		if i%2 == 0 {
			st.Delete(ctx, k)
		}
	}
	st.Delete(ctx, "zarr.json")
	o.Resume, o.Progress = true, new(progress.Counter)
	if _, err := Build(ctx, v.Image(), o); err != nil {
		t.Fatal(err)
	}
	if r := o.Progress.Done.Load() - o.Progress.Skipped.Load(); r != int64((len(keys)+1)/2) {
		t.Errorf("reran %d tasks, want the %d that lost their marker", r, (len(keys)+1)/2)
	}
	sameStores(t, snapshot(t, st), want)
}

// slow delays every read, like a shard on a busy node.
type slow struct {
	nd.Reader
	d time.Duration
}

func (s *slow) ReadRegion(b nd.Box, dst nd.Any) error {
	time.Sleep(s.d)
	return s.Reader.ReadRegion(b, dst)
}
