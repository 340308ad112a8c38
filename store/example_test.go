package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/ryomen-dev/ryomen/store"
)

// Open a directory as a store, write a value atomically and read part of
// it back.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "store-example-")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s, err := store.Open(ctx, dir)
	if err != nil {
		panic(err)
	}
	if err := s.Put(ctx, "img.zarr/zarr.json", []byte(`{"zarr_format":3}`)); err != nil {
		panic(err)
	}
	b, _ := s.GetRange(ctx, "img.zarr/zarr.json", 2, 11)
	keys, _ := s.List(ctx, "img.zarr/")
	fmt.Println(string(b), keys)
	// Output: zarr_format [img.zarr/zarr.json]
}

// Read byte ranges of values served over HTTP (here a local directory
// behind net/http's file server, which honours Range requests).
func ExampleNewHTTP() {
	dir, _ := os.MkdirTemp("", "store-example-")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	if err := store.NewFile(dir).Put(ctx, "img.zarr/c/0", []byte("0123456789")); err != nil {
		panic(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()

	s := store.NewHTTP(srv.URL, srv.Client())
	head, _ := s.GetRange(ctx, "img.zarr/c/0", 0, 4)
	tail, _ := s.GetSuffix(ctx, "img.zarr/c/0", 3)
	_, err := s.Get(ctx, "img.zarr/c/1")
	fmt.Println(string(head), string(tail), errors.Is(err, store.ErrNotFound))
	fmt.Println(errors.Is(s.Put(ctx, "x", nil), store.ErrReadOnly))
	// Output:
	// 0123 789 true
	// true
}
