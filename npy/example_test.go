package npy_test

import (
	"bytes"
	"fmt"

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
