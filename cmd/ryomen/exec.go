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
	unit   []int // task output box shape before clipping at the image end
	halo   []int
	dt     nd.DType // input dtype
}

// parseHalo reads --halo: one value for every space axis, or one per
// axis, each >= 0 (0: crops without context on that axis). Channel and
// time axes take no halo: a crop carries them whole.
func parseHalo(s string, space []bool) ([]int, error) {
	rank := len(space)
	bad := func(why string) error {
		return usagef("--halo %q: %s; want one value or %d comma-separated values >= 0", s, why, rank)
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
	if len(v) == 1 {
		one := v[0]
		v = make([]int, rank)
		for i := range v {
			if space[i] {
				v[i] = one
			}
		}
	}
	if len(v) != rank {
		return nil, bad(fmt.Sprintf("%d values for a %d-d image", len(v), rank))
	}
	for i, x := range v {
		if x > 0 && !space[i] {
			return nil, bad(fmt.Sprintf("axis %d is not a space axis and takes no halo", i))
		}
	}
	return v, nil
}

// startExec starts the model server; timeout bounds each response (0: no
// limit).
func startExec(ctx context.Context, cmdline string, src *source, halo, shard, chunks []int, out nd.DType, batch, inflight int, timeout time.Duration) (*execRun, error) {
	unit := chunks
	if shard != nil {
		unit = shard
	}
	cctx, cancel := context.WithCancel(ctx)
	p, err := child.Start(cctx, []string{"/bin/sh", "-c", cmdline}, child.Options{Inflight: inflight, Timeout: timeout})
	if err != nil {
		cancel()
		return nil, err
	}
	e := &execRun{proc: p, cancel: cancel, unit: unit, halo: halo, dt: src.r.DType()}
	e.bt = child.NewBatcher(cctx, p, batch, 50*time.Millisecond, out, halo, src.r.Shape())
	return e, nil
}

// apply computes one task: it pads the task's block to the full crop
// (unit + 2*halo), sends it through the batcher and keeps the centre.
func (e *execRun) apply(ctx context.Context, block nd.Any, blockBox, out nd.Box) (nd.Any, error) {
	r := out.Rank()
	crop := nd.Box{Min: make([]int, r), Max: make([]int, r)} // image coordinates
	for i := range r {
		crop.Min[i] = out.Min[i] - e.halo[i]
		crop.Max[i] = out.Min[i] + e.unit[i] + e.halo[i]
	}
	// The block is the crop clipped to the image, so the crop reaches
	// outside the block only where it leaves the image: mirroring about
	// the block's edges there is mirroring about the image's.
	buf := nd.NewAny(e.dt, crop.Shape(), nd.C)
	neg := make([]int, r)
	for i := range neg {
		neg[i] = -blockBox.Min[i]
	}
	blk, ok := block.(nd.Reader)
	if !ok {
		return nil, fmt.Errorf("exec: block of type %T cannot be read", block)
	}
	if err := tile.ReadCropAny(blk, crop.Translate(neg), tile.Symmetric, 0, buf); err != nil {
		return nil, err
	}
	res, err := e.bt.Do(ctx, buf, crop.Min)
	if errors.Is(err, child.ErrTimeout) {
		return nil, fmt.Errorf("--exec-timeout exceeded (raise it if the model needs longer): %w", err)
	}
	if err != nil {
		return nil, err
	}
	keep := nd.Box{Min: make([]int, r), Max: make([]int, r)}
	for i := range r {
		keep.Min[i] = e.halo[i]
		keep.Max[i] = e.halo[i] + out.Max[i] - out.Min[i]
	}
	return res.View(keep), nil
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
