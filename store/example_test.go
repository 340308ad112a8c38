package store_test

import (
	"context"
	"fmt"
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
