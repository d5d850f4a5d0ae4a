package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/migrations"
	"github.com/graphprofile/graphprofile/internal/stored"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateTimeout bounds the migrations at Open, waiting for another server
// that is migrating included.
const migrateTimeout = 2 * time.Minute

// lockNotice is how long Open waits for the migration lock before it logs
// which session holds it: a migration takes a second or two (0006, which
// reads every user, about 1 s per 12,000), so a longer wait is most likely
// a session that will not let go, or a server migrating a big directory.
const lockNotice = 5 * time.Second

// migrationLock is the first key of the session advisory lock that
// serializes migrations; the second is a hash of the schema's name, so
// stores in different schemas of one database do not wait for each other.
const migrationLock = 0x67706d67 // "gpmg"

// latestVersion is the newest schema version this binary's migrations make.
func latestVersion() (int, error) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return 0, store.Wrap(err)
	}
	return migrations.Latest(ms), nil
}

// migrate brings the schema of the database cc connects to up to date on a
// connection of its own, one transaction per migration, and refuses a
// database with a version this binary does not know. A session advisory
// lock makes servers that start together migrate one after the other (the
// lock goes with the connection, should this process die). It also reports
// whether the session's synchronous_commit is to be pinned on: it is off,
// or on only by the database's, the role's or the server's default, which
// may be turned off later. A weaker setting than on that still flushes
// locally (local, remote_write), or a stronger one, is the URL's or the
// operator's choice, and left alone.
func migrate(ctx context.Context, cc *pgx.ConnConfig, o options) (pinSync bool, err error) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return false, store.Wrap(err)
	}
	latest := migrations.Latest(ms)

	octx, cancel := context.WithTimeout(ctx, o.migrateTimeout)
	defer cancel()
	fail := func(op string, err error) (bool, error) {
		var de *stored.DBError
		if errors.As(err, &de) {
			return false, finish(ctx, octx, de)
		}
		return false, finish(ctx, octx, &stored.DBError{Store: store, Op: op, Err: err})
	}
	// Waiting for another server's migration may take longer than a
	// statement of a request.
	cc.RuntimeParams["statement_timeout"] = strconv.FormatInt(o.migrateTimeout.Milliseconds(), 10)
	conn, err := pgx.ConnectConfig(octx, cc)
	if err != nil {
		return fail("connecting", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(cctx) // ends the session, and so releases the lock
	}()

	var (
		sc, encoding, searchPath, role, replication string
		schema                                      *string
	)
	if err := conn.QueryRow(octx, `SELECT current_setting('synchronous_commit'), current_setting('server_encoding'), current_setting('search_path'), current_schema(), current_user,
		current_setting('session_replication_role')`).Scan(&sc, &encoding, &searchPath, &schema, &role, &replication); err != nil {
		return fail("reading the session's settings", err)
	}
	if encoding != "UTF8" && encoding != "SQL_ASCII" {
		// The server would convert what we send to its encoding, which
		// holds few of the characters of names (no emoji at all).
		return false, store.Errorf("the database's encoding is %s, which cannot hold every character of a name: graphprofile needs a database of encoding UTF8 (CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0)", encoding)
	}
	if replication == "replica" {
		// No foreign key trigger runs: a user's items would not go with
		// the user (ON DELETE CASCADE), nor would an item be refused for
		// a user deleted meanwhile.
		return false, store.Errorf("session_replication_role is replica (the role's or the database's setting), which turns off the foreign keys that delete a user's profile with the user: set it to origin for graphprofile's role (ALTER ROLE %s SET session_replication_role = origin, as a superuser)", quoteIdent(role))
	}
	if schema == nil {
		return false, store.Errorf("no schema of the search_path (%s) exists that role %s may use, for graphprofile's tables: create it, GRANT USAGE ON SCHEMA … TO %s, or name another (search_path=… in the URL)", searchPath, role, quoteIdent(role))
	}
	// Taken by polling, not by pg_advisory_lock: a role's lock_timeout (a
	// guard for administrators' DDL) bounded that wait, so a server
	// starting beside a migrating one failed. migrateTimeout bounds it.
	// A wait longer than a migration takes is logged once, naming the
	// session that holds the lock, and so is the error that ends it: a
	// crashed server's session still open, or a half-dead connection, holds
	// it until it is ended.
	//
	// Each statement of the wait has a second of its own (and the
	// caller's ctx), not what is left of octx: one that octx's end cut
	// short would close the connection (pgx does, to stop the statement),
	// and with it the one way to name the holder when the wait ends.
	statement := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, time.Second) }
	start := time.Now()
	noticed := false
	for {
		var locked bool
		sctx, scancel := statement()
		err := conn.QueryRow(sctx, `SELECT pg_try_advisory_lock($1, hashtext(coalesce(current_schema(), '')))`, migrationLock).Scan(&locked)
		scancel()
		if err != nil {
			return fail("waiting for the migration lock", err)
		}
		if locked {
			break
		}
		if !noticed && o.logger != nil && time.Since(start) >= o.lockNotice {
			noticed = true
			sctx, scancel := statement()
			holders, pid, _ := lockHolders(sctx, conn)
			scancel()
			o.logger.Warn("waiting for the migration lock, which another session holds: a server migrating the schema, or one that will not let go (a crashed server's session, a half-dead connection)",
				"holder", holders, "limit", o.migrateTimeout.String(), "release", releaseHint(pid))
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-octx.Done():
			waited := o.migrateTimeout // the limit, unless the caller gave up first
			if ctx.Err() != nil {
				waited = time.Since(start).Round(time.Second)
			}
			hctx, hcancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			holders, pid, herr := lockHolders(hctx, conn)
			hcancel()
			if herr != nil || holders == "" {
				return fail("waiting for the migration lock", fmt.Errorf("another session held it all the %s this server waited (which, it could not read): %w", waited, octx.Err()))
			}
			return fail("waiting for the migration lock", fmt.Errorf("%s held it all the %s this server waited; %s: %w", holders, waited, releaseHint(pid), octx.Err()))
		}
	}
	// A schema that is up to date needs no DDL, so an application's role
	// with only the privileges of its statements serves on a schema an
	// administrator migrated (CREATE TABLE IF NOT EXISTS needs CREATE on
	// the schema even when the table exists).
	var exists, mayCreate, mayRead bool
	if err := conn.QueryRow(octx, `SELECT to_regclass(quote_ident(current_schema()) || '.schema_migrations') IS NOT NULL,
		has_schema_privilege(current_schema(), 'CREATE'),
		coalesce(has_table_privilege(to_regclass(quote_ident(current_schema()) || '.schema_migrations'), 'SELECT'), true)`).Scan(&exists, &mayCreate, &mayRead); err != nil {
		return fail("reading schema_migrations", err)
	}
	if !mayRead {
		// Said as a role without write rights hears it, not as the
		// driver's "permission denied for table schema_migrations".
		return false, missingPrivileges(octx, conn, role, *schema, fail)
	}
	var newest *int64
	if exists {
		if err := conn.QueryRow(octx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
			return fail("reading schema_migrations", err)
		}
	}
	if newest != nil && *newest > int64(latest) {
		return false, store.NewerSchema(*newest, latest)
	}
	if (newest == nil || *newest < int64(latest)) && !mayCreate {
		return false, store.Errorf("schema %s needs migrating to version %d, but role %s may not create in it: GRANT CREATE ON SCHEMA %s TO %s, or start graphprofile once as a role that may (the owner), which migrates it",
			*schema, latest, role, quoteIdent(*schema), quoteIdent(role))
	}
	if !exists {
		if _, err := conn.Exec(octx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
	)`); err != nil {
			return fail("creating schema_migrations", err)
		}
	}
	// An upgrade is logged, start and end: 0006 reads every user (about
	// 8 s for 100,000), and a server that says nothing meanwhile looks
	// hung. A new schema takes no time.
	upgrading := newest != nil && *newest < int64(latest) && o.logger != nil
	began := time.Now()
	if upgrading {
		o.logger.Info("migrating the database's schema (a big database takes a while)", "from", *newest, "to", latest)
	}
	for _, m := range ms {
		err := pgx.BeginFunc(octx, conn, func(tx pgx.Tx) error {
			var applied bool
			if err := tx.QueryRow(octx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&applied); err != nil {
				return dbErr("reading schema_migrations", err)
			}
			if applied {
				return nil
			}
			// A migration's DDL may wait for the requests of servers
			// already running; the role's lock_timeout does not bound
			// that, migrateTimeout does (SET LOCAL: for this
			// transaction alone, also through a pooler).
			if _, err := tx.Exec(octx, `SET LOCAL lock_timeout = 0`); err != nil {
				return dbErr("applying migration "+m.Name, err)
			}
			// No arguments: the simple protocol, which runs a script.
			if _, err := tx.Exec(octx, m.SQL); err != nil {
				return dbErr("applying migration "+m.Name, err)
			}
			if step := migrationSteps[m.Version]; step != nil {
				if err := step(octx, tx); err != nil {
					return dbErr("applying migration "+m.Name, err)
				}
			}
			if _, err := tx.Exec(octx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version); err != nil {
				return dbErr("recording migration "+m.Name, err)
			}
			return nil
		})
		if err != nil {
			return fail("migrating", err)
		}
	}
	if upgrading {
		o.logger.Info("migrated the database's schema", "version", latest, "took", time.Since(began).Round(time.Millisecond).String())
	}
	// A role that may read but not write would start, say it is ready,
	// and fail every write with a 500.
	if err := missingPrivileges(octx, conn, role, *schema, fail); err != nil {
		return false, err
	}
	if _, err := conn.Exec(octx, `SELECT pg_advisory_unlock($1, hashtext(coalesce(current_schema(), '')))`, migrationLock); err != nil {
		return fail("releasing the migration lock", err)
	}
	return sc == "off" || sc == "on", nil
}

// migrationSteps are the parts of migrations that SQL cannot do, by
// version: each runs after its migration's SQL, in its transaction.
var migrationSteps = map[int]func(ctx context.Context, tx pgx.Tx) error{
	6: fillNameKeys,
}

// fillNameKeys gives every user its name_key (migration 0006): the
// graphprofile.NameKey of its display name, as every write computes it, in
// Go, so that the key is the odata engine's fold exactly (PostgreSQL's
// lower() follows the database's locale). It reads the users in pages of
// the primary key, so its memory is a page's whatever the directory's size.
func fillNameKeys(ctx context.Context, tx pgx.Tx) error {
	var tenant, id string
	for {
		rows, err := tx.Query(ctx,
			`SELECT tenant_id, id, document FROM users WHERE (tenant_id, id) > ($1, $2) ORDER BY tenant_id, id LIMIT 1000`, tenant, id)
		if err != nil {
			return err
		}
		var tenants, ids, keys []string
		var n int
		for rows.Next() {
			var t, i, doc string
			if err := rows.Scan(&t, &i, &doc); err != nil {
				rows.Close()
				return err
			}
			n++
			tenant, id = t, i
			u, err := store.DecodeUser(t, i, []byte(doc))
			if err != nil {
				rows.Close()
				return err
			}
			if _, key := stored.UserKeys(u); key != "" {
				tenants, ids, keys = append(tenants, t), append(ids, i), append(keys, key)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(keys) > 0 {
			if _, err := tx.Exec(ctx,
				`UPDATE users u SET name_key = v.key
				 FROM unnest($1::text[], $2::text[], $3::text[]) AS v(tenant_id, id, key)
				 WHERE u.tenant_id = v.tenant_id AND u.id = v.id`, tenants, ids, keys); err != nil {
				return unfitNameKey(err, tenants, ids, keys)
			}
		}
		if n == 0 {
			// The planner's statistics know the new column and index at
			// once, not when autovacuum comes by: a directory listed in
			// the order of its names reads a page of the index.
			_, err := tx.Exec(ctx, `ANALYZE users`)
			return err
		}
	}
}

// unfitNameKey is err, fillNameKeys' update of the keys of a page of
// users, told in terms of the user it is about when PostgreSQL refused an
// index row too big (program_limit_exceeded): a display name whose key an
// older version stored beside a long tenant key and a long id, which the
// directory now refuses (MaxKeyBytes), and PostgreSQL could not compress
// into the index. It names the first such user of the page and says how
// to go on; nothing is changed, and the version that stored it still
// serves the database.
func unfitNameKey(err error, tenants, ids, keys []string) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "54000" {
		return err
	}
	for n, key := range keys {
		if room := graphprofile.MaxKeyBytes - len(tenants[n]) - len(ids[n]); len(key) > room {
			return fmt.Errorf("user %.100q of tenant %.100q has a displayName that takes %d bytes of UTF-8 in lower case, more than the %d the index of the users in the order of their names holds beside the tenant's key and the user's id (MaxKeyBytes, %d in all; %w): shorten it (PATCH /users/{id} with a displayName) with the version that stored it, then start this one",
				ids[n], tenants[n], len(key), max(room, 0), graphprofile.MaxKeyBytes, err)
		}
	}
	return err
}

// quoteIdent quotes name as an SQL identifier, for the statements that
// messages suggest.
func quoteIdent(name string) string {
	return pgx.Identifier{name}.Sanitize()
}

// releaseHint says how to release the migration lock that the session of
// pid holds (0: unknown).
func releaseHint(pid int32) string {
	p := "pid"
	if pid != 0 {
		p = strconv.Itoa(int(pid))
	}
	return "if it is not a server migrating the schema, end its session with SELECT pg_terminate_backend(" + p + ") (as a superuser or its role) and start again"
}

// lockHolders describes the sessions that hold the migration lock of the
// schema conn's session uses, e.g. `pid 1234 (application_name "graphprofile",
// client 10.0.0.5, started 2026-01-02T15:04:05Z, state "idle")`; "" when
// none does; and the first one's pid. What the role may not see of another
// role's session (pg_stat_activity) is left out.
func lockHolders(ctx context.Context, conn *pgx.Conn) (string, int32, error) {
	rows, err := conn.Query(ctx, `SELECT l.pid, a.application_name, host(a.client_addr), a.backend_start, a.state
		FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND l.classid = $1::int4::oid AND l.objid = hashtext(coalesce(current_schema(), ''))::oid
		ORDER BY l.pid`, migrationLock)
	if err != nil {
		return "", 0, err
	}
	var (
		list               []string
		first, pid         int32
		app, client, state *string
		started            *time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&pid, &app, &client, &started, &state}, func() error {
		var about []string
		if app != nil {
			about = append(about, fmt.Sprintf("application_name %q", *app))
		}
		if client != nil {
			about = append(about, "client "+*client)
		}
		if started != nil {
			about = append(about, "started "+started.UTC().Format(time.RFC3339))
		}
		if state != nil {
			about = append(about, fmt.Sprintf("state %q", *state))
		}
		h := "pid " + strconv.Itoa(int(pid))
		if len(about) > 0 {
			h += " (" + strings.Join(about, ", ") + ")"
		}
		if first == 0 {
			first = pid
		}
		list = append(list, h)
		return nil
	})
	if err != nil {
		return "", 0, err
	}
	return strings.Join(list, ", "), first, nil
}

// missingPrivileges returns the error that names the privileges role
// lacks on the tables of schema (nil when it lacks none), with the GRANT
// that gives them; fail wraps an error reading them.
func missingPrivileges(ctx context.Context, conn *pgx.Conn, role, schema string, fail func(string, error) (bool, error)) error {
	var missing []string
	if err := conn.QueryRow(ctx, `SELECT coalesce(array_agg(p || ' on ' || t ORDER BY t, p), '{}')
		FROM (VALUES ('item_counts'), ('items'), ('users'), ('shared_secrets'), ('schema_migrations')) AS tables (t),
			(VALUES ('DELETE'), ('INSERT'), ('SELECT'), ('UPDATE')) AS privileges (p)
		WHERE NOT (t = 'shared_secrets' AND p IN ('DELETE', 'UPDATE'))
			AND NOT (t = 'schema_migrations' AND p <> 'SELECT')
			AND NOT has_table_privilege(to_regclass(format('%I.%I', current_schema(), t)), p)`).Scan(&missing); err != nil {
		_, err = fail("reading the role's privileges", err)
		return err
	}
	if len(missing) == 0 {
		return nil
	}
	return store.Errorf("role %s may not %s in schema %s: GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s TO %s",
		role, strings.Join(missing, ", "), schema, quoteIdent(schema), quoteIdent(role))
}
