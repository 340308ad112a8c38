package progress

import (
	"sync"
	"testing"
	"time"
)

func TestCounterConcurrent(t *testing.T) {
	var c Counter
	c.SetTotal(1000)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				c.Finish(10, 3)
			}
			for i := 0; i < 25; i++ {
				c.Skip()
			}
		}()
	}
	wg.Wait()
	s := c.Snapshot()
	if s.Done != 1000 || s.Skipped != 200 || s.BytesRead != 8000 || s.BytesWritten != 2400 || s.Total != 1000 {
		t.Fatalf("snapshot %+v", s)
	}
	if s.ETA != 0 {
		t.Errorf("ETA %v when done", s.ETA)
	}
}

func TestRateAndETA(t *testing.T) {
	var c Counter
	c.SetTotal(4)
	// Backdate the clock by one second: two tasks run, one skipped.
	c.start.Store(time.Now().Add(-time.Second).UnixNano())
	c.Finish(100, 50)
	c.Finish(100, 50)
	c.Skip()
	s := c.Snapshot()
	if s.TasksPerSecond < 1.8 || s.TasksPerSecond > 2.0 {
		t.Errorf("rate %v tasks/s, want about 2 (skipped tasks do not count)", s.TasksPerSecond)
	}
	if s.ReadRate < 180 || s.ReadRate > 200 {
		t.Errorf("read rate %v B/s, want about 200", s.ReadRate)
	}
	// One task left at 2 tasks/s: about half a second.
	if s.ETA < 400*time.Millisecond || s.ETA > 600*time.Millisecond {
		t.Errorf("ETA %v, want about 0.5s", s.ETA)
	}
	var z Counter
	if s := z.Snapshot(); s.Elapsed != 0 || s.ETA != 0 || s.TasksPerSecond != 0 {
		t.Errorf("zero counter %+v", s)
	}
}
