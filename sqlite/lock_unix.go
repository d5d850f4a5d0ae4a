//go:build unix

package sqlite

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on path (created if need be) for as long
// as the returned file stays open: one process at a time owns a database,
// because its read cache trusts that every write goes through it. The
// kernel releases the lock when the process ends, however it ends.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, store.Wrap(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrInUse
		}
		return nil, store.Errorf("locking %s: %w", path, err)
	}
	return f, nil
}

// lockOpenFile takes an exclusive flock on f, an open database file, for as
// long as it stays open, or fails with ErrInUse. flock's locks are apart
// from the POSIX locks SQLite takes on the same file, so they do not
// meet; and they are the file's, whatever name opened it.
func lockOpenFile(f *os.File) error {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return ErrInUse
		}
		return store.Errorf("locking %s: %w", f.Name(), err)
	}
	return nil
}
