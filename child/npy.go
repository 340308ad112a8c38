package child

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
)

// The frame payload is a complete .npy file (format versions 1.0-3.0).
// Only what the protocol allows is accepted: C order, little-endian or
// single-byte dtypes of the ten nd element types.

var npyMagic = []byte("\x93NUMPY")

var npyDescr = map[string]nd.DType{
	"|u1": nd.Uint8, "<u2": nd.Uint16, "<u4": nd.Uint32, "<u8": nd.Uint64,
	"|i1": nd.Int8, "<i2": nd.Int16, "<i4": nd.Int32, "<i8": nd.Int64,
	"<f4": nd.Float32, "<f8": nd.Float64,
	"<u1": nd.Uint8, "<i1": nd.Int8,
}

func descrOf(dt nd.DType) string {
	for _, k := range []string{"|u1", "<u2", "<u4", "<u8", "|i1", "<i2", "<i4", "<i8", "<f4", "<f8"} {
		if npyDescr[k] == dt {
			return k
		}
	}
	return ""
}

// writeNPY writes a as a version 1.0 .npy file in C order.
func writeNPY(w io.Writer, a nd.Any) error {
	if o, ok := nd.ContiguousOrder(a); !ok || o != nd.C {
		c := nd.NewAny(a.DType(), a.Shape(), nd.C)
		if err := nd.CopyAny(c, a); err != nil {
			return err
		}
		a = c
	}
	var sh strings.Builder
	sh.WriteString("(")
	for _, n := range a.Shape() {
		sh.WriteString(strconv.Itoa(n) + ",")
	}
	sh.WriteString(")")
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descrOf(a.DType()), sh.String())
	// Pad with spaces so the data starts on a 64-byte boundary.
	total := len(npyMagic) + 2 + 2 + len(h) + 1
	h += strings.Repeat(" ", (64-total%64)%64) + "\n"
	var pre bytes.Buffer
	pre.Write(npyMagic)
	pre.Write([]byte{1, 0})
	binary.Write(&pre, binary.LittleEndian, uint16(len(h)))
	pre.WriteString(h)
	if _, err := w.Write(pre.Bytes()); err != nil {
		return err
	}
	b, _ := nd.AsBytes(a)
	_, err := w.Write(b)
	return err
}

var (
	reDescr   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	reFortran = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	reShape   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// readNPY reads exactly one .npy file from r; the array may hold at most
// maxBytes bytes.
func readNPY(r io.Reader, maxBytes int64) (nd.Any, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	if !bytes.Equal(pre[:6], npyMagic) {
		return nil, fmt.Errorf("npy: bad magic %q", pre[:6])
	}
	var hl int
	switch pre[6] {
	case 1:
		var n [2]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return nil, fmt.Errorf("npy: header length: %w", err)
		}
		hl = int(binary.LittleEndian.Uint16(n[:]))
	case 2, 3:
		var n [4]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return nil, fmt.Errorf("npy: header length: %w", err)
		}
		hl = int(binary.LittleEndian.Uint32(n[:]))
	default:
		return nil, fmt.Errorf("npy: unsupported format version %d.%d", pre[6], pre[7])
	}
	if hl > maxHeader {
		return nil, fmt.Errorf("npy: header of %d bytes exceeds %d", hl, maxHeader)
	}
	hb := make([]byte, hl)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("npy: header: %w", err)
	}
	h := string(hb)
	m := reDescr.FindStringSubmatch(h)
	if m == nil {
		return nil, fmt.Errorf("npy: header %q has no descr", h)
	}
	dt, ok := npyDescr[m[1]]
	if !ok {
		return nil, fmt.Errorf("npy: dtype %q is not one of |u1 <u2 <u4 <u8 |i1 <i2 <i4 <i8 <f4 <f8", m[1])
	}
	if f := reFortran.FindStringSubmatch(h); f == nil || f[1] != "False" {
		return nil, fmt.Errorf("npy: header %q: arrays must be C order", h)
	}
	s := reShape.FindStringSubmatch(h)
	if s == nil {
		return nil, fmt.Errorf("npy: header %q has no shape", h)
	}
	var shape []int
	for _, f := range strings.Split(s[1], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("npy: bad shape %q", s[1])
		}
		shape = append(shape, n)
	}
	n, ok := nd.CheckedSize(shape)
	if !ok || int64(n) > maxBytes/int64(dt.Size()) {
		return nil, fmt.Errorf("npy: shape %v of %v exceeds the %d-byte limit", shape, dt, maxBytes)
	}
	a := nd.NewAny(dt, shape, nd.C)
	b, _ := nd.AsBytes(a)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("npy: data of shape %v: %w", shape, err)
	}
	return a, nil
}
