//go:build !linux

package store

import "os"

// syncFS flushes d itself, the portable part of Linux's syncfs; on these
// systems the values' own files are flushed by File.Sync on Put.
func syncFS(d *os.File) error { return d.Sync() }
