package tiff

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// Every named compression, predictor and BigTIFF mode parses back from
// its String; unknown values print their number and unknown names fail
// naming the name.
func TestEnumsRoundTrip(t *testing.T) {
	for c := range compressionNames {
		if got, err := ParseCompression(strings.ToUpper(c.String())); err != nil || got != c {
			t.Errorf("compression %d: %q parses as %d, %v", uint16(c), c, uint16(got), err)
		}
	}
	for p := range predictorNames {
		if got, err := ParsePredictor(p.String()); err != nil || got != p {
			t.Errorf("predictor %d: %q parses as %d, %v", uint16(p), p, uint16(got), err)
		}
	}
	for m := range bigModeNames {
		if got, err := ParseBigMode(m.String()); err != nil || got != m {
			t.Errorf("BigTIFF mode %d: %q parses as %d, %v", int(m), m, int(got), err)
		}
	}
	for _, c := range []struct{ got, want string }{
		{Compression(34712).String(), "compression 34712"}, {Predictor(9).String(), "predictor 9"},
		{BigMode(7).String(), "BigMode(7)"}, {CompressionDeflate.String(), "deflate"},
	} {
		if c.got != c.want {
			t.Errorf("String: %q, want %q", c.got, c.want)
		}
	}
	for _, err := range []error{errOf(ParseCompression("jpeg2000")), errOf(ParsePredictor("vertical")), errOf(ParseBigMode("sometimes"))} {
		if err == nil || !strings.Contains(err.Error(), `"`) {
			t.Errorf("unknown name: %v, want an error quoting it", err)
		}
	}
	if err := CompressionJPEG.decodable(); err == nil || !strings.Contains(err.Error(), "compression 7 (jpeg)") {
		t.Errorf("JPEG decodable: %v", err)
	}
}

func errOf[T any](_ T, err error) error { return err }

// NewWriter refuses compressions it cannot write, unknown predictors and
// BigTIFF modes, naming the value.
func TestWriterRefusesUnknownEnums(t *testing.T) {
	for _, c := range []struct {
		opt  WriterOptions
		want string
	}{
		{WriterOptions{Compression: CompressionJPEG}, "compression 7 (jpeg"},
		{WriterOptions{Compression: 34712}, "compression 34712"},
		{WriterOptions{Predictor: 9}, "predictor 9"},
		{WriterOptions{BigTIFF: 5}, "BigMode(5)"},
	} {
		_, err := NewWriter(nil, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error naming %q", c.opt, err, c.want)
		}
	}
}

// A page with a bad Compression or Predictor tag opens with an
// UnsupportedError naming the value.
func TestReadUnknownCompression(t *testing.T) {
	path := t.TempDir() + "/a.tif"
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(fh, WriterOptions{BigTIFF: BigNever}) // classic: 12-byte entries
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WritePage(nd.New[uint8]([]int{4, 4}, nd.C)); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(w.Close(), fh.Close()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The writer puts Compression (259) as a SHORT in the first IFD:
	// patch its value.
	i := bytes.Index(b, []byte{3, 1, 3, 0, 1, 0, 0, 0, 1, 0})
	if i < 0 {
		t.Fatal("compression entry not found")
	}
	for _, c := range []struct {
		val  byte
		want string
	}{{7, "compression 7 (jpeg)"}, {99, "compression 99"}} {
		b[i+8] = c.val
		_, err := Open(bytes.NewReader(b), int64(len(b)), DefaultLimits)
		var ue UnsupportedError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("compression %d: %v, want UnsupportedError naming %q", c.val, err, c.want)
		}
	}
}

// Block places every tile of a page with overhanging tiles and separate
// sample planes, and refuses indices past the table.
func TestBlock(t *testing.T) {
	p := &Page{Width: 40, Height: 20, Samples: 2, Planar: 2, TileWidth: 16, TileLength: 16}
	n := p.blocks() // 3 x 2 tiles per plane, two planes
	p.Offsets, p.Counts = make([]uint64, n), make([]uint64, n)
	for i := range n {
		p.Offsets[i], p.Counts[i] = uint64(1000+i), uint64(10+i)
	}
	covered := make([]int, 2*20*40)
	for i := range n {
		b, err := p.Block(i)
		if err != nil {
			t.Fatal(err)
		}
		if b.Index != i || b.Offset != uint64(1000+i) || b.Count != uint64(10+i) || b.StoredH != 16 || b.StoredW != 16 {
			t.Errorf("block %d: %+v", i, b)
		}
		for y := b.Y0; y < b.Y0+b.H; y++ {
			for x := b.X0; x < b.X0+b.W; x++ {
				covered[(b.Sample*20+y)*40+x]++
			}
		}
	}
	for k, c := range covered {
		if c != 1 {
			t.Fatalf("sample %d pixel (%d, %d) in %d blocks", k/800, k%800/40, k%40, c)
		}
	}
	if _, err := p.Block(n); err == nil {
		t.Error("block past the table accepted")
	}
	if _, err := p.Block(-1); err == nil {
		t.Error("block -1 accepted")
	}
}
