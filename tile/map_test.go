package tile

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/progress"
)

func identity[T nd.Number](_ context.Context, b Batch[T]) ([]*nd.Array[T], error) {
	return b.Crops, nil
}

func randomImage(r *rand.Rand, shape []int) *nd.Array[int32] {
	img := nd.New[int32](shape, nd.C)
	d := img.Data()
	for i := range d {
		d[i] = int32(r.IntN(2000)) - 1000
	}
	return img
}

func equal[T nd.Number](t *testing.T, what string, got, want *nd.Array[T]) {
	t.Helper()
	bad := 0
	want.Values(func(idx []int, v T) {
		if g := got.At(idx...); g != v && bad < 5 {
			t.Errorf("%s: at %v got %v, want %v", what, idx, g, v)
			bad++
		}
	})
	if bad > 0 {
		t.FailNow()
	}
}

// Property: identity reproduces the input exactly for every border mode,
// placement, merge mode, batch size and worker count, on random shapes of
// rank 1 to 5 (odd sizes, tiny images, margin 0, crop = image included).
func TestIdentityRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for iter := 0; iter < 300; iter++ {
		shape, nt := randomShape(r)
		s := randomSpec(r, shape, nt)
		if iter%17 == 0 { // crop = image
			for k := range nt {
				s.Crop[k] = shape[len(shape)-nt+k]
				s.Margin[k] = 0
			}
		}
		p, err := New(shape, s)
		if err != nil {
			t.Fatal(err)
		}
		img := randomImage(r, shape)
		out := nd.New[int32](shape, nd.F)
		opt := Options{Workers: 1 + r.IntN(3), BatchSize: 1 + r.IntN(4), Merge: Merge(r.IntN(3)), ConcurrentWrites: r.IntN(2) == 0}
		var calls atomic.Int64
		fn := func(ctx context.Context, b Batch[int32]) ([]*nd.Array[int32], error) {
			calls.Add(1)
			if len(b.Crops) > opt.BatchSize || len(b.Crops) == 0 {
				t.Errorf("batch of %d crops with BatchSize %d", len(b.Crops), opt.BatchSize)
			}
			return b.Crops, nil
		}
		if err := Map(context.Background(), p, img, out, fn, opt); err != nil {
			t.Fatalf("%v %+v %+v: %v", shape, s, opt, err)
		}
		if want := (p.Len() + opt.BatchSize - 1) / opt.BatchSize; int(calls.Load()) != want {
			t.Errorf("%d calls for %d tiles in batches of %d", calls.Load(), p.Len(), opt.BatchSize)
		}
		equal(t, "identity", out, img)
	}
}

// Every output voxel comes from the tile that owns it: a function that
// writes its tile number gives, at each voxel, the index of the tile whose
// Dest contains it.
func TestOwnership(t *testing.T) {
	shape := []int{2, 37, 29}
	p, err := New(shape, Spec{Crop: []int{12, 10}, Margin: []int{3, 2}, Border: Reflect})
	if err != nil {
		t.Fatal(err)
	}
	img := nd.New[uint16](shape, nd.C)
	out := nd.New[uint16](shape, nd.C)
	err = Map(context.Background(), p, img, out, func(_ context.Context, b Batch[uint16]) ([]*nd.Array[uint16], error) {
		for i, c := range b.Crops {
			c.Fill(uint16(b.Tiles[i].Index + 1))
		}
		return b.Crops, nil
	}, Options{Workers: 2, BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := nd.New[uint16](shape, nd.C)
	for tl := range p.All() {
		want.Sub(tl.Dest).Fill(uint16(tl.Index + 1))
	}
	equal(t, "owner", out, want)
}

// Crops are private copies: a function that changes its crop in place
// changes neither the image nor the crops of later (overlapping) tiles, as
// happens with Ryomen's views and shared padded buffer.
func TestInPlaceFunctionIsSafe(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	shape := []int{40, 33}
	img := randomImage(r, shape)
	orig := img.Clone(nd.C)
	p, err := New(shape, Spec{Crop: []int{16, 16}, Margin: []int{4, 4}})
	if err != nil {
		t.Fatal(err)
	}
	out := nd.New[int32](shape, nd.C)
	var kept []*nd.Array[int32]
	err = Map(context.Background(), p, img, out, func(_ context.Context, b Batch[int32]) ([]*nd.Array[int32], error) {
		for _, c := range b.Crops {
			d := c.Data()
			for i := range d {
				d[i] += 1
			}
			kept = append(kept, c)
		}
		return b.Crops, nil
	}, Options{Workers: 1, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "image untouched", img, orig)
	want := orig.Clone(nd.C)
	for i, v := range want.Data() {
		want.Data()[i] = v + 1
	}
	equal(t, "in-place +1", out, want)
}

// Functions may change the leading axes (channels) and the scale.
func TestOutputTransform(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	shape := []int{1, 50, 46}
	img := randomImage(r, shape)
	p, err := New(shape, Spec{Crop: []int{20, 16}, Margin: []int{4, 2}, Border: Edge, Scale: []Ratio{{1, 2}, {1, 2}}, OutLead: []int{3}})
	if err != nil {
		t.Fatal(err)
	}
	out := nd.New[float64](p.OutShape(), nd.C)
	// Keep every second voxel, in three channels scaled by 1, 2, 3.
	fn := func(_ context.Context, b Batch[int32]) ([]*nd.Array[float64], error) {
		var res []*nd.Array[float64]
		for _, c := range b.Crops {
			y := nd.New[float64](p.OutCropShape(), nd.C)
			y.Values(func(idx []int, _ float64) {
				y.Set(float64(idx[0]+1)*float64(c.At(0, 2*idx[1], 2*idx[2])), idx...)
			})
			res = append(res, y)
		}
		return res, nil
	}
	if err := Map(context.Background(), p, img, out, fn, Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	out.Values(func(idx []int, v float64) {
		if w := float64(idx[0]+1) * float64(img.At(0, 2*idx[1], 2*idx[2])); v != w {
			t.Fatalf("at %v: %v, want %v", idx, v, w)
		}
	})
}

// Blending weights sum to one: a function returning all ones gives an
// output of ones (to 1e-12) for both windows, with no division by zero
// even for a Gaussian far narrower than the crop.
func TestBlendWeightsSumToOne(t *testing.T) {
	for _, sigma := range []float64{0.125, 0.01, 2} {
		for _, m := range []Merge{BlendConstant, BlendGaussian} {
			shape := []int{3, 31, 27}
			p, err := New(shape, Spec{Crop: []int{2, 12, 9}, Margin: []int{0, 3, 2}, Placement: Even})
			if err != nil {
				t.Fatal(err)
			}
			out := nd.New[float64](shape, nd.C)
			img := nd.New[float64](shape, nd.C)
			err = Map(context.Background(), p, img, out, func(_ context.Context, b Batch[float64]) ([]*nd.Array[float64], error) {
				for _, c := range b.Crops {
					c.Fill(1)
				}
				return b.Crops, nil
			}, Options{Merge: m, Sigma: sigma, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range out.Data() {
				if math.Abs(v-1) > 1e-12 || math.IsNaN(v) {
					t.Fatalf("%v sigma %v: voxel %d = %v, want 1", m, sigma, i, v)
				}
			}
		}
	}
}

// Gaussian blending mixes overlapping crops: with a function that returns
// its tile number, voxels shared by two crops get a value strictly between
// them, and the centre of a crop is dominated by that crop.
func TestBlendMixes(t *testing.T) {
	shape := []int{64}
	p, err := New(shape, Spec{Crop: []int{32}, Margin: []int{8}, Border: None})
	if err != nil {
		t.Fatal(err)
	}
	out := nd.New[float64](shape, nd.C)
	err = Map(context.Background(), p, nd.New[float64](shape, nd.C), out, func(_ context.Context, b Batch[float64]) ([]*nd.Array[float64], error) {
		for i, c := range b.Crops {
			c.Fill(float64(b.Tiles[i].Index))
		}
		return b.Crops, nil
	}, Options{Merge: BlendGaussian})
	if err != nil {
		t.Fatal(err)
	}
	// Crops start at 0, 16, 32 with centres 15.5, 31.5, 47.5; voxels 23
	// and 24 lie only in crops 0 and 1, mirror images about 23.5.
	v23, v24 := out.At(23), out.At(24)
	if !(v23 > 0 && v23 < 0.5) || math.Abs(v23+v24-1) > 1e-12 {
		t.Errorf("voxels 23, 24 = %v, %v: want mirror weights in (0, 1) summing to 1", v23, v24)
	}
	if v := out.At(10); v > 1e-3 {
		t.Errorf("voxel 10 near the centre of crop 0 = %v, want < 1e-3", v)
	}
}

func TestMapErrors(t *testing.T) {
	shape := []int{20, 20}
	p, err := New(shape, Spec{Crop: []int{8, 8}, Margin: []int{1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	img := nd.New[uint8](shape, nd.C)
	out := nd.New[uint8](shape, nd.C)
	ctx := context.Background()
	wrong := func(_ context.Context, b Batch[uint8]) ([]*nd.Array[uint8], error) {
		return []*nd.Array[uint8]{nd.New[uint8]([]int{7, 8}, nd.C)}, nil
	}
	if err := Map(ctx, p, img, out, wrong, Options{}); err == nil || !strings.Contains(err.Error(), "returned shape [7 8], want [8 8]") {
		t.Errorf("wrong shape: %v", err)
	}
	few := func(_ context.Context, b Batch[uint8]) ([]*nd.Array[uint8], error) { return nil, nil }
	if err := Map(ctx, p, img, out, few, Options{BatchSize: 2}); err == nil || !strings.Contains(err.Error(), "0 results for 2 crops") {
		t.Errorf("too few results: %v", err)
	}
	boom := errors.New("boom")
	fail := func(_ context.Context, b Batch[uint8]) ([]*nd.Array[uint8], error) { return nil, boom }
	if err := Map(ctx, p, img, out, fail, Options{}); !errors.Is(err, boom) {
		t.Errorf("function error not wrapped: %v", err)
	}
	if err := Map(ctx, p, nd.New[uint16](shape, nd.C), out, identity[uint8], Options{}); err == nil {
		t.Error("no error for a source of the wrong dtype")
	}
	if err := Map(ctx, p, img, nd.New[uint8]([]int{20, 21}, nd.C), identity[uint8], Options{}); err == nil {
		t.Error("no error for a destination of the wrong shape")
	}
}

func TestCancel(t *testing.T) {
	shape := []int{64, 64}
	p, err := New(shape, Spec{Crop: []int{8, 8}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	fn := func(ctx context.Context, b Batch[uint8]) ([]*nd.Array[uint8], error) {
		if n.Add(1) == 5 {
			cancel()
		}
		return b.Crops, nil
	}
	err = Map(ctx, p, nd.New[uint8](shape, nd.C), nd.New[uint8](shape, nd.C), fn, Options{Workers: 2})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if n.Load() >= int64(p.Len()) {
		t.Errorf("all %d tiles ran after cancel", n.Load())
	}
}

// Map counts tiles, crop bytes read and output bytes written (pasted or
// blended) into a progress.Counter, which never goes backwards while it
// runs and adds up over two runs sharing it.
func TestProgress(t *testing.T) {
	shape := []int{3, 50, 40}
	p, err := New(shape, Spec{Crop: []int{16, 16}, Margin: []int{2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []Merge{Paste, BlendConstant} {
		var c progress.Counter
		stop := make(chan struct{})
		polled := make(chan int)
		go func() {
			var last progress.Snapshot
			n := 0
			for {
				s := c.Snapshot()
				if s.Done < last.Done || s.BytesWritten < last.BytesWritten || s.BytesRead < last.BytesRead {
					t.Errorf("progress went backwards: %+v after %+v", s, last)
				}
				last, n = s, n+1
				select {
				case <-stop:
					polled <- n
					return
				default:
				}
			}
		}()
		opt := Options{Workers: 2, BatchSize: 2, Merge: m, Progress: &c}
		for range 2 {
			if err := Map(context.Background(), p, nd.New[uint16](shape, nd.C), nd.New[uint16](shape, nd.C), identity[uint16], opt); err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		<-polled
		s := c.Snapshot()
		n := int64(p.Len())
		if s.Done != 2*n || s.Total != 2*n || s.Skipped != 0 || s.BytesWritten != 2*3*50*40*2 || s.BytesRead != 2*n*3*16*16*2 {
			t.Errorf("%v: final progress %+v for 2 x %d tiles", m, s, p.Len())
		}
	}
}

func TestStackUnstack(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var crops []*nd.Array[int32]
	for range 3 {
		crops = append(crops, randomImage(r, []int{2, 5, 4}))
	}
	s := Stack(crops)
	if got := s.Shape(); got[0] != 3 || got[1] != 2 || got[3] != 4 {
		t.Fatalf("stack shape %v", got)
	}
	for i, u := range Unstack(s) {
		equal(t, "unstack", u, crops[i])
	}
}

// StackAny and UnstackAny round-trip arrays of every dtype (each a case
// of the generated dispatch) and refuse mixed dtypes and shapes, no
// arrays and 0-d arrays.
func TestStackAnyEveryDType(t *testing.T) {
	for _, dt := range nd.DTypes {
		var parts []nd.Any
		for i := range 3 {
			a := nd.NewAny(dt, []int{2, 3}, nd.C)
			b, _ := nd.AsBytes(a)
			for j := range b {
				b[j] = byte(i*7 + j%2) // a valid Bool too (0 or 1 plus a multiple of 7)
			}
			parts = append(parts, a)
		}
		s, err := StackAny(parts)
		if err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		if s.DType() != dt || !slices.Equal(s.Shape(), []int{3, 2, 3}) {
			t.Fatalf("%v: stacked %v %v", dt, s.DType(), s.Shape())
		}
		back, err := UnstackAny(s)
		if err != nil || len(back) != 3 {
			t.Fatalf("%v: unstack %d, %v", dt, len(back), err)
		}
		for i := range back {
			got, ok1 := nd.AsBytes(back[i])
			want, ok2 := nd.AsBytes(parts[i])
			if !ok1 || !ok2 || !bytes.Equal(got, want) {
				t.Fatalf("%v: part %d differs", dt, i)
			}
		}
	}
	u8, f32 := nd.NewAny(nd.Uint8, []int{2}, nd.C), nd.NewAny(nd.Float32, []int{2}, nd.C)
	for _, c := range []struct {
		parts []nd.Any
		want  string
	}{{nil, "no arrays"}, {[]nd.Any{u8, f32}, "float32 array onto uint8"}, {[]nd.Any{u8, nd.NewAny(nd.Uint8, []int{3}, nd.C)}, "shape [3] onto [2]"}} {
		if _, err := StackAny(c.parts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("StackAny: %v, want an error with %q", err, c.want)
		}
	}
	if _, err := UnstackAny(nd.NewAny(nd.Int16, nil, nd.C)); err == nil {
		t.Error("UnstackAny of a 0-d array: no error")
	}
}
