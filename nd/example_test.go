package nd_test

import (
	"fmt"

	"github.com/ryomen-dev/ryomen/nd"
)

func ExampleBox_Intersect() {
	a := nd.NewBox([]int{0, 0}, []int{10, 10})
	b := nd.NewBox([]int{5, -3}, []int{20, 4})
	fmt.Println(a.Intersect(b), a.Intersect(b).Shape())
	// Output: [5:10, 0:4] [5 4]
}

func ExampleArray_Sub() {
	img := nd.New[uint8]([]int{4, 6}, nd.C)
	// A view shares pixels with its parent, like image.RGBA.SubImage.
	v := img.Sub(nd.NewBox([]int{1, 2}, []int{3, 5}))
	v.Fill(7)
	for y := 0; y < 4; y++ {
		fmt.Println(img.Data()[y*6 : y*6+6])
	}
	// Output:
	// [0 0 0 0 0 0]
	// [0 0 7 7 7 0]
	// [0 0 7 7 7 0]
	// [0 0 0 0 0 0]
}

func ExampleReader() {
	// Any nd.Reader (an in-memory array here, a Zarr or TIFF file
	// elsewhere) fills a buffer from a region of itself.
	var src nd.Reader = nd.FromSlice([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8}, []int{3, 3}, nd.C)
	box := nd.NewBox([]int{1, 1}, []int{3, 3})
	dst := nd.New[float32](box.Shape(), nd.C)
	if err := src.ReadRegion(box, dst); err != nil {
		panic(err)
	}
	fmt.Println(dst.Data())
	// Output: [4 5 7 8]
}

func ExampleBox_Points() {
	b := nd.NewBox([]int{1, 5}, []int{3, 8})
	for p := range b.Points() {
		fmt.Print(p, " ")
	}
	fmt.Println()
	// Output: [1 5] [1 6] [1 7] [2 5] [2 6] [2 7]
}

func ExampleRows() {
	// The rows of a 2x3 view of a 4x6 array: one offset per row into
	// Data, each row Shape()[1] elements at stride Strides()[1].
	a := nd.New[uint8]([]int{4, 6}, nd.C)
	v := a.Sub(nd.NewBox([]int{1, 2}, []int{3, 5}))
	for idx, o := range nd.Rows(v.Shape(), v.Strides(), v.Offset()) {
		fmt.Println(idx, o)
	}
	// Output:
	// [0] 8
	// [1] 14
}
