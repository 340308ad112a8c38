package nd

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// Regression (issue 9): a shape whose element count fits an int but whose
// byte size does not made New panic inside the runtime ("makeslice: len
// out of range") instead of with the documented "nd:" message, and there
// was no way to get an error instead.
func TestNewHugeShapePanicsWithMessage(t *testing.T) {
	defer func() {
		r := recover()
		s, ok := r.(string)
		if !ok || !strings.HasPrefix(s, "nd: New") {
			t.Fatalf("New of 2^61 uint64s panicked with %v, want an \"nd: New\" message", r)
		}
	}()
	New[uint64]([]int{1 << 61}, C)
}

// Regression (issue 9): the extent arithmetic of FromStrided wrapped
// around, so shape {2^40, 2^40} with strides {2^40, 1} over 8 elements
// was accepted and At panicked later.
func TestFromStridedOverflow(t *testing.T) {
	data := make([]uint8, 8)
	for _, c := range []struct{ shape, strides []int }{
		{[]int{1 << 40, 1 << 40}, []int{1 << 40, 1}},
		{[]int{math.MaxInt, 2}, []int{2, 1}},
		{[]int{3}, []int{math.MaxInt}},
	} {
		if _, err := FromStrided(data, c.shape, c.strides, 0); err == nil {
			t.Errorf("FromStrided(shape %v, strides %v) over 8 elements: no error", c.shape, c.strides)
		}
	}
	if _, err := FromStrided(data, []int{2, 2}, []int{4, 1}, 2); err != nil {
		t.Errorf("valid strided view rejected: %v", err)
	}
}

// Regression (issue 9): Box.Size reported 0 points (ok) for a non-empty
// box whose extent Max-Min overflows an int, and Shape said 0 on that
// axis.
func TestBoxSizeOverflow(t *testing.T) {
	b := Box{Min: []int{-2}, Max: []int{math.MaxInt}}
	if b.Empty() {
		t.Fatal("box reported empty")
	}
	if n, ok := b.Size(); ok {
		t.Errorf("Size of %v = %d, ok; want overflow", b, n)
	}
	if s := b.Shape(); s[0] != math.MaxInt {
		t.Errorf("Shape of %v = %v, want it saturated at MaxInt", b, s)
	}
}

// NewChecked, NewAnyChecked and CheckedBytes return errors wrapping
// ErrSize that name the shape, and agree with New on valid shapes.
func TestNewChecked(t *testing.T) {
	for _, shape := range [][]int{{-1, 4}, {1 << 62, 4}, {1 << 61}, {1 << 31, 1 << 31, 1 << 2}} {
		_, err := NewChecked[uint64](shape, C)
		if !errors.Is(err, ErrSize) || !strings.Contains(err.Error(), fmt.Sprint(shape)) {
			t.Errorf("NewChecked(%v): error %v, want ErrSize naming the shape", shape, err)
		}
		if _, err := NewAnyChecked(Uint64, shape, F); !errors.Is(err, ErrSize) {
			t.Errorf("NewAnyChecked(%v): error %v, want ErrSize", shape, err)
		}
	}
	if _, err := NewAnyChecked(DType(200), []int{2}, C); err == nil {
		t.Error("NewAnyChecked with an invalid dtype: no error")
	}
	if n, err := CheckedBytes([]int{MaxAllocBytes / 8}, 8); err != nil || n != MaxAllocBytes/8*8 {
		t.Errorf("CheckedBytes at the limit = %d, %v", n, err)
	}
	if _, err := CheckedBytes([]int{MaxAllocBytes/8 + 1}, 8); !errors.Is(err, ErrSize) {
		t.Errorf("CheckedBytes one past the limit: %v", err)
	}
	a, err := NewChecked[int16]([]int{3, 0, 5}, F)
	if err != nil || a.Len() != 0 || len(a.Data()) != 0 {
		t.Errorf("empty shape: %v, %v", a, err)
	}
	b, err := NewAnyChecked(Float32, []int{2, 3}, F)
	if err != nil || b.DType() != Float32 || fmt.Sprint(b.Shape()) != "[2 3]" {
		t.Errorf("NewAnyChecked(float32 [2 3]) = %v, %v", b, err)
	}
}

// FuzzFromStrided: FromStrided either fails or gives a view whose every
// element, including the last on each axis, lies inside data.
func FuzzFromStrided(f *testing.F) {
	f.Add(int64(2), int64(3), int64(3), int64(1), int64(0), uint16(6))
	f.Add(int64(1<<40), int64(1<<40), int64(1<<40), int64(1), int64(0), uint16(8))
	f.Add(int64(math.MaxInt64), int64(2), int64(2), int64(1), int64(5), uint16(100))
	f.Fuzz(func(t *testing.T, s0, s1, st0, st1, off int64, n uint16) {
		data := make([]uint8, n)
		a, err := FromStrided(data, []int{int(s0), int(s1)}, []int{int(st0), int(st1)}, int(off))
		if err != nil || a.Len() == 0 {
			return
		}
		sh := a.Shape()
		for _, idx := range [][]int{{0, 0}, {sh[0] - 1, 0}, {0, sh[1] - 1}, {sh[0] - 1, sh[1] - 1}} {
			if i := a.Index(idx...); i < 0 || i >= len(data) {
				t.Fatalf("shape %v strides %v offset %d over %d: element %v at %d", sh, a.Strides(), off, n, idx, i)
			}
		}
	})
}
