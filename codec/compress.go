package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Zstd is Zstandard compression (RFC 8878), one frame per chunk.
type Zstd struct {
	// Level is the zstd compression level; 0 means the library default (3).
	// Negative levels are accepted and map to the fastest setting.
	Level int
	// Checksum asks the encoder to append the frame's XXH64 checksum.
	Checksum bool
}

// Name returns "zstd".
func (Zstd) Name() string { return "zstd" }

type zstdKey struct {
	level int
	crc   bool
}

var (
	zstdEncMu sync.Mutex
	zstdEncs  = map[zstdKey]*zstd.Encoder{}
	zstdDec   = sync.OnceValues(func() (*zstd.Decoder, error) {
		return zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithDecodeAllCapLimit(true),
			zstd.WithDecoderMaxWindow(1<<30),
			zstd.WithDecoderMaxMemory(1<<40))
	})
)

func zstdEncoder(level int, crc bool) (*zstd.Encoder, error) {
	if level == 0 {
		level = 3
	}
	if level < 1 {
		level = 1
	}
	k := zstdKey{level, crc}
	zstdEncMu.Lock()
	defer zstdEncMu.Unlock()
	if e, ok := zstdEncs[k]; ok {
		return e, nil
	}
	e, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)),
		zstd.WithEncoderCRC(crc),
		zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
		zstd.WithZeroFrames(true),
		// Entropy-code the literals even of blocks with few matches:
		// the fastest level otherwise stores noisy 16-bit chunks almost
		// raw (ratio 1.01 against 1.73 for `zstd -1`; bench/zstdlevel.sh).
		zstd.WithAllLitEntropyCompression(true),
		// Always record the content size: numcodecs before 0.13 cannot
		// decode a frame without it.
		zstd.WithSingleSegment(true))
	if err != nil {
		return nil, err
	}
	zstdEncs[k] = e
	return e, nil
}

// Encode appends one zstd frame holding src to dst.
func (z Zstd) Encode(dst, src []byte) ([]byte, error) {
	e, err := zstdEncoder(z.Level, z.Checksum)
	if err != nil {
		return dst, fmt.Errorf("zstd: %w", err)
	}
	return e.EncodeAll(src, dst), nil
}

// Decode appends the content of the zstd frames in src to dst.
func (Zstd) Decode(dst, src []byte, limit int) ([]byte, error) {
	return zstdDecode(dst, src, limit)
}

func zstdDecode(dst, src []byte, limit int) ([]byte, error) {
	d, err := zstdDec()
	if err != nil {
		return dst, fmt.Errorf("zstd: %w", err)
	}
	var h zstd.Header
	if err := h.Decode(src); err != nil {
		return dst, fmt.Errorf("zstd: %w: %v", ErrCorrupt, err)
	}
	if h.HasFCS {
		if h.FrameContentSize > uint64(limit) {
			return dst, fmt.Errorf("zstd: frame holds %d bytes, limit %d: %w", h.FrameContentSize, limit, ErrLimit)
		}
	}
	// Trust the header's size for one allocation only when the frame could
	// hold that much (a zstd block of at most 128 KiB costs at least 3
	// bytes); a small frame claiming a lot takes the streaming path, which
	// grows with the data.
	if h.HasFCS && h.FrameContentSize <= uint64(len(src))*zstdMaxRatio {
		// One frame whose size is known: decode in one call into exactly
		// that much room. Several concatenated frames overflow the room
		// and take the streaming path below.
		n := len(dst)
		out := grow(dst, int(h.FrameContentSize))[:n]
		if out, err := d.DecodeAll(src, out); err == nil {
			return out, nil
		}
	}
	// The streaming decoder bounds its window, not the output (the
	// LimitReader below does that): a frame may declare a window larger
	// than its content (streaming encoders always do), so allow at least
	// zstdMinWindow whatever the limit.
	r, err := zstd.NewReader(bytes.NewReader(src), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(max(uint64(limit)+1, zstdMinWindow)))
	if err != nil {
		return dst, fmt.Errorf("zstd: %w", err)
	}
	defer r.Close()
	return ReadLimited(dst, r, limit, "zstd")
}

// zstdMinWindow is the window a streamed zstd frame may always use: 8 MiB,
// the largest window zstd's levels 1 to 16 choose.
const zstdMinWindow = 8 << 20

// grow returns dst with room for n more bytes.
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst[:len(dst)+n]
	}
	out := make([]byte, len(dst)+n)
	copy(out, dst)
	return out
}

// ReadLimited appends everything r yields to dst, failing with ErrLimit once
// more than limit bytes arrive; name (the format, "zlib", "LZW") starts
// its errors. It is the bounded reader of every streaming decoder of the
// module. It decodes into dst's spare capacity when
// that suffices (no copy), and otherwise grows with the data actually
// decoded, so a tiny hostile stream claiming a lot cannot make it
// allocate the whole limit up front. The stream is read to its end, so a
// checksum at the end is checked.
func ReadLimited(dst []byte, r io.Reader, limit int, name string) ([]byte, error) {
	limit = max(limit, 0)
	n0 := len(dst)
	out := dst
	if cap(dst)-n0 < limit && cap(dst)-n0 < 64<<10 {
		out = slices.Grow(dst, min(limit, 64<<10))
	}
	end := n0 + limit // out may not pass this length
	stalls := 0
	for len(out) < end {
		if len(out) == cap(out) {
			out = slices.Grow(out, min(end-len(out), cap(out)-n0+1))
		}
		n, err := r.Read(out[len(out):min(cap(out), end)])
		out = out[:len(out)+n]
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return dst, fmt.Errorf("%s: %w: %v", name, ErrCorrupt, err)
		}
		if n == 0 {
			if stalls++; stalls > 100 {
				return dst, fmt.Errorf("%s: %w: %v", name, ErrCorrupt, io.ErrNoProgress)
			}
		}
	}
	// limit bytes arrived: the stream must end here.
	var one [1]byte
	switch n, err := io.ReadFull(r, one[:]); {
	case n > 0:
		return dst, fmt.Errorf("%s: more than %d bytes: %w", name, limit, ErrLimit)
	case err != io.EOF && err != io.ErrUnexpectedEOF:
		return dst, fmt.Errorf("%s: %w: %v", name, ErrCorrupt, err)
	}
	return out, nil
}

// Gzip is DEFLATE in a gzip container (RFC 1952), as numcodecs' "gzip".
type Gzip struct {
	// Level is 0 (store) to 9 (best).
	Level int
}

// Name returns "gzip".
func (Gzip) Name() string { return "gzip" }

// Encode appends a gzip member holding src to dst.
func (g Gzip) Encode(dst, src []byte) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	w, err := gzip.NewWriterLevel(buf, clampLevel(g.Level))
	if err != nil {
		return dst, fmt.Errorf("gzip: %w", err)
	}
	if _, err := w.Write(src); err != nil {
		return dst, fmt.Errorf("gzip: %w", err)
	}
	if err := w.Close(); err != nil {
		return dst, fmt.Errorf("gzip: %w", err)
	}
	return buf.Bytes(), nil
}

// Decode appends the content of the gzip members in src to dst.
func (Gzip) Decode(dst, src []byte, limit int) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(src))
	if err != nil {
		return dst, fmt.Errorf("gzip: %w: %v", ErrCorrupt, err)
	}
	defer r.Close()
	return ReadLimited(dst, r, limit, "gzip")
}

// Zlib is DEFLATE in a zlib container (RFC 1950), as numcodecs' "zlib".
type Zlib struct {
	// Level is 0 (store) to 9 (best).
	Level int
}

// Name returns "zlib".
func (Zlib) Name() string { return "zlib" }

// Encode appends a zlib stream holding src to dst.
func (z Zlib) Encode(dst, src []byte) ([]byte, error) {
	return zlibEncode(dst, src, clampLevel(z.Level))
}

func zlibEncode(dst, src []byte, level int) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	w, err := zlib.NewWriterLevel(buf, level)
	if err != nil {
		return dst, fmt.Errorf("zlib: %w", err)
	}
	if _, err := w.Write(src); err != nil {
		return dst, fmt.Errorf("zlib: %w", err)
	}
	if err := w.Close(); err != nil {
		return dst, fmt.Errorf("zlib: %w", err)
	}
	return buf.Bytes(), nil
}

// Decode appends the content of the zlib stream in src to dst.
func (Zlib) Decode(dst, src []byte, limit int) ([]byte, error) {
	return zlibDecode(dst, src, limit)
}

// zlibReaders holds zlib decoders for reuse: a new one allocates its
// window and tables.
var zlibReaders sync.Pool

// zlibDecode is the one zlib decoding path of the module (the zlib codec,
// blosc's zlib streams and TIFF's deflate blocks): it appends the content
// of the zlib stream in src to dst, bounded by limit, with pooled
// decoders. A stream holding more than limit bytes fails with ErrLimit,
// a malformed one or a bad checksum with ErrCorrupt.
func zlibDecode(dst, src []byte, limit int) ([]byte, error) {
	var zr io.ReadCloser
	var err error
	if v := zlibReaders.Get(); v != nil {
		zr = v.(io.ReadCloser)
		err = zr.(zlib.Resetter).Reset(bytes.NewReader(src), nil)
	} else {
		zr, err = zlib.NewReader(bytes.NewReader(src))
	}
	if err != nil {
		if zr != nil {
			zlibReaders.Put(zr)
		}
		return dst, fmt.Errorf("zlib: %w: %v", ErrCorrupt, err)
	}
	out, err := ReadLimited(dst, zr, limit, "zlib")
	zlibReaders.Put(zr)
	return out, err
}

func clampLevel(l int) int {
	if l < 0 {
		return -1 // library default
	}
	if l > 9 {
		return 9
	}
	return l
}

// LZ4 is numcodecs' "lz4": a 4-byte little-endian decoded length followed
// by one LZ4 block (not an LZ4 frame).
type LZ4 struct {
	// Acceleration is recorded in metadata; the encoder always uses the
	// default LZ4 speed, which any reader decodes alike.
	Acceleration int
}

// Name returns "lz4".
func (LZ4) Name() string { return "lz4" }

// Encode appends the length-prefixed LZ4 block of src to dst.
func (LZ4) Encode(dst, src []byte) ([]byte, error) {
	if int64(len(src)) > 1<<31-1 {
		return dst, fmt.Errorf("lz4: %d bytes is more than one block can hold", len(src))
	}
	n := len(dst)
	out := grow(dst, 4+lz4.CompressBlockBound(len(src)))
	binary.LittleEndian.PutUint32(out[n:], uint32(len(src)))
	c := lz4Compressors.Get().(*lz4.Compressor)
	m, err := c.CompressBlock(src, out[n+4:])
	lz4Compressors.Put(c)
	if err != nil {
		return dst, fmt.Errorf("lz4: %w", err)
	}
	if m == 0 && len(src) > 0 {
		return dst, fmt.Errorf("lz4: block did not fit its bound")
	}
	return out[:n+4+m], nil
}

// Decode appends the decoded block to dst.
func (LZ4) Decode(dst, src []byte, limit int) ([]byte, error) {
	if len(src) < 4 {
		return dst, fmt.Errorf("lz4: %d bytes, no length header: %w", len(src), ErrCorrupt)
	}
	size := binary.LittleEndian.Uint32(src)
	if int64(size) > int64(limit) {
		return dst, fmt.Errorf("lz4: header claims %d bytes, limit %d: %w", size, limit, ErrLimit)
	}
	if int64(size) > int64(len(src)-4)*lz4MaxRatio+16 {
		return dst, fmt.Errorf("lz4: header claims %d bytes from a %d-byte block, more than LZ4 can encode: %w", size, len(src)-4, ErrCorrupt)
	}
	n := len(dst)
	out := grow(dst, int(size))
	m, err := lz4Block(src[4:], out[n:])
	if err != nil {
		return dst, fmt.Errorf("lz4: %w", err)
	}
	if m != int(size) {
		return dst, fmt.Errorf("lz4: block gave %d bytes, header says %d: %w", m, size, ErrCorrupt)
	}
	return out, nil
}

// Largest decoded/encoded ratios: an LZ4 sequence adds at most 255 bytes
// of match per byte of input; a zstd block of at most 128 KiB takes at
// least 3 bytes (RLE: 4).
const (
	lz4MaxRatio  = 256
	zstdMaxRatio = 1 << 16
)

// lz4Compressors holds reusable LZ4 compressors: each carries a 128 KiB
// hash table that would otherwise be allocated per block.
var lz4Compressors = sync.Pool{New: func() any { return new(lz4.Compressor) }}

func lz4Block(src, dst []byte) (int, error) {
	if len(dst) == 0 {
		if len(src) == 1 && src[0] == 0 || len(src) == 0 {
			return 0, nil
		}
	}
	m, err := lz4.UncompressBlock(src, dst)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return m, nil
}

// CRC32C appends (Encode) or checks and strips (Decode) a 4-byte
// little-endian CRC-32C (Castagnoli) of the data, as the Zarr v3 "crc32c"
// codec does.
type CRC32C struct{}

// Name returns "crc32c".
func (CRC32C) Name() string { return "crc32c" }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Encode appends src and its checksum to dst.
func (CRC32C) Encode(dst, src []byte) ([]byte, error) {
	dst = append(dst, src...)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(src, castagnoli)), nil
}

// Decode checks the trailing checksum and appends the data before it.
func (CRC32C) Decode(dst, src []byte, limit int) ([]byte, error) {
	if len(src) < 4 {
		return dst, fmt.Errorf("crc32c: %d bytes, too short for a checksum: %w", len(src), ErrCorrupt)
	}
	body := src[:len(src)-4]
	if len(body) > limit {
		return dst, fmt.Errorf("crc32c: %d bytes, limit %d: %w", len(body), limit, ErrLimit)
	}
	want := binary.LittleEndian.Uint32(src[len(src)-4:])
	if got := crc32.Checksum(body, castagnoli); got != want {
		return dst, fmt.Errorf("crc32c: checksum %08x, stored %08x: %w", got, want, ErrCorrupt)
	}
	return append(dst, body...), nil
}
