package store

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Locator is implemented by stores that can name where their keys live as
// a canonical URL: the same place always gives the same string however it
// was spelled when the store was opened, so two locations can be compared
// with [Contains] and [Overlap].
type Locator interface {
	// Location returns the canonical URL of the store's root:
	// "file:///abs/path" with symlinks resolved, "s3://endpoint/bucket/prefix",
	// "http://host/path", "mem://id".
	Location() string
}

// Location returns st's canonical location and whether it has one.
func Location(st Store) (string, bool) {
	if l, ok := st.(Locator); ok {
		return l.Location(), true
	}
	return "", false
}

// Join appends a slash-separated key path to a canonical location.
func Join(loc, key string) string {
	key = strings.Trim(key, "/")
	if key == "" {
		return loc
	}
	return strings.TrimSuffix(loc, "/") + "/" + key
}

// Contains reports whether location inner is outer or lies inside it,
// comparing whole path segments: "file:///a/b" contains "file:///a/b/c"
// but not "file:///a/bc". Both must be canonical (see [Locator]).
func Contains(outer, inner string) bool {
	outer, inner = strings.TrimSuffix(outer, "/"), strings.TrimSuffix(inner, "/")
	if outer == "" || inner == "" {
		return false
	}
	return inner == outer || strings.HasPrefix(inner, outer+"/")
}

// Overlap reports whether one of two canonical locations contains the
// other: writing one would change what the other holds.
func Overlap(a, b string) bool { return Contains(a, b) || Contains(b, a) }

// CanonicalPath returns the absolute form of the local path p with every
// symlink of its existing part resolved; the part that does not exist yet
// is appended as written (cleaned). "./a/", "a" and a symlink to a all give
// the same string.
func CanonicalPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("store: path %q: %w", p, err)
	}
	rest := ""
	cur := abs
	for {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// FileLocation returns the canonical "file://" URL of the local path p
// (see [CanonicalPath]).
func FileLocation(p string) (string, error) {
	c, err := CanonicalPath(p)
	if err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(c)}).String(), nil
}

// SameFileAncestor reports whether the local paths a and b overlap on disk
// in a way their canonical names may hide (bind mounts, hard-linked
// files): whether an existing ancestor-or-self of one is the same file as
// the other, as os.SameFile decides.
func SameFileAncestor(a, b string) bool {
	return sameAncestor(a, b) || sameAncestor(b, a)
}

func sameAncestor(p, target string) bool {
	ti, err := os.Stat(target)
	if err != nil {
		return false
	}
	cur, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	for {
		if fi, err := os.Stat(cur); err == nil && os.SameFile(fi, ti) {
			return true
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return false
		}
		cur = parent
	}
}

// Location implements [Locator]: the canonical file URL of the root.
func (s *File) Location() string {
	loc, err := FileLocation(s.root)
	if err != nil {
		return "file://" + filepath.ToSlash(s.root)
	}
	return loc
}

// Location implements [Locator]: "s3://endpoint/bucket/prefix".
func (s *S3) Location() string {
	return Join("s3://"+s.c.EndpointURL().Host+"/"+s.bucket, s.prefix)
}

// Location implements [Locator]: the base URL.
func (s *HTTP) Location() string { return strings.TrimSuffix(s.base, "/") }

// Location implements [Locator]: "mem://" and an identity unique to this
// store value.
func (s *Memory) Location() string { return fmt.Sprintf("mem://%p", s) }
