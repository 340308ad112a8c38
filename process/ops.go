package process

import (
	"context"
	"fmt"
	"sync"

	"github.com/ryomen-dev/ryomen/filter"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// Op is a built-in tile function with its output dtype and a recycler of
// its result buffers (for Options.Recycle).
type Op struct {
	Func     tile.AnyFunc
	OutDType nd.DType
	Recycle  func(nd.Any)
}

// Gaussian returns scipy.ndimage.gaussian_filter (truncate 4) of each
// crop as float32, sigma per axis in voxels (0: not filtered along that
// axis). With a margin of at least filter.Radius(sigma) per side and
// tile.Paste, the tiled result equals the Gaussian of the whole image with
// the plan's border mode (tile.Symmetric is scipy's 'reflect').
func Gaussian(sigma []float64, m tile.Merge) Op {
	var pool bufPool[float32]
	return Op{Func: gaussian(sigma, m, &pool), OutDType: nd.Float32, Recycle: pool.recycle}
}

// Threshold returns 1 where a voxel is > v and 0 elsewhere, as uint8.
func Threshold(v float64) Op {
	var pool bufPool[uint8]
	return Op{Func: threshold(v, &pool), OutDType: nd.Uint8, Recycle: pool.recycle}
}

// toFloat converts b to a new C-order float32 array, row by row for the
// common dtypes (nd.ConvertAny otherwise).
func toFloat(b nd.Any, pool *bufPool[float32]) (*nd.Array[float32], error) {
	a := pool.get(b.Shape())
	switch v := b.(type) {
	case *nd.Array[uint8]:
		rowsToF32(a, v)
	case *nd.Array[uint16]:
		rowsToF32(a, v)
	case *nd.Array[int16]:
		rowsToF32(a, v)
	case *nd.Array[float32]:
		nd.Copy(a, v)
	default:
		return a, nd.ConvertAny(a, b)
	}
	return a, nil
}

// rowsToF32 sets dst (C order, src's shape) to float32(src), one row of
// the last axis at a time.
func rowsToF32[T uint8 | uint16 | int16](dst *nd.Array[float32], src *nd.Array[T]) {
	sh, st, off := src.Shape(), src.Strides(), src.Offset()
	if dst.Len() == 0 {
		return
	}
	r := len(sh) - 1
	n, s := sh[r], st[r]
	sd, dd := src.Data(), dst.Data()
	k := 0
	for _, o := range nd.Rows(sh, st, off) {
		row := dd[k*n : (k+1)*n]
		k++
		if s == 1 {
			for j, x := range sd[o : o+n] {
				row[j] = float32(x)
			}
			continue
		}
		for j := range row {
			row[j] = float32(sd[o+j*s])
		}
	}
}

// bufPool reuses C-order arrays of any shape up to the largest seen.
// The zero value is ready to use.
type bufPool[T nd.Number] struct{ p sync.Pool }

// get returns an array of shape with unspecified contents.
func (b *bufPool[T]) get(shape []int) *nd.Array[T] {
	n := 1
	for _, v := range shape {
		n *= v
	}
	if s, ok := b.p.Get().(*[]T); ok && cap(*s) >= n {
		return nd.FromSlice((*s)[:n], shape, nd.C)
	}
	return nd.New[T](shape, nd.C)
}

// put takes back an array from get.
func (b *bufPool[T]) put(a *nd.Array[T]) {
	d := a.Data()
	b.p.Put(&d)
}

// recycle is put for the runner's results.
func (b *bufPool[T]) recycle(y nd.Any) {
	if a, ok := y.(*nd.Array[T]); ok && a.IsContiguous(nd.C) && a.Offset() == 0 {
		b.put(a)
	}
}

// threshold is the tile function of Threshold: 1 where the
// voxel is > v, else 0, as uint8 (results from pool).
func threshold(v float64, pool *bufPool[uint8]) tile.AnyFunc {
	var fp bufPool[float32]
	return func(_ context.Context, _ []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		out := make([]nd.Any, len(crops))
		for i, c := range crops {
			a, err := toFloat(c, &fp)
			if err != nil {
				return nil, err
			}
			y := pool.get(a.Shape())
			src, dst := a.Data(), y.Data()
			for j, x := range src {
				dst[j] = 0
				if float64(x) > v {
					dst[j] = 1
				}
			}
			fp.put(a)
			out[i] = y
		}
		return out, nil
	}
}

// gaussian is the tile function of Gaussian: scipy's Gaussian
// (filter.Gaussian) of the crop. It computes the part of the result that
// is used, the kept Source box when pasting, the crop's in-image region
// when blending; where that part's kernel reaches past the crop it mirrors
// the crop (scipy's 'reflect', which at an unpadded image edge is the
// image's own mirror). With a margin of at least the radius the pasted
// result is the whole image's Gaussian.
func gaussian(sigma []float64, m tile.Merge, pool *bufPool[float32]) tile.AnyFunc {
	rad := filter.Margins(sigma)
	var tmp bufPool[float32]
	return func(_ context.Context, tiles []tile.Tile, crops []nd.Any) ([]nd.Any, error) {
		out := make([]nd.Any, len(crops))
		for i, c := range crops {
			t := tiles[i]
			keep := t.Source
			if m != tile.Paste {
				keep = t.RegionSource
			}
			need := keep.Expand(rad)
			var in *nd.Array[float32]
			full := nd.BoxOf(c.Shape())
			if full.Contains(need) {
				var err error
				if in, err = toFloat(c.View(need), &tmp); err != nil {
					return nil, err
				}
			} else {
				f, err := toFloat(c, &tmp)
				if err != nil {
					return nil, err
				}
				in = nd.New[float32](need.Shape(), nd.C)
				if err := tile.ReadCrop(f, need, tile.Symmetric, 0, in); err != nil {
					return nil, err
				}
				tmp.put(f)
			}
			// Only keep is ever read from the result: the rest of a
			// recycled buffer stays as it was.
			y := pool.get(c.Shape())
			if err := filter.Gaussian(y.Sub(keep), in, sigma); err != nil {
				return nil, fmt.Errorf("tile %d: %w", t.Index, err)
			}
			tmp.put(in)
			out[i] = y
		}
		return out, nil
	}
}
