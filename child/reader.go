package child

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/ryomen-dev/ryomen/nd"
)

// readLoop reads responses and hands each to the call at the head of the
// queue, until the child's stdout ends or a response is wrong.
func (p *Process) readLoop() {
	defer close(p.done)
	for {
		hdr, a, err := readFrame(p.stdout, p.opt.MaxBytes)
		if err != nil {
			p.fail(p.readError(err))
			return
		}
		if err := p.deliver(hdr, a); err != nil {
			p.fail(err)
			return
		}
	}
}

// readError explains why reading stopped: the normal end after Close, or
// a child that exited early or wrote something other than a frame.
func (p *Process) readError(err error) error {
	p.mu.Lock()
	pending, closing, failed := len(p.queue), p.closing, p.err
	p.mu.Unlock()
	if failed != nil {
		return failed
	}
	if err == io.EOF && pending == 0 && closing {
		return errClosed
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("child: reading response: %w%s", err, p.tail.suffix())
	}
	// The child closed its stdout, most likely by exiting: wait a little
	// for its exit status and the last of its stderr.
	how := "closed its stdout"
	select {
	case <-p.exited:
		how = "exited"
		if p.werr != nil {
			how = fmt.Sprintf("exited (%v)", p.werr)
		}
	case <-time.After(min(p.opt.Grace, 2*time.Second)):
	}
	if err == io.EOF {
		return fmt.Errorf("child: %v %s with %d requests unanswered%s", p.cmd.Args, how, pending, p.tail.suffix())
	}
	return fmt.Errorf("child: %v %s in the middle of a response: %w%s", p.cmd.Args, how, err, p.tail.suffix())
}

// deliver matches one response to its call.
func (p *Process) deliver(hdr []byte, a nd.Any) error {
	var r response
	if err := json.Unmarshal(hdr, &r); err != nil {
		return fmt.Errorf("child: response header %q: %w", truncate(hdr), err)
	}
	p.mu.Lock()
	if p.err != nil {
		p.mu.Unlock()
		return p.err
	}
	if len(p.queue) == 0 || p.queue[0].id != r.ID {
		want := -1
		if len(p.queue) > 0 {
			want = p.queue[0].id
		}
		p.mu.Unlock()
		return fmt.Errorf("child: response id %d, want %d (responses must come in request order)", r.ID, want)
	}
	c := p.queue[0]
	p.queue = p.queue[1:]
	p.arm()
	p.mu.Unlock()
	var err error
	switch {
	case r.Error != "":
		err = fmt.Errorf("child: request %d failed: %s", r.ID, r.Error)
	case !slices.Equal(a.Shape(), c.want):
		err = fmt.Errorf("child: response %d has shape %v, want %v", r.ID, a.Shape(), c.want)
	case a.DType() != c.dtype:
		err = fmt.Errorf("child: response %d %w %v, want %v", r.ID, ErrDType, a.DType(), c.dtype)
	}
	if err != nil {
		a = nil
	}
	c.res <- result{a: a, err: err}
	return err
}
