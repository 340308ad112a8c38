package ome_test

import (
	"context"
	"fmt"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/store"
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

// A 2-channel image gets green and magenta channels whose contrast
// window spans the 0.1 to 99.9 percentiles of each channel (the values
// numpy.percentile gives for the same data).
func ExampleImageOmero() {
	coarsest := nd.New[uint8]([]int{2, 10, 10}, nd.C) // c, y, x
	for i := range coarsest.Data() {
		coarsest.Data()[i] = uint8(i % 100 * (1 + i/100))
	}
	axes := []ome.Axis{{Name: "c", Type: "channel"}, {Name: "y", Type: "space"}, {Name: "x", Type: "space"}}
	o, _ := ome.ImageOmero(coarsest, axes, []int{2, 1000, 1000}, []string{"GFP", "RFP"})
	for _, c := range o.Channels {
		fmt.Println(c.Label, c.Color, c.Window)
	}
	// Output:
	// GFP 00FF00 {0 255 0.099 98.90100000000001}
	// RFP FF00FF {0 255 0.198 197.80200000000002}
}

// AddLabel lists a finished label image in the image's labels group.
func ExampleAddLabel() {
	ctx := context.Background()
	st := store.NewMemory()
	axes := []ome.Axis{{Name: "y", Type: "space"}, {Name: "x", Type: "space"}}
	l, _ := ome.Levels([]int{64, 64}, nil, nil, "mean")
	ome.Write(ctx, st, "img", ome.Image{Version: ome.V05, Multiscales: []ome.Multiscale{ome.NewMultiscale("img", axes, l, "mean")}})
	ome.Write(ctx, st, "img/labels/cells", ome.Image{Version: ome.V05, Multiscales: []ome.Multiscale{ome.NewMultiscale("cells", axes, l, "mode")},
		ImageLabel: ome.NewImageLabel()})
	if err := ome.AddLabel(ctx, st, "img", "cells", ""); err != nil {
		fmt.Println(err)
	}
	labels, _ := ome.Read(ctx, st, "img/labels")
	fmt.Println(labels.Labels)
	// Output:
	// [cells]
}
