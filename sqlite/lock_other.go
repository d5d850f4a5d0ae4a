//go:build !unix && !windows

package sqlite

import "os"

// lockFile opens path; without flock, nothing stops a second process
// (see the unix version for why one process owns a database).
func lockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}

// lockOpenFile does nothing without flock.
func lockOpenFile(*os.File) error { return nil }

// lockOpenFileShared does nothing without flock.
func lockOpenFileShared(*os.File) error { return nil }

// fileLocked knows nothing without flock.
func fileLocked(string) (bool, error) { return false, nil }
