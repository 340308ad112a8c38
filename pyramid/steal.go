package pyramid

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/ryomen-dev/ryomen/store"
)

// Sharded builds never wait for one another. A shard first runs its own
// tasks of a phase (IDs congruent to its index), then takes over every task
// of the phase that still has no marker, whoever it belonged to, and only
// then moves on to the next phase. When runPhase returns, every task of the
// phase has a marker: one it listed or one it wrote. So any single shard can
// finish the whole build alone, and N shards started one after another (a
// throttled Slurm array, a Kubernetes Indexed Job with parallelism below
// completions, a preempted and requeued task) complete instead of
// deadlocking.
//
// Running a task twice is harmless: a task is a deterministic function of
// the plan and of finished lower levels, and writes whole write units with
// atomic puts (File: temporary file and rename; S3: one PUT), so a duplicate
// writes the same bytes over the same keys. Duplicates are rare: a shard
// checks a task's marker just before it runs it (its own tasks too, as
// another shard may have taken them over meanwhile), and takes over tasks in
// the opposite order of the one their owners run them in (highest IDs
// first), so two shards meet on at most their in-flight tasks.

// doTask runs t unless check finds its marker (another shard finished it),
// then writes its marker. stolen counts it as taken over from another shard.
func doTask(ctx context.Context, o *Options, buckets int64, t Task, check, stolen bool, pr *Progress, run func(context.Context, Task) error) error {
	key := o.markerKey(t.Phase, buckets, t.ID)
	if check {
		_, err := o.Store.Get(ctx, key)
		if err == nil {
			if !stolen {
				pr.TasksSkipped.Add(1)
				pr.TasksDone.Add(1)
			}
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("pyramid: reading task marker %q: %w", key, err)
		}
	}
	if stolen {
		pr.TasksTotal.Add(1)
		pr.TasksStolen.Add(1)
	}
	if err := run(ctx, t); err != nil {
		return fmt.Errorf("pyramid: phase %d (level %d), task %d %v: %w", t.Phase, t.Last, t.ID, t.Out, err)
	}
	// Markers are not empty: some S3 servers refuse empty objects.
	if err := o.Store.Put(ctx, key, []byte("done\n")); err != nil {
		return fmt.Errorf("pyramid: writing task marker %q: %w", key, err)
	}
	pr.TasksDone.Add(1)
	return nil
}

// steal runs, with up to workers at once, every task of the phase that has
// no marker, one bucket of markers at a time (so it holds at most one
// bucket's listing and a bitset of markerBucketSize bits). Shards start at
// different buckets so that several shards taking over spread out; within
// a bucket the highest IDs go first.
func steal(ctx context.Context, ph *Phase, o *Options, workers int, pr *Progress, run func(context.Context, Task) error) error {
	n := ph.NumTasks()
	buckets := markerBuckets(n)
	start := int64(o.ShardIndex) % buckets
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for j := int64(0); j < buckets && gctx.Err() == nil; j++ {
		b := (start + j) % buckets
		per := (n-b-1)/buckets + 1 // IDs b, b+buckets, ... below n
		have := make(bitset, per/64+1)
		err := eachMarker(gctx, o, ph.Index, b, n, func(id int64) { have.set((id - b) / buckets) })
		if err != nil {
			g.Go(func() error { return err })
			break
		}
		for k := per - 1; k >= 0 && gctx.Err() == nil; k-- {
			if have.has(k) {
				continue
			}
			t := ph.Task(b + k*buckets)
			g.Go(func() error { return doTask(gctx, o, buckets, t, true, true, pr, run) })
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
