package child

import (
	"errors"
	"fmt"
	"time"
)

// Close closes the child's stdin and waits for it to exit. A child that
// is still running Options.Grace later gets SIGTERM, and SIGKILL after
// another Grace, so Close returns in bounded time. It returns the error
// that stopped the child, or an error if the child exits with a non-zero
// status or had to be signalled.
func (p *Process) Close() error {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	p.stdin.Close()
	p.awaitExit()
	// The reader ends at the end of stdout, which the child's death
	// brings unless something outside its group holds stdout open.
	select {
	case <-p.done:
	case <-time.After(p.opt.Grace):
		p.outR.Close()
		<-p.done
	}
	p.outR.Close()
	p.mu.Lock()
	err, sig := p.err, p.signaled
	p.mu.Unlock()
	switch {
	case err != nil && !errors.Is(err, errClosed):
		return err
	case sig != "":
		return fmt.Errorf("child: %v did not exit within %v of its stdin closing; sent it %s%s", p.cmd.Args, p.opt.Grace, sig, p.tail.suffix())
	case p.werr != nil:
		return fmt.Errorf("child: %v: %w%s", p.cmd.Args, p.werr, p.tail.suffix())
	}
	return nil
}

// awaitExit waits for the child to be reaped, signalling it when it takes
// longer than the grace period.
func (p *Process) awaitExit() {
	for _, hard := range []bool{false, true} {
		select {
		case <-p.exited:
			return
		case <-time.After(p.opt.Grace):
		}
		p.mu.Lock()
		p.signaled = "SIGTERM"
		if hard {
			p.signaled = "SIGTERM and then SIGKILL"
		}
		p.mu.Unlock()
		signalGroup(p.cmd, hard)
	}
	<-p.exited
}
