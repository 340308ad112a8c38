package pyramid

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/progress"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/synth"
	"github.com/ryomen-dev/ryomen/zarr"
)

var axes = []nd.Axis{{Name: "z", Type: nd.Space}, {Name: "y", Type: nd.Space}, {Name: "x", Type: nd.Space}}

func readAll(t *testing.T, r nd.Reader) nd.Any {
	t.Helper()
	a := nd.NewAny(r.DType(), r.Shape(), nd.C)
	if err := r.ReadRegion(nd.BoxOf(r.Shape()), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func bytesOf(t *testing.T, a nd.Any) []byte {
	b, ok := nd.AsBytes(a)
	if !ok {
		t.Fatal("not contiguous")
	}
	return b
}

// reference reduces the whole volume in memory, level by level.
func reference(t *testing.T, src nd.Reader, factors [][]int, red Reduce) [][]byte {
	cur := readAll(t, src)
	out := [][]byte{bytesOf(t, cur)}
	for _, f := range factors {
		sh := cur.Shape()
		for i := range sh {
			sh[i] = (sh[i] + f[i] - 1) / f[i]
		}
		next := nd.NewAny(cur.DType(), sh, nd.C)
		if err := red(next, cur, f); err != nil {
			t.Fatal(err)
		}
		out = append(out, bytesOf(t, next))
		cur = next
	}
	return out
}

func check(t *testing.T, st store.Store, p string, want [][]byte) {
	t.Helper()
	ctx := context.Background()
	img, err := ome.Read(ctx, st, p)
	if err != nil {
		t.Fatalf("no OME metadata: %v", err)
	}
	ds := img.Multiscales[0].Datasets
	if len(ds) != len(want) {
		t.Fatalf("%d levels, want %d", len(ds), len(want))
	}
	for i, d := range ds {
		a, err := zarr.Open(ctx, st, joinPath(p, d.Path))
		if err != nil {
			t.Fatal(err)
		}
		if got := bytesOf(t, readAll(t, a)); !bytes.Equal(got, want[i]) {
			t.Fatalf("level %d differs from the in-memory reference", i)
		}
	}
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "/" + b
}

func vol(t *testing.T) *synth.Volume {
	v, err := synth.New(synth.Params{Shape: []int{37, 70, 66}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestBuildMatchesReference(t *testing.T) {
	v := vol(t)
	factors := [][]int{{1, 2, 2}, {2, 2, 2}, {2, 3, 2}}
	for _, tc := range []struct {
		name   string
		src    nd.Reader
		method string
		shard  []int
		group  int
	}{
		{"mean", v.Image(), "mean", nil, 0},
		{"mode-sharded", v.Labels(), "mode", []int{16, 32, 32}, 0},
		{"stride", v.Image(), "stride", nil, 0},
		{"mean-group2", v.Image(), "mean", nil, 2},
		{"mode-sharded-group3", v.Labels(), "mode", []int{16, 32, 32}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := store.NewMemory()
			o := Options{Store: st, Path: "img", Method: tc.method, Factors: factors, Chunks: []int{8, 16, 16}, Shard: tc.shard, Axes: axes, Memory: 64 << 20, Group: tc.group}
			if _, err := Build(context.Background(), tc.src, o); err != nil {
				t.Fatal(err)
			}
			check(t, st, "img", reference(t, tc.src, factors, Methods[tc.method]))
			img, _ := ome.Read(context.Background(), st, "img")
			if err := img.Multiscales[0].Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Shards run concurrently into one store equal a single run.
func TestShardsEqualSingle(t *testing.T) {
	v := vol(t)
	factors := [][]int{{2, 2, 2}, {2, 2, 2}}
	want := reference(t, v.Image(), factors, Mean)
	st := store.NewMemory()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Build(context.Background(), v.Image(), Options{Store: st, Method: "mean", Factors: factors,
				Chunks: []int{8, 8, 8}, Axes: axes, ShardIndex: i, ShardCount: 3, Workers: 1, Group: 2})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	check(t, st, "", want)
}

// failing stops after n successful reads, like a killed process.
type failing struct {
	nd.Reader
	mu sync.Mutex
	n  int
}

func (f *failing) ReadRegion(b nd.Box, dst nd.Any) error {
	f.mu.Lock()
	f.n--
	n := f.n
	f.mu.Unlock()
	if n < 0 {
		return errors.New("boom")
	}
	return f.Reader.ReadRegion(b, dst)
}

func TestResume(t *testing.T) {
	v := vol(t)
	factors := [][]int{{2, 2, 2}}
	st := store.NewMemory()
	o := Options{Store: st, Method: "mean", Factors: factors, Chunks: []int{8, 8, 8}, Axes: axes, Workers: 1}
	if _, err := Build(context.Background(), &failing{Reader: v.Image(), n: 20}, o); err == nil {
		t.Fatal("want an error")
	}
	if _, err := ome.Read(context.Background(), st, ""); err == nil {
		t.Fatal("an interrupted run claims to be complete")
	}
	if _, err := Build(context.Background(), v.Image(), o); !errors.Is(err, ErrExists) {
		t.Fatalf("rerun without --resume: %v, want ErrExists", err)
	}
	o.Resume = true
	o.Progress = new(progress.Counter)
	if _, err := Build(context.Background(), v.Image(), o); err != nil {
		t.Fatal(err)
	}
	if s := o.Progress.Skipped.Load(); s != 20 {
		t.Errorf("skipped %d tasks, want 20", s)
	}
	check(t, st, "", reference(t, v.Image(), factors, Mean))
	// Resuming a complete output of the same plan has nothing to do.
	if _, err := Build(context.Background(), v.Image(), o); !errors.Is(err, ErrComplete) {
		t.Fatalf("resume of a complete output: %v, want ErrComplete", err)
	}
	// A different plan on the same output is refused, naming what differs.
	o.Factors = [][]int{{1, 2, 2}}
	if _, err := Build(context.Background(), v.Image(), o); !errors.Is(err, ErrPlanChanged) || !strings.Contains(err.Error(), "factors was [[2,2,2]], now [[1,2,2]]") {
		t.Fatalf("complete output, other plan: %v, want ErrPlanChanged naming the factors", err)
	}
	o.Resume = false
	if _, err := Build(context.Background(), v.Image(), o); !errors.Is(err, ErrExists) {
		t.Fatalf("complete output without resume: %v, want ErrExists", err)
	}
}

func TestRefusals(t *testing.T) {
	v := vol(t)
	st := store.NewMemory()
	st.Put(context.Background(), "0/zarr.json", []byte("{}"))
	o := Options{Store: st, Method: "mean", Factors: [][]int{{2, 2, 2}}, Chunks: []int{8, 8, 8}, Axes: axes}
	if _, err := Build(context.Background(), v.Image(), o); !errors.Is(err, ErrExists) {
		t.Errorf("foreign output: %v", err)
	}
	o.Store = store.NewMemory()
	o.Memory = 1000
	if _, err := Build(context.Background(), v.Image(), o); !errors.Is(err, ErrBudget) {
		t.Errorf("tiny budget: %v", err)
	}
	o.Memory = 0
	o.Method = "mode"
	v2, _ := synth.New(synth.Params{Shape: []int{8, 8, 8}})
	img := readAll(t, v2.Image())
	f := nd.NewAny(nd.Float32, img.Shape(), nd.C)
	nd.ConvertAny(f, img)
	if _, err := Build(context.Background(), f.(nd.Reader), o); err == nil {
		t.Error("mode on float32 accepted")
	}
}

func TestAutoFactors(t *testing.T) {
	// z voxels are 4x coarser: z waits two levels.
	got := AutoFactors([]int{100, 1000, 1000}, []float64{4, 1, 1}, []bool{true, true, true}, []int{64, 64, 64}, 4)
	want := [][]int{{1, 2, 2}, {1, 2, 2}, {2, 2, 2}}
	if len(got) != len(want) {
		t.Fatalf("got %v want %v", got, want)
	}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("got %v want %v", got, want)
			}
		}
	}
	if n := len(FixedFactors([]int{256, 256, 256}, []int{2, 2, 2}, []int{64, 64, 64}, 0)); n != 2 {
		t.Errorf("FixedFactors gave %d levels beyond 0, want 2", n)
	}
}

// A fused plan (phase 0 also computes the first levels from the source
// blocks) writes the same bytes as the plain one, reads the source once
// and never reads level 0 back; a killed fused run resumes to the same
// bytes. NewPlanAuto fuses when the budget allows as many tasks at once.
func TestFusedEqualsPlain(t *testing.T) {
	ctx := context.Background()
	v, err := synth.New(synth.Params{Shape: []int{40, 72, 88}, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	src := v.Image()
	chunks := []int{8, 16, 16}
	factors := FixedFactors(src.Shape(), []int{2, 2, 2}, chunks, 4)
	for _, tc := range []struct {
		method string
		shard  []int
		group  int
	}{{"mean", nil, 1}, {"mode", []int{16, 32, 32}, 1}, {"mean", []int{8, 32, 16}, 2}} {
		plain, fused := store.NewMemory(), store.NewMemory()
		o := Options{Method: tc.method, Factors: factors, Chunks: chunks, Shard: tc.shard, Axes: axes, Workers: 2}
		o.Store, o.Group = plain, tc.group
		if _, err := Build(ctx, src, o); err != nil {
			t.Fatal(err)
		}
		reads := &countingReader{Reader: src}
		o.Store, o.Group = fused, 0
		p, err := Build(ctx, reads, o)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Fused {
			t.Fatalf("%s: auto plan not fused with no budget", tc.method)
		}
		if n, want := reads.voxels.Load(), int64(40*72*88); n != want {
			t.Errorf("%s: fused build read %d source voxels, want each of the %d once", tc.method, n, want)
		}
		for l := range p.Shapes {
			a, b := readLevel(t, plain, l), readLevel(t, fused, l)
			if !bytes.Equal(a, b) {
				t.Errorf("%s shard %v: level %d differs between the plain and the fused plan", tc.method, tc.shard, l)
			}
		}
	}
	// Killed after 3 fused phase-0 tasks, then resumed.
	st := store.NewMemory()
	o := Options{Store: st, Method: "mean", Factors: factors, Chunks: chunks, Axes: axes, Workers: 1}
	if _, err := Build(ctx, &failing{Reader: src, n: 3}, o); err == nil {
		t.Fatal("want an error")
	}
	o.Resume = true
	if _, err := Build(ctx, src, o); err != nil {
		t.Fatal(err)
	}
	ref := store.NewMemory()
	o.Store, o.Resume = ref, false
	if _, err := Build(ctx, src, o); err != nil {
		t.Fatal(err)
	}
	for l := range len(factors) + 1 {
		if !bytes.Equal(readLevel(t, st, l), readLevel(t, ref, l)) {
			t.Errorf("resumed fused build: level %d differs", l)
		}
	}
	// The plan (128x512x512 shards of uint8 under 1 GiB) keeps
	// two phase-0 tasks at once: a fused task would allow only one.
	shape := []int{1024, 2048, 2048}
	big := FixedFactors(shape, []int{2, 2, 2}, []int{64, 64, 64}, 4)
	p, err := NewPlanAuto(nd.Uint8, shape, big, []int{64, 64, 64}, []int{128, 512, 512}, 0, 1<<30)
	if err != nil || p.Fused {
		t.Errorf("1 GiB, 128x512x512 shards: fused %v (%v), want the plain plan", p != nil && p.Fused, err)
	}
	p, err = NewPlanAuto(nd.Uint8, shape, big, []int{64, 64, 64}, nil, 0, 1<<30)
	if err != nil || !p.Fused {
		t.Errorf("1 GiB, 64^3 chunks: fused %v (%v), want fused", p != nil && p.Fused, err)
	}
	// 128x1024x1024 in 128x512x512 shards: the plain phase 0 has 4 tasks,
	// 2 at once; the fused one would have a single task: plain.
	small := []int{128, 1024, 1024}
	p, err = NewPlanAuto(nd.Uint8, small, FixedFactors(small, []int{2, 2, 2}, []int{64, 128, 128}, 4), []int{64, 128, 128}, []int{128, 512, 512}, 0, 1<<30)
	if err != nil || p.Fused {
		t.Errorf("one fused task against 4 plain ones: fused %v (%v), want the plain plan", p != nil && p.Fused, err)
	}
}

// countingReader counts the voxels read from a source.
type countingReader struct {
	nd.Reader
	voxels atomic.Int64
}

func (c *countingReader) ReadRegion(b nd.Box, dst nd.Any) error {
	c.voxels.Add(int64(dst.Len()))
	return c.Reader.ReadRegion(b, dst)
}

// readLevel returns the bytes of level l of the image at the store root.
func readLevel(t *testing.T, st store.Store, l int) []byte {
	t.Helper()
	a, err := zarr.Open(context.Background(), st, strconv.Itoa(l))
	if err != nil {
		t.Fatal(err)
	}
	buf := nd.NewAny(a.DType(), a.Shape(), nd.C)
	if err := a.ReadRegion(nd.BoxOf(a.Shape()), buf); err != nil {
		t.Fatal(err)
	}
	b, _ := nd.AsBytes(buf)
	return b
}
