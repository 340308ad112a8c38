package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// File is a Store in a directory: key "a/b/c" is the file root/a/b/c.
// Put writes a temporary file (".tmp-*") beside the target and renames it
// over the target, so readers, other processes and a crash mid-write see
// either the old value or the new one, never a torn one; List skips
// temporary files a crash left behind, and keys may not name them.
//
// Unlike an object store, a directory cannot hold both a value "a" and a
// value "a/b": the second Put fails with an error naming the key.
type File struct {
	root string
	// Sync makes Put fsync the file before renaming it and the directory
	// after, for durability across power loss (slower).
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
	for seg := range strings.SplitSeq(key, "/") {
		if strings.HasPrefix(seg, tmpPrefix) {
			return "", fmt.Errorf("store: invalid key %q: names starting %q are reserved for temporary files", key, tmpPrefix)
		}
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// notFound wraps an error opening key's file p, as ErrNotFound when there
// is no such file (or a directory stands in its place).
func notFound(key, p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
		return fmt.Errorf("%w: %q (%s)", ErrNotFound, key, p)
	}
	return fmt.Errorf("store: %q: %w", key, err)
}

// open opens key's file for reading and returns it with its size.
func (s *File) open(key string) (*os.File, int64, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, notFound(key, p, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("store: %q: %w", key, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, 0, notFound(key, p, syscall.EISDIR)
	}
	return f, st.Size(), nil
}

// readAt reads n bytes at off of f, clipped to size; a negative n reads to
// the end.
func readAt(f *os.File, key string, size, off, n int64) ([]byte, error) {
	off = min(off, size)
	if n < 0 || n > size-off { // not off+n > size: off+n may overflow
		n = size - off
	}
	b := make([]byte, n)
	if m, err := f.ReadAt(b, off); err != nil && !(err == io.EOF && int64(m) == n) {
		return nil, fmt.Errorf("store: reading %q (%s): %w", key, f.Name(), err)
	}
	return b, nil
}

// Get implements [Store].
func (s *File) Get(_ context.Context, key string) ([]byte, error) {
	f, size, err := s.open(key)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAt(f, key, size, 0, -1)
}

// GetRange implements [Store]; it reads only the bytes asked for.
func (s *File) GetRange(_ context.Context, key string, off, n int64) ([]byte, error) {
	if off < 0 {
		return nil, fmt.Errorf("store: negative offset %d for %q", off, key)
	}
	f, size, err := s.open(key)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAt(f, key, size, off, n)
}

// GetSuffix implements [Store]; it reads only the last n bytes.
func (s *File) GetSuffix(_ context.Context, key string, n int64) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("store: negative suffix length %d for %q", n, key)
	}
	f, size, err := s.open(key)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAt(f, key, size, size-min(n, size), -1)
}

// Put implements [Store] atomically (temporary file, then rename).
func (s *File) Put(_ context.Context, key string, value []byte) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(key, p, value, s.Sync)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: %q: %w", key, err)
	}
	if s.Sync {
		return syncDir(filepath.Dir(p))
	}
	return nil
}

// writeTemp writes value to a new temporary file beside p (the file of
// key), creating the directory, and returns the temporary file's name;
// sync makes it fsync the data before closing.
func writeTemp(key, p string, value []byte, sync bool) (string, error) {
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("store: %q: %w", key, err)
	}
	f, err := createTemp(dir)
	if err != nil {
		return "", fmt.Errorf("store: %q: %w", key, err)
	}
	_, err = f.Write(value)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("store: writing %q (%s): %w", key, f.Name(), err)
	}
	return f.Name(), nil
}

// createTemp creates a new temporary file in dir. Unlike os.CreateTemp
// (mode 0600) it asks for mode 0666 less the umask, the mode the value
// would have had if written in place.
func createTemp(dir string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, fmt.Sprintf("%s%d-%s-%016x", tmpPrefix, os.Getpid(), hostTag(), rand.Uint64()))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no unused temporary name in %s", dir)
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
	var keys []string
	if err := s.walk(prefix, func(k string) error { keys = append(keys, k); return nil }); err != nil {
		return nil, err
	}
	sort.Strings(keys)
	return keys, nil
}

// walk calls f with every key under prefix, walking only the deepest
// directory the prefix names, in lexical order. An error from f stops the
// walk and is returned as is.
func (s *File) walk(prefix string, f func(key string) error) error {
	dir := ""
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		dir = prefix[:i]
	}
	start := s.root
	if dir != "" {
		p, err := s.path(dir)
		if err != nil {
			return err
		}
		start = p
	}
	var ferr error
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
			if ferr = f(k); ferr != nil {
				return ferr
			}
		}
		return nil
	})
	if ferr != nil {
		return ferr
	}
	if err != nil {
		return fmt.Errorf("store: listing %q: %w", prefix, err)
	}
	return nil
}
