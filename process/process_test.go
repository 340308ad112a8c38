package process

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/pyramid"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/synth"
	"github.com/ryomen-dev/ryomen/tile"
	"github.com/ryomen-dev/ryomen/zarr"
)

// volume is a synthetic uint16 volume in memory.
func volume(t testing.TB, shape []int) *nd.Array[uint16] {
	t.Helper()
	v, err := synth.New(synth.Params{Shape: shape, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	a := nd.New[uint16](shape, nd.C)
	if err := v.Image().ReadRegion(nd.BoxOf(shape), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// mapRef is tile.Map of fn over img in memory, one worker: the reference.
func mapRef(t *testing.T, p *tile.Plan, img *nd.Array[uint16], fn tile.AnyFunc, merge tile.Merge) *nd.Array[float32] {
	t.Helper()
	out := nd.New[float32](p.OutShape(), nd.C)
	if err := tile.Map(context.Background(), p, img, out, tile.FuncOf[uint16, float32](fn), tile.Options{Workers: 1, Merge: merge}); err != nil {
		t.Fatal(err)
	}
	return out
}

func readLevel(t *testing.T, st store.Store, path string) *nd.Array[float32] {
	t.Helper()
	a, err := zarr.Open(context.Background(), st, path)
	if err != nil {
		t.Fatal(err)
	}
	out := nd.New[float32](a.Shape(), nd.C)
	if err := a.ReadRegion(nd.BoxOf(a.Shape()), out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Run out of core, with output chunks and shards that the crops do not
// line up with, equals tile.Map of the same function in memory bit for
// bit, for pasting and blending; a run killed part way and resumed gives
// the same bytes.
func TestRunEqualsMap(t *testing.T) {
	shape := []int{40, 70, 66}
	img := volume(t, shape)
	for _, merge := range []tile.Merge{tile.Paste, tile.BlendGaussian} {
		p, err := tile.New(shape, tile.Spec{Crop: []int{24, 40, 36}, Margin: []int{4, 6, 5}, Border: tile.Symmetric})
		if err != nil {
			t.Fatal(err)
		}
		sigma := []float64{1, 1.2, 1.2}
		want := mapRef(t, p, img, Gaussian(sigma, merge).Func, merge)
		axes := nd.DefaultAxes(3)
		for _, cache := range []int64{0, 8 << 20} {
			st := store.NewMemory()
			op := Gaussian(sigma, merge)
			o := Options{Plan: p, Func: op.Func, OutDType: op.OutDType, Recycle: op.Recycle, BatchSize: 3, Merge: merge,
				CacheBytes: cache, InputChunks: []int{16, 16, 16},
				Output: pyramid.Options{Store: st, Path: "out", Chunks: []int{16, 32, 16}, Shard: []int{32, 32, 32}, Axes: axes,
					Method: "apply", Memory: 64 << 20, Workers: 2}}
			if _, err := Run(context.Background(), img, o); err != nil {
				t.Fatal(err)
			}
			if got := readLevel(t, st, "out/0"); !slices.Equal(got.Data(), want.Data()) {
				t.Errorf("merge %v, cache %d: out-of-core result differs from tile.Map", merge, cache)
			}
		}
		// Killed after 20 crops, then resumed.
		st := store.NewMemory()
		var calls atomic.Int64
		op := Gaussian(sigma, merge)
		failing := func(ctx context.Context, ts []tile.Tile, cs []nd.Any) ([]nd.Any, error) {
			if calls.Add(int64(len(cs))) > 20 {
				return nil, errors.New("killed")
			}
			return op.Func(ctx, ts, cs)
		}
		o := Options{Plan: p, Func: failing, OutDType: nd.Float32, Merge: merge,
			Output: pyramid.Options{Store: st, Chunks: []int{16, 16, 16}, Axes: axes, Method: "apply", Workers: 1}}
		if _, err := Run(context.Background(), img, o); err == nil {
			t.Fatal("killed run succeeded")
		}
		o.Func, o.Output.Resume = op.Func, true
		if _, err := Run(context.Background(), img, o); err != nil {
			t.Fatal(err)
		}
		if got := readLevel(t, st, "0"); !slices.Equal(got.Data(), want.Data()) {
			t.Errorf("merge %v: resumed result differs from tile.Map", merge)
		}
	}
}

// With Factors the result gets a pyramid: level 1 is the mean of level 0.
func TestRunPyramid(t *testing.T) {
	shape := []int{16, 32, 32}
	img := volume(t, shape)
	p, err := tile.New(shape, tile.Spec{Crop: []int{16, 16, 16}, Margin: []int{2, 2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewMemory()
	op := Gaussian([]float64{1, 1, 1}, tile.Paste)
	o := Options{Plan: p, Func: op.Func, OutDType: op.OutDType,
		Output: pyramid.Options{Store: st, Chunks: []int{8, 8, 8}, Axes: nd.DefaultAxes(3), Method: "mean", Factors: [][]int{{2, 2, 2}}}}
	if _, err := Run(context.Background(), img, o); err != nil {
		t.Fatal(err)
	}
	l0, l1 := readLevel(t, st, "0"), readLevel(t, st, "1")
	var s float32
	for dz := range 2 {
		for dy := range 2 {
			for dx := range 2 {
				s += l0.At(2+dz, 4+dy, 6+dx)
			}
		}
	}
	if got := l1.At(1, 2, 3); got != s/8 {
		t.Errorf("level 1 at (1,2,3) = %v, want the mean of its 8 voxels %v", got, s/8)
	}
}
