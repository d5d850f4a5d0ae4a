//go:build unix

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/graphprofile/graphprofile/storetest"
)

// backupHelperEnv holds, for TestHelperProcessBackup, the database and the
// backup file, a line each.
const backupHelperEnv = "GRAPHPROFILE_SQLITE_BACKUP_HELPER"

// TestHelperProcessBackup is the child process of TestBackupFailsCleanly:
// it backs up a database with no room for the copy (its files may not grow
// past 64 KiB, RLIMIT_FSIZE, as on a full disk) and prints the outcome.
func TestHelperProcessBackup(t *testing.T) {
	args := os.Getenv(backupHelperEnv)
	if args == "" {
		t.Skip("the child process of TestBackupFailsCleanly")
	}
	path, dest, _ := strings.Cut(args, "\n")
	limit := &syscall.Rlimit{Cur: 64 << 10, Max: 64 << 10}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, limit); err != nil {
		fmt.Println("setrlimit:", err)
		os.Exit(3)
	}
	fmt.Println("backup:", Backup(context.Background(), path, dest))
	os.Exit(0)
}

// storeOfPositions opens a new store at path and gives adele 8 × each
// positions, made by 8 writers (so in a few commits), each with
// description (unless ""); it stops the test when one fails.
func storeOfPositions(t *testing.T, each int, description string) (path string, s *Store) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "graphprofile.db")
	s = openAt(t, path)
	u, err := s.EnsureUser(t.Context(), adele)
	if err != nil {
		t.Fatal(err)
	}
	owner := u.Key()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range each {
				it := storetest.Position(fmt.Sprintf("p%d-%03d", w, i), storetest.Created())
				if description != "" {
					it["description"] = description
				}
				if err := s.CreateItem(t.Context(), owner, workPositions, it, 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return path, s
}

// TestBackupFailsCleanly: a backup that fails midway (no room for the
// copy) leaves nothing behind: neither the file nor its temporary copy nor
// the copy's journal.
func TestBackupFailsCleanly(t *testing.T) {
	path, _ := storeOfPositions(t, 250, "") // well past 64 KiB, in a few commits
	backups := t.TempDir()
	dest := filepath.Join(backups, "backup.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessBackup$")
	cmd.Env = append(os.Environ(), backupHelperEnv+"="+path+"\n"+dest)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "backup: ") || strings.Contains(string(out), "backup: <nil>") {
		t.Fatalf("the helper: %v, %s; want a failed backup", err, out)
	}
	t.Logf("%s", out)
	entries, err := os.ReadDir(backups)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("a failed backup left %s", e.Name())
	}
}

// TestBackupCopyIsPrivateWhileWritten: the copy a backup writes is its
// owner's alone from its first byte, as the database is: SQLite made it
// 0644 under the usual umask, readable by any local user until its rename
// (and for good when the backup was killed midway).
func TestBackupCopyIsPrivateWhileWritten(t *testing.T) {
	path, _ := storeOfPositions(t, 500, strings.Repeat("x", 2000)) // megabytes: the copy takes a while
	backups := t.TempDir()
	dest := filepath.Join(backups, "backup.db")
	done := make(chan error, 1)
	go func() { done <- Backup(t.Context(), path, dest) }()
	seen := map[string]os.FileMode{}
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		default:
		}
		entries, _ := os.ReadDir(backups)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && e.Name() != "backup.db" {
				seen[e.Name()] = info.Mode()
			}
		}
	}
	if len(seen) == 0 {
		t.Fatal("the backup ended before its copy was seen")
	}
	for name, mode := range seen {
		if mode.Perm()&0o077 != 0 {
			t.Errorf("while the backup ran, %s had mode %v: readable by others", name, mode)
		}
	}
	if info, err := os.Stat(dest); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the backup: %v, %v; want mode 0600", info, err)
	}
	if entries, _ := os.ReadDir(backups); len(entries) != 1 {
		t.Errorf("after the backup: %v; want the backup alone", entries)
	}
}

// TestOneProcessOwnsTheDatabaseThroughAHardLink: a hard link is the same
// database file under another name, and SQLite keeps a second write-ahead
// log beside that name (SQLite's "multiple links" hazard): a second process
// opening it wrote commits into a log the server never reads, and they
// were gone at the next checkpoint (`users import` said it imported them).
// The database file itself is locked too, which its every name shares.
func TestOneProcessOwnsTheDatabaseThroughAHardLink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "y.db")
	s := openAt(t, path)
	owner := addPosition(t, s, "before")
	hard := filepath.Join(dir, "hard.db")
	if err := os.Link(path, hard); err != nil {
		t.Skip("no hard links here:", err)
	}
	if second, err := Open(t.Context(), hard); !errors.Is(err, ErrInUse) {
		t.Errorf("Open(%s), a hard link to %s, while that is open: %v, want ErrInUse", hard, path, err)
		if err == nil {
			second.Close()
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Closed, the database opens under its other name, and holds what was
	// written under the first.
	through := openAt(t, hard)
	if got := strings.Join(positionIDs(t, through, owner), ","); got != "before" {
		t.Errorf("positions through %s: %s, want before", hard, got)
	}
}

// TestBackupAndRestoreThroughAHardLinkToAServedDatabase: through a hard
// link SQLite reads the database file beside a write-ahead log of the
// link's name, not the server's: a backup through it missed the commits in
// the server's log, and could copy a checkpoint half done; restore copied
// the file alone as it was written, or put a file in the link's place
// while the server went on serving the old one. Each is refused; a backup
// through the name the server serves works.
func TestBackupAndRestoreThroughAHardLinkToAServedDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "y.db")
	s := openAt(t, path)
	addPosition(t, s, "served")
	hard := filepath.Join(dir, "hard.db")
	if err := os.Link(path, hard); err != nil {
		t.Skip("no hard links here:", err)
	}
	copyThrough := filepath.Join(dir, "through-link.db")
	if err := Backup(t.Context(), hard, copyThrough); err == nil || !strings.Contains(err.Error(), "another name") {
		t.Errorf("Backup(%s), a hard link to a served database: %v, want a refusal: served under another name", hard, err)
	}
	if _, err := os.Stat(copyThrough); err == nil {
		t.Errorf("a refused backup wrote %s", copyThrough)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := Backup(t.Context(), path, backup); err != nil {
		t.Fatalf("Backup(%s), the name it is served by: %v", path, err)
	}
	other := filepath.Join(dir, "other.db")
	if err := Restore(t.Context(), other, hard); err == nil || !strings.Contains(err.Error(), "another name") {
		t.Errorf("Restore(%s) from %s, a hard link to a served database: %v, want a refusal: served under another name", other, hard, err)
	}
	if err := Restore(t.Context(), hard, backup); !errors.Is(err, ErrInUse) {
		t.Errorf("Restore(%s), a hard link to a served database: %v, want ErrInUse", hard, err)
	}
	if a, errA := os.Stat(path); errA == nil {
		if b, errB := os.Stat(hard); errB != nil || !os.SameFile(a, b) {
			t.Errorf("%s is no longer a name of the served %s", hard, path)
		}
	}
}
