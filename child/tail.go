package child

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// tailWriter passes the child's stderr on and keeps its last bytes, so
// that an error can quote what the child said before it failed.
type tailWriter struct {
	w   io.Writer
	mu  sync.Mutex
	buf []byte
}

const tailKeep = 4 << 10

func (t *tailWriter) Write(b []byte) (int, error) {
	t.mu.Lock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > 2*tailKeep {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailKeep:]...)
	}
	t.mu.Unlock()
	// A failing log must not stop the child: its stderr would fill and
	// block it. Keep consuming whatever the destination says.
	t.w.Write(b)
	return len(b), nil
}

// suffix returns the last few lines of stderr as an error-message suffix,
// or "" when the child wrote nothing.
func (t *tailWriter) suffix() string {
	t.mu.Lock()
	b := bytes.TrimSpace(t.buf)
	t.mu.Unlock()
	if len(b) == 0 {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	s := strings.Join(lines, " | ")
	if len(s) > 500 {
		s = "..." + strings.ToValidUTF8(s[len(s)-497:], "")
	}
	return "; the child's stderr ends: " + s
}
