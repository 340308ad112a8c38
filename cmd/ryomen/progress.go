package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/ryomen-dev/ryomen/progress"
)

// watch draws p until the returned stop function is called: an mpb bar on
// a terminal, a plain log line every few seconds otherwise.
func watch(name string, p *progress.Counter) (stop func()) {
	if g.noProg || g.json {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	if isTerminal(os.Stderr) {
		pb := mpb.New(mpb.WithOutput(os.Stderr), mpb.WithRefreshRate(150*time.Millisecond))
		bar := pb.AddBar(0,
			mpb.PrependDecorators(decor.Name(name+" "), decor.CountersNoUnit("%d/%d tasks")),
			mpb.AppendDecorators(decor.Percentage(), decor.Name(" "), decor.EwmaETA(decor.ET_STYLE_GO, 30)),
		)
		go func() {
			defer close(finished)
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			last := time.Now()
			for {
				select {
				case <-done:
					bar.SetTotal(p.Total.Load(), true)
					bar.SetCurrent(p.Done.Load())
					bar.Abort(false)
					pb.Wait()
					return
				case <-t.C:
					bar.SetTotal(p.Total.Load(), false)
					bar.EwmaSetCurrent(p.Done.Load(), time.Since(last))
					last = time.Now()
				}
			}
		}()
	} else {
		go func() {
			defer close(finished)
			t := time.NewTicker(5 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					slog.Info(name, "phase", p.Phase.Load(),
						"tasks", fmt.Sprintf("%d/%d", p.Done.Load(), p.Total.Load()),
						"read_MiB", p.BytesRead.Load()>>20, "written_MiB", p.BytesWritten.Load()>>20)
				}
			}
		}()
	}
	return func() { close(done); <-finished }
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
