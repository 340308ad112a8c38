package tiff

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/image/tiff/lzw"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
)

// blockBytes is the decoded size of a stored block of sh rows of sw pixels.
func (p *Page) blockBytes(sh, sw int) int64 {
	return int64(sh) * int64(sw) * int64(p.spb()) * int64(p.Bits/8)
}

// DecodeBlock returns strip or tile i decoded into native-endian samples,
// (stored rows) x (stored width) x (samples), and where it lies. With
// separate sample planes a block holds one sample, Block.Sample.
func (p *Page) DecodeBlock(i int) ([]byte, Block, error) {
	return p.decodeBlock(i, &blockScratch{})
}

// blockScratch holds buffers one reader reuses from block to block; the
// data decodeBlock returns lives in them until the next call.
type blockScratch struct{ raw, out []byte }

// grow returns b[:n] when its capacity allows, else a new slice.
func grow(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]byte, n)
}

func (p *Page) decodeBlock(i int, sc *blockScratch) ([]byte, Block, error) {
	blk, err := p.Block(i)
	if err != nil {
		return nil, blk, err
	}
	raw, want, err := p.readRaw(blk, sc)
	if err != nil {
		return nil, blk, err
	}
	out, err := decompress(p.Compression, raw, int(want), sc.out)
	if p.Compression != CompressionNone && cap(out) > cap(sc.out) {
		sc.out = out
	}
	if err != nil {
		return nil, blk, fmt.Errorf("tiff: block %d: %w", i, err)
	}
	if len(out) != int(want) {
		return nil, blk, FormatError(fmt.Sprintf("block %d decodes to %d bytes, want %d", i, len(out), want))
	}
	bps := p.Bits / 8
	spb := p.spb()
	rowBytes := blk.StoredW * spb * bps
	switch p.Predictor {
	case PredictorFloat:
		for r := 0; r < blk.StoredH; r++ {
			undoFloatPredictor(out[r*rowBytes:(r+1)*rowBytes], spb, bps)
		}
	default:
		if p.f.bo == binary.BigEndian && bps > 1 {
			nd.SwapBytes(out, bps)
		}
		if p.Predictor == PredictorHorizontal {
			for r := 0; r < blk.StoredH; r++ {
				undoHorizontal(out[r*rowBytes:(r+1)*rowBytes], spb, bps)
			}
		}
	}
	return out, blk, nil
}

// readRaw reads block b's encoded bytes into sc.raw and returns them with
// the size they must decode to.
func (p *Page) readRaw(b Block, sc *blockScratch) ([]byte, int64, error) {
	want := p.blockBytes(b.StoredH, b.StoredW)
	if want > p.f.limits.MaxBlockBytes {
		return nil, 0, FormatError(fmt.Sprintf("block %d of %d bytes exceeds the %d-byte limit", b.Index, want, p.f.limits.MaxBlockBytes))
	}
	if b.Count > uint64(p.f.size) {
		return nil, 0, FormatError(fmt.Sprintf("block %d byte count %d exceeds the file size", b.Index, b.Count))
	}
	count := int(b.Count)
	if p.Compression == CompressionNone {
		// Uncompressed blocks may be padded; read only what the header
		// implies.
		if int64(count) < want {
			return nil, 0, FormatError(fmt.Sprintf("block %d holds %d bytes, want %d", b.Index, count, want))
		}
		count = int(want)
	}
	if err := p.f.inFile(b.Offset, count); err != nil {
		return nil, 0, fmt.Errorf("tiff: block %d: %w", b.Index, err)
	}
	sc.raw = grow(sc.raw, count)
	if _, err := p.f.r.ReadAt(sc.raw, int64(b.Offset)); err != nil && !(err == io.EOF && count == 0) {
		return nil, 0, fmt.Errorf("tiff: block %d: %w", b.Index, err)
	}
	return sc.raw, want, nil
}

// decompress decodes raw, which must hold want bytes, into dst's memory
// when its capacity suffices. Deflate and zstd take codec's bounded
// decoders, LZW codec's bounded reader.
func decompress(c Compression, raw []byte, want int, dst []byte) ([]byte, error) {
	var out []byte
	var err error
	switch c {
	case CompressionNone:
		return raw, nil
	case CompressionDeflate, CompressionDeflate2:
		out, err = codec.Zlib{}.Decode(dst[:0], raw, want)
	case CompressionLZW:
		out, err = codec.ReadLimited(dst[:0], lzw.NewReader(bytes.NewReader(raw), lzw.MSB, 8), want, "LZW")
	case CompressionZstd:
		// Allocation is trusted only for frames that could hold what
		// they claim.
		out, err = codec.Zstd{}.Decode(dst[:0], raw, want)
	case CompressionPackBits:
		return unpackBits(raw, want, dst)
	default:
		return nil, c.decodable()
	}
	if err != nil {
		return nil, FormatError(fmt.Sprintf("%v (want %d bytes): %v", c, want, err))
	}
	return out, nil
}

// unpackBits decodes PackBits (TIFF 6.0 section 9) up to want bytes.
func unpackBits(src []byte, want int, dst []byte) ([]byte, error) {
	out := dst[:0]
	if cap(dst) < want {
		out = make([]byte, 0, min(want, 64*len(src)+64))
	}
	for i := 0; i < len(src) && len(out) < want; {
		n := int(int8(src[i]))
		i++
		switch {
		case n >= 0:
			if i+n+1 > len(src) {
				return nil, FormatError("PackBits literal run past the end")
			}
			out = append(out, src[i:i+n+1]...)
			i += n + 1
		case n != -128:
			if i >= len(src) {
				return nil, FormatError("PackBits repeat past the end")
			}
			for k := 0; k < 1-n; k++ {
				out = append(out, src[i])
			}
			i++
		}
	}
	if len(out) > want {
		out = out[:want]
	}
	return out, nil
}

// undoHorizontal reverses predictor 2 on one row of native samples:
// x[i] += x[i-spp], in the sample's integer width (wrapping).
func undoHorizontal(row []byte, spp, bps int) {
	n := len(row) / bps
	switch bps {
	case 1:
		for i := spp; i < n; i++ {
			row[i] += row[i-spp]
		}
	case 2:
		for i := spp; i < n; i++ {
			binary.LittleEndian.PutUint16(row[2*i:], binary.LittleEndian.Uint16(row[2*i:])+binary.LittleEndian.Uint16(row[2*(i-spp):]))
		}
	case 4:
		for i := spp; i < n; i++ {
			binary.LittleEndian.PutUint32(row[4*i:], binary.LittleEndian.Uint32(row[4*i:])+binary.LittleEndian.Uint32(row[4*(i-spp):]))
		}
	case 8:
		for i := spp; i < n; i++ {
			binary.LittleEndian.PutUint64(row[8*i:], binary.LittleEndian.Uint64(row[8*i:])+binary.LittleEndian.Uint64(row[8*(i-spp):]))
		}
	}
}

// applyHorizontal is the encoder's side of predictor 2, from the end of
// the row backwards.
func applyHorizontal(row []byte, spp, bps int) {
	n := len(row) / bps
	switch bps {
	case 1:
		for i := n - 1; i >= spp; i-- {
			row[i] -= row[i-spp]
		}
	case 2:
		for i := n - 1; i >= spp; i-- {
			binary.LittleEndian.PutUint16(row[2*i:], binary.LittleEndian.Uint16(row[2*i:])-binary.LittleEndian.Uint16(row[2*(i-spp):]))
		}
	case 4:
		for i := n - 1; i >= spp; i-- {
			binary.LittleEndian.PutUint32(row[4*i:], binary.LittleEndian.Uint32(row[4*i:])-binary.LittleEndian.Uint32(row[4*(i-spp):]))
		}
	case 8:
		for i := n - 1; i >= spp; i-- {
			binary.LittleEndian.PutUint64(row[8*i:], binary.LittleEndian.Uint64(row[8*i:])-binary.LittleEndian.Uint64(row[8*(i-spp):]))
		}
	}
}

// undoFloatPredictor reverses predictor 3 on one row: the bytes were
// split into planes, most significant byte first, and differenced byte
// by byte with a stride of spp. The result is native little-endian.
func undoFloatPredictor(row []byte, spp, bps int) {
	for i := spp; i < len(row); i++ {
		row[i] += row[i-spp]
	}
	n := len(row) / bps
	tmp := make([]byte, len(row))
	copy(tmp, row)
	for k := 0; k < n; k++ {
		for b := 0; b < bps; b++ {
			row[bps*k+b] = tmp[(bps-1-b)*n+k]
		}
	}
}

// applyFloatPredictor is the encoder's side of predictor 3.
func applyFloatPredictor(row []byte, spp, bps int) {
	n := len(row) / bps
	tmp := make([]byte, len(row))
	for k := 0; k < n; k++ {
		for b := 0; b < bps; b++ {
			tmp[(bps-1-b)*n+k] = row[bps*k+b]
		}
	}
	copy(row, tmp)
	for i := len(row) - 1; i >= spp; i-- {
		row[i] -= row[i-spp]
	}
}
