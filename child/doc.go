// Package child runs a long-lived external program (a PyTorch model
// server, say) as the function of a tiled computation, talking to it over
// its stdin and stdout with the frame protocol of docs/exec-protocol.md:
// each message is the magic "RYOMEN01", a little-endian uint32 header
// length, a JSON header, and one complete .npy array.
//
// A [Process] sends requests and matches responses by id; up to
// Options.Inflight requests are outstanding at once, written by the
// callers and read by one reader goroutine, so a child that computes one
// batch while the next waits in its stdin never deadlocks. A [Batcher]
// collects single crops submitted from many goroutines into batches of up
// to the size given to [NewBatcher], stacked on a new first axis.
//
// # Axes
//
// Arrays travel in C order, NumPy's default. A batch of B crops of shape S
// is one array of shape [B, S...]; a response must have the same shape,
// in the dtype the caller expects.
//
// # Limits
//
// A response header is at most 1 MiB and a response array at most
// Options.MaxBytes (default 4 GiB); a child that sends more, sends bytes
// that are not a frame, answers with a wrong id, shape, dtype or an error
// header, exits early, or takes longer than Options.Timeout for one
// response makes every pending and later call fail with an error that
// says so, ending with the last lines of the child's stderr.
//
// # Stopping
//
// The child runs in a process group of its own, so that a command run
// through /bin/sh -c and the workers it starts are reached by signals
// too. On any failure the child's stdin is closed and the group killed at
// once, so a child blocked writing a response nobody will read can never
// hang the caller. [Process.Close] closes stdin and waits Options.Grace
// for the child to exit, then sends SIGTERM, and SIGKILL after another
// Grace: it always returns in bounded time.
package child
