//go:build unix

package sqlite

import (
	"errors"
	"io/fs"
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
// meet; and they are the file's, whatever name opened it. Where the file
// system cannot flock this descriptor (NFS and SMB emulate flock with POSIX
// locks, which a read-only descriptor cannot take exclusively) the file
// goes unlocked, as before there was this lock: the lock beside its path
// (lockFile, on a descriptor open for writing) still holds.
func lockOpenFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrInUse
	}
	return nil
}

// lockOpenFileShared takes a shared flock on f, an open database file,
// for as long as it stays open, or fails with ErrInUse when a store holds
// it (lockOpenFile): a read that SQLite's own locks do not guard
// (openToRead). Where the file system cannot flock, the file goes
// unlocked, as lockOpenFile leaves it.
func lockOpenFileShared(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrInUse
	}
	return nil
}

// fileLocked reports whether the database file at path is locked by
// lockOpenFile: a store, of this process or another, has it open, under
// whichever name. Its probe's descriptor is closed before it returns,
// which drops the POSIX locks this process holds on the file: it is for
// where no connection of this process should have it open.
func fileLocked(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, store.Wrap(err)
	}
	defer f.Close() // releases the probe's lock
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	if err != nil {
		return false, store.Errorf("locking %s: %w", path, err)
	}
	return false, nil
}
