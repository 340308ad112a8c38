package zarr

import (
	"fmt"
	"slices"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
)

// encode turns one chunk (shape cs, any layout) into stored bytes. empty
// reports a chunk of only fill_value that should not be stored.
func (a *Array) encode(c nd.Any) ([]byte, bool, error) {
	shape := a.cs
	if a.perm != nil {
		c = transposeAny(c, a.perm)
		shape = c.Shape()
	}
	buf := nd.NewAny(a.meta.DType, shape, nd.C)
	if err := nd.CopyAny(buf, c); err != nil {
		return nil, false, err
	}
	b, _ := nd.AsBytes(buf)
	if !a.opts.WriteEmptyChunks && allFill(b, a.fill) {
		return nil, true, nil
	}
	if a.meta.BigEndian {
		nd.SwapBytes(b, a.meta.DType.Size())
	}
	codecs := a.meta.Codecs
	if a.meta.Compressor != nil {
		codecs = []codec.Codec{a.meta.Compressor}
	}
	for _, cc := range codecs {
		out, err := cc.Encode(nil, b)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", cc.Name(), err)
		}
		b = out
	}
	return b, false, nil
}

// decode turns stored bytes into a chunk of shape cs.
func (a *Array) decode(b []byte) (nd.Any, error) {
	codecs := a.meta.Codecs
	if a.meta.Compressor != nil {
		codecs = []codec.Codec{a.meta.Compressor}
	}
	for i := len(codecs) - 1; i >= 0; i-- {
		lim := max(a.chunkBytes, len(b))
		out, err := codecs[i].Decode(nil, b, lim)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", codecs[i].Name(), err)
		}
		b = out
	}
	if len(b) != a.chunkBytes {
		return nil, fmt.Errorf("%w: chunk has %d bytes, want %d", codec.ErrCorrupt, len(b), a.chunkBytes)
	}
	if len(codecs) == 0 {
		b = slices.Clone(b)
	}
	if a.meta.BigEndian {
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
		return nil, err
	}
	if inv != nil {
		c = transposeAny(c, inv)
	}
	return c, nil
}

func allFill(b, fill []byte) bool {
	if len(fill) == 0 {
		return false
	}
	for i := 0; i+len(fill) <= len(b); i += len(fill) {
		if string(b[i:i+len(fill)]) != string(fill) {
			return false
		}
	}
	return true
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
