package stitch

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

type exactCase struct {
	shape, crop, margin []int
	border              tile.Border
	placement           tile.Placement
}

var exactCases = []exactCase{
	{[]int{97, 83}, []int{24, 20}, []int{3, 2}, tile.None, tile.PullBack},
	{[]int{97, 83}, []int{16, 16}, []int{1, 1}, tile.Symmetric, tile.Even},
	{[]int{64, 64}, []int{12, 40}, []int{4, 4}, tile.Reflect, tile.PullBack},
	{[]int{23, 31, 29}, []int{10, 12, 9}, []int{2, 2, 1}, tile.None, tile.PullBack},
	{[]int{23, 31, 29}, []int{8, 8, 8}, []int{1, 1, 1}, tile.Symmetric, tile.Even},
	{[]int{40, 50}, []int{40, 50}, []int{0, 0}, tile.None, tile.PullBack}, // one tile
	{[]int{300}, []int{12}, []int{2}, tile.Edge, tile.PullBack},           // 1-D
}

func (c exactCase) String() string {
	return fmt.Sprintf("%v/crop%v/margin%v/%v/%v", c.shape, c.crop, c.margin, c.border, c.placement)
}

// A threshold-then-label model stitched with Overlap at IoU 0 and with
// Touch gives exactly the connected components of the whole image up to
// renumbering, in 2-D and 3-D, with objects spanning many tiles and the
// image border; Touch also without any margin.
func TestExactThresholdLabel(t *testing.T) {
	for _, c := range exactCases {
		img := blobs(c.shape, uint64(len(c.shape)*100+c.crop[0]), 0.5)
		want := wholeLabels(t, img)
		for _, rule := range []Rule{Overlap, Touch} {
			margins := [][]int{c.margin}
			if rule == Touch {
				margins = append(margins, make([]int, len(c.crop)))
			}
			for _, m := range margins {
				t.Run(fmt.Sprintf("%v/%v/m%v", c, rule, m), func(t *testing.T) {
					p, err := tile.New(c.shape, tile.Spec{Crop: c.crop, Margin: m, Border: c.border, Placement: c.placement})
					if err != nil {
						t.Fatal(err)
					}
					got, st, err := Map(context.Background(), p, img, thresholdModel(len(c.shape)), Options{Rule: rule, Workers: 3, BatchSize: 2})
					if err != nil {
						t.Fatal(err)
					}
					if err := bijection(flat(t, got), want); err != nil {
						t.Fatalf("%d tiles, %d objects: %v", p.Len(), st.Objects, err)
					}
					if st.Objects < 10 || (st.Joins == 0) != (p.Len() == 1) || got.DType() != nd.Uint32 {
						t.Fatalf("weak case: %+v, dtype %v", st, got.DType())
					}
					if p.Len() > 1 && largest(want) <= cropVoxels(c.crop) {
						t.Fatalf("no object larger than a crop (largest %d voxels)", largest(want))
					}
					if !touchesBorder(want, c.shape) {
						t.Fatal("no object touches the image border")
					}
				})
			}
		}
	}
}

func largest(lab []uint64) int {
	n := map[uint64]int{}
	best := 0
	for _, v := range lab {
		if v != 0 {
			n[v]++
			best = max(best, n[v])
		}
	}
	return best
}

// touchesBorder reports whether an object has a voxel on every face of
// the image (the first and last index of every axis).
func touchesBorder(lab []uint64, shape []int) bool {
	st := nd.Strides(shape, nd.C)
	for d := range shape {
		for _, end := range []int{0, shape[d] - 1} {
			hit := false
			for i, v := range lab {
				if v != 0 && (i/st[d])%shape[d] == end {
					hit = true
					break
				}
			}
			if !hit {
				return false
			}
		}
	}
	return true
}

func cropVoxels(c []int) int {
	n := 1
	for _, v := range c {
		n *= v
	}
	return n
}

// The output is the same whatever the workers and batch sizes, and IDs
// follow the first label of each object (tile order, then the scan order
// of Dest): the first object in tile 0's Dest is 1.
func TestDeterministic(t *testing.T) {
	shape := []int{60, 70}
	img := blobs(shape, 3, 0.5)
	p, err := tile.New(shape, tile.Spec{Crop: []int{20, 20}, Margin: []int{3, 3}, Border: tile.Symmetric})
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []Rule{Overlap, Touch, Own} {
		var ref []uint64
		for _, w := range []int{1, 2, 5} {
			got, _, err := Map(context.Background(), p, img, thresholdModel(2), Options{Rule: rule, Workers: w, BatchSize: w, IoU: 0.2})
			if rule == Own {
				// The blobs are larger than the margin; Own is compared
				// across workers and shards by TestJobEqualsMap.
				if err == nil || !strings.Contains(err.Error(), "larger than the margin") {
					t.Fatalf("own on large blobs: %v", err)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			v := flat(t, got)
			if ref == nil {
				ref = v
				continue
			}
			if !slices.Equal(v, ref) {
				t.Fatalf("%v: %d workers differ from 1", rule, w)
			}
		}
		if ref != nil {
			d := p.Tile(0).Dest
			first := uint64(0)
			rows(shape, d, func(off, n int) {
				for _, v := range ref[off : off+n] {
					if first == 0 {
						first = v
					}
				}
			})
			if first != 1 {
				t.Errorf("%v: the first object of tile 0's Dest has ID %d, want 1", rule, first)
			}
		}
	}
}
