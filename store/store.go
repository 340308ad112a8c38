package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Store is a minimal key-value interface over bytes.
type Store interface {
	// Get returns the whole value of key, or an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// GetRange returns length bytes of key starting at offset; a negative
	// length reads to the end. A range past the end is truncated to the
	// value, as HTTP does.
	GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error)
	// GetSuffix returns the last n bytes of key (all of it if it is
	// shorter).
	GetSuffix(ctx context.Context, key string, n int64) ([]byte, error)
	// Put stores value under key, replacing any old value. Readers see
	// either the old or the new value, never a mix.
	Put(ctx context.Context, key string, value []byte) error
	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns every key that starts with prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
}

// ErrNotFound is returned (wrapped) by Get and friends for a missing key.
var ErrNotFound = errors.New("store: key not found")

// ErrReadOnly is returned (wrapped) by writes to a read-only store.
var ErrReadOnly = errors.New("store: read-only")

// CheckKey returns an error unless key is a valid store key.
func CheckKey(key string) error {
	if key == "" {
		return fmt.Errorf("store: empty key")
	}
	if strings.HasPrefix(key, "/") || strings.Contains(key, "\\") {
		return fmt.Errorf("store: invalid key %q", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("store: invalid key %q", key)
		}
	}
	return nil
}
