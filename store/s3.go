package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 is a Store in an S3 (or S3-compatible) bucket under a key prefix.
// Every object PUT is atomic on S3, so readers never see a torn value.
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string // "" or ending in "/"
	// MaxBytes bounds one object read (default DefaultS3MaxBytes, 4 GiB).
	MaxBytes int64
}

// S3Options configure NewS3. Empty credentials are taken from the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN), then from the instance's IAM role.
type S3Options struct {
	AccessKey, SecretKey, SessionToken string
	// Insecure uses http:// instead of https://.
	Insecure bool
	// Region, when set, skips the bucket-location lookup.
	Region string
	// PathStyle addresses the bucket as endpoint/bucket rather than as
	// bucket.endpoint (needed by MinIO and most non-AWS servers).
	PathStyle bool
	// Transport replaces the default HTTP transport (tests).
	Transport http.RoundTripper
}

// NewS3 returns a store for bucket at endpoint ("s3.amazonaws.com",
// "minio.local:9000"), with keys under prefix. It sends no request: a
// missing bucket or bad credentials show up in the first operation's
// error. ctx is kept for credential providers that will need one.
func NewS3(_ context.Context, endpoint, bucket, prefix string, o S3Options) (*S3, error) {
	var creds *credentials.Credentials
	if o.AccessKey != "" {
		creds = credentials.NewStaticV4(o.AccessKey, o.SecretKey, o.SessionToken)
	} else {
		creds = credentials.NewChainCredentials([]credentials.Provider{&credentials.EnvAWS{}, &credentials.EnvMinio{}, &credentials.IAM{}})
	}
	lookup := minio.BucketLookupAuto
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(endpoint, &minio.Options{Creds: creds, Secure: !o.Insecure, Region: o.Region, BucketLookup: lookup, Transport: o.Transport})
	if err != nil {
		return nil, fmt.Errorf("store: S3 endpoint %q: %w", endpoint, err)
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &S3{c: c, bucket: bucket, prefix: prefix, MaxBytes: DefaultS3MaxBytes}, nil
}

var _ Store = (*S3)(nil)

func (s *S3) name(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return s.prefix + key, nil
}

func (s *S3) wrap(key string, err error) error {
	var r minio.ErrorResponse
	if errors.As(err, &r) && r.Code != "NoSuchBucket" && (r.Code == "NoSuchKey" || r.StatusCode == http.StatusNotFound) {
		return fmt.Errorf("%w: %q (s3://%s/%s%s)", ErrNotFound, key, s.bucket, s.prefix, key)
	}
	return fmt.Errorf("store: s3://%s/%s%s: %w", s.bucket, s.prefix, key, err)
}

func (s *S3) read(ctx context.Context, key string, opt minio.GetObjectOptions) ([]byte, error) {
	name, err := s.name(key)
	if err != nil {
		return nil, err
	}
	obj, err := s.c.GetObject(ctx, s.bucket, name, opt)
	if err != nil {
		return nil, s.wrap(key, err)
	}
	defer obj.Close()
	limit := s.MaxBytes
	if limit <= 0 {
		limit = DefaultS3MaxBytes
	}
	b, err := io.ReadAll(io.LimitReader(obj, limit+1))
	if err != nil {
		var r minio.ErrorResponse
		if errors.As(err, &r) && r.Code == "InvalidRange" {
			return []byte{}, nil
		}
		return nil, s.wrap(key, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("store: s3 object %q exceeds the %d-byte limit", key, limit)
	}
	return b, nil
}

// Get implements [Store].
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	return s.read(ctx, key, minio.GetObjectOptions{})
}

// GetRange implements [Store].
func (s *S3) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if off < 0 {
		return nil, fmt.Errorf("store: negative offset %d for %q", off, key)
	}
	if n == 0 {
		if _, err := s.name(key); err != nil {
			return nil, err
		}
		return []byte{}, nil
	}
	if n > math.MaxInt64-off {
		n = -1 // to the end
	}
	var opt minio.GetObjectOptions
	end := int64(0)
	if n > 0 {
		end = off + n - 1
	}
	if off > 0 || n > 0 {
		if err := opt.SetRange(off, end); err != nil {
			return nil, err
		}
	}
	return s.read(ctx, key, opt)
}

// GetSuffix implements [Store].
func (s *S3) GetSuffix(ctx context.Context, key string, n int64) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("store: negative suffix length %d for %q", n, key)
	}
	if n == 0 {
		if _, err := s.name(key); err != nil {
			return nil, err
		}
		return []byte{}, nil
	}
	var opt minio.GetObjectOptions
	if err := opt.SetRange(0, -n); err != nil {
		return nil, err
	}
	b, err := s.read(ctx, key, opt)
	if err == nil && len(b) == 0 {
		// Some servers refuse a suffix longer than the object (416)
		// instead of sending all of it; fetch all of it then.
		b, err = s.Get(ctx, key)
		if err == nil && int64(len(b)) > n {
			b = b[int64(len(b))-n:]
		}
	}
	return b, err
}

// Put implements [Store].
func (s *S3) Put(ctx context.Context, key string, value []byte) error {
	name, err := s.name(key)
	if err != nil {
		return err
	}
	// An empty value goes unsigned: minio-go's streaming signature would
	// send it chunked, without the Content-Length S3 requires.
	_, err = s.c.PutObject(ctx, s.bucket, name, bytes.NewReader(value), int64(len(value)), minio.PutObjectOptions{ContentType: "application/octet-stream", DisableContentSha256: len(value) == 0})
	if err != nil {
		return s.wrap(key, err)
	}
	return nil
}

// Delete implements [Store].
func (s *S3) Delete(ctx context.Context, key string) error {
	name, err := s.name(key)
	if err != nil {
		return err
	}
	if err := s.c.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil {
		return s.wrap(key, err)
	}
	return nil
}

// List implements [Store].
func (s *S3) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	for o := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("store: listing s3://%s/%s%s: %w", s.bucket, s.prefix, prefix, o.Err)
		}
		keys = append(keys, strings.TrimPrefix(o.Key, s.prefix))
	}
	sort.Strings(keys)
	return keys, nil
}

// DefaultS3MaxBytes is the object size cap of an S3 store whose MaxBytes
// is not positive.
const DefaultS3MaxBytes = 4 << 30

// envOr returns the first non-empty environment variable of names.
func envOr(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}
