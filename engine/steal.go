package engine

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/ryomen-dev/ryomen/store"
)

// Sharded jobs never wait for one another. A shard first runs its own
// tasks of a phase (IDs congruent to its index), then takes over every task
// of the phase that still has no marker, whoever it belonged to, and only
// then moves on to the next phase. When a phase returns, every task of it
// has a marker: one it listed or one it wrote. So any single shard can
// finish the whole job alone, and N shards started one after another (a
// throttled Slurm array, a Kubernetes Indexed Job with parallelism below
// completions, a preempted and requeued task) complete instead of
// deadlocking.
//
// Running a task twice is harmless: a task is deterministic and writes
// whole objects with atomic puts (File: temporary file and rename; S3:
// one PUT), so a duplicate writes the same bytes over the same keys.
// Duplicates are rare: a shard checks a task's marker just before it runs
// it (its own tasks too, as another shard may have taken them over
// meanwhile), and takes over tasks in the opposite order of the one their
// owners run them in (highest IDs first), so two shards meet on at most
// their in-flight tasks.

// doTask runs task id unless check finds its marker (another shard
// finished it), then writes its marker. stolen counts it as taken over.
func (j *Job) doTask(ctx context.Context, index int, ph Phase, buckets, id int64, check, stolen bool) error {
	pr := j.counter()
	key := j.markerKey(index, buckets, id)
	if check {
		_, err := j.Store.Get(ctx, key)
		if err == nil {
			if !stolen {
				pr.Skip()
			}
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("engine: reading task marker %q: %w", key, err)
		}
	}
	if stolen {
		pr.AddTotal(1)
		pr.Stolen.Add(1)
	}
	read, written, err := ph.Run(ctx, id)
	if err != nil {
		what := fmt.Sprintf("task %d", id)
		if ph.Describe != nil {
			what += " " + ph.Describe(id)
		}
		return fmt.Errorf("%s, %s: %w", ph.Name, what, err)
	}
	// Markers are not empty: some S3 servers refuse empty objects.
	if err := j.Store.Put(ctx, key, []byte("done\n")); err != nil {
		return fmt.Errorf("engine: writing task marker %q: %w", key, err)
	}
	pr.Finish(read, written)
	return nil
}

// steal runs, with up to workers at once, every task of the phase that has
// no marker, one bucket of markers at a time (so it holds at most one
// bucket's listing and a bitset of markerBucketSize bits). Shards start at
// different buckets so that several shards taking over spread out; within
// a bucket the highest IDs go first.
func (j *Job) steal(ctx context.Context, index int, ph Phase, workers int) error {
	j.counter() // before the workers, which read it
	n := ph.Tasks
	if n == 0 {
		return nil
	}
	buckets := markerBuckets(n)
	start := int64(j.ShardIndex) % buckets
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for k := int64(0); k < buckets && gctx.Err() == nil; k++ {
		b := (start + k) % buckets
		per := (n-b-1)/buckets + 1 // IDs b, b+buckets, ... below n
		have := make(bitset, per/64+1)
		err := j.eachMarker(gctx, index, b, n, func(id int64) { have.set((id - b) / buckets) })
		if err != nil {
			g.Go(func() error { return err })
			break
		}
		for i := per - 1; i >= 0 && gctx.Err() == nil; i-- {
			if have.has(i) {
				continue
			}
			id := b + i*buckets
			g.Go(func() error { return j.doTask(gctx, index, ph, buckets, id, true, true) })
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
