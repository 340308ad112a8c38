package child_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ryomen-dev/ryomen/child"
	"github.com/ryomen-dev/ryomen/nd"
)

// `cat` echoes every frame, which makes it the identity model: each
// request comes back as a response with the same id and array.
func Example() {
	ctx := context.Background()
	p, err := child.Start(ctx, []string{"cat"}, child.Options{Inflight: 2})
	if err != nil {
		panic(err)
	}
	b := child.NewBatcher(ctx, p, 4, 10*time.Millisecond, nd.Uint16, []int{2, 2}, []int{100, 100})
	crop := nd.New[uint16]([]int{8, 8}, nd.C)
	crop.Set(42, 3, 5)
	res, err := b.Do(ctx, crop, []int{-2, -2})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Shape(), res.(*nd.Array[uint16]).At(3, 5))
	fmt.Println(p.Close())
	// Output:
	// [8 8] 42
	// <nil>
}
