package npy

import (
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// File is a .npy file opened for region reads: it implements nd.Reader,
// and ReadRegion reads only the bytes of the requested box (one ReadAt per
// contiguous run of the file's order) instead of the whole array. It is
// safe for concurrent use when its io.ReaderAt is (an *os.File is).
type File struct {
	r      io.ReaderAt
	h      Header
	name   string
	closer io.Closer
}

var _ nd.Reader = (*File)(nil)

// Open reads the header of the .npy data in r, which holds size bytes,
// and checks that the data the header describes fits in them.
func Open(r io.ReaderAt, size int64) (*File, error) {
	h, err := ReadHeader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, err
	}
	n, _ := nd.CheckedSize(h.Shape)
	if hi, need := bits.Mul64(uint64(n), uint64(h.DType.Size())); hi != 0 || need > uint64(size-h.DataOffset) {
		return nil, FormatError(fmt.Sprintf("%v data of shape %v does not fit the %d bytes after the header", h.DType, h.Shape, size-h.DataOffset))
	}
	return &File{r: r, h: h}, nil
}

// OpenFile opens the .npy file at path for region reads. Close it when
// done.
func OpenFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	f, err := Open(fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.name, f.closer = path, fh
	return f, nil
}

// Close closes the file OpenFile opened; it does nothing for Open.
func (f *File) Close() error {
	if f.closer != nil {
		return f.closer.Close()
	}
	return nil
}

// Header returns the file's header.
func (f *File) Header() Header {
	h := f.h
	h.Shape = slices.Clone(h.Shape)
	return h
}

// DType implements nd.Reader (uint8 for bool files).
func (f *File) DType() nd.DType { return f.h.DType }

// Shape implements nd.Reader.
func (f *File) Shape() []int { return slices.Clone(f.h.Shape) }

// ReadRegion implements nd.Reader. It converts big-endian data and bool
// values as Read does.
func (f *File) ReadRegion(b nd.Box, dst nd.Any) error {
	if err := nd.CheckRegion(f.h.Shape, b, dst, f.h.DType); err != nil {
		return err
	}
	if b.Empty() {
		return nil
	}
	shape, n := f.h.Shape, len(f.h.Shape)
	// axes lists the axes from slowest to fastest in the file.
	axes := make([]int, n)
	order := nd.C
	for i := range axes {
		axes[i] = i
	}
	if f.h.FortranOrder {
		slices.Reverse(axes)
		order = nd.F
	}
	stride := make([]int64, n) // in elements
	s := int64(1)
	for i := n - 1; i >= 0; i-- {
		stride[axes[i]] = s
		s *= int64(shape[axes[i]])
	}
	// A run is contiguous in the file: it spans axis axes[p] of the box
	// and all of every faster axis. The slower axes are iterated.
	p := n - 1
	for p > 0 && b.Min[axes[p]] == 0 && b.Max[axes[p]] == shape[axes[p]] {
		p--
	}
	size := int64(f.h.DType.Size())
	runShape := b.Shape()
	for _, a := range axes[:max(p, 0)] {
		runShape[a] = 1
	}
	runLen, _ := nd.CheckedSize(runShape)
	buf := make([]byte, int64(runLen)*size)
	idx := slices.Clone(b.Min)
	dstBox := nd.BoxOf(dst.Shape())
	// The runs: every point of the box on axes[:p], the last of them
	// fastest.
	slow := nd.Box{Min: make([]int, max(p, 0)), Max: make([]int, max(p, 0))}
	for k, a := range axes[:max(p, 0)] {
		slow.Min[k], slow.Max[k] = b.Min[a], b.Max[a]
	}
	for q := range slow.Points() {
		for k, a := range axes[:max(p, 0)] {
			idx[a] = q[k]
		}
		var off int64
		for a := range n {
			off += int64(idx[a]) * stride[a]
		}
		if _, err := f.r.ReadAt(buf, f.h.DataOffset+off*size); err != nil {
			return fmt.Errorf("npy: %sreading %d bytes at element %d: %w", f.prefix(), len(buf), off, err)
		}
		if f.h.BigEndian {
			nd.SwapBytes(buf, int(size))
		}
		run, err := nd.FromBytes(f.h.DType, runShape, order, buf)
		if err != nil {
			return err
		}
		for _, a := range axes[:max(p, 0)] {
			dstBox.Min[a], dstBox.Max[a] = idx[a]-b.Min[a], idx[a]-b.Min[a]+1
		}
		if err := nd.CopyAny(dst.View(dstBox), run); err != nil {
			return err
		}
	}
	return nil
}

func (f *File) prefix() string {
	if f.name == "" {
		return ""
	}
	return f.name + ": "
}
