package engine_test

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ryomen-dev/ryomen/engine"
	"github.com/ryomen-dev/ryomen/progress"
	"github.com/ryomen-dev/ryomen/store"
)

// A job of one phase of 100 tasks writes one key per task; a second run
// with Resume finds the output complete.
func Example() {
	ctx := context.Background()
	st := store.NewMemory()
	squares := engine.Phase{Name: "squares", Tasks: 100, TaskBytes: 1 << 10,
		Run: func(ctx context.Context, id int64) (int64, int64, error) {
			return 0, 8, st.Put(ctx, "out/"+strconv.FormatInt(id, 10), []byte(strconv.FormatInt(id*id, 10)))
		}}
	run := func(resume bool) error {
		var pr progress.Counter
		j := &engine.Job{Store: st, Path: "out", Name: "out", Record: []byte(`{"job":"squares"}`), Resume: resume,
			Memory: 4 << 20, Progress: &pr,
			Complete: func(ctx context.Context) bool { _, err := st.Get(ctx, "out/DONE"); return err == nil }}
		if err := j.Claim(ctx); err != nil {
			return err
		}
		if err := j.Run(ctx, squares); err != nil {
			return err
		}
		fmt.Println(pr.Done.Load(), "tasks done")
		return j.Finish(ctx, func(ctx context.Context) error { return st.Put(ctx, "out/DONE", []byte("ok")) })
	}
	fmt.Println(run(false))
	v, _ := st.Get(ctx, "out/99")
	fmt.Println(string(v))
	fmt.Println(run(true))
	// Output:
	// 100 tasks done
	// <nil>
	// 9801
	// output is already complete: out
}
