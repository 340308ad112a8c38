package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ryomen-dev/ryomen/store"
)

// putNewStores returns one store of each kind that implements Creator.
func putNewStores(t *testing.T) map[string]store.Store {
	s3, err := store.NewS3(context.Background(), newFakeS3(t), "bucket", "p", store.S3Options{AccessKey: "id", SecretKey: "secret", Insecure: true, PathStyle: true, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]store.Store{"file": store.NewFile(t.TempDir()), "memory": store.NewMemory(), "s3": s3}
}

// TestPutNewRace starts many writers creating one key at once: exactly one
// wins, every other gets ErrExists, and the stored value is the winner's.
func TestPutNewRace(t *testing.T) {
	ctx := context.Background()
	for name, st := range putNewStores(t) {
		t.Run(name, func(t *testing.T) {
			const n = 16
			var wins atomic.Int32
			var winner atomic.Value
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					v := fmt.Sprintf("writer %d", i)
					err := store.PutNew(ctx, st, "out/.ryomen/plan.json", []byte(v))
					switch {
					case err == nil:
						wins.Add(1)
						winner.Store(v)
					case !errors.Is(err, store.ErrExists):
						t.Errorf("writer %d: %v", i, err)
					}
				}()
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%d writers won, want exactly 1", wins.Load())
			}
			got, err := st.Get(ctx, "out/.ryomen/plan.json")
			if err != nil || string(got) != winner.Load().(string) {
				t.Fatalf("stored %q (%v), winner wrote %q", got, err, winner.Load())
			}
			if keys, _ := st.List(ctx, ""); len(keys) != 1 {
				t.Fatalf("keys after the race: %v", keys)
			}
		})
	}
}

// TestLocationSpellings opens one directory spelled five ways and gets one
// canonical location; a sibling with a common name prefix is not inside.
func TestLocationSpellings(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "img.zarr")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.zarr")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	want := store.NewFile(real).Location()
	for _, p := range []string{"img.zarr", "./img.zarr/", real + "/", link, "file://" + real} {
		st, err := store.Open(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := store.Location(st); got != want {
			t.Errorf("%q: location %q, want %q", p, got, want)
		}
	}
	if !store.Contains(want, store.Join(want, "0/c/1")) || store.Contains(want, want+"x") {
		t.Error("Contains does not compare whole segments")
	}
	if !store.Overlap(want, store.Join(want, "labels")) || !store.Overlap(store.Join(want, "labels"), want) {
		t.Error("Overlap is not symmetric")
	}
	// A path that does not exist yet under a symlinked parent resolves
	// through the parent.
	if got, _ := store.FileLocation(filepath.Join(link, "new", "out")); got != store.Join(want, "new/out") {
		t.Errorf("future path: %q", got)
	}
}

// TestS3Location: the same bucket and prefix however the prefix is
// slashed.
func TestS3Location(t *testing.T) {
	ep := newFakeS3(t)
	o := store.S3Options{AccessKey: "id", SecretKey: "secret", Insecure: true, PathStyle: true, Region: "us-east-1"}
	a, _ := store.NewS3(context.Background(), ep, "bucket", "/a/b/", o)
	b, _ := store.NewS3(context.Background(), ep, "bucket", "a/b", o)
	c, _ := store.NewS3(context.Background(), ep, "bucket", "a", o)
	if a.Location() != b.Location() || !store.Contains(c.Location(), a.Location()) {
		t.Errorf("locations %q %q %q", a.Location(), b.Location(), c.Location())
	}
	if !strings.HasPrefix(a.Location(), "s3://"+ep+"/bucket/a/b") {
		t.Errorf("location %q", a.Location())
	}
}

// TestCleanTemp: temporary files of a dead writer on this host are removed
// at the next start, those of a live writer are kept.
func TestCleanTemp(t *testing.T) {
	dir := t.TempDir()
	st := store.NewFile(dir)
	ctx := context.Background()
	if err := st.Put(ctx, "0/c/0/0", []byte("chunk")); err != nil {
		t.Fatal(err)
	}
	// A process that exits at once leaves a dead PID.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	dead := cmd.ProcessState.Pid()
	tag := store.HostTag()
	deadName := filepath.Join(dir, "0", "c", "0", fmt.Sprintf(".tmp-%d-%s-00000000000000aa", dead, tag))
	liveName := filepath.Join(dir, "0", "c", "0", fmt.Sprintf(".tmp-%d-%s-00000000000000bb", os.Getppid(), tag))
	oldName := filepath.Join(dir, "0", ".tmp-0123456789abcdef")
	for _, p := range []string{deadName, liveName, oldName} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * store.StaleTempAge)
	os.Chtimes(oldName, old, old)
	n, err := store.CleanTemp(ctx, st, "")
	if err != nil || n != 2 {
		t.Fatalf("CleanTemp removed %d (%v), want 2", n, err)
	}
	for p, want := range map[string]bool{deadName: false, liveName: true, oldName: false} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists=%v, want %v", filepath.Base(p), err == nil, want)
		}
	}
	if v, err := st.Get(ctx, "0/c/0/0"); err != nil || string(v) != "chunk" {
		t.Fatalf("value lost: %q %v", v, err)
	}
}

// TestFlush: Flush succeeds on a written store and on one never written.
func TestFlush(t *testing.T) {
	st := store.NewFile(filepath.Join(t.TempDir(), "never"))
	if err := store.Flush(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(context.Background(), "a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := store.Flush(context.Background(), st); err != nil {
		t.Fatal(err)
	}
}

// TestListFirst: at most n keys, each a real key under the prefix, on
// every store kind.
func TestListFirst(t *testing.T) {
	ctx := context.Background()
	for name, st := range putNewStores(t) {
		for i := range 30 {
			st.Put(ctx, fmt.Sprintf("img/0/c/%d/%d", i/10, i%10), []byte("v"))
		}
		st.Put(ctx, "other", []byte("v"))
		all, _ := st.List(ctx, "img/")
		for _, n := range []int{1, 5, 30, 100} {
			got, err := store.ListFirst(ctx, st, "img/", n)
			if err != nil || len(got) != min(n, 30) {
				t.Fatalf("%s: ListFirst(%d) = %d keys, %v", name, n, len(got), err)
			}
			for _, k := range got {
				if !slices.Contains(all, k) {
					t.Fatalf("%s: ListFirst returned %q, not a key under img/", name, k)
				}
			}
		}
	}
}
