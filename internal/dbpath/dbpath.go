// Package dbpath names an SQLite database's file as SQLite opens it, so
// that every command and the load generator find the files kept beside it
// (its log, its lock, the development key) under one name, whatever link
// they were given.
package dbpath

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Real is the absolute path of the database file that path names,
// links followed: the file SQLite opens, beside which it keeps its -wal and
// -shm, and beside which the lock (one process owns a database), a
// restored copy and the server's own files (its development key and TLS
// files) belong. Named after a link instead, a second lock let two
// processes open one database. A path that does not exist yet is its
// directory's real path and its name; a link to a file that does not exist
// yet is followed to that file (SQLite creates it there). A path that
// cannot be resolved (a loop of links, a directory this process may not
// search, what Windows cannot resolve) is its absolute path, for opening
// it to fail or succeed as it did before links were followed.
func Real(path string) (string, error) {
	given, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	abs := given
	// As many links as Linux follows (ELOOP).
	for range 40 {
		real, err := filepath.EvalSymlinks(abs)
		if err == nil {
			return real, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return given, nil
		}
		target, err := os.Readlink(abs)
		if err != nil {
			// No such file (yet): its directory's real path. A directory
			// that does not exist is left as given, for the caller's
			// error to name.
			dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
			if err != nil {
				return abs, nil
			}
			return filepath.Join(dir, filepath.Base(abs)), nil
		}
		// A link to nothing: followed, relative to its directory.
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(abs), target)
		}
		abs = filepath.Clean(target)
	}
	return given, nil
}
