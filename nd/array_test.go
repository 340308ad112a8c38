package nd

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveCopy is the reference for Copy: an element-by-element loop through At
// and Set.
func naiveCopy[T Number](dst, src *Array[T]) {
	src.Values(func(idx []int, v T) { dst.Set(v, idx...) })
}

func randShape(r *rand.Rand, rank int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = 1 + r.IntN(6)
	}
	return s
}

func randSubBox(r *rand.Rand, shape []int) Box {
	b := Box{Min: make([]int, len(shape)), Max: make([]int, len(shape))}
	for i, s := range shape {
		b.Min[i] = r.IntN(s)
		b.Max[i] = b.Min[i] + 1 + r.IntN(s-b.Min[i])
	}
	return b
}

func seq[T Number](shape []int, order Order) *Array[T] {
	a := New[T](shape, order)
	i := 0
	a.Values(func(idx []int, _ T) { a.Set(T(i), idx...); i++ })
	return a
}

func TestCopyMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 500; trial++ {
		rank := 1 + r.IntN(5)
		shape := randShape(r, rank)
		src := seq[int32](shape, Order(r.IntN(2)))
		box := randSubBox(r, shape)
		view := src.Sub(box)
		if r.IntN(2) == 0 {
			perm := r.Perm(rank)
			view = view.Transpose(perm...)
		}
		got := New[int32](view.Shape(), Order(r.IntN(2)))
		want := New[int32](view.Shape(), C)
		Copy(got, view)
		naiveCopy(want, view)
		mismatch := false
		want.Values(func(idx []int, v int32) {
			if got.At(idx...) != v {
				mismatch = true
			}
		})
		if mismatch {
			t.Fatalf("trial %d: Copy of %v view of %v differs from naive copy", trial, box, shape)
		}
	}
}

func TestSubSharesMemory(t *testing.T) {
	a := seq[uint8]([]int{4, 5}, C)
	v := a.Sub(NewBox([]int{1, 2}, []int{3, 5}))
	if got := v.At(0, 0); got != 7 {
		t.Fatalf("view origin = %d, want 7", got)
	}
	v.Set(200, 1, 2)
	if a.At(2, 4) != 200 {
		t.Fatal("write through view not visible in parent")
	}
	if s := v.Shape(); !slices.Equal(s, []int{2, 3}) {
		t.Fatalf("view shape %v", s)
	}
}

func TestFOrderLayout(t *testing.T) {
	a := New[uint16]([]int{2, 3}, F)
	a.Set(9, 1, 0)
	if a.Data()[1] != 9 {
		t.Fatal("F order: element (1,0) should be second in memory")
	}
	if !a.IsContiguous(F) || a.IsContiguous(C) {
		t.Fatal("IsContiguous wrong for F array")
	}
	c := a.Clone(C)
	if c.At(1, 0) != 9 || c.Data()[3] != 9 {
		t.Fatal("Clone to C order lost the layout")
	}
}

func TestTransposeAndReshape(t *testing.T) {
	a := seq[float32]([]int{2, 3, 4}, C)
	tr := a.Transpose(2, 0, 1)
	if !slices.Equal(tr.Shape(), []int{4, 2, 3}) || tr.At(3, 1, 2) != a.At(1, 2, 3) {
		t.Fatal("Transpose wrong")
	}
	if _, ok := tr.Reshape([]int{24}, C); ok {
		t.Fatal("Reshape of a non-contiguous view succeeded")
	}
	flat, ok := a.Reshape([]int{6, 4}, C)
	if !ok || flat.At(5, 3) != 23 {
		t.Fatal("Reshape of contiguous array failed")
	}
}

func TestFill(t *testing.T) {
	a := New[int8]([]int{5, 6}, C)
	a.Sub(NewBox([]int{1, 1}, []int{4, 3})).Transpose(1, 0).Fill(-3)
	n := 0
	a.Values(func(idx []int, v int8) {
		in := idx[0] >= 1 && idx[0] < 4 && idx[1] >= 1 && idx[1] < 3
		if in != (v == -3) {
			t.Fatalf("Fill wrote %d at %v", v, idx)
		}
		if v == -3 {
			n++
		}
	})
	if n != 6 {
		t.Fatalf("Fill touched %d elements, want 6", n)
	}
}

func TestFromStridedBounds(t *testing.T) {
	data := make([]uint8, 10)
	if _, err := FromStrided(data, []int{2, 5}, []int{5, 1}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := FromStrided(data, []int{2, 5}, []int{5, 1}, 1); err == nil {
		t.Fatal("out-of-range strided view accepted")
	}
	if _, err := FromStrided(data, []int{3}, []int{-1}, 2); err == nil {
		t.Fatal("negative stride accepted")
	}
}

func TestConvertClamp(t *testing.T) {
	src := FromSlice([]float64{-5, 0.49, 0.5, 254.6, 300, math.NaN(), math.Inf(1), -2.5}, []int{8}, C)
	dst := New[uint8]([]int{8}, C)
	ConvertClamp(dst, src)
	want := []uint8{0, 0, 1, 255, 255, 0, 255, 0}
	if !slices.Equal(dst.Data(), want) {
		t.Fatalf("ConvertClamp = %v, want %v", dst.Data(), want)
	}
	big := FromSlice([]uint64{math.MaxUint64, 1 << 63, 5}, []int{3}, C)
	i64 := New[int64]([]int{3}, C)
	ConvertClamp(i64, big)
	if !slices.Equal(i64.Data(), []int64{math.MaxInt64, math.MaxInt64, 5}) {
		t.Fatalf("uint64->int64 clamp = %v", i64.Data())
	}
	back := New[uint64]([]int{3}, C)
	ConvertClamp(back, FromSlice([]int64{math.MaxInt64, -1, 7}, []int{3}, C))
	if !slices.Equal(back.Data(), []uint64{math.MaxInt64, 0, 7}) {
		t.Fatalf("int64->uint64 clamp = %v", back.Data())
	}
}

func TestRegionInterfaces(t *testing.T) {
	a := seq[uint16]([]int{6, 7}, C)
	b := NewBox([]int{2, 3}, []int{5, 7})
	dst := New[uint16](b.Shape(), F)
	if err := a.ReadRegion(b, dst); err != nil {
		t.Fatal(err)
	}
	if dst.At(0, 0) != a.At(2, 3) || dst.At(2, 3) != a.At(4, 6) {
		t.Fatal("ReadRegion copied the wrong elements")
	}
	out := New[uint16]([]int{6, 7}, C)
	if err := out.WriteRegion(b, dst); err != nil {
		t.Fatal(err)
	}
	if out.At(4, 6) != a.At(4, 6) || out.At(0, 0) != 0 {
		t.Fatal("WriteRegion wrong")
	}
	if err := a.ReadRegion(b, New[uint8](b.Shape(), C)); err == nil {
		t.Fatal("dtype mismatch accepted")
	}
	if err := a.ReadRegion(NewBox([]int{0, 0}, []int{7, 1}), New[uint16]([]int{7, 1}, C)); err == nil {
		t.Fatal("region outside bounds accepted")
	}
	if err := a.ReadRegion(b, New[uint16]([]int{3, 3}, C)); err == nil {
		t.Fatal("wrong buffer shape accepted")
	}
}

func TestBytesRoundTrip(t *testing.T) {
	for _, dt := range DTypes {
		if dt == DTypeBool {
			continue // holds only 0 and 1; TestBoolConvert covers it
		}
		a := NewAny(dt, []int{3, 4}, C)
		if err := ConvertAny(a, seq[int16]([]int{3, 4}, C)); err != nil {
			t.Fatal(err)
		}
		raw, ok := AsBytes(a)
		if !ok || len(raw) != 12*dt.Size() {
			t.Fatalf("%v: AsBytes len %d ok %v", dt, len(raw), ok)
		}
		// An unaligned copy of the bytes must be copied, not viewed.
		buf := make([]byte, len(raw)+1)
		copy(buf[1:], raw)
		b, err := FromBytes(dt, []int{3, 4}, C, buf[1:])
		if err != nil {
			t.Fatal(err)
		}
		back := New[int16]([]int{3, 4}, C)
		if err := ConvertAny(back, b); err != nil {
			t.Fatal(err)
		}
		if back.At(2, 3) != 11 || back.At(1, 0) != 4 {
			t.Fatalf("%v: byte round trip gave %v", dt, back.Data())
		}
	}
	if _, err := FromBytes(Uint16, []int{3}, C, make([]byte, 5)); err == nil {
		t.Fatal("wrong byte count accepted")
	}
}

func BenchmarkCopy(b *testing.B) {
	const n = 4096
	src := New[uint8]([]int{n, n}, C)
	box := NewBox([]int{64, 64}, []int{64 + 1024, 64 + 1024})
	dst := New[uint8](box.Shape(), C)
	b.Run("view-1024x1024-u8", func(b *testing.B) {
		b.SetBytes(1024 * 1024)
		b.ReportAllocs()
		v := src.Sub(box)
		for b.Loop() {
			Copy(dst, v)
		}
	})
	// Short rows: the per-row cost of the walk dominates.
	b.Run("view-256x256x8-of-16-u16", func(b *testing.B) {
		s := New[uint16]([]int{256, 256, 16}, C)
		v := s.Sub(NewBox([]int{0, 0, 4}, []int{256, 256, 12}))
		d := New[uint16](v.Shape(), C)
		b.SetBytes(256 * 256 * 8 * 2)
		b.ReportAllocs()
		for b.Loop() {
			Copy(d, v)
		}
	})
	b.Run("memcpy-1024x1024-u8", func(b *testing.B) {
		b.SetBytes(1024 * 1024)
		b.ReportAllocs()
		s := make([]byte, 1024*1024)
		d := make([]byte, 1024*1024)
		for b.Loop() {
			copy(d, s)
		}
	})
}
