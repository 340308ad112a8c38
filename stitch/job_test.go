package stitch

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/tile"
)

type jobCase struct {
	name string
	p    *tile.Plan
	src  nd.Reader
	fn   tile.AnyFunc
	opt  Options
}

func jobCases(t *testing.T) []jobCase {
	vol, _, sp := synthCase(t)
	shape := []int{45, 61, 50}
	img := blobs(shape, 21, 0.5)
	bp, err := tile.New(shape, tile.Spec{Crop: []int{16, 20, 18}, Margin: []int{2, 3, 2}, Border: tile.Symmetric, Placement: tile.PullBack})
	if err != nil {
		t.Fatal(err)
	}
	return []jobCase{
		{"blobs/overlap", bp, img, thresholdModel(3), Options{Rule: Overlap}},
		{"blobs/overlap-iou0.3", bp, img, thresholdModel(3), Options{Rule: Overlap, IoU: 0.3}},
		{"blobs/touch", bp, img, thresholdModel(3), Options{Rule: Touch, DType: nd.Uint64}},
		{"synth/own", sp, vol.Image(), truthModel(vol, shiftOdd), Options{Rule: Own}},
		{"synth/overlap", sp, vol.Image(), truthModel(vol, shiftOdd), Options{Rule: Overlap, IoU: 0.5}},
	}
}

// readChunks reads a whole reader box by box on a grid of the given
// chunk shape, into a C-order array.
func readChunks(t *testing.T, r nd.Reader, chunk []int) nd.Any {
	t.Helper()
	shape := r.Shape()
	out := nd.NewAny(r.DType(), shape, nd.C)
	b := nd.BoxOf(chunk)
	var walk func(d int)
	walk = func(d int) {
		if d == len(shape) {
			in := b.Intersect(nd.BoxOf(shape))
			buf := nd.NewAny(r.DType(), in.Shape(), nd.C)
			if err := r.ReadRegion(in, buf); err != nil {
				t.Fatal(err)
			}
			if err := nd.CopyAny(out.View(in), buf); err != nil {
				t.Fatal(err)
			}
			return
		}
		for x := 0; x < shape[d]; x += chunk[d] {
			b.Min[d], b.Max[d] = x, x+chunk[d]
			walk(d + 1)
		}
	}
	walk(0)
	return out
}

func anyBytes(t *testing.T, a nd.Any) []byte {
	t.Helper()
	b, ok := nd.AsBytes(a)
	if !ok {
		t.Fatal("not contiguous")
	}
	return b
}

// The out-of-core job (records in a store, solution, relabelling reader)
// gives Map's labels byte for byte for every rule, read on a chunk grid
// that has nothing to do with the crops; two shards on one store agree.
func TestJobEqualsMap(t *testing.T) {
	ctx := context.Background()
	for _, c := range jobCases(t) {
		t.Run(c.name, func(t *testing.T) {
			want, st, err := Map(ctx, c.p, c.src, c.fn, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			mem := store.NewMemory()
			j, err := NewJob(c.p, c.src, c.fn, c.opt, mem, "out/.ryomen/stitch")
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for s := range 2 {
				wg.Add(1)
				go func() { defer wg.Done(); errs[s] = j.Run(ctx, 2, s, 2) }()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			lab, err := j.Labels(ctx, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if lab.Stats().Objects != st.Objects || lab.DType() != want.DType() {
				t.Fatalf("job: %+v, Map: %+v", lab.Stats(), st)
			}
			got := readChunks(t, lab, []int{7, 9, 11})
			if !bytes.Equal(anyBytes(t, got), anyBytes(t, want)) {
				t.Fatal("the job's labels differ from Map's")
			}
		})
	}
}

// A run stopped after a few tiles and resumed redoes only the tiles whose
// records are missing and ends with the labels of a clean run; a
// corrupted record is an error naming its key.
func TestJobResume(t *testing.T) {
	ctx := context.Background()
	c := jobCases(t)[0]
	want, _, err := Map(ctx, c.p, c.src, c.fn, c.opt)
	if err != nil {
		t.Fatal(err)
	}
	mem := store.NewMemory()
	var calls atomic.Int64
	stop := errors.New("killed")
	const first = 7
	fn := func(ctx context.Context, ts []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		if calls.Add(1) > first {
			return nil, stop
		}
		return c.fn(ctx, ts, crops)
	}
	j, err := NewJob(c.p, c.src, fn, c.opt, mem, "scratch")
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Run(ctx, 1, 0, 1); !errors.Is(err, stop) {
		t.Fatalf("first run: %v", err)
	}
	keys, _ := mem.List(ctx, "scratch/")
	if len(keys) != 2*first {
		t.Fatalf("%d keys after %d tiles: %v", len(keys), first, keys)
	}
	calls.Store(-1 << 40)
	if err := j.Run(ctx, 2, 0, 1); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load() + 1<<40; n != int64(c.p.Len()-first) {
		t.Errorf("resumed run computed %d tiles, want %d", n, c.p.Len()-first)
	}
	lab, err := j.Labels(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := readChunks(t, lab, []int{5, 64, 64}); !bytes.Equal(anyBytes(t, got), anyBytes(t, want)) {
		t.Fatal("resumed labels differ from a clean run's")
	}
	mem.Put(ctx, "scratch/solution", []byte("RYSTSOL1 short"))
	if _, err := j.Labels(ctx, 0); err == nil || !strings.Contains(err.Error(), "scratch/solution") {
		t.Errorf("corrupt solution: %v", err)
	}
	mem.Delete(ctx, "scratch/solution")
	mem.Put(ctx, "scratch/t/3/shared", []byte("RYSTREC1\x01"))
	if err := j.Run(ctx, 1, 0, 1); err == nil || !strings.Contains(err.Error(), "scratch/t/3/shared") {
		t.Errorf("corrupt record: %v", err)
	}
}
