package codec_test

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/ryomen-dev/ryomen/codec"
)

// Compress a chunk of uint16 samples as Zarr v2 does with numcodecs'
// Blosc(cname="lz4", clevel=5, shuffle=SHUFFLE), then decode it with a
// limit of the chunk's size.
func ExampleBlosc() {
	raw := make([]byte, 2*4096)
	for i := range 4096 {
		binary.LittleEndian.PutUint16(raw[2*i:], uint16(1000+i%50))
	}
	c := codec.Blosc{CName: "lz4", CLevel: 5, Shuffle: 1, TypeSize: 2}
	enc, err := c.Encode(nil, raw)
	if err != nil {
		panic(err)
	}
	dec, err := c.Decode(nil, enc, len(raw))
	if err != nil {
		panic(err)
	}
	fmt.Println(len(enc) < len(raw)/10, bytes.Equal(dec, raw))
	// A limit smaller than the chunk is refused rather than truncated.
	_, err = c.Decode(nil, enc, 100)
	fmt.Println(err)
	// Output:
	// true true
	// blosc: header says 8192 decoded bytes, limit 100: codec: decoded size exceeds limit
}
