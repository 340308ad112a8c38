// Package store defines the key-value [Store] that every ryomen format reads
// chunks from and writes chunks to, with in-memory, file, HTTP and S3
// backends.
//
// # Keys
//
// Keys are '/'-separated paths relative to the store's root, without a
// leading slash ("raw/0/c/0/1/2"). A key has no empty, "." or ".."
// segments and no backslash; [CheckKey] states the rule and every backend
// applies it, failing with an error that names the key. A [File] store
// also refuses segments starting ".tmp-", the names of its temporary
// files.
//
// # Backends
//
//   - [Memory] (NewMemory): a map; values are copied in and out.
//   - [File] (NewFile(dir)): key "a/b" is the file dir/a/b. Put writes a
//     temporary file beside the target and renames it into place, so a
//     crash never leaves a torn value under a key; File.Sync adds fsync.
//     GetRange and GetSuffix read only the bytes asked for.
//   - [HTTP] (NewHTTP(baseURL, client)): read-only; ranges use the Range
//     header; 404 and 403 are [ErrNotFound]; writes fail with
//     [ErrReadOnly]; List is unsupported.
//   - [S3] (NewS3(ctx, endpoint, bucket, prefix, S3Options)): any
//     S3-compatible server through minio-go; NoSuchKey is [ErrNotFound].
//
// [Open] picks one from a path or URL (a plain path, file:///abs,
// http(s)://, s3://bucket/prefix, mem://). Package storetest holds the
// conformance suite every backend passes.
//
// Ranges follow HTTP: a range past the end of a value is cut to the value
// (possibly to nothing), and a suffix longer than the value is the whole
// value. Negative offsets and suffix lengths are errors.
//
// # Security considerations
//
// Keys often come from files a stranger wrote (a Zarr array's metadata,
// a shard index), so:
//
//   - A File store never reaches outside its directory through a key:
//     absolute keys and "." and ".." segments are refused before any
//     path is built. (Symbolic links already inside the directory are
//     followed, as any program reading the directory would.)
//   - An HTTP store reads at most MaxBytes (default 1 GiB,
//     [DefaultHTTPMaxBytes]) of one response, announced or streamed, and
//     grows its buffer with the data rather than trusting Content-Length.
//     A range answered with the whole value (status 200) is read only as
//     far as the range needs; a 206 whose Content-Range does not start
//     where asked is an error. A key redirected to a directory ("a" to
//     "a/", as file servers do before listing it) is ErrNotFound, never
//     the listing's HTML. With no client given, NewHTTP waits at most a
//     minute for a response's headers.
//   - An S3 store reads at most MaxBytes (default 4 GiB,
//     [DefaultS3MaxBytes]) of one object.
//
// Errors wrap [ErrNotFound] or [ErrReadOnly] where they apply (test with
// errors.Is) and name the key and, for files, the path.
package store
