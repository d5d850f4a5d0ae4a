package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestBackupOfADatabaseAtRestOnAReadOnlyMount: a database a server left
// cleanly (no log beside it) on a file system mounted read-only is
// backed up, and so exported, as docs/fixtures.md says a read-only
// database is: SQLite cannot make the shared-memory index reading a WAL
// database needs there, and refused to open it ("unable to open database
// file"). TestOpenReadOnly checks a read-only directory; root may write
// one, so as root a read-only bind mount stands for it.
func TestBackupOfADatabaseAtRestOnAReadOnlyMount(t *testing.T) {
	_, readOnly := atRestOnAReadOnlyMount(t)
	copied := filepath.Join(t.TempDir(), "copy.db")
	if err := Backup(t.Context(), readOnly, copied); err != nil {
		t.Fatalf("Backup of a database at rest on a read-only mount: %v", err)
	}
	c := openAt(t, copied)
	if _, err := c.FindUser(t.Context(), adele.TenantID, adele.ID); err != nil {
		t.Errorf("reading the copy: %v", err)
	}
}

// TestNoServerStartsOnADatabaseReadAsImmutable: a database read as an
// immutable file (no log beside it, on a read-only mount) is read with no
// lock SQLite would see, so a server starting on it meanwhile (through a
// writable mount of the same directory: a backup sidecar) would change
// the pages the copy reads, and the copy mix two states. The reader holds
// the file (flock, shared) until it is done: the store cannot open it
// meanwhile (ErrInUse), and can once the reader is done.
func TestNoServerStartsOnADatabaseReadAsImmutable(t *testing.T) {
	path, readOnly := atRestOnAReadOnlyMount(t)
	db, done, err := openToRead(t.Context(), readOnly)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM users").Scan(&n); err != nil || n != 1 {
		t.Fatalf("reading as immutable: %d users, %v", n, err)
	}
	if s, err := Open(t.Context(), path); !errors.Is(err, ErrInUse) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("Open on the writable path while the database is read as immutable: %v, want ErrInUse", err)
	}
	if err := done(); err != nil {
		t.Fatal(err)
	}
	openAt(t, path) // and once the read is done, it opens
}

// atRestOnAReadOnlyMount makes a database holding adele that a store left
// cleanly (no log beside it) at path, and returns path and the path of the
// same file through a read-only bind mount of its directory. It skips the
// test where it cannot mount (not root, or no bind mounts).
func atRestOnAReadOnlyMount(t *testing.T) (path, readOnly string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a bind mount needs root; TestOpenReadOnly covers a read-only directory")
	}
	dir := t.TempDir()
	path = filepath.Join(dir, "graphprofile.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureUser(t.Context(), adele); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("the log stayed after a clean close")
	}
	mounted := t.TempDir()
	if err := syscall.Mount(dir, mounted, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("no bind mount here: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mounted, 0) })
	if err := syscall.Mount("", mounted, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("no read-only remount here: %v", err)
	}
	return path, filepath.Join(mounted, "graphprofile.db")
}
