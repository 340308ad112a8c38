package ome

import (
	"context"
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/store"
)

func TestLevels(t *testing.T) {
	l, err := Levels([]int{10, 100, 101}, []float64{1, 0.5, 0.5}, [][]int{{1, 2, 2}, {2, 2, 2}}, "mean")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l[2].Shape, []int{5, 25, 26}) || !slices.Equal(l[2].Scale, []float64{2, 2, 2}) ||
		!slices.Equal(l[2].Translation, []float64{0.5, 0.75, 0.75}) {
		t.Fatalf("%+v", l[2])
	}
	s, _ := Levels([]int{4, 4}, nil, [][]int{{2, 2}}, "stride")
	if !slices.Equal(s[1].Translation, []float64{0, 0}) {
		t.Fatalf("%+v", s[1])
	}
}

func TestWriteRead(t *testing.T) {
	ctx := context.Background()
	axes := []Axis{{"c", "channel", ""}, {"y", "space", "micrometer"}, {"x", "space", "micrometer"}}
	l, _ := Levels([]int{2, 8, 8}, nil, [][]int{{1, 2, 2}}, "mean")
	for _, v := range []string{V04, V05} {
		st := store.NewMemory()
		img := Image{Version: v, Multiscales: []Multiscale{NewMultiscale("img", axes, l, "mean")}}
		if err := Write(ctx, st, "img", img); err != nil {
			t.Fatal(err)
		}
		if err := Write(ctx, st, "img/labels", Image{Version: v, Labels: []string{"cells"}}); err != nil {
			t.Fatal(err)
		}
		got, err := Read(ctx, st, "img")
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != v || len(got.Multiscales[0].Datasets) != 2 || got.Multiscales[0].Datasets[1].CoordinateTransformations[1].Translation[2] != 0.5 {
			t.Fatalf("%s: %+v", v, got)
		}
		lb, err := Read(ctx, st, "img/labels")
		if err != nil || lb.Labels[0] != "cells" {
			t.Fatal(lb, err)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := [][]Axis{
		{{Name: "x", Type: "space"}},
		{{Name: "y", Type: "space"}, {Name: "t", Type: "time"}, {Name: "x", Type: "space"}},
		{{Name: "y", Type: "space"}, {Name: "c", Type: "channel"}, {Name: "x", Type: "space"}},
		{{Name: "x", Type: "space"}, {Name: "x", Type: "space"}},
	}
	for _, a := range bad {
		m := Multiscale{Axes: a, Datasets: []Dataset{{Path: "0"}}}
		if m.Validate() == nil {
			t.Errorf("%v accepted", a)
		}
	}
}
