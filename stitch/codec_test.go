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
			back, err := decodeShared(sh, g.sharedSizes(i), 256)
			if err != nil || back.k != r.k || back.n != r.n || !slices.EqualFunc(back.shared, r.shared, slices.Equal[[]uint32]) {
				t.Fatalf("%v tile %d: decoded %v", rule, i, err)
			}
		}
	}
}

// Records that decode but disagree with the plan (a box of another size,
// a label past the tile's count, more Dest labels than labels) are errors.
func TestDecodeSharedChecks(t *testing.T) {
	rec := &record{k: 2, n: 3, shared: [][]uint32{{0, 1, 3}, {2}}}
	good := encodeShared(rec)
	if _, err := decodeShared(good, []int{3, 1}, 10); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		rec   *record
		sizes []int
		want  string
	}{
		{rec, []int{3, 2}, "shared box 1 holds 1 labels, the plan's has 2 voxels"},
		{rec, []int{3}, "2 shared boxes, the plan has 1"},
		{&record{k: 2, n: 2, shared: [][]uint32{{0, 1, 3}, {2}}}, []int{3, 1}, "label 3 in shared box 0 of a tile of 2 labels"},
		{&record{k: 4, n: 3, shared: [][]uint32{{0, 1, 3}, {2}}}, []int{3, 1}, "4 labels in Dest of 3, in a crop of 10 voxels"},
		{&record{k: 2, n: 11, shared: [][]uint32{{0, 1, 3}, {2}}}, []int{3, 1}, "2 labels in Dest of 11, in a crop of 10 voxels"},
	} {
		if _, err := decodeShared(encodeShared(c.rec), c.sizes, 10); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	for n := range len(good) {
		if _, err := decodeShared(good[:n], []int{3, 1}, 10); err == nil {
			t.Errorf("record cut at %d bytes accepted", n)
		}
	}
}

// A solution cut anywhere is an error, never a panic.
func TestDecodeSolutionTruncated(t *testing.T) {
	s := &solution{rule: Overlap, objects: 5, joins: 2, k: []uint32{3, 2}, base: []uint64{0, 3},
		faces: [][]uint32{{1, 3}, {2}}, ids: [][]uint64{{1, 3}, {1}}}
	b := s.encode()
	back, err := decodeSolution(b, Overlap, 2, func(int) int { return 3 })
	if err != nil || back.objects != 5 || !slices.Equal(back.ids[0], s.ids[0]) || !slices.Equal(back.faces[1], s.faces[1]) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	for n := range len(b) {
		if _, err := decodeSolution(b[:n], Overlap, 2, func(int) int { return 3 }); err == nil {
			t.Errorf("solution cut at %d bytes accepted", n)
		}
	}
	if _, err := decodeSolution(b, Overlap, 3, func(int) int { return 3 }); err == nil {
		t.Error("a solution for 2 tiles accepted for 3")
	}
	if _, err := decodeSolution(b, Overlap, 2, func(int) int { return 2 }); err == nil {
		t.Error("3 labels accepted for a Dest of 2 voxels")
	}
}

// FuzzDecode: any bytes decode to a record or solution or to an error,
// never a panic, and what decodes satisfies the checks.
func FuzzDecode(f *testing.F) {
	f.Add(encodeShared(&record{k: 2, n: 3, shared: [][]uint32{{0, 1, 3}, {2}}}))
	s := &solution{rule: Overlap, objects: 5, k: []uint32{3, 2}, base: []uint64{0, 3}, faces: [][]uint32{{1, 3}, {2}}, ids: [][]uint64{{1, 3}, {1}}}
	f.Add(s.encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := decodeShared(b, []int{3, 1}, 10); err == nil {
			for _, v := range r.shared {
				for _, l := range v {
					if l > r.n || r.k > r.n || r.n > 10 {
						t.Fatalf("accepted %+v", r)
					}
				}
			}
		}
		if s, err := decodeSolution(b, Overlap, 2, func(int) int { return 3 }); err == nil {
			for i := range 2 {
				if s.k[i] > 3 || len(s.ids[i]) != len(s.faces[i]) {
					t.Fatalf("accepted %+v", s)
				}
				s.table(i)
			}
		}
	})
}
