// Package postgres is graphprofile's PostgreSQL Store, for running several
// servers on one database. It uses pgx and its pool (pgxpool).
//
// Semantics are the SQLite store's (storetest is the contract): every write
// is one transaction that is durable when the call returns (the commit waits
// for the WAL flush: synchronous_commit is on for our sessions), and updates
// read the row with SELECT … FOR UPDATE in a READ COMMITTED transaction, so
// concurrent updates, from this process or another, serialize on the row and
// never lose each other's changes.
//
// No call waits for the database longer than the store's timeout (5 s unless
// WithTimeout says otherwise): the connect timeout, the pool's acquire, every
// statement (statement_timeout on the server too) and the commit share that
// budget. Failures a retry may cure (the database is down, restarting or
// unreachable, the pool is exhausted, a lock waited too long) wrap
// graphprofile.ErrUnavailable. The pool replaces broken connections by
// itself, so the store recovers when the database comes back.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/graphprofile/graphprofile"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultTimeout bounds each call of a Store: no request waits longer for
// the database.
const DefaultTimeout = 5 * time.Second

// importTimeout bounds ImportUsers, which may write many thousands of users
// in one transaction (an administrator's command, not a request).
const importTimeout = 2 * time.Minute

// migrateTimeout bounds the migrations at Open, waiting for another server
// that is migrating included.
const migrateTimeout = 2 * time.Minute

// maxAttempts is how often a call runs when the database refuses its
// transaction as a whole (a deadlock, a serialization failure): running it
// again is how such failures are cured. A call whose connection failed runs
// once more only: the pool may have handed out a connection that died while
// idle, and a second failure means the database is away.
const maxAttempts = 5

// Store is a graphprofile.Store in a PostgreSQL database. It is safe for
// concurrent use, also by several processes on one database.
type Store struct {
	pool    *pgxpool.Pool
	timeout time.Duration

	closeOnce sync.Once
}

var _ graphprofile.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	timeout time.Duration
}

// WithTimeout sets how long a call may wait for the database before it
// fails with an error wrapping graphprofile.ErrUnavailable (default
// DefaultTimeout). It is also the connect timeout and the server-side
// statement_timeout, unless the URL sets connect_timeout or
// statement_timeout.
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// DefaultMaxConns is the pool size when the URL does not set
// pool_max_conns: max(4, 2×GOMAXPROCS). A request holds a connection only
// for its transaction, so a few per CPU keep the CPUs busy while others wait
// for the database; the database's max_connections must exceed the sum over
// all servers.
func DefaultMaxConns() int32 {
	return int32(max(4, 2*runtime.GOMAXPROCS(0)))
}

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string, as pgx reads them, pool_* parameters included) and
// brings its schema up to date, safely when several servers start at once.
// It fails with ErrNewerSchema for a database that a newer graphprofile has
// migrated, and with an error wrapping graphprofile.ErrUnavailable when the
// database cannot be reached.
//
// The tables live in the first schema of the session's search_path (public
// by default; add search_path=name to the URL for another).
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o := options{timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := poolConfig(url, o)
	if err != nil {
		return nil, err
	}
	syncOff, err := migrate(ctx, cfg.ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	if syncOff {
		// The server (or the role or the database) acknowledges commits
		// before they are on disk; our sessions do not.
		cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{pool: pool, timeout: o.timeout}, nil
}

// poolConfig is the pool's configuration for url: our defaults wherever the
// URL says nothing.
func poolConfig(url string, o options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err) // pgx leaves the password out
	}
	// pgxpool's own default is max(4, NumCPU); it tells no default from a
	// value of the URL, pgx's parse does.
	raw, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, set := raw.RuntimeParams["pool_max_conns"]; !set {
		cfg.MaxConns = DefaultMaxConns()
	}
	cc := cfg.ConnConfig
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = o.timeout
	}
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	for k, v := range map[string]string{
		// The server gives up on what the client gave up on.
		"statement_timeout": ms(o.timeout),
		// A client that vanished mid-transaction releases its row locks.
		"idle_in_transaction_session_timeout": ms(max(4*o.timeout, 10*time.Second)),
		"application_name":                    "graphprofile",
	} {
		if _, set := cc.RuntimeParams[k]; !set {
			cc.RuntimeParams[k] = v
		}
	}
	return cfg, nil
}

// Close closes the pool, waiting for the calls in progress. Every
// acknowledged write is already durable. Close may be called more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.Close)
	return nil
}

// Ping checks that the database answers, for readiness probes: an error
// wrapping graphprofile.ErrUnavailable when it does not.
func (s *Store) Ping(ctx context.Context) error {
	return s.do(ctx, s.timeout, true, func(ctx context.Context) error {
		return dbErr("pinging", s.pool.Ping(ctx))
	})
}

// Errors.

// dbError is a failure of the database (as opposed to an error of a
// caller's function, which is returned as is).
type dbError struct {
	op  string
	err error
	// atCommit: the failure came with the commit (a COMMIT, or a statement
	// that commits itself), so whether it took effect is unknown.
	atCommit bool
	// Set by do when the call ends.
	unavailable bool
	ctxErr      error // the context's error, when err does not wrap it
}

func (e *dbError) Error() string {
	msg := "postgres: " + e.op
	if e.unavailable {
		msg += ": " + graphprofile.ErrUnavailable.Error()
	}
	msg += ": " + e.err.Error()
	if e.ctxErr != nil {
		msg += " (" + e.ctxErr.Error() + ")"
	}
	return msg
}

func (e *dbError) Unwrap() []error {
	errs := []error{e.err}
	if e.unavailable {
		errs = append(errs, graphprofile.ErrUnavailable)
	}
	if e.ctxErr != nil {
		errs = append(errs, e.ctxErr)
	}
	return errs
}

// dbErr wraps err, a failure of the database in op; nil stays nil.
func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &dbError{op: op, err: err}
}

// pgCode returns the SQLSTATE of err, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// violation returns the constraint that err, a violation of kind code,
// names; "" when err is not such a violation.
func violation(err error, code string) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == code {
		return pe.ConstraintName
	}
	return ""
}

const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// retry says whether a call may run again after failing with err: it
// cannot be applied twice because the server refused the transaction as a
// whole (contended: a deadlock, a serialization failure), or nothing was
// sent, or (beforeCommit) the connection failed before COMMIT was sent, so
// the server rolls back whatever the transaction did (lost).
func retry(err error, beforeCommit bool) (contended, lost bool) {
	code := pgCode(err)
	switch {
	case errors.Is(err, errImportRaced), code == "40001", code == "40P01": // serialization_failure, deadlock_detected
		return true, false
	case pgconn.SafeToRetry(err):
		return false, true
	case !beforeCommit:
		return false, false
	case code != "": // the server said why (a wrong password is no reason to try again)
		return false, strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P")
	}
	// A connection that failed at once; one that timed out has used the
	// time there was.
	var ne net.Error
	timedOut := errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) || errors.As(err, &ne) && ne.Timeout()
	return false, connectionLost(err) && !timedOut
}

// connectionLost reports whether err says the connection to the server
// failed or could not be made.
func connectionLost(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// unavailable reports whether err is a failure that a retry later may cure.
func unavailable(err error) bool {
	if code := pgCode(err); code != "" {
		switch {
		case strings.HasPrefix(code, "08"), // connection exception
			strings.HasPrefix(code, "53"),    // insufficient resources (too many connections, disk full)
			strings.HasPrefix(code, "57P"),   // admin or crash shutdown, cannot connect now
			code == "57014",                  // query_canceled: statement_timeout
			code == "55P03",                  // lock_not_available: lock_timeout
			code == "40001", code == "40P01", // retried, still contended
			code == "25006": // read_only_sql_transaction: a standby after a failover
			return true
		}
		return false
	}
	return connectionLost(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errContended)
}

// do runs fn with a context that ends after timeout, again when it fails
// in a way retry says is safe (reads: idempotent), and finishes the
// dbError it returns: ErrUnavailable when a retry may cure it, the caller's
// context error when that ended the call. Other errors are returned as is.
func (s *Store) do(ctx context.Context, timeout time.Duration, idempotent bool, fn func(ctx context.Context) error) error {
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	reconnected := false
	for attempt := 1; ; attempt++ {
		err := fn(octx)
		if err == nil {
			return nil
		}
		var de *dbError
		if !errors.As(err, &de) {
			return err
		}
		contended, lost := retry(de.err, idempotent || !de.atCommit)
		if lost && !reconnected && octx.Err() == nil {
			reconnected = true
			continue
		}
		if contended && attempt < maxAttempts && octx.Err() == nil {
			// A short, random pause: contenders of a deadlock do not meet
			// again at once.
			pause := time.Duration(attempt) * time.Duration(1+rand.IntN(10)) * time.Millisecond
			select {
			case <-time.After(pause):
				continue
			case <-octx.Done():
			}
		}
		return finish(ctx, octx, de)
	}
}

// finish completes de, a failure of a call with context ctx that ran with
// octx (ctx with the call's deadline): ErrUnavailable when a retry may cure
// it, the context's error when that ended the call.
func finish(ctx, octx context.Context, de *dbError) error {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		// The caller gave up: not the database's fault.
	case octx.Err() != nil || unavailable(de.err):
		de.unavailable = true
	}
	if cerr := octx.Err(); cerr != nil && !errors.Is(de.err, cerr) {
		de.ctxErr = cerr
	}
	return de
}

// commitErr wraps err, a failure of the database in op, which commits.
func commitErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &dbError{op: op, err: err, atCommit: true}
}

// tx runs fn in a READ COMMITTED transaction and commits it; an error from
// fn rolls the transaction back and is returned as is. fn runs again when
// the transaction failed in a way that is safe to retry.
func (s *Store) tx(ctx context.Context, timeout time.Duration, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return s.do(ctx, timeout, false, func(ctx context.Context) error {
		// Getting a connection and beginning are bounded by the store's
		// timeout also when the transaction may take longer: an unreachable
		// database shows there.
		bctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		conn, err := s.pool.Acquire(bctx)
		if err != nil {
			return dbErr("connecting", err)
		}
		defer conn.Release()
		tx, err := conn.BeginTx(bctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
		if err != nil {
			return dbErr("beginning a transaction", err)
		}
		if err := fn(ctx, tx); err != nil {
			// A failed rollback closes the connection, which rolls back too.
			_ = tx.Rollback(ctx)
			return err
		}
		return commitErr("committing", tx.Commit(ctx))
	})
}

// read runs fn, a read, with the store's timeout, again when it failed in a
// way that is safe to retry.
func (s *Store) read(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.do(ctx, s.timeout, true, fn)
}

// storable reports whether PostgreSQL text can hold s: valid UTF-8 without
// NUL. A key that is not storable names nothing in the database.
func storable(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}

func unstorable(what string) error {
	return fmt.Errorf("postgres: %s has a NUL character or invalid UTF-8, which PostgreSQL text cannot hold", what)
}

// Positions.

// ListPositions returns the positions of owner ordered by createdDateTime,
// then id; ErrNotFound when owner is not a user.
func (s *Store) ListPositions(ctx context.Context, owner graphprofile.UserKey) ([]graphprofile.WorkPosition, error) {
	if !storable(owner.TenantID, owner.UserID) {
		return nil, userNotFound(owner)
	}
	var ps []graphprofile.WorkPosition
	err := s.read(ctx, func(ctx context.Context) error {
		ps = []graphprofile.WorkPosition{}
		rows, err := s.pool.Query(ctx,
			`SELECT document FROM positions WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id`,
			owner.TenantID, owner.UserID)
		if err != nil {
			return dbErr("listing positions", err)
		}
		defer rows.Close()
		for rows.Next() {
			p, err := decodePosition(rows.RawValues()[0])
			if err != nil {
				return err
			}
			ps = append(ps, p)
		}
		if err := rows.Err(); err != nil {
			return dbErr("listing positions", err)
		}
		if len(ps) > 0 {
			return nil
		}
		// No positions: is there a user? (A user deleted in between makes
		// this "not found", which it is by now.)
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2)`,
			owner.TenantID, owner.UserID).Scan(&exists); err != nil {
			return dbErr("listing positions", err)
		}
		if !exists {
			return userNotFound(owner)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ps, nil
}

// GetPosition returns position id of owner.
func (s *Store) GetPosition(ctx context.Context, owner graphprofile.UserKey, id string) (graphprofile.WorkPosition, error) {
	if !storable(owner.TenantID, owner.UserID, id) {
		return nil, positionNotFound(owner, id)
	}
	var p graphprofile.WorkPosition
	err := s.read(ctx, func(ctx context.Context) error {
		var err error
		p, err = readPosition(ctx, s.pool, owner, id, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// CreatePosition stores the new position p of owner; ErrNotFound when owner
// is not a user.
func (s *Store) CreatePosition(ctx context.Context, owner graphprofile.UserKey, p graphprofile.WorkPosition) error {
	id := p.ID()
	if id == "" {
		return errors.New("postgres: CreatePosition: the position has no id")
	}
	if !storable(owner.TenantID, owner.UserID) {
		return userNotFound(owner)
	}
	if !storable(id) {
		return unstorable("the id of a position")
	}
	created, err := createdAt(p)
	if err != nil {
		return err
	}
	doc := encodePosition(p)
	return s.do(ctx, s.timeout, false, func(ctx context.Context) error {
		// One statement, its own transaction: the user is read and the
		// position written at once (the foreign key catches a user deleted
		// in between).
		tag, err := s.pool.Exec(ctx,
			`INSERT INTO positions (tenant_id, user_id, id, created_at, document)
			 SELECT tenant_id, id, $3, $4, $5 FROM users WHERE tenant_id = $1 AND id = $2`,
			owner.TenantID, owner.UserID, id, created, doc)
		switch {
		case violation(err, uniqueViolation) != "":
			return fmt.Errorf("postgres: position %q already exists: %w", id, err)
		case violation(err, foreignKeyViolation) != "":
			return userNotFound(owner)
		case err != nil:
			return commitErr("storing a position", err)
		case tag.RowsAffected() == 0:
			return userNotFound(owner)
		}
		return nil
	})
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// readPosition reads position id of owner with q; forUpdate locks its row
// until the transaction ends.
func readPosition(ctx context.Context, q querier, owner graphprofile.UserKey, id string, forUpdate bool) (graphprofile.WorkPosition, error) {
	query := `SELECT document FROM positions WHERE tenant_id = $1 AND user_id = $2 AND id = $3`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var doc []byte
	err := q.QueryRow(ctx, query, owner.TenantID, owner.UserID, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, positionNotFound(owner, id)
	}
	if err != nil {
		return nil, dbErr("reading a position", err)
	}
	return decodePosition(doc)
}

// UpdatePosition replaces position id of owner with what update returns for
// it, in one transaction that holds the row's lock from the read to the
// commit, so that concurrent updates wait for each other.
func (s *Store) UpdatePosition(ctx context.Context, owner graphprofile.UserKey, id string, update func(graphprofile.WorkPosition) (graphprofile.WorkPosition, error)) (graphprofile.WorkPosition, error) {
	if !storable(owner.TenantID, owner.UserID, id) {
		return nil, positionNotFound(owner, id)
	}
	var next graphprofile.WorkPosition
	err := s.tx(ctx, s.timeout, func(ctx context.Context, tx pgx.Tx) error {
		cur, err := readPosition(ctx, tx, owner, id, true)
		if err != nil {
			return err
		}
		p, err := update(cur)
		if err != nil {
			return err
		}
		if p.ID() != id {
			return fmt.Errorf("postgres: UpdatePosition: update changed the id of position %q to %q", id, p.ID())
		}
		created, err := createdAt(p)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx,
			`UPDATE positions SET created_at = $4, document = $5
			 WHERE tenant_id = $1 AND user_id = $2 AND id = $3`,
			owner.TenantID, owner.UserID, id, created, encodePosition(p)); err != nil {
			return dbErr("storing a position", err)
		}
		next = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return next, nil
}

// DeletePosition removes position id of owner; when check is not nil it is
// called with the position first, in the same transaction (the row locked),
// and an error from it aborts the delete.
func (s *Store) DeletePosition(ctx context.Context, owner graphprofile.UserKey, id string, check func(graphprofile.WorkPosition) error) error {
	if !storable(owner.TenantID, owner.UserID, id) {
		return positionNotFound(owner, id)
	}
	const del = `DELETE FROM positions WHERE tenant_id = $1 AND user_id = $2 AND id = $3`
	if check == nil {
		return s.do(ctx, s.timeout, false, func(ctx context.Context) error {
			tag, err := s.pool.Exec(ctx, del, owner.TenantID, owner.UserID, id)
			if err != nil {
				return commitErr("deleting a position", err)
			}
			if tag.RowsAffected() == 0 {
				return positionNotFound(owner, id)
			}
			return nil
		})
	}
	return s.tx(ctx, s.timeout, func(ctx context.Context, tx pgx.Tx) error {
		p, err := readPosition(ctx, tx, owner, id, true)
		if err != nil {
			return err
		}
		if err := check(p); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, del, owner.TenantID, owner.UserID, id); err != nil {
			return dbErr("deleting a position", err)
		}
		return nil
	})
}

func userNotFound(owner graphprofile.UserKey) error {
	return fmt.Errorf("postgres: user %q of tenant %q: %w", owner.UserID, owner.TenantID, graphprofile.ErrNotFound)
}

func positionNotFound(owner graphprofile.UserKey, id string) error {
	return fmt.Errorf("postgres: position %q of user %q of tenant %q: %w", id, owner.UserID, owner.TenantID, graphprofile.ErrNotFound)
}

// createdAt is the created_at column of p.
func createdAt(p graphprofile.WorkPosition) (int64, error) {
	n, err := p.CreatedUnixNano()
	if err != nil {
		return 0, fmt.Errorf("postgres: %w", err)
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
		return nil, fmt.Errorf("postgres: a stored position does not decode: %v", err)
	}
	return p, nil
}
