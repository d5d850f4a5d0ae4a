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
// No call waits for the database longer than the store's timeout (4 s unless
// WithTimeout says otherwise, so that a request answers within 5 s): the
// connect timeout, the pool's acquire, every statement (statement_timeout on
// the server too) and the commit share that budget. Failures a retry may
// cure (the database is down, restarting, unreachable or refusing the
// server's connections, the pool is exhausted, a lock waited too long) wrap
// graphprofile.ErrUnavailable. The pool replaces broken connections by
// itself, so the store recovers when the database comes back.
package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/stored"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// store is this package's name in its errors.
const store stored.Name = "postgres"

// DefaultTimeout bounds each call of a Store: no request waits longer for
// the database. It is under 5 s so that a request whose database stopped
// answering gets its 503 within 5 s, the HTTP exchange and the work around
// the call included (at 5 s the answer came a few milliseconds late).
const DefaultTimeout = 4 * time.Second

// Store is a graphprofile.Store in a PostgreSQL database. It is safe for
// concurrent use, also by several processes on one database.
type Store struct {
	pool    *pgxpool.Pool
	timeout time.Duration
	bulk    time.Duration // ImportUsers' and LoadProfiles' limit; 0: none
	logger  *slog.Logger  // may be nil

	// schema is the newest schema version this binary knows. newerSchema,
	// once set, is every call's answer: a newer graphprofile migrated the
	// database while this store ran (watchSchema, Ping).
	schema      int
	newerSchema atomic.Pointer[stored.DBError]
	stopWatch   context.CancelFunc // called by Close: watchSchema returns
	watchDone   chan struct{}      // closed when watchSchema has returned

	closeOnce sync.Once
	closeErr  error
}

var _ graphprofile.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	timeout time.Duration
	bulk    time.Duration // see WithBulkTimeout; 0: none
	logger  *slog.Logger
	// migrateTimeout bounds the migrations at Open, the wait for the
	// migration lock included; lockNotice is how long Open waits for the
	// lock before it logs who holds it. Tests shorten them.
	migrateTimeout, lockNotice time.Duration
	// schemaCheck is how often the store looks at the database's schema
	// version while it runs (schemaCheckInterval; tests shorten it).
	schemaCheck time.Duration
}

// withSchemaCheckEvery sets how often a running store looks whether a newer
// graphprofile has migrated its database.
func withSchemaCheckEvery(d time.Duration) Option {
	return func(o *options) {
		o.schemaCheck = d
	}
}

// DefaultBulkTimeout is how long ImportUsers and LoadProfiles may take
// unless WithBulkTimeout says otherwise.
const DefaultBulkTimeout = 2 * time.Minute

// WithBulkTimeout sets how long ImportUsers and LoadProfiles (one
// transaction each, however many users) may take before they are cut off,
// having written nothing (default DefaultBulkTimeout; never less than the
// store's timeout). d <= 0: no limit, for a command an operator started and
// may interrupt (graphprofile users import), not for a server's requests.
func WithBulkTimeout(d time.Duration) Option {
	return func(o *options) {
		o.bulk = max(d, 0)
	}
}

// WithLogger gives Open a logger, on which it says, while it waits for the
// migration lock, which session holds it, when it migrates an existing
// schema (start and end), and on which the running store
// says when it finds its database migrated past its version, or cannot read
// the version.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		o.logger = l
	}
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
// It fails with an error wrapping graphprofile.ErrNewerSchema for a database
// that a newer graphprofile has migrated, and with one wrapping
// graphprofile.ErrUnavailable when the database cannot be reached.
//
// The tables live in the first schema of the session's search_path that
// exists and the role may use (by default a schema named like the role,
// else public; add search_path=name to the URL to name it). The role needs
// SELECT, INSERT, UPDATE and DELETE on them, and CREATE on the schema while
// it needs migrating; Open refuses, saying what is missing, otherwise, and
// refuses a database whose encoding is not UTF8 (or SQL_ASCII) and a session
// whose session_replication_role is replica.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o := options{timeout: DefaultTimeout, bulk: DefaultBulkTimeout, migrateTimeout: migrateTimeout, lockNotice: lockNotice, schemaCheck: schemaCheckInterval}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := poolConfig(url, o)
	if err != nil {
		return nil, err
	}
	latest, err := latestVersion()
	if err != nil {
		return nil, err
	}
	pinSync, err := migrate(ctx, cfg.ConnConfig.Copy(), o)
	if err != nil {
		return nil, err
	}
	if pinSync {
		// The server (or the role or the database) acknowledges commits
		// before they are on disk, or may be made to later (the
		// connections the pool makes then would take it up); our
		// sessions do not.
		cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, store.Wrap(err)
	}
	return newStore(pool, o, latest), nil
}

// newStore is the store of pool, a database migrated to schema version
// latest, watching its schema until it is closed.
func newStore(pool *pgxpool.Pool, o options, latest int) *Store {
	if o.schemaCheck <= 0 {
		o.schemaCheck = schemaCheckInterval
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Store{pool: pool, timeout: o.timeout, bulk: o.bulk, logger: o.logger, schema: latest,
		stopWatch: stop, watchDone: make(chan struct{})}
	go s.watchSchema(ctx, o.schemaCheck)
	return s
}

// schemaCheckInterval is how often a running store reads the database's
// schema version. A server of an older graphprofile that goes on serving
// after a newer one migrated the database writes rows as its version did:
// the new schema's readers may not find them (migration 0006's name keys
// were left empty by every user an older server created). From the moment
// a store sees the newer version, at this look or at a readiness check
// (Ping), it refuses every call.
const schemaCheckInterval = 5 * time.Second

// watchSchema reads the database's schema version every interval until ctx
// ends (Close) or the version is newer than this binary's.
func (s *Store) watchSchema(ctx context.Context, interval time.Duration) {
	defer close(s.watchDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	warned := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, s.timeout)
		err := s.readSchemaVersion(rctx)
		cancel()
		switch {
		case s.newerSchema.Load() != nil:
			return
		case err == nil:
			warned = false
		case !warned && ctx.Err() == nil && !unavailable(err) && s.logger != nil:
			// A database that does not answer is every call's to report;
			// a table this server may no longer read (a revoked SELECT,
			// a dropped table) is the look's alone, and turns it off.
			warned = true
			s.logger.Warn("cannot read the schema's version: a newer graphprofile migrating the database would not be noticed until it can", "store", string(store), "err", err)
		}
	}
}

// readSchemaVersion reads the newest version in schema_migrations; when it
// is newer than this binary's, every later call of the store fails with
// the refusal it sets. It returns only the database's failure.
func (s *Store) readSchemaVersion(ctx context.Context) error {
	var newest int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
		return dbErr("reading the schema's version", err)
	}
	if newest <= int64(s.schema) {
		return nil
	}
	refusal := &stored.DBError{Store: store, Op: "serving", Unavailable: true,
		Err: fmt.Errorf("a newer graphprofile migrated the database to schema version %d while this server ran, and this one knows versions up to %d: stop this server and run the newer graphprofile: %w",
			newest, s.schema, graphprofile.ErrNewerSchema)}
	if s.newerSchema.CompareAndSwap(nil, refusal) && s.logger != nil {
		s.logger.Error("the database's schema is newer than this server's: every request is answered 503 from now on", "store", string(store), "version", newest, "known", s.schema)
	}
	return nil
}

// poolConfig is the pool's configuration for url: our defaults wherever the
// URL says nothing.
func poolConfig(url string, o options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, store.Wrap(err) // pgx leaves the password out
	}
	// pgxpool's own default is max(4, NumCPU); it tells no default from a
	// value of the URL, pgx's parse does.
	raw, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, store.Wrap(err)
	}
	if _, set := raw.RuntimeParams["pool_max_conns"]; !set {
		cfg.MaxConns = DefaultMaxConns()
	}
	cc := cfg.ConnConfig
	// What the sessions send is UTF-8. With another client_encoding (a
	// role's or a database's default: LATIN1 is a database's own) the
	// server takes those bytes for that encoding and converts them, so
	// "Zoë" is stored "ZoÃ«": read back unchanged through the same
	// setting, mangled for every other reader.
	if ce, set := cc.RuntimeParams["client_encoding"]; set {
		if n := strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(ce, "-", ""), "_", "")); n != "UTF8" && n != "UNICODE" {
			return nil, store.Errorf("client_encoding=%s in the store's URL: graphprofile sends UTF-8, which the server would take for %s and store mangled; leave client_encoding out (or set it to UTF8)", ce, ce)
		}
	}
	cc.RuntimeParams["client_encoding"] = "UTF8"
	// Every statement runs in READ COMMITTED, whatever the role, database
	// or URL sets: a create or a delete is one statement in the implicit
	// transaction the default sets, and under serializable or repeatable
	// read concurrent ones of a collection (each updates its count row)
	// failed with 40001 past the retries, a 503, where READ COMMITTED waits
	// for the row. (Transactions begin READ COMMITTED already: tx.)
	cc.RuntimeParams["default_transaction_isolation"] = "read committed"
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

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Close closes the pool, waiting for the calls in progress, but, as any
// call, no longer than the store's timeout for a database that does not
// answer: pgx gives each connection 15 s to say goodbye to the server (and
// one whose call timed out 15 s to cancel it), which kept a server that
// stopped while its database was unreachable from exiting for 15 s. It then
// fails, saying so, and the connections close when the process exits. Every
// acknowledged write is already durable. Close may be called more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stopWatch()
		<-s.watchDone // its look ends with the context
		closed := make(chan struct{})
		go func() {
			s.pool.Close()
			close(closed)
		}()
		select {
		case <-closed:
		case <-time.After(s.timeout):
			s.closeErr = store.Errorf("closing: connections still open after %v (the database does not answer, or a call still runs) are abandoned", s.timeout)
		}
	})
	return s.closeErr
}

// Ping checks that the database answers, for readiness probes: an error
// wrapping graphprofile.ErrUnavailable when it does not, or when a newer
// graphprofile has migrated it (ErrNewerSchema too).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.do(ctx, s.timeout, true, s.readSchemaVersion); err != nil {
		return err
	}
	return s.refusal()
}

// refusal is every call's error once the database's schema is newer than
// this binary's (a copy of its own for each call: a caller may change the
// error it gets); nil until then.
func (s *Store) refusal() error {
	if de := s.newerSchema.Load(); de != nil {
		c := *de
		return &c
	}
	return nil
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

// unstorable refuses what, a value PostgreSQL text cannot hold.
func unstorable(what string) error {
	return store.Errorf("%s has a NUL character or invalid UTF-8, which PostgreSQL text cannot hold", what)
}
