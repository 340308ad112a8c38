package zarr

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
)

var shuffleNames = []string{"noshuffle", "shuffle", "bitshuffle"}

// parseV2Codec maps a numcodecs compressor object to a codec.
func parseV2Codec(raw json.RawMessage, typeSize int) (codec.Codec, error) {
	var c struct {
		ID           string `json:"id"`
		Level        *int   `json:"level"`
		Checksum     bool   `json:"checksum"`
		CName        string `json:"cname"`
		CLevel       int    `json:"clevel"`
		Shuffle      *int   `json:"shuffle"`
		BlockSize    int    `json:"blocksize"`
		Acceleration int    `json:"acceleration"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	level := 1
	if c.Level != nil {
		level = *c.Level
	}
	switch c.ID {
	case "zstd":
		return codec.Zstd{Level: level, Checksum: c.Checksum}, nil
	case "gzip":
		return codec.Gzip{Level: level}, nil
	case "zlib":
		return codec.Zlib{Level: level}, nil
	case "lz4":
		if c.Acceleration == 0 {
			c.Acceleration = 1
		}
		return codec.LZ4{Acceleration: c.Acceleration}, nil
	case "blosc":
		sh := 1
		if c.Shuffle != nil {
			sh = *c.Shuffle
		}
		if sh == -1 {
			sh = 1
			if typeSize == 1 {
				sh = 2
			}
		}
		if sh < 0 || sh > 2 {
			return nil, fmt.Errorf("blosc shuffle %d unsupported", sh)
		}
		return codec.Blosc{CName: c.CName, CLevel: c.CLevel, Shuffle: sh, TypeSize: typeSize, BlockSize: c.BlockSize}, nil
	}
	return nil, fmt.Errorf("id %q unsupported", c.ID)
}

func v2CodecJSON(c codec.Codec) (map[string]any, error) {
	switch c := c.(type) {
	case codec.Zstd:
		m := map[string]any{"id": "zstd", "level": c.Level}
		if c.Checksum {
			// Older numcodecs (0.11) reject the key, so write it only
			// when it matters.
			m["checksum"] = true
		}
		return m, nil
	case codec.Gzip:
		return map[string]any{"id": "gzip", "level": c.Level}, nil
	case codec.Zlib:
		return map[string]any{"id": "zlib", "level": c.Level}, nil
	case codec.LZ4:
		return map[string]any{"id": "lz4", "acceleration": c.Acceleration}, nil
	case codec.Blosc:
		return map[string]any{"id": "blosc", "cname": c.CName, "clevel": c.CLevel, "shuffle": c.Shuffle, "blocksize": c.BlockSize}, nil
	}
	return nil, fmt.Errorf("zarr: codec %q has no Zarr v2 form", c.Name())
}

func parseV3Codec(n v3Named, typeSize int) (codec.Codec, error) {
	var c struct {
		Level     int    `json:"level"`
		Checksum  bool   `json:"checksum"`
		CName     string `json:"cname"`
		CLevel    int    `json:"clevel"`
		Shuffle   string `json:"shuffle"`
		TypeSize  int    `json:"typesize"`
		BlockSize int    `json:"blocksize"`
	}
	if len(n.Configuration) > 0 {
		if err := json.Unmarshal(n.Configuration, &c); err != nil {
			return nil, fmt.Errorf("%s: %v", n.Name, err)
		}
	}
	switch n.Name {
	case "zstd":
		return codec.Zstd{Level: c.Level, Checksum: c.Checksum}, nil
	case "gzip":
		return codec.Gzip{Level: c.Level}, nil
	case "crc32c":
		return codec.CRC32C{}, nil
	case "blosc":
		sh := -1
		for i, s := range shuffleNames {
			if s == c.Shuffle {
				sh = i
			}
		}
		if sh < 0 {
			return nil, fmt.Errorf("blosc shuffle %q unsupported", c.Shuffle)
		}
		if c.TypeSize <= 0 {
			c.TypeSize = typeSize
		}
		return codec.Blosc{CName: c.CName, CLevel: c.CLevel, Shuffle: sh, TypeSize: c.TypeSize, BlockSize: c.BlockSize}, nil
	}
	return nil, fmt.Errorf("codec %q unsupported", n.Name)
}

func v3CodecJSON(c codec.Codec, typeSize int) (map[string]any, error) {
	switch c := c.(type) {
	case codec.Zstd:
		return named("zstd", map[string]any{"level": c.Level, "checksum": c.Checksum}), nil
	case codec.Gzip:
		return named("gzip", map[string]any{"level": c.Level}), nil
	case codec.CRC32C:
		return named("crc32c", nil), nil
	case codec.Blosc:
		if c.Shuffle < 0 || c.Shuffle > 2 {
			return nil, fmt.Errorf("zarr: blosc shuffle %d unsupported", c.Shuffle)
		}
		ts := c.TypeSize
		if ts <= 0 {
			ts = typeSize
		}
		return named("blosc", map[string]any{"cname": c.CName, "clevel": c.CLevel,
			"shuffle": shuffleNames[c.Shuffle], "typesize": ts, "blocksize": c.BlockSize}), nil
	}
	return nil, fmt.Errorf("zarr: codec %q has no Zarr v3 form", c.Name())
}

// Transpose is the array-to-array "transpose" codec: axis i of the
// stored chunk is axis Order[i] of the logical chunk.
type Transpose struct {
	// Order is a permutation of the chunk's axes.
	Order []int
}

// BytesCodec is the array-to-bytes "bytes" codec: elements in C order of
// the (transposed) chunk, little- or big-endian.
type BytesCodec struct {
	// BigEndian stores elements of more than one byte big-endian.
	BigEndian bool
}

// Chain is the normalised codec chain of one chunk (the inner chunk, when
// sharded), the same for Zarr v2 and v3: array-to-array codecs applied
// first, then the array-to-bytes codec, then the bytes-to-bytes codecs in
// encoding order. A v2 F order is a Transpose reversing the axes, a v2
// '>' dtype a big-endian BytesCodec, and a v2 compressor the only
// bytes-to-bytes codec. Decoding runs the chain backwards.
type Chain struct {
	// ArrayToArray are the transposes, in encoding order.
	ArrayToArray []Transpose
	// ArrayToBytes turns the (transposed) chunk into bytes.
	ArrayToBytes BytesCodec
	// BytesToBytes are the compressors and checksums, in encoding order.
	BytesToBytes []codec.Codec
}

// Chain returns the normalised codec chain m describes, from its v2
// fields (Order, BigEndian, Compressor) or its v3 ones (Transpose,
// BigEndian, Codecs). Identity transposes are left out, and BigEndian is
// false for 1-byte dtypes, so equal layouts give equal chains.
func (m *Meta) Chain() Chain {
	var c Chain
	rank := len(m.Shape)
	switch {
	case m.Transpose != nil && !isIdentity(m.Transpose):
		c.ArrayToArray = []Transpose{{Order: slices.Clone(m.Transpose)}}
	case m.Transpose == nil && m.Order == nd.F && rank > 1:
		rev := make([]int, rank)
		for i := range rev {
			rev[i] = rank - 1 - i
		}
		c.ArrayToArray = []Transpose{{Order: rev}}
	}
	c.ArrayToBytes.BigEndian = m.BigEndian && m.DType.Size() > 1
	switch {
	case len(m.Codecs) > 0:
		c.BytesToBytes = slices.Clone(m.Codecs)
	case m.Compressor != nil:
		c.BytesToBytes = []codec.Codec{m.Compressor}
	}
	return c
}

// perm returns the stored-layout permutation of the chunk: the
// composition of the chain's transposes, nil for the identity.
func (c Chain) perm() []int {
	var p []int
	for _, t := range c.ArrayToArray {
		if p == nil {
			p = slices.Clone(t.Order)
			continue
		}
		q := make([]int, len(p))
		for i, o := range t.Order {
			q[i] = p[o]
		}
		p = q
	}
	if isIdentity(p) {
		return nil
	}
	return p
}

// clone returns a copy of c that shares nothing mutable with it.
func (c Chain) clone() Chain {
	o := Chain{ArrayToBytes: c.ArrayToBytes, BytesToBytes: slices.Clone(c.BytesToBytes)}
	for _, t := range c.ArrayToArray {
		o.ArrayToArray = append(o.ArrayToArray, Transpose{Order: slices.Clone(t.Order)})
	}
	return o
}

func isIdentity(p []int) bool {
	for i, v := range p {
		if v != i {
			return false
		}
	}
	return true
}
