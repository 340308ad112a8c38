package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Memory is a Store held in a map. Values are copied on Put and Get, so
// callers may reuse their buffers. The zero value is not usable; call
// NewMemory.
type Memory struct {
	mu sync.RWMutex
	m  map[string][]byte
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{m: map[string][]byte{}} }

var _ Store = (*Memory)(nil)

// Get implements [Store].
func (s *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	return s.GetRange(ctx, key, 0, -1)
}

// GetRange implements [Store].
func (s *Memory) GetRange(_ context.Context, key string, offset, length int64) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("store: negative offset %d for %q", offset, key)
	}
	s.mu.RLock()
	v, ok := s.m[key]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	if offset > int64(len(v)) {
		offset = int64(len(v))
	}
	end := int64(len(v))
	if length >= 0 && length < end-offset { // not offset+length: it may overflow
		end = offset + length
	}
	return slices.Clone(v[offset:end]), nil
}

// GetSuffix implements [Store].
func (s *Memory) GetSuffix(ctx context.Context, key string, n int64) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	s.mu.RLock()
	v, ok := s.m[key]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	if n < 0 {
		return nil, fmt.Errorf("store: negative suffix length %d for %q", n, key)
	}
	if n > int64(len(v)) {
		n = int64(len(v))
	}
	return slices.Clone(v[int64(len(v))-n:]), nil
}

// Put implements [Store].
func (s *Memory) Put(_ context.Context, key string, value []byte) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	v := slices.Clone(value)
	if v == nil {
		v = []byte{}
	}
	s.mu.Lock()
	s.m[key] = v
	s.mu.Unlock()
	return nil
}

// Delete implements [Store].
func (s *Memory) Delete(_ context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}

// List implements [Store].
func (s *Memory) List(_ context.Context, prefix string) ([]string, error) {
	s.mu.RLock()
	var keys []string
	for k := range s.m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	s.mu.RUnlock()
	slices.Sort(keys)
	return keys, nil
}
