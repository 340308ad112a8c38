package stitch

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/tile"
)

// encodeShared encodes a record's counts and shared boxes: the reference
// for encodeRecord, which writes them straight from the crop.
func encodeShared(r *record) []byte {
	n := 8 + 12
	for _, v := range r.shared {
		n += 4 + 4*len(v)
	}
	b := make([]byte, 0, n)
	b = append(b, recordMagic...)
	b = binary.LittleEndian.AppendUint32(b, r.k)
	b = binary.LittleEndian.AppendUint32(b, r.n)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(r.shared)))
	for _, v := range r.shared {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
		b = appendWords(b, v)
	}
	return b
}

// encodeRecord writes what makeRecord holds, for every rule, and
// decodeShared reads it back.
func TestEncodeRecord(t *testing.T) {
	shape := []int{30, 41}
	img := blobs(shape, 5, 0.5)
	p, err := tile.New(shape, tile.Spec{Crop: []int{16, 16}, Margin: []int{3, 3}, Border: tile.Symmetric})
	if err != nil {
		t.Fatal(err)
	}
	fn := thresholdModel(2)
	for _, rule := range []Rule{Overlap, Touch, Own} {
		g, err := newGeom(p, rule)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p.Len() {
			c := nd.New[uint8](p.CropShape(), nd.C)
			if err := tile.ReadCropAny(img, p.Tile(i).Crop, tile.Symmetric, 0, c); err != nil {
				t.Fatal(err)
			}
			y, _ := fn(context.Background(), nil, []nd.Any{c})
			r, err1 := g.makeRecord(i, y[0])
			d, sh, err2 := g.encodeRecord(i, y[0])
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("%v tile %d: %v vs %v", rule, i, err1, err2)
			}
			if err1 != nil {
				continue
			}
			if !bytes.Equal(d, appendWords(nil, r.dest)) || !bytes.Equal(sh, encodeShared(r)) {
				t.Fatalf("%v tile %d: encoded record differs", rule, i)
			}
			back, err := decodeShared(sh, len(g.nbrs[i]))
			if err != nil || back.k != r.k || back.n != r.n || !slices.EqualFunc(back.shared, r.shared, slices.Equal[[]uint32]) {
				t.Fatalf("%v tile %d: decoded %v", rule, i, err)
			}
		}
	}
}
