package tiff

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// Writing and reading a tiled BigTIFF uint16 volume (256 MiB; set
// TIFF_BENCH_MIB for another size, 1024 for the 1 GiB), beside a
// plain os.File write of the same bytes measured in the same run.

func benchVolume(b *testing.B) (*nd.Array[uint16], int) {
	mib := 256
	if v, err := strconv.Atoi(os.Getenv("TIFF_BENCH_MIB")); err == nil && v > 0 {
		mib = v
	}
	const h, w = 1024, 1024
	pages := mib << 20 / (h * w * 2)
	a := nd.New[uint16]([]int{pages, h, w}, nd.C)
	for i := range a.Data() {
		a.Data()[i] = uint16(1000 + (i%1024)*3 + (i/1024%1024)/2 + i%7)
	}
	return a, pages
}

func plane(a *nd.Array[uint16], z int) *nd.Array[uint16] {
	sh := a.Shape()
	v, _ := a.Sub(nd.NewBox([]int{z, 0, 0}, []int{z + 1, sh[1], sh[2]})).Reshape(sh[1:], nd.C)
	return v
}

func BenchmarkRawDiskWrite(b *testing.B) {
	a, _ := benchVolume(b)
	raw, _ := nd.AsBytes(a)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		p := filepath.Join(b.TempDir(), "raw")
		f, _ := os.Create(p)
		if _, err := f.Write(raw); err != nil {
			b.Fatal(err)
		}
		f.Sync()
		f.Close()
	}
}

func benchWrite(b *testing.B, opt WriterOptions) string {
	a, pages := benchVolume(b)
	opt.Pages, opt.BigTIFF, opt.TileWidth, opt.TileLength = pages, BigAlways, 256, 256
	b.SetBytes(int64(a.Len() * 2))
	b.ReportAllocs()
	var p string
	for b.Loop() {
		p = filepath.Join(b.TempDir(), "v.tif")
		f, _ := os.Create(p)
		w, err := NewWriter(f, opt)
		if err != nil {
			b.Fatal(err)
		}
		for z := 0; z < pages; z++ {
			if err := w.WritePage(plane(a, z)); err != nil {
				b.Fatal(err)
			}
		}
		w.Close()
		f.Sync()
		f.Close()
	}
	return p
}

func BenchmarkWriteTiledBigTIFF(b *testing.B) { benchWrite(b, WriterOptions{}) }
func BenchmarkWriteTiledBigTIFFDeflate(b *testing.B) {
	benchWrite(b, WriterOptions{Compression: CompressionDeflate, Level: 1, Predictor: PredictorHorizontal})
}
func BenchmarkWriteTiledBigTIFFZstd(b *testing.B) {
	benchWrite(b, WriterOptions{Compression: CompressionZstd, Predictor: PredictorHorizontal})
}

func benchRead(b *testing.B, opt WriterOptions) {
	a, pages := benchVolume(b)
	dir := b.TempDir()
	p := filepath.Join(dir, "v.tif")
	f, _ := os.Create(p)
	opt.Pages, opt.BigTIFF, opt.TileWidth, opt.TileLength = pages, BigAlways, 256, 256
	w, _ := NewWriter(f, opt)
	for z := 0; z < pages; z++ {
		w.WritePage(plane(a, z))
	}
	w.Close()
	f.Close()
	b.SetBytes(int64(a.Len() * 2))
	b.ReportAllocs()
	dst := nd.New[uint16](a.Shape(), nd.C)
	for b.Loop() {
		tf, err := OpenFile(p)
		if err != nil {
			b.Fatal(err)
		}
		st, _ := tf.Stack()
		if err := st.ReadRegion(nd.BoxOf(st.Shape()), dst); err != nil {
			b.Fatal(err)
		}
		tf.Close()
	}
}

func BenchmarkReadTiledBigTIFF(b *testing.B) { benchRead(b, WriterOptions{}) }
func BenchmarkReadTiledBigTIFFZstd(b *testing.B) {
	benchRead(b, WriterOptions{Compression: CompressionZstd, Predictor: PredictorHorizontal})
}

func BenchmarkReadTiledBigTIFFDeflate(b *testing.B) {
	benchRead(b, WriterOptions{Compression: CompressionDeflate, Level: 1, Predictor: PredictorHorizontal})
}

// BenchmarkRawDiskRead reads the same number of bytes back from a plain
// file (page cache warm, as for the TIFF reads).
func BenchmarkRawDiskRead(b *testing.B) {
	a, _ := benchVolume(b)
	raw, _ := nd.AsBytes(a)
	p := filepath.Join(b.TempDir(), "raw")
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		f, _ := os.Open(p)
		if _, err := io.ReadFull(f, raw); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
