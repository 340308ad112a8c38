package codec

import "errors"

// Codec compresses or checks bytes. Implementations are safe for concurrent
// use by several goroutines.
type Codec interface {
	// Name returns the codec's identifier as the formats spell it
	// ("zstd", "gzip", "blosc", ...).
	Name() string
	// Encode appends the encoded form of src to dst and returns the
	// extended slice.
	Encode(dst, src []byte) ([]byte, error)
	// Decode appends the decoded form of src to dst and returns the
	// extended slice. It fails with an error wrapping ErrLimit rather than
	// append more than limit bytes.
	Decode(dst, src []byte, limit int) ([]byte, error)
}

// ErrLimit is returned (wrapped) when decoded data would exceed the caller's
// limit.
var ErrLimit = errors.New("codec: decoded size exceeds limit")

// ErrCorrupt is returned (wrapped) when encoded data is malformed.
var ErrCorrupt = errors.New("codec: corrupt input")
