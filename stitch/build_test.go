package stitch

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/tile"
	"github.com/ryomen-dev/ryomen/zarr"
)

func buildOptions(st store.Store, shape []int) pyramid.Options {
	chunks := []int{8, 13, 16} // unrelated to every crop and Dest box
	return pyramid.Options{Store: st, Path: "out", Chunks: chunks, Axes: nd.DefaultAxes(3), Memory: 256 << 20,
		Factors: pyramid.FixedFactors(shape, []int{2, 2, 2}, chunks, 2)}
}

// level reads level i of the OME-Zarr image at out.
func level(t *testing.T, st store.Store, i int) nd.Any {
	t.Helper()
	ctx := context.Background()
	img, err := ome.Read(ctx, st, "out")
	if err != nil {
		t.Fatal(err)
	}
	ds := img.Multiscales[0].Datasets
	if len(ds) < 2 || img.Multiscales[0].Type != "mode" {
		t.Fatalf("%d levels of type %q, want a mode pyramid", len(ds), img.Multiscales[0].Type)
	}
	a, err := zarr.Open(ctx, st, "out/"+ds[i].Path)
	if err != nil {
		t.Fatal(err)
	}
	v := nd.NewAny(a.DType(), a.Shape(), nd.C)
	if err := a.ReadRegion(nd.BoxOf(a.Shape()), v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Build on the engine (stitch phases in the pyramid's claimed job,
// scratch under OUT/.ryomen/stitch) writes an OME-Zarr mode pyramid whose
// level 0 equals Map's labels byte for byte, for every rule.
func TestBuildEqualsMap(t *testing.T) {
	ctx := context.Background()
	for _, c := range jobCases(t) {
		t.Run(c.name, func(t *testing.T) {
			want, _, err := Map(ctx, c.p, c.src, c.fn, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			mem := store.NewMemory()
			if _, err := Build(ctx, c.p, c.src, c.fn, c.opt, buildOptions(mem, c.p.OutShape())); err != nil {
				t.Fatal(err)
			}
			got := level(t, mem, 0)
			if got.DType() != want.DType() || !bytes.Equal(anyBytes(t, got), anyBytes(t, want)) {
				t.Fatalf("level 0 (%v) differs from Map's labels (%v)", got.DType(), want.DType())
			}
			if keys, _ := mem.List(ctx, "out/.ryomen/stitch/t/"); len(keys) != 2*c.p.Len() {
				t.Errorf("%d scratch keys for %d tiles", len(keys), c.p.Len())
			}
		})
	}
}

// A Build that fails part of the way through the tiles and is resumed
// redoes only the missing tiles and ends with the labels of a clean run;
// resuming with another rule is refused.
func TestBuildResume(t *testing.T) {
	ctx := context.Background()
	c := jobCases(t)[0]
	want, _, err := Map(ctx, c.p, c.src, c.fn, c.opt)
	if err != nil {
		t.Fatal(err)
	}
	mem := store.NewMemory()
	var calls atomic.Int64
	stop := errors.New("killed")
	limit := atomic.Int64{}
	limit.Store(9)
	fn := func(ctx context.Context, ts []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		if calls.Add(1) > limit.Load() {
			return nil, stop
		}
		return c.fn(ctx, ts, crops)
	}
	o := buildOptions(mem, c.p.OutShape())
	o.Workers = 1
	if _, err := Build(ctx, c.p, c.src, fn, c.opt, o); !errors.Is(err, stop) {
		t.Fatalf("first run: %v", err)
	}
	o.Resume = true
	other := c.opt
	other.Rule = Touch
	if _, err := Build(ctx, c.p, c.src, c.fn, other, o); !errors.Is(err, pyramid.ErrPlanChanged) {
		t.Errorf("resume with another rule: %v", err)
	}
	calls.Store(0)
	limit.Store(1 << 40)
	if _, err := Build(ctx, c.p, c.src, fn, c.opt, o); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != int64(c.p.Len()-9) {
		t.Errorf("resumed run computed %d tiles, want %d", n, c.p.Len()-9)
	}
	if got := level(t, mem, 0); !bytes.Equal(anyBytes(t, got), anyBytes(t, want)) {
		t.Fatal("resumed labels differ from a clean run's")
	}
}

// Two shards of one Build on one store (the engine's sharding with work
// stealing runs the stitch phases too) both finish, and the labels equal
// Map's.
func TestBuildShards(t *testing.T) {
	ctx := context.Background()
	c := jobCases(t)[3] // own: spills read from neighbours' records
	want, _, err := Map(ctx, c.p, c.src, c.fn, c.opt)
	if err != nil {
		t.Fatal(err)
	}
	mem := store.NewMemory()
	errs := make(chan error, 2)
	for s := range 2 {
		go func() {
			o := buildOptions(mem, c.p.OutShape())
			o.ShardIndex, o.ShardCount = s, 2
			_, err := Build(ctx, c.p, c.src, c.fn, c.opt, o)
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil && !errors.Is(err, pyramid.ErrComplete) {
			t.Fatal(err)
		}
	}
	if got := level(t, mem, 0); !bytes.Equal(anyBytes(t, got), anyBytes(t, want)) {
		t.Fatal("sharded labels differ from Map's")
	}
}

// The solve phase's declared memory: the worst case (a face label per
// shared voxel) unless SolveBytes is smaller; then the solver is held to
// the face labels that fit and fails with ErrBudget naming their count
// when the real labels need more, and succeeds (equal to Map) when they
// fit.
func TestSolveBytes(t *testing.T) {
	ctx := context.Background()
	c := jobCases(t)[0] // blobs, overlap
	want, _, err := Map(ctx, c.p, c.src, c.fn, c.opt)
	if err != nil {
		t.Fatal(err)
	}
	newJob := func(opt Options) *Job {
		j, err := NewJob(c.p, c.src, c.fn, opt, store.NewMemory(), "s")
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	worst := newJob(c.opt).solveBytes()
	if got := newJob(c.opt).Phases()[1].TaskBytes; got != worst {
		t.Errorf("no SolveBytes: declares %d, want the worst case %d", got, worst)
	}
	// A budget well below the worst case but above what the blobs' few
	// labels need: declared as given, and the result is Map's.
	small := c.opt
	small.SolveBytes = newJob(c.opt).windowBytes() + 64<<10
	if small.SolveBytes >= worst {
		t.Fatalf("test case: window %d + 64 KiB is not below the worst case %d", small.SolveBytes-64<<10, worst)
	}
	j := newJob(small)
	if got := j.Phases()[1].TaskBytes; got != small.SolveBytes {
		t.Errorf("SolveBytes %d: declares %d", small.SolveBytes, got)
	}
	mem := store.NewMemory()
	o := buildOptions(mem, c.p.OutShape())
	if _, err := Build(ctx, c.p, c.src, c.fn, small, o); err != nil {
		t.Fatal(err)
	}
	if got := level(t, mem, 0); !bytes.Equal(anyBytes(t, got), anyBytes(t, want)) {
		t.Error("with SolveBytes: labels differ from Map")
	}
	// Room for 10 face labels only: refused, naming the count.
	tiny := c.opt
	tiny.SolveBytes = newJob(c.opt).windowBytes() + 10*faceLabelBytes
	_, err = Build(ctx, c.p, c.src, c.fn, tiny, buildOptions(store.NewMemory(), c.p.OutShape()))
	if !errors.Is(err, pyramid.ErrBudget) || !strings.Contains(err.Error(), "labels on the boxes they share") {
		t.Errorf("10 face labels allowed: %v, want ErrBudget naming the labels", err)
	}
}
