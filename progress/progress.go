// Package progress counts the work of a long job: tasks, bytes read and
// written, and from them the rate and an estimate of the time left.
//
// A [Counter] is written by the library doing the work (atomically, from
// any goroutine) and read by whoever draws it, as rclone's accounting is:
// the library counts, the command line draws. Every out-of-core job of
// ryomen (pyramids, tiled processing, labelling, stitching) and the
// in-memory [tile.Map] report through this one type.
package progress

import (
	"sync/atomic"
	"time"
)

// Counter is the progress of one job. The zero value is ready to use; its
// clock starts at the first call of Start, Add or SetTotal. All methods
// are safe for concurrent use.
type Counter struct {
	Total   atomic.Int64 // tasks this process is responsible for
	Done    atomic.Int64 // of those, finished (including skipped)
	Skipped atomic.Int64 // finished by an earlier run (resume) or another process
	Stolen  atomic.Int64 // other processes' tasks this one took over (also in Total)
	// BytesRead and BytesWritten count decoded (in-memory) bytes.
	BytesRead    atomic.Int64
	BytesWritten atomic.Int64
	// Phase is the index of the current phase of a job of several.
	Phase atomic.Int64
	// FlushNanos is the time spent making the output durable.
	FlushNanos atomic.Int64

	start atomic.Int64 // unix nanoseconds of the first count
}

// Start starts the clock (once: later calls do nothing).
func (c *Counter) Start() { c.start.CompareAndSwap(0, time.Now().UnixNano()) }

// SetTotal sets the number of tasks and starts the clock.
func (c *Counter) SetTotal(n int64) { c.Start(); c.Total.Store(n) }

// AddTotal adds n tasks (taken over from another process, or discovered
// as the job runs).
func (c *Counter) AddTotal(n int64) { c.Start(); c.Total.Add(n) }

// Finish counts one finished task that read and wrote the given bytes.
func (c *Counter) Finish(read, written int64) {
	c.Start()
	c.BytesRead.Add(read)
	c.BytesWritten.Add(written)
	c.Done.Add(1)
}

// Skip counts one task that an earlier run or another process finished.
func (c *Counter) Skip() {
	c.Start()
	c.Skipped.Add(1)
	c.Done.Add(1)
}

// Snapshot is the state of a Counter at one moment, with derived rates.
type Snapshot struct {
	Total, Done, Skipped, Stolen int64
	BytesRead, BytesWritten      int64
	Phase                        int64
	Elapsed                      time.Duration
	// TasksPerSecond counts only the tasks run by this process (not the
	// skipped ones), over Elapsed.
	TasksPerSecond float64
	// ReadRate and WriteRate are bytes per second over Elapsed.
	ReadRate, WriteRate float64
	// ETA is the time left at TasksPerSecond; 0 when done or unknown.
	ETA time.Duration
}

// Snapshot reads the counter.
func (c *Counter) Snapshot() Snapshot {
	s := Snapshot{Total: c.Total.Load(), Done: c.Done.Load(), Skipped: c.Skipped.Load(), Stolen: c.Stolen.Load(),
		BytesRead: c.BytesRead.Load(), BytesWritten: c.BytesWritten.Load(), Phase: c.Phase.Load()}
	if t := c.start.Load(); t != 0 {
		s.Elapsed = time.Duration(time.Now().UnixNano() - t)
	}
	if sec := s.Elapsed.Seconds(); sec > 0 {
		s.TasksPerSecond = float64(s.Done-s.Skipped) / sec
		s.ReadRate = float64(s.BytesRead) / sec
		s.WriteRate = float64(s.BytesWritten) / sec
	}
	if left := s.Total - s.Done; left > 0 && s.TasksPerSecond > 0 {
		s.ETA = time.Duration(float64(left) / s.TasksPerSecond * float64(time.Second))
	}
	return s
}
