// Package sqlite is graphprofile's embedded, durable default Store: one SQLite
// database file in WAL mode with synchronous=FULL, so a write is on disk when
// the call that made it returns.
//
// All writes go through one connection (SQLite has one writer at a time, and
// queuing in Go is cheaper than SQLITE_BUSY retries); reads use a separate
// pool and see the last committed state.
//
// The write-ahead log file stays under WALBound (64 MiB) under any sustained
// write load, and is emptied once writes pause for a second: see limitWAL.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/dbpath"
	"github.com/graphprofile/graphprofile/internal/stored"
)

// store is this package's name in its errors.
const store stored.Name = "sqlite"

// busyTimeout is how long a connection waits for a lock another process
// holds (a backup tool, a second server by mistake) before failing.
const busyTimeout = 5 * time.Second

// ErrInUse is returned by Open when another process has the database open:
// stop that server first.
var ErrInUse = errors.New("sqlite: the database is in use by another process (a running server?); stop it first")

// Store is a graphprofile.Store in a SQLite database. It is safe for
// concurrent use.
type Store struct {
	path string // the database file, or for OpenMemory the name of its memdb database
	// memory: the database is in memory (OpenMemory), with no file, lock,
	// write-ahead log or checkpoints.
	memory bool
	cache  *readCache   // what reads found, dropped by the writes that change it
	logger *slog.Logger // WithLogger's, or nil: nothing logged
	lock   *os.File     // held open: this process owns the database
	wdb    *sql.DB      // the one write connection, used by the writer goroutine only
	rdb    *sql.DB      // the read pool
	cdb    *sql.DB      // the checkpointer's connection
	dbFile *os.File     // the database file, for the checkpointer's fsyncs
	// opened is the identity of the database file opened (nil until open
	// has it, and in memory): the writer, running meanwhile, reads it.
	opened atomic.Pointer[os.FileInfo]
	// openedWAL is that of its write-ahead log, which the store's
	// connections keep open (and SQLite so keeps, emptied, not replaced)
	// from open to Close.
	openedWAL atomic.Pointer[os.FileInfo]
	// checkpoint is held by a checkpoint while it runs: the writer's
	// TRUNCATE then waits for the checkpointer's passive copy to end
	// rather than spending its wait for readers on it.
	checkpoint sync.Mutex

	writes           chan *writeRequest // to the writer; unbuffered: a send is taken by the writer or not at all
	pending          atomic.Int64       // writes between entering write and being taken by the writer
	quit             chan struct{}      // closed by Close: the writer stops taking writes
	writerDone       chan struct{}      // closed when the writer has stopped
	checkpointerDone chan struct{}      // closed when the checkpointer has stopped

	closeOnce sync.Once
	closeErr  error

	metrics Metrics // nil: none (WithMetrics)

	// afterCommitHook, for tests: the writer calls it after a commit,
	// before it brings the read cache up to date and acknowledges the
	// writes.
	afterCommitHook atomic.Pointer[func()]
}

var _ graphprofile.Store = (*Store)(nil)

// Open opens the database at path, creating the file when it does not exist,
// and brings its schema up to date. It fails with an error wrapping
// graphprofile.ErrNewerSchema for a database that a newer graphprofile has
// migrated.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	abs, err := dbpath.Real(path)
	if err != nil {
		return nil, store.Wrap(err)
	}
	lock, err := lockFile(abs + "-lock")
	if err != nil {
		return nil, err
	}
	return open(ctx, withOptions(&Store{path: abs, cache: newReadCache(), lock: lock}, opts))
}

// OpenMemory opens a new, empty database in memory: the same store as
// Open's, without a file. Nothing of it survives Close. It lives in
// SQLite's memdb VFS under a random name, so that the writer, the readers
// and the checkpointer (which has nothing to do) share it. There is no
// write-ahead log: a rollback journal in memory, under which a read waits
// (busy_timeout) while the writer commits, rather than reading beside it.
func OpenMemory(ctx context.Context, opts ...Option) (*Store, error) {
	return open(ctx, withOptions(&Store{path: "/graphprofile-memory-" + graphprofile.NewGUID(), memory: true, cache: newReadCache()}, opts))
}

// writerCacheKiB is the size of the write connection's page cache, in KiB
// (16 MiB).
const writerCacheKiB = 16 << 10

// open opens the database of s, whose path, memory, cache and lock are set.
func open(ctx context.Context, s *Store) (*Store, error) {
	abs := s.path
	// Every connection: locks held by another process are waited for,
	// foreign keys are enforced, and a commit is fsynced before it returns.
	// On macOS an fsync only hands the writes to the drive, which may
	// still lose them at a power cut; F_FULLFSYNC flushes them, for
	// commits (fullfsync) and checkpoints (checkpoint_fullfsync) alike.
	// Other systems' fsync already does, and SQLite ignores both there.
	common := []pragmaSetting{
		{"busy_timeout", fmt.Sprint(busyTimeout.Milliseconds())},
		{"foreign_keys", "1"},
		{"synchronous", "FULL"},
		{"fullfsync", "1"},
		{"checkpoint_fullfsync", "1"},
	}
	// A commit that starts the write-ahead log over cuts the log file back
	// to walCheckpointAt, so that it grows past it again only when the log
	// in use does (limitWAL).
	journalSizeLimit := pragmaSetting{"journal_size_limit", fmt.Sprint(walCheckpointAt)}
	// Checkpoints copy the write-ahead log back into the database file. By
	// default the committing connection does that every 1,000 pages, inside
	// a commit, where it stalls every write waiting for that commit; here
	// the checkpointer does it in the background instead, and the writer
	// when the log grows past walCheckpointAt (limitWAL).
	//
	// The writer's page cache is writerCacheKiB: with time-ordered item ids
	// a create writes at the end of each profile's part of the indexes, and
	// the pages there and above them stay in this cache instead of being
	// read again from the file; SQLite's default, 2 MiB, held them for
	// about 100 busy profiles of a small database only.
	// The file, when it exists, is locked before SQLite reads it: through
	// another name of it (a hard link) SQLite would keep a log of its own.
	if !s.memory {
		switch _, err := os.Stat(abs); {
		case err == nil:
			if err := s.lockDatabaseFile(); err != nil {
				if s.lock != nil { // nothing else is open yet
					s.lock.Close()
				}
				return nil, err
			}
		case errors.Is(err, fs.ErrNotExist):
			// A new database is its owner's alone, as its backups and the
			// signing key are: it holds every profile, items shown only to
			// their owner included. SQLite would create it by the umask
			// (0644, for any local user to read), and gives the -wal and
			// -shm files the database file's mode. Where this cannot
			// create it, SQLite's open below says why.
			if f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
				f.Close()
			}
		}
	}
	// Once the file is there, no connection makes one (connConfig.existing);
	// where it could not be made above, SQLite's open below makes it or says
	// why.
	_, statErr := os.Stat(abs)
	s.wdb = openDB(abs, connConfig{
		memory:    s.memory,
		existing:  statErr == nil,
		immediate: true,
		pragmas: append(slices.Clone(common), pragmaSetting{"journal_mode", s.journalMode()}, pragmaSetting{"wal_autocheckpoint", "0"}, journalSizeLimit,
			pragmaSetting{"cache_size", fmt.Sprint(-writerCacheKiB)}),
	}, 1)
	s.writes = make(chan *writeRequest)
	s.quit = make(chan struct{})
	s.writerDone = make(chan struct{})
	go s.writer()

	if err := s.wdb.PingContext(ctx); err != nil {
		s.Close()
		return nil, store.Errorf("opening %s: %w", abs, err)
	}
	if err := s.lockDatabaseFile(); err != nil { // a file SQLite has just created
		s.Close()
		return nil, err
	}
	if err := s.checkSettings(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if !s.memory {
		if err := s.checkWritable(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}

	s.rdb = openDB(abs, connConfig{
		memory:   s.memory,
		existing: true,
		pragmas:  append(slices.Clone(common), pragmaSetting{"query_only", "1"}),
	}, max(4, runtime.GOMAXPROCS(0)))
	if err := s.rdb.PingContext(ctx); err != nil {
		s.Close()
		return nil, store.Errorf("opening %s: %w", abs, err)
	}

	if s.memory {
		return s, nil // no write-ahead log to checkpoint
	}
	s.cdb = openDB(abs, connConfig{existing: true, pragmas: append(slices.Clone(common), journalSizeLimit)}, 1)
	info, err := s.dbFile.Stat()
	if err != nil {
		s.Close()
		return nil, store.Errorf("opening %s: %w", abs, err)
	}
	s.opened.Store(&info)
	// The log exists once the migrations (or a first read) have run.
	if wal, err := os.Stat(abs + "-wal"); err == nil {
		s.openedWAL.Store(&wal)
	}
	s.checkpointerDone = make(chan struct{})
	go s.checkpointer()
	return s, nil
}

// lockDatabaseFile opens the database file, once, as dbFile (the
// checkpointer fsyncs it) and locks it: one process owns a database, and
// the lock beside its path (Open) does not see the file's other names. A
// hard link names the same file, beside which SQLite keeps another
// write-ahead log: a second process writing through it committed into a
// log the owner never reads, lost at its next checkpoint.
func (s *Store) lockDatabaseFile() error {
	if s.memory || s.dbFile != nil {
		return nil
	}
	f, err := os.Open(s.path)
	if err != nil {
		return store.Errorf("opening %s: %w", s.path, err)
	}
	if err := lockOpenFile(f); err != nil {
		f.Close()
		return err
	}
	s.dbFile = f
	return nil
}

// checkSettings verifies that the write connection really has the settings
// durability depends on: a file system without shared memory support, for
// one, leaves the journal mode as it was.
func (s *Store) checkSettings(ctx context.Context) error {
	for _, c := range []struct{ pragma, want string }{
		{"journal_mode", s.journalMode()},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
	} {
		got, err := pragma(ctx, s.wdb, c.pragma)
		if err != nil {
			return err
		}
		if !strings.EqualFold(got, c.want) {
			return store.Errorf("%s: PRAGMA %s is %q, want %q", s.path, c.pragma, got, c.want)
		}
	}
	return nil
}

// checkWritable makes sure that the write connection can write. SQLite
// opens a database this process may not write (its file made read-only,
// or its directory once its -wal and -shm files are there) read-only
// without a word, and migrations with nothing to do write nothing: such a
// store would serve reads and fail every write.
func (s *Store) checkWritable(ctx context.Context) error {
	var stmtErr error
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// It deletes no row, but needs the file open for writing.
		_, stmtErr = tx.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version IS NULL`)
		return stmtErr
	})
	switch {
	case stmtErr != nil && isReadOnly(stmtErr):
		return store.Errorf("%s is read-only to this process (its file, its directory or the file system): %w", s.path, stmtErr)
	case stmtErr != nil:
		return dbErr("checking that the database can be written", stmtErr)
	}
	return err
}

// journalMode is the write connection's journal mode: WAL, except in
// memory, where SQLite keeps the journal in memory too.
func (s *Store) journalMode() string {
	if s.memory {
		return "memory"
	}
	return "wal"
}

// pragma returns the value of PRAGMA name on a connection of db.
func pragma(ctx context.Context, db *sql.DB, name string) (string, error) {
	var v string
	if err := db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
		return "", dbErr("PRAGMA "+name, err)
	}
	return v, nil
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Close closes the database. Every acknowledged write is already durable;
// closing also checkpoints the write-ahead log into the database file. Close
// may be called more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		// Writes already taken by the writer finish (and are durable);
		// later ones fail with errClosed.
		close(s.quit)
		<-s.writerDone
		if s.checkpointerDone != nil {
			<-s.checkpointerDone
		}
		var errs []error
		if s.cdb != nil {
			errs = append(errs, s.cdb.Close())
		}
		if s.rdb != nil {
			errs = append(errs, s.rdb.Close())
		}
		// The write connection closes last: the last connection to close
		// checkpoints the log and removes it.
		errs = append(errs, s.wdb.Close())
		errs = append(errs, s.setAsideReplacedLog())
		// After SQLite's: closing a descriptor of the file drops every
		// POSIX lock the process holds on it, SQLite's too.
		if s.dbFile != nil {
			errs = append(errs, s.dbFile.Close())
		}
		if s.lock != nil {
			errs = append(errs, s.lock.Close()) // last: the database is free for another process
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = store.Errorf("closing %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// setAsideReplacedLog moves the write-ahead log of the file the store
// opened out of the way when its path names another file now (a database
// put there while the server ran: a restore by hand). SQLite folds no log
// into a file its path no longer names when it closes, so the log stays
// beside the new file, holding the opened file's pages, and the next start
// would apply them to the new file: a malformed database, or the old data
// served. Set aside under a name no start reads, it is kept (it holds the
// opened file's last commits, should that file live on elsewhere), and the
// error says where.
func (s *Store) setAsideReplacedLog() error {
	opened, wal := s.opened.Load(), s.openedWAL.Load()
	if opened == nil || wal == nil {
		return nil
	}
	if named, err := os.Stat(s.path); err == nil && os.SameFile(*opened, named) {
		return nil
	}
	named, err := os.Stat(s.path + "-wal")
	if err != nil || !os.SameFile(*wal, named) {
		return nil // removed, or another's
	}
	aside := s.path + "-wal.replaced-" + time.Now().UTC().Format("20060102T150405.000000000Z")
	if err := os.Rename(s.path+"-wal", aside); err != nil {
		return fmt.Errorf("%s is not the database file this server opened, and its write-ahead log could not be set aside: move %s-wal away before a server opens %s: %w", s.path, s.path, s.path, err)
	}
	// The log's index, rebuilt from the log (none now) at the next start.
	if err := os.Remove(s.path + "-shm"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return fmt.Errorf("%s is not the database file this server opened (replaced while it ran): the write-ahead log of the file it opened is set aside as %s, not applied to the file there now", s.path, aside)
}

// Ping checks that the database answers a query, and that its path still
// names the file the store opened: connections open on a file removed or
// replaced under them go on reading and writing it, and every write they
// acknowledge is lost at the next start, when the path is opened anew.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.rdb.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return store.Errorf("ping: %w: %w", graphprofile.ErrUnavailable, err)
	}
	if err := s.checkFile(); err != nil {
		return store.Errorf("ping: %w", err)
	}
	return nil
}

// checkFile returns an ErrUnavailable error when the store's path no longer
// names the database file it opened, or path-wal its write-ahead log
// (removed, or another file renamed over it, while the store ran): what its
// connections write then is lost at the next start (of the log, what was
// not yet copied into the database). The writer checks it before each
// commit, Ping for /readyz.
func (s *Store) checkFile() error {
	opened := s.opened.Load()
	if opened == nil {
		return nil
	}
	if named, err := os.Stat(s.path); err != nil || !os.SameFile(*opened, named) {
		return store.Errorf("%w: %s is no longer the database file this server opened (removed or replaced while it ran): restart the server on the database to serve", graphprofile.ErrUnavailable, s.path)
	}
	if wal := s.openedWAL.Load(); wal != nil {
		if named, err := os.Stat(s.path + "-wal"); err != nil || !os.SameFile(*wal, named) {
			return store.Errorf("%w: %s-wal is no longer the write-ahead log this server writes (removed or replaced while it ran): stop the server cleanly (SIGTERM), which copies the log it holds into the database, and start it again", graphprofile.ErrUnavailable, s.path)
		}
	}
	return nil
}
