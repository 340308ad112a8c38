package tile

import (
	"fmt"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// borderIndex maps coordinate i of an axis of length n to the image
// coordinate whose value fills it, or -1 for Constant outside the image.
func borderIndex(b Border, i, n int) int {
	if i >= 0 && i < n {
		return i
	}
	switch b {
	case Symmetric:
		r := mod(i, 2*n)
		if r >= n {
			r = 2*n - 1 - r
		}
		return r
	case Reflect:
		if n == 1 {
			return 0
		}
		r := mod(i, 2*n-2)
		if r >= n {
			r = 2*n - 2 - r
		}
		return r
	case Edge:
		return min(max(i, 0), n-1)
	case Periodic:
		return mod(i, n)
	}
	return -1
}

func mod(a, n int) int {
	r := a % n
	if r < 0 {
		r += n
	}
	return r
}

// ReadCrop fills dst with the crop box of src, using border mode b (and
// fill value v for Constant) for the parts of crop outside src. dst must
// have the shape of crop. A crop inside the image is one ReadRegion call
// straight into dst; a padded crop reads only the image voxels it needs
// (at most the crop's size per axis) and then gathers them.
func ReadCrop[T nd.Number](src nd.Reader, crop nd.Box, b Border, v float64, dst *nd.Array[T]) error {
	shape := src.Shape()
	if crop.Rank() != len(shape) || !nd.BoxOf(dst.Shape()).Eq(nd.BoxOf(crop.Shape())) {
		return fmt.Errorf("tile: crop %v and buffer shape %v do not match an image of shape %v", crop, dst.Shape(), shape)
	}
	img := nd.BoxOf(shape)
	if img.Contains(crop) {
		return src.ReadRegion(crop, dst)
	}
	if b == None {
		return fmt.Errorf("tile: crop %v reaches outside the image %v and the border mode is none", crop, img)
	}
	if ok, err := readCropInPlace(src, crop, b, v, dst); ok || err != nil {
		return err
	}
	maps, runs, tmpShape, err := cropMaps(shape, crop, b)
	if err != nil {
		return err
	}
	tmp := nd.New[T](tmpShape, nd.C)
	if err := readRuns(src, runs, tmp); err != nil {
		return err
	}
	gather(dst, tmp, maps, T(v))
	return nil
}

// cropMaps returns, per axis of a crop reaching outside an image of the
// given shape, the image coordinates it needs compacted to a dense range
// of positions of a temporary array: maps (crop position -> temporary
// position, or -1 for the fill value), runs (runs of consecutive needed
// image coordinates) and the temporary array's shape.
func cropMaps(shape []int, crop nd.Box, b Border) (maps [][]int, runs [][][2]int, tmpShape []int, err error) {
	r := crop.Rank()
	maps, runs, tmpShape = make([][]int, r), make([][][2]int, r), make([]int, r)
	for d := 0; d < r; d++ {
		n := shape[d]
		cs := crop.Max[d] - crop.Min[d]
		if n == 0 {
			return nil, nil, nil, fmt.Errorf("tile: cannot pad axis %d of length 0", d)
		}
		src := make([]int, cs)
		var uniq []int
		for j := range cs {
			src[j] = borderIndex(b, crop.Min[d]+j, n)
			if src[j] >= 0 {
				uniq = append(uniq, src[j])
			}
		}
		// The needed image coordinates, sorted and unique (at most cs of
		// them), split into runs of consecutive coordinates.
		slices.Sort(uniq)
		uniq = slices.Compact(uniq)
		for k, u := range uniq {
			if k > 0 && uniq[k-1] == u-1 {
				runs[d][len(runs[d])-1][1] = u + 1
			} else {
				runs[d] = append(runs[d], [2]int{u, u + 1})
			}
		}
		tmpShape[d] = len(uniq)
		for j, s := range src {
			if s >= 0 {
				src[j], _ = slices.BinarySearch(uniq, s)
			}
		}
		maps[d] = src
	}
	return maps, runs, tmpShape, nil
}

// readRuns reads every product of the per-axis runs of image coordinates
// into its place in tmp, which holds the runs of each axis one after the
// other.
func readRuns[T nd.Number](src nd.Reader, runs [][][2]int, tmp *nd.Array[T]) error {
	if tmp.Len() == 0 {
		return nil
	}
	r := len(runs)
	counts := make([]int, r)
	starts := make([][]int, r) // position in tmp of each run
	for d, rs := range runs {
		counts[d] = len(rs)
		off := 0
		for _, run := range rs {
			starts[d] = append(starts[d], off)
			off += run[1] - run[0]
		}
	}
	for idx := range nd.Indices(counts) {
		box := nd.Box{Min: make([]int, r), Max: make([]int, r)}
		tb := nd.Box{Min: make([]int, r), Max: make([]int, r)}
		for d, k := range idx {
			run := runs[d][k]
			box.Min[d], box.Max[d] = run[0], run[1]
			tb.Min[d], tb.Max[d] = starts[d][k], starts[d][k]+run[1]-run[0]
		}
		part := nd.New[T](box.Shape(), nd.C)
		if err := src.ReadRegion(box, part); err != nil {
			return err
		}
		nd.Copy(tmp.Sub(tb), part)
	}
	return nil
}

// gather sets dst[j0,j1,...] = tmp[maps[0][j0], maps[1][j1], ...], or fill
// where any map entry is -1.
func gather[T nd.Number](dst, tmp *nd.Array[T], maps [][]int, fill T) {
	dd, ds, doff := dst.Data(), dst.Strides(), dst.Offset()
	td, ts := tmp.Data(), tmp.Strides()
	r := len(maps)
	var rec func(d, do, to int, ok bool)
	rec = func(d, do, to int, ok bool) {
		m := maps[d]
		if d == r-1 {
			st, tst := ds[d], ts[d]
			for j, s := range m {
				if !ok || s < 0 {
					dd[do+j*st] = fill
				} else {
					dd[do+j*st] = td[to+s*tst]
				}
			}
			return
		}
		for j, s := range m {
			if s < 0 {
				rec(d+1, do+j*ds[d], to, false)
			} else {
				rec(d+1, do+j*ds[d], to+s*ts[d], ok)
			}
		}
	}
	if dst.Len() > 0 {
		rec(0, doff, 0, true)
	}
}

// readCropInPlace handles the common padded crop whose border voxels all
// mirror voxels inside the crop's own in-image part (any mode when the
// margin is no wider than that part, Constant always). It reads the
// in-image part straight into dst and then fills the padding axis by axis
// with hyperslab copies inside dst: axis d copies slabs that span the
// already complete range of axes < d and the in-image range of axes > d.
// It returns false, having done nothing, when the crop needs voxels from
// outside itself.
func readCropInPlace[T nd.Number](src nd.Reader, crop nd.Box, b Border, v float64, dst *nd.Array[T]) (bool, error) {
	inner, ok := inPlaceInner(src.Shape(), crop, b)
	if !ok {
		return false, nil
	}
	if err := src.ReadRegion(inner, dst.Sub(inner.Translate(neg(crop.Min)))); err != nil {
		return true, err
	}
	padInPlace(dst, src.Shape(), crop, inner, b, v)
	return true, nil
}

// inPlaceInner returns the in-image part of crop and whether every border
// voxel of crop mirrors a voxel of that part.
func inPlaceInner(shape []int, crop nd.Box, b Border) (nd.Box, bool) {
	inner := crop.Intersect(nd.BoxOf(shape))
	if inner.Empty() {
		return inner, false
	}
	if b != Constant {
		for d := range crop.Rank() {
			for i := crop.Min[d]; i < crop.Max[d]; i++ {
				if i >= inner.Min[d] && i < inner.Max[d] {
					continue
				}
				if j := borderIndex(b, i, shape[d]); j < inner.Min[d] || j >= inner.Max[d] {
					return inner, false
				}
			}
		}
	}
	return inner, true
}

// padInPlace fills the border of dst, whose in-image part inner (in image
// coordinates) is already read, axis by axis.
func padInPlace[T nd.Number](dst *nd.Array[T], shape []int, crop, inner nd.Box, b Border, v float64) {
	r := crop.Rank()
	slab := inner.Translate(neg(crop.Min))
	for d := 0; d < r; d++ {
		if d == r-1 && b != Constant {
			padLastAxis(dst, slab, crop, inner, b, shape[d])
			break
		}
		for i := crop.Min[d]; i < crop.Max[d]; i++ {
			if i >= inner.Min[d] && i < inner.Max[d] {
				continue
			}
			to := slab.Translate(make([]int, r))
			to.Min[d], to.Max[d] = i-crop.Min[d], i-crop.Min[d]+1
			if b == Constant {
				dst.Sub(to).Fill(T(v))
				continue
			}
			j := borderIndex(b, i, shape[d]) - crop.Min[d]
			from := slab.Translate(make([]int, r))
			from.Min[d], from.Max[d] = j, j+1
			nd.Copy(dst.Sub(to), dst.Sub(from))
		}
		// Axis d is now complete over the whole crop.
		slab.Min[d], slab.Max[d] = 0, crop.Max[d]-crop.Min[d]
	}
}

func neg(v []int) []int {
	o := make([]int, len(v))
	for i, x := range v {
		o[i] = -x
	}
	return o
}

// padLastAxis fills the padding of the last axis row by row, for every
// row of slab (which already spans the complete range of the other axes).
// Reference loop, for each row and each padded i:
//
//	row[i-crop.Min] = row[borderIndex(b, i, n)-crop.Min]
func padLastAxis[T nd.Number](dst *nd.Array[T], slab, crop, inner nd.Box, b Border, n int) {
	r := slab.Rank()
	d := r - 1
	type pair struct{ to, from int }
	var pads []pair
	for i := crop.Min[d]; i < crop.Max[d]; i++ {
		if i < inner.Min[d] || i >= inner.Max[d] {
			pads = append(pads, pair{i - crop.Min[d], borderIndex(b, i, n) - crop.Min[d]})
		}
	}
	if len(pads) == 0 {
		return
	}
	data, st, off := dst.Data(), dst.Strides(), dst.Offset()
	for k := range d {
		off += slab.Min[k] * st[k]
	}
	s := st[d]
	for _, o := range nd.Rows(slab.Shape(), st, off) {
		for _, p := range pads {
			data[o+p.to*s] = data[o+p.from*s]
		}
	}
}

//go:generate go run github.com/ryomen-dev/ryomen/internal/gen/dispatch

// ReadCropAny is [ReadCrop] for a dst of any numeric dtype: the one type
// switch from a runtime dtype to the generic code.
//
//nd:dispatch ReadCropAny = ReadCrop(dst)
