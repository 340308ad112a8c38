package zarr

import (
	"runtime"
	"slices"
	"sync"

	"github.com/ryomen-dev/ryomen/nd"
)

// forEachIndex calls f with every index in [lo, hi] (inclusive), C order.
func forEachIndex(lo, hi []int, f func(idx []int) error) error {
	idx := slices.Clone(lo)
	for i := range lo {
		if hi[i] < lo[i] {
			return nil
		}
	}
	for {
		if err := f(idx); err != nil {
			return err
		}
		k := len(idx) - 1
		for ; k >= 0; k-- {
			idx[k]++
			if idx[k] <= hi[k] {
				break
			}
			idx[k] = lo[k]
		}
		if k < 0 {
			return nil
		}
	}
}

func blockBox(idx, shape []int) nd.Box {
	b := nd.Box{Min: make([]int, len(idx)), Max: make([]int, len(idx))}
	for i := range idx {
		b.Min[i] = idx[i] * shape[i]
		b.Max[i] = b.Min[i] + shape[i]
	}
	return b
}

func neg(v []int) []int {
	o := make([]int, len(v))
	for i := range v {
		o[i] = -v[i]
	}
	return o
}

func gridRange(b nd.Box, cs []int) (lo, hi []int) {
	lo, hi = make([]int, len(cs)), make([]int, len(cs))
	for i := range cs {
		lo[i] = b.Min[i] / cs[i]
		hi[i] = (b.Max[i] - 1) / cs[i]
	}
	return lo, hi
}

// readSlots bounds the goroutines that help read chunks, for all reads
// of all arrays at once: at most GOMAXPROCS-1 helpers, each decoding one
// chunk at a time, so that the engine's concurrent tasks (each one read)
// do not multiply the decoders in flight (and their buffers) by
// GOMAXPROCS. A read that finds no free slot runs on its caller alone.
var readSlots = make(chan struct{}, max(runtime.GOMAXPROCS(0)-1, 1))

// withHelpers runs work on the calling goroutine and on as many helper
// goroutines as slots has free (at most GOMAXPROCS-1, at most jobs-1),
// and returns when every one of them has returned. work takes jobs from a
// shared queue until it is empty, so the caller alone finishes the job
// when no slot is free.
func withHelpers(slots chan struct{}, jobs int, work func()) {
	var wg sync.WaitGroup
helpers:
	for range min(runtime.GOMAXPROCS(0), jobs) - 1 {
		select {
		case slots <- struct{}{}:
			wg.Add(1)
			go func() {
				defer func() { <-slots; wg.Done() }()
				work()
			}()
		default:
			break helpers
		}
	}
	work()
	wg.Wait()
}

// parallelIndex runs f on every grid index in [lo, hi], on the calling
// goroutine and on as many helpers as readSlots allows, and returns the
// first error.
func parallelIndex(lo, hi []int, f func(idx []int) error) error {
	var all [][]int
	_ = forEachIndex(lo, hi, func(idx []int) error {
		all = append(all, slices.Clone(idx))
		return nil
	})
	var (
		mu       sync.Mutex
		next     int
		firstErr error
	)
	work := func() {
		for {
			mu.Lock()
			if next >= len(all) || firstErr != nil {
				mu.Unlock()
				return
			}
			idx := all[next]
			next++
			mu.Unlock()
			if err := f(idx); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}
	}
	withHelpers(readSlots, len(all), work)
	return firstErr
}
