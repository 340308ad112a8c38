package tile

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

func readLine(t *testing.T, n, lo, hi int, b Border, v float64) []int32 {
	t.Helper()
	img := nd.New[int32]([]int{n}, nd.C)
	for i := range n {
		img.Set(int32(i), i)
	}
	dst := nd.New[int32]([]int{hi - lo}, nd.C)
	if err := ReadCrop(img, nd.NewBox([]int{lo}, []int{hi}), b, v, dst); err != nil {
		t.Fatal(err)
	}
	return dst.Data()
}

// Golden values from numpy.pad (1.24) with the matching mode.
func TestBorderModesMatchNumpy(t *testing.T) {
	cases := []struct {
		n, lo, hi int
		b         Border
		want      []int32
	}{
		// np.pad(arange(10), 2, mode)[:6] and [-6:]
		{10, -2, 4, Symmetric, []int32{1, 0, 0, 1, 2, 3}},
		{10, 6, 12, Symmetric, []int32{6, 7, 8, 9, 9, 8}},
		{10, -2, 4, Reflect, []int32{2, 1, 0, 1, 2, 3}},
		{10, 6, 12, Reflect, []int32{6, 7, 8, 9, 8, 7}},
		{10, -2, 4, Edge, []int32{0, 0, 0, 1, 2, 3}},
		{10, 6, 12, Edge, []int32{6, 7, 8, 9, 9, 9}},
		{10, -2, 4, Periodic, []int32{8, 9, 0, 1, 2, 3}},
		{10, 6, 12, Periodic, []int32{6, 7, 8, 9, 0, 1}},
		{10, -2, 4, Constant, []int32{-5, -5, 0, 1, 2, 3}},
		// np.pad(arange(3), 7, mode): margins far wider than the image.
		{3, -7, 10, Symmetric, []int32{0, 0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1, 2, 2}},
		{3, -7, 10, Reflect, []int32{1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1}},
		{3, -7, 10, Edge, []int32{0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2}},
		{3, -7, 10, Periodic, []int32{2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0}},
		// np.pad(arange(1), 3, 'reflect')
		{1, -3, 4, Reflect, []int32{0, 0, 0, 0, 0, 0, 0}},
		// wholly outside the image
		{10, 12, 15, Symmetric, []int32{7, 6, 5}},
		{10, -9, -6, Constant, []int32{-5, -5, -5}},
	}
	for _, c := range cases {
		if got := readLine(t, c.n, c.lo, c.hi, c.b, -5); !slices.Equal(got, c.want) {
			t.Errorf("n=%d [%d,%d) %v: %v, want %v", c.n, c.lo, c.hi, c.b, got, c.want)
		}
	}
}

// countingReader counts the voxels read, to check that padded crops read
// only what they need.
type countingReader struct {
	*nd.Array[uint16]
	voxels int
}

func (c *countingReader) ReadRegion(b nd.Box, dst nd.Any) error {
	n, _ := b.Size()
	c.voxels += n
	return c.Array.ReadRegion(b, dst)
}

// N-d padded reads equal the per-axis composition of the 1-D maps, and
// read no more than the crop's size of image voxels.
func TestReadCropND(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 200; iter++ {
		rank := 1 + r.IntN(4)
		shape := make([]int, rank)
		crop := nd.Box{Min: make([]int, rank), Max: make([]int, rank)}
		for d := range shape {
			shape[d] = 1 + r.IntN(9)
			crop.Min[d] = r.IntN(3*shape[d]) - 2*shape[d]
			crop.Max[d] = crop.Min[d] + 1 + r.IntN(12)
		}
		img := nd.New[uint16](shape, nd.C)
		data := img.Data()
		for i := range data {
			data[i] = uint16(r.IntN(60000))
		}
		b := Border(r.IntN(int(Constant) + 1))
		src := &countingReader{Array: img}
		dst := nd.New[uint16](crop.Shape(), nd.F) // a layout unlike the image's
		if err := ReadCrop(src, crop, b, 77, dst); err != nil {
			t.Fatal(err)
		}
		cn, _ := crop.Size()
		if src.voxels > cn {
			t.Errorf("read %d voxels for a crop of %d", src.voxels, cn)
		}
		dst.Values(func(idx []int, v uint16) {
			p := make([]int, rank)
			want := uint16(77)
			inside := true
			for d := range idx {
				p[d] = borderIndex(b, crop.Min[d]+idx[d], shape[d])
				inside = inside && p[d] >= 0
			}
			if inside {
				want = img.At(p...)
			}
			if v != want {
				t.Fatalf("%v crop %v %v at %v: %d, want %d", shape, crop, b, idx, v, want)
			}
		})
	}
}

func TestReadCropNoneOutside(t *testing.T) {
	img := nd.New[uint8]([]int{4}, nd.C)
	err := ReadCrop(img, nd.NewBox([]int{-1}, []int{3}), None, 0, nd.New[uint8]([]int{4}, nd.C))
	if err == nil {
		t.Fatal("no error for a crop outside the image with border none")
	}
	err = ReadCrop(img, nd.NewBox([]int{0}, []int{3}), None, 0, nd.New[uint8]([]int{4}, nd.C))
	if err == nil {
		t.Fatal("no error for a buffer of the wrong shape")
	}
}
