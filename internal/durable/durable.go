// Package durable makes a new name in a directory survive a power cut:
// after a file is created, linked or renamed into place, SyncDir flushes the
// directory that holds the name. CreateBeside makes the file that becomes
// that name.
package durable

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SyncDir flushes the directory dir, so that the names created, linked or
// renamed in it so far survive a crash (syncDir, per platform).
func SyncDir(dir string) error { return syncDir(dir) }

// CreateBeside creates a new file in the directory of path, named
// ".BASE" + kind + ".*.tmp" (os.CreateTemp's pattern), for a file that
// becomes path by renaming or linking. Its error names path and the
// directory, not the temporary name nobody asked for: "cannot create
// /data/g.db in /data: permission denied".
func CreateBeside(path, kind string) (*os.File, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+kind+".*.tmp")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot create %s in %s: %w", path, dir, err)
	}
	return f, nil
}
