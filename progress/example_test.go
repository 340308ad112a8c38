package progress_test

import (
	"fmt"

	"github.com/ryomen-dev/ryomen/progress"
)

// A job counts; whoever draws reads snapshots.
func ExampleCounter() {
	var c progress.Counter
	c.SetTotal(10)
	for range 4 {
		c.Finish(1<<20, 1<<19) // a task that read 1 MiB and wrote 512 KiB
	}
	c.Skip() // finished by an earlier run
	s := c.Snapshot()
	fmt.Printf("%d/%d tasks (%d skipped), %d MiB read, %d KiB written\n", s.Done, s.Total, s.Skipped, s.BytesRead>>20, s.BytesWritten>>10)
	// Output:
	// 5/10 tasks (1 skipped), 4 MiB read, 2048 KiB written
}
