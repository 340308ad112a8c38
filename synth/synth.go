// Package synth generates deterministic, microscopy-like synthetic volumes:
// ellipsoidal "cells" with smooth intensity over a dim background, plus
// noise, and the matching label volume. Every voxel is a pure function of the
// seed and its coordinates, so any region can be computed on its own and a
// volume of any size costs no memory until it is read.
package synth

import (
	"fmt"
	"iter"
	"math"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// Params describe a synthetic volume. The zero value of every field except
// Shape gets a default.
type Params struct {
	// Shape is the volume shape in z, y, x order (rank 3).
	Shape []int
	// Seed selects the volume; equal seeds give equal voxels.
	Seed uint64
	// Spacing is the distance between cell centres in voxels (default 32).
	Spacing int
	// Background is the mean background intensity (default 100).
	Background float64
	// Noise is the standard deviation of the additive noise (default 20).
	Noise float64
}

func (p Params) withDefaults() (Params, error) {
	if len(p.Shape) != 3 {
		return p, fmt.Errorf("synth: shape must have 3 axes (z, y, x), got %v", p.Shape)
	}
	for _, n := range p.Shape {
		if n <= 0 {
			return p, fmt.Errorf("synth: shape %v has an empty axis", p.Shape)
		}
	}
	if p.Spacing == 0 {
		p.Spacing = 32
	}
	if p.Spacing < 8 {
		return p, fmt.Errorf("synth: spacing %d is below 8", p.Spacing)
	}
	if p.Background == 0 {
		p.Background = 100
	}
	if p.Noise == 0 {
		p.Noise = 20
	}
	return p, nil
}

// Volume computes cells on demand. Image and Labels return its two views.
type Volume struct {
	p    Params
	grid [3]int // cells per axis
}

// New checks p and returns the volume it describes.
func New(p Params) (*Volume, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	v := &Volume{p: p}
	for i := range 3 {
		v.grid[i] = (p.Shape[i] + p.Spacing - 1) / p.Spacing
	}
	return v, nil
}

// Image is the uint16 intensity volume.
func (v *Volume) Image() nd.Reader { return imageReader{v} }

// Labels is the uint32 label volume: 0 is background, cell k has label k.
func (v *Volume) Labels() nd.Reader { return labelReader{v} }

// Image8 is the image scaled to uint8 (value/4, saturating at 255), for
// benchmarks and tests that want 8-bit data.
func (v *Volume) Image8() nd.Reader { return image8Reader{v} }

type image8Reader struct{ v *Volume }

func (r image8Reader) DType() nd.DType { return nd.Uint8 }
func (r image8Reader) Shape() []int    { return append([]int(nil), r.v.p.Shape...) }
func (r image8Reader) ReadRegion(b nd.Box, dst nd.Any) error {
	a, ok := dst.(*nd.Array[uint8])
	if !ok {
		return fmt.Errorf("synth: uint8 image region needs *nd.Array[uint8], got %T", dst)
	}
	if err := nd.CheckRegion(r.v.p.Shape, b, dst, nd.Uint8); err != nil {
		return err
	}
	for sb := range slabs(b) {
		wide := nd.New[uint16](sb.Shape(), nd.C)
		r.v.renderSlab(sb, wide, nil)
		narrow := nd.New[uint8](sb.Shape(), nd.C)
		nb := narrow.Data()
		for i, x := range wide.Data() {
			nb[i] = uint8(min(x/4, 255))
		}
		nd.Copy(a.Sub(sb.Translate(neg(b.Min))), narrow)
	}
	return nil
}

// slabVoxels bounds the voxels rendered at once: rendering holds about 11
// bytes of scratch per voxel, so a region is rendered in slabs along z of
// at most this many voxels and a large read costs no more scratch than a
// small one.
const slabVoxels = 1 << 20

// slabs splits b along its first axis into slabs of at most slabVoxels
// voxels (at least one plane each).
func slabs(b nd.Box) iter.Seq[nd.Box] {
	return func(yield func(nd.Box) bool) {
		sh := b.Shape()
		plane := max(sh[1]*sh[2], 1)
		t := max(1, slabVoxels/plane)
		for z := b.Min[0]; z < b.Max[0]; z += t {
			sb := nd.Box{Min: slices.Clone(b.Min), Max: slices.Clone(b.Max)}
			sb.Min[0], sb.Max[0] = z, min(z+t, b.Max[0])
			if !yield(sb) {
				return
			}
		}
	}
}

func neg(p []int) []int {
	o := make([]int, len(p))
	for i, v := range p {
		o[i] = -v
	}
	return o
}

type imageReader struct{ v *Volume }

func (r imageReader) DType() nd.DType { return nd.Uint16 }
func (r imageReader) Shape() []int    { return append([]int(nil), r.v.p.Shape...) }
func (r imageReader) ReadRegion(b nd.Box, dst nd.Any) error {
	a, ok := dst.(*nd.Array[uint16])
	if !ok {
		return fmt.Errorf("synth: image region needs *nd.Array[uint16], got %T", dst)
	}
	if err := nd.CheckRegion(r.v.p.Shape, b, dst, nd.Uint16); err != nil {
		return err
	}
	r.v.render(b, a, nil)
	return nil
}

type labelReader struct{ v *Volume }

func (r labelReader) DType() nd.DType { return nd.Uint32 }
func (r labelReader) Shape() []int    { return append([]int(nil), r.v.p.Shape...) }
func (r labelReader) ReadRegion(b nd.Box, dst nd.Any) error {
	a, ok := dst.(*nd.Array[uint32])
	if !ok {
		return fmt.Errorf("synth: label region needs *nd.Array[uint32], got %T", dst)
	}
	if err := nd.CheckRegion(r.v.p.Shape, b, dst, nd.Uint32); err != nil {
		return err
	}
	r.v.render(b, nil, a)
	return nil
}

// cell is one ellipsoid.
type cell struct {
	id         uint32
	c          [3]float64 // centre
	r          [3]float64 // radii
	brightness float64
}

// cellAt returns the cell of grid position g. Every grid position holds one
// cell, jittered inside its grid square so that cells never overlap.
func (v *Volume) cellAt(g [3]int) cell {
	s := float64(v.p.Spacing)
	id := uint32((g[0]*v.grid[1]+g[1])*v.grid[2]+g[2]) + 1
	h := mix(v.p.Seed ^ uint64(id)*0x9e3779b97f4a7c15)
	var c cell
	c.id = id
	for i := range 3 {
		u := unit(mix(h + uint64(i)*0x632be59bd9b4e019))
		c.r[i] = s * (0.18 + 0.14*u) // 0.18..0.32 of spacing
		w := unit(mix(h + uint64(i+3)*0x632be59bd9b4e019))
		slack := s/2 - c.r[i] - 1
		c.c[i] = (float64(g[i])+0.5)*s + (2*w-1)*slack
	}
	c.brightness = 600 + 1800*unit(mix(h+0xabcdef))
	return c
}

// render fills img and/or lab (either may be nil, else of b's shape) with
// region b, slab by slab.
func (v *Volume) render(b nd.Box, img *nd.Array[uint16], lab *nd.Array[uint32]) {
	for sb := range slabs(b) {
		in := sb.Translate(neg(b.Min))
		var si *nd.Array[uint16]
		var sl *nd.Array[uint32]
		if img != nil {
			si = img.Sub(in)
		}
		if lab != nil {
			sl = lab.Sub(in)
		}
		v.renderSlab(sb, si, sl)
	}
}

// renderSlab fills img and/or lab (either may be nil) with region b.
func (v *Volume) renderSlab(b nd.Box, img *nd.Array[uint16], lab *nd.Array[uint32]) {
	sh := b.Shape()
	// Per-voxel label and smooth signal, computed from the cells that touch b.
	n := sh[0] * sh[1] * sh[2]
	labels := make([]uint32, n)
	var signal []float32
	if img != nil {
		signal = make([]float32, n)
	}
	s := v.p.Spacing
	var g0, g1 [3]int
	for i := range 3 {
		g0[i] = max(0, b.Min[i]/s-1)
		g1[i] = min(v.grid[i]-1, (b.Max[i]-1)/s+1)
	}
	for gz := g0[0]; gz <= g1[0]; gz++ {
		for gy := g0[1]; gy <= g1[1]; gy++ {
			for gx := g0[2]; gx <= g1[2]; gx++ {
				c := v.cellAt([3]int{gz, gy, gx})
				var lo, hi [3]int
				empty := false
				for i := range 3 {
					lo[i] = max(b.Min[i], int(math.Floor(c.c[i]-c.r[i])))
					hi[i] = min(b.Max[i], int(math.Ceil(c.c[i]+c.r[i]))+1)
					if lo[i] >= hi[i] {
						empty = true
					}
				}
				if empty {
					continue
				}
				for z := lo[0]; z < hi[0]; z++ {
					dz := (float64(z) - c.c[0]) / c.r[0]
					for y := lo[1]; y < hi[1]; y++ {
						dy := (float64(y) - c.c[1]) / c.r[1]
						row := ((z-b.Min[0])*sh[1] + (y - b.Min[1])) * sh[2]
						for x := lo[2]; x < hi[2]; x++ {
							dx := (float64(x) - c.c[2]) / c.r[2]
							d2 := dz*dz + dy*dy + dx*dx
							if d2 > 1 {
								continue
							}
							k := row + x - b.Min[2]
							labels[k] = c.id
							if signal != nil {
								// Brighter rim (membrane) over a smooth body.
								signal[k] = float32(c.brightness * (0.55 + 0.25*d2 + 0.45*math.Exp(-40*(1-d2)*(1-d2))))
							}
						}
					}
				}
			}
		}
	}
	idx := 0
	for z := range sh[0] {
		for y := range sh[1] {
			for x := range sh[2] {
				if lab != nil {
					lab.Set(labels[idx], z, y, x)
				}
				if img != nil {
					gz, gy, gx := z+b.Min[0], y+b.Min[1], x+b.Min[2]
					val := v.p.Background + float64(signal[idx]) + v.p.Noise*gauss(v.p.Seed, gz, gy, gx)
					img.Set(uint16(min(65535, max(0, math.Round(val)))), z, y, x)
				}
				idx++
			}
		}
	}
}

// mix is the splitmix64 finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// gauss returns an approximately standard normal value for a voxel: the sum
// of four uniforms from one hash, rescaled (Irwin-Hall).
func gauss(seed uint64, z, y, x int) float64 {
	h := mix(seed ^ mix(uint64(z)<<42^uint64(y)<<21^uint64(x)))
	var s float64
	for i := range 4 {
		s += float64((h >> (16 * i)) & 0xffff)
	}
	// Each term is uniform on [0, 65535]: mean 4*32767.5, variance 4*65536²/12.
	return (s - 4*32767.5) / (65536 * math.Sqrt(4.0/12))
}
