package tiff

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ryomen-dev/ryomen/nd"
)

// Stack is an array whose last-but-one and last axes (or any two axes it
// names) are the rows and columns of TIFF pages: File.Stack gives a
// file's pages as one array of shape (pages, height, width), or (pages,
// height, width, samples) with several samples per pixel; a [Series]
// level gives an image with its own axes, such as (t, c, z, y, x). Every
// axis other than y, x and the sample axis indexes pages. It implements
// nd.Reader: ReadRegion decodes only the strips or tiles that intersect
// the box. It is safe for concurrent use.
type Stack struct {
	f     *File
	pages []*Page // one per plane, C order over the plane axes
	shape []int
	dt    nd.DType
	// yAx and xAx are the row and column axes; sAx the axis of the
	// samples of a pixel, or -1 when pages hold one sample.
	yAx, xAx, sAx int
	planeAx       []int        // the other axes, which index pages
	cache         *blockCache  // decoded compressed blocks; nil: none
	decodes       atomic.Int64 // blocks decoded, for tests
}

// SetCacheBytes sets the size of the cache of decoded compressed blocks
// (DefaultCacheBytes unless set; 0 disables it). Call it before reading.
func (s *Stack) SetCacheBytes(n int64) { s.cache = newBlockCache(n) }

// Stack returns the pages of f as one array. Every page must have the
// first page's size, samples and sample type, and the pages must not hold
// several images (File.Series finding more than one, such as two OME
// Images of one plane size): those are refused rather than merged. Stack
// knows no axes but pages; File.Series gives each image its own axes
// (t, c, z, ...).
func (f *File) Stack() (*Stack, error) {
	if ss, err := f.Series(); err == nil && len(ss) > 1 {
		var names []string
		for _, s := range ss {
			names = append(names, fmt.Sprintf("%q %v", s.Name, s.Shape()))
		}
		return nil, UnsupportedError(fmt.Sprintf("%sthe file holds %d images (%s): read each with File.Series, not as one stack",
			f.prefix(), len(ss), strings.Join(names, ", ")))
	}
	return f.stackOf(f.Pages, "page")
}

// Levels returns the number of resolution levels every page has: 1 plus
// the number of SubIFDs the pages share.
func (f *File) Levels() int { return 1 + sharedSubIFDs(f.Pages) }

// sharedSubIFDs is the number of SubIFDs every page of pages has.
func sharedSubIFDs(pages []*Page) int {
	n := len(pages[0].SubIFDs)
	for _, p := range pages {
		n = min(n, len(p.SubIFDs))
	}
	return n
}

// Level returns resolution level k as a stack: level 0 is Stack(), level
// k > 0 is every page's SubIFD k-1.
func (f *File) Level(k int) (*Stack, error) {
	if k == 0 {
		return f.Stack()
	}
	if k < 0 || k >= f.Levels() {
		return nil, fmt.Errorf("tiff: %slevel %d of %d", f.prefix(), k, f.Levels())
	}
	return f.stackOf(subIFDs(f.Pages, k), fmt.Sprintf("level %d of page", k))
}

// subIFDs returns SubIFD k-1 of every page.
func subIFDs(pages []*Page, k int) []*Page {
	out := make([]*Page, len(pages))
	for i, p := range pages {
		out[i] = p.SubIFDs[k-1]
	}
	return out
}

func (f *File) stackOf(pages []*Page, what string) (*Stack, error) {
	p0 := pages[0]
	shape, sAx := []int{len(pages), p0.Height, p0.Width}, -1
	if p0.Samples > 1 {
		shape, sAx = append(shape, p0.Samples), 3
	}
	return f.newStack(pages, shape, 1, 2, sAx, what)
}

// newStack checks that pages (one per plane, in C order over the axes
// other than yAx, xAx and sAx) fit shape and returns their array.
func (f *File) newStack(pages []*Page, shape []int, yAx, xAx, sAx int, what string) (*Stack, error) {
	p0 := pages[0]
	for i, p := range pages[1:] {
		if p.Width != p0.Width || p.Height != p0.Height || p.Samples != p0.Samples || p.DType != p0.DType {
			return nil, UnsupportedError(fmt.Sprintf("%s %d is %dx%dx%d %v, %s 0 %dx%dx%d %v: not a stack", what, i+1,
				p.Height, p.Width, p.Samples, p.DType, what, p0.Height, p0.Width, p0.Samples, p0.DType))
		}
	}
	s := &Stack{f: f, pages: pages, dt: p0.DType, shape: shape, yAx: yAx, xAx: xAx, sAx: sAx,
		cache: newBlockCache(DefaultCacheBytes)}
	planes := 1
	for a, n := range shape {
		if a != yAx && a != xAx && a != sAx {
			s.planeAx = append(s.planeAx, a)
			planes *= n
		}
	}
	spp := 1
	if sAx >= 0 {
		spp = shape[sAx]
	}
	if planes != len(pages) || shape[yAx] != p0.Height || shape[xAx] != p0.Width || spp != p0.Samples {
		return nil, FormatError(fmt.Sprintf("%d %ss of %dx%dx%d for an array of shape %v", len(pages), what,
			p0.Height, p0.Width, p0.Samples, shape))
	}
	return s, nil
}

// DType implements nd.Reader.
func (s *Stack) DType() nd.DType { return s.dt }

// Shape implements nd.Reader.
func (s *Stack) Shape() []int { return append([]int(nil), s.shape...) }

// blockJob is one strip or tile of one page that a region read needs.
type blockJob struct {
	k, block int   // page (index into pages) and block
	rel      []int // the page's plane coordinates relative to the box
}

// ReadRegion implements nd.Reader.
func (s *Stack) ReadRegion(b nd.Box, dst nd.Any) error {
	if err := nd.CheckRegion(s.shape, b, dst, s.dt); err != nil {
		return err
	}
	if b.Empty() {
		return nil
	}
	jobs := s.jobs(b)
	// Compressed blocks are decoded by up to GOMAXPROCS goroutines; each
	// copies into its own part of dst.
	workers := 1
	if s.pages[jobs[0].k].Compression != CompressionNone {
		workers = max(1, min(runtime.GOMAXPROCS(0), len(jobs)/2))
	}
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc blockScratch
			for {
				k := int(next.Add(1)) - 1
				if k >= len(jobs) {
					return
				}
				if err := s.readBlock(b, dst, jobs[k], &sc); err != nil {
					errs[w] = err
					next.Store(int64(len(jobs))) // stop the others
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// jobs lists the blocks of every page that b touches.
func (s *Stack) jobs(b nd.Box) []blockJob {
	var jobs []blockJob
	planes := nd.Box{Min: make([]int, len(s.planeAx)), Max: make([]int, len(s.planeAx))}
	for i, a := range s.planeAx {
		planes.Max[i] = b.Max[a] - b.Min[a]
	}
	for rel := range planes.Points() {
		k := 0
		for i, a := range s.planeAx {
			k = k*s.shape[a] + b.Min[a] + rel[i]
		}
		p := s.pages[k]
		s0, s1 := 0, 1
		if p.Planar == 2 && s.sAx >= 0 {
			s0, s1 = b.Min[s.sAx], b.Max[s.sAx]
		}
		at := slices.Clone(rel) // shared by the plane's jobs, never modified
		for smp := s0; smp < s1; smp++ {
			for _, i := range p.blocksIn(b.Min[s.yAx], b.Max[s.yAx], b.Min[s.xAx], b.Max[s.xAx]) {
				jobs = append(jobs, blockJob{k: k, block: i + smp*p.perPlane(), rel: at})
			}
		}
	}
	return jobs
}

// readBlock copies the part of job j's block inside b into dst.
func (s *Stack) readBlock(b nd.Box, dst nd.Any, j blockJob, sc *blockScratch) error {
	p := s.pages[j.k]
	var data []byte
	var at Block
	if c, ok := s.cache.lookup(p, j.k, j.block); ok {
		data, at = c.data, c.blk
	} else {
		var err error
		if s.cache != nil && p.Compression != CompressionNone {
			sc = &blockScratch{} // the cache keeps the decoded bytes
		}
		data, at, err = p.decodeBlock(j.block, sc)
		if err != nil {
			return fmt.Errorf("tiff: %spage %d: %w", s.f.prefix(), j.k, err)
		}
		s.decodes.Add(1)
		if s.cache != nil && p.Compression != CompressionNone {
			s.cache.put(&cached{key: [2]int{j.k, j.block}, data: data, blk: at})
		}
	}
	by, bx, bh, bw, sw := at.Y0, at.X0, at.H, at.W, at.StoredW
	y0, y1, x0, x1 := b.Min[s.yAx], b.Max[s.yAx], b.Min[s.xAx], b.Max[s.xAx]
	iy0, iy1 := max(y0, by), min(y1, by+bh)
	ix0, ix1 := max(x0, bx), min(x1, bx+bw)
	if iy0 >= iy1 || ix0 >= ix1 {
		return nil
	}
	// The block as an array of the stack's rank: length 1 on the plane
	// axes, its rows, columns and samples on the others.
	spb := p.spb()
	rank := len(s.shape)
	bshape, bstrides := make([]int, rank), make([]int, rank)
	src, dstb := nd.BoxOf(make([]int, rank)), nd.BoxOf(make([]int, rank))
	for i, a := range s.planeAx {
		bshape[a], src.Max[a] = 1, 1
		dstb.Min[a], dstb.Max[a] = j.rel[i], j.rel[i]+1
	}
	rows := len(data) / (sw * spb * s.dt.Size())
	bshape[s.yAx], bstrides[s.yAx] = rows, sw*spb
	src.Min[s.yAx], src.Max[s.yAx], dstb.Min[s.yAx], dstb.Max[s.yAx] = iy0-by, iy1-by, iy0-y0, iy1-y0
	bshape[s.xAx], bstrides[s.xAx] = sw, spb
	src.Min[s.xAx], src.Max[s.xAx], dstb.Min[s.xAx], dstb.Max[s.xAx] = ix0-bx, ix1-bx, ix0-x0, ix1-x0
	if a := s.sAx; a >= 0 {
		bshape[a], bstrides[a] = spb, 1
		if p.Planar == 2 {
			smp := at.Sample
			src.Min[a], src.Max[a], dstb.Min[a], dstb.Max[a] = 0, 1, smp-b.Min[a], smp-b.Min[a]+1
		} else {
			src.Min[a], src.Max[a], dstb.Min[a], dstb.Max[a] = b.Min[a], b.Max[a], 0, b.Max[a]-b.Min[a]
		}
	}
	blk, err := stridedView(s.dt, data[:rows*sw*spb*s.dt.Size()], bshape, bstrides)
	if err != nil {
		return fmt.Errorf("tiff: %spage %d block %d: %w", s.f.prefix(), j.k, j.block, err)
	}
	return nd.CopyAny(dst.View(dstb), blk.View(src))
}

// stridedView views the native samples in b as an array of the given
// shape and element strides.
func stridedView(dt nd.DType, b []byte, shape, strides []int) (nd.Any, error) {
	flat, err := nd.FromBytes(dt, []int{len(b) / dt.Size()}, nd.C, b)
	if err != nil {
		return nil, err
	}
	return stridedAny(flat, shape, strides)
}

// strided views the elements of flat with the given shape and strides.
func strided[T nd.Element](flat *nd.Array[T], shape, strides []int) (*nd.Array[T], error) {
	return nd.FromStrided(flat.Data(), shape, strides, 0)
}

//go:generate go run github.com/ryomen-dev/ryomen/internal/gen/dispatch

// stridedAny is strided for an array of any dtype.
//
//nd:dispatch stridedAny = strided(flat)

// prefix is "path: " for files OpenFile opened, else "".
func (f *File) prefix() string {
	if f.name == "" {
		return ""
	}
	return f.name + ": "
}

// blocksIn lists the strips or tiles (of sample plane 0 with separate
// planes) that intersect rows [y0, y1) and columns [x0, x1).
func (p *Page) blocksIn(y0, y1, x0, x1 int) []int {
	var out []int
	if !p.tiled() {
		for i := y0 / p.RowsPerStrip; i <= (y1-1)/p.RowsPerStrip && i < p.perPlane(); i++ {
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

// Shaped returns the array shape in a tifffile "shaped" description
// ({"shape": [3, 20, 24]}) of the first page, or nil if there is none.
func (f *File) Shaped() []int {
	d := strings.TrimSpace(f.Pages[0].Description)
	if !strings.HasPrefix(d, "{") {
		return nil
	}
	var m struct {
		Shape []int `json:"shape"`
	}
	if json.Unmarshal([]byte(d), &m) != nil {
		return nil
	}
	for _, n := range m.Shape {
		if n < 0 {
			return nil
		}
	}
	return m.Shape
}

// Spacing returns the z spacing an ImageJ description records, or 0.
func (f *File) Spacing() float64 {
	v, _ := strconv.ParseFloat(f.ImageJ()["spacing"], 64)
	return v
}
