package tiff_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tiff"
)

// Write a 4-plane tiled, deflate-compressed stack page by page, then read
// one region of it back.
func Example() {
	dir, _ := os.MkdirTemp("", "tiff-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "stack.tif")
	f, _ := os.Create(path)
	w, err := tiff.NewWriter(f, tiff.WriterOptions{Compression: tiff.CompressionDeflate,
		Predictor: tiff.PredictorHorizontal, TileWidth: 32, TileLength: 32, Pages: 4})
	if err != nil {
		panic(err)
	}
	for z := 0; z < 4; z++ {
		plane := nd.New[uint16]([]int{64, 80}, nd.C)
		plane.Fill(uint16(100 * z))
		if err := w.WritePage(plane); err != nil {
			panic(err)
		}
	}
	w.Close()
	f.Close()

	tf, err := tiff.OpenFile(path)
	if err != nil {
		panic(err)
	}
	defer tf.Close()
	st, _ := tf.Stack()
	box := nd.NewBox([]int{2, 30, 30}, []int{4, 34, 34})
	dst := nd.New[uint16](box.Shape(), nd.C)
	if err := st.ReadRegion(box, dst); err != nil {
		panic(err)
	}
	fmt.Println(st.Shape(), st.DType(), dst.At(0, 0, 0), dst.At(1, 3, 3))
	// Output: [4 64 80] uint16 200 300
}
