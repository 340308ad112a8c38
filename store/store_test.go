package store_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/store/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return store.NewMemory() })
}

func TestFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return store.NewFile(t.TempDir()) })
}

// A crash between writing the temporary file and renaming it leaves the
// old value under the key and nothing new in listings.
func TestFileTornWrite(t *testing.T) {
	dir := t.TempDir()
	s := store.NewFile(dir)
	ctx := context.Background()
	if err := s.Put(ctx, "a/chunk", []byte("old")); err != nil {
		t.Fatal(err)
	}
	// What a killed Put leaves: a half-written temporary file.
	if err := os.WriteFile(filepath.Join(dir, "a", ".tmp-123456"), []byte("ne"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "a/chunk"); string(got) != "old" {
		t.Fatalf("value %q after a torn write", got)
	}
	keys, _ := s.List(ctx, "a/")
	if len(keys) != 1 || keys[0] != "a/chunk" {
		t.Fatalf("List shows %v", keys)
	}
	// A killed first Put of a new key, at the top level: the key does not
	// exist and nothing is listed.
	if err := os.WriteFile(filepath.Join(dir, ".tmp-0000000000000001"), []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "new"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a never-finished key: %v", err)
	}
	if keys, err := s.List(ctx, ""); err != nil || len(keys) != 1 || keys[0] != "a/chunk" {
		t.Fatalf("List(\"\") = %v, %v", keys, err)
	}
	// The next Put of the key still works beside the leftover.
	if err := s.Put(ctx, "new", []byte("whole")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "new"); err != nil || string(got) != "whole" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// Keys never escape the root.
	if err := s.Put(ctx, "../escape", []byte("x")); err == nil {
		t.Fatal("a key with .. was accepted")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape")); err == nil {
		t.Fatal("wrote outside the root")
	}
}

func TestHTTP(t *testing.T) {
	storetest.RunReadOnly(t, func(t *testing.T, kv map[string][]byte) store.Store {
		dir := t.TempDir()
		fs := store.NewFile(dir)
		for k, v := range kv {
			if err := fs.Put(context.Background(), k, v); err != nil {
				t.Fatal(err)
			}
		}
		srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
		t.Cleanup(srv.Close)
		return store.NewHTTP(srv.URL, srv.Client())
	})
}

// A server that ignores Range still gives the right bytes, and one that
// sends too much is cut off at MaxBytes.
func TestHTTPNoRangesAndLimit(t *testing.T) {
	body := strings.Repeat("0123456789", 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(body)) // ignores Range, sends 200
	}))
	defer srv.Close()
	s := store.NewHTTP(srv.URL, srv.Client())
	ctx := context.Background()
	if got, err := s.GetRange(ctx, "k", 995, 10); err != nil || string(got) != "56789" {
		t.Fatalf("GetRange = %q, %v", got, err)
	}
	if got, err := s.GetSuffix(ctx, "k", 3); err != nil || string(got) != "789" {
		t.Fatalf("GetSuffix = %q, %v", got, err)
	}
	s.MaxBytes = 100
	if _, err := s.Get(ctx, "k"); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := s.List(ctx, ""); err == nil {
		t.Fatal("HTTP listed keys")
	}
}

// newFakeS3 starts an in-process S3 server with one bucket.
func newFakeS3(t *testing.T) (endpoint string) {
	backend := s3mem.New()
	if err := backend.CreateBucket("bucket"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestS3(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.NewS3(context.Background(), newFakeS3(t), "bucket", "some/prefix", store.S3Options{AccessKey: "id", SecretKey: "secret", Insecure: true, PathStyle: true, Region: "us-east-1"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for loc, want := range map[string]string{
		dir:                          "*store.File",
		"file://" + dir:              "*store.File",
		"https://example.org/a.zarr": "*store.HTTP",
		"mem://":                     "*store.Memory",
	} {
		s, err := store.Open(ctx, loc)
		if err != nil {
			t.Fatalf("Open(%q): %v", loc, err)
		}
		if got := typeName(s); got != want {
			t.Errorf("Open(%q) = %s, want %s", loc, got, want)
		}
	}
	ep := newFakeS3(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://"+ep)
	t.Setenv("AWS_ACCESS_KEY_ID", "id")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	s, err := store.Open(ctx, "s3://bucket/data/img.zarr")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "zarr.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "zarr.json"); err != nil || string(got) != "{}" {
		t.Fatalf("S3 via Open: %q, %v", got, err)
	}
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing S3 key: %v", err)
	}
	for _, bad := range []string{"ftp://host/x", "file://otherhost/data", "file://", "s3:///prefix"} {
		if _, err := store.Open(ctx, bad); err == nil {
			t.Errorf("Open(%q) accepted", bad)
		}
	}
	if s, err := store.Open(ctx, "file://localhost"+dir); err != nil || s.(*store.File).Root() != dir {
		t.Errorf("file://localhost: %v", err)
	}
	// Without an endpoint in the environment, s3:// means AWS; building
	// the store sends no request.
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("S3_ENDPOINT", "")
	if s, err := store.Open(ctx, "s3://bucket"); err != nil || typeName(s) != "*store.S3" {
		t.Errorf("s3://bucket: %v", err)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *store.File:
		return "*store.File"
	case *store.HTTP:
		return "*store.HTTP"
	case *store.Memory:
		return "*store.Memory"
	case *store.S3:
		return "*store.S3"
	}
	return "?"
}

// Put leaves no temporary file behind, gives the value the mode a plain
// write would (not os.CreateTemp's 0600), and keys may not name
// temporary files. Sync works the same way.
func TestFilePutDetails(t *testing.T) {
	dir := t.TempDir()
	s := store.NewFile(dir)
	s.Sync = true
	ctx := context.Background()
	if err := s.Put(ctx, "a/b/c", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "a/b/c", []byte("w")); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(filepath.Join(dir, "a", "b"))
	if err != nil || len(ents) != 1 || ents[0].Name() != "c" {
		t.Fatalf("directory holds %v (%v), want only c", ents, err)
	}
	st, err := os.Stat(filepath.Join(dir, "a", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	if want := 0o666 &^ umask(t); st.Mode().Perm() != want {
		t.Fatalf("value has mode %v, want %v", st.Mode().Perm(), want)
	}
	for _, k := range []string{".tmp-x", "a/.tmp-1/b"} {
		if err := s.Put(ctx, k, nil); err == nil {
			t.Errorf("Put(%q) accepted a temporary file's name", k)
		}
	}
	// A value cannot also be a directory of values on disk: the error
	// names the key rather than corrupting anything.
	if err := s.Put(ctx, "a/b", []byte("x")); err == nil || !strings.Contains(err.Error(), `"a/b"`) {
		t.Fatalf("Put over a directory: %v", err)
	}
	if got, err := s.Get(ctx, "a/b/c"); err != nil || string(got) != "w" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// A missing key's error carries the key and the file's path.
	_, err = s.Get(ctx, "a/nope")
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "a/nope") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("missing key error %v", err)
	}
}

// umask reads the process umask by creating a file with mode 0666.
func umask(t *testing.T) os.FileMode {
	p := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(p, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return 0o666 &^ st.Mode().Perm()
}

// 403 (what S3 and CDNs answer for a missing object) and 404 are
// ErrNotFound; other failures are not.
func TestHTTPStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/forbidden":
			w.WriteHeader(http.StatusForbidden)
		case "/broken":
			w.WriteHeader(http.StatusInternalServerError)
		case "/lies":
			// 206 for the wrong bytes.
			w.Header().Set("Content-Range", "bytes 0-3/10")
			w.WriteHeader(http.StatusPartialContent)
			w.Write([]byte("0123"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	s := store.NewHTTP(srv.URL+"/", srv.Client())
	ctx := context.Background()
	for _, k := range []string{"forbidden", "nope"} {
		if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), k) {
			t.Errorf("%s: %v", k, err)
		}
	}
	if _, err := s.Get(ctx, "broken"); err == nil || errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "500") {
		t.Errorf("500: %v", err)
	}
	if b, err := s.GetRange(ctx, "lies", 4, 4); err == nil {
		t.Errorf("a 206 for bytes 0-3 was taken for bytes 4-7: %q", b)
	}
}

// A hostile server cannot make a reader allocate past MaxBytes, whether
// it announces the size or streams without a length; a server that
// ignores Range is read only as far as the range needs.
func TestHTTPMaxBytes(t *testing.T) {
	const huge = 64 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/announced" {
			w.Header().Set("Content-Length", strconv.Itoa(huge))
		}
		buf := make([]byte, 32<<10)
		for i := 0; i < huge/len(buf); i++ {
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	s := store.NewHTTP(srv.URL, srv.Client())
	s.MaxBytes = 1 << 20
	ctx := context.Background()
	for _, k := range []string{"announced", "streamed"} {
		if _, err := s.Get(ctx, k); err == nil || !strings.Contains(err.Error(), "limit") {
			t.Errorf("%s: %v, want the size limit", k, err)
		}
	}
	// The server ignores Range (200): only the first 110 bytes are read.
	b, err := s.GetRange(ctx, "streamed", 100, 10)
	if err != nil || len(b) != 10 {
		t.Fatalf("GetRange over a 200 answer: %d bytes, %v", len(b), err)
	}
}

// A missing bucket is an error of its own, not a missing key, and reads
// stop at MaxBytes.
func TestS3Errors(t *testing.T) {
	ctx := context.Background()
	ep := newFakeS3(t)
	o := store.S3Options{AccessKey: "id", SecretKey: "secret", Insecure: true, PathStyle: true, Region: "us-east-1"}
	nb, err := store.NewS3(ctx, ep, "no-such-bucket", "", o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nb.Get(ctx, "k"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get in a missing bucket: %v, want an error that is not ErrNotFound", err)
	}
	s, err := store.NewS3(ctx, ep, "bucket", "p", o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "big", make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	s.MaxBytes = 100
	if _, err := s.Get(ctx, "big"); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("Get past MaxBytes: %v", err)
	}
	if b, err := s.GetRange(ctx, "big", 10, 50); err != nil || len(b) != 50 {
		t.Errorf("GetRange under MaxBytes: %d bytes, %v", len(b), err)
	}
	if err := s.Put(ctx, "../x", []byte("x")); err == nil {
		t.Error("S3 accepted a key with ..")
	}
}
