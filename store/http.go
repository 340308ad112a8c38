package store

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// HTTP is a read-only Store over HTTP(S): key k is GET base/k. Ranges use
// the Range header; a server that ignores it and sends the whole value is
// handled by slicing. 404 and 403 mean a missing key (S3 and most static
// hosts answer 403 for a missing object without list permission).
type HTTP struct {
	base   string
	client *http.Client
	// MaxBytes bounds one response body (default 1 GiB): a hostile or
	// broken server cannot make a reader allocate without limit.
	MaxBytes int64
}

// NewHTTP returns a store reading under base ("https://host/data.zarr").
// A nil client means http.DefaultClient.
func NewHTTP(base string, client *http.Client) *HTTP {
	if client == nil {
		client = http.DefaultClient
	}
	return &HTTP{base: strings.TrimSuffix(base, "/"), client: client, MaxBytes: 1 << 30}
}

var _ Store = (*HTTP)(nil)

func (s *HTTP) get(ctx context.Context, key, rng string) ([]byte, int, error) {
	if err := CheckKey(key); err != nil {
		return nil, 0, err
	}
	u := s.base + "/" + (&url.URL{Path: key}).EscapedPath()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("store: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusPartialContent:
	case http.StatusNotFound, http.StatusForbidden:
		return nil, 0, fmt.Errorf("%w: %q (GET %s: %s)", ErrNotFound, key, u, resp.Status)
	case http.StatusRequestedRangeNotSatisfiable:
		return []byte{}, resp.StatusCode, nil
	default:
		return nil, 0, fmt.Errorf("store: GET %s: %s", u, resp.Status)
	}
	limit := s.MaxBytes
	if limit <= 0 {
		limit = 1 << 30
	}
	if resp.ContentLength > limit {
		return nil, 0, fmt.Errorf("store: GET %s: %d bytes exceeds the %d-byte limit", u, resp.ContentLength, limit)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, 0, fmt.Errorf("store: GET %s: %w", u, err)
	}
	if int64(len(b)) > limit {
		return nil, 0, fmt.Errorf("store: GET %s: body exceeds the %d-byte limit", u, limit)
	}
	return b, resp.StatusCode, nil
}

// Get implements [Store].
func (s *HTTP) Get(ctx context.Context, key string) ([]byte, error) {
	b, _, err := s.get(ctx, key, "")
	return b, err
}

// GetRange implements [Store].
func (s *HTTP) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if off < 0 {
		return nil, fmt.Errorf("store: negative offset %d for %q", off, key)
	}
	if n == 0 {
		return []byte{}, nil
	}
	rng := fmt.Sprintf("bytes=%d-", off)
	if n > 0 {
		rng = fmt.Sprintf("bytes=%d-%d", off, off+n-1)
	}
	b, code, err := s.get(ctx, key, rng)
	if err != nil || code != http.StatusOK {
		return b, err
	}
	// The server sent the whole value: cut the range out.
	off = min(off, int64(len(b)))
	end := int64(len(b))
	if n > 0 {
		end = min(end, off+n)
	}
	return b[off:end], nil
}

// GetSuffix implements [Store].
func (s *HTTP) GetSuffix(ctx context.Context, key string, n int64) ([]byte, error) {
	if n <= 0 {
		return []byte{}, nil
	}
	b, code, err := s.get(ctx, key, fmt.Sprintf("bytes=-%d", n))
	if err != nil || code != http.StatusOK {
		return b, err
	}
	return b[max(0, int64(len(b))-n):], nil
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
