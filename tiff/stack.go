package tiff

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
)

// Stack is a multi-page file seen as one array of shape (pages, height,
// width), or (pages, height, width, samples) with several samples per
// pixel. It implements nd.Reader: ReadRegion decodes only the strips or
// tiles that intersect the box. It is safe for concurrent use.
type Stack struct {
	f     *File
	pages []*Page
	shape []int
	dt    nd.DType
}

// Stack returns the pages of f as one array. Every page must have the
// first page's size, samples and sample type.
func (f *File) Stack() (*Stack, error) {
	p0 := f.Pages[0]
	for i, p := range f.Pages[1:] {
		if p.Width != p0.Width || p.Height != p0.Height || p.Samples != p0.Samples || p.DType != p0.DType {
			return nil, UnsupportedError(fmt.Sprintf("page %d is %dx%dx%d %v, page 0 %dx%dx%d %v: not a stack", i+1,
				p.Height, p.Width, p.Samples, p.DType, p0.Height, p0.Width, p0.Samples, p0.DType))
		}
	}
	s := &Stack{f: f, pages: f.Pages, dt: p0.DType, shape: []int{len(f.Pages), p0.Height, p0.Width}}
	if p0.Samples > 1 {
		s.shape = append(s.shape, p0.Samples)
	}
	return s, nil
}

// DType implements nd.Reader.
func (s *Stack) DType() nd.DType { return s.dt }

// Shape implements nd.Reader.
func (s *Stack) Shape() []int { return append([]int(nil), s.shape...) }

// ReadRegion implements nd.Reader.
func (s *Stack) ReadRegion(b nd.Box, dst nd.Any) error {
	if err := nd.CheckRegion(s.shape, b, dst, s.dt); err != nil {
		return err
	}
	if b.Empty() {
		return nil
	}
	y0, y1, x0, x1 := b.Min[1], b.Max[1], b.Min[2], b.Max[2]
	for z := b.Min[0]; z < b.Max[0]; z++ {
		p := s.pages[z]
		for _, i := range p.blocksIn(y0, y1, x0, x1) {
			data, by, bx, bh, bw, sw, err := p.DecodeBlock(i)
			if err != nil {
				return fmt.Errorf("page %d: %w", z, err)
			}
			blk, err := nd.FromBytes(s.dt, []int{len(data) / (sw * p.Samples * s.dt.Size()), sw, p.Samples}, nd.C, data)
			if err != nil {
				return err
			}
			// Intersection in page coordinates.
			iy0, iy1 := max(y0, by), min(y1, by+bh)
			ix0, ix1 := max(x0, bx), min(x1, bx+bw)
			if iy0 >= iy1 || ix0 >= ix1 {
				continue
			}
			srcBox := nd.NewBox([]int{iy0 - by, ix0 - bx, 0}, []int{iy1 - by, ix1 - bx, p.Samples})
			dstMin := []int{z - b.Min[0], iy0 - y0, ix0 - x0}
			dstMax := []int{z - b.Min[0] + 1, iy1 - y0, ix1 - x0}
			if len(s.shape) == 4 {
				dstMin = append(dstMin, 0)
				dstMax = append(dstMax, b.Max[3]-b.Min[3])
				srcBox.Min[2], srcBox.Max[2] = b.Min[3], b.Max[3]
			}
			d := dst.View(nd.NewBox(dstMin, dstMax))
			src := blk.View(srcBox)
			if err := copyInto(d, src); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyInto copies src (rows, cols, samples) into d, which has a leading
// page axis of 1 and, for single-sample stacks, no sample axis.
func copyInto(d, src nd.Any) error {
	shape := d.Shape()
	c := nd.NewAny(src.DType(), src.Shape(), nd.C)
	if err := nd.CopyAny(c, src); err != nil {
		return err
	}
	raw, _ := nd.AsBytes(c)
	r, err := nd.FromBytes(src.DType(), shape, nd.C, raw)
	if err != nil {
		return err
	}
	return nd.CopyAny(d, r)
}

// blocksIn lists the strips or tiles that intersect rows [y0, y1) and
// columns [x0, x1).
func (p *Page) blocksIn(y0, y1, x0, x1 int) []int {
	var out []int
	if !p.tiled() {
		for i := y0 / p.RowsPerStrip; i <= (y1-1)/p.RowsPerStrip && i < len(p.Offsets); i++ {
			out = append(out, i)
		}
		return out
	}
	across := (p.Width + p.TileWidth - 1) / p.TileWidth
	for ty := y0 / p.TileLength; ty <= (y1-1)/p.TileLength; ty++ {
		for tx := x0 / p.TileWidth; tx <= (x1-1)/p.TileWidth; tx++ {
			out = append(out, ty*across+tx)
		}
	}
	return out
}

// ImageJ returns the numbers in an ImageJ hyperstack description
// ("ImageJ=1.x\nimages=60\nslices=60\n...") of the first page, if any.
func (f *File) ImageJ() map[string]string {
	d := f.Pages[0].Description
	if !strings.HasPrefix(d, "ImageJ=") {
		return nil
	}
	m := map[string]string{}
	for _, line := range strings.Split(d, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

// Spacing returns the z spacing an ImageJ description records, or 0.
func (f *File) Spacing() float64 {
	v, _ := strconv.ParseFloat(f.ImageJ()["spacing"], 64)
	return v
}
