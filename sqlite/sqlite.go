// Package sqlite is graphprofile's embedded, durable default Store: one SQLite
// database file in WAL mode with synchronous=FULL, so a write is on disk when
// the call that made it returns.
//
// All writes go through one connection (SQLite has one writer at a time, and
// queuing in Go is cheaper than SQLITE_BUSY retries); reads use a separate
// pool and see the last committed state.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/mattn/go-sqlite3"
)

// busyTimeout is how long a connection waits for a lock another process
// holds (a backup tool, a second server by mistake) before failing.
const busyTimeout = 5 * time.Second

// stmtCacheSize is the number of prepared statements each connection keeps.
const stmtCacheSize = 32

// ErrInUse is returned by Open when another process has the database open:
// stop that server first.
var ErrInUse = errors.New("sqlite: the database is in use by another process (a running server?); stop it first")

// Store is a graphprofile.Store in a SQLite database. It is safe for
// concurrent use.
type Store struct {
	path  string
	cache *readCache // what reads found, dropped by the writes that change it
	lock  *os.File   // held open: this process owns the database
	wdb   *sql.DB    // the one write connection, used by the writer goroutine only
	rdb   *sql.DB    // the read pool
	cdb   *sql.DB    // the checkpointer's connection

	writes           chan *writeRequest // to the writer; unbuffered: a send is taken by the writer or not at all
	pending          atomic.Int64       // writes between entering write and being taken by the writer
	quit             chan struct{}      // closed by Close: the writer stops taking writes
	writerDone       chan struct{}      // closed when the writer has stopped
	checkpointerDone chan struct{}      // closed when the checkpointer has stopped

	closeOnce sync.Once
	closeErr  error
}

var _ graphprofile.Store = (*Store)(nil)

// Open opens the database at path, creating the file when it does not exist,
// and brings its schema up to date. It fails with ErrNewerSchema for a
// database that a newer graphprofile has migrated.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	lock, err := lockFile(abs + "-lock")
	if err != nil {
		return nil, err
	}
	s := &Store{path: abs, cache: newReadCache(), lock: lock}

	common := url.Values{
		"_busy_timeout":    {fmt.Sprint(busyTimeout.Milliseconds())},
		"_foreign_keys":    {"1"},
		"_synchronous":     {"FULL"},
		"_stmt_cache_size": {fmt.Sprint(stmtCacheSize)},
	}
	w := cloneValues(common)
	w.Set("_journal_mode", "WAL")
	w.Set("_txlock", "immediate")
	s.wdb, err = sql.Open("sqlite3", dsn(abs, w))
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", abs, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	s.writes = make(chan *writeRequest)
	s.quit = make(chan struct{})
	s.writerDone = make(chan struct{})
	go s.writer()

	if err := s.wdb.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", abs, err)
	}
	if err := s.checkSettings(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}

	r := cloneValues(common)
	r.Set("_query_only", "1")
	s.rdb, err = sql.Open("sqlite3", dsn(abs, r))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", abs, err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	s.rdb.SetMaxOpenConns(readers)
	s.rdb.SetMaxIdleConns(readers)
	s.rdb.SetConnMaxLifetime(0)
	s.rdb.SetConnMaxIdleTime(0)
	if err := s.rdb.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", abs, err)
	}

	// Checkpoints copy the write-ahead log back into the database file. By
	// default the committing connection does that every 1,000 pages, inside
	// a commit, where it stalls every write waiting for that commit; here a
	// connection of its own does it in the background instead.
	if _, err := s.wdb.ExecContext(ctx, "PRAGMA wal_autocheckpoint=0"); err != nil {
		s.Close()
		return nil, dbError("turning automatic checkpoints off", err)
	}
	s.cdb, err = sql.Open("sqlite3", dsn(abs, cloneValues(common)))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", abs, err)
	}
	s.cdb.SetMaxOpenConns(1)
	s.cdb.SetConnMaxLifetime(0)
	s.cdb.SetConnMaxIdleTime(0)
	s.checkpointerDone = make(chan struct{})
	go s.checkpointer()
	return s, nil
}

// checkpointInterval is how often the checkpointer copies the log back.
const checkpointInterval = 200 * time.Millisecond

// checkpointer runs passive checkpoints (they never block readers or the
// writer) until the store closes. The log is fsynced before any commit is
// acknowledged, so how far behind the checkpoints are never affects
// durability, only the size of the log file.
func (s *Store) checkpointer() {
	defer close(s.checkpointerDone)
	tick := time.NewTicker(checkpointInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-tick.C:
			// A failure (a busy database) is retried at the next tick.
			_, _ = s.cdb.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// dsn is the go-sqlite3 data source name of the file at abs: a SQLite URI
// (so any path works) with the driver's parameters.
func dsn(abs string, params url.Values) string {
	u := url.URL{Path: filepath.ToSlash(abs)}
	return "file:" + u.EscapedPath() + "?" + params.Encode()
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+2)
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// checkSettings verifies that the write connection really has the settings
// durability depends on: a file system without shared memory support, for
// one, leaves the journal mode as it was.
func (s *Store) checkSettings(ctx context.Context) error {
	for _, c := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
	} {
		got, err := pragma(ctx, s.wdb, c.pragma)
		if err != nil {
			return err
		}
		if !strings.EqualFold(got, c.want) {
			return fmt.Errorf("sqlite: %s: PRAGMA %s is %q, want %q", s.path, c.pragma, got, c.want)
		}
	}
	return nil
}

// pragma returns the value of PRAGMA name on a connection of db.
func pragma(ctx context.Context, db *sql.DB, name string) (string, error) {
	var v string
	if err := db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
		return "", dbError("PRAGMA "+name, err)
	}
	return v, nil
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
		errs = append(errs, s.lock.Close()) // last: the database is free for another process
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("sqlite: closing %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// errClosed answers writes that come after Close.
var errClosed = errors.New("sqlite: the store is closed")

// maxBatch bounds how many waiting writes one commit takes; maxLinger how
// long the writer waits for writes already on their way to it.
const (
	maxBatch  = 256
	maxLinger = 500 * time.Microsecond
)

// writeRequest is one write waiting for the writer.
type writeRequest struct {
	ctx   context.Context
	fn    func(tx *sql.Tx) error
	after func() // run by the writer once the write is committed, in commit order
	done  chan error
}

// write runs fn in a write transaction and returns once its changes are
// durable (committed and fsynced); an error from fn undoes fn's changes and
// is returned as is. Every change to the database goes through write.
//
// Writes are group-committed: one writer goroutine takes every write that is
// waiting, runs each in its own savepoint of one transaction, and commits
// (one fsync) for all of them, so throughput grows with concurrency instead
// of stopping at the disk's fsync rate, and nothing is acknowledged before
// it is on disk.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.writeThen(ctx, fn, nil)
}

// writeThen is write, and when the write is committed the writer runs
// after (unless nil) before acknowledging it. The writer runs the afters of
// all writes in the order they committed, so they can keep the read cache
// in step with the database.
func (s *Store) writeThen(ctx context.Context, fn func(tx *sql.Tx) error, after func()) error {
	req := &writeRequest{ctx: ctx, fn: fn, after: after, done: make(chan error, 1)}
	s.pending.Add(1)
	select {
	case s.writes <- req:
	case <-ctx.Done():
		s.pending.Add(-1)
		return ctx.Err()
	case <-s.quit:
		s.pending.Add(-1)
		return errClosed
	}
	// Once taken, the write runs and its outcome is awaited even if ctx
	// ends: it may be committing already.
	return <-req.done
}

// writer takes waiting writes in batches and commits each batch once.
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*writeRequest, 0, maxBatch)
	for {
		select {
		case req := <-s.writes:
			batch = append(batch[:0], req)
		case <-s.quit:
			return
		}
		// Take every write that is waiting, and those already on their way
		// (inside write, about to send): an fsync costs the same for one
		// write as for many, so a moment's wait for them is paid back many
		// times. Nobody else is waited for.
		linger := time.NewTimer(maxLinger)
	gather:
		for len(batch) < maxBatch {
			select {
			case req := <-s.writes:
				batch = append(batch, req)
				continue
			default:
			}
			if s.pending.Load() <= int64(len(batch)) {
				break
			}
			select {
			case req := <-s.writes:
				batch = append(batch, req)
			case <-linger.C:
				break gather
			}
		}
		linger.Stop()
		s.pending.Add(-int64(len(batch)))
		s.commitBatch(batch)
	}
}

// commitBatch runs a batch of writes in one transaction, each in its own
// savepoint so that one write's failure undoes only that write, commits, and
// tells each write its outcome. If the commit fails, no write of the batch
// is acknowledged.
func (s *Store) commitBatch(batch []*writeRequest) {
	results := make([]error, len(batch))
	finish := func(commitErr error) {
		for i, req := range batch {
			if results[i] == nil {
				results[i] = commitErr
			}
			req.done <- results[i]
		}
	}
	tx, err := s.wdb.BeginTx(context.Background(), nil)
	if err != nil {
		finish(dbError("beginning a transaction", err))
		return
	}
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := tx.Exec("SAVEPOINT write"); err != nil {
			_ = tx.Rollback()
			finish(dbError("beginning a savepoint", err))
			return
		}
		if results[i] = req.fn(tx); results[i] != nil {
			if _, err := tx.Exec("ROLLBACK TO write"); err != nil {
				// The transaction itself failed: nothing of the batch holds.
				_ = tx.Rollback()
				finish(dbError("undoing a failed write", err))
				return
			}
		}
		if _, err := tx.Exec("RELEASE write"); err != nil {
			_ = tx.Rollback()
			finish(dbError("ending a savepoint", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		finish(dbError("committing", err))
		return
	}
	for i, req := range batch {
		if results[i] == nil && req.after != nil {
			req.after()
		}
	}
	finish(nil)
}

// dbError describes err, a failure of the database in op; failures a retry
// may cure also wrap graphprofile.ErrUnavailable.
func dbError(op string, err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, graphprofile.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

func isConstraint(err error, code sqlite3.ErrNoExtended) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == code
}

// ListPositions returns the positions of owner ordered by createdDateTime,
// then id; ErrNotFound when owner is not a user.
func (s *Store) ListPositions(ctx context.Context, owner graphprofile.UserKey) ([]graphprofile.WorkPosition, error) {
	if cached, ok := s.cache.profile(owner); ok {
		return cached, nil
	}
	entry, gen := s.cache.profileGeneration(owner)
	// The outer join tells an existing user without positions (one row with
	// a NULL document) from no user at all (no rows).
	rows, err := s.rdb.QueryContext(ctx,
		`SELECT p.document FROM users u
		 LEFT JOIN positions p ON p.tenant_id = u.tenant_id AND p.user_id = u.id
		 WHERE u.tenant_id = ? AND u.id = ?`,
		owner.TenantID, owner.UserID)
	if err != nil {
		return nil, dbError("listing positions", err)
	}
	defer rows.Close()
	found := false
	ps := []graphprofile.WorkPosition{}
	for rows.Next() {
		found = true
		var doc sql.RawBytes
		if err := rows.Scan(&doc); err != nil {
			return nil, dbError("listing positions", err)
		}
		if doc == nil {
			continue // the user has no positions
		}
		p, err := decodePosition(doc)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("listing positions", err)
	}
	if !found {
		return nil, userNotFound(owner)
	}
	// Sorted here rather than by an index: a user has few positions, and an
	// index would cost every write another page.
	slices.SortFunc(ps, comparePositions)
	s.cache.addProfile(owner, entry, gen, ps)
	return ps, nil
}

// comparePositions is the list order: createdDateTime, then id.
func comparePositions(a, b graphprofile.WorkPosition) int {
	if c := a.CreatedDateTime().Compare(b.CreatedDateTime()); c != 0 {
		return c
	}
	return strings.Compare(a.ID(), b.ID())
}

// GetPosition returns position id of owner.
func (s *Store) GetPosition(ctx context.Context, owner graphprofile.UserKey, id string) (graphprofile.WorkPosition, error) {
	cached, ok := s.cache.profile(owner)
	if !ok && s.smallProfile(ctx, owner) {
		// Load the whole (small) profile once: the positions of a profile
		// are read together, and the next reads of any of them are free.
		if list, err := s.ListPositions(ctx, owner); err == nil {
			cached, ok = list, true
		}
	}
	if ok {
		for _, p := range cached {
			if p.ID() == id {
				return p, nil
			}
		}
		return nil, positionNotFound(owner, id)
	}
	var doc []byte
	err := s.rdb.QueryRowContext(ctx,
		`SELECT document FROM positions WHERE tenant_id = ? AND user_id = ? AND id = ?`,
		owner.TenantID, owner.UserID, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, positionNotFound(owner, id)
	}
	if err != nil {
		return nil, dbError("reading a position", err)
	}
	return decodePosition(doc)
}

// smallProfileLimit is the most positions a profile may have for a read of
// one of them to load (and cache) all of them.
const smallProfileLimit = 200

// smallProfile reports whether owner has at most smallProfileLimit
// positions; a failure answers no (the caller then reads just the one).
func (s *Store) smallProfile(ctx context.Context, owner graphprofile.UserKey) bool {
	var n int
	err := s.rdb.QueryRowContext(ctx,
		`SELECT count(*) FROM (SELECT 1 FROM positions WHERE tenant_id = ? AND user_id = ? LIMIT ?)`,
		owner.TenantID, owner.UserID, smallProfileLimit+1).Scan(&n)
	return err == nil && n <= smallProfileLimit
}

// CreatePosition stores the new position p of owner; ErrNotFound when owner
// is not a user.
func (s *Store) CreatePosition(ctx context.Context, owner graphprofile.UserKey, p graphprofile.WorkPosition) error {
	id := p.ID()
	if id == "" {
		return errors.New("sqlite: CreatePosition: the position has no id")
	}
	created, err := createdAt(p)
	if err != nil {
		return err
	}
	doc := encodePosition(p)
	return s.writeThen(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO positions (tenant_id, user_id, id, created_at, document)
			 SELECT tenant_id, id, ?, ?, ? FROM users WHERE tenant_id = ? AND id = ?`,
			id, created, doc, owner.TenantID, owner.UserID)
		if isConstraint(err, sqlite3.ErrConstraintPrimaryKey) {
			return fmt.Errorf("sqlite: position %q already exists: %w", id, err)
		}
		if err != nil {
			return dbError("storing a position", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbError("storing a position", err)
		} else if n == 0 {
			return userNotFound(owner)
		}
		return nil
	}, func() { s.cache.changeProfile(owner, id, p) })
}

// readPosition reads position id of owner in tx.
func readPosition(ctx context.Context, tx *sql.Tx, owner graphprofile.UserKey, id string) (graphprofile.WorkPosition, error) {
	var doc []byte
	err := tx.QueryRowContext(ctx,
		`SELECT document FROM positions WHERE tenant_id = ? AND user_id = ? AND id = ?`,
		owner.TenantID, owner.UserID, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, positionNotFound(owner, id)
	}
	if err != nil {
		return nil, dbError("reading a position", err)
	}
	return decodePosition(doc)
}

// UpdatePosition replaces position id of owner with what update returns for
// it, in one write transaction.
func (s *Store) UpdatePosition(ctx context.Context, owner graphprofile.UserKey, id string, update func(graphprofile.WorkPosition) (graphprofile.WorkPosition, error)) (graphprofile.WorkPosition, error) {
	var next graphprofile.WorkPosition
	err := s.writeThen(ctx, func(tx *sql.Tx) error {
		cur, err := readPosition(ctx, tx, owner, id)
		if err != nil {
			return err
		}
		p, err := update(cur)
		if err != nil {
			return err
		}
		if p.ID() != id {
			return fmt.Errorf("sqlite: UpdatePosition: update changed the id of position %q to %q", id, p.ID())
		}
		created, err := createdAt(p)
		if err != nil {
			return err
		}
		newDoc := encodePosition(p)
		if _, err := tx.ExecContext(ctx,
			`UPDATE positions SET created_at = ?, document = ?
			 WHERE tenant_id = ? AND user_id = ? AND id = ?`,
			created, newDoc, owner.TenantID, owner.UserID, id); err != nil {
			return dbError("storing a position", err)
		}
		next = p
		return nil
	}, func() { s.cache.changeProfile(owner, id, next) })
	if err != nil {
		return nil, err
	}
	return next, nil
}

// DeletePosition removes position id of owner; when check is not nil it is
// called with the position first, in the same transaction, and an error from
// it aborts the delete.
func (s *Store) DeletePosition(ctx context.Context, owner graphprofile.UserKey, id string, check func(graphprofile.WorkPosition) error) error {
	return s.writeThen(ctx, func(tx *sql.Tx) error {
		if check != nil {
			p, err := readPosition(ctx, tx, owner, id)
			if err != nil {
				return err
			}
			if err := check(p); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx,
			`DELETE FROM positions WHERE tenant_id = ? AND user_id = ? AND id = ?`,
			owner.TenantID, owner.UserID, id)
		if err != nil {
			return dbError("deleting a position", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbError("deleting a position", err)
		} else if n == 0 {
			return positionNotFound(owner, id)
		}
		return nil
	}, func() { s.cache.changeProfile(owner, id, nil) })
}

func userNotFound(owner graphprofile.UserKey) error {
	return fmt.Errorf("sqlite: user %q of tenant %q: %w", owner.UserID, owner.TenantID, graphprofile.ErrNotFound)
}

func positionNotFound(owner graphprofile.UserKey, id string) error {
	return fmt.Errorf("sqlite: position %q of user %q of tenant %q: %w", id, owner.UserID, owner.TenantID, graphprofile.ErrNotFound)
}

// createdAt is the created_at column of p.
func createdAt(p graphprofile.WorkPosition) (int64, error) {
	n, err := p.CreatedUnixNano()
	if err != nil {
		return 0, fmt.Errorf("sqlite: %w", err)
	}
	return n, nil
}

// encodePosition returns the document column of p: text, since the column
// is a TEXT (a STRICT one, in SQLite, which refuses a BLOB).
func encodePosition(p graphprofile.WorkPosition) string {
	return string(graphprofile.EncodeStoredPosition(p))
}

func decodePosition(doc []byte) (graphprofile.WorkPosition, error) {
	p, err := graphprofile.DecodeStoredPosition(doc)
	if err != nil {
		return nil, fmt.Errorf("sqlite: a stored position does not decode: %v", err)
	}
	return p, nil
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.rdb.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w: %w", graphprofile.ErrUnavailable, err)
	}
	return nil
}
