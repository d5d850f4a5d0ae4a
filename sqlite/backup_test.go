package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/migrations"
	"github.com/graphprofile/graphprofile/storetest"
)

// addPosition records Adele in s, gives her the position id and returns
// her key.
func addPosition(t *testing.T, s *Store, id string) graphprofile.UserKey {
	t.Helper()
	u, err := s.EnsureUser(t.Context(), storetest.Adele())
	if err != nil {
		t.Fatal(err)
	}
	owner := graphprofile.UserKey{TenantID: u.TenantID, UserID: u.ID}
	if err := s.CreateItem(t.Context(), owner, workPositions, storetest.Position(id, storetest.Created()), 0); err != nil {
		t.Fatal(err)
	}
	return owner
}

// positionIDs returns the ids of the positions of owner in s.
func positionIDs(t *testing.T, s *Store, owner graphprofile.UserKey) []string {
	t.Helper()
	var ids []string
	err := s.ScanItems(t.Context(), owner, workPositions, graphprofile.OldestFirst, nil, func(it graphprofile.Item) (bool, error) {
		ids = append(ids, it.ID())
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// wantNoTemporaryFiles fails t when Backup or Restore left a temporary
// file (theirs begin with a dot) in dir.
func wantNoTemporaryFiles(t *testing.T, dir string) {
	t.Helper()
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// TestBackupAndRestore: a backup of an open store holds what it held, and
// restoring it brings back exactly that, over later writes and their
// write-ahead log; what backup and restore refuse, they refuse before
// touching anything.
func TestBackupAndRestore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "graphprofile.db")
	s := openAt(t, path)
	var owner graphprofile.UserKey
	for i := range 3 {
		owner = addPosition(t, s, fmt.Sprint("before-", i))
	}

	backup := filepath.Join(dir, "backup.db")
	if err := Backup(t.Context(), path, backup); err != nil {
		t.Fatalf("Backup of a store in use: %v", err)
	}
	if err := Backup(t.Context(), path, backup); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("Backup over an existing file: %v, want a refusal", err)
	}
	if err := Backup(t.Context(), filepath.Join(dir, "none.db"), filepath.Join(dir, "b2.db")); err == nil {
		t.Error("Backup of a database that does not exist succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Backup of a missing database created it: %v", err)
	}
	addPosition(t, s, "after")

	if err := Restore(t.Context(), path, backup); !errors.Is(err, ErrInUse) {
		t.Errorf("Restore while the store is open: %v, want ErrInUse", err)
	}
	s.Close()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte("not a database, not at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Restore(t.Context(), path, garbage); err == nil || errors.Is(err, ErrInUse) || errors.Is(err, graphprofile.ErrNewerSchema) {
		t.Errorf("Restore of a file that is no database: %v, want its own refusal", err)
	}
	// Refused before touching anything: the database is the one it was.
	kept := openAt(t, path)
	if got, want := strings.Join(positionIDs(t, kept, owner), ","), "after,before-0,before-1,before-2"; got != want { // one createdDateTime: by id
		t.Errorf("positions after a refused Restore: %s, want %s", got, want)
	}
	kept.Close()
	if err := Restore(t.Context(), path, backup); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	wantNoTemporaryFiles(t, dir)

	restored := openAt(t, path)
	if got, want := strings.Join(positionIDs(t, restored, owner), ","), "before-0,before-1,before-2"; got != want {
		t.Errorf("positions after Restore: %s, want %s", got, want)
	}
	// The backup itself is untouched and opens as a store too.
	copied := openAt(t, backup)
	if got := len(positionIDs(t, copied, owner)); got != 3 {
		t.Errorf("the backup holds %d positions, want 3", got)
	}
}

// TestRestoreRefusesNewerSchema: a backup that a newer graphprofile made
// (its schema at a version this binary does not know) is refused before
// the database is replaced, with ErrNewerSchema: replaced, the database
// that served would be gone and its copy one this binary cannot open.
func TestRestoreRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "graphprofile.db")
	s := openAt(t, path)
	owner := addPosition(t, s, "kept")
	newer := filepath.Join(dir, "newer.db")
	if err := Backup(t.Context(), path, newer); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	v := migrations.Latest(ms) + 1
	db := openRawDB(t, newer)
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, '2999-01-01T00:00:00Z')`, v); err != nil {
		db.Close()
		t.Fatal(err)
	}
	db.Close()

	err = Restore(t.Context(), path, newer)
	storetest.WantNewerSchema(t, err, v)
	wantNoTemporaryFiles(t, dir)
	kept := openAt(t, path)
	if got := strings.Join(positionIDs(t, kept, owner), ","); got != "kept" {
		t.Errorf("positions after the refused restore: %s, want kept", got)
	}
}

// TestBackupRefusesWhatRestoreRefuses: a file that is no graphprofile
// database (empty: SQLite takes it for an empty database; another
// program's database) is refused by Backup, as Restore would refuse the
// copy: a backup that cannot be restored is found out when it is needed.
func TestBackupRefusesWhatRestoreRefuses(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.db")
	db := openRawDB(t, other)
	if _, err := db.Exec(`CREATE TABLE notes (body TEXT)`); err != nil {
		db.Close()
		t.Fatal(err)
	}
	db.Close()
	for _, path := range []string{empty, other} {
		dest := path + ".bak"
		err := Backup(t.Context(), path, dest)
		if err == nil || !strings.Contains(err.Error(), "not a graphprofile database") {
			t.Errorf("Backup of %s: %v, want it refused as not a graphprofile database", filepath.Base(path), err)
		}
		if _, err := os.Stat(dest); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Backup of %s left %s (%v)", filepath.Base(path), filepath.Base(dest), err)
		}
	}
	wantNoTemporaryFiles(t, dir)
}

// TestOneProcessOwnsTheDatabaseThroughALink: a link to the database names
// the same database, which SQLite follows (its -wal and -shm sit beside
// the file the link names): the lock is the file's too. Named after the
// link, link.db-lock, a second server opened the database beside the first
// (each cache blind to the other's writes), Restore through the link ran
// under a server and put a new file in the link's place, and the
// write-ahead log's size was read from link.db-wal, which is never there.
func TestOneProcessOwnsTheDatabaseThroughALink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "y.db")
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink("y.db", link); err != nil {
		t.Skip("no links here:", err)
	}
	s := openAt(t, path)
	if second, err := Open(t.Context(), link); !errors.Is(err, ErrInUse) {
		t.Errorf("Open(%s) while %s is open: %v, want ErrInUse", link, path, err)
		if err == nil {
			second.Close()
		}
	}
	owner := addPosition(t, s, "before")
	backup := filepath.Join(dir, "backup.db")
	if err := Backup(t.Context(), link, backup); err != nil {
		t.Fatalf("Backup through %s: %v", link, err)
	}
	if err := Restore(t.Context(), link, backup); !errors.Is(err, ErrInUse) {
		t.Errorf("Restore(%s) while %s is open: %v, want ErrInUse", link, path, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	through := openAt(t, link)
	if err := through.CreateItem(t.Context(), owner, workPositions, storetest.Position("after", storetest.Created()), 0); err != nil {
		t.Fatal(err)
	}
	if through.walSize() == 0 {
		t.Errorf("opened through %s, after a write the write-ahead log is empty or not found", link)
	}
	if second, err := Open(t.Context(), path); !errors.Is(err, ErrInUse) {
		t.Errorf("Open(%s) while %s is open: %v, want ErrInUse", path, link, err)
		if err == nil {
			second.Close()
		}
	}
	if err := through.Close(); err != nil {
		t.Fatal(err)
	}
	if err := Restore(t.Context(), link, backup); err != nil {
		t.Fatalf("Restore(%s): %v", link, err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("Restore replaced the link %s: %v", link, err)
	}
	restored := openAt(t, path)
	if got := strings.Join(positionIDs(t, restored, owner), ","); got != "before" {
		t.Errorf("positions of %s after Restore(%s): %s, want before", path, link, got)
	}
	if _, err := os.Lstat(link + "-lock"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s-lock: %v, want none (the lock is %s-lock)", link, err, path)
	}

	// A link to a file that does not exist yet: SQLite creates the file it
	// names, so the lock goes beside that one too.
	dangling := filepath.Join(dir, "next.db")
	if err := os.Symlink("new.db", dangling); err != nil {
		t.Fatal(err)
	}
	openAt(t, dangling)
	if second, err := Open(t.Context(), filepath.Join(dir, "new.db")); !errors.Is(err, ErrInUse) {
		t.Errorf("Open(new.db) while %s (a link to it, new) is open: %v, want ErrInUse", dangling, err)
		if err == nil {
			second.Close()
		}
	}
	if _, err := os.Lstat(dangling + "-lock"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s-lock: %v, want none", dangling, err)
	}
}

// TestWritesRefusedWhenTheDatabaseFileIsGone: with the database file
// removed or replaced under the store, its connections still write the
// file they opened, which the next start no longer finds: every write
// acknowledged then would be lost. Such writes fail as the store being
// unavailable (503 with Retry-After), and none of them is kept; with the
// file back, writes go on.
func TestWritesRefusedWhenTheDatabaseFileIsGone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "graphprofile.db")
	s := openAt(t, path)
	owner := addPosition(t, s, "before")
	if err := os.Rename(path, path+".moved"); err != nil {
		t.Fatal(err)
	}
	for _, replaced := range []bool{false, true} {
		if replaced {
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		err := s.CreateItem(t.Context(), owner, workPositions, storetest.Position(fmt.Sprintf("lost-%v", replaced), storetest.Created()), 0)
		if !errors.Is(err, graphprofile.ErrUnavailable) {
			t.Errorf("a create with the database file gone (replaced %v): %v, want ErrUnavailable", replaced, err)
		}
	}
	if err := os.Rename(path+".moved", path); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateItem(t.Context(), owner, workPositions, storetest.Position("after", storetest.Created()), 0); err != nil {
		t.Fatalf("a create with the database file back: %v", err)
	}
	wantBeforeAndAfter(t, s, path, owner)
}

// TestWritesRefusedWhenTheWriteAheadLogIsGone: with the write-ahead log
// (<database>-wal) removed under the store, its connections still commit
// into the log they opened, which the next start no longer finds: writes
// acknowledged and not yet copied into the database were lost at a kill
// -9, with /readyz saying ok. Such writes fail as the store being
// unavailable, and Ping says why; with the log back, writes go on.
func TestWritesRefusedWhenTheWriteAheadLogIsGone(t *testing.T) {
	// Another file renamed over the log (not removed: a file is there) is
	// no log of the store's either.
	for _, tc := range []struct {
		name        string
		putInItsWay bool
	}{{"the write-ahead log gone", false}, {"another file as the write-ahead log", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "graphprofile.db")
			s := openAt(t, path)
			owner := addPosition(t, s, "before")
			wal := path + "-wal"
			if err := os.Rename(wal, wal+".moved"); err != nil {
				t.Fatal(err)
			}
			if tc.putInItsWay {
				if err := os.WriteFile(wal, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := s.CreateItem(t.Context(), owner, workPositions, storetest.Position("lost", storetest.Created()), 0)
			if !errors.Is(err, graphprofile.ErrUnavailable) || !strings.Contains(err.Error(), "-wal") {
				t.Errorf("a create with %s: %v, want ErrUnavailable naming the log", tc.name, err)
			}
			if err := s.Ping(t.Context()); !errors.Is(err, graphprofile.ErrUnavailable) {
				t.Errorf("Ping with %s: %v, want ErrUnavailable", tc.name, err)
			}
			if err := os.Rename(wal+".moved", wal); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateItem(t.Context(), owner, workPositions, storetest.Position("after", storetest.Created()), 0); err != nil {
				t.Fatalf("a create with the log back: %v", err)
			}
			wantBeforeAndAfter(t, s, path, owner)
		})
	}
}

// restoreTarget makes dir/target.db, a closed store holding one position,
// "the-target's", for a restore to refuse to replace; it returns its path
// and the position's owner.
func restoreTarget(t *testing.T, dir string) (string, graphprofile.UserKey) {
	t.Helper()
	target := filepath.Join(dir, "target.db")
	ts := openAt(t, target)
	defer ts.Close()
	return target, addPosition(t, ts, "the-target's")
}

// TestRestoreRefusesADatabaseWithItsLog: a database whose latest commits
// are still in its write-ahead log (a server's, running or killed) is no
// copy for restore, which copies the file alone: restored onto another
// store, or onto itself, those commits were lost (onto itself, its log was
// removed as the replaced database's). It is refused, and nothing changes.
func TestRestoreRefusesADatabaseWithItsLog(t *testing.T) {
	dir := t.TempDir()
	target, targetOwner := restoreTarget(t, dir)

	// The first commit is in the file (a clean stop folds the log in),
	// the second in the log only.
	live := filepath.Join(dir, "live.db")
	first := openAt(t, live)
	addPosition(t, first, "in-the-file")
	first.Close()
	s := openAt(t, live)
	owner := addPosition(t, s, "in-the-log")
	if st, err := os.Stat(live + "-wal"); err != nil || st.Size() == 0 {
		t.Fatalf("the open store's log: %v, want one holding its commit", err)
	}
	// A killed server's database: the file and its log as kill -9 leaves
	// them, with no process holding it.
	crashed := filepath.Join(dir, "crashed.db")
	for _, suffix := range []string{"", "-wal"} {
		if err := copyFile(live+suffix, crashed+suffix); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct{ name, path, from string }{
		{"a store in use, onto another", target, live},
		{"a killed server's, onto another", target, crashed},
		{"a killed server's, onto itself", crashed, crashed},
	} {
		err := Restore(t.Context(), tc.path, tc.from)
		if err == nil || !strings.Contains(err.Error(), "write-ahead log") || !strings.Contains(err.Error(), "graphprofile backup") {
			t.Errorf("%s: Restore = %v, want a refusal naming its write-ahead log and backup", tc.name, err)
		}
	}
	wantNoTemporaryFiles(t, dir)
	if got := strings.Join(positionIDs(t, openAt(t, target), targetOwner), ","); got != "the-target's" {
		t.Errorf("the target after the refusals holds %q, want the-target's", got)
	}
	if got := strings.Join(positionIDs(t, openAt(t, crashed), owner), ","); got != "in-the-file,in-the-log" {
		t.Errorf("the killed server's database after the refusal holds %q, want in-the-file,in-the-log", got)
	}
}

// TestRestoreRefusesADatabaseWithItsJournal: a backup is in rollback mode
// (no write-ahead log), and a program that changes it (the sqlite3 shell,
// fixing a user before a restore) writes the pages of its transaction into
// the file before it commits, once its cache is full, keeping their old
// contents in the file's -journal. While that transaction is open, or after
// the program was killed in it (a hot journal, which SQLite rolls back on
// the next open), the file alone holds writes that were never committed,
// and restore, which copies the file alone, restored them (quick_check
// finds nothing wrong in documents half rewritten). It is refused, naming
// the journal, and nothing changes.
func TestRestoreRefusesADatabaseWithItsJournal(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	s := openAt(t, live)
	users := make([]graphprofile.User, 3000)
	for i := range users {
		users[i] = graphprofile.User{ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i),
			UserPrincipalName: fmt.Sprintf("user%d@contoso.test", i), DisplayName: fmt.Sprintf("Committed %06d", i)}
	}
	if err := s.ImportUsers(t.Context(), storetest.Adele().TenantID, users); err != nil {
		t.Fatal(err)
	}
	s.Close()
	from := filepath.Join(dir, "backup.db")
	if err := Backup(t.Context(), live, from); err != nil {
		t.Fatal(err)
	}

	// The shell's transaction, its cache a few pages: most of its pages
	// are in the file before it commits.
	shell := openDB(from, connConfig{pragmas: []pragmaSetting{{"cache_size", "4"}}}, 1)
	defer shell.Close()
	tx, err := shell.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`UPDATE users SET document = replace(document, 'Committed', 'Uncommitt')`); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(from + "-journal"); err != nil || st.Size() == 0 {
		t.Fatalf("the shell's journal: %v, want one holding the old pages", err)
	}

	target, targetOwner := restoreTarget(t, dir)
	err = Restore(t.Context(), target, from)
	if err == nil || !strings.Contains(err.Error(), "journal") {
		t.Errorf("Restore = %v, want a refusal naming the journal", err)
	}
	restored := openAt(t, target)
	if u, err := restored.FindUser(t.Context(), storetest.Adele().TenantID, users[0].UserPrincipalName); err == nil {
		t.Errorf("the target after the refusal is the copy: its first user is %q", u.DisplayName)
	} else if got := strings.Join(positionIDs(t, restored, targetOwner), ","); got != "the-target's" {
		t.Errorf("the target after the refusal holds positions %q, want the-target's", got)
	}
	restored.Close()
	wantNoTemporaryFiles(t, dir)
}

// TestRestoreRefusesADatabaseAServerHasOpen: a server's database is no copy
// to restore from even when its write-ahead log is empty, as it is once
// writes pause (walIdle): the server's checkpoints copy its next writes
// into the file every 50 ms, so a copy of the file alone, made while it
// writes, may hold some of a commit's pages and not others. It is refused,
// naming backup, and nothing changes.
func TestRestoreRefusesADatabaseAServerHasOpen(t *testing.T) {
	dir := t.TempDir()
	target, targetOwner := restoreTarget(t, dir)

	live := filepath.Join(dir, "live.db")
	s := openAt(t, live)
	defer s.Close()
	addPosition(t, s, "served")
	deadline := time.Now().Add(10 * walIdle)
	for {
		st, err := os.Stat(live + "-wal")
		if err == nil && st.Size() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the idle server's log: %v, want it emptied", err)
		}
		time.Sleep(walIdle / 10)
	}
	err := Restore(t.Context(), target, live)
	if err == nil || !strings.Contains(err.Error(), "graphprofile backup") {
		t.Errorf("Restore from a database a server has open = %v, want a refusal naming backup", err)
	}
	if got := strings.Join(positionIDs(t, openAt(t, target), targetOwner), ","); got != "the-target's" {
		t.Errorf("the target after the refusal holds %q, want the-target's", got)
	}
	wantNoTemporaryFiles(t, dir)
}

// TestNoDatabaseMadeWhileTheFileIsGone: with the database file moved away
// under the store, a connection the store opens then (a reader beyond the
// idle ones, the checkpointer's first) made a new, empty database at the
// path, and SQLite, finding there a write-ahead log of another database,
// could delete or reset it: with the file moved back, the store stayed
// unavailable (its log no longer the one it writes), and what the log held
// was lost. New connections open only an existing database.
func TestNoDatabaseMadeWhileTheFileIsGone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "graphprofile.db")
	s := openAt(t, path)
	owner := addPosition(t, s, "before")
	if err := os.Rename(path, path+".moved"); err != nil {
		t.Fatal(err)
	}
	// Every reader the pool allows at once, held: those beyond the idle
	// one are opened now; and the checkpointer's connection.
	var conns []*sql.Conn
	for range s.rdb.Stats().MaxOpenConnections {
		c, err := s.rdb.Conn(t.Context())
		if err != nil {
			continue // refused: the database is not there
		}
		var one int
		_ = c.QueryRowContext(t.Context(), "SELECT 1").Scan(&one)
		conns = append(conns, c)
	}
	_ = s.cdb.PingContext(t.Context())
	for _, c := range conns {
		c.Close()
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file at the database's path while it was moved away: %v", err)
	}
	if err := os.Rename(path+".moved", path); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping with the database file back: %v", err)
	}
	if err := s.CreateItem(t.Context(), owner, workPositions, storetest.Position("after", storetest.Created()), 0); err != nil {
		t.Fatalf("a create with the database file back: %v", err)
	}
	wantBeforeAndAfter(t, s, path, owner)
}

// wantBeforeAndAfter closes s and reads owner's positions from the file at
// path with a new store (not s's read cache): the "before" written first
// and the "after" written with the file back, and nothing of the writes
// refused between them.
func wantBeforeAndAfter(t *testing.T, s *Store, path string, owner graphprofile.UserKey) {
	t.Helper()
	s.Close()
	if ids := positionIDs(t, openAt(t, path), owner); !slices.Equal(slices.Sorted(slices.Values(ids)), []string{"after", "before"}) {
		t.Errorf("positions %v, want [before after]: the refused writes kept nothing", ids)
	}
}

// TestAReplacedDatabaseGetsNoneOfTheOldLog: a database file put in the
// store's path while it runs (a restore by hand, mv new.db graphprofile.db)
// is the one the next start serves, whole. SQLite does not fold its log
// into a file the path no longer names when it closes, and left the log,
// holding the old file's pages, beside the new file: the next start
// applied them to it (a malformed database, or the old data served).
// Close sets that log aside, under a name no start reads.
func TestAReplacedDatabaseGetsNoneOfTheOldLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "graphprofile.db")
	replacement := filepath.Join(dir, "new.db")
	n := openAt(t, replacement)
	owner := addPosition(t, n, "the-replacement's")
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		addPosition(t, s, fmt.Sprintf("the-old-file's-%d", i))
	}
	if err := os.Rename(replacement, path); err != nil {
		t.Fatal(err)
	}
	closeErr := s.Close()
	aside, _ := filepath.Glob(path + "-wal.replaced-*")
	if _, err := os.Stat(path + "-wal"); err == nil || len(aside) != 1 {
		t.Errorf("after Close: %s-wal: %v, set aside: %v; want it set aside, once", path, err, aside)
	} else if closeErr == nil || !strings.Contains(closeErr.Error(), aside[0]) {
		t.Errorf("Close: %v, want it to say the log is set aside as %s", closeErr, aside[0])
	}

	r := openAt(t, path)
	var check string
	if err := r.rdb.QueryRowContext(t.Context(), "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of the replacement after the restart: %q, %v", check, err)
	}
	if ids := positionIDs(t, r, owner); !slices.Equal(ids, []string{"the-replacement's"}) {
		t.Errorf("positions after the restart %v, want the replacement's alone", ids)
	}
}

// TestRestoreDropsTheReplacedDatabasesLog: restoring over a
// database a server left with its write-ahead log (stopped uncleanly)
// removes that log: replayed onto the restored file, it would bring back
// the replaced database's pages.
func TestRestoreDropsTheReplacedDatabasesLog(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.db")
	ts := openAt(t, target)
	addPosition(t, ts, "stale-1")
	owner := addPosition(t, ts, "stale-2")
	wal, err := os.ReadFile(target + "-wal")
	if err != nil || len(wal) == 0 {
		t.Fatalf("the target's log: %d bytes, %v", len(wal), err)
	}
	ts.Close()
	// The server was killed: its log is still beside the file.
	if err := os.WriteFile(target+"-wal", wal, 0o600); err != nil {
		t.Fatal(err)
	}

	src := filepath.Join(dir, "src.db")
	ss := openAt(t, src)
	addPosition(t, ss, "from-the-backup")
	ss.Close()
	backup := filepath.Join(dir, "backup.db")
	if err := Backup(t.Context(), src, backup); err != nil {
		t.Fatal(err)
	}
	if err := Restore(t.Context(), target, backup); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	restored, err := Open(t.Context(), target)
	if err != nil {
		t.Fatalf("opening the restored database: %v", err)
	}
	defer restored.Close()
	if got := positionIDs(t, restored, owner); len(got) != 1 || got[0] != "from-the-backup" {
		t.Errorf("positions after Restore: %q, want [from-the-backup]", got)
	}
}

// TestRestoreTakesACopyWithAnEmptyLogOrJournal: a copy beside which lies
// an empty write-ahead log, or a rollback journal that is empty or whose
// header is zeroed (journal_mode TRUNCATE or PERSIST after a commit),
// holds all its commits in the file: Restore takes it.
func TestRestoreTakesACopyWithAnEmptyLogOrJournal(t *testing.T) {
	tests := []struct {
		name    string
		suffix  string
		content []byte
	}{
		{"an empty write-ahead log", "-wal", nil},
		{"an empty journal", "-journal", nil},
		{"a journal whose header is zeroed", "-journal", make([]byte, 512)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			target, _ := restoreTarget(t, dir)
			live := filepath.Join(dir, "live.db")
			s := openAt(t, live)
			owner := addPosition(t, s, "the-copy's")
			s.Close()
			from := filepath.Join(dir, "backup.db")
			if err := Backup(t.Context(), live, from); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(from+tc.suffix, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := Restore(t.Context(), target, from); err != nil {
				t.Fatalf("Restore of a copy with %s beside it: %v", tc.name, err)
			}
			restored := openAt(t, target)
			if got := strings.Join(positionIDs(t, restored, owner), ","); got != "the-copy's" {
				t.Errorf("the target after the restore holds positions %q, want the-copy's", got)
			}
		})
	}
}

// TestRestoreRefusesADamagedCopy: a copy whose file is damaged where its
// schema's version is not (a page of the users table overwritten) is
// refused as damaged, by quick_check, and the database it would replace
// is as it was.
func TestRestoreRefusesADamagedCopy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "graphprofile.db")
	s := openAt(t, path)
	owner := addPosition(t, s, "kept")
	damaged := filepath.Join(dir, "damaged.db")
	if err := Backup(t.Context(), path, damaged); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := openRawDB(t, damaged)
	var pageSize, root int64
	err := db.QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	if err == nil {
		err = db.QueryRow(`SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = 'users'`).Scan(&root)
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if root < 2 {
		t.Fatalf("the users table's root page is %d", root)
	}
	f, err := os.OpenFile(damaged, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The page's type byte: 0 is no b-tree page's.
	_, err = f.WriteAt([]byte{0}, (root-1)*pageSize)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	err = Restore(t.Context(), path, damaged)
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("Restore of a damaged copy: %v, want it refused as damaged", err)
	}
	wantNoTemporaryFiles(t, dir)
	kept := openAt(t, path)
	if got := strings.Join(positionIDs(t, kept, owner), ","); got != "kept" {
		t.Errorf("positions after the refused restore: %s, want kept", got)
	}
}
