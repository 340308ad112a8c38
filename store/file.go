package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// File is a Store in a directory: key "a/b/c" is the file root/a/b/c.
// Put writes a temporary file (".tmp-*") beside the target and renames it
// over the target, so readers, other processes and a crash mid-write see
// either the old value or the new one, never a torn one; List skips
// temporary files a crash left behind.
type File struct {
	root string
	// Sync makes Put fsync the file before renaming it, for durability
	// across power loss (slower).
	Sync bool
}

// NewFile returns a File store rooted at dir (created on first Put).
func NewFile(dir string) *File { return &File{root: filepath.Clean(dir)} }

var _ Store = (*File)(nil)

// Root returns the store's directory.
func (s *File) Root() string { return s.root }

// path maps a checked key to its file; keys cannot escape the root since
// CheckKey rejects "..", "." and empty segments and absolute keys.
func (s *File) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

func notFound(key, p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %q (%s)", ErrNotFound, key, p)
	}
	return fmt.Errorf("store: %q: %w", key, err)
}

// Get implements [Store].
func (s *File) Get(ctx context.Context, key string) ([]byte, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, notFound(key, p, err)
	}
	return b, nil
}

// GetRange implements [Store]; it reads only the bytes asked for.
func (s *File) GetRange(_ context.Context, key string, off, n int64) ([]byte, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("store: negative offset %d for %q", off, key)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, notFound(key, p, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("store: %q: %w", key, err)
	}
	size := st.Size()
	off = min(off, size)
	if n < 0 || off+n > size {
		n = size - off
	}
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil && !(err == io.EOF && n == 0) {
		return nil, fmt.Errorf("store: reading %q: %w", key, err)
	}
	return b, nil
}

// GetSuffix implements [Store].
func (s *File) GetSuffix(ctx context.Context, key string, n int64) ([]byte, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, notFound(key, p, err)
	}
	return s.GetRange(ctx, key, max(0, st.Size()-n), -1)
}

// Put implements [Store] atomically (temporary file, then rename).
func (s *File) Put(_ context.Context, key string, value []byte) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("store: %q: %w", key, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("store: %q: %w", key, err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("store: writing %q: %w", key, err)
	}
	if _, err := f.Write(value); err != nil {
		return fail(err)
	}
	if s.Sync {
		if err := f.Sync(); err != nil {
			return fail(err)
		}
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("store: %q: %w", key, err)
	}
	return nil
}

// tmpPrefix starts the names of files being written.
const tmpPrefix = ".tmp-"

// Delete implements [Store].
func (s *File) Delete(_ context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: deleting %q: %w", key, err)
	}
	return nil
}

// List implements [Store]. It walks only the deepest directory the prefix
// names.
func (s *File) List(_ context.Context, prefix string) ([]string, error) {
	dir := ""
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		dir = prefix[:i]
	}
	start := s.root
	if dir != "" {
		p, err := s.path(dir)
		if err != nil {
			return nil, err
		}
		start = p
	}
	var keys []string
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), tmpPrefix) {
			return nil
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		if k := filepath.ToSlash(rel); strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: listing %q: %w", prefix, err)
	}
	sort.Strings(keys)
	return keys, nil
}
