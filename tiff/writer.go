package tiff

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/klauspost/compress/zlib"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
)

// WriterOptions configure a Writer.
type WriterOptions struct {
	// Compression is CompressionNone (also 0), CompressionDeflate,
	// CompressionLZW, CompressionPackBits or CompressionZstd.
	Compression Compression
	// Level is the deflate or zstd level (0: default).
	Level int
	// Predictor is PredictorNone (also 0), PredictorHorizontal (integers)
	// or PredictorFloat (floats).
	Predictor Predictor
	// TileWidth and TileLength (multiples of 16) store tiles; zero
	// stores strips of RowsPerStrip rows (0: about 256 KiB per strip).
	TileWidth, TileLength, RowsPerStrip int
	// BigTIFF is BigAuto, BigAlways or BigNever. BigAuto writes classic
	// TIFF when Pages times the first page's worst-case encoded size
	// (plus room for the directories) stays below 4 GiB, and BigTIFF
	// otherwise, including when Pages is 0 (unknown), since a classic
	// file cannot be extended past 4 GiB once started. With BigNever a
	// page that would pass 4 GiB fails with an error.
	BigTIFF BigMode
	// Pages is the number of pages that will be written (0: unknown). It
	// is needed by ImageJ and lets BigAuto choose classic TIFF.
	Pages int
	// ImageJ writes an ImageJ hyperstack description on the first page
	// (images=Pages, slices=Pages, spacing=ZSpacing, unit=Unit) so that
	// ImageJ and Fiji open the file as a z stack. ImageJ holds only
	// uint8, uint16 and float32 samples (and uint8 RGB): for other types
	// the description is left out (Description is written instead) and
	// the file stays a plain multi-page TIFF. ImageJ's own opener
	// (File > Open) reads neither tiles nor BigTIFF nor zstd: for it write
	// strips, classic TIFF and none, deflate, LZW or PackBits. Fiji's
	// Bio-Formats importer reads all of them.
	ImageJ   bool
	ZSpacing float64
	Unit     string
	// Description is written on the first page when ImageJ is false.
	Description string
}

// Writer writes a TIFF or BigTIFF file page by page, so a stack never
// has to be in memory whole.
type Writer struct {
	w      io.WriteSeeker
	opt    WriterOptions
	big    bool
	pos    uint64 // current end of file
	link   uint64 // where the next IFD's offset is to be written
	pages  int
	first  *Page
	closed bool
	encs   []*blockEncoder // one per goroutine, buffers reused from page to page
	dtype  nd.DType
	imagej bool    // an ImageJ description is written
	levels [][]int // shapes of page 0's reduced levels
}

// imageJType reports whether ImageJ holds samples of dt, spp per pixel.
func imageJType(dt nd.DType, spp int) bool {
	switch {
	case spp == 3:
		return dt == nd.Uint8
	case spp == 1:
		return dt == nd.Uint8 || dt == nd.Uint16 || dt == nd.Float32
	}
	return false
}

// NewWriter starts a file on w.
func NewWriter(w io.WriteSeeker, opt WriterOptions) (*Writer, error) {
	switch opt.Compression {
	case 0:
		opt.Compression = CompressionNone
	case CompressionNone, CompressionDeflate, CompressionZstd, CompressionLZW, CompressionPackBits:
	default:
		return nil, UnsupportedError(fmt.Sprintf("writing compression %d (%v; want none, deflate, LZW, PackBits or zstd)", uint16(opt.Compression), opt.Compression))
	}
	switch opt.Predictor {
	case 0:
		opt.Predictor = PredictorNone
	case PredictorNone, PredictorHorizontal, PredictorFloat:
	default:
		return nil, UnsupportedError(fmt.Sprintf("writing %v", opt.Predictor))
	}
	if _, ok := bigModeNames[opt.BigTIFF]; !ok {
		return nil, fmt.Errorf("tiff: %v: want BigAuto, BigAlways or BigNever", opt.BigTIFF)
	}
	if opt.TileWidth%16 != 0 || opt.TileLength%16 != 0 || (opt.TileWidth == 0) != (opt.TileLength == 0) {
		return nil, fmt.Errorf("tiff: tile size %dx%d: both must be positive multiples of 16, or both 0", opt.TileWidth, opt.TileLength)
	}
	if opt.ImageJ && opt.Pages <= 0 {
		return nil, errors.New("tiff: an ImageJ description needs Pages")
	}
	return &Writer{w: w, opt: opt}, nil
}

// WritePage appends one page: a (height, width) or (height, width,
// samples) array. Reduced-resolution versions of it (a pyramid, largest
// first) may follow; they are written as the page's SubIFDs
// (NewSubfileType 1), as pyramidal OME-TIFF and tifffile store them, and
// must have the page's sample type and samples per pixel, and the same
// shapes on every page.
func (w *Writer) WritePage(a nd.Any, reduced ...nd.Any) error {
	if w.closed {
		return errors.New("tiff: write after Close")
	}
	h, wd, spp, err := w.check(a)
	if err != nil {
		return err
	}
	dt := a.DType()
	shapes := make([][]int, len(reduced))
	for k, r := range reduced {
		if _, _, rspp, err := w.check(r); err != nil {
			return fmt.Errorf("tiff: level %d: %w", k+1, err)
		} else if rspp != spp || r.DType() != dt {
			return fmt.Errorf("tiff: level %d is %v %v, the page %v %v", k+1, r.Shape(), r.DType(), a.Shape(), dt)
		}
		shapes[k] = r.Shape()
	}
	if w.pages == 0 {
		w.dtype, w.levels = dt, shapes
		total := int64(h) * int64(wd) * int64(spp) * int64(dt.Size())
		for _, r := range reduced {
			total += int64(r.Len()) * int64(dt.Size())
		}
		if err := w.start(total, spp); err != nil {
			return err
		}
	} else if p := w.first; p.Width != wd || p.Height != h || p.Samples != spp || p.DType != dt {
		return fmt.Errorf("tiff: page %d is %v %v, page 0 was %dx%dx%d %v", w.pages, a.Shape(), dt, p.Height, p.Width, p.Samples, p.DType)
	} else if fmt.Sprint(shapes) != fmt.Sprint(w.levels) {
		return fmt.Errorf("tiff: page %d has levels %v, page 0 had %v", w.pages, shapes, w.levels)
	}
	subs := make([]uint64, len(reduced))
	for k, r := range reduced {
		rp, err := w.encodePage(r)
		if err != nil {
			return err
		}
		if subs[k], err = w.writeIFD(rp, true, nil); err != nil {
			return err
		}
	}
	p, err := w.encodePage(a)
	if err != nil {
		return err
	}
	if _, err := w.writeIFD(p, false, subs); err != nil {
		return err
	}
	if w.pages == 0 {
		w.first = p
	}
	w.pages++
	return nil
}

// check validates the shape and sample type of a page or level.
func (w *Writer) check(a nd.Any) (h, wd, spp int, err error) {
	sh := a.Shape()
	if len(sh) != 2 && len(sh) != 3 {
		return 0, 0, 0, fmt.Errorf("tiff: page of rank %d (want height x width [x samples])", len(sh))
	}
	h, wd, spp = sh[0], sh[1], 1
	if len(sh) == 3 {
		spp = sh[2]
	}
	if h == 0 || wd == 0 || spp == 0 {
		return 0, 0, 0, fmt.Errorf("tiff: empty page %v", sh)
	}
	if h > math.MaxUint32 || wd > math.MaxUint32 || spp > 1<<15 {
		return 0, 0, 0, fmt.Errorf("tiff: page %v too large for TIFF", sh)
	}
	dt := a.DType()
	switch {
	case dt == nd.DTypeBool || !dt.Valid():
		return 0, 0, 0, UnsupportedError(fmt.Sprintf("writing %v samples (TIFF has no one-byte boolean; convert to uint8)", dt))
	case w.opt.Predictor == PredictorFloat && !dt.IsFloat():
		return 0, 0, 0, fmt.Errorf("tiff: floating-point predictor for %v samples", dt)
	case w.opt.Predictor == PredictorHorizontal && dt.IsFloat():
		return 0, 0, 0, fmt.Errorf("tiff: horizontal predictor for %v samples (use the floating-point predictor)", dt)
	}
	return h, wd, spp, nil
}

// encodePage writes a's blocks and returns its Page, offsets filled in.
func (w *Writer) encodePage(a nd.Any) (*Page, error) {
	h, wd, spp, _ := w.check(a)
	dt, sh := a.DType(), a.Shape()
	// The page's bytes in C order: the caller's memory when it is
	// C-contiguous (it is only read), else a copy.
	pix, ok := nd.AsBytes(a)
	if order, contig := nd.ContiguousOrder(a); !ok || !contig || order != nd.C {
		c := nd.NewAny(dt, sh, nd.C)
		if err := nd.CopyAny(c, a); err != nil {
			return nil, err
		}
		pix, _ = nd.AsBytes(c)
	}
	p := &Page{Width: wd, Height: h, Samples: spp, Bits: dt.Size() * 8, DType: dt, Compression: w.opt.Compression,
		Predictor: w.opt.Predictor, Planar: 1, TileWidth: w.opt.TileWidth, TileLength: w.opt.TileLength}
	px := spp * dt.Size() // bytes per pixel
	rowBytes := wd * px
	p.RowsPerStrip = h
	if !p.tiled() {
		p.RowsPerStrip = w.opt.RowsPerStrip
		if p.RowsPerStrip <= 0 {
			p.RowsPerStrip = max(1, (256<<10)/rowBytes)
		}
		p.RowsPerStrip = min(p.RowsPerStrip, h)
	}
	n := p.blocks()
	p.Offsets, p.Counts = make([]uint64, n), make([]uint64, n)
	// Blocks are prepared (copied, predicted) and compressed by up to
	// GOMAXPROCS encoders at once, a batch at a time, and appended to the
	// file in order.
	workers := 1
	if w.opt.Compression != CompressionNone {
		workers = max(1, min(runtime.GOMAXPROCS(0), n))
	}
	for len(w.encs) < workers {
		w.encs = append(w.encs, &blockEncoder{opt: &w.opt})
	}
	g := page{pix: pix, rowBytes: rowBytes, px: px, spp: spp, size: dt.Size(), p: p}
	outs := make([][]byte, workers)
	errs := make([]error, workers)
	for i0 := 0; i0 < n; i0 += workers {
		k := min(workers, n-i0)
		if k == 1 {
			outs[0], errs[0] = w.encs[0].encode(&g, i0)
		} else {
			var wg sync.WaitGroup
			for j := range k {
				wg.Add(1)
				go func() {
					defer wg.Done()
					outs[j], errs[j] = w.encs[j].encode(&g, i0+j)
				}()
			}
			wg.Wait()
		}
		for j := range k {
			if errs[j] != nil {
				return nil, errs[j]
			}
			off, err := w.append(outs[j])
			if err != nil {
				return nil, err
			}
			p.Offsets[i0+j], p.Counts[i0+j] = off, uint64(len(outs[j]))
		}
	}
	return p, nil
}

// start writes the header, choosing BigTIFF.
func (w *Writer) start(pageBytes int64, spp int) error {
	switch w.opt.BigTIFF {
	case BigAlways:
		w.big = true
	case BigNever:
	default:
		// The worst case of each compression (LZW can grow random data by
		// about half, PackBits by 1/128, deflate and zstd by a little),
		// plus generous room for the directories and block tables.
		worst := pageBytes + pageBytes/32 + 1<<16
		if w.opt.Compression == CompressionLZW {
			worst += pageBytes / 2
		}
		pages := int64(w.opt.Pages)
		w.big = pages <= 0 || pages > (math.MaxUint32-(1<<20))/worst
	}
	w.imagej = w.opt.ImageJ && imageJType(w.dtype, spp)
	var hdr []byte
	if w.big {
		hdr = []byte{'I', 'I', bigTIFFMagic, 0, bigOffsetSize, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
		w.link = 8
	} else {
		hdr = []byte{'I', 'I', classicMagic, 0, 0, 0, 0, 0}
		w.link = 4
	}
	if _, err := w.w.Write(hdr); err != nil {
		return err
	}
	w.pos = uint64(len(hdr))
	return nil
}

// append writes b at the end of the file (word aligned) and returns its
// offset.
func (w *Writer) append(b []byte) (uint64, error) {
	if w.pos%2 == 1 {
		if _, err := w.w.Write([]byte{0}); err != nil {
			return 0, err
		}
		w.pos++
	}
	if !w.big && w.pos+uint64(len(b)) > math.MaxUint32 {
		return 0, errors.New("tiff: the file would pass 4 GiB: write BigTIFF (WriterOptions.BigTIFF, or Pages with BigAuto)")
	}
	off := w.pos
	if _, err := w.w.Write(b); err != nil {
		return 0, err
	}
	w.pos += uint64(len(b))
	return off, nil
}

type field struct {
	tag, typ uint16
	count    uint64
	data     []byte // little-endian values
}

func shorts(v ...int) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(x))
	}
	return b
}

// writeIFD writes p's directory and returns its offset. A main page is
// linked into the chain and lists its reduced levels' directories subs; a
// reduced level (sub) is not linked.
func (w *Writer) writeIFD(p *Page, sub bool, subs []uint64) (uint64, error) {
	fs := w.fields(p, sub, subs)
	sort.Slice(fs, func(i, j int) bool { return fs[i].tag < fs[j].tag })
	off, next, err := w.writeDir(fs)
	if err != nil || sub {
		return off, err
	}
	// Link: the header or the previous IFD points here.
	if err := w.patch(w.link, off); err != nil {
		return 0, err
	}
	w.link = next
	return off, nil
}

// fields lists the tags of page p's directory, unsorted.
func (w *Writer) fields(p *Page, sub bool, subs []uint64) []field {
	sf := sfUint
	switch {
	case p.DType.IsFloat():
		sf = sfFloat
	case p.DType.IsSigned():
		sf = sfInt
	}
	bits := make([]int, p.Samples)
	sfs := make([]int, p.Samples)
	for i := range bits {
		bits[i], sfs[i] = p.Bits, sf
	}
	photometric, extra := 1, p.Samples-1 // min-is-black with extra samples
	if p.Samples == 3 || p.Samples == 4 {
		photometric, extra = 2, p.Samples-3 // RGB, RGBA
	}
	fs := []field{
		{tNewSubfileType, dtLong, 1, le32(uint32(b2i(sub)))}, // 1: reduced resolution
		{tImageWidth, dtLong, 1, le32(uint32(p.Width))},
		{tImageLength, dtLong, 1, le32(uint32(p.Height))},
		{tBitsPerSample, dtShort, uint64(p.Samples), shorts(bits...)},
		{tCompression, dtShort, 1, shorts(int(p.Compression))},
		{tPhotometricInterpretation, dtShort, 1, shorts(photometric)},
		{tSamplesPerPixel, dtShort, 1, shorts(p.Samples)},
		{tPlanarConfiguration, dtShort, 1, shorts(1)},
		{tSoftware, dtASCII, 7, []byte("ryomen\x00")},
		{tSampleFormat, dtShort, uint64(p.Samples), shorts(sfs...)},
	}
	if extra > 0 {
		fs = append(fs, field{tExtraSamples, dtShort, uint64(extra), shorts(make([]int, extra)...)}) // unspecified
	}
	if p.Predictor != PredictorNone {
		fs = append(fs, field{tPredictor, dtShort, 1, shorts(int(p.Predictor))})
	}
	if desc := w.description(); w.pages == 0 && !sub && desc != "" {
		fs = append(fs, field{tImageDescription, dtASCII, uint64(len(desc) + 1), append([]byte(desc), 0)})
	}
	offType := uint16(dtLong)
	if w.big {
		offType = dtLong8
	}
	n := uint64(len(p.Offsets))
	if p.tiled() {
		fs = append(fs, field{tTileWidth, dtLong, 1, le32(uint32(p.TileWidth))}, field{tTileLength, dtLong, 1, le32(uint32(p.TileLength))},
			field{tTileOffsets, offType, n, w.offsets(p.Offsets)}, field{tTileByteCounts, offType, n, w.offsets(p.Counts)})
	} else {
		fs = append(fs, field{tRowsPerStrip, dtLong, 1, le32(uint32(p.RowsPerStrip))},
			field{tStripOffsets, offType, n, w.offsets(p.Offsets)}, field{tStripByteCounts, offType, n, w.offsets(p.Counts)})
	}
	if len(subs) > 0 {
		typ := uint16(dtIFD)
		if w.big {
			typ = dtIFD8
		}
		fs = append(fs, field{tSubIFDs, typ, uint64(len(subs)), w.offsets(subs)})
	}
	return fs
}

// description is the first page's ImageDescription: the ImageJ
// hyperstack description, or WriterOptions.Description.
func (w *Writer) description() string {
	if !w.imagej {
		return w.opt.Description
	}
	desc := fmt.Sprintf("ImageJ=1.11a\nimages=%d\nslices=%d\n", w.opt.Pages, w.opt.Pages)
	if w.opt.Unit != "" {
		desc += "unit=" + w.opt.Unit + "\n"
	}
	if w.opt.ZSpacing > 0 {
		desc += fmt.Sprintf("spacing=%g\n", w.opt.ZSpacing)
	}
	return desc + "loop=false\n"
}

// offsets encodes file offsets or byte counts as LONG or LONG8 values.
func (w *Writer) offsets(v []uint64) []byte {
	if w.big {
		b := make([]byte, 0, 8*len(v))
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, x)
		}
		return b
	}
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return b
}

// writeDir appends the out-of-line values of the sorted fields fs, then
// the directory listing them. It returns the directory's offset and the
// position of its next-IFD offset (left 0).
func (w *Writer) writeDir(fs []field) (off, next uint64, err error) {
	inline := 4
	if w.big {
		inline = 8
	}
	where := make([]uint64, len(fs))
	for i, f := range fs {
		if len(f.data) > inline {
			if where[i], err = w.append(f.data); err != nil {
				return 0, 0, err
			}
		}
	}
	le := binary.LittleEndian
	var d []byte
	if w.big {
		d = le.AppendUint64(d, uint64(len(fs)))
	} else {
		d = le.AppendUint16(d, uint16(len(fs)))
	}
	for i, f := range fs {
		d = le.AppendUint16(le.AppendUint16(d, f.tag), f.typ)
		if w.big {
			d = le.AppendUint64(d, f.count)
		} else {
			d = le.AppendUint32(d, uint32(f.count))
		}
		val := make([]byte, inline)
		if len(f.data) > inline {
			copy(val, w.offsets(where[i:i+1]))
		} else {
			copy(val, f.data)
		}
		d = append(d, val...)
	}
	d = append(d, make([]byte, inline)...) // next IFD: none yet
	if off, err = w.append(d); err != nil {
		return 0, 0, err
	}
	return off, off + uint64(len(d)-inline), nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// patch writes offset v at file position at, then returns to the end.
func (w *Writer) patch(at, v uint64) error {
	b := make([]byte, 4)
	if w.big {
		b = binary.LittleEndian.AppendUint64(nil, v)
	} else {
		binary.LittleEndian.PutUint32(b, uint32(v))
	}
	if _, err := w.w.Seek(int64(at), io.SeekStart); err != nil {
		return err
	}
	if _, err := w.w.Write(b); err != nil {
		return err
	}
	_, err := w.w.Seek(int64(w.pos), io.SeekStart)
	return err
}

// Close finishes the file. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.pages == 0 {
		return errors.New("tiff: no pages written")
	}
	if w.imagej && w.pages != w.opt.Pages {
		return fmt.Errorf("tiff: wrote %d pages, the ImageJ description says %d", w.pages, w.opt.Pages)
	}
	return nil
}

// page is one page being written, as its encoders see it.
type page struct {
	pix                     []byte // C-order samples
	rowBytes, px, spp, size int
	p                       *Page
}

// blockEncoder prepares and compresses blocks, reusing its buffers; one
// runs per goroutine.
type blockEncoder struct {
	opt      *WriterOptions
	blk, enc []byte
	zbuf     bytes.Buffer
	zw       *zlib.Writer
}

// encode returns block i of g encoded, valid until the next call.
func (e *blockEncoder) encode(g *page, i int) ([]byte, error) {
	b := g.p.block(i)
	y0, x0, bh, bw, sh, sw := b.Y0, b.X0, b.H, b.W, b.StoredH, b.StoredW
	bRow := sw * g.px
	if !g.p.tiled() && e.opt.Predictor == PredictorNone {
		return e.compress(g.pix[y0*g.rowBytes:(y0+bh)*g.rowBytes], bRow) // a strip is a run of the page
	}
	if cap(e.blk) < sh*bRow {
		e.blk = make([]byte, sh*bRow)
	}
	blk := e.blk[:sh*bRow]
	if bh < sh || bw < sw {
		clear(blk) // padding of tiles that overhang the image
	}
	for r := 0; r < bh; r++ {
		src := g.pix[(y0+r)*g.rowBytes+x0*g.px:]
		copy(blk[r*bRow:r*bRow+bw*g.px], src)
	}
	for r := 0; r < sh; r++ {
		row := blk[r*bRow : (r+1)*bRow]
		switch e.opt.Predictor {
		case PredictorHorizontal:
			applyHorizontal(row, g.spp, g.size)
		case PredictorFloat:
			applyFloatPredictor(row, g.spp, g.size)
		}
	}
	return e.compress(blk, bRow)
}

// compress encodes one block of rows of rowBytes bytes. The result is
// valid until the next call.
func (e *blockEncoder) compress(b []byte, rowBytes int) ([]byte, error) {
	switch e.opt.Compression {
	case CompressionNone:
		return b, nil
	case CompressionLZW:
		e.enc = lzwEncode(e.enc[:0], b)
	case CompressionPackBits:
		e.enc = packBits(e.enc[:0], b, rowBytes)
	case CompressionDeflate:
		e.zbuf.Reset()
		if e.zw == nil {
			level := e.opt.Level
			if level == 0 {
				level = 6
			}
			zw, err := zlib.NewWriterLevel(&e.zbuf, level)
			if err != nil {
				return nil, fmt.Errorf("tiff: deflate level %d: %w", level, err)
			}
			e.zw = zw
		} else {
			e.zw.Reset(&e.zbuf)
		}
		if _, err := e.zw.Write(b); err != nil {
			return nil, err
		}
		if err := e.zw.Close(); err != nil {
			return nil, err
		}
		return e.zbuf.Bytes(), nil
	case CompressionZstd:
		enc, err := codec.Zstd{Level: max(e.opt.Level, 3)}.Encode(e.enc[:0], b)
		if err != nil {
			return nil, err
		}
		e.enc = enc
	default:
		return nil, UnsupportedError(fmt.Sprintf("writing %v", e.opt.Compression))
	}
	return e.enc, nil
}
