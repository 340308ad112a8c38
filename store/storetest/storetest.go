// Package storetest is a conformance suite for store.Store
// implementations: every backend runs the same tests.
//
// [Run] checks a writable store: missing keys are store.ErrNotFound (also
// for a prefix of existing keys), overwrites, empty values, byte ranges
// (inside, across and past the end, lengths up to math.MaxInt64, suffixes
// longer than the value, negative offsets refused), List in byte order of
// whole keys and by prefix, Delete of one key leaving its neighbours,
// invalid keys refused by every method, values copied in and out, and
// concurrent Puts of one key leaving one whole value. [RunReadOnly]
// checks the read side of a read-only store and that writes fail with
// store.ErrReadOnly.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/ryomen-dev/ryomen/store"
)

// Run checks a writable store. newStore must return an empty store; each
// behaviour runs as a subtest on a store of its own.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, c := range []struct {
		name string
		test func(t *testing.T, s store.Store)
	}{
		{"GetPutOverwrite", testGetPutOverwrite},
		{"Ranges", testRanges},
		{"ListDelete", testListDelete},
		{"ListOrder", testListOrder},
		{"ValuesAreCopies", testValuesAreCopies},
		{"BadKeys", testBadKeys},
		{"ConcurrentPuts", testConcurrentPuts},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, newStore(t)) })
	}
}

// testGetPutOverwrite checks missing keys, overwrites and empty values.
func testGetPutOverwrite(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "a/b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing key: %v, want ErrNotFound", err)
	}
	put(t, s, "a/b", "hello")
	put(t, s, "a/b", "world!")
	expect(t, s, "a/b", "world!")
	put(t, s, "empty", "")
	expect(t, s, "empty", "")
	if got, err := s.GetSuffix(ctx, "empty", 4); err != nil || len(got) != 0 {
		t.Fatalf("GetSuffix of an empty value = %q, %v", got, err)
	}
	if got, err := s.GetRange(ctx, "empty", 0, 4); err != nil || len(got) != 0 {
		t.Fatalf("GetRange of an empty value = %q, %v", got, err)
	}
}

// testRanges checks byte ranges and suffixes inside, across and past the
// end of a value, and that negative offsets and lengths are refused.
func testRanges(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, "r", "0123456789")
	for _, c := range []struct {
		off, n int64
		want   string
	}{{0, -1, "0123456789"}, {3, 4, "3456"}, {8, 10, "89"}, {10, 5, ""}, {20, 5, ""}, {20, -1, ""},
		{0, 0, ""}, {9, -1, "9"}, {0, 1, "0"}, {3, math.MaxInt64, "3456789"}, {0, math.MaxInt64, "0123456789"}} {
		got, err := s.GetRange(ctx, "r", c.off, c.n)
		if err != nil || string(got) != c.want {
			t.Errorf("GetRange(%d, %d) = %q, %v; want %q", c.off, c.n, got, err, c.want)
		}
	}
	for _, c := range []struct {
		n    int64
		want string
	}{{3, "789"}, {1, "9"}, {0, ""}, {10, "0123456789"}, {50, "0123456789"}, {math.MaxInt64, "0123456789"}} {
		got, err := s.GetSuffix(ctx, "r", c.n)
		if err != nil || string(got) != c.want {
			t.Errorf("GetSuffix(%d) = %q, %v; want %q", c.n, got, err, c.want)
		}
	}
	if _, err := s.GetRange(ctx, "r", -1, 2); err == nil {
		t.Error("GetRange accepted a negative offset")
	}
	if _, err := s.GetSuffix(ctx, "r", -1); err == nil {
		t.Error("GetSuffix accepted a negative length")
	}
	if _, err := s.GetRange(ctx, "nope", 0, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("range of a missing key: %v", err)
	}
	if _, err := s.GetSuffix(ctx, "nope", 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("suffix of a missing key: %v", err)
	}
}

// testListDelete checks List by prefix and Delete of one key leaving its
// neighbours; a prefix of keys is not a key.
func testListDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, k := range []string{"x/1", "x/2/a", "x/2/b", "xy", "y/1"} {
		put(t, s, k, k)
	}
	list(t, s, "x/", "x/1", "x/2/a", "x/2/b")
	list(t, s, "x", "x/1", "x/2/a", "x/2/b", "xy")
	list(t, s, "", "x/1", "x/2/a", "x/2/b", "xy", "y/1")
	list(t, s, "x/2/", "x/2/a", "x/2/b")
	list(t, s, "z/")
	if err := s.Delete(ctx, "x/2/a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "x/2/a"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
	list(t, s, "x/2/", "x/2/b")
	// Deleting the last key under a prefix leaves the others, and the
	// prefix can be written again.
	if err := s.Delete(ctx, "x/2/b"); err != nil {
		t.Fatal(err)
	}
	list(t, s, "x/", "x/1")
	list(t, s, "", "x/1", "xy", "y/1")
	put(t, s, "x/2/c", "c")
	expect(t, s, "x/2/c", "c")
	// A prefix of keys is not itself a key.
	if _, err := s.Get(ctx, "x/2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of a key's parent: %v, want ErrNotFound", err)
	}
	if _, err := s.GetRange(ctx, "x", 0, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRange of a key's parent: %v, want ErrNotFound", err)
	}
}

// testListOrder checks that List gives the byte order of whole keys, not
// the order of a directory walk ("a/b" sorts after "a-b" and "a.c" but
// before "a0").
func testListOrder(t *testing.T, s store.Store) {
	for _, k := range []string{"a0", "a/b", "a.c", "a-b", "a/a/z", "A"} {
		put(t, s, k, k)
	}
	list(t, s, "", "A", "a-b", "a.c", "a/a/z", "a/b", "a0")
	list(t, s, "a", "a-b", "a.c", "a/a/z", "a/b", "a0")
	list(t, s, "a/", "a/a/z", "a/b")
	list(t, s, "a/a", "a/a/z")
}

// testValuesAreCopies checks that values are copied in and out.
func testValuesAreCopies(t *testing.T, s store.Store) {
	ctx := context.Background()
	v := make([]byte, 256)
	for i := range v {
		v[i] = byte(i)
	}
	if err := s.Put(ctx, "bin", v); err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(v)
	v[0] = 99 // the caller reuses its buffer
	got, err := s.Get(ctx, "bin")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Get after the caller changed its buffer: %v, %v", got[:4], err)
	}
	got[1] = 99
	if again, _ := s.Get(ctx, "bin"); !bytes.Equal(again, want) {
		t.Fatal("changing a returned value changed the stored one")
	}
}

// testBadKeys checks that every method refuses invalid keys.
func testBadKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, k := range []string{"", "/abs", "a/../b", "../up", "a//b", "a/./b", "a/"} {
		if err := s.Put(ctx, k, []byte("x")); err == nil {
			t.Errorf("Put(%q) accepted", k)
		}
		if _, err := s.Get(ctx, k); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want an invalid-key error", k, err)
		}
		if _, err := s.GetRange(ctx, k, 0, 1); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetRange(%q) = %v, want an invalid-key error", k, err)
		}
		if _, err := s.GetRange(ctx, k, 0, 0); err == nil {
			t.Errorf("GetRange(%q, 0, 0) accepted the key", k)
		}
		if _, err := s.GetSuffix(ctx, k, 1); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetSuffix(%q) = %v, want an invalid-key error", k, err)
		}
		if err := s.Delete(ctx, k); err == nil {
			t.Errorf("Delete(%q) accepted", k)
		}
	}
}

// testConcurrentPuts checks that concurrent Puts of one key leave one whole value.
func testConcurrentPuts(t *testing.T, s store.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	vals := make([][]byte, 8)
	for i := range vals {
		vals[i] = bytes.Repeat([]byte{byte('a' + i)}, 64<<10)
		wg.Go(func() {
			if err := s.Put(ctx, "c/k", vals[i]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := s.Get(ctx, "c/k")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(vals, func(v []byte) bool { return bytes.Equal(v, got) }) {
		t.Fatal("concurrent Puts left a mix of values")
	}
}

// RunReadOnly checks a read-only view: populate writes the fixture keys
// through a writable twin and returns the read-only store.
func RunReadOnly(t *testing.T, populate func(t *testing.T, kv map[string][]byte) store.Store) {
	ctx := context.Background()
	s := populate(t, map[string][]byte{"a/b": []byte("0123456789"), "c": []byte("x"), "empty": {}})
	expect(t, s, "a/b", "0123456789")
	expect(t, s, "empty", "")
	for _, c := range []struct {
		off, n int64
		want   string
	}{{8, 10, "89"}, {10, 5, ""}, {20, 5, ""}, {0, math.MaxInt64, "0123456789"}, {0, 1, "0"}} {
		got, err := s.GetRange(ctx, "a/b", c.off, c.n)
		if err != nil || string(got) != c.want {
			t.Errorf("GetRange(%d, %d) = %q, %v; want %q", c.off, c.n, got, err, c.want)
		}
	}
	if got, err := s.GetSuffix(ctx, "a/b", 50); err != nil || string(got) != "0123456789" {
		t.Errorf("GetSuffix longer than the value = %q, %v", got, err)
	}
	if got, err := s.GetSuffix(ctx, "empty", 3); err != nil || len(got) != 0 {
		t.Errorf("GetSuffix of an empty value = %q, %v", got, err)
	}
	if _, err := s.GetRange(ctx, "missing", 0, 4); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRange of a missing key: %v", err)
	}
	if _, err := s.GetSuffix(ctx, "missing", 4); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSuffix of a missing key: %v", err)
	}
	if _, err := s.Get(ctx, "../c"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(../c) = %v, want an invalid-key error", err)
	}
	if err := s.Delete(ctx, "c"); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Delete: %v, want ErrReadOnly", err)
	}
	expect(t, s, "c", "x")
	if got, err := s.GetRange(ctx, "a/b", 2, 3); err != nil || string(got) != "234" {
		t.Errorf("GetRange = %q, %v", got, err)
	}
	if got, err := s.GetRange(ctx, "a/b", 7, -1); err != nil || string(got) != "789" {
		t.Errorf("GetRange to end = %q, %v", got, err)
	}
	if got, err := s.GetSuffix(ctx, "a/b", 4); err != nil || string(got) != "6789" {
		t.Errorf("GetSuffix = %q, %v", got, err)
	}
	if _, err := s.Get(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	if b, err := s.Get(ctx, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of a key's parent = %q, %v; want ErrNotFound", b, err)
	}
	if err := s.Put(ctx, "c", nil); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Put: %v, want ErrReadOnly", err)
	}
}

func put(t *testing.T, s store.Store, k, v string) {
	t.Helper()
	if err := s.Put(context.Background(), k, []byte(v)); err != nil {
		t.Fatalf("Put(%q): %v", k, err)
	}
}

func expect(t *testing.T, s store.Store, k, v string) {
	t.Helper()
	got, err := s.Get(context.Background(), k)
	if err != nil || string(got) != v {
		t.Fatalf("Get(%q) = %q, %v; want %q", k, got, err, v)
	}
}

func list(t *testing.T, s store.Store, prefix string, want ...string) {
	t.Helper()
	got, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("List(%q) = %v, want %v", prefix, got, want)
	}
}
