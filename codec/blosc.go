package codec

import (
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/s2"
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
	f, err := parseBlosc(src, limit)
	if err != nil {
		return dst, err
	}
	if f.flags&bloscFlagMemcpyed != 0 {
		if len(f.src)-bloscHeaderSize < f.nbytes {
			return dst, fmt.Errorf("blosc: stored frame has %d bytes for %d: %w", len(f.src)-bloscHeaderSize, f.nbytes, ErrCorrupt)
		}
		return append(dst, f.src[bloscHeaderSize:bloscHeaderSize+f.nbytes]...), nil
	}
	if f.nbytes == 0 {
		return dst, nil
	}
	if err := f.layout(); err != nil {
		return dst, err
	}
	n0 := len(dst)
	out := grow(dst, f.nbytes)
	var tmp []byte
	if f.shuffled || f.bitShuffled {
		tmp = make([]byte, f.bs)
	}
	for j := range f.nblocks {
		if err := f.decodeBlock(out[n0+j*f.bs:n0+min((j+1)*f.bs, f.nbytes)], tmp, j); err != nil {
			return dst, err
		}
	}
	return out, nil
}

// bloscFrame is a Blosc frame whose header has been checked.
type bloscFrame struct {
	src                   []byte // the frame, cut to the size its header states
	flags                 byte
	ts, nbytes, bs        int // type size, decoded size, block size
	nblocks, comp         int
	shuffled, bitShuffled bool
}

// parseBlosc checks the 16-byte header of the frame in src against limit.
func parseBlosc(src []byte, limit int) (bloscFrame, error) {
	if len(src) < bloscHeaderSize {
		return bloscFrame{}, fmt.Errorf("blosc: %d bytes, shorter than the 16-byte header: %w", len(src), ErrCorrupt)
	}
	version, flags, ts := src[0], src[2], int(src[3])
	f := bloscFrame{flags: flags, ts: ts, nbytes: int(binary.LittleEndian.Uint32(src[4:])),
		bs: int(binary.LittleEndian.Uint32(src[8:]))}
	ctbytes := int(binary.LittleEndian.Uint32(src[12:]))
	if version == 0 || version > bloscVersion {
		return f, fmt.Errorf("blosc: format version %d unsupported (want 1 or 2): %w", version, ErrCorrupt)
	}
	if ctbytes < bloscHeaderSize || ctbytes > len(src) {
		return f, fmt.Errorf("blosc: header says %d bytes, frame has %d: %w", ctbytes, len(src), ErrCorrupt)
	}
	if f.nbytes > limit || f.nbytes > bloscMaxBytes {
		return f, fmt.Errorf("blosc: header says %d decoded bytes, limit %d: %w", f.nbytes, limit, ErrLimit)
	}
	if ts == 0 {
		return f, fmt.Errorf("blosc: type size 0: %w", ErrCorrupt)
	}
	f.src = src[:ctbytes]
	f.comp = int(flags >> 5)
	f.shuffled = flags&bloscFlagShuffle != 0 && ts > 1
	f.bitShuffled = flags&bloscFlagBitShuf != 0
	return f, nil
}

// layout checks the block size and the block offset table of a
// compressed frame of nbytes > 0, and sets nblocks.
func (f *bloscFrame) layout() error {
	if int64(f.nbytes) > int64(len(f.src)-bloscHeaderSize)*bloscMaxRatio {
		return fmt.Errorf("blosc: header says %d decoded bytes from %d compressed bytes, more than any compressor gives: %w", f.nbytes, len(f.src), ErrCorrupt)
	}
	if f.bs <= 0 {
		return fmt.Errorf("blosc: block size %d: %w", f.bs, ErrCorrupt)
	}
	f.bs = min(f.bs, f.nbytes)
	f.nblocks = (f.nbytes + f.bs - 1) / f.bs
	if bloscHeaderSize+4*f.nblocks > len(f.src) {
		return fmt.Errorf("blosc: %d block offsets do not fit in %d bytes: %w", f.nblocks, len(f.src), ErrCorrupt)
	}
	return nil
}

// decodeBlock decodes block j into blk (its decoded bytes), through tmp
// (a block of scratch) when the block is shuffled.
func (f *bloscFrame) decodeBlock(blk, tmp []byte, j int) error {
	src, ts := f.src, f.ts
	off := int(binary.LittleEndian.Uint32(src[bloscHeaderSize+4*j:]))
	if off < bloscHeaderSize+4*f.nblocks || off > len(src) {
		return fmt.Errorf("blosc: block %d offset %d outside frame: %w", j, off, ErrCorrupt)
	}
	leftover := j == f.nblocks-1 && f.nbytes%f.bs != 0
	nsplits := 1
	if f.flags&bloscFlagNoSplit == 0 && ts <= bloscMaxSplits && len(blk)/ts >= bloscMinBuffer && !leftover {
		nsplits = ts
	}
	if len(blk)%nsplits != 0 {
		return fmt.Errorf("blosc: block %d of %d bytes does not split into %d streams: %w", j, len(blk), nsplits, ErrCorrupt)
	}
	bit := f.bitShuffled && bitShufflable(len(blk), ts)
	t := blk
	if f.shuffled || bit {
		t = tmp[:len(blk)]
	}
	neblock := len(blk) / nsplits
	p := off
	for s := range nsplits {
		if p+4 > len(src) {
			return fmt.Errorf("blosc: block %d stream %d header outside frame: %w", j, s, ErrCorrupt)
		}
		cb := int(int32(binary.LittleEndian.Uint32(src[p:])))
		p += 4
		if cb < 0 || cb > len(src)-p {
			return fmt.Errorf("blosc: block %d stream %d claims %d bytes: %w", j, s, cb, ErrCorrupt)
		}
		part := t[s*neblock : (s+1)*neblock]
		if cb == neblock {
			copy(part, src[p:p+cb])
		} else if err := bloscDecompress(part, src[p:p+cb], f.comp); err != nil {
			return fmt.Errorf("blosc: block %d stream %d: %w", j, s, err)
		}
		p += cb
	}
	switch {
	case f.shuffled:
		Unshuffle(blk, t, ts)
	case bit:
		BitUnshuffle(blk, t, ts)
	}
	return nil
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
		// The room is exactly dst, so the output lands there.
		var out []byte
		out, err = zlibDecode(dst[:0:len(dst)], src, len(dst))
		n = len(out)
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
