package main

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

	"github.com/ryomen-dev/ryomen/store"
)

// fileStore is a minimal directory-backed store.Store used until the store
// package ships store.NewFile. Keys are slash-separated paths under root;
// Put writes a temporary file and renames it, so readers never see a torn
// value and concurrent processes can share one directory.
type fileStore struct{ root string }

func newFileStore(root string) *fileStore { return &fileStore{root: root} }

func (s *fileStore) path(key string) string { return filepath.Join(s.root, filepath.FromSlash(key)) }

func notFound(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", store.ErrNotFound, key)
	}
	return err
}

func (s *fileStore) Get(_ context.Context, key string) ([]byte, error) {
	b, err := os.ReadFile(s.path(key))
	return b, notFound(key, err)
}

func (s *fileStore) GetRange(_ context.Context, key string, off, n int64) ([]byte, error) {
	f, err := os.Open(s.path(key))
	if err != nil {
		return nil, notFound(key, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if off > size {
		off = size
	}
	if n < 0 || off+n > size {
		n = size - off
	}
	b := make([]byte, n)
	_, err = io.ReadFull(io.NewSectionReader(f, off, n), b)
	return b, err
}

func (s *fileStore) GetSuffix(ctx context.Context, key string, n int64) ([]byte, error) {
	st, err := os.Stat(s.path(key))
	if err != nil {
		return nil, notFound(key, err)
	}
	return s.GetRange(ctx, key, max(0, st.Size()-n), -1)
}

func (s *fileStore) Put(_ context.Context, key string, value []byte) error {
	if err := store.CheckKey(key); err != nil {
		return err
	}
	p := s.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(value); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

func (s *fileStore) Delete(_ context.Context, key string) error {
	err := os.Remove(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (s *fileStore) List(_ context.Context, prefix string) ([]string, error) {
	var keys []string
	// Walk from the deepest directory the prefix names.
	dir := prefix
	if i := strings.LastIndex(dir, "/"); i >= 0 {
		dir = dir[:i]
	} else {
		dir = ""
	}
	start := s.path(dir)
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".tmp-") {
			return nil
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		k := filepath.ToSlash(rel)
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return nil
	})
	sort.Strings(keys)
	return keys, err
}
