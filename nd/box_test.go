package nd

import (
	"math"
	"testing"
)

func TestBoxBasics(t *testing.T) {
	b := NewBox([]int{1, 2}, []int{4, 7})
	if got := b.Shape(); got[0] != 3 || got[1] != 5 {
		t.Fatalf("Shape = %v", got)
	}
	if n, ok := b.Size(); !ok || n != 15 {
		t.Fatalf("Size = %d, %v", n, ok)
	}
	if b.Empty() {
		t.Fatal("non-empty box reported empty")
	}
	if !NewBox([]int{3, 3}, []int{3, 9}).Empty() {
		t.Fatal("zero-width box not empty")
	}
	if s := b.String(); s != "[1:4, 2:7]" {
		t.Fatalf("String = %q", s)
	}
	// Rank-0 boxes hold one point.
	if n, ok := (Box{}).Size(); !ok || n != 1 || (Box{}).Empty() {
		t.Fatalf("rank-0 box: size %d empty %v", n, (Box{}).Empty())
	}
}

func TestBoxIntersectUnion(t *testing.T) {
	a := NewBox([]int{0, 0}, []int{10, 10})
	b := NewBox([]int{5, -3}, []int{20, 4})
	if got, want := a.Intersect(b), NewBox([]int{5, 0}, []int{10, 4}); !got.Eq(want) {
		t.Fatalf("Intersect = %v, want %v", got, want)
	}
	if got, want := a.Union(b), NewBox([]int{0, -3}, []int{20, 10}); !got.Eq(want) {
		t.Fatalf("Union = %v, want %v", got, want)
	}
	c := NewBox([]int{20, 20}, []int{30, 30})
	if in := a.Intersect(c); !in.Empty() || a.Overlaps(c) {
		t.Fatalf("disjoint boxes intersect: %v", in)
	}
	// The union ignores empty boxes.
	e := NewBox([]int{100, 100}, []int{100, 200})
	if got := a.Union(e); !got.Eq(a) {
		t.Fatalf("Union with empty = %v", got)
	}
	// Inputs are never modified.
	if a.Min[0] != 0 || b.Min[1] != -3 {
		t.Fatal("Intersect/Union modified an argument")
	}
}

func TestBoxExpandTranslateContains(t *testing.T) {
	a := NewBox([]int{2, 2, 2}, []int{4, 5, 6})
	e := a.Expand([]int{1, 0, 2})
	if !e.Eq(NewBox([]int{1, 2, 0}, []int{5, 5, 8})) {
		t.Fatalf("Expand = %v", e)
	}
	if !e.Contains(a) || a.Contains(e) {
		t.Fatal("Contains wrong")
	}
	if !a.Contains(NewBox([]int{9, 9, 9}, []int{9, 9, 9})) {
		t.Fatal("empty box should be contained everywhere")
	}
	tr := a.Translate([]int{-2, 0, 1})
	if !tr.Eq(NewBox([]int{0, 2, 3}, []int{2, 5, 7})) {
		t.Fatalf("Translate = %v", tr)
	}
	if !a.ContainsPoint([]int{3, 4, 5}) || a.ContainsPoint([]int{4, 4, 5}) {
		t.Fatal("ContainsPoint wrong at the half-open edge")
	}
	if a.Expand([]int{-1, -2, -1}).Empty() != true {
		t.Fatal("shrinking past zero should give an empty box")
	}
}

func TestCheckedSizeOverflow(t *testing.T) {
	if _, ok := CheckedSize([]int{math.MaxInt / 2, 3}); ok {
		t.Fatal("overflow not detected")
	}
	if _, ok := CheckedSize([]int{4, -1}); ok {
		t.Fatal("negative dimension not detected")
	}
	if n, ok := CheckedSize([]int{0, math.MaxInt}); !ok || n != 0 {
		t.Fatalf("zero dimension: %d %v", n, ok)
	}
}

func TestBoxRankMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic on rank mismatch")
		}
	}()
	BoxOf([]int{2, 2}).Intersect(BoxOf([]int{2}))
}

func TestParseDType(t *testing.T) {
	for _, d := range DTypes {
		got, err := ParseDType(d.String())
		if err != nil || got != d {
			t.Fatalf("ParseDType(%q) = %v, %v", d.String(), got, err)
		}
	}
	if d, err := ParseDType("f4"); err != nil || d != Float32 {
		t.Fatalf("alias f4: %v %v", d, err)
	}
	if _, err := ParseDType("complex64"); err == nil {
		t.Fatal("complex64 accepted")
	}
	sizes := map[DType]int{Uint8: 1, Int16: 2, Float32: 4, Uint64: 8, Float64: 8}
	for d, s := range sizes {
		if d.Size() != s {
			t.Fatalf("%v.Size() = %d", d, d.Size())
		}
	}
}
