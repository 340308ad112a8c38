package zarr

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Concurrent reads share readSlots: however many run at once, at most
// GOMAXPROCS-1 helpers decode besides the callers, and every index is
// visited exactly once per read.
func TestReadSlotsBounded(t *testing.T) {
	var cur, most atomic.Int64
	const reads = 8
	var wg sync.WaitGroup
	counts := make([]atomic.Int64, reads)
	for r := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := parallelIndex([]int{0, 0}, []int{7, 7}, func(idx []int) error {
				n := cur.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(200 * time.Microsecond)
				cur.Add(-1)
				counts[r].Add(1)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for r := range reads {
		if c := counts[r].Load(); c != 64 {
			t.Errorf("read %d visited %d indices, want 64", r, c)
		}
	}
	if limit := int64(reads + max(runtime.GOMAXPROCS(0)-1, 1)); most.Load() > limit {
		t.Errorf("%d decoders at once, want at most %d (callers plus shared helpers)", most.Load(), limit)
	}
}
