package tile

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// mixFunc is a result that depends on the crop's position (its tile
// index), so overlapping crops disagree and blending weights matter.
func mixFunc[U nd.Number](p *Plan) AnyFunc {
	return func(_ context.Context, tiles []Tile, crops []nd.Any) ([]nd.Any, error) {
		out := make([]nd.Any, len(crops))
		for i, c := range crops {
			f := nd.New[float64](c.Shape(), nd.C)
			if err := nd.ConvertAny(f, c); err != nil {
				return nil, err
			}
			d := f.Data()
			for j := range d {
				d[j] = d[j]*0.37 + float64(tiles[i].Index%7) + float64(j%5)*0.125
			}
			y := nd.New[U](p.OutCropShape(), nd.C)
			if !slices.Equal(y.Shape(), f.Shape()) {
				y.Fill(U(tiles[i].Index % 11)) // channel-changing or scaled plans
			} else {
				nd.ConvertClamp(y, f)
			}
			out[i] = y
		}
		return out, nil
	}
}

// typedFunc adapts an AnyFunc to Map's generic Func.
func typedFunc[T, U nd.Number](fn AnyFunc) Func[T, U] {
	return func(ctx context.Context, b Batch[T]) ([]*nd.Array[U], error) {
		cs := make([]nd.Any, len(b.Crops))
		for i, c := range b.Crops {
			cs[i] = c.Clone(nd.C) // the runner's crops are private too
		}
		res, err := fn(ctx, b.Tiles, cs)
		if err != nil {
			return nil, err
		}
		out := make([]*nd.Array[U], len(res))
		for i, y := range res {
			out[i] = y.(*nd.Array[U])
		}
		return out, nil
	}
}

// runnerVsMap computes the output of p box by box (random chunking,
// several goroutines, random cache and batch size) and compares it bit
// for bit with Map on one worker.
func runnerVsMap[U nd.Number](t *testing.T, r *rand.Rand, p *Plan, img *nd.Array[int32], merge Merge, what string) {
	t.Helper()
	fn := mixFunc[U](p)
	want := nd.New[U](p.OutShape(), nd.C)
	if err := Map(context.Background(), p, img, want, typedFunc[int32, U](fn), Options{Workers: 1, Merge: merge, BatchSize: 1 + r.IntN(3)}); err != nil {
		t.Fatalf("%s: Map: %v", what, err)
	}
	opt := BoxOptions{Merge: merge, BatchSize: 1 + r.IntN(4), ReuseCrops: r.IntN(2) == 0}
	if r.IntN(2) == 0 {
		opt.CacheBytes = int64(r.IntN(4)) * int64(want.Len()+64) * 8
	}
	if r.IntN(2) == 0 {
		// Recycled results are poisoned and reused: recycling one that is
		// still needed would corrupt the output.
		var pool sync.Pool
		opt.Recycle = func(y nd.Any) {
			y.(*nd.Array[U]).Fill(77)
			pool.Put(y)
		}
		inner := fn
		fn = func(ctx context.Context, tiles []Tile, crops []nd.Any) ([]nd.Any, error) {
			res, err := inner(ctx, tiles, crops)
			for i, y := range res {
				if old, ok := pool.Get().(nd.Any); ok {
					nd.CopyAny(old, y)
					res[i] = old
				}
			}
			return res, err
		}
	}
	run, err := NewRunner(p, nd.Int32, nd.DTypeOf[U](), fn, opt)
	if err != nil {
		t.Fatal(err)
	}
	out := p.OutShape()
	chunk := make([]int, len(out))
	for i, n := range out {
		chunk[i] = 1 + r.IntN(max(n, 1)+2)
	}
	got := nd.New[U](out, nd.C)
	boxes := gridBoxes(out, chunk)
	var wg sync.WaitGroup
	errs := make([]error, len(boxes))
	for i, b := range boxes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			y, err := run.Box(context.Background(), img, b)
			if err == nil {
				err = got.WriteRegion(b, y)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	equal(t, what, got, want)
}

// Property: Runner.Box over any chunking of the output equals Map (one
// worker) bit for bit, for every border mode, placement and merge mode,
// for narrow (float32-accumulated) and wide output dtypes.
func TestRunnerEqualsMap(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for iter := 0; iter < 150; iter++ {
		shape, nt := randomShape(r)
		s := randomSpec(r, shape, nt)
		p, err := New(shape, s)
		if err != nil {
			t.Fatal(err)
		}
		img := randomImage(r, shape)
		merge := Merge(r.IntN(3))
		what := "iter " + itoa(iter) + " " + s.Border.String() + " merge " + itoa(int(merge))
		switch iter % 4 {
		case 0:
			runnerVsMap[uint8](t, r, p, img, merge, what)
		case 1:
			runnerVsMap[uint16](t, r, p, img, merge, what)
		case 2:
			runnerVsMap[float32](t, r, p, img, merge, what)
		default:
			runnerVsMap[int32](t, r, p, img, merge, what)
		}
	}
}

// The runner handles an output scale and a channel-changing OutLead like
// Map.
func TestRunnerScaleAndChannels(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, merge := range []Merge{Paste, BlendConstant, BlendGaussian} {
		p, err := New([]int{3, 20, 24}, Spec{Crop: []int{8, 12}, Margin: []int{2, 2}, Scale: []Ratio{{2, 1}, {1, 2}}, OutLead: []int{2}})
		if err != nil {
			t.Fatal(err)
		}
		img := randomImage(r, []int{3, 20, 24})
		runnerVsMap[float32](t, r, p, img, merge, "scaled, 3->2 channels")
	}
}

func itoa(i int) string {
	return string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
}

// gridBoxes cuts shape into boxes of chunk (clipped at the end), C order.
func gridBoxes(shape, chunk []int) []nd.Box {
	for _, n := range shape {
		if n == 0 {
			return nil
		}
	}
	var out []nd.Box
	idx := make([]int, len(shape))
	for {
		b := nd.Box{Min: make([]int, len(shape)), Max: make([]int, len(shape))}
		for d := range shape {
			b.Min[d] = idx[d] * chunk[d]
			b.Max[d] = min(b.Min[d]+chunk[d], shape[d])
		}
		out = append(out, b)
		d := len(shape) - 1
		for ; d >= 0; d-- {
			idx[d]++
			if idx[d]*chunk[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
		if d < 0 {
			return out
		}
	}
}

// Rows of the last axis long enough for the vector kernels (which fuse
// the multiply-add, unlike their scalar tails) split at unaligned box
// edges still blend exactly like Map.
func TestRunnerVectorRows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for iter := 0; iter < 40; iter++ {
		shape := []int{2 + r.IntN(6), 40 + r.IntN(60)}
		c := 10 + r.IntN(30)
		p, err := New(shape, Spec{Crop: []int{3, c}, Margin: []int{1, r.IntN(c/2 - 1)}, Border: Border(r.IntN(5))})
		if err != nil {
			t.Fatal(err)
		}
		img := randomImage(r, shape)
		what := "vector rows " + itoa(iter)
		switch iter % 3 {
		case 0:
			runnerVsMap[float32](t, r, p, img, BlendGaussian, what)
		case 1:
			runnerVsMap[uint8](t, r, p, img, BlendGaussian, what)
		default:
			runnerVsMap[uint16](t, r, p, img, BlendConstant, what)
		}
	}
}

// countReader counts ReadRegion calls.
type countReader struct {
	nd.Reader
	mu sync.Mutex
	n  map[string]int
}

func (c *countReader) ReadRegion(b nd.Box, dst nd.Any) error {
	c.mu.Lock()
	c.n[b.String()]++
	c.mu.Unlock()
	return c.Reader.ReadRegion(b, dst)
}

// CachedReader returns the same regions as its source, reads each block
// once while the cache holds every block, and again after eviction
// with a tiny cache (still the same values).
func TestCachedReader(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	img := randomImage(r, []int{13, 29, 31})
	for _, limit := range []int64{1 << 30, 1} {
		cr := &countReader{Reader: img, n: map[string]int{}}
		c, err := NewCachedReader(cr, []int{4, 8, 8}, limit)
		if err != nil {
			t.Fatal(err)
		}
		for range 200 {
			b := nd.Box{Min: make([]int, 3), Max: make([]int, 3)}
			for d, n := range img.Shape() {
				b.Min[d] = r.IntN(n)
				b.Max[d] = b.Min[d] + 1 + r.IntN(n-b.Min[d])
			}
			got := nd.New[int32](b.Shape(), nd.C)
			if err := c.ReadRegion(b, got); err != nil {
				t.Fatal(err)
			}
			equal(t, "cached read "+b.String(), got, img.Sub(b).Clone(nd.C))
		}
		worst := 0
		for _, n := range cr.n {
			worst = max(worst, n)
		}
		if limit > 1 && (worst != 1 || len(cr.n) != 4*4*4) {
			t.Errorf("large cache: %d blocks read, worst %d times; want 64 blocks once each", len(cr.n), worst)
		}
		if limit == 1 && worst < 2 {
			t.Errorf("1-byte cache: no block read twice (worst %d): the cache holds more than its limit", worst)
		}
	}
	if _, err := NewCachedReader(img, []int{4, 0, 8}, 1); err == nil {
		t.Error("zero block entry accepted")
	}
}
