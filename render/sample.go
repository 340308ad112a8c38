package render

import (
	"context"
	"fmt"
	"math"

	"github.com/ryomen-dev/ryomen/dataset"
	"github.com/ryomen-dev/ryomen/nd"
)

// sample returns the values of level l under every output pixel of plane
// p (row by row), at channel ch of axis chAxis (-1: none) and the fixed
// positions of other axes; pixels outside the image get blank. A MIP
// takes the maximum over its range, read in slabs aligned to the chunks
// of the normal axis so that every chunk is read once.
func sample[T float64 | uint64](ctx context.Context, lv []dataset.Level, l int, p Plane, chAxis, ch int, fixed map[int]int, blank T) ([]T, error) {
	shape, shape0 := lv[l].Shape(), lv[0].Shape()
	ri := samples(p.Height, p.Region.Min[0], p.Region.Max[0], factor(lv, l, p.Rows), shape0[p.Rows], shape[p.Rows])
	ci := samples(p.Width, p.Region.Min[1], p.Region.Max[1], factor(lv, l, p.Cols), shape0[p.Cols], shape[p.Cols])
	out := make([]T, p.Width*p.Height)
	for i := range out {
		out[i] = blank
	}
	rlo, rhi, rok := span(ri)
	clo, chi, cok := span(ci)
	if !rok || !cok {
		return out, nil
	}
	box := nd.BoxOf(shape)
	for d := range shape {
		lo, hi := 0, 1
		switch {
		case d == p.Rows:
			lo, hi = rlo, rhi
		case d == p.Cols:
			lo, hi = clo, chi
		case d == chAxis:
			lo, hi = ch, ch+1
		case d == p.Normal:
			f := factor(lv, l, d)
			lo = min(int(float64(p.Index)/f), shape[d]-1)
			hi = lo + 1
			if p.MIPMax > p.MIPMin {
				lo = min(int(float64(p.MIPMin)/f), shape[d]-1)
				hi = min(int(float64(p.MIPMax-1)/f)+1, shape[d])
			}
		default:
			i := fixed[d]
			if i < 0 || i >= shape0[d] {
				return nil, fmt.Errorf("render: position %d outside axis %d of size %d", i, d, shape0[d])
			}
			lo = min(int(float64(i)/factor(lv, l, d)), shape[d]-1)
			hi = lo + 1
		}
		box.Min[d], box.Max[d] = lo, hi
	}
	return out, readSlabs(ctx, lv[l], box, p, ri, ci, out)
}

// span returns the range [lo, hi) of the non-negative indices of idx.
func span(idx []int) (lo, hi int, ok bool) {
	lo, hi = math.MaxInt, -1
	for _, i := range idx {
		if i >= 0 {
			lo, hi = min(lo, i), max(hi, i+1)
		}
	}
	return lo, hi, hi > lo
}

// readSlabs reads box from lv in slabs along the plane's normal and
// samples each into out, keeping the maximum along the normal.
func readSlabs[T float64 | uint64](ctx context.Context, lv dataset.Level, box nd.Box, p Plane, ri, ci []int, out []T) error {
	per := 1
	for d, s := range box.Shape() {
		if d != p.Normal {
			per *= s
		}
	}
	if per > MaxReadElements {
		return fmt.Errorf("render: the view reads %d voxels per plane (more than %d): choose a coarser level or a smaller region", per, MaxReadElements)
	}
	lo, hi, step := 0, 1, 1
	if p.Normal >= 0 {
		lo, hi = box.Min[p.Normal], box.Max[p.Normal]
		if p.Normal < len(lv.Chunks) && lv.Chunks[p.Normal] > 0 {
			step = lv.Chunks[p.Normal]
		}
		for step > 1 && per*step > MaxReadElements {
			step /= 2
		}
	}
	first := true
	for z := lo; z < hi; {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(hi, (z/step+1)*step)
		slab := nd.Box{Min: append([]int(nil), box.Min...), Max: append([]int(nil), box.Max...)}
		if p.Normal >= 0 {
			slab.Min[p.Normal], slab.Max[p.Normal] = z, end
		}
		a, err := readAs[T](lv, slab)
		if err != nil {
			return err
		}
		pick(a, slab, p, ri, ci, out, first)
		first = false
		z = end
	}
	return nil
}

// readAs reads box of r converted to element type T.
func readAs[T float64 | uint64](r nd.Reader, box nd.Box) (*nd.Array[T], error) {
	buf, err := nd.NewAnyChecked(r.DType(), box.Shape(), nd.C)
	if err != nil {
		return nil, fmt.Errorf("render: read %v: %w", box, err)
	}
	if err := r.ReadRegion(box, buf); err != nil {
		return nil, fmt.Errorf("render: read %v: %w", box, err)
	}
	if a, ok := buf.(*nd.Array[T]); ok {
		return a, nil
	}
	a := nd.New[T](box.Shape(), nd.C)
	if err := nd.ConvertAny(a, buf); err != nil {
		return nil, fmt.Errorf("render: read %v: %w", box, err)
	}
	return a, nil
}

// pick samples the slab a (at box) into out; with first false it keeps
// the larger of the old and new values.
func pick[T float64 | uint64](a *nd.Array[T], box nd.Box, p Plane, ri, ci []int, out []T, first bool) {
	st, data := a.Strides(), a.Data()
	nz, sz := 1, 0
	if p.Normal >= 0 {
		nz, sz = box.Max[p.Normal]-box.Min[p.Normal], st[p.Normal]
	}
	sr, sc := st[p.Rows], st[p.Cols]
	r0, c0 := box.Min[p.Rows], box.Min[p.Cols]
	w := len(ci)
	for i, r := range ri {
		if r < 0 {
			continue
		}
		for j, c := range ci {
			if c < 0 {
				continue
			}
			off := a.Offset() + (r-r0)*sr + (c-c0)*sc
			for k := 0; k < nz; k++ {
				v := data[off+k*sz]
				if (first && k == 0) || v > out[i*w+j] {
					out[i*w+j] = v
				}
			}
		}
	}
}
