package zarr

import (
	"fmt"
	"unsafe"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
)

// chain returns the bytes-to-bytes codecs of the array, outermost last.
func (a *Array) chain() []codec.Codec {
	return a.chn.BytesToBytes
}

// cBytes returns the stored-layout bytes of chunk c (shape cs, any layout)
// in host order: c's own memory when it is already contiguous in C order
// of the stored layout, else a copy into scratch (grown as needed; the
// second result is the scratch to keep).
func (a *Array) cBytes(c nd.Any, scratch []byte) ([]byte, []byte, error) {
	if a.perm != nil {
		c = transposeAny(c, a.perm)
	}
	if o, ok := nd.ContiguousOrder(c); ok && o == nd.C {
		if b, ok := nd.AsBytes(c); ok {
			return b, scratch, nil
		}
	}
	if cap(scratch) < a.chunkBytes {
		scratch = make([]byte, a.chunkBytes)
	}
	b := scratch[:a.chunkBytes]
	if err := copyInto(b, c); err != nil {
		return nil, scratch, err
	}
	return b, scratch, nil
}

// copyInto copies the elements of c into b (len(b) bytes, C order, host
// byte order) without allocating when b is aligned for c's dtype.
func copyInto(b []byte, c nd.Any) error {
	dt := c.DType()
	if len(b) > 0 && uintptr(unsafe.Pointer(&b[0]))%uintptr(dt.Size()) != 0 {
		tmp := nd.NewAny(dt, c.Shape(), nd.C)
		if err := nd.CopyAny(tmp, c); err != nil {
			return err
		}
		t, _ := nd.AsBytes(tmp)
		copy(b, t)
		return nil
	}
	v, err := nd.FromBytes(dt, c.Shape(), nd.C, b)
	if err != nil {
		return err
	}
	return nd.CopyAny(v, c)
}

// encodeAppend appends the stored form of chunk c (shape cs, any layout)
// to dst. c is owned by the caller's write: when it is contiguous its
// memory is used in place and may be byte-swapped (big-endian arrays).
// empty reports a chunk of only fill_value that should not be stored;
// dst is then returned unchanged. With no codec the chunk's bytes are
// copied once, straight into dst; scratch holds the contiguous copy a
// codec needs and is returned for reuse.
func (a *Array) encodeAppend(dst []byte, c nd.Any, scratch []byte) (out []byte, empty bool, _ []byte, err error) {
	codecs := a.chain()
	if len(codecs) == 0 {
		start := len(dst)
		dst = grow(dst, a.chunkBytes)
		b := dst[start:]
		if a.perm != nil {
			c = transposeAny(c, a.perm)
		}
		if err := copyInto(b, c); err != nil {
			return dst[:start], false, scratch, err
		}
		if !a.opts.WriteEmptyChunks && allFill(b, a.fill) {
			return dst[:start], true, scratch, nil
		}
		if a.chn.ArrayToBytes.BigEndian {
			nd.SwapBytes(b, a.meta.DType.Size())
		}
		return dst, false, scratch, nil
	}
	b, scratch, err := a.cBytes(c, scratch)
	if err != nil {
		return dst, false, scratch, err
	}
	if !a.opts.WriteEmptyChunks && allFill(b, a.fill) {
		return dst, true, scratch, nil
	}
	if a.chn.ArrayToBytes.BigEndian {
		nd.SwapBytes(b, a.meta.DType.Size())
	}
	for i, cc := range codecs {
		var to []byte
		if i == len(codecs)-1 {
			to = dst
		}
		o, err := cc.Encode(to, b)
		if err != nil {
			return dst, false, scratch, fmt.Errorf("%s: %w", cc.Name(), err)
		}
		b = o
	}
	return b, false, scratch, nil
}

// grow extends b by n bytes, reallocating only when its capacity is short.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, 2*len(b)+n)
	copy(nb, b)
	return nb
}

// encodeBlock returns the stored form of a whole unsharded chunk held in
// block (shape cs, C order, owned by the write). Without a codec or
// transpose it is block's own memory, not a copy.
func (a *Array) encodeBlock(block nd.Any) ([]byte, bool, error) {
	if len(a.chain()) == 0 && a.perm == nil {
		if b, ok := nd.AsBytes(block); ok {
			if !a.opts.WriteEmptyChunks && allFill(b, a.fill) {
				return nil, true, nil
			}
			if a.chn.ArrayToBytes.BigEndian {
				nd.SwapBytes(b, a.meta.DType.Size())
			}
			return b, false, nil
		}
	}
	out, empty, _, err := a.encodeAppend(nil, block, nil)
	return out, empty, err
}

// decode turns stored bytes b into a chunk of shape cs. The chunk may
// share memory with b (no codec) or with scratch, which receives the
// decoded bytes when it is large enough; the second result is the buffer
// the decoded bytes went to, for the caller to reuse once the chunk is
// no longer needed.
func (a *Array) decode(b, scratch []byte) (nd.Any, []byte, error) {
	codecs := a.chain()
	for i := len(codecs) - 1; i >= 0; i-- {
		lim := max(a.chunkBytes, len(b))
		var to []byte
		if i == 0 {
			to = scratch[:0]
		}
		out, err := codecs[i].Decode(to, b, lim)
		if err != nil {
			return nil, scratch, fmt.Errorf("%s: %w", codecs[i].Name(), err)
		}
		b = out
	}
	if len(codecs) > 0 {
		scratch = b
	}
	if len(b) != a.chunkBytes {
		return nil, scratch, fmt.Errorf("%w: chunk has %d bytes, want %d", codec.ErrCorrupt, len(b), a.chunkBytes)
	}
	if a.chn.ArrayToBytes.BigEndian {
		if len(codecs) == 0 {
			// The store's bytes are not ours to swap.
			b = append(scratch[:0], b...)
			scratch = b
		}
		nd.SwapBytes(b, a.meta.DType.Size())
	}
	shape := a.cs
	var inv []int
	if a.perm != nil {
		shape = make([]int, len(a.cs))
		inv = make([]int, len(a.cs))
		for i, p := range a.perm {
			shape[i] = a.cs[p]
			inv[p] = i
		}
	}
	c, err := nd.FromBytes(a.meta.DType, shape, nd.C, b)
	if err != nil {
		return nil, scratch, err
	}
	if inv != nil {
		c = transposeAny(c, inv)
	}
	return c, scratch, nil
}

// allFill reports whether b (a whole number of elements) holds only the
// element fill. It compares a 4 KiB block of repeated fill at a time
// (memequal speed), not one element at a time.
func allFill(b, fill []byte) bool {
	if len(fill) == 0 {
		return false
	}
	var pat [4096]byte
	if len(pat)%len(fill) != 0 {
		for i := 0; i+len(fill) <= len(b); i += len(fill) {
			if string(b[i:i+len(fill)]) != string(fill) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(pat); i += len(fill) {
		copy(pat[i:], fill)
	}
	for len(b) >= len(pat) {
		if string(b[:len(pat)]) != string(pat[:]) {
			return false
		}
		b = b[len(pat):]
	}
	return string(b) == string(pat[:len(b)])
}

func transposeAny(a nd.Any, p []int) nd.Any {
	switch x := a.(type) {
	case *nd.Array[uint8]:
		return x.Transpose(p...)
	case *nd.Array[uint16]:
		return x.Transpose(p...)
	case *nd.Array[uint32]:
		return x.Transpose(p...)
	case *nd.Array[uint64]:
		return x.Transpose(p...)
	case *nd.Array[int8]:
		return x.Transpose(p...)
	case *nd.Array[int16]:
		return x.Transpose(p...)
	case *nd.Array[int32]:
		return x.Transpose(p...)
	case *nd.Array[int64]:
		return x.Transpose(p...)
	case *nd.Array[float32]:
		return x.Transpose(p...)
	case *nd.Array[float64]:
		return x.Transpose(p...)
	case *nd.Array[nd.Float16]:
		return x.Transpose(p...)
	case *nd.Array[nd.Bool]:
		return x.Transpose(p...)
	}
	panic("zarr: transpose of unknown array type")
}
