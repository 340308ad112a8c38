package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"strconv"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
)

// Magic starts every .npy file.
const Magic = "\x93NUMPY"

// MaxHeader bounds the header length.
const MaxHeader = 64 << 10

// DefaultMaxBytes is the data size Read accepts when no limit is given.
const DefaultMaxBytes = 16 << 30

// FormatError reports a malformed file.
type FormatError string

// Error implements error.
func (e FormatError) Error() string { return "npy: invalid format: " + string(e) }

// UnsupportedError reports a valid file this package does not handle.
type UnsupportedError string

// Error implements error.
func (e UnsupportedError) Error() string { return "npy: unsupported: " + string(e) }

// Header describes the array in a .npy file.
type Header struct {
	DType        nd.DType
	Shape        []int
	FortranOrder bool
	BigEndian    bool
	DataOffset   int64 // bytes before the data
}

// DataBytes returns the size of the data.
func (h Header) DataBytes() int64 {
	n := int64(h.DType.Size())
	for _, d := range h.Shape {
		n *= int64(d)
	}
	return n
}

// descrs are the descr strings Write uses.
var descrs = map[nd.DType]string{nd.Uint8: "|u1", nd.Int8: "|i1", nd.Uint16: "<u2", nd.Int16: "<i2",
	nd.Uint32: "<u4", nd.Int32: "<i4", nd.Uint64: "<u8", nd.Int64: "<i8", nd.Float32: "<f4", nd.Float64: "<f8",
	nd.DTypeFloat16: "<f2", nd.DTypeBool: "|b1"}

// ReadHeader reads the magic, version and header dictionary, leaving r at
// the first data byte.
func ReadHeader(r io.Reader) (Header, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return Header{}, fmt.Errorf("npy: reading magic: %w", err)
	}
	if string(pre[:6]) != Magic {
		return Header{}, FormatError(fmt.Sprintf("magic %q is not %q", pre[:6], Magic))
	}
	var hl int
	var off int64 = 8
	switch pre[6] {
	case 1:
		var n [2]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return Header{}, fmt.Errorf("npy: header length: %w", err)
		}
		hl, off = int(binary.LittleEndian.Uint16(n[:])), 10
	case 2, 3:
		var n [4]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return Header{}, fmt.Errorf("npy: header length: %w", err)
		}
		hl, off = int(binary.LittleEndian.Uint32(n[:])), 12
	default:
		return Header{}, UnsupportedError(fmt.Sprintf("format version %d.%d", pre[6], pre[7]))
	}
	if hl > MaxHeader {
		return Header{}, FormatError(fmt.Sprintf("header of %d bytes exceeds %d", hl, MaxHeader))
	}
	hb := make([]byte, hl)
	if _, err := io.ReadFull(r, hb); err != nil {
		return Header{}, fmt.Errorf("npy: header: %w", err)
	}
	h, err := parseHeader(string(hb))
	if err != nil {
		return Header{}, err
	}
	h.DataOffset = off + int64(hl)
	return h, nil
}

// parseHeader reads numpy's Python-literal dictionary with exactly the
// keys descr, fortran_order and shape.
func parseHeader(s string) (Header, error) {
	var h Header
	p := &lexer{s: strings.TrimRight(s, " \n\x00")}
	if !p.eat("{") {
		return h, FormatError(fmt.Sprintf("header %q is not a dict", trunc(s)))
	}
	seen := map[string]bool{}
	for !p.eat("}") {
		key, ok := p.str()
		if !ok || !p.eat(":") {
			return h, FormatError(fmt.Sprintf("header %q: expected 'key':", trunc(s)))
		}
		if seen[key] {
			return h, FormatError("duplicate key " + key)
		}
		seen[key] = true
		switch key {
		case "descr":
			d, ok := p.str()
			if !ok {
				return h, UnsupportedError("descr is not a string: structured (record) dtypes are not supported")
			}
			dt, big, err := nd.ParseTypestr(d)
			if err != nil {
				return h, UnsupportedError(err.Error())
			}
			h.DType, h.BigEndian = dt, big
		case "fortran_order":
			switch {
			case p.eat("True"):
				h.FortranOrder = true
			case p.eat("False"):
			default:
				return h, FormatError("fortran_order is not True or False")
			}
		case "shape":
			if !p.eat("(") {
				return h, FormatError("shape is not a tuple")
			}
			for !p.eat(")") {
				n, ok := p.int()
				if !ok {
					return h, FormatError(fmt.Sprintf("shape in %q", trunc(s)))
				}
				h.Shape = append(h.Shape, n)
				if !p.eat(",") && !p.peek(")") {
					return h, FormatError("shape tuple is malformed")
				}
			}
			if h.Shape == nil {
				h.Shape = []int{}
			}
		default:
			return h, FormatError("unexpected key " + strconv.Quote(key))
		}
		if !p.eat(",") && !p.peek("}") {
			return h, FormatError(fmt.Sprintf("header %q: expected , or }", trunc(s)))
		}
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return h, FormatError("header lacks descr, fortran_order or shape")
	}
	if _, ok := nd.CheckedSize(h.Shape); !ok {
		return h, FormatError(fmt.Sprintf("shape %v overflows", h.Shape))
	}
	return h, nil
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

type lexer struct{ s string }

func (l *lexer) skip() { l.s = strings.TrimLeft(l.s, " \t\n") }
func (l *lexer) peek(t string) bool {
	l.skip()
	return strings.HasPrefix(l.s, t)
}
func (l *lexer) eat(t string) bool {
	if l.peek(t) {
		l.s = l.s[len(t):]
		return true
	}
	return false
}
func (l *lexer) str() (string, bool) {
	l.skip()
	if len(l.s) == 0 || (l.s[0] != '\'' && l.s[0] != '"') {
		return "", false
	}
	q := l.s[0]
	end := strings.IndexByte(l.s[1:], q)
	if end < 0 {
		return "", false
	}
	v := l.s[1 : 1+end]
	l.s = l.s[2+end:]
	return v, true
}
func (l *lexer) int() (int, bool) {
	l.skip()
	i := 0
	for i < len(l.s) && l.s[i] >= '0' && l.s[i] <= '9' {
		i++
	}
	if i == 0 || i > 18 {
		return 0, false
	}
	n, err := strconv.Atoi(l.s[:i])
	l.s = strings.TrimPrefix(l.s[i:], "L")
	return n, err == nil
}

// Read reads one array from r, which is left just past it: Read never
// reads beyond the array's last byte, so a stream can carry arrays one
// after another. maxBytes bounds the data (0 means DefaultMaxBytes); Read
// allocates the whole array once the header is checked against it.
func Read(r io.Reader, maxBytes int64) (nd.Any, error) {
	h, err := ReadHeader(r)
	if err != nil {
		return nil, err
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	n, _ := nd.CheckedSize(h.Shape)
	hi, lo := bits.Mul64(uint64(n), uint64(h.DType.Size()))
	if hi != 0 || lo > uint64(maxBytes) {
		return nil, FormatError(fmt.Sprintf("%v array of shape %v exceeds the %d-byte limit", h.DType, h.Shape, maxBytes))
	}
	order := nd.C
	if h.FortranOrder {
		order = nd.F
	}
	a := nd.NewAny(h.DType, h.Shape, order)
	b, _ := nd.AsBytes(a)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("npy: data of %v %v: %w", h.DType, h.Shape, err)
	}
	if h.BigEndian {
		nd.SwapBytes(b, h.DType.Size())
	}
	return a, nil
}

// ReadFile reads the array in the .npy file at path. The data may not
// claim more bytes than the file holds, so a corrupt header cannot make it
// allocate more than the file's size.
func ReadFile(path string) (nd.Any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	a, err := Read(bufio.NewReader(f), max(st.Size(), 1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Write writes a as a .npy file (version 1.0, or 2.0 when the header does
// not fit 1.0): little-endian, Fortran order if a is Fortran-contiguous
// and not C-contiguous, else C order (copying a strided view).
func Write(w io.Writer, a nd.Any) error {
	if !a.DType().Valid() {
		return UnsupportedError("dtype " + a.DType().String())
	}
	order, ok := nd.ContiguousOrder(a)
	if !ok {
		c := nd.NewAny(a.DType(), a.Shape(), nd.C)
		if err := nd.CopyAny(c, a); err != nil {
			return err
		}
		a, order = c, nd.C
	}
	pre, err := EncodeHeader(a.DType(), a.Shape(), order == nd.F && a.Rank() > 1)
	if err != nil {
		return err
	}
	if _, err := w.Write(pre); err != nil {
		return err
	}
	b, ok := nd.AsBytes(a)
	if !ok {
		return errors.New("npy: array bytes unavailable")
	}
	_, err = w.Write(b)
	return err
}

// EncodeHeader returns the magic, version and header of a .npy file of
// the dtype and shape (little-endian; Fortran order if fortran), padded
// so that the data starts at a multiple of 64 bytes: version 1.0, or 2.0
// when the header does not fit 1.0. The data follows it.
func EncodeHeader(dt nd.DType, shape []int, fortran bool) ([]byte, error) {
	descr, ok := descrs[dt]
	if !ok {
		return nil, UnsupportedError("dtype " + dt.String())
	}
	var sh strings.Builder
	sh.WriteString("(")
	for i, n := range shape {
		if i > 0 {
			sh.WriteString(" ")
		}
		sh.WriteString(strconv.Itoa(n) + ",")
	}
	sh.WriteString(")")
	if len(shape) > 1 {
		// numpy writes (2, 3) rather than (2, 3,)
		s := sh.String()
		sh.Reset()
		sh.WriteString(strings.TrimSuffix(s, ",)") + ")")
	}
	f := "False"
	if fortran {
		f = "True"
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, f, sh.String())
	var pre bytes.Buffer
	pre.WriteString(Magic)
	if total := len(Magic) + 4 + len(h) + 1; total+63 < 1<<16 {
		h += strings.Repeat(" ", (64-total%64)%64) + "\n"
		pre.Write([]byte{1, 0})
		binary.Write(&pre, binary.LittleEndian, uint16(len(h)))
	} else {
		total = len(Magic) + 6 + len(h) + 1
		h += strings.Repeat(" ", (64-total%64)%64) + "\n"
		pre.Write([]byte{2, 0})
		binary.Write(&pre, binary.LittleEndian, uint32(len(h)))
	}
	pre.WriteString(h)
	return pre.Bytes(), nil
}

// WriteFile writes a to path.
func WriteFile(path string, a nd.Any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := Write(bw, a); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
