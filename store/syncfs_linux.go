package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFS flushes the file system holding d (syncfs(2)).
func syncFS(d *os.File) error { return unix.Syncfs(int(d.Fd())) }
