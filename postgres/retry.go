package postgres

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/graphprofile/graphprofile/internal/stored"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// maxAttempts is how often a call runs when the database refuses its
// transaction as a whole (a deadlock, a serialization failure): running it
// again is how such failures are cured. A call whose connection failed runs
// once more only: the pool may have handed out a connection that died while
// idle, and a second failure means the database is away.
const maxAttempts = 5

// dbErr wraps err, a failure of the database in op; nil stays nil. Whether a
// retry may cure it is for do to say, when the call ends.
func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &stored.DBError{Store: store, Op: op, Err: err}
}

// commitErr wraps err, a failure of the database in op, which commits; nil
// stays nil.
func commitErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &stored.DBError{Store: store, Op: op, Err: err, AtCommit: true}
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
	var once onceErr
	switch {
	case errors.As(err, &once): // the transaction read a stream: it cannot run again
		return false, false
	case contendedErr(err):
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

// contendedErr reports whether err ended a transaction because another
// ran at once: a serialization failure, a deadlock, or a principal name
// an import found taken between its check and its write.
func contendedErr(err error) bool {
	code := pgCode(err)
	return errors.Is(err, errImportRaced) || code == "40001" || code == "40P01" // serialization_failure, deadlock_detected
}

// sessionEnded reports whether err says the server ended the connection's
// session (57P01 admin_shutdown, 57P02 crash_shutdown: read by the next
// statement when the session ended while idle) or the connection broke.
func sessionEnded(err error) bool {
	switch pgCode(err) {
	case "57P01", "57P02":
		return true
	case "":
		return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
			errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
	}
	return false
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
// *stored.DBError it returns: ErrUnavailable when a retry may cure it, the caller's
// context error when that ended the call. Other errors are returned as is.
func (s *Store) do(ctx context.Context, timeout time.Duration, idempotent bool, fn func(ctx context.Context) error) error {
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	reconnected := false
	for attempt := 1; ; attempt++ {
		// Every attempt, not only the first: a retry that starts after a
		// newer graphprofile migrated the database is refused as well.
		if err := s.refusal(); err != nil {
			return err
		}
		err := fn(octx)
		if err == nil {
			return nil
		}
		var de *stored.DBError
		if !errors.As(err, &de) {
			return err
		}
		contended, lost := retry(de.Err, idempotent || !de.AtCommit)
		if sessionEnded(de.Err) {
			// The pool's other idle connections most likely ended with
			// this one (a failover, a restart, pg_terminate_backend of idle
			// sessions), and the pool finds that out only as each is used:
			// drop them all, so that neither this call's retry nor the next
			// calls meet one. Connections in use are closed as they return.
			s.pool.Reset()
		}
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
		err = finish(ctx, octx, de)
		if !de.Unavailable && ctx.Err() == nil && refused(de.Err) {
			de.Unavailable = true
		}
		return err
	}
}

// refused reports whether err says the server refused a new connection for
// a reason of its own (a role that may no longer log in, a rotated
// password, a database renamed). Open reports that as the configuration
// error it is; to a running store it is an outage like any other: the
// server cannot reach its database until an operator acts, and clients
// retry a 503, not a 500. retry still runs such a call only once.
func refused(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) && pgCode(err) != ""
}

// finish completes de, a failure of a call with context ctx that ran with
// octx (ctx with the call's deadline): ErrUnavailable when a retry may cure
// it, the context's error when that ended the call.
func finish(ctx, octx context.Context, de *stored.DBError) error {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		// The caller gave up: not the database's fault.
	case octx.Err() != nil || unavailable(de.Err):
		de.Unavailable = true
	}
	if cerr := octx.Err(); cerr != nil && !errors.Is(de.Err, cerr) {
		de.Context = cerr
	}
	return de
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
