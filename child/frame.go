package child

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/npy"
)

// Magic starts every frame.
const Magic = "RYOMEN01"

// maxHeader bounds a frame's JSON header.
const maxHeader = 1 << 20

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
