package pyramid

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/synth"
	"github.com/ryomen-dev/ryomen/zarr"
)

// logStore records the order of deletions and can fail after a number of
// them, as a kill would stop a run.
type logStore struct {
	store.Store
	mu        sync.Mutex
	deleted   []string
	failAfter int // fail deletes after this many (0: never)
}

func (s *logStore) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAfter > 0 && len(s.deleted) >= s.failAfter {
		return errors.New("killed")
	}
	s.deleted = append(s.deleted, key)
	return s.Store.Delete(ctx, key)
}

func buildOpts(st store.Store, seed string) Options {
	return Options{Store: st, Method: "mean", Factors: [][]int{{2, 2, 2}}, Chunks: []int{8, 8, 8}, Axes: axes, Workers: 2,
		Source: Source{Location: "synth:37x70x66?seed=" + seed}}
}

// TestOverwriteRefusesForeignFiles: a user's file in a numeric folder
// stops an overwrite before anything is deleted.
func TestOverwriteRefusesForeignFiles(t *testing.T) {
	ctx := context.Background()
	v := vol(t)
	ls := &logStore{Store: store.NewMemory()}
	o := buildOpts(ls, "1")
	if _, err := Build(ctx, v.Image(), o); err != nil {
		t.Fatal(err)
	}
	ls.Put(ctx, "2024/thesis.txt", []byte("four years"))
	o.Overwrite = true
	_, err := Build(ctx, v.Image(), o)
	if !errors.Is(err, ErrForeign) || !strings.Contains(err.Error(), "2024/thesis.txt") {
		t.Fatalf("overwrite over a user file: %v, want ErrForeign naming it", err)
	}
	if len(ls.deleted) != 0 {
		t.Fatalf("deleted %v before refusing", ls.deleted)
	}
	check(t, ls, "", reference(t, v.Image(), o.Factors, Mean))
	ls.Delete(ctx, "2024/thesis.txt")
	ls.deleted = nil
	if _, err := Build(ctx, v.Image(), o); err != nil {
		t.Fatal(err)
	}
	// The completion marker goes first, the run record second.
	if len(ls.deleted) < 2 || ls.deleted[0] != "zarr.json" || ls.deleted[1] != ".ryomen/plan.json" {
		t.Fatalf("deletion order starts %v", ls.deleted[:min(3, len(ls.deleted))])
	}
}

// TestOverwriteKilled stops an overwrite after each number of deletions
// and checks the output never looks complete afterwards, and that a
// resume with the old plan either refuses or rebuilds the same bytes.
func TestOverwriteKilled(t *testing.T) {
	ctx := context.Background()
	v := vol(t)
	want := reference(t, v.Image(), [][]int{{2, 2, 2}}, Mean)
	for _, n := range []int{1, 2, 3, 10, 50} {
		ls := &logStore{Store: store.NewMemory()}
		o := buildOpts(ls, "1")
		if _, err := Build(ctx, v.Image(), o); err != nil {
			t.Fatal(err)
		}
		ls.failAfter = n
		o.Overwrite = true
		if _, err := Build(ctx, v.Image(), o); err == nil {
			t.Fatalf("kill after %d deletes: no error", n)
		}
		if o.job(nil).Complete(ctx) {
			t.Fatalf("kill after %d deletes: output still looks complete", n)
		}
		ls.failAfter = 0
		o.Overwrite, o.Resume = false, true
		_, err := Build(ctx, v.Image(), o)
		switch {
		case err == nil:
			check(t, ls, "", want)
		case errors.Is(err, ErrExists):
			// The run record is gone: nothing claims the remains.
		default:
			t.Fatalf("kill after %d deletes, resume: %v", n, err)
		}
	}
}

// TestUnrelatedRunsRace starts two builds of different inputs on one empty
// output at once, 20 times: exactly one may proceed, and the output is
// then exactly that input's pyramid.
func TestUnrelatedRunsRace(t *testing.T) {
	ctx := context.Background()
	v1, v2 := vol(t), vol2(t)
	for i := range 20 {
		st := store.NewMemory()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for k, v := range []*synth.Volume{v1, v2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[k] = Build(ctx, v.Image(), buildOpts(st, fmt.Sprint(k+1)))
			}()
		}
		wg.Wait()
		ok := 0
		for k, err := range errs {
			if err == nil {
				ok++
				check(t, st, "", reference(t, []*synth.Volume{v1, v2}[k].Image(), [][]int{{2, 2, 2}}, Mean))
			} else if !errors.Is(err, ErrExists) {
				t.Fatalf("try %d: %v", i, err)
			}
		}
		if ok != 1 {
			t.Fatalf("try %d: %d runs succeeded, want 1 (%v)", i, ok, errs)
		}
	}
}

// TestResumeOtherInput: an unfinished run of one input cannot be resumed
// with another of the same shape and dtype.
func TestResumeOtherInput(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	o := buildOpts(st, "1")
	if _, err := Build(ctx, &failing{Reader: vol(t).Image(), n: 5}, o); err == nil {
		t.Fatal("want an error")
	}
	o2 := buildOpts(st, "2")
	o2.Resume = true
	_, err := Build(ctx, vol2(t).Image(), o2)
	if !errors.Is(err, ErrPlanChanged) || !strings.Contains(err.Error(), "seed=1, now synth:37x70x66?seed=2") {
		t.Fatalf("resume with another input: %v", err)
	}
	o2.Source = o.Source
	o2.Source.Fingerprint = "sha256:other"
	if _, err := Build(ctx, vol(t).Image(), o2); !errors.Is(err, ErrPlanChanged) || !strings.Contains(err.Error(), "changed since") {
		t.Fatalf("resume with a changed input: %v", err)
	}
}

// TestTakenOver: when another run replaces the run record mid-build, the
// build does not mark the output complete.
func TestTakenOver(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	o := buildOpts(st, "1")
	hijack := &hijacker{Reader: vol(t).Image(), st: st}
	if _, err := Build(ctx, hijack, o); !errors.Is(err, ErrTakenOver) {
		t.Fatalf("build with a replaced run record: %v, want ErrTakenOver", err)
	}
	if o.job(nil).Complete(ctx) {
		t.Fatal("output marked complete")
	}
}

type hijacker struct {
	nd.Reader
	st   store.Store
	once sync.Once
}

func (h *hijacker) ReadRegion(b nd.Box, dst nd.Any) error {
	h.once.Do(func() { h.st.Put(context.Background(), ".ryomen/plan.json", []byte(`{"someone":"else"}`)) })
	return h.Reader.ReadRegion(b, dst)
}

// TestExistingArrayRefused: any Zarr node at the output, an array or a
// group, counts as existing.
func TestExistingArrayRefused(t *testing.T) {
	ctx := context.Background()
	for _, fmtv := range []int{2, 3} {
		st := store.NewMemory()
		if _, err := zarr.Create(ctx, st, "", zarr.Meta{ZarrFormat: fmtv, Shape: []int{4}, Chunks: []int{4}, DType: nd.Uint8}, nil); err != nil {
			t.Fatal(err)
		}
		before, _ := st.List(ctx, "")
		_, err := Build(ctx, vol(t).Image(), buildOpts(st, "1"))
		if !errors.Is(err, ErrExists) {
			t.Fatalf("v%d array at the output: %v", fmtv, err)
		}
		after, _ := st.List(ctx, "")
		if !slices.Equal(before, after) {
			t.Fatalf("v%d: keys changed from %v to %v", fmtv, before, after)
		}
		if _, err := ome.Read(ctx, st, ""); err == nil {
			t.Fatal("array turned into an image")
		}
	}
}

func vol2(t *testing.T) *synth.Volume {
	v, err := synth.New(synth.Params{Shape: []int{37, 70, 66}, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestFloat16AndBoolPyramids: float16 images reduce in float32 and round
// once to float16; bool labels reduce as uint8 (mode), and a mean of bool
// is refused.
func TestFloat16AndBoolPyramids(t *testing.T) {
	h := nd.New[nd.Float16]([]int{2, 4}, nd.C)
	vals := []float32{0.1, 0.2, 1000, 1001, 3, 3, -65504, 65504}
	for i, v := range vals {
		h.Data()[i] = nd.Float16FromFloat32(v)
	}
	out := nd.New[nd.Float16]([]int{1, 2}, nd.C)
	if err := Methods["mean"](out, h, []int{2, 2}); err != nil {
		t.Fatal(err)
	}
	for j, want := range []float32{(h.Data()[0].Float32() + h.Data()[1].Float32() + h.Data()[4].Float32() + h.Data()[5].Float32()) / 4,
		(h.Data()[2].Float32() + h.Data()[3].Float32() + h.Data()[6].Float32() + h.Data()[7].Float32()) / 4} {
		if got := out.Data()[j]; got != nd.Float16FromFloat32(want) {
			t.Errorf("mean %d: %v, want %v", j, got.Float32(), nd.Float16FromFloat32(want).Float32())
		}
	}
	b := nd.New[nd.Bool]([]int{2, 2}, nd.C)
	copy(b.Data(), []nd.Bool{1, 1, 1, 0})
	bo := nd.New[nd.Bool]([]int{1, 1}, nd.C)
	if err := Methods["mode"](bo, b, []int{2, 2}); err != nil || bo.Data()[0] != 1 {
		t.Fatalf("bool mode: %v %v", bo.Data(), err)
	}
	if err := Methods["mean"](bo, b, []int{2, 2}); err == nil {
		t.Fatal("mean of bool accepted")
	}
}

// TestPhaseWorkers: with the sharded plan (128x512x512 shards of
// uint8) and the default 1 GiB budget, copying level 0 runs two tasks at
// once although a reduction task admits only one; no phase's estimate
// exceeds TaskBytes, which Budget checks.
func TestPhaseWorkers(t *testing.T) {
	p, err := NewPlanGroup(nd.Uint8, []int{1024, 2048, 2048}, FixedFactors([]int{1024, 2048, 2048}, []int{2, 2, 2}, []int{64, 64, 64}, 4), []int{64, 64, 64}, []int{128, 512, 512}, 1)
	if err != nil {
		t.Fatal(err)
	}
	o := &Options{Memory: 1 << 30, Workers: 2, ShardCount: 1}
	least, err := Budget(p, o.Memory, o.Workers)
	if err != nil {
		t.Fatal(err)
	}
	if least != 1 {
		t.Fatalf("Budget admits %d reduction tasks, want 1 (the case the issue measured)", least)
	}
	j := o.job(p)
	phases := p.phases(nil, nil, nil, 0)
	phaseWorkers := func(i int) int {
		n, err := j.PhaseWorkers(phases[i], phases...)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := phaseWorkers(0); got != 2 {
		t.Errorf("level-0 copy runs %d tasks at once, want 2 (%d bytes each)", got, p.PhaseTaskBytes(&p.Phases[0]))
	}
	for i := range p.Phases {
		if b := p.PhaseTaskBytes(&p.Phases[i]); b > p.TaskBytes() {
			t.Errorf("phase %d needs %d bytes, more than TaskBytes %d", i, b, p.TaskBytes())
		}
		if n := phaseWorkers(i); n < least || n > 2 {
			t.Errorf("phase %d: %d workers", i, n)
		}
	}
}
