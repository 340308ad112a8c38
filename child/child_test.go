package child

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"

	"github.com/ryomen-dev/ryomen/internal/testtool"
)

// python returns the Debian interpreter with numpy, or skips (fails
// under CI=true).
func python(t *testing.T) string {
	t.Helper()
	return testtool.PythonWith(t, "numpy")
}

func start(t *testing.T, mode string) *Process {
	t.Helper()
	p, err := Start(context.Background(), []string{python(t), "testdata/child.py", mode}, Options{Stderr: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ramp(shape []int) *nd.Array[uint16] {
	a := nd.New[uint16](shape, nd.C)
	for i := range a.Data() {
		a.Data()[i] = uint16(i * 3)
	}
	return a
}

// Batches go through numpy's .npy reader and writer and come back exact,
// with many goroutines submitting crops and several requests in flight.
func TestBatcherRoundTrip(t *testing.T) {
	p := start(t, "double")
	ctx := context.Background()
	b := NewBatcher(ctx, p, 4, 20*time.Millisecond, nd.Uint16, []int{1, 1}, []int{100, 100})
	var wg sync.WaitGroup
	errs := make(chan error, 11)
	for i := range 11 { // not a multiple of the batch size
		wg.Go(func() {
			crop := ramp([]int{6, 7})
			for j := range crop.Data() {
				crop.Data()[j] += uint16(i)
			}
			res, err := b.Do(ctx, crop, []int{i, 0})
			if err != nil {
				errs <- err
				return
			}
			got := res.(*nd.Array[uint16])
			for j, v := range crop.Data() {
				if got.Data()[j] != 2*v {
					t.Errorf("crop %d voxel %d: %d, want %d", i, j, got.Data()[j], 2*v)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDTypeChange(t *testing.T) {
	p := start(t, "u8gt")
	res, err := p.Call(context.Background(), Request{Batch: [][]int{{0, 0}}}, mustStack(t, ramp([]int{10, 30})), nd.Uint8)
	if err != nil {
		t.Fatal(err)
	}
	got := res.(*nd.Array[uint8]).Data()
	for i, v := range ramp([]int{10, 30}).Data() {
		if want := uint8(0); v > 500 {
			want = 1
			if got[i] != want {
				t.Fatalf("voxel %d", i)
			}
		} else if got[i] != want {
			t.Fatalf("voxel %d", i)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func mustStack(t *testing.T, a nd.Any) nd.Any {
	t.Helper()
	s, err := tile.StackAny([]nd.Any{a})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A misbehaving child gives an error that says what it did, never a hang.
func TestBadChildren(t *testing.T) {
	cases := map[string]string{
		"garbage": "not a frame",
		"exit":    "exited",
		"shape":   "has shape [1 5 7], want [1 6 7]",
		"error":   "CUDA out of memory",
	}
	for mode, want := range cases {
		t.Run(mode, func(t *testing.T) {
			p := start(t, mode)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := p.Call(ctx, Request{Batch: [][]int{{0, 0}}}, mustStack(t, ramp([]int{6, 7})), nd.Uint16)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v, want an error containing %q", err, want)
			}
			p.Close()
		})
	}
	if _, err := Start(context.Background(), []string{"/nonexistent/model-server"}, Options{}); err == nil {
		t.Fatal("no error starting a missing program")
	}
}

func TestWrongDType(t *testing.T) {
	p := start(t, "double")
	_, err := p.Call(context.Background(), Request{Batch: [][]int{{0}}}, mustStack(t, ramp([]int{5})), nd.Float32)
	if err == nil || !strings.Contains(err.Error(), "dtype uint16, want float32") {
		t.Fatalf("got %v", err)
	}
	p.Close()
}

// testWriter sends the child's stderr to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Logf("child stderr: %s", b)
	return len(b), nil
}
