package ome_test

import (
	"fmt"

	"github.com/ryomen-dev/ryomen/ome"
)

func ExampleLevels() {
	l, _ := ome.Levels([]int{64, 512, 512}, []float64{1, 0.5, 0.5}, [][]int{{1, 2, 2}, {2, 2, 2}}, "mean")
	for _, v := range l {
		fmt.Println(v.Shape, v.Scale, v.Translation)
	}
	// Output:
	// [64 512 512] [1 0.5 0.5] [0 0 0]
	// [64 256 256] [1 1 1] [0 0.25 0.25]
	// [32 128 128] [2 2 2] [0.5 0.75 0.75]
}
