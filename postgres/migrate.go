package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNewerSchema is returned by Open for a database that a newer graphprofile
// has migrated: this binary does not know its schema and must not touch it.
var ErrNewerSchema = errors.New("the database schema is newer than this graphprofile supports")

// migrationLock is the first key of the session advisory lock that
// serializes migrations; the second is a hash of the schema's name, so
// stores in different schemas of one database do not wait for each other.
const migrationLock = 0x67706d67 // "gpmg"

// migration is one schema change: migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations ordered by version.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	ms := make([]migration, 0, len(names))
	seen := make(map[int]string, len(names))
	for _, name := range names {
		base := path.Base(name)
		prefix, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres: migration %s: the name must be NNNN_description.sql with NNNN > 0", base)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("postgres: migrations %s and %s have the same version %d", other, base, v)
		}
		seen[v] = base
		text, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(text)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate brings the schema of the database cc connects to up to date on a
// connection of its own, one transaction per migration, and refuses a
// database with a version this binary does not know. A session advisory
// lock makes servers that start together migrate one after the other (the
// lock goes with the connection, should this process die). It also reports
// whether the session's synchronous_commit is off.
func migrate(ctx context.Context, cc *pgx.ConnConfig) (syncOff bool, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return false, err
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}

	octx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	fail := func(op string, err error) (bool, error) {
		var de *dbError
		if errors.As(err, &de) {
			return false, finish(ctx, octx, de)
		}
		return false, finish(ctx, octx, &dbError{op: op, err: err})
	}
	// Waiting for another server's migration may take longer than a
	// statement of a request.
	cc.RuntimeParams["statement_timeout"] = strconv.FormatInt(migrateTimeout.Milliseconds(), 10)
	conn, err := pgx.ConnectConfig(octx, cc)
	if err != nil {
		return fail("connecting", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(cctx) // ends the session, and so releases the lock
	}()

	var sc string
	if err := conn.QueryRow(octx, `SELECT current_setting('synchronous_commit')`).Scan(&sc); err != nil {
		return fail("reading synchronous_commit", err)
	}
	if _, err := conn.Exec(octx, `SELECT pg_advisory_lock($1, hashtext(coalesce(current_schema(), '')))`, migrationLock); err != nil {
		return fail("waiting for the migration lock", err)
	}
	if _, err := conn.Exec(octx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
	)`); err != nil {
		return fail("creating schema_migrations", err)
	}
	var newest *int64
	if err := conn.QueryRow(octx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return fail("reading schema_migrations", err)
	}
	if newest != nil && *newest > int64(latest) {
		return false, fmt.Errorf("postgres: database schema version %d, but this graphprofile knows versions up to %d; use a newer graphprofile: %w",
			*newest, latest, ErrNewerSchema)
	}
	for _, m := range ms {
		err := pgx.BeginFunc(octx, conn, func(tx pgx.Tx) error {
			var applied bool
			if err := tx.QueryRow(octx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&applied); err != nil {
				return dbErr("reading schema_migrations", err)
			}
			if applied {
				return nil
			}
			// No arguments: the simple protocol, which runs a script.
			if _, err := tx.Exec(octx, m.sql); err != nil {
				return dbErr("applying migration "+m.name, err)
			}
			if _, err := tx.Exec(octx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.version); err != nil {
				return dbErr("recording migration "+m.name, err)
			}
			return nil
		})
		if err != nil {
			return fail("migrating", err)
		}
	}
	if _, err := conn.Exec(octx, `SELECT pg_advisory_unlock($1, hashtext(coalesce(current_schema(), '')))`, migrationLock); err != nil {
		return fail("releasing the migration lock", err)
	}
	return sc == "off", nil
}
