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

// Write a two-channel z stack with a two-level pyramid as OME-TIFF, then
// open it as a series with its axes, physical sizes and levels.
func ExampleWriteOME() {
	dir, _ := os.MkdirTemp("", "tiff-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "cells.ome.tif")
	level0 := nd.New[uint16]([]int{2, 3, 64, 64}, nd.C) // c, z, y, x
	level1 := nd.New[uint16]([]int{2, 3, 32, 32}, nd.C)
	level0.Fill(7)
	um := func(name string, scale float64) nd.Axis {
		return nd.Axis{Name: name, Type: nd.Space, Unit: "micrometer", Scale: scale}
	}
	img := tiff.OMEImage{Name: "cells", Channels: []string{"DAPI", "GFP"},
		Axes:   []nd.Axis{{Name: "c", Type: nd.Channel}, um("z", 2), um("y", 0.5), um("x", 0.5)},
		Levels: []nd.Reader{level0, level1}}
	f, _ := os.Create(path)
	if err := tiff.WriteOME(f, img, tiff.WriterOptions{Compression: tiff.CompressionDeflate}); err != nil {
		panic(err)
	}
	f.Close()

	tf, err := tiff.OpenFile(path)
	if err != nil {
		panic(err)
	}
	defer tf.Close()
	series, err := tf.Series()
	if err != nil {
		panic(err)
	}
	s := series[0]
	var axes []string
	for _, a := range s.Axes {
		axes = append(axes, fmt.Sprintf("%s:%s:%g", a.Name, a.Type, a.Scale))
	}
	fmt.Println(axes)
	lv, _ := s.Level(1)
	fmt.Println(s.Kind, s.Name, s.Channels, s.Shape(), s.Levels(), lv.Shape())
	// Output:
	// [c:channel:0 z:space:2 y:space:0.5 x:space:0.5]
	// ome cells [DAPI GFP] [2 3 64 64] 2 [2 3 32 32]
}
