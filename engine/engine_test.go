package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ryomen-dev/ryomen/progress"
	"github.com/ryomen-dev/ryomen/store"
)

// squares is a job of two phases over a memory store: phase 0 writes
// out/v/<id> = id*id for 500 tasks, phase 1 writes out/s/<id> = the sum
// of ten values of phase 0 for 50 tasks, failing after fail tasks (0:
// never). It counts the tasks it runs.
type squares struct {
	st   store.Store
	ran  atomic.Int64
	fail int64
}

func (s *squares) phases() []Phase {
	put := func(ctx context.Context, k string, v int64) error {
		return s.st.Put(ctx, "out/"+k, []byte(fmt.Sprint(v)))
	}
	run := func(f func(ctx context.Context, id int64) error) func(context.Context, int64) (int64, int64, error) {
		return func(ctx context.Context, id int64) (int64, int64, error) {
			if n := s.ran.Add(1); s.fail > 0 && n > s.fail {
				return 0, 0, errors.New("killed")
			}
			return 8, 8, f(ctx, id)
		}
	}
	p0 := Phase{Name: "values", Tasks: 500, TaskBytes: 1 << 10, Run: run(func(ctx context.Context, id int64) error {
		return put(ctx, fmt.Sprint("v/", id), id*id)
	})}
	p1 := Phase{Name: "sums", Tasks: 50, TaskBytes: 1 << 10, Run: run(func(ctx context.Context, id int64) error {
		var sum int64
		for k := id * 10; k < id*10+10; k++ {
			b, err := s.st.Get(ctx, fmt.Sprint("out/v/", k))
			if err != nil {
				return err
			}
			var v int64
			fmt.Sscan(string(b), &v)
			sum += v
		}
		return put(ctx, fmt.Sprint("s/", id), sum)
	})}
	return []Phase{p0, p1}
}

func (s *squares) run(ctx context.Context, j *Job) error {
	j.Store, j.Path = s.st, "out"
	j.Complete = func(ctx context.Context) bool { _, err := s.st.Get(ctx, "out/DONE"); return err == nil }
	if err := j.Claim(ctx); err != nil {
		return err
	}
	if err := j.Run(ctx, s.phases()...); err != nil {
		return err
	}
	return j.Finish(ctx, func(ctx context.Context) error { return s.st.Put(ctx, "out/DONE", []byte("ok")) })
}

func (s *squares) check(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for id := int64(0); id < 50; id++ {
		var want int64
		for k := id * 10; k < id*10+10; k++ {
			want += k * k
		}
		b, err := s.st.Get(ctx, fmt.Sprint("out/s/", id))
		if err != nil || string(b) != fmt.Sprint(want) {
			t.Fatalf("sum %d = %q (%v), want %d", id, b, err, want)
		}
	}
	if _, err := s.st.Get(ctx, "out/DONE"); err != nil {
		t.Fatal("not committed")
	}
}

// A killed job resumes without rerunning finished tasks; the claim rules
// refuse what is not this run.
func TestClaimResume(t *testing.T) {
	ctx := context.Background()
	s := &squares{st: store.NewMemory(), fail: 300}
	rec := []byte(`{"input":{"location":"a"},"n":1}`)
	if err := s.run(ctx, &Job{Record: rec, Workers: 2}); err == nil || !strings.Contains(err.Error(), "values, task") {
		t.Fatalf("killed run: %v", err)
	}
	if _, err := s.st.Get(ctx, "out/DONE"); err == nil {
		t.Fatal("a killed run committed")
	}
	if err := s.run(ctx, &Job{Record: rec}); !errors.Is(err, ErrExists) {
		t.Errorf("restart without resume: %v, want ErrExists", err)
	}
	err := s.run(ctx, &Job{Record: []byte(`{"input":{"location":"b"},"n":1}`), Resume: true})
	if !errors.Is(err, ErrPlanChanged) || !strings.Contains(err.Error(), "input was a, now b") {
		t.Errorf("resume of another input: %v", err)
	}
	err = s.run(ctx, &Job{Record: []byte(`{"input":{"location":"a"},"n":2}`), Resume: true})
	if !errors.Is(err, ErrPlanChanged) || !strings.Contains(err.Error(), "n was 1, now 2") {
		t.Errorf("resume with another parameter: %v", err)
	}
	done := s.ran.Load() - 1 // the failing call did not finish
	s.ran.Store(0)
	s.fail = 0
	pr := new(progress.Counter)
	if err := s.run(ctx, &Job{Record: rec, Resume: true, Progress: pr}); err != nil {
		t.Fatal(err)
	}
	s.check(t)
	if ran := s.ran.Load(); ran+done < 550 || ran > 550-done+2 {
		t.Errorf("resume ran %d tasks after %d finished, want about %d", ran, done, 550-done)
	}
	if sn := pr.Snapshot(); sn.Done != 550 || sn.Skipped != 550-s.ran.Load() {
		t.Errorf("progress %+v", sn)
	}
	if err := s.run(ctx, &Job{Record: rec, Resume: true}); !errors.Is(err, ErrComplete) {
		t.Errorf("resume of a complete output: %v, want ErrComplete", err)
	}
	if err := s.run(ctx, &Job{Record: rec, Overwrite: true}); !errors.Is(err, ErrExists) {
		t.Errorf("overwrite without Clear: %v, want a refusal", err)
	}
}

// Shards started one after another each finish the whole job; a shard
// alone completes it by taking over the others' tasks.
func TestShardsAlone(t *testing.T) {
	ctx := context.Background()
	s := &squares{st: store.NewMemory()}
	rec := []byte(`{"n":1}`)
	pr := new(progress.Counter)
	if err := s.run(ctx, &Job{Record: rec, ShardIndex: 2, ShardCount: 4, Progress: pr}); err != nil {
		t.Fatal(err)
	}
	s.check(t)
	if sn := pr.Snapshot(); sn.Stolen != 550-125-12 || sn.Done != 550 {
		t.Errorf("shard 2/4 alone: %+v, want 413 taken over and 550 done", sn)
	}
	// The other shards find it complete.
	if err := s.run(ctx, &Job{Record: rec, ShardIndex: 0, ShardCount: 4}); !errors.Is(err, ErrComplete) {
		t.Errorf("shard 0 after completion: %v", err)
	}
}

func TestBudget(t *testing.T) {
	j := &Job{Memory: 64 << 20, Workers: 8}
	small := Phase{Name: "small", Tasks: 10, TaskBytes: 8 << 20}
	if n, err := j.PhaseWorkers(small); err != nil || n != 7 {
		t.Errorf("64 MiB / 8 MiB tasks, less bookkeeping: %d workers (%v), want 7", n, err)
	}
	big := Phase{Name: "big", Tasks: 10, TaskBytes: 65 << 20}
	if err := j.Check(small, big); !errors.Is(err, ErrBudget) || !strings.Contains(err.Error(), "phase big") {
		t.Errorf("a 65 MiB task in 64 MiB: %v", err)
	}
	many := Phase{Name: "many", Tasks: 1 << 40, TaskBytes: 1}
	err := (&Job{}).Check(many)
	if !errors.Is(err, ErrBudget) || !strings.Contains(err.Error(), "1 bit per task") {
		t.Errorf("2^40 tasks with no budget: %v", err)
	}
	if err := (&Job{ShardCount: 1 << 10}).Check(many); err != nil {
		t.Errorf("2^40 tasks over 1024 shards: %v", err)
	}
}
