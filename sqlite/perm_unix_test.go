//go:build unix

package sqlite

import (
	"os"
	"testing"
)

// TestNewDatabaseFilesAreTheOwnersAlone: a new database, its write-ahead
// log and its shared memory are readable by their owner alone, as backups,
// exports and the signing key are: they hold every profile, items shown
// only to their owner included. SQLite made them 0644 under the usual
// umask of 022, for any local user to read.
func TestNewDatabaseFilesAreTheOwnersAlone(t *testing.T) {
	path := t.TempDir() + "/new.db"
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, name := range []string{path, path + "-wal", path + "-shm", path + "-lock"} {
		info, err := os.Stat(name)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v; want no access but its owner's", name, perm)
		}
	}
}
