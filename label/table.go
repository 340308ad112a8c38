package label

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/ryomen-dev/ryomen/nd"
)

// ErrBudget is wrapped by the errors of a labelling whose tables or block
// buffers do not fit the memory budget.
var ErrBudget = errors.New("label: memory budget too small")

// Options describe an out-of-core labelling.
type Options struct {
	// Conn is the neighbourhood (its Rank must be the image's).
	Conn Conn
	// Semantic connects only voxels of equal non-zero value, so each class
	// of a label image is labelled separately; otherwise every non-zero
	// voxel is foreground (a mask).
	Semantic bool
	// Chunks is the block shape: pass 1 and pass 3 work one block at a
	// time, and Relabel takes exactly these blocks (clipped at the image's
	// far edges). Give the output's write unit.
	Chunks []int
	// MinSize drops objects of fewer voxels (0 or 1 keeps all).
	MinSize uint64
	// Workers caps concurrent blocks (0: GOMAXPROCS); Memory is the budget
	// in bytes for passes 1 and 2 (0: unlimited).
	Workers int
	Memory  int64
}

// Table is the result of passes 1 and 2: for every block, its number of
// local objects and the final ID offset of the objects that start in it,
// and for every object piece that touches a face shared with another block
// (a face label), its final ID. Its memory is proportional to the number
// of face labels plus the number of blocks; see [Table.Bytes].
type Table struct {
	o       Options
	shape   []int
	grid    []int
	n       []uint32 // local objects per block
	surv    []uint32 // surviving objects whose first piece is in the block
	base    []uint64 // final IDs of block k start after base[k]
	fbase   []uint32 // face labels of block k are fbase[k]..fbase[k+1]-1
	flabel  []uint32 // local label of each face label
	final   []uint64 // final ID of each face label (0: dropped)
	owner   bitset   // face label is the first piece of a surviving object
	partial bitset   // face label's object spans several blocks
	objects uint64
	pool    sync.Pool
}

// Objects returns the number of objects (after the size filter): final IDs
// are 1..Objects().
func (t *Table) Objects() uint64 { return t.objects }

// Blocks returns the number of blocks per axis.
func (t *Table) Blocks() []int { return append([]int(nil), t.grid...) }

// FaceLabels returns the number of object pieces touching shared faces.
func (t *Table) FaceLabels() int { return len(t.flabel) }

// Bytes estimates the memory the table holds.
func (t *Table) Bytes() int64 {
	nb := int64(len(t.n))
	return nb*(4+4+8+4) + int64(len(t.flabel))*(4+8) + int64(len(t.owner)+len(t.partial))*8
}

// blockInfo is what pass 1 keeps of a block until pass 2 has run.
type blockInfo struct {
	n, surv uint32
	labels  []uint32   // face labels' local labels, ascending
	counts  []uint32   // their voxel counts
	before  []uint32   // surviving non-face objects before each
	values  []uint64   // their values (semantic only)
	planes  [][]uint32 // per axis*2+side: face label+1 per face voxel, or nil
}

// bytes counts the block's face tables and planes.
func (b *blockInfo) bytes() int64 {
	s := b.tableBytes()
	for _, p := range b.planes {
		s += int64(len(p)) * 4
	}
	return s
}

// tableBytes counts the block's face tables alone.
func (b *blockInfo) tableBytes() int64 {
	return int64(len(b.labels))*(12+8*int64(min(1, len(b.values)))) + 128
}

// Prepare runs passes 1 and 2 over src: it labels every block by itself,
// keeps the labels of the voxels on faces shared with other blocks, unites
// the pieces that touch across faces (and, for larger neighbourhoods,
// edges and corners) and numbers the objects. src must not change before
// the relabelling is done.
func Prepare(ctx context.Context, src nd.Reader, o Options) (*Table, error) {
	t, err := newTable(src, o)
	if err != nil {
		return nil, err
	}
	infos, err := t.pass1(ctx, src)
	if err != nil {
		return nil, err
	}
	if err := t.pass2(ctx, infos); err != nil {
		return nil, err
	}
	return t, nil
}

func newTable(src nd.Reader, o Options) (*Table, error) {
	shape := src.Shape()
	r := len(shape)
	if o.Conn.Rank == 0 {
		o.Conn = Conn{Rank: r, Order: 1}
	}
	if !o.Conn.Valid() || o.Conn.Rank != r {
		return nil, fmt.Errorf("label: connectivity order %d for rank %d: want 1..%d", o.Conn.Order, r, r)
	}
	if len(o.Chunks) != r {
		return nil, fmt.Errorf("label: chunks %v for shape %v: need %d values", o.Chunks, shape, r)
	}
	t := &Table{o: o, shape: append([]int(nil), shape...), grid: make([]int, r)}
	nb := 1
	for i, c := range o.Chunks {
		if c <= 0 {
			return nil, fmt.Errorf("label: chunks %v: every value must be positive", o.Chunks)
		}
		if shape[i] < 0 {
			return nil, fmt.Errorf("label: shape %v: negative extent", shape)
		}
		t.grid[i] = (shape[i] + c - 1) / c
		if t.grid[i] > 0 && nb > math.MaxInt32/t.grid[i] {
			return nil, fmt.Errorf("label: shape %v with chunks %v makes more than 2^31 blocks; use larger chunks", shape, o.Chunks)
		}
		nb *= t.grid[i]
	}
	if _, ok := nd.CheckedSize(o.Chunks); !ok {
		return nil, fmt.Errorf("label: chunks %v: too many voxels per block", o.Chunks)
	}
	if o.Workers <= 0 {
		t.o.Workers = runtime.GOMAXPROCS(0)
	}
	t.n, t.surv, t.base = make([]uint32, nb), make([]uint32, nb), make([]uint64, nb)
	t.fbase = make([]uint32, nb+1)
	return t, nil
}

// box returns the region of block k and its grid coordinates.
func (t *Table) box(k int) (nd.Box, []int) {
	r := len(t.shape)
	b := nd.Box{Min: make([]int, r), Max: make([]int, r)}
	g := make([]int, r)
	for i := r - 1; i >= 0; i-- {
		g[i] = k % t.grid[i]
		k /= t.grid[i]
		b.Min[i] = g[i] * t.o.Chunks[i]
		b.Max[i] = min(t.shape[i], b.Min[i]+t.o.Chunks[i])
	}
	return b, g
}

// blockOf returns the index of the block holding point p.
func (t *Table) blockOf(p []int) int {
	k := 0
	for i, v := range p {
		k = k*t.grid[i] + v/t.o.Chunks[i]
	}
	return k
}

// planeBytes counts the bytes of every shared face plane.
func (t *Table) planeBytes() int64 {
	var s int64
	vox, _ := nd.CheckedSize(t.shape)
	for i, g := range t.grid {
		// g-1 shared interfaces along axis i, two planes each.
		if g > 1 {
			s += int64(vox/t.shape[i]) * int64(g-1) * 2 * 4
		}
	}
	return s
}

// workerBytes is what labelling one block takes: the read buffer, labels,
// union-find, mask and counts.
func (t *Table) workerBytes(dt nd.DType) int64 {
	v, _ := nd.CheckedSize(t.o.Chunks)
	return int64(v) * int64(dt.Size()+4+4+1+4+8)
}

func (t *Table) pass1(ctx context.Context, src nd.Reader) ([]*blockInfo, error) {
	nb := len(t.n)
	infos := make([]*blockInfo, nb)
	workers := t.o.Workers
	wb := t.workerBytes(src.DType())
	var used atomic.Int64
	used.Store(t.planeBytes())
	if m := t.o.Memory; m > 0 {
		free := (m - used.Load()) / 2 // half for blocks, half for tables
		if free < wb {
			return nil, fmt.Errorf("%w: labelling blocks of %v (%s) needs about %d MiB per block and %d MiB of face planes; budget %d MiB: use smaller chunks or a larger budget",
				ErrBudget, t.o.Chunks, src.DType(), wb>>20, used.Load()>>20, m>>20)
		}
		workers = int(min(int64(workers), free/wb))
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for k := 0; k < nb; k++ {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			info, err := t.block1(gctx, src, k)
			if err != nil {
				b, _ := t.box(k)
				return fmt.Errorf("label: block %v: %w", b, err)
			}
			infos[k] = info
			if m := t.o.Memory; m > 0 && used.Add(info.tableBytes())+int64(workers)*wb > m {
				return fmt.Errorf("%w: the face tables of %v-voxel blocks outgrow the budget of %d MiB; use larger chunks or a larger budget", ErrBudget, t.o.Chunks, m>>20)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return infos, ctx.Err()
}
