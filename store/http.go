package store

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// HTTP is a read-only Store over HTTP(S): key k is GET base/k. Ranges use
// the Range header; a server that ignores it and sends the whole value is
// handled by slicing. 404 and 403 mean a missing key (S3 and most static
// hosts answer 403 for a missing object without list permission).
type HTTP struct {
	base   string
	client *http.Client
	// MaxBytes bounds one response body (default DefaultHTTPMaxBytes,
	// 1 GiB): a hostile or broken server cannot make a reader allocate
	// without limit. Set it before the store is shared.
	MaxBytes int64
}

// NewHTTP returns a store reading under base ("https://host/data.zarr").
// A nil client means http.DefaultClient's settings plus a limit of one
// minute on waiting for a response's headers, so a server that accepts a
// connection and never answers cannot stall a reader forever (bodies may
// take as long as they need; cancel ctx to stop one).
func NewHTTP(base string, client *http.Client) *HTTP {
	if client == nil {
		client = defaultHTTPClient()
	}
	return &HTTP{base: strings.TrimSuffix(base, "/"), client: client, MaxBytes: DefaultHTTPMaxBytes}
}

var _ Store = (*HTTP)(nil)

// httpHeaderTimeout bounds the wait for response headers of the default
// client (a variable for tests).
var httpHeaderTimeout = time.Minute

func defaultHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = httpHeaderTimeout
	return &http.Client{Transport: tr}
}

// get sends GET base/key with the Range header rng (none if "") and
// returns the body, read up to want bytes (the whole body if want < 0) and
// never more than MaxBytes, with the response status and Content-Range.
func (s *HTTP) get(ctx context.Context, key, rng string, want int64) (body []byte, code int, contentRange string, err error) {
	if err := CheckKey(key); err != nil {
		return nil, 0, "", err
	}
	u := s.base + "/" + (&url.URL{Path: key}).EscapedPath()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, "", fmt.Errorf("store: GET %s: %w", u, err)
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, 0, "", fmt.Errorf("store: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.Request != nil && strings.HasSuffix(resp.Request.URL.Path, "/") {
		// Redirected to a directory (file servers send "a" to "a/" and
		// list it): keys name values, never directories.
		return nil, 0, "", fmt.Errorf("%w: %q (GET %s: redirected to directory %s)", ErrNotFound, key, u, resp.Request.URL)
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusPartialContent:
	case http.StatusNotFound, http.StatusForbidden:
		return nil, 0, "", fmt.Errorf("%w: %q (GET %s: %s)", ErrNotFound, key, u, resp.Status)
	case http.StatusRequestedRangeNotSatisfiable:
		return []byte{}, resp.StatusCode, "", nil
	default:
		return nil, 0, "", fmt.Errorf("store: GET %s (%s): %s", u, rng, resp.Status)
	}
	limit := s.MaxBytes
	if limit <= 0 {
		limit = DefaultHTTPMaxBytes
	}
	r := io.Reader(resp.Body)
	if want >= 0 && want < limit {
		// Only the first want bytes matter (a server that ignored the
		// range sends more): stop reading there.
		r = io.LimitReader(r, want)
	} else {
		if resp.ContentLength > limit {
			return nil, 0, "", fmt.Errorf("store: GET %s: %d bytes exceeds the %d-byte limit (MaxBytes)", u, resp.ContentLength, limit)
		}
		r = io.LimitReader(r, limit+1)
	}
	// Do not trust Content-Length for the allocation: grow with the data.
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, 0, "", fmt.Errorf("store: GET %s: %w", u, err)
	}
	if int64(len(b)) > limit {
		return nil, 0, "", fmt.Errorf("store: GET %s: body exceeds the %d-byte limit (MaxBytes)", u, limit)
	}
	return b, resp.StatusCode, resp.Header.Get("Content-Range"), nil
}

// DefaultHTTPMaxBytes is the response size cap of an HTTP store whose
// MaxBytes is not positive.
const DefaultHTTPMaxBytes = 1 << 30

// Get implements [Store].
func (s *HTTP) Get(ctx context.Context, key string) ([]byte, error) {
	b, _, _, err := s.get(ctx, key, "", -1)
	return b, err
}

// GetRange implements [Store] with a "Range: bytes=off-end" request.
func (s *HTTP) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if off < 0 {
		return nil, fmt.Errorf("store: negative offset %d for %q", off, key)
	}
	if n == 0 {
		if err := CheckKey(key); err != nil {
			return nil, err
		}
		return []byte{}, nil
	}
	if n > math.MaxInt64-off {
		n = -1 // to the end
	}
	rng := fmt.Sprintf("bytes=%d-", off)
	want := int64(-1)
	if n > 0 {
		rng = fmt.Sprintf("bytes=%d-%d", off, off+n-1)
		want = off + n // enough if the server sends everything
	}
	b, code, cr, err := s.get(ctx, key, rng, want)
	if err != nil {
		return nil, err
	}
	switch code {
	case http.StatusOK:
		// The server sent the whole value: cut the range out.
		off = min(off, int64(len(b)))
		end := int64(len(b))
		if n > 0 {
			end = min(end, off+n)
		}
		return b[off:end], nil
	case http.StatusPartialContent:
		if start, _, err := parseContentRange(cr); err != nil || start != off {
			return nil, fmt.Errorf("store: GET %s/%s (%s): answered with Content-Range %q", s.base, key, rng, cr)
		}
		if n > 0 && int64(len(b)) > n {
			b = b[:n]
		}
	}
	return b, nil
}

// GetSuffix implements [Store] with a "Range: bytes=-n" request.
func (s *HTTP) GetSuffix(ctx context.Context, key string, n int64) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("store: negative suffix length %d for %q", n, key)
	}
	if n == 0 {
		if err := CheckKey(key); err != nil {
			return nil, err
		}
		return []byte{}, nil
	}
	b, code, cr, err := s.get(ctx, key, fmt.Sprintf("bytes=-%d", n), -1)
	if err != nil {
		return nil, err
	}
	if code == http.StatusPartialContent {
		if _, size, err := parseContentRange(cr); err != nil || size >= 0 && int64(len(b)) != min(n, size) {
			return nil, fmt.Errorf("store: GET %s/%s (bytes=-%d): %d bytes with Content-Range %q", s.base, key, n, len(b), cr)
		}
	}
	return b[max(0, int64(len(b))-n):], nil
}

// parseContentRange parses "bytes start-end/size" (size "*" gives -1).
func parseContentRange(h string) (start, size int64, err error) {
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, 0, fmt.Errorf("not a byte range: %q", h)
	}
	span, total, ok := strings.Cut(rest, "/")
	a, _, ok2 := strings.Cut(span, "-")
	if !ok || !ok2 {
		return 0, 0, fmt.Errorf("malformed: %q", h)
	}
	if start, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, 0, err
	}
	size = -1
	if total != "*" {
		if size, err = strconv.ParseInt(total, 10, 64); err != nil {
			return 0, 0, err
		}
	}
	return start, size, nil
}

// Put implements [Store]; HTTP stores are read-only.
func (s *HTTP) Put(context.Context, string, []byte) error {
	return fmt.Errorf("%w: %s", ErrReadOnly, s.base)
}

// Delete implements [Store]; HTTP stores are read-only.
func (s *HTTP) Delete(context.Context, string) error {
	return fmt.Errorf("%w: %s", ErrReadOnly, s.base)
}

// List implements [Store]; plain HTTP has no listing.
func (s *HTTP) List(context.Context, string) ([]string, error) {
	return nil, fmt.Errorf("store: %s: HTTP stores cannot list keys (use consolidated metadata)", s.base)
}
