package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/graphprofile/graphprofile/internal/stored"
)

// errClosed answers writes that come after Close.
var errClosed = errors.New("sqlite: the store is closed")

// maxBatch bounds how many waiting writes one commit takes, and
// maxBatchBytes the documents one commit writes (the writes after are
// committed next, in a transaction of their own); maxLinger is how long the
// writer waits for writes already on their way to it.
const (
	maxBatch      = 256
	maxBatchBytes = 8 << 20
	maxLinger     = 500 * time.Microsecond
)

// writeRequest is one write waiting for the writer.
type writeRequest struct {
	ctx context.Context
	// fn is given ctx without its cancellation, unless long: a write of a
	// few statements, once the writer has taken it, runs to its end (it may
	// be committing already), and with a context that can end, go-sqlite3
	// runs each statement in a goroutine of its own and waits for it, two
	// hand-offs per statement on the one goroutine every write waits for
	// (BENCHMARKS.md, "What the writer waits on"). A long write (writeLong)
	// is given ctx itself, so that a caller that goes stops it midway.
	fn   func(ctx context.Context, tx *sql.Tx) error
	long bool
	// bytes, unless nil, returns the size of the documents fn wrote, once
	// fn has succeeded.
	bytes func() int
	after func() // run by the writer once the write is committed, in commit order
	// flux is what the write changes that the read cache may hold: in
	// flux from just before its commit until after has run (enterFlux).
	flux fluxScope
	done chan error
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
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.writeThen(ctx, fn, nil, fluxScope{}, nil)
}

// writeThen is write, for a write whose documents' size bytes returns
// (nil: small), which changes flux of what the read cache may hold, and
// when the write is committed the writer runs after (unless nil) before
// acknowledging it. The writer runs the afters of all writes in the order
// they committed, so they can keep the read cache in step with the
// database; meanwhile the cache holds flux in flux (enterFlux).
func (s *Store) writeThen(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, bytes func() int, flux fluxScope, after func()) error {
	return s.submit(&writeRequest{ctx: ctx, fn: fn, bytes: bytes, flux: flux, after: after, done: make(chan error, 1)})
}

// writeLong is writeThen for a write of many statements or of long ones (a
// migration, an import, a load, a reset): its statements see ctx itself,
// so a caller that goes (Ctrl-C, a closed connection) interrupts the
// statement running, and the write is undone.
func (s *Store) writeLong(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, bytes func() int, flux fluxScope, after func()) error {
	return s.submit(&writeRequest{ctx: ctx, fn: fn, long: true, bytes: bytes, flux: flux, after: after, done: make(chan error, 1)})
}

// submit hands req to the writer and waits for its outcome.
func (s *Store) submit(req *writeRequest) error {
	ctx := req.ctx
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

// writer takes waiting writes in batches and commits each batch once. It
// also keeps the write-ahead log bounded (limitWAL after each commit) and
// empties it once writes pause (walIdle).
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*writeRequest, 0, maxBatch)
	checkpointAt := int64(walCheckpointAt)
	idle := time.NewTimer(walIdle)
	defer idle.Stop()
	for {
		select {
		case req := <-s.writes:
			batch = append(batch[:0], req)
		case <-idle.C:
			if !s.truncateWAL() {
				idle.Reset(walIdle) // readers held it: again later
			}
			continue
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
		for rest := batch; len(rest) > 0; {
			rest = rest[s.commitSome(rest):]
			checkpointAt = s.limitWAL(checkpointAt)
		}
		idle.Reset(walIdle)
	}
}

// commitSome runs writes of batch in one transaction, each in its own
// savepoint so that one write's failure undoes only that write, until they
// end or what they wrote passes maxBatchBytes, commits, and tells each
// write it ran its outcome; it returns how many it ran. If the commit
// fails, none of them is acknowledged.
func (s *Store) commitSome(batch []*writeRequest) int {
	results := make([]error, len(batch))
	finish := func(commitErr error) {
		for i, req := range batch {
			if results[i] == nil {
				results[i] = commitErr
			}
			req.done <- results[i]
		}
	}
	start := time.Now()
	// The transaction is the batch's, no one request's: a request whose
	// context ends is left out of it (below), and the others still commit.
	tx, err := s.wdb.BeginTx(context.Background(), nil)
	if err != nil {
		finish(dbErr("beginning a transaction", err))
		return len(batch)
	}
	written := 0
	for i, req := range batch {
		// A long write is committed alone: its statements see its caller's
		// context, and a statement cut short by it undoes the whole
		// transaction (SQLite's interrupt), not the write's savepoint, so
		// every other write of a shared commit would fail with it.
		if written >= maxBatchBytes || (req.long && i > 0) {
			batch, results = batch[:i], results[:i]
			break
		}
		if err := req.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := tx.Exec("SAVEPOINT write"); err != nil {
			_ = tx.Rollback()
			finish(dbErr("beginning a savepoint", err))
			return len(batch)
		}
		fnCtx := context.WithoutCancel(req.ctx)
		if req.long {
			fnCtx = req.ctx
			batch, results = batch[:1], results[:1] // alone: i is 0 (above)
		}
		if results[i] = req.fn(fnCtx, tx); results[i] != nil {
			if req.long && req.ctx.Err() != nil {
				// Cut short by its caller, who has gone: the transaction,
				// its alone, is undone already.
				_ = tx.Rollback()
				finish(req.ctx.Err())
				return len(batch)
			}
			if _, err := tx.Exec("ROLLBACK TO write"); err != nil {
				// The transaction itself failed: nothing of the batch holds.
				_ = tx.Rollback()
				finish(dbErr("undoing a failed write", err))
				return len(batch)
			}
		} else if req.bytes != nil {
			written += req.bytes()
		}
		if _, err := tx.Exec("RELEASE write"); err != nil {
			_ = tx.Rollback()
			finish(dbErr("ending a savepoint", err))
			return len(batch)
		}
		if req.long {
			break
		}
	}
	// A commit into a file the path no longer names would be acknowledged
	// and then lost at the next start: the batch fails instead, as the
	// store being unavailable, and nothing of it is kept.
	if err := s.checkFile(); err != nil {
		_ = tx.Rollback()
		finish(err)
		return len(batch)
	}
	// What the writes change is in flux from here until the cache has
	// their changes: a read from the database sees the commit at once.
	var flux []fluxScope
	for i, req := range batch {
		if results[i] == nil && !req.flux.empty() {
			flux = append(flux, req.flux)
		}
	}
	s.cache.enterFlux(flux)
	leaveFlux := func() { s.cache.leaveFlux(flux) }
	committing := time.Now()
	if err := tx.Commit(); err != nil {
		leaveFlux()
		finish(dbErr("committing", err))
		return len(batch)
	}
	if hook := s.afterCommitHook.Load(); hook != nil {
		(*hook)()
	}
	if s.metrics != nil {
		end := time.Now()
		s.metrics.Committed(len(batch), end.Sub(start), end.Sub(committing))
	}
	for i, req := range batch {
		if results[i] == nil && req.after != nil {
			req.after()
		}
	}
	leaveFlux()
	finish(nil)
	return len(batch)
}

// The write-ahead log's bound. Commits append to the log; checkpoints copy
// it back into the database file, and once a checkpoint has copied all of
// it and no reader still reads from it, the next commit starts the log over
// from its beginning (and cuts the file back to journal_size_limit). The
// checkpointer's passive checkpoints never wait for readers, so under
// continuous reads and writes some reader always holds the log and it
// would grow without end (829 MB in 20 s of creates). Instead the writer,
// after each commit, looks at the log file's size: the file grows only when
// a commit writes past its end, so once it is past walCheckpointAt (which
// journal_size_limit cuts it back to on every restart) the log in use is
// the whole file, and the writer runs a RESTART checkpoint itself: writes
// are paused anyway, it copies what the checkpointer has not, and waits (at
// most walCheckpointWait) for the readers of older snapshots (a page's
// query each); the next commit then writes the log from its start again,
// over the file in place. The file so never passes walCheckpointAt plus one
// commit, well under WALBound, as long as readers let go of the log within
// walCheckpointWait; a checkpoint they hold up is tried again once the file
// has grown by walRetryStep. When writes pause for walIdle, the writer
// empties the file (TRUNCATE). (TRUNCATE under load cost 60–100 ms of
// stalled writes each time, mostly the file's truncation; RESTART rewrites
// the file in place.)
//
// The writer once went by the checkpointer's count of the log's frames
// instead, taken every checkpointInterval: a passive checkpoint of a fast
// growing log takes long, the count came late, and at 11,000 writes a
// second the file reached 69 MiB (TestWALStaysBounded) and under the load
// generator's creates 92 MiB.
const (
	// WALBound is the documented bound of the write-ahead log file under
	// any sustained write load: 64 MiB.
	WALBound          = 64 << 20
	walCheckpointAt   = 40 << 20
	walRetryStep      = 4 << 20
	walCheckpointWait = 100 * time.Millisecond
	walIdle           = time.Second
)

// walSize returns the size of the write-ahead log file, 0 when there is
// none.
func (s *Store) walSize() int64 {
	if s.memory {
		return 0
	}
	fi, err := os.Stat(s.path + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}

// limitWAL starts the log over once the log file has grown past at, and
// returns the size past which to try next. Run by the writer after each
// commit.
func (s *Store) limitWAL(at int64) int64 {
	size := s.walSize()
	switch {
	case size <= at:
		return at
	case s.checkpointWAL("RESTART"):
		return walCheckpointAt
	default:
		return size + walRetryStep // readers held it: later
	}
}

// truncateWAL copies the log into the database file and empties it, unless
// it is empty, and reports whether it is empty now.
func (s *Store) truncateWAL() bool {
	if s.walSize() == 0 {
		return true
	}
	if !s.checkpointWAL("TRUNCATE") {
		return false
	}
	return s.walSize() == 0
}

// checkpointWAL runs a checkpoint of mode (RESTART or TRUNCATE) on the
// writer's connection and reports whether it copied the whole log with no
// reader left on it.
func (s *Store) checkpointWAL(mode string) bool {
	ctx := context.Background()
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return false
	}
	defer conn.Close()
	// Readers are waited for walCheckpointWait, not busyTimeout: a
	// checkpoint that cannot finish now is tried again later, and the
	// writes waiting meanwhile are not held up long.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", walCheckpointWait.Milliseconds())); err != nil {
		return false
	}
	var busy, logFrames, checkpointed int
	s.checkpoint.Lock()
	err = conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &logFrames, &checkpointed)
	s.checkpoint.Unlock()
	_, _ = conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout.Milliseconds()))
	return err == nil && busy == 0
}

// checkpointInterval is how often the checkpointer copies the log back.
const checkpointInterval = 50 * time.Millisecond

// checkpointer runs passive checkpoints (they never block readers or the
// writer) until the store closes, so that the writer's RESTART finds
// little left to copy, and after each that copied pages it fsyncs the
// database file (dbFile). A passive checkpoint that the writer's commits
// overtake (under load, most of them) writes the pages into the file but
// leaves their fsync to a later checkpoint: without the checkpointer's own,
// that was the writer's RESTART, which so flushed every page copied since
// the last one, stalling every write for 20–60 ms, longer as the database
// grew (creates lost 16% of their rate over 150 s). The extra fsyncs only
// make pages durable earlier; SQLite's own order of syncs is unchanged.
// The log is fsynced before any commit is acknowledged, so how far behind
// the checkpoints are never affects durability, only the size of the log
// file, which the writer bounds (limitWAL).
func (s *Store) checkpointer() {
	defer close(s.checkpointerDone)
	tick := time.NewTicker(checkpointInterval)
	defer tick.Stop()
	var synced struct{ logFrames, checkpointed int64 } // as of the last fsync
	for {
		select {
		case <-s.quit:
			return
		case <-tick.C:
			// A failure (a busy database) is retried at the next tick.
			var busy, logFrames, checkpointed int64
			s.checkpoint.Lock()
			err := s.cdb.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &checkpointed)
			s.checkpoint.Unlock()
			copied := checkpointed > 0 && (logFrames != synced.logFrames || checkpointed != synced.checkpointed)
			if err == nil && copied && s.dbFile.Sync() == nil {
				synced.logFrames, synced.checkpointed = logFrames, checkpointed
			}
		}
	}
}

// dbErr wraps err, a failure of the database in op; nil stays nil. A
// database that is busy or locked (another process holds a lock longer than
// busyTimeout), or a disk that is full, is unavailable: a retry may cure it
// (once the lock is let go or room is made, as PostgreSQL's disk_full, whose
// SQLSTATE class 53 is unavailable too). A write that failed on a full disk
// is undone whole, and the store writes again once there is room.
func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &stored.DBError{Store: store, Op: op, Err: err, Unavailable: isBusy(err) || isFull(err)}
}
