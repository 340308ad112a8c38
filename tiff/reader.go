package tiff

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
)

// Limits bound what Open and the decoders accept, so a hostile file
// cannot make them loop or allocate without bound.
type Limits struct {
	MaxPages      int   // IFDs in the chain
	MaxEntries    int   // entries per IFD
	MaxArray      int   // values in one tag (strip/tile tables)
	MaxBlockBytes int64 // decoded bytes of one strip or tile
}

// DefaultLimits are generous for microscopy stacks.
var DefaultLimits = Limits{MaxPages: 1 << 20, MaxEntries: 4096, MaxArray: 1 << 24, MaxBlockBytes: 1 << 30}

// File is an opened TIFF or BigTIFF file: its pages (IFDs) in order.
type File struct {
	r      io.ReaderAt
	size   int64
	bo     binary.ByteOrder
	big    bool
	limits Limits
	closer io.Closer
	name   string // the path OpenFile opened, for error messages
	// Pages are the IFDs of the main chain.
	Pages []*Page
}

// Page describes one image (IFD).
type Page struct {
	Width, Height int
	Samples       int // samples per pixel
	Bits          int // bits per sample
	DType         nd.DType
	Compression   Compression
	Predictor     Predictor
	Planar        int // 1 contiguous, 2 separate planes
	RowsPerStrip  int
	TileWidth     int // 0 for strips
	TileLength    int
	Offsets       []uint64 // strip or tile offsets
	Counts        []uint64 // their byte counts
	Description   string
	// SubfileType is the NewSubfileType tag (1: a reduced-resolution
	// image, as pyramid levels are marked).
	SubfileType int
	// XResolution and YResolution are pixels per ResolutionUnit (1 none,
	// 2 inch, 3 centimetre); 0 when absent.
	XResolution, YResolution float64
	ResolutionUnit           int
	// SubIFDs are the page's reduced-resolution levels (SubIFDs tag),
	// largest first, as pyramidal OME-TIFF and tifffile write them.
	SubIFDs []*Page
	subOffs []uint64
	f       *File
}

// BigTIFF reports whether the file uses 64-bit offsets.
func (f *File) BigTIFF() bool { return f.big }

// ByteOrder returns the file's byte order.
func (f *File) ByteOrder() binary.ByteOrder { return f.bo }

// Close closes the file OpenFile opened.
func (f *File) Close() error {
	if f.closer != nil {
		return f.closer.Close()
	}
	return nil
}

// OpenFile opens the TIFF file at path with DefaultLimits.
func OpenFile(path string) (*File, error) { return OpenFileLimits(path, DefaultLimits) }

// OpenFileLimits opens the TIFF file at path with the given limits.
func OpenFileLimits(path string, lim Limits) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	f, err := Open(fh, st.Size(), lim)
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.closer, f.name = fh, path
	return f, nil
}

// Open parses the header and every IFD of the file in r (size bytes).
func Open(r io.ReaderAt, size int64, lim Limits) (*File, error) {
	f := &File{r: r, size: size, limits: lim}
	var h [16]byte
	if size < 8 {
		return nil, FormatError("file shorter than a header")
	}
	if _, err := r.ReadAt(h[:min(16, size)], 0); err != nil && err != io.EOF {
		return nil, err
	}
	switch string(h[:2]) {
	case leHeader:
		f.bo = binary.LittleEndian
	case beHeader:
		f.bo = binary.BigEndian
	default:
		return nil, FormatError(fmt.Sprintf("byte order mark %q", h[:2]))
	}
	var next uint64
	switch f.bo.Uint16(h[2:]) {
	case classicMagic:
		next = uint64(f.bo.Uint32(h[4:]))
	case bigTIFFMagic:
		if size < 16 || f.bo.Uint16(h[4:]) != bigOffsetSize || f.bo.Uint16(h[6:]) != 0 {
			return nil, FormatError("BigTIFF header")
		}
		f.big = true
		next = f.bo.Uint64(h[8:])
	default:
		return nil, FormatError(fmt.Sprintf("version %d (want 42 or 43)", f.bo.Uint16(h[2:])))
	}
	seen := map[uint64]bool{}
	for next != 0 {
		if seen[next] {
			return nil, FormatError(fmt.Sprintf("IFD chain loops at offset %d", next))
		}
		seen[next] = true
		if len(f.Pages) >= lim.MaxPages {
			return nil, FormatError(fmt.Sprintf("more than %d pages", lim.MaxPages))
		}
		p, n, err := f.readIFD(next)
		if err != nil {
			return nil, fmt.Errorf("tiff: page %d: %w", len(f.Pages), err)
		}
		f.Pages = append(f.Pages, p)
		next = n
	}
	// Reduced-resolution levels count against MaxPages too.
	ifds := len(f.Pages)
	for i, p := range f.Pages {
		for k, off := range p.subOffs {
			if seen[off] {
				return nil, FormatError(fmt.Sprintf("page %d: SubIFD %d at offset %d is already used", i, k, off))
			}
			seen[off] = true
			if ifds++; ifds > lim.MaxPages {
				return nil, FormatError(fmt.Sprintf("more than %d IFDs with SubIFDs", lim.MaxPages))
			}
			sp, _, err := f.readIFD(off)
			if err != nil {
				return nil, fmt.Errorf("tiff: page %d SubIFD %d: %w", i, k, err)
			}
			sp.subOffs = nil // one level of SubIFDs only
			p.SubIFDs = append(p.SubIFDs, sp)
		}
	}
	if len(f.Pages) == 0 {
		return nil, FormatError("no pages")
	}
	return f, nil
}

// inFile checks that n bytes at off lie inside the file.
func (f *File) inFile(off uint64, n int) error {
	if n < 0 || off > uint64(f.size) || uint64(n) > uint64(f.size)-off {
		return FormatError(fmt.Sprintf("%d bytes at offset %d outside the %d-byte file", n, off, f.size))
	}
	return nil
}

func (f *File) read(off uint64, n int) ([]byte, error) {
	if err := f.inFile(off, n); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := f.r.ReadAt(b, int64(off)); err != nil && !(err == io.EOF && n == 0) {
		return nil, err
	}
	return b, nil
}

type entry struct {
	tag, typ uint16
	count    uint64
	data     []byte // the values, read from their offset if out of line
}

func (f *File) readIFD(off uint64) (*Page, uint64, error) {
	cntSize, entSize, offSize := 2, 12, 4
	if f.big {
		cntSize, entSize, offSize = 8, 20, 8
	}
	b, err := f.read(off, cntSize)
	if err != nil {
		return nil, 0, err
	}
	var n uint64
	if f.big {
		n = f.bo.Uint64(b)
	} else {
		n = uint64(f.bo.Uint16(b))
	}
	if n == 0 || n > uint64(f.limits.MaxEntries) {
		return nil, 0, FormatError(fmt.Sprintf("IFD with %d entries", n))
	}
	body, err := f.read(off+uint64(cntSize), int(n)*entSize+offSize)
	if err != nil {
		return nil, 0, err
	}
	entries := map[uint16]entry{}
	for i := 0; i < int(n); i++ {
		e := body[i*entSize:]
		en := entry{tag: f.bo.Uint16(e), typ: f.bo.Uint16(e[2:])}
		var val []byte
		if f.big {
			en.count, val = f.bo.Uint64(e[4:]), e[12:20]
		} else {
			en.count, val = uint64(f.bo.Uint32(e[4:])), e[8:12]
		}
		sz, ok := typeSizes[en.typ]
		if !ok {
			continue // unknown types are skipped, as readers must
		}
		if en.count > uint64(f.limits.MaxArray) {
			return nil, 0, FormatError(fmt.Sprintf("tag %d has %d values", en.tag, en.count))
		}
		total := int(en.count) * sz
		if total <= offSize {
			en.data = val[:total]
		} else {
			var vo uint64
			if f.big {
				vo = f.bo.Uint64(val)
			} else {
				vo = uint64(f.bo.Uint32(val))
			}
			if en.data, err = f.read(vo, total); err != nil {
				return nil, 0, fmt.Errorf("tag %d: %w", en.tag, err)
			}
		}
		entries[en.tag] = en
	}
	var next uint64
	tail := body[int(n)*entSize:]
	if f.big {
		next = f.bo.Uint64(tail)
	} else {
		next = uint64(f.bo.Uint32(tail))
	}
	p, err := f.page(entries)
	if err == nil {
		if e, ok := entries[tSubIFDs]; ok {
			if p.subOffs, err = f.ints(e); err != nil {
				return nil, 0, err
			}
		}
	}
	return p, next, err
}

// ints decodes an integer tag's values.
func (f *File) ints(e entry) ([]uint64, error) {
	sz := typeSizes[e.typ]
	out := make([]uint64, e.count)
	for i := range out {
		d := e.data[i*sz:]
		switch e.typ {
		case dtByte, dtUndefined:
			out[i] = uint64(d[0])
		case dtShort:
			out[i] = uint64(f.bo.Uint16(d))
		case dtLong, dtIFD:
			out[i] = uint64(f.bo.Uint32(d))
		case dtLong8, dtIFD8:
			out[i] = f.bo.Uint64(d)
		default:
			return nil, FormatError(fmt.Sprintf("tag %d has non-integer type %d", e.tag, e.typ))
		}
	}
	return out, nil
}

// page builds and checks the Page an IFD's entries describe.
func (f *File) page(es map[uint16]entry) (*Page, error) {
	p := &Page{f: f, Samples: 1, Bits: 1, Compression: CompressionNone, Predictor: PredictorNone, Planar: 1}
	if err := f.scalars(es, p); err != nil {
		return nil, err
	}
	if err := f.sampleType(es, p); err != nil {
		return nil, err
	}
	p.XResolution, p.YResolution = f.rational(es, tXResolution), f.rational(es, tYResolution)
	if e, ok := es[tImageDescription]; ok && e.typ == dtASCII {
		p.Description = strings.TrimRight(string(e.data), "\x00")
	}
	if err := f.blockTables(es, p); err != nil {
		return nil, err
	}
	if err := p.Compression.decodable(); err != nil {
		return nil, err
	}
	switch p.Predictor {
	case PredictorNone, PredictorHorizontal:
	case PredictorFloat:
		if !p.DType.IsFloat() {
			return nil, FormatError("floating-point predictor on integer samples")
		}
	default:
		return nil, UnsupportedError(p.Predictor.String())
	}
	return p, nil
}

// tagInt returns the first value of an integer tag, or dflt when the tag
// is absent.
func (f *File) tagInt(es map[uint16]entry, tag uint16, dflt int) (int, error) {
	e, ok := es[tag]
	if !ok {
		return dflt, nil
	}
	v, err := f.ints(e)
	if err != nil || len(v) == 0 {
		return 0, FormatError(fmt.Sprintf("tag %d", tag))
	}
	if v[0] > 1<<31 {
		return 0, FormatError(fmt.Sprintf("tag %d value %d", tag, v[0]))
	}
	return int(v[0]), nil
}

// scalars reads the page's one-value tags: sizes, compression, predictor,
// layout.
func (f *File) scalars(es map[uint16]entry, p *Page) error {
	var comp, pred int
	for _, t := range []struct {
		tag  uint16
		dst  *int
		dflt int
	}{
		{tImageWidth, &p.Width, -1}, {tImageLength, &p.Height, -1}, {tSamplesPerPixel, &p.Samples, 1},
		{tBitsPerSample, &p.Bits, 1}, {tCompression, &comp, 1}, {tPredictor, &pred, 1},
		{tPlanarConfiguration, &p.Planar, 1}, {tTileWidth, &p.TileWidth, 0}, {tTileLength, &p.TileLength, 0},
		{tNewSubfileType, &p.SubfileType, 0}, {tResolutionUnit, &p.ResolutionUnit, 2},
	} {
		var err error
		if *t.dst, err = f.tagInt(es, t.tag, t.dflt); err != nil {
			return err
		}
	}
	if comp > 0xffff || pred > 0xffff {
		return FormatError(fmt.Sprintf("compression %d, predictor %d: not SHORT values", comp, pred))
	}
	p.Compression, p.Predictor = Compression(comp), Predictor(pred)
	if p.Width <= 0 || p.Height <= 0 {
		return FormatError("missing or zero ImageWidth/ImageLength")
	}
	if p.Samples < 1 || p.Samples > 64 {
		return FormatError(fmt.Sprintf("SamplesPerPixel %d", p.Samples))
	}
	var err error
	if p.RowsPerStrip, err = f.tagInt(es, tRowsPerStrip, p.Height); err != nil {
		return err
	}
	p.RowsPerStrip = max(1, min(p.RowsPerStrip, p.Height))
	return nil
}

// sampleType sets the page's DType from BitsPerSample and SampleFormat,
// which must be the same for every sample of a pixel.
func (f *File) sampleType(es map[uint16]entry, p *Page) error {
	sf, err := f.tagInt(es, tSampleFormat, sfUint)
	if err != nil {
		return err
	}
	for _, tag := range []uint16{tBitsPerSample, tSampleFormat} {
		if e, ok := es[tag]; ok {
			v, err := f.ints(e)
			if err != nil {
				return err
			}
			for _, x := range v[1:] {
				if x != v[0] {
					return UnsupportedError(fmt.Sprintf("tag %d: samples of different types %v", tag, v))
				}
			}
		}
	}
	p.DType, err = dtypeOf(p.Bits, sf)
	return err
}

// blockTables reads the strip or tile offsets and byte counts and checks
// them against the page's layout.
func (f *File) blockTables(es map[uint16]entry, p *Page) error {
	offTag, cntTag := uint16(tStripOffsets), uint16(tStripByteCounts)
	if p.TileWidth > 0 || p.TileLength > 0 {
		if p.TileWidth <= 0 || p.TileLength <= 0 || p.TileWidth > 1<<16 || p.TileLength > 1<<16 {
			return FormatError(fmt.Sprintf("tile size %dx%d", p.TileWidth, p.TileLength))
		}
		offTag, cntTag = tTileOffsets, tTileByteCounts
	}
	eo, ok1 := es[offTag]
	ec, ok2 := es[cntTag]
	if !ok1 || !ok2 {
		return FormatError("missing strip or tile offsets/byte counts")
	}
	var err error
	if p.Offsets, err = f.ints(eo); err != nil {
		return err
	}
	if p.Counts, err = f.ints(ec); err != nil {
		return err
	}
	if p.Planar != 1 && p.Planar != 2 {
		return FormatError(fmt.Sprintf("PlanarConfiguration %d", p.Planar))
	}
	if want := p.blocks(); len(p.Offsets) != want || len(p.Counts) != want {
		return FormatError(fmt.Sprintf("%d offsets and %d byte counts for %d blocks", len(p.Offsets), len(p.Counts), want))
	}
	return nil
}

// rational returns the first value of a RATIONAL tag, or 0 when it is
// absent, malformed or has a zero denominator.
func (f *File) rational(es map[uint16]entry, tag uint16) float64 {
	e, ok := es[tag]
	if !ok || e.typ != dtRational || e.count < 1 || len(e.data) < 8 {
		return 0
	}
	num, den := f.bo.Uint32(e.data), f.bo.Uint32(e.data[4:])
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

func dtypeOf(bits, sf int) (nd.DType, error) {
	switch {
	case sf == sfUint && bits == 8:
		return nd.Uint8, nil
	case sf == sfUint && bits == 16:
		return nd.Uint16, nil
	case sf == sfUint && bits == 32:
		return nd.Uint32, nil
	case sf == sfUint && bits == 64:
		return nd.Uint64, nil
	case sf == sfInt && bits == 8:
		return nd.Int8, nil
	case sf == sfInt && bits == 16:
		return nd.Int16, nil
	case sf == sfInt && bits == 32:
		return nd.Int32, nil
	case sf == sfInt && bits == 64:
		return nd.Int64, nil
	case sf == sfFloat && bits == 16:
		return nd.DTypeFloat16, nil
	case sf == sfFloat && bits == 32:
		return nd.Float32, nil
	case sf == sfFloat && bits == 64:
		return nd.Float64, nil
	}
	return 0, UnsupportedError(fmt.Sprintf("%d-bit samples of format %d", bits, sf))
}

// tiled reports whether the page is stored in tiles.
func (p *Page) tiled() bool { return p.TileWidth > 0 }

// spb is the number of samples in one strip or tile: all of a pixel's
// when they are stored contiguously, one with separate sample planes.
func (p *Page) spb() int {
	if p.Planar == 2 {
		return 1
	}
	return p.Samples
}

// perPlane returns the number of strips or tiles of one sample plane
// (of the whole page when samples are contiguous).
func (p *Page) perPlane() int {
	if p.tiled() {
		return ((p.Width + p.TileWidth - 1) / p.TileWidth) * ((p.Height + p.TileLength - 1) / p.TileLength)
	}
	return (p.Height + p.RowsPerStrip - 1) / p.RowsPerStrip
}

// blocks returns the number of strips or tiles: with separate sample
// planes (PlanarConfiguration 2), those of sample 0, then sample 1, ...
func (p *Page) blocks() int {
	if p.Planar == 2 {
		return p.perPlane() * p.Samples
	}
	return p.perPlane()
}

// Block is where one strip or tile of a page lies: its encoded bytes in
// the file and the box of pixels it covers.
type Block struct {
	Index int // in the page's Offsets and Counts
	// Sample is the sample the block holds with separate sample planes
	// (PlanarConfiguration 2), 0 otherwise.
	Sample int
	// Offset and Count locate the encoded bytes in the file.
	Offset, Count uint64
	// Rows [Y0, Y0+H) and columns [X0, X0+W) of the page.
	Y0, X0, H, W int
	// StoredH and StoredW are the rows and columns stored: a tile is
	// stored whole even where it overhangs the page.
	StoredH, StoredW int
}

// Block returns block i of the page (strips or tiles, sample plane by
// sample plane with separate planes), or an error when there is none.
func (p *Page) Block(i int) (Block, error) {
	if i < 0 || i >= len(p.Offsets) || i >= len(p.Counts) {
		return Block{}, fmt.Errorf("tiff: block %d of %d", i, len(p.Offsets))
	}
	return p.block(i), nil
}

// block is Block for an i known to be in range (of p.blocks(); the tables
// may still be empty while a page is written).
func (p *Page) block(i int) Block {
	b := Block{Index: i, Sample: i / p.perPlane()}
	if i < len(p.Offsets) && i < len(p.Counts) {
		b.Offset, b.Count = p.Offsets[i], p.Counts[i]
	}
	if p.Planar != 2 {
		b.Sample = 0
	}
	i %= p.perPlane()
	if p.tiled() {
		across := (p.Width + p.TileWidth - 1) / p.TileWidth
		b.Y0, b.X0 = (i/across)*p.TileLength, (i%across)*p.TileWidth
		b.H, b.W = min(p.TileLength, p.Height-b.Y0), min(p.TileWidth, p.Width-b.X0)
		b.StoredH, b.StoredW = p.TileLength, p.TileWidth
		return b
	}
	b.Y0 = i * p.RowsPerStrip
	b.H, b.W = min(p.RowsPerStrip, p.Height-b.Y0), p.Width
	b.StoredH, b.StoredW = b.H, b.W
	return b
}
