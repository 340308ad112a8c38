package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zlib"
	"github.com/pierrec/lz4/v4"
)

// Blosc frame constants (c-blosc 1.x, format version 2).
const (
	bloscHeaderSize  = 16
	bloscVersion     = 2
	bloscMaxTypeSize = 255
	bloscMaxSplits   = 16
	bloscMinBuffer   = 128
	bloscMaxBytes    = 1<<31 - 1 - bloscHeaderSize
	// bloscMaxRatio bounds decoded/compressed bytes for every compressor
	// (zstd's ceiling is a 128 KiB block per 3-byte block header, deflate's
	// is 1032, lz4's 255), so a frame claiming more is refused before its
	// output is allocated.
	bloscMaxRatio     = 1 << 16
	bloscFlagShuffle  = 0x01
	bloscFlagMemcpyed = 0x02
	bloscFlagBitShuf  = 0x04
	bloscFlagNoSplit  = 0x10
)

// Blosc compressor codes, stored in bits 5..7 of the flags byte.
const (
	bloscBloscLZ = 0
	bloscLZ4     = 1 // lz4 and lz4hc
	bloscSnappy  = 2
	bloscZlib    = 3
	bloscZstd    = 4
)

var bloscCodes = map[string]int{
	"blosclz": bloscBloscLZ, "lz4": bloscLZ4, "lz4hc": bloscLZ4,
	"snappy": bloscSnappy, "zlib": bloscZlib, "zstd": bloscZstd,
}

// Blosc is the Blosc 1 meta-compressor as c-blosc 1.x writes it (the frame
// numcodecs and the Zarr v3 "blosc" codec use): a 16-byte header, a table of
// block offsets, and blocks that are each shuffled and then compressed by
// one of blosclz, lz4, lz4hc, snappy, zlib or zstd.
//
// Frame layout (all integers little-endian):
//
//	byte 0      format version (2)
//	byte 1      compressor format version
//	byte 2      flags: 0x01 byte shuffle, 0x02 stored uncompressed,
//	            0x04 bit shuffle, 0x10 blocks not split into streams,
//	            bits 5..7 compressor code
//	byte 3      type size
//	bytes 4-7   decoded size
//	bytes 8-11  block size
//	bytes 12-15 frame size
//	then, unless stored: one int32 offset per block, and per block one or
//	(split) typesize streams, each an int32 length and its bytes; a
//	stream whose length equals its decoded length is stored raw.
//
// Decoding understands every flag c-blosc 1.x writes. Encoding writes
// unsplit blocks, which every c-blosc 1.x decoder reads.
type Blosc struct {
	// CName is the inner compressor: blosclz, lz4, lz4hc, snappy, zlib
	// or zstd. Empty means lz4.
	CName string
	// CLevel is 0 (store) to 9.
	CLevel int
	// Shuffle is 0 (none), 1 (byte shuffle) or 2 (bit shuffle).
	Shuffle int
	// TypeSize is the element size the shuffle works on (1..255).
	TypeSize int
	// BlockSize is the uncompressed block size; 0 chooses one from
	// CLevel and CName.
	BlockSize int
}

// Name returns "blosc".
func (Blosc) Name() string { return "blosc" }

func (b Blosc) cname() string {
	if b.CName == "" {
		return "lz4"
	}
	return b.CName
}

func (b Blosc) blockSize(nbytes, typeSize int) int {
	bs := b.BlockSize
	if bs <= 0 {
		// Bigger blocks compress better and cost more cache; the slow,
		// high-ratio codecs get twice the size, as c-blosc does.
		switch {
		case b.CLevel <= 3:
			bs = 32 << 10
		case b.CLevel <= 5:
			bs = 64 << 10
		case b.CLevel == 6:
			bs = 128 << 10
		case b.CLevel <= 8:
			bs = 256 << 10
		default:
			bs = 512 << 10
		}
		switch b.cname() {
		case "zstd", "zlib", "lz4hc":
			bs *= 2
		}
	}
	bs = min(bs, nbytes)
	if bs > typeSize {
		bs -= bs % typeSize
	}
	return bs
}

// Encode appends a Blosc frame holding src to dst.
func (b Blosc) Encode(dst, src []byte) ([]byte, error) {
	code, ok := bloscCodes[b.cname()]
	if !ok {
		return dst, fmt.Errorf("blosc: compressor %q unsupported (want blosclz, lz4, lz4hc, snappy, zlib or zstd)", b.CName)
	}
	if b.Shuffle < 0 || b.Shuffle > 2 {
		return dst, fmt.Errorf("blosc: shuffle %d unsupported (want 0, 1 or 2)", b.Shuffle)
	}
	if len(src) > bloscMaxBytes {
		return dst, fmt.Errorf("blosc: %d bytes is more than a frame holds (%d)", len(src), bloscMaxBytes)
	}
	ts := b.TypeSize
	if ts <= 0 || ts > bloscMaxTypeSize {
		ts = 1
	}
	nbytes := len(src)
	flags := byte(code<<5) | bloscFlagNoSplit
	switch b.Shuffle {
	case 1:
		flags |= bloscFlagShuffle
	case 2:
		flags |= bloscFlagBitShuf
	}
	start := len(dst)
	header := func(flags byte, blocksize, ctbytes int) {
		h := dst[start : start+bloscHeaderSize]
		h[0], h[1], h[2], h[3] = bloscVersion, 1, flags, byte(ts)
		binary.LittleEndian.PutUint32(h[4:], uint32(nbytes))
		binary.LittleEndian.PutUint32(h[8:], uint32(blocksize))
		binary.LittleEndian.PutUint32(h[12:], uint32(ctbytes))
	}
	stored := func() ([]byte, error) {
		dst = append(dst[:start], make([]byte, bloscHeaderSize)...)
		dst = append(dst, src...)
		header(flags|bloscFlagMemcpyed, max(nbytes, 1), bloscHeaderSize+nbytes)
		return dst, nil
	}
	if b.CLevel <= 0 || nbytes < bloscMinBuffer {
		return stored()
	}
	bs := b.blockSize(nbytes, ts)
	nblocks := (nbytes + bs - 1) / bs
	dst = append(dst, make([]byte, bloscHeaderSize+4*nblocks)...)
	tmp := make([]byte, bs)
	var scratch []byte
	for j := range nblocks {
		if len(dst)-start > bloscHeaderSize+nbytes {
			return stored()
		}
		binary.LittleEndian.PutUint32(dst[start+bloscHeaderSize+4*j:], uint32(len(dst)-start))
		blk := src[j*bs : min((j+1)*bs, nbytes)]
		t := tmp[:len(blk)]
		switch {
		case b.Shuffle == 1 && ts > 1:
			Shuffle(t, blk, ts)
		case b.Shuffle == 2 && bitShufflable(len(blk), ts):
			BitShuffle(t, blk, ts)
		default:
			t = blk
		}
		var err error
		scratch, err = bloscCompress(scratch[:0], t, b.cname(), b.CLevel)
		if err != nil {
			return dst[:start], fmt.Errorf("blosc: %w", err)
		}
		if len(scratch) == 0 || len(scratch) >= len(t) {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(len(t)))
			dst = append(dst, t...)
		} else {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(len(scratch)))
			dst = append(dst, scratch...)
		}
	}
	if len(dst)-start > bloscHeaderSize+nbytes {
		return stored()
	}
	header(flags, bs, len(dst)-start)
	return dst, nil
}

func bloscCompress(dst, src []byte, cname string, clevel int) ([]byte, error) {
	switch cname {
	case "blosclz":
		return blosclzEncode(dst, src), nil
	case "lz4", "lz4hc":
		out := grow(dst, lz4.CompressBlockBound(len(src)))
		var n int
		var err error
		if cname == "lz4" {
			c := lz4Compressors.Get().(*lz4.Compressor)
			n, err = c.CompressBlock(src, out[len(dst):])
			lz4Compressors.Put(c)
		} else {
			c := lz4.CompressorHC{Level: lz4.CompressionLevel(1 << (8 + min(clevel, 9)))}
			n, err = c.CompressBlock(src, out[len(dst):])
		}
		if err != nil {
			return dst, err
		}
		return out[:len(dst)+n], nil
	case "snappy":
		return append(dst, s2.EncodeSnappy(nil, src)...), nil
	case "zlib":
		return zlibEncode(dst, src, min(clevel, 9))
	case "zstd":
		// c-blosc maps its 1..9 scale onto zstd's 1..22.
		return Zstd{Level: min(2*clevel-1, 22)}.Encode(dst, src)
	}
	return dst, fmt.Errorf("compressor %q unsupported", cname)
}

// Decode appends the data of the Blosc frame in src to dst.
func (Blosc) Decode(dst, src []byte, limit int) ([]byte, error) {
	if len(src) < bloscHeaderSize {
		return dst, fmt.Errorf("blosc: %d bytes, shorter than the 16-byte header: %w", len(src), ErrCorrupt)
	}
	version, flags, ts := src[0], src[2], int(src[3])
	nbytes := int(binary.LittleEndian.Uint32(src[4:]))
	bs := int(binary.LittleEndian.Uint32(src[8:]))
	ctbytes := int(binary.LittleEndian.Uint32(src[12:]))
	if version == 0 || version > bloscVersion {
		return dst, fmt.Errorf("blosc: format version %d unsupported (want 1 or 2): %w", version, ErrCorrupt)
	}
	if ctbytes < bloscHeaderSize || ctbytes > len(src) {
		return dst, fmt.Errorf("blosc: header says %d bytes, frame has %d: %w", ctbytes, len(src), ErrCorrupt)
	}
	if nbytes > limit || nbytes > bloscMaxBytes {
		return dst, fmt.Errorf("blosc: header says %d decoded bytes, limit %d: %w", nbytes, limit, ErrLimit)
	}
	if ts == 0 {
		return dst, fmt.Errorf("blosc: type size 0: %w", ErrCorrupt)
	}
	src = src[:ctbytes]
	if flags&bloscFlagMemcpyed != 0 {
		if len(src)-bloscHeaderSize < nbytes {
			return dst, fmt.Errorf("blosc: stored frame has %d bytes for %d: %w", len(src)-bloscHeaderSize, nbytes, ErrCorrupt)
		}
		return append(dst, src[bloscHeaderSize:bloscHeaderSize+nbytes]...), nil
	}
	if nbytes == 0 {
		return dst, nil
	}
	if int64(nbytes) > int64(len(src)-bloscHeaderSize)*bloscMaxRatio {
		return dst, fmt.Errorf("blosc: header says %d decoded bytes from %d compressed bytes, more than any compressor gives: %w", nbytes, len(src), ErrCorrupt)
	}
	if bs <= 0 {
		return dst, fmt.Errorf("blosc: block size %d: %w", bs, ErrCorrupt)
	}
	bs = min(bs, nbytes)
	nblocks := (nbytes + bs - 1) / bs
	if bloscHeaderSize+4*nblocks > len(src) {
		return dst, fmt.Errorf("blosc: %d block offsets do not fit in %d bytes: %w", nblocks, len(src), ErrCorrupt)
	}
	comp := int(flags >> 5)
	doShuffle := flags&bloscFlagShuffle != 0 && ts > 1
	doBit := flags&bloscFlagBitShuf != 0
	n0 := len(dst)
	out := grow(dst, nbytes)
	var tmp []byte
	if doShuffle || doBit {
		tmp = make([]byte, bs)
	}
	for j := range nblocks {
		off := int(binary.LittleEndian.Uint32(src[bloscHeaderSize+4*j:]))
		if off < bloscHeaderSize+4*nblocks || off > len(src) {
			return dst, fmt.Errorf("blosc: block %d offset %d outside frame: %w", j, off, ErrCorrupt)
		}
		blk := out[n0+j*bs : n0+min((j+1)*bs, nbytes)]
		leftover := j == nblocks-1 && nbytes%bs != 0
		nsplits := 1
		if flags&bloscFlagNoSplit == 0 && ts <= bloscMaxSplits && len(blk)/ts >= bloscMinBuffer && !leftover {
			nsplits = ts
		}
		if len(blk)%nsplits != 0 {
			return dst, fmt.Errorf("blosc: block %d of %d bytes does not split into %d streams: %w", j, len(blk), nsplits, ErrCorrupt)
		}
		t := blk
		if doShuffle || (doBit && bitShufflable(len(blk), ts)) {
			t = tmp[:len(blk)]
		}
		neblock := len(blk) / nsplits
		p := off
		for s := range nsplits {
			if p+4 > len(src) {
				return dst, fmt.Errorf("blosc: block %d stream %d header outside frame: %w", j, s, ErrCorrupt)
			}
			cb := int(int32(binary.LittleEndian.Uint32(src[p:])))
			p += 4
			if cb < 0 || cb > len(src)-p {
				return dst, fmt.Errorf("blosc: block %d stream %d claims %d bytes: %w", j, s, cb, ErrCorrupt)
			}
			part := t[s*neblock : (s+1)*neblock]
			if cb == neblock {
				copy(part, src[p:p+cb])
			} else if err := bloscDecompress(part, src[p:p+cb], comp); err != nil {
				return dst, fmt.Errorf("blosc: block %d stream %d: %w", j, s, err)
			}
			p += cb
		}
		switch {
		case doShuffle:
			Unshuffle(blk, t, ts)
		case doBit && bitShufflable(len(blk), ts):
			BitUnshuffle(blk, t, ts)
		}
	}
	return out, nil
}

// bloscDecompress fills dst exactly from one compressed stream.
func bloscDecompress(dst, src []byte, comp int) error {
	var n int
	var err error
	switch comp {
	case bloscBloscLZ:
		n, err = blosclzDecode(dst, src)
	case bloscLZ4:
		n, err = lz4Block(src, dst)
	case bloscSnappy:
		var l int
		l, err = s2.DecodedLen(src)
		if err == nil && l != len(dst) {
			return fmt.Errorf("snappy stream holds %d bytes, want %d: %w", l, len(dst), ErrCorrupt)
		}
		if err == nil {
			var out []byte
			out, err = s2.Decode(dst, src)
			n = len(out)
		}
	case bloscZlib:
		var r interface {
			Read([]byte) (int, error)
			Close() error
		}
		r, err = zlib.NewReader(bytes.NewReader(src))
		if err == nil {
			var out []byte
			out, err = readLimited(dst[:0:len(dst)], r, len(dst), "zlib")
			n = len(out)
			r.Close()
			// readLimited may have reallocated to probe for excess data.
			if err == nil && n > 0 && &out[0] != &dst[0] {
				copy(dst, out)
			}
		}
	case bloscZstd:
		var out []byte
		out, err = zstdDecode(dst[:0:len(dst)], src, len(dst))
		n = len(out)
		if err == nil && n > 0 && &out[0] != &dst[0] {
			copy(dst, out)
		}
	default:
		return fmt.Errorf("compressor code %d unknown: %w", comp, ErrCorrupt)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if n != len(dst) {
		return fmt.Errorf("stream gave %d bytes, want %d: %w", n, len(dst), ErrCorrupt)
	}
	return nil
}

// bitShufflable reports whether c-blosc 1.x bit-shuffles a block of n
// bytes of elements of ts bytes: only when it holds a multiple of 8
// elements; other blocks are stored unshuffled although the frame's flag
// says bitshuffle.
func bitShufflable(n, ts int) bool {
	return n >= ts && (n/ts)%8 == 0
}
