package label

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/ryomen-dev/ryomen/nd"
)

// Object holds the statistics of an object, or of the piece of it that
// lies in one block.
type Object struct {
	ID, Voxels uint64
	// Class is the input value of the object's voxels (the bit pattern of
	// an integer value; 1 for masks).
	Class uint64
	// Min and Max are the bounding box, half-open like [nd.Box].
	Min, Max []int
	// Sum is the sum of the voxels' coordinates per axis: the centroid is
	// Sum/Voxels.
	Sum []uint64
	// Partial marks a piece of an object that spans several blocks.
	Partial bool
}

// Centroid returns the mean voxel coordinate per axis.
func (o Object) Centroid() []float64 {
	c := make([]float64, len(o.Sum))
	for i, s := range o.Sum {
		c[i] = float64(s) / float64(o.Voxels)
	}
	return c
}

// merge adds piece p (of the same object) to o.
func (o *Object) merge(p Object) {
	o.Voxels += p.Voxels
	for i := range o.Min {
		o.Min[i] = min(o.Min[i], p.Min[i])
		o.Max[i] = max(o.Max[i], p.Max[i])
		o.Sum[i] += p.Sum[i]
	}
}

// emitStats accumulates the bounding box and coordinate sums of every
// surviving local label of a block (from s's provisional labels, mapped
// through s.par) and calls emit in local label order (which is ID order).
func (t *Table) emitStats(s *scratch, block nd.Any, b nd.Box, k int, n uint32, emit func(Object)) {
	r := len(t.shape)
	fin, cnt := s.fin, s.cnt
	acc := s.accum(int(n)+1, r)
	shape := b.Shape()
	nx := shape[r-1]
	outer := make([]int, r)
	for base := 0; base < len(s.lab); base += nx {
		for x, l := range s.lab[base : base+nx] {
			l = s.par[l] // labels are provisional (lazy)
			if fin[l] == 0 {
				continue
			}
			outer[r-1] = x
			a := acc[int(l)*r*3 : int(l+1)*r*3]
			for i, v := range outer {
				g := v + b.Min[i]
				a[3*i] = min(a[3*i], g)
				a[3*i+1] = max(a[3*i+1], g+1)
				a[3*i+2] += g
			}
		}
		for i := r - 2; i >= 0; i-- {
			outer[i]++
			if outer[i] < shape[i] {
				break
			}
			outer[i] = 0
		}
	}
	var class func(int) uint64
	var first []int
	if t.o.Semantic {
		class, first = valueAt(contiguous(block)), s.firstVoxelsVia(n, s.par)
	}
	lo, hi := t.fbase[k], t.fbase[k+1]
	j := lo
	// One set of slices for every object: emit must not keep them.
	mn, mx, sum := make([]int, r), make([]int, r), make([]uint64, r)
	for l := uint32(1); l <= n; l++ {
		face := j < hi && t.flabel[j] == l
		partial := face && t.partial.has(j)
		if face {
			j++
		}
		if fin[l] == 0 {
			continue
		}
		o := Object{ID: fin[l], Voxels: uint64(cnt[l]), Class: 1, Partial: partial,
			Min: mn, Max: mx, Sum: sum}
		a := acc[int(l)*r*3 : int(l+1)*r*3]
		for i := range r {
			o.Min[i], o.Max[i], o.Sum[i] = a[3*i], a[3*i+1], uint64(a[3*i+2])
		}
		if class != nil {
			o.Class = class(first[l])
		}
		emit(o)
	}
}

// accum returns n*r (min, max, sum) triples, min at MaxInt, the rest 0.
func (s *scratch) accum(n, r int) []int {
	m := n * r * 3
	if cap(s.acc) < m {
		s.acc = make([]int, m)
	}
	a := s.acc[:m]
	for i := 0; i < m; i += 3 {
		a[i], a[i+1], a[i+2] = int(^uint(0)>>1), 0, 0
	}
	return a
}

// contiguous returns a, or a C-order copy when a is not C-contiguous from
// its first element.
func contiguous(a nd.Any) nd.Any {
	if o, ok := nd.ContiguousOrder(a); ok && o == nd.C {
		if b, ok := nd.AsBytes(a); ok && len(b) == a.Len()*a.DType().Size() {
			return a
		}
	}
	c := nd.NewAny(a.DType(), a.Shape(), nd.C)
	if err := nd.CopyAny(c, a); err != nil {
		panic(err) // same dtype and shape: cannot fail
	}
	return c
}

// AppendPiece appends o as one line of the piece format [Merge] reads:
// id, voxels, partial (0/1), class, min per axis, max per axis, sum per
// axis, comma-separated.
func AppendPiece(dst []byte, o Object) []byte {
	dst = strconv.AppendUint(dst, o.ID, 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, o.Voxels, 10)
	dst = append(dst, ',', '0'+b2u(o.Partial), ',')
	dst = strconv.AppendUint(dst, o.Class, 10)
	for _, v := range o.Min {
		dst = strconv.AppendInt(append(dst, ','), int64(v), 10)
	}
	for _, v := range o.Max {
		dst = strconv.AppendInt(append(dst, ','), int64(v), 10)
	}
	for _, v := range o.Sum {
		dst = strconv.AppendUint(append(dst, ','), v, 10)
	}
	return append(dst, '\n')
}

// parsePiece reads one line of AppendPiece for rank r.
func parsePiece(line string, r int) (Object, error) {
	f := strings.Split(line, ",")
	if len(f) != 4+3*r {
		return Object{}, fmt.Errorf("label: piece line %q: want %d fields", line, 4+3*r)
	}
	var u [4]uint64
	for i := range u {
		v, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return Object{}, fmt.Errorf("label: piece line %q: field %d: %w", line, i+1, err)
		}
		u[i] = v
	}
	o := Object{ID: u[0], Voxels: u[1], Partial: u[2] == 1, Class: u[3],
		Min: make([]int, r), Max: make([]int, r), Sum: make([]uint64, r)}
	for i := range r {
		mn, err1 := strconv.Atoi(f[4+i])
		mx, err2 := strconv.Atoi(f[4+r+i])
		s, err3 := strconv.ParseUint(f[4+2*r+i], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return Object{}, fmt.Errorf("label: piece line %q: bad coordinates", line)
		}
		o.Min[i], o.Max[i], o.Sum[i] = mn, mx, s
	}
	return o, nil
}

// Format describes the objects table.
type Format struct {
	// Axes name the columns per axis (default: 0, 1, ...).
	Axes []string
	// Class adds a class column; Signed prints it as a signed integer.
	Class, Signed bool
}

// Header returns the table's header line.
func (f Format) Header(rank int) string {
	cols := []string{"id", "voxels"}
	if f.Class {
		cols = append(cols, "class")
	}
	for _, what := range []string{"min", "max", "centroid"} {
		for i := range rank {
			cols = append(cols, what+"_"+f.axis(i))
		}
	}
	return strings.Join(cols, ",") + "\n"
}

func (f Format) axis(i int) string {
	if i < len(f.Axes) && f.Axes[i] != "" {
		return f.Axes[i]
	}
	return strconv.Itoa(i)
}

// AppendRow appends o as one line of the table (max exclusive).
func (f Format) AppendRow(dst []byte, o Object) []byte {
	dst = strconv.AppendUint(dst, o.ID, 10)
	dst = strconv.AppendUint(append(dst, ','), o.Voxels, 10)
	if f.Class {
		dst = append(dst, ',')
		if f.Signed {
			dst = strconv.AppendInt(dst, int64(o.Class), 10)
		} else {
			dst = strconv.AppendUint(dst, o.Class, 10)
		}
	}
	for _, v := range o.Min {
		dst = strconv.AppendInt(append(dst, ','), int64(v), 10)
	}
	for _, v := range o.Max {
		dst = strconv.AppendInt(append(dst, ','), int64(v), 10)
	}
	for _, c := range o.Centroid() {
		dst = strconv.AppendFloat(append(dst, ','), c, 'g', -1, 64)
	}
	return append(dst, '\n')
}

// Merge writes the objects table (header, then one row per object) from
// the pieces of every block for an image of the given rank: rows of
// objects within one block stream through in the pieces' order; the pieces
// of objects spanning blocks are merged in memory (proportional to their
// number only) and written last, in ID order. It returns the rows written.
func Merge(w io.Writer, f Format, rank int, pieces iter.Seq2[[]byte, error]) (uint64, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(f.Header(rank)); err != nil {
		return 0, err
	}
	parts := map[uint64]*Object{}
	var rows uint64
	var line []byte
	for data, err := range pieces {
		if err != nil {
			return rows, err
		}
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				return rows, fmt.Errorf("label: piece data ends without a newline")
			}
			o, err := parsePiece(string(data[:i]), rank)
			if err != nil {
				return rows, err
			}
			data = data[i+1:]
			if o.Partial {
				if p := parts[o.ID]; p != nil {
					p.merge(o)
				} else {
					parts[o.ID] = &o
				}
				continue
			}
			line = f.AppendRow(line[:0], o)
			if _, err := bw.Write(line); err != nil {
				return rows, err
			}
			rows++
		}
	}
	ids := make([]uint64, 0, len(parts))
	for id := range parts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		line = f.AppendRow(line[:0], *parts[id])
		if _, err := bw.Write(line); err != nil {
			return rows, err
		}
		rows++
	}
	return rows, bw.Flush()
}
