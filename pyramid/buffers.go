package pyramid

import (
	"sync"

	"github.com/ryomen-dev/ryomen/nd"
)

// taskBufs reuses the buffers of tasks: a build allocates the same few
// sizes again and again (the block it reads, each level's result), and a
// fresh buffer costs the runtime's zeroing and the collector's work for
// every byte. Buffers are pooled by exact byte size; sync.Pool lets the
// collector free idle ones, so the pool holds at most what the tasks in
// flight held (which the budget counts) for long.
var taskBufs buffers

type buffers struct {
	mu    sync.Mutex
	pools map[int]*sync.Pool
}

func (b *buffers) pool(n int) *sync.Pool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pools == nil {
		b.pools = map[int]*sync.Pool{}
	}
	p := b.pools[n]
	if p == nil {
		p = &sync.Pool{}
		b.pools[n] = p
	}
	return p
}

// get returns a C-order array of the dtype and shape with unspecified
// contents, and the buffer to give back with put once nothing refers to
// the array any more.
func (b *buffers) get(dt nd.DType, shape []int) (nd.Any, *[]byte) {
	n := dt.Size()
	for _, s := range shape {
		n *= s
	}
	buf, _ := b.pool(n).Get().(*[]byte)
	if buf == nil {
		s := make([]byte, n)
		buf = &s
	}
	a, err := nd.FromBytes(dt, shape, nd.C, *buf)
	if err != nil {
		panic("pyramid: internal error: " + err.Error()) // n is exactly the shape's size
	}
	return a, buf
}

// put gives back a buffer from get.
func (b *buffers) put(buf *[]byte) { b.pool(len(*buf)).Put(buf) }
