package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// ErrExists is returned (wrapped) by [PutNew] when the key already holds a
// value.
var ErrExists = errors.New("store: key exists")

// Creator is implemented by stores that can create a key only if it does
// not exist yet, atomically: of several writers racing to create one key,
// exactly one succeeds and the others get an error wrapping [ErrExists].
//
// The guarantee of each store:
//   - File: the value is written to a temporary file and hard-linked to the
//     key (link(2) fails if the name exists), atomic on local file systems
//     and on NFSv3+ servers.
//   - Memory: under the store's lock.
//   - S3: a conditional PUT with "If-None-Match: *"; atomic on AWS S3
//     (since 2024), MinIO and other servers that honour the header. A server
//     that ignores it overwrites silently, which ryomen cannot detect.
type Creator interface {
	PutNew(ctx context.Context, key string, value []byte) error
}

// PutNew stores value under key unless key already exists, in which case
// it returns an error wrapping [ErrExists]. Stores that are not a
// [Creator] (HTTP is read-only anyway) get a check followed by a Put, which
// is not atomic.
func PutNew(ctx context.Context, st Store, key string, value []byte) error {
	if c, ok := st.(Creator); ok {
		return c.PutNew(ctx, key, value)
	}
	if _, err := st.GetRange(ctx, key, 0, 1); err == nil {
		return fmt.Errorf("%w: %q", ErrExists, key)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	return st.Put(ctx, key, value)
}

// PutNew implements [Creator] with a hard link, which fails if the name
// exists.
func (s *File) PutNew(_ context.Context, key string, value []byte) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(key, p, value, true)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %q (%s)", ErrExists, key, p)
		}
		return fmt.Errorf("store: %q: %w", key, err)
	}
	return syncDir(filepath.Dir(p))
}

// PutNew implements [Creator].
func (s *Memory) PutNew(_ context.Context, key string, value []byte) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; ok {
		return fmt.Errorf("%w: %q", ErrExists, key)
	}
	s.m[key] = append([]byte(nil), value...)
	return nil
}

// PutNew implements [Creator] with a conditional PUT (If-None-Match: *).
func (s *S3) PutNew(ctx context.Context, key string, value []byte) error {
	name, err := s.name(key)
	if err != nil {
		return err
	}
	opt := minio.PutObjectOptions{ContentType: "application/octet-stream", DisableContentSha256: len(value) == 0}
	opt.SetMatchETagExcept("*")
	_, err = s.c.PutObject(ctx, s.bucket, name, strings.NewReader(string(value)), int64(len(value)), opt)
	if err != nil {
		if r := minio.ToErrorResponse(err); r.StatusCode == 412 || r.Code == "PreconditionFailed" {
			return fmt.Errorf("%w: %q", ErrExists, key)
		}
		return s.wrap(key, err)
	}
	return nil
}

// Flusher is implemented by stores whose writes can be acknowledged before
// they are durable. Flush returns once everything written so far survives a
// crash or power loss.
type Flusher interface {
	Flush(ctx context.Context) error
}

// Flush makes st's writes durable if st is a [Flusher]; other stores
// (memory, S3: a PUT is durable when acknowledged) need nothing.
func Flush(ctx context.Context, st Store) error {
	if f, ok := st.(Flusher); ok {
		return f.Flush(ctx)
	}
	return nil
}

// Flush implements [Flusher]: it flushes the whole file system holding the
// root (syncfs(2) on Linux; sync(2) elsewhere), which covers every file and
// directory the store wrote, in one call instead of one fsync per value.
func (s *File) Flush(context.Context) error {
	d, err := os.Open(s.root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("store: flushing %s: %w", s.root, err)
	}
	defer d.Close()
	if err := syncFS(d); err != nil {
		return fmt.Errorf("store: flushing %s: %w", s.root, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: syncing %s: %w", dir, err)
	}
	return nil
}

// TempCleaner is implemented by stores that leave temporary objects behind
// when a writer is killed mid-write.
type TempCleaner interface {
	// CleanTemp removes the temporary files under prefix that no live
	// writer owns, returning how many it removed.
	CleanTemp(ctx context.Context, prefix string) (int, error)
}

// CleanTemp removes the leftovers of killed writers under prefix when st
// keeps any (see [TempCleaner]).
func CleanTemp(ctx context.Context, st Store, prefix string) (int, error) {
	if c, ok := st.(TempCleaner); ok {
		return c.CleanTemp(ctx, prefix)
	}
	return 0, nil
}

// StaleTempAge is the age past which [File.CleanTemp] removes a temporary
// file whatever its owner: no healthy writer leaves a file untouched that
// long.
const StaleTempAge = time.Hour

// CleanTemp implements [TempCleaner]. A temporary file is named after the
// process writing it (".tmp-<pid>-<host>-<random>"); it is removed when
// that process ran on this host and is gone, or when the file is older
// than [StaleTempAge]. Files of live writers (another shard of the same
// run, say) are left alone.
func (s *File) CleanTemp(ctx context.Context, prefix string) (int, error) {
	start := s.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		p, err := s.path(prefix[:i])
		if err != nil {
			return 0, err
		}
		start = p
	}
	n := 0
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() || !strings.HasPrefix(d.Name(), tmpPrefix) || !tempOrphaned(d) {
			return nil
		}
		if err := os.Remove(p); err == nil {
			n++
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("store: cleaning temporary files under %s: %w", start, err)
	}
	return n, nil
}

// tempOrphaned reports whether no live writer owns the temporary file d.
func tempOrphaned(d fs.DirEntry) bool {
	if info, err := d.Info(); err == nil && time.Since(info.ModTime()) > StaleTempAge {
		return true
	}
	f := strings.Split(strings.TrimPrefix(d.Name(), tmpPrefix), "-")
	if len(f) != 3 || f[1] != hostTag() {
		return false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return false
	}
	return pid != os.Getpid() && processGone(pid)
}

// hostTag names this machine in temporary file names (8 hex digits of a
// hash of the host name, so any host name fits).
func hostTag() string {
	h, _ := os.Hostname()
	f := fnv.New32a()
	f.Write([]byte(h))
	return fmt.Sprintf("%08x", f.Sum32())
}

// Info is what a store knows cheaply about a value besides its bytes.
type Info struct {
	Size    int64
	ModTime time.Time // zero when the store keeps none
	ETag    string    // an opaque version tag, "" when the store keeps none
}

// Stater is implemented by stores that can describe a value without
// reading it.
type Stater interface {
	// Stat returns the value's Info, or an error wrapping ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)
}

// Stat implements [Stater].
func (s *File) Stat(_ context.Context, key string) (Info, error) {
	p, err := s.path(key)
	if err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(p)
	if err != nil || fi.IsDir() {
		if err == nil {
			err = fs.ErrNotExist // a directory is no value
		}
		return Info{}, notFound(key, p, err)
	}
	return Info{Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Stat implements [Stater]; the ETag is the object's S3 ETag.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	name, err := s.name(key)
	if err != nil {
		return Info{}, err
	}
	oi, err := s.c.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.wrap(key, err)
	}
	return Info{Size: oi.Size, ModTime: oi.LastModified, ETag: oi.ETag}, nil
}

// Fingerprint digests what identifies a dataset's content cheaply: the
// bytes of its metadata documents (meta) and the Info of some of its data
// values (sample), such as a spread of chunk keys. Two fingerprints differ
// when a document changed or a sampled value was rewritten (new size,
// modification time or ETag); a missing key counts as a value. Stores
// without [Stater] contribute only the metadata.
func Fingerprint(ctx context.Context, st Store, meta, sample []string) (string, error) {
	h := sha256.New()
	for _, k := range meta {
		b, err := st.Get(ctx, k)
		switch {
		case errors.Is(err, ErrNotFound):
			fmt.Fprintf(h, "meta %q missing\n", k)
		case err != nil:
			return "", err
		default:
			fmt.Fprintf(h, "meta %q %d %x\n", k, len(b), sha256.Sum256(b))
		}
	}
	if s, ok := st.(Stater); ok {
		for _, k := range sample {
			in, err := s.Stat(ctx, k)
			switch {
			case errors.Is(err, ErrNotFound):
				fmt.Fprintf(h, "data %q missing\n", k)
			case err != nil:
				return "", err
			default:
				fmt.Fprintf(h, "data %q %d %d %q\n", k, in.Size, in.ModTime.UnixNano(), in.ETag)
			}
		}
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil)), nil
}

// FileFingerprint digests a local file cheaply: its size, modification
// time and the SHA-256 of its first and last 64 KiB.
func FileFingerprint(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d %d\n", fi.Size(), fi.ModTime().UnixNano())
	const edge = 64 << 10
	buf := make([]byte, min(edge, fi.Size()))
	for _, off := range []int64{0, max(0, fi.Size()-edge)} {
		if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("store: fingerprint of %s: %w", p, err)
		}
		h.Write(buf)
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil)), nil
}

// FirstLister is implemented by stores that can stop listing early.
type FirstLister interface {
	// ListFirst returns up to n keys that start with prefix, sorted.
	ListFirst(ctx context.Context, prefix string, n int) ([]string, error)
}

// ListFirst returns up to n keys of st that start with prefix: enough to
// tell whether a location is empty, and to name what is there, without
// holding a listing of millions of chunks. Stores that are not a
// [FirstLister] list everything and cut.
func ListFirst(ctx context.Context, st Store, prefix string, n int) ([]string, error) {
	if f, ok := st.(FirstLister); ok {
		return f.ListFirst(ctx, prefix, n)
	}
	keys, err := st.List(ctx, prefix)
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys, err
}

// errEnough stops a walk once it has found what it needs.
var errEnough = errors.New("enough")

// ListFirst implements [FirstLister]. The keys are the first n the walk
// meets in lexical order of their directories, sorted.
func (s *File) ListFirst(ctx context.Context, prefix string, n int) ([]string, error) {
	var keys []string
	err := s.walk(prefix, func(k string) error {
		keys = append(keys, k)
		if len(keys) >= n {
			return errEnough
		}
		return ctx.Err()
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	slices.Sort(keys)
	return keys, nil
}

// ListFirst implements [FirstLister].
func (s *S3) ListFirst(ctx context.Context, prefix string, n int) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var keys []string
	for o := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true, MaxKeys: n}) {
		if o.Err != nil {
			return nil, fmt.Errorf("store: listing s3://%s/%s%s: %w", s.bucket, s.prefix, prefix, o.Err)
		}
		keys = append(keys, strings.TrimPrefix(o.Key, s.prefix))
		if len(keys) >= n {
			break
		}
	}
	slices.Sort(keys)
	return keys, nil
}
