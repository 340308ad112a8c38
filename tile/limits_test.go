package tile

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// Regression (issue 9): the batch slice was made with the caller's
// BatchSize, so BatchSize 99999999999 died with "fatal error: runtime: out
// of memory", and MaxInt overflowed the batch count so no tile ran. The
// batch is capped by the number of tiles.
func TestMapHugeBatchSize(t *testing.T) {
	shape := []int{20, 30}
	p, err := New(shape, Spec{Crop: []int{8, 8}, Margin: []int{1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	img := randomImage(rand.New(rand.NewPCG(3, 4)), shape)
	for _, bs := range []int{99999999999, math.MaxInt} {
		out := nd.New[int32](shape, nd.C)
		calls := 0
		fn := func(_ context.Context, b Batch[int32]) ([]*nd.Array[int32], error) {
			calls++
			return b.Crops, nil
		}
		if err := Map(context.Background(), p, img, out, fn, Options{BatchSize: bs, Workers: 1}); err != nil {
			t.Fatalf("BatchSize %d: %v", bs, err)
		}
		if calls != 1 {
			t.Errorf("BatchSize %d: %d calls for %d tiles, want 1", bs, calls, p.Len())
		}
		equal(t, "identity with a huge batch", out, img)
	}
}

// Regression (issue 9): 2*Margin overflowed, so a margin of MaxInt/2+1
// passed the "crop larger than twice the margin" check.
func TestNewMarginOverflow(t *testing.T) {
	_, err := New([]int{10}, Spec{Crop: []int{4}, Margin: []int{math.MaxInt/2 + 1}})
	if err == nil || !strings.Contains(err.Error(), "margin") {
		t.Errorf("margin MaxInt/2+1: error %v, want one about the margin", err)
	}
	_, err = New([]int{math.MaxInt - 2}, Spec{Crop: []int{math.MaxInt / 2}, Margin: []int{math.MaxInt/4 - 1}})
	if err == nil || !strings.Contains(err.Error(), "axis 0") {
		t.Errorf("padded axis beyond MaxInt: error %v, want one naming axis 0", err)
	}
}

// Regression (issue 9): the crop starts of one axis were allocated before
// the tile count was checked, so an axis of 2^50 voxels with stride 1
// panicked in make.
func TestNewHugeAxis(t *testing.T) {
	_, err := New([]int{1 << 50}, Spec{Crop: []int{3}, Margin: []int{1}})
	if err == nil || !strings.Contains(err.Error(), "axis 0") {
		t.Errorf("2^50 crops on one axis: error %v, want one naming axis 0", err)
	}
}

// Regression (issue 9): Ratio.scale multiplied without an overflow check,
// so a scale of MaxInt/2 on a 4-voxel axis gave a plan with a negative
// output shape.
func TestNewScaleOverflow(t *testing.T) {
	p, err := New([]int{4}, Spec{Crop: []int{4}, Scale: []Ratio{{math.MaxInt / 2, 1}}})
	if err == nil {
		t.Errorf("scale MaxInt/2: plan with output shape %v, want an error", p.OutShape())
	}
}

// Regression (issue 9): a crop whose voxel count overflows an int was
// accepted by New (one crop per axis, padded), and Map then panicked
// allocating it.
func TestNewCropSizeOverflow(t *testing.T) {
	p, err := New([]int{3, 4}, Spec{Crop: []int{1 << 40, 1 << 40}})
	if err == nil {
		t.Errorf("crop 2^40 x 2^40: plan with crop shape %v, want an error", p.CropShape())
	}
}

// Regression: a NaN blending sigma was accepted and gave NaN weights.
func TestMapSigmaNaN(t *testing.T) {
	shape := []int{16}
	p, err := New(shape, Spec{Crop: []int{8}, Margin: []int{2}})
	if err != nil {
		t.Fatal(err)
	}
	img, out := nd.New[float32](shape, nd.C), nd.New[float32](shape, nd.C)
	for _, s := range []float64{math.NaN(), math.Inf(1), -1} {
		err := Map(context.Background(), p, img, out, identity[float32], Options{Merge: BlendGaussian, Sigma: s})
		if err == nil || !strings.Contains(err.Error(), "Sigma") {
			t.Errorf("Sigma %v: error %v, want one naming Sigma", s, err)
		}
	}
}

// FuzzNewArgs: New never panics on any shape, crop, margin, border and
// scale; when it accepts them, every shape it reports fits an int, and on
// small outputs the Dest boxes tile the output exactly.
func FuzzNewArgs(f *testing.F) {
	f.Add(int64(10), int64(4), int64(1), uint8(0), int64(1), int64(1))
	f.Add(int64(math.MaxInt64), int64(math.MaxInt64/2), int64(math.MaxInt64/4), uint8(1), int64(1), int64(2))
	f.Add(int64(1<<40), int64(3), int64(1), uint8(5), int64(3), int64(1))
	f.Fuzz(func(t *testing.T, n, c, m int64, border uint8, num, den int64) {
		s := Spec{Crop: []int{int(c)}, Margin: []int{int(m)}, Border: Border(border % 7),
			Placement: Placement(border / 7 % 2), Scale: []Ratio{{int(num), int(den)}}}
		p, err := New([]int{int(n)}, s)
		if err != nil {
			return
		}
		for _, sh := range [][]int{p.CropShape(), p.OutCropShape(), p.OutShape()} {
			if _, ok := nd.CheckedSize(sh); !ok {
				t.Fatalf("accepted plan with shape %v", sh)
			}
		}
		out := p.OutShape()[0]
		if p.Len() > 1000 || out > 100000 {
			return
		}
		covered := 0
		for tl := range p.All() {
			d := tl.Dest
			if d.Min[0] != covered || d.Max[0] <= d.Min[0] || d.Max[0] > out {
				t.Fatalf("tile %d Dest %v after %d covered voxels of %d", tl.Index, d, covered, out)
			}
			covered = d.Max[0]
		}
		if covered != out {
			t.Fatalf("Dest boxes cover %d of %d voxels", covered, out)
		}
	})
}

// Regression: Options.Workers had no bound (only the batch count capped
// it), so a typo could start a goroutine, each with its own crop buffers,
// for every batch of a large plan.
func TestMapWorkersBound(t *testing.T) {
	shape := []int{4000}
	p, err := New(shape, Spec{Crop: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	img, out := nd.New[uint8](shape, nd.C), nd.New[uint8](shape, nd.C)
	err = Map(context.Background(), p, img, out, identity[uint8], Options{Workers: 1 << 30})
	if err == nil || !strings.Contains(err.Error(), "Options.Workers") {
		t.Errorf("Workers 2^30: error %v, want one naming Options.Workers", err)
	}
	if err := Map(context.Background(), p, img, out, identity[uint8], Options{Workers: MaxWorkers}); err != nil {
		t.Errorf("Workers = MaxWorkers: %v", err)
	}
}
