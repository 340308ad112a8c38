package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ryomen-dev/ryomen/child"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// execRun connects the tiled apply engine to an external model server.
type execRun struct {
	proc   *child.Process
	bt     *child.Batcher
	cancel context.CancelFunc
}

// parseHalo reads a per-side context flag (--margin, --overlap, --halo):
// one value for every space axis, one per space axis, or one per axis,
// each >= 0 (0: crops without context on that axis). Channel and time
// axes take none: a crop carries them whole.
func parseHalo(flag, s string, space []bool) ([]int, error) {
	rank := len(space)
	nspace := 0
	for _, sp := range space {
		if sp {
			nspace++
		}
	}
	bad := func(why string) error {
		return usagef("%s %q: %s; want one value, %d (one per space axis) or %d comma-separated values >= 0", flag, s, why, nspace, rank)
	}
	var v []int
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, bad(fmt.Sprintf("%q is not an integer", strings.TrimSpace(f)))
		}
		if x < 0 {
			return nil, bad(fmt.Sprintf("%d is negative", x))
		}
		v = append(v, x)
	}
	if len(v) == 1 || (len(v) == nspace && nspace != rank) {
		w, k := make([]int, rank), 0
		for i := range w {
			if space[i] {
				w[i] = v[min(k, len(v)-1)]
				k++
			}
		}
		v = w
	}
	if len(v) != rank {
		return nil, bad(fmt.Sprintf("%d values for a %d-d image", len(v), rank))
	}
	for i, x := range v {
		if x > 0 && !space[i] {
			return nil, bad(fmt.Sprintf("axis %d is not a space axis and takes no margin (crops carry it whole)", i))
		}
	}
	return v, nil
}

// startExec starts the model server; margin (per axis) goes to the child
// in every request header as "halo", outCrop is the shape it must return
// for each crop, and timeout bounds each response (0: no limit).
func startExec(ctx context.Context, cmdline string, src *source, margin, outCrop []int, out nd.DType, batch, inflight int, timeout time.Duration) (*execRun, error) {
	cctx, cancel := context.WithCancel(ctx)
	p, err := child.Start(cctx, []string{"/bin/sh", "-c", cmdline}, child.Options{Inflight: inflight, Timeout: timeout, MaxBytes: g.memBytes})
	if err != nil {
		cancel()
		return nil, err
	}
	e := &execRun{proc: p, cancel: cancel}
	e.bt = child.NewBatcher(cctx, p, batch, 50*time.Millisecond, out, margin, src.r.Shape())
	e.bt.SetResultShape(outCrop)
	return e, nil
}

// fn is the child as a tile function: crops from concurrent tasks share
// the child's batches.
func (e *execRun) fn() tile.AnyFunc {
	f := child.TileFunc(e.bt)
	return func(ctx context.Context, tiles []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		res, err := f(ctx, tiles, crops)
		if errors.Is(err, child.ErrTimeout) {
			return nil, fmt.Errorf("--exec-timeout exceeded (raise it if the model needs longer): %w", err)
		}
		if errors.Is(err, child.ErrDType) {
			return nil, fmt.Errorf("%w (give the model's dtype with --out-dtype)", err)
		}
		return res, err
	}
}

// close ends the child normally and reports how it exited.
func (e *execRun) close() error {
	err := e.proc.Close()
	e.cancel()
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	return nil
}

// kill stops the child if close was not reached.
func (e *execRun) kill() { e.cancel() }
