package sqlite

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockFile takes an exclusive lock on path (created if need be) for as long
// as the returned file stays open: one process at a time owns a database,
// because its read cache trusts that every write goes through it. Windows
// releases the lock when the process ends, however it ends.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, store.Wrap(err)
	}
	// The file's first byte, which no one reads or writes: LockFileEx locks
	// a range of bytes, not the file.
	const flags = windows.LOCKFILE_EXCLUSIVE_LOCK | windows.LOCKFILE_FAIL_IMMEDIATELY
	if err := windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, new(windows.Overlapped)); err != nil {
		f.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			return nil, ErrInUse
		}
		return nil, store.Errorf("locking %s: %w", path, err)
	}
	return f, nil
}

// lockOpenFile does nothing on Windows: its locks are mandatory, and one on
// the database file's bytes would stop SQLite's own reads of them. A hard
// link there is left to the lock beside the path.
func lockOpenFile(*os.File) error { return nil }

// lockOpenFileShared does nothing on Windows, as lockOpenFile does not.
func lockOpenFileShared(*os.File) error { return nil }

// fileLocked knows nothing on Windows, where the database file itself is
// not locked (lockOpenFile).
func fileLocked(string) (bool, error) { return false, nil }
