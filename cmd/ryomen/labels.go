package main

import (
	"context"

	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/store"
)

// readLabels lists the label images of the image at p.
func readLabels(ctx context.Context, st store.Store, p string) ([]string, error) {
	img, err := ome.Read(ctx, st, joinKey(p, "labels"))
	if err != nil {
		return nil, err
	}
	return img.Labels, nil
}
