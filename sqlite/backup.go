package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/graphprofile/graphprofile/internal/dbpath"
	"github.com/graphprofile/graphprofile/internal/durable"
	"github.com/graphprofile/graphprofile/internal/migrations"
)

// Backup writes a consistent copy of the database at path to the new file
// dest while a server may be serving it (it takes no lock; a running
// server goes on writing). The copy is SQLite's VACUUM INTO, run on a
// connection of its own in one read transaction: it holds exactly the
// commits made before it began, so every write a server acknowledged
// before then (acknowledged means committed and fsynced), and none half.
// It is written beside dest, synced and renamed into place, so dest never
// holds a partial copy. Meanwhile the server's write-ahead log cannot start
// over (the copy reads an old snapshot of it), so it grows with the writes
// of the copy's duration.
func Backup(ctx context.Context, path, dest string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return store.Wrap(err)
	}
	if err := RequireDatabase(ctx, abs); err != nil {
		return store.Errorf("backup: %w", err)
	}
	if _, err := os.Lstat(dest); err == nil {
		return store.Errorf("backup: %s exists; give a new file", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return store.Errorf("backup: %w", err)
	}
	// The copy is written in a directory of its own beside dest, its
	// owner's alone: SQLite creates it and its journal under the umask
	// (0644, for any local user to read the profiles in it), and a backup
	// killed midway leaves them. Renamed out of it once synced.
	private, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".backup-")
	if err != nil {
		return store.Errorf("backup: %w", err)
	}
	// Gone once renamed; the leftovers of a failure, the copy's journal
	// too (VACUUM INTO leaves it when it fails midway).
	defer os.RemoveAll(private)
	tmp := filepath.Join(private, filepath.Base(dest))
	db, done, err := openToRead(ctx, abs)
	if err != nil {
		return dbErr("backup: copying "+abs, err)
	}
	_, err = db.ExecContext(ctx, "VACUUM INTO ?", tmp)
	if closeErr := done(); err == nil && closeErr != nil {
		err = closeErr
	}
	if err != nil {
		return dbErr("backup: copying "+abs, err)
	}
	return syncAndRename(tmp, dest)
}

// RequireDatabase reports that there is no graphprofile database at path,
// for what only reads one (Backup, graphprofile export), where opening the
// store would create or migrate one instead of failing: no file ("there is
// no database at ABSOLUTE-PATH"), or a file that is none ("ABSOLUTE-PATH:
// not a graphprofile database …"): an empty one, which SQLite reads as an
// empty database, or another program's. What it refuses, Restore would
// refuse to put back. A file a server serves under another name (a hard
// link) is refused too: read by this name, it is a file without its
// write-ahead log.
func RequireDatabase(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("there is no database at %s", abs)
	} else if err != nil {
		return err
	}
	if err := requireNotServedElsewhere(abs); err != nil {
		return err
	}
	db, done, err := openToRead(ctx, abs)
	if err != nil {
		return fmt.Errorf("%s: %w", abs, err)
	}
	defer done()
	if _, err := schemaVersion(ctx, db); err != nil {
		return fmt.Errorf("%s: %w", abs, err)
	}
	return nil
}

// openToRead opens the database at abs, a file, for what only reads it
// (Backup, RequireDatabase), and reads its schema once; done ends the
// read. A database a server left cleanly (no write-ahead log beside it)
// in a directory no one may write here (a read-only mount) cannot be
// opened so: reading a WAL database needs the shared-memory index SQLite
// makes beside it. Such a database is read as SQLite's immutable file,
// which takes no lock SQLite sees: the read holds the file instead
// (flock, shared) until done, so that no store opens it meanwhile
// (lockOpenFile: ErrInUse), through a writable mount of the same
// directory, and changes the pages the read has yet to read. A store that
// has it open already is refused the same way, or has its log beside it.
func openToRead(ctx context.Context, abs string) (db *sql.DB, done func() error, err error) {
	c := connConfig{pragmas: []pragmaSetting{busyTimeoutPragma}}
	db = openDB(abs, c, 1)
	var n int
	err = db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n)
	if err == nil {
		return db, db.Close, nil
	}
	db.Close()
	// SQLite says CANTOPEN on a read-only mount, READONLY_DIRECTORY in a
	// directory whose permissions refuse its index.
	if _, statErr := os.Stat(abs + "-wal"); !(isCantOpen(err) || isReadOnlyDirectory(err)) || !errors.Is(statErr, fs.ErrNotExist) {
		return nil, nil, err
	}
	f, openErr := os.Open(abs)
	if openErr != nil {
		return nil, nil, store.Wrap(openErr)
	}
	if lockErr := lockOpenFileShared(f); lockErr != nil {
		f.Close()
		return nil, nil, lockErr
	}
	// A store that opened it before the lock made its log.
	if _, statErr := os.Stat(abs + "-wal"); !errors.Is(statErr, fs.ErrNotExist) {
		f.Close()
		return nil, nil, err
	}
	c.immutable = true
	db = openDB(abs, c, 1)
	return db, func() error {
		err := db.Close()
		f.Close() // after SQLite's: closing a descriptor of the file drops the process's POSIX locks on it
		return err
	}, nil
}

// Restore replaces the database at path with the copy at from (a Backup),
// when no server has the database open (ErrInUse while one has). It checks
// a copy of it beside path first (SQLite's quick_check, that it is a graphprofile
// database, and that its schema is not newer than this binary knows:
// ErrNewerSchema), then removes the database's write-ahead log, which belongs to
// the replaced file and must never be applied to the copy, and renames a
// synced copy into place: path holds the old database or the whole copy,
// never a mix. A server that opens the copy brings its schema up to date.
func Restore(ctx context.Context, path, from string) error {
	// Through a link, the file it names is replaced, under its lock.
	abs, err := dbpath.Real(path)
	if err != nil {
		return store.Wrap(err)
	}
	// The copy is made and checked before the lock is taken: the lock file
	// is created if need be, and one made for a copy that fails would stay
	// behind (removing a lock file is never safe: another process may be
	// about to lock it).
	if err := requireNoLog(from); err != nil {
		return err
	}
	tmp, err := tempPathBeside(abs, ".restore")
	if err != nil {
		return err
	}
	defer removeDatabaseFiles(tmp) // gone once renamed; the leftovers of a failure
	if err := copyFile(from, tmp); err != nil {
		return store.Errorf("restore: %w", err)
	}
	if err := checkCopy(ctx, tmp); err != nil {
		return store.Errorf("restore: %s: %w", from, err)
	}
	lock, err := lockFile(abs + "-lock")
	if err != nil {
		return err
	}
	defer lock.Close()
	// A server with the file open under another name (a hard link) holds
	// no lock beside this one, but holds the file's.
	if locked, _ := fileLocked(abs); locked {
		return store.Errorf("restore: %s is open under another name (a hard link to the file a server serves): %w", abs, ErrInUse)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(abs + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return store.Errorf("restore: %w", err)
		}
	}
	if err := giveOwnerOf(tmp, abs); err != nil {
		return store.Errorf("restore: %w", err)
	}
	return syncAndRename(tmp, abs)
}

// requireNoLog refuses a copy to restore from that has a write-ahead log
// beside it: a database a server has open, or had when it was killed. Its
// latest commits are in that log, which a copy of the file alone leaves
// out; restored onto itself, the log was then removed as the replaced
// database's. A copy Backup makes, or any database closed cleanly, has none.
func requireNoLog(from string) error {
	real, err := dbpath.Real(from) // SQLite keeps the log beside the file a link names
	if err != nil {
		return store.Wrap(err)
	}
	if err := requireNoJournal(from, real); err != nil {
		return err
	}
	st, err := os.Stat(real + "-wal")
	if errors.Is(err, fs.ErrNotExist) || (err == nil && st.Size() == 0) {
		return requireNotServed(from, real)
	}
	if err != nil {
		return store.Errorf("restore: %w", err)
	}
	return store.Errorf("restore: %s has a write-ahead log beside it (%s-wal, %d bytes): a database a server has open, or had when it stopped uncleanly, whose latest writes a copy of the file alone would lose; make a copy with 'graphprofile backup --store sqlite:%s NEW-FILE' and restore that", from, real, st.Size(), from)
}

// requireNotServed refuses a copy (real, the file from names) that a
// server has open, its write-ahead log empty.
func requireNotServed(from, real string) error {
	// A server that has the file open holds its lock; its log is empty
	// once writes pause (walIdle), but its checkpoints copy the next ones
	// into the file every 50 ms, so a copy of the file alone, made as it
	// writes, may hold part of a commit. (A file never served has no lock
	// file, and none is made here.)
	if _, err := os.Stat(real + "-lock"); err == nil {
		lock, err := lockFile(real + "-lock")
		if errors.Is(err, ErrInUse) {
			return store.Errorf("restore: %s is open in a server (its lock is held): a copy of the file alone, made while it writes, may hold part of a commit; make a copy with 'graphprofile backup --store sqlite:%s NEW-FILE' and restore that", from, from)
		}
		if err != nil {
			return err
		}
		lock.Close()
	}
	// Served under another name (a hard link), the file is locked, not
	// the lock beside this name.
	if locked, _ := fileLocked(real); locked {
		return store.Errorf("restore: %s is open in a server under another name (a hard link to the file it serves): a copy of the file alone, made while it writes, may hold part of a commit; make a copy with 'graphprofile backup' through the name the server serves, and restore that", from)
	}
	return nil
}

// requireNotServedElsewhere refuses the database at path (what Backup
// copies) when a server has it open under another name, a hard link: SQLite
// would read it beside a write-ahead log of this name, not the server's,
// and miss the commits in that log, or copy a checkpoint half done. Served
// under this name (the lock beside it held), or by none, it may be copied.
func requireNotServedElsewhere(path string) error {
	real, err := dbpath.Real(path)
	if err != nil {
		return store.Wrap(err)
	}
	// Probes that cannot tell (a lock file of another user's, unreadable)
	// leave the copy to go ahead, as it did before.
	if here, err := fileLocked(real + "-lock"); here || err != nil {
		return nil // the server serves it by this name
	}
	if locked, _ := fileLocked(real); locked {
		return fmt.Errorf("%s is open in a server under another name (a hard link to the file it serves): back it up through the name the server serves", path)
	}
	return nil
}

// requireNoJournal refuses a copy (real, the file from names) whose
// rollback journal holds a transaction: a backup is in rollback mode, and
// a program that changes it (the sqlite3 shell) writes pages of its
// transaction into the file before it commits, their old contents in the
// journal. While the transaction is open, or after the program was killed
// in it (a hot journal, rolled back by the next open), the file alone
// holds writes never committed, which a copy of it would restore. A
// journal that is empty or whose header is zeroed (journal_mode TRUNCATE
// or PERSIST, after a commit) holds none.
func requireNoJournal(from, real string) error {
	f, err := os.Open(real + "-journal")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return store.Errorf("restore: %w", err)
	}
	defer f.Close()
	var first [1]byte
	n, err := f.Read(first[:])
	if n == 0 || first[0] == 0 {
		if err != nil && !errors.Is(err, io.EOF) {
			return store.Errorf("restore: %w", err)
		}
		return nil
	}
	return store.Errorf("restore: %s has a rollback journal beside it (%s-journal): a transaction of another program (the sqlite3 shell?) is open in it, or was when that program was killed, and the file holds some of its writes, never committed, which a copy of the file alone would restore; let the program finish (or, once none has it open, open the file with sqlite3, which rolls that transaction back) and restore again", from, real)
}

// busyTimeoutPragma makes a connection of Backup or Restore wait for the
// locks of a server's writer and checkpoints, as the store's own do.
var busyTimeoutPragma = pragmaSetting{"busy_timeout", strconv.FormatInt(busyTimeout.Milliseconds(), 10)}

// checkCopy reports what is wrong with the database file at path: not
// SQLite's, damaged, not a graphprofile database, or one of a newer
// schema than this binary knows (ErrNewerSchema).
func checkCopy(ctx context.Context, path string) error {
	db := openDB(path, connConfig{pragmas: []pragmaSetting{busyTimeoutPragma}}, 1)
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil {
		return fmt.Errorf("not a readable SQLite database: %w", err)
	}
	if check != "ok" {
		return fmt.Errorf("damaged: quick_check says %q", check)
	}
	newest, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	// A copy of a newer graphprofile's is refused before it replaces a
	// database this binary serves: it could not open it.
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	if latest := migrations.Latest(ms); newest > int64(latest) {
		return store.NewerSchema(newest, latest)
	}
	return nil
}

// schemaVersion returns the newest migration of the database db opens, or
// an error when it is no graphprofile database: SQLite's own when the file
// is no database of SQLite's ("file is not a database"), or unreadable.
func schemaVersion(ctx context.Context, db *sql.DB) (int64, error) {
	var tables int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").Scan(&tables); err != nil {
		return 0, err
	}
	var versions int
	var newest int64
	if tables == 0 || db.QueryRowContext(ctx, "SELECT count(*), coalesce(max(version), 0) FROM schema_migrations").Scan(&versions, &newest) != nil || versions == 0 {
		return 0, errors.New("not a graphprofile database (no schema_migrations)")
	}
	return newest, nil
}

// tempPathBeside returns a new, unused name in the directory of path for a
// file that becomes path by renaming.
func tempPathBeside(path, kind string) (string, error) {
	f, err := durable.CreateBeside(path, kind)
	if err != nil {
		return "", store.Wrap(err)
	}
	name := f.Name()
	f.Close()
	// VACUUM INTO refuses a file that exists, even empty.
	if err := os.Remove(name); err != nil {
		return "", store.Wrap(err)
	}
	return name, nil
}

// removeDatabaseFiles removes an SQLite database file and its companions.
func removeDatabaseFiles(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}

// copyFile copies the file from to the new file to.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncAndRename makes the file tmp durable and renames it to path, then
// syncs the directory, so that path survives a power cut.
func syncAndRename(tmp, path string) error {
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return store.Wrap(err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return store.Wrap(err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return store.Wrap(err)
	}
	if err := f.Close(); err != nil {
		return store.Wrap(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return store.Wrap(err)
	}
	return store.Wrap(durable.SyncDir(filepath.Dir(path)))
}
