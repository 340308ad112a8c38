package tiff

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ryomen-dev/ryomen/nd"
)

// Stack is a multi-page file seen as one array of shape (pages, height,
// width), or (pages, height, width, samples) with several samples per
// pixel. It implements nd.Reader: ReadRegion decodes only the strips or
// tiles that intersect the box. It is safe for concurrent use.
type Stack struct {
	f       *File
	pages   []*Page
	shape   []int
	dt      nd.DType
	cache   *blockCache  // decoded compressed blocks; nil: none
	decodes atomic.Int64 // blocks decoded, for tests
}

// SetCacheBytes sets the size of the cache of decoded compressed blocks
// (DefaultCacheBytes unless set; 0 disables it). Call it before reading.
func (s *Stack) SetCacheBytes(n int64) { s.cache = newBlockCache(n) }

// Stack returns the pages of f as one array. Every page must have the
// first page's size, samples and sample type.
func (f *File) Stack() (*Stack, error) { return f.stackOf(f.Pages, "page") }

// Levels returns the number of resolution levels every page has: 1 plus
// the number of SubIFDs the pages share.
func (f *File) Levels() int {
	n := len(f.Pages[0].SubIFDs)
	for _, p := range f.Pages {
		n = min(n, len(p.SubIFDs))
	}
	return 1 + n
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
	pages := make([]*Page, len(f.Pages))
	for i, p := range f.Pages {
		pages[i] = p.SubIFDs[k-1]
	}
	return f.stackOf(pages, fmt.Sprintf("level %d of page", k))
}

func (f *File) stackOf(pages []*Page, what string) (*Stack, error) {
	p0 := pages[0]
	for i, p := range pages[1:] {
		if p.Width != p0.Width || p.Height != p0.Height || p.Samples != p0.Samples || p.DType != p0.DType {
			return nil, UnsupportedError(fmt.Sprintf("%s %d is %dx%dx%d %v, %s 0 %dx%dx%d %v: not a stack", what, i+1,
				p.Height, p.Width, p.Samples, p.DType, what, p0.Height, p0.Width, p0.Samples, p0.DType))
		}
	}
	s := &Stack{f: f, pages: pages, dt: p0.DType, shape: []int{len(pages), p0.Height, p0.Width},
		cache: newBlockCache(DefaultCacheBytes)}
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
	type job struct{ z, i int }
	var jobs []job
	for z := b.Min[0]; z < b.Max[0]; z++ {
		for _, i := range s.pages[z].blocksIn(b.Min[1], b.Max[1], b.Min[2], b.Max[2]) {
			jobs = append(jobs, job{z, i})
		}
	}
	// Compressed blocks are decoded by up to GOMAXPROCS goroutines; each
	// copies into its own part of dst.
	workers := 1
	if s.pages[b.Min[0]].Compression != CompressionNone {
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
				if err := s.readBlock(b, dst, jobs[k].z, jobs[k].i, &sc); err != nil {
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

// readBlock copies the part of block i of page z inside b into dst.
func (s *Stack) readBlock(b nd.Box, dst nd.Any, z, i int, sc *blockScratch) error {
	p := s.pages[z]
	y0, y1, x0, x1 := b.Min[1], b.Max[1], b.Min[2], b.Max[2]
	var data []byte
	var by, bx, bh, bw, sw int
	if c, ok := s.cache.lookup(p, z, i); ok {
		data, by, bx, bh, bw, sw = c.data, c.y0, c.x0, c.h, c.w, c.sw
	} else {
		var err error
		if s.cache != nil && p.Compression != CompressionNone {
			sc = &blockScratch{} // the cache keeps the decoded bytes
		}
		data, by, bx, bh, bw, sw, err = p.decodeBlock(i, sc)
		if err != nil {
			return fmt.Errorf("tiff: %spage %d: %w", s.f.prefix(), z, err)
		}
		s.decodes.Add(1)
		if s.cache != nil && p.Compression != CompressionNone {
			s.cache.put(&cached{key: [2]int{z, i}, data: data, y0: by, x0: bx, h: bh, w: bw, sw: sw})
		}
	}
	// Intersection in page coordinates.
	iy0, iy1 := max(y0, by), min(y1, by+bh)
	ix0, ix1 := max(x0, bx), min(x1, bx+bw)
	if iy0 >= iy1 || ix0 >= ix1 {
		return nil
	}
	// The block as a (1, rows, width[, samples]) array, so that its view
	// and dst's view have the same rank.
	rows := len(data) / (sw * p.Samples * s.dt.Size())
	bshape := []int{1, rows, sw}
	srcBox := nd.NewBox([]int{0, iy0 - by, ix0 - bx}, []int{1, iy1 - by, ix1 - bx})
	dstBox := nd.NewBox([]int{z - b.Min[0], iy0 - y0, ix0 - x0}, []int{z - b.Min[0] + 1, iy1 - y0, ix1 - x0})
	if len(s.shape) == 4 {
		bshape = append(bshape, p.Samples)
		srcBox = nd.NewBox(append(srcBox.Min, b.Min[3]), append(srcBox.Max, b.Max[3]))
		dstBox = nd.NewBox(append(dstBox.Min, 0), append(dstBox.Max, b.Max[3]-b.Min[3]))
	}
	blk, err := nd.FromBytes(s.dt, bshape, nd.C, data)
	if err != nil {
		return fmt.Errorf("tiff: %spage %d block %d: %w", s.f.prefix(), z, i, err)
	}
	return nd.CopyAny(dst.View(dstBox), blk.View(srcBox))
}

// prefix is "path: " for files OpenFile opened, else "".
func (f *File) prefix() string {
	if f.name == "" {
		return ""
	}
	return f.name + ": "
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
