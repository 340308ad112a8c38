package child

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	"github.com/ryomen-dev/ryomen/nd"
)

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

// ErrTimeout is wrapped by the error of every call once a response took
// longer than Options.Timeout.
var ErrTimeout = errors.New("no response within the timeout")

// ErrDType is wrapped by the error of a response whose dtype is not the
// one the child was started to return.
var ErrDType = errors.New("has dtype")

// Options configure a [Process].
type Options struct {
	// Inflight is the number of requests sent before waiting for a
	// response (default 2).
	Inflight int
	// MaxBytes bounds one response array (default 4 GiB).
	MaxBytes int64
	// Stderr receives the child's stderr (default os.Stderr).
	Stderr io.Writer
	// Timeout bounds the wait for each response, counted from when its
	// request starts to go out, or from the previous response if that
	// came later. A child that takes longer is killed and every call
	// fails with an error wrapping [ErrTimeout]. 0 means no limit.
	Timeout time.Duration
	// Grace is how long Close waits for the child to exit after closing
	// its stdin before sending SIGTERM, and then before SIGKILL
	// (default 5s).
	Grace time.Duration
}

// Process is a running child.
type Process struct {
	cmd    *exec.Cmd
	stdin  *os.File // write end of the child's stdin
	outR   *os.File // read end of the child's stdout
	errR   *os.File // read end of the child's stderr
	stdout *bufio.Reader
	tail   *tailWriter
	opt    Options
	slots  chan struct{} // one per request in flight

	wmu      sync.Mutex // serialises writes to stdin
	mu       sync.Mutex // guards the fields below
	nextID   int
	queue    []*call // sent, awaiting a response, in order
	err      error   // the first failure; set once
	closing  bool    // Close was called
	deadline time.Time
	timer    *time.Timer
	signaled string // the signal Close had to send, if any

	failed   chan struct{} // closed when err is set
	done     chan struct{} // closed when the reader stops
	errDone  chan struct{} // closed when stderr is drained
	exited   chan struct{} // closed when the child has been reaped
	werr     error         // how the child exited; read after exited
	stopOnce sync.Once
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

func (o Options) withDefaults() Options {
	if o.Inflight <= 0 {
		o.Inflight = 2
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 4 << 30
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Grace <= 0 {
		o.Grace = 5 * time.Second
	}
	return o
}

// Start runs argv[0] with the remaining arguments, in a process group of
// its own. Cancelling ctx kills the group and fails every call.
func Start(ctx context.Context, argv []string, opt Options) (*Process, error) {
	if len(argv) == 0 {
		return nil, errors.New("child: empty command")
	}
	opt = opt.withDefaults()
	var fds [6]*os.File // in r/w, out r/w, err r/w
	for i := 0; i < len(fds); i += 2 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(fds[:i])
			return nil, fmt.Errorf("child: %w", err)
		}
		fds[i], fds[i+1] = r, w
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = fds[0], fds[3], fds[5]
	newGroup(cmd)
	err := cmd.Start()
	closeAll([]*os.File{fds[0], fds[3], fds[5]}) // the child's ends
	if err != nil {
		closeAll([]*os.File{fds[1], fds[2], fds[4]})
		return nil, fmt.Errorf("child: starting %q: %w", argv[0], err)
	}
	p := &Process{cmd: cmd, stdin: fds[1], outR: fds[2], errR: fds[4],
		stdout: bufio.NewReaderSize(fds[2], 1<<20), tail: &tailWriter{w: opt.Stderr}, opt: opt,
		slots: make(chan struct{}, opt.Inflight), failed: make(chan struct{}), done: make(chan struct{}),
		errDone: make(chan struct{}), exited: make(chan struct{})}
	go p.copyStderr()
	go p.waitLoop()
	go p.readLoop()
	go p.watch(ctx)
	return p, nil
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}

func (p *Process) copyStderr() {
	defer close(p.errDone)
	io.Copy(p.tail, p.errR)
	p.errR.Close()
}

// waitLoop reaps the child, then kills what is left of its process group
// (workers it started), which also ends their hold on the pipes.
func (p *Process) waitLoop() {
	err := p.cmd.Wait()
	signalGroup(p.cmd, true)
	select {
	case <-p.errDone:
	case <-time.After(p.opt.Grace):
		// Something outside the group still holds stderr open.
		p.errR.Close()
	}
	p.werr = err
	close(p.exited)
}

// watch kills the child when ctx ends.
func (p *Process) watch(ctx context.Context) {
	select {
	case <-ctx.Done():
		p.fail(fmt.Errorf("child: %w", ctx.Err()))
	case <-p.exited:
	}
}

// Call sends one batch and waits for its result, which must have the
// batch's shape and dtype out. Calls from several goroutines are
// pipelined: up to Inflight are outstanding at once. Once the child has
// failed, every call returns the failure.
func (p *Process) Call(ctx context.Context, req Request, batch nd.Any, out nd.DType) (nd.Any, error) {
	return p.CallShape(ctx, req, batch, out, batch.Shape())
}

// CallShape is [Process.Call] for a child whose result has another shape
// than the batch (a model that changes the number of channels or the
// resolution): the response must have shape want.
func (p *Process) CallShape(ctx context.Context, req Request, batch nd.Any, out nd.DType, want []int) (nd.Any, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.failed:
		return nil, p.failure()
	}
	defer func() { <-p.slots }()

	c := &call{want: slices.Clone(want), dtype: out, res: make(chan result, 1)}
	p.wmu.Lock()
	if err := p.enqueue(c); err != nil {
		p.wmu.Unlock()
		return nil, err
	}
	req.ID = c.id
	err := writeFrame(p.stdin, req, batch)
	p.wmu.Unlock()
	if err != nil {
		// A write fails when the child has gone or was stopped; the
		// reader's or the stopper's error is the better explanation.
		select {
		case <-p.failed:
		case <-time.After(3 * time.Second):
		}
		p.fail(fmt.Errorf("child: writing request %d: %w%s", c.id, err, p.tail.suffix()))
	}
	select {
	case r := <-c.res:
		return r.a, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// enqueue numbers c and queues it for the reader, starting the response
// clock if nothing else is waiting.
func (p *Process) enqueue(c *call) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if p.closing {
		return errors.New("child: call after Close")
	}
	c.id = p.nextID
	p.nextID++
	p.queue = append(p.queue, c)
	if len(p.queue) == 1 {
		p.arm()
	}
	return nil
}

// arm restarts the response clock for the head of the queue, or stops it
// when the queue is empty; p.mu must be held.
func (p *Process) arm() {
	if p.opt.Timeout <= 0 {
		return
	}
	if len(p.queue) == 0 {
		if p.timer != nil {
			p.timer.Stop()
		}
		return
	}
	p.deadline = time.Now().Add(p.opt.Timeout)
	if p.timer == nil {
		p.timer = time.AfterFunc(p.opt.Timeout, p.expire)
	} else {
		p.timer.Reset(p.opt.Timeout)
	}
}

// expire runs when the response clock may have run out.
func (p *Process) expire() {
	p.mu.Lock()
	if p.err != nil || len(p.queue) == 0 {
		p.mu.Unlock()
		return
	}
	if d := time.Until(p.deadline); d > 0 {
		p.timer.Reset(d)
		p.mu.Unlock()
		return
	}
	id := p.queue[0].id
	p.mu.Unlock()
	p.fail(fmt.Errorf("child: request %d: %w of %v; killed %v%s", id, ErrTimeout, p.opt.Timeout, p.cmd.Args, p.tail.suffix()))
}

var errClosed = errors.New("child: closed")

func (p *Process) failure() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// fail records the first error and fails every pending call. Unless the
// error is the normal end, it also stops the child: its stdin is closed
// and its process group killed, so a child blocked writing a response
// nobody reads dies instead of hanging the caller.
func (p *Process) fail(err error) {
	p.mu.Lock()
	first := p.err == nil
	if first {
		p.err = err
		close(p.failed)
		if p.timer != nil {
			p.timer.Stop()
		}
	}
	err = p.err
	queue := p.queue
	p.queue = nil
	p.mu.Unlock()
	for _, c := range queue {
		c.res <- result{err: err}
	}
	if first && !errors.Is(err, errClosed) {
		p.stop()
	}
}

func (p *Process) stop() {
	p.stopOnce.Do(func() {
		p.stdin.Close()
		select {
		case <-p.exited: // reaped; waitLoop has killed the group
		default:
			signalGroup(p.cmd, true)
		}
	})
}
