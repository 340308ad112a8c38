package store

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// Open returns the store a location names:
//
//	/data/img.zarr, ./img.zarr, file:///data/img.zarr   File
//	http://host/img.zarr, https://...                   HTTP (read-only)
//	s3://bucket/prefix                                  S3
//	mem://                                              a new Memory
//
// For s3:// the endpoint is AWS_ENDPOINT_URL (or S3_ENDPOINT) when set,
// e.g. http://minio:9000 (path-style addressing, http allowed), else
// s3.amazonaws.com; the region is AWS_REGION when set.
func Open(ctx context.Context, loc string) (Store, error) {
	switch {
	case strings.HasPrefix(loc, "mem://"):
		return NewMemory(), nil
	case strings.HasPrefix(loc, "http://"), strings.HasPrefix(loc, "https://"):
		return NewHTTP(loc, nil), nil
	case strings.HasPrefix(loc, "file://"):
		u, err := url.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("store: location %q: %w", loc, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("store: location %q: file URLs name a local path (file:///abs/path)", loc)
		}
		if u.Path == "" {
			return nil, fmt.Errorf("store: location %q: no path", loc)
		}
		return NewFile(filepath.FromSlash(u.Path)), nil
	case strings.HasPrefix(loc, "s3://"):
		u, err := url.Parse(loc)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("store: location %q: want s3://bucket/prefix", loc)
		}
		o := S3Options{Region: envOr("AWS_REGION", "AWS_DEFAULT_REGION")}
		endpoint := "s3.amazonaws.com"
		if ep := envOr("AWS_ENDPOINT_URL", "S3_ENDPOINT"); ep != "" {
			eu, err := url.Parse(ep)
			if err != nil || eu.Host == "" {
				return nil, fmt.Errorf("store: endpoint %q: want a URL such as http://minio:9000", ep)
			}
			endpoint, o.Insecure, o.PathStyle = eu.Host, eu.Scheme == "http", true
		}
		return NewS3(ctx, endpoint, u.Host, u.Path, o)
	case strings.Contains(loc, "://"):
		return nil, fmt.Errorf("store: location %q: unknown scheme (want a path, file://, http(s)://, s3:// or mem://)", loc)
	}
	return NewFile(loc), nil
}
