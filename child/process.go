package child

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/npy"
)

// Magic starts every frame.
const Magic = "RYOMEN01"

// maxHeader bounds a frame's JSON header.
const maxHeader = 1 << 20

// Request is the JSON header of a request frame.
type Request struct {
	ID    int     `json:"id"`
	Batch [][]int `json:"batch"` // origin of each crop, halo included, in image coordinates
	Halo  []int   `json:"halo"`
	Shape []int   `json:"shape"` // the whole image
}

// response is the JSON header of a response frame.
type response struct {
	ID    int    `json:"id"`
	Error string `json:"error,omitempty"`
}

// Options configure a [Process].
type Options struct {
	// Inflight is the number of requests sent before waiting for a
	// response (default 2).
	Inflight int
	// MaxBytes bounds one response array (default 4 GiB).
	MaxBytes int64
	// Stderr receives the child's stderr (default os.Stderr).
	Stderr io.Writer
}

// Process is a running child.
type Process struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	opt    Options
	slots  chan struct{} // one per request in flight

	wmu    sync.Mutex // serialises writes to stdin
	mu     sync.Mutex // guards the fields below
	nextID int
	queue  []*call // sent, awaiting a response, in order
	err    error   // set once the reader stops
	done   chan struct{}
}

type call struct {
	id    int
	want  []int
	dtype nd.DType
	res   chan result
}

type result struct {
	a   nd.Any
	err error
}

// Start runs argv[0] with the remaining arguments.
func Start(ctx context.Context, argv []string, opt Options) (*Process, error) {
	if len(argv) == 0 {
		return nil, errors.New("child: empty command")
	}
	if opt.Inflight <= 0 {
		opt.Inflight = 2
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = 4 << 30
	}
	if opt.Stderr == nil {
		opt.Stderr = os.Stderr
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stderr = opt.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("child: starting %q: %w", argv[0], err)
	}
	p := &Process{cmd: cmd, stdin: in, stdout: bufio.NewReaderSize(out, 1<<20), opt: opt,
		slots: make(chan struct{}, opt.Inflight), done: make(chan struct{})}
	go p.readLoop()
	return p, nil
}

// Call sends one batch and waits for its result, which must have the
// batch's shape and dtype out. Calls from several goroutines are
// pipelined: up to Inflight are outstanding at once.
func (p *Process) Call(ctx context.Context, req Request, batch nd.Any, out nd.DType) (nd.Any, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.done:
		return nil, p.failure()
	}
	defer func() { <-p.slots }()

	c := &call{want: batch.Shape(), dtype: out, res: make(chan result, 1)}
	p.wmu.Lock()
	p.mu.Lock()
	if p.err != nil {
		p.mu.Unlock()
		p.wmu.Unlock()
		return nil, p.err
	}
	c.id = p.nextID
	p.nextID++
	p.queue = append(p.queue, c)
	p.mu.Unlock()
	req.ID = c.id
	err := writeFrame(p.stdin, req, batch)
	p.wmu.Unlock()
	if err != nil {
		// A write fails when the child has gone; its exit (seen by the
		// reader as the end of stdout) is the better explanation.
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
		p.fail(fmt.Errorf("child: writing request %d: %w", c.id, err))
	}
	select {
	case r := <-c.res:
		return r.a, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close closes the child's stdin and waits for it to exit. It returns an
// error if the child exits with a non-zero status or sent extra output.
func (p *Process) Close() error {
	p.wmu.Lock()
	p.stdin.Close()
	p.wmu.Unlock()
	<-p.done
	werr := p.cmd.Wait()
	p.mu.Lock()
	err := p.err
	p.mu.Unlock()
	if werr != nil {
		return fmt.Errorf("child: %v: %w", p.cmd.Args, werr)
	}
	if err != nil && !errors.Is(err, errClosed) {
		return err
	}
	return nil
}

var errClosed = errors.New("child: closed")

func (p *Process) failure() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// fail records the first error and fails every pending call.
func (p *Process) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
	for _, c := range p.queue {
		c.res <- result{err: p.err}
	}
	p.queue = nil
}

func (p *Process) readLoop() {
	defer close(p.done)
	for {
		hdr, a, err := readFrame(p.stdout, p.opt.MaxBytes)
		if err == io.EOF {
			p.mu.Lock()
			pending := len(p.queue)
			p.mu.Unlock()
			if pending > 0 {
				p.fail(fmt.Errorf("child: %v exited (closed stdout) with %d requests unanswered", p.cmd.Args, pending))
			} else {
				p.fail(errClosed)
			}
			return
		}
		if err != nil {
			p.fail(fmt.Errorf("child: reading response: %w", err))
			return
		}
		var r response
		if err := json.Unmarshal(hdr, &r); err != nil {
			p.fail(fmt.Errorf("child: response header %q: %w", truncate(hdr), err))
			return
		}
		p.mu.Lock()
		if len(p.queue) == 0 || p.queue[0].id != r.ID {
			want := -1
			if len(p.queue) > 0 {
				want = p.queue[0].id
			}
			p.mu.Unlock()
			p.fail(fmt.Errorf("child: response id %d, want %d (responses must come in request order)", r.ID, want))
			return
		}
		c := p.queue[0]
		p.queue = p.queue[1:]
		p.mu.Unlock()
		switch {
		case r.Error != "":
			p.fail(fmt.Errorf("child: request %d failed: %s", r.ID, r.Error))
			c.res <- result{err: fmt.Errorf("child: request %d failed: %s", r.ID, r.Error)}
			return
		case !slices.Equal(a.Shape(), c.want):
			err := fmt.Errorf("child: response %d has shape %v, want %v", r.ID, a.Shape(), c.want)
			c.res <- result{err: err}
			p.fail(err)
			return
		case a.DType() != c.dtype:
			err := fmt.Errorf("child: response %d has dtype %v, want %v (see --out-dtype)", r.ID, a.DType(), c.dtype)
			c.res <- result{err: err}
			p.fail(err)
			return
		}
		c.res <- result{a: a}
	}
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// writeFrame writes one frame: magic, header length, header, .npy.
func writeFrame(w io.Writer, hdr any, a nd.Any) error {
	h, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	var pre bytes.Buffer
	pre.WriteString(Magic)
	binary.Write(&pre, binary.LittleEndian, uint32(len(h)))
	pre.Write(h)
	if _, err := w.Write(pre.Bytes()); err != nil {
		return err
	}
	return npy.Write(w, a)
}

// readFrame reads one frame; io.EOF means a clean end before a frame.
func readFrame(r *bufio.Reader, maxBytes int64) ([]byte, nd.Any, error) {
	var m [12]byte
	n, err := io.ReadFull(r, m[:])
	if err == io.EOF && n == 0 {
		return nil, nil, io.EOF
	}
	if err != nil {
		return nil, nil, fmt.Errorf("truncated frame: %w", err)
	}
	if string(m[:8]) != Magic {
		return nil, nil, fmt.Errorf("not a frame: starts with %q, want %q (the child must write only frames to stdout; log to stderr)", m[:8], Magic)
	}
	hl := binary.LittleEndian.Uint32(m[8:])
	if hl > maxHeader {
		return nil, nil, fmt.Errorf("frame header of %d bytes exceeds %d", hl, maxHeader)
	}
	hdr := make([]byte, hl)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, nil, fmt.Errorf("truncated frame header: %w", err)
	}
	a, err := npy.Read(r, maxBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("frame array: %w", err)
	}
	return hdr, a, nil
}
