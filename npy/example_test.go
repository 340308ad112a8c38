package npy_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/npy"
)

// Two arrays written to one stream read back one at a time, as the
// --exec protocol sends them.
func ExampleRead() {
	var stream bytes.Buffer
	npy.Write(&stream, nd.FromSlice([]uint16{1, 2, 3, 4, 5, 6}, []int{2, 3}, nd.C))
	npy.Write(&stream, nd.FromSlice([]float32{0.5}, []int{1}, nd.C))
	for {
		a, err := npy.Read(&stream, 0)
		if err != nil {
			break
		}
		fmt.Println(a.DType(), a.Shape())
	}
	// Output:
	// uint16 [2 3]
	// float32 [1]
}

// Read one box of a .npy file without loading the rest of it.
func ExampleOpenFile() {
	dir, _ := os.MkdirTemp("", "npy-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "a.npy")
	a := nd.New[int32]([]int{4, 5, 6}, nd.C)
	for i := range a.Data() {
		a.Data()[i] = int32(i)
	}
	if err := npy.WriteFile(path, a); err != nil {
		panic(err)
	}
	f, err := npy.OpenFile(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	box := nd.NewBox([]int{2, 1, 3}, []int{3, 3, 5})
	dst := nd.New[int32](box.Shape(), nd.C)
	if err := f.ReadRegion(box, dst); err != nil {
		panic(err)
	}
	fmt.Println(f.Shape(), f.DType(), dst.Data())
	// Output: [4 5 6] int32 [69 70 75 76]
}
