//go:build unix

package sqlite

import (
	"os"
	"path/filepath"
	"syscall"
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

// TestRestoreKeepsTheOwner: a restore run as root (sudo, a host's
// script) leaves the database its owner's, the user the server runs as:
// the copy put in its place was root's, mode 0600, and the server could
// no longer open it ("permission denied").
func TestRestoreKeepsTheOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user takes root")
	}
	dir := t.TempDir()
	target, _ := restoreTarget(t, dir)
	const uid, gid = 65532, 65533
	for _, name := range []string{target, target + "-lock"} {
		if err := os.Chown(name, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	from := filepath.Join(dir, "from.db")
	s := openAt(t, from)
	addPosition(t, s, "restored")
	s.Close()
	if err := Restore(t.Context(), target, from); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Sys().(*syscall.Stat_t)
	if st.Uid != uid || st.Gid != gid || info.Mode().Perm() != 0o600 {
		t.Errorf("the restored database is %d:%d, mode %v; want the replaced one's owner %d:%d, mode 0600", st.Uid, st.Gid, info.Mode().Perm(), uid, gid)
	}
}
