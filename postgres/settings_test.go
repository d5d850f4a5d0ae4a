package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/postgres/pgtest"
	"github.com/graphprofile/graphprofile/storetest"
	"github.com/jackc/pgx/v5"
)

// limitedRole makes a role that may log in and use the schema of schemaURL
// (USAGE, and the statements of grants, e.g. `SELECT, INSERT, UPDATE,
// DELETE ON ALL TABLES IN SCHEMA %s`), but may not create in it, as an
// operator gives an application whose schema an administrator migrates. It
// returns the schema's URL as that role, and drops the role at the end.
func limitedRole(t *testing.T, schemaURL string, grants ...string) string {
	t.Helper()
	u, err := url.Parse(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	role := pgtest.RandomName("gp_role_")
	if _, err := admin.Exec(t.Context(), `CREATE ROLE `+role+` LOGIN`); err != nil {
		t.Skipf("CREATE ROLE (the test needs a role that may create roles): %v", err)
	}
	t.Cleanup(func() {
		for _, q := range []string{`DROP OWNED BY ` + role, `DROP ROLE ` + role} {
			if _, err := admin.Exec(context.Background(), q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	for _, g := range append([]string{`USAGE ON SCHEMA %s`}, grants...) {
		q := `GRANT ` + strings.ReplaceAll(g, "%s", schema) + ` TO ` + role
		if _, err := admin.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	u.User = url.User(role)
	return u.String()
}

// TestOpenAsARoleThatMayNotCreate: an application's role with only the
// privileges its statements need, on a schema an administrator migrated,
// serves; on a schema that still needs migrating it is refused with a
// message that says what is missing. Open ran CREATE TABLE IF NOT EXISTS
// schema_migrations at every start, which needs CREATE on the schema even
// when the table exists: "permission denied for schema …".
func TestOpenAsARoleThatMayNotCreate(t *testing.T) {
	schemaURL := freshURL(t)
	openAt(t, schemaURL) // the administrator migrates

	t.Run("Migrated", func(t *testing.T) {
		s := openAt(t, limitedRole(t, schemaURL, `SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s`))
		if _, err := s.EnsureUser(t.Context(), adele); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindUser(t.Context(), tenant, adele.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("SelectOnly", func(t *testing.T) {
		// A role that may read but not write started, /readyz said ok,
		// and every write was a 500.
		s, err := Open(t.Context(), limitedRole(t, schemaURL, `SELECT ON ALL TABLES IN SCHEMA %s`))
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded as a role that may not write the tables")
		}
		if errors.Is(err, graphprofile.ErrUnavailable) {
			t.Errorf("error %v wraps ErrUnavailable: a missing privilege is a configuration error", err)
		}
		if msg := err.Error(); !strings.Contains(msg, "INSERT on users") || !strings.Contains(msg, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA") {
			t.Errorf("error %q does not name the missing privileges and the GRANT", msg)
		}
	})

	t.Run("NoTableRights", func(t *testing.T) {
		// USAGE on the schema and no right on its tables: Open said only
		// "permission denied for table schema_migrations".
		s, err := Open(t.Context(), limitedRole(t, schemaURL))
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded as a role that may not read the tables")
		}
		if errors.Is(err, graphprofile.ErrUnavailable) {
			t.Errorf("error %v wraps ErrUnavailable: a missing privilege is a configuration error", err)
		}
		if msg := err.Error(); !strings.Contains(msg, "SELECT on schema_migrations") || !strings.Contains(msg, "INSERT on users") || !strings.Contains(msg, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA") {
			t.Errorf("error %q does not name the missing privileges and the GRANT", msg)
		}
	})

	t.Run("NotMigrated", func(t *testing.T) {
		s, err := Open(t.Context(), limitedRole(t, freshURL(t)))
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded on a schema the role may neither migrate nor use")
		}
		if errors.Is(err, graphprofile.ErrUnavailable) {
			t.Errorf("error %v wraps ErrUnavailable: a missing privilege is a configuration error", err)
		}
		if msg := err.Error(); !strings.Contains(msg, "CREATE") || !strings.Contains(msg, "GRANT") {
			t.Errorf("error %q does not say that the role needs CREATE on the schema", msg)
		}
	})

	t.Run("NoSchema", func(t *testing.T) {
		s, err := Open(t.Context(), pgtest.WithParams(runURL, "search_path", pgtest.RandomName("gp_missing_")))
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded with a search_path that names no schema")
		}
		if msg := err.Error(); !strings.Contains(msg, "search_path") {
			t.Errorf("error %q does not name the search_path", msg)
		}
	})

	t.Run("NoUsage", func(t *testing.T) {
		// current_schema() skips a schema the role may not use: the
		// message says so, not only that none exists.
		u, err := url.Parse(limitedRole(t, freshURL(t)))
		if err != nil {
			t.Fatal(err)
		}
		schema := u.Query().Get("search_path")
		if _, err := admin.Exec(t.Context(), `REVOKE USAGE ON SCHEMA `+schema+` FROM `+u.User.Username()); err != nil {
			t.Fatal(err)
		}
		s, err := Open(t.Context(), u.String())
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded on a schema the role may not use")
		}
		if msg := err.Error(); !strings.Contains(msg, "USAGE") {
			t.Errorf("error %q does not say that the role needs USAGE on the schema", msg)
		}
	})
}

// TestClientEncoding: what the store writes is UTF-8 in the database, as
// any other client reads it, whatever client_encoding the role or the
// database set. With a role's client_encoding LATIN1 the sessions sent
// UTF-8 bytes that the server took for LATIN1 and converted: "Zoë" was
// stored as "ZoÃ«", the API read it back unchanged, and every other reader
// of the database (and the API, once the role's setting was removed) saw
// the mangled text.
func TestClientEncoding(t *testing.T) {
	role, roleURL := ownRole(t)
	if _, err := admin.Exec(t.Context(), `ALTER ROLE `+role+` SET client_encoding = 'LATIN1'`); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, roleURL)
	u := adele
	u.DisplayName = "Zoë 😀 Ångström"
	if _, err := s.EnsureUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	schema, _ := url.Parse(roleURL)
	var doc string
	if err := admin.QueryRow(t.Context(), `SELECT document FROM `+schema.Query().Get("search_path")+`.users WHERE id = $1`, u.ID).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc, u.DisplayName) {
		t.Errorf("the database holds %s, want the name %q", doc, u.DisplayName)
	}

	// A URL that asks for another encoding is refused: what it sends
	// would be stored mangled.
	s2, err := Open(t.Context(), pgtest.WithParams(freshURL(t), "client_encoding", "LATIN1"))
	if err == nil {
		s2.Close()
		t.Fatal("Open succeeded with client_encoding=LATIN1")
	}
	if msg := err.Error(); !strings.Contains(msg, "client_encoding") {
		t.Errorf("error %q does not name client_encoding", msg)
	}
}

// TestDefaultIsolationOverridden: a role's (or a database's)
// default_transaction_isolation of serializable or repeatable read does not
// reach the store's sessions. A create is one statement, in the implicit
// transaction the default sets: concurrent creates and deletes of one
// collection, which update its count row, failed with "could not
// serialize access due to concurrent update" (40001) past the retries, a
// 503, where READ COMMITTED makes them wait for the row.
func TestDefaultIsolationOverridden(t *testing.T) {
	for _, level := range []string{"serializable", "repeatable read"} {
		t.Run(level, func(t *testing.T) {
			role, roleURL := ownRole(t)
			if _, err := admin.Exec(t.Context(), `ALTER ROLE `+role+` SET default_transaction_isolation = '`+level+`'`); err != nil {
				t.Fatal(err)
			}
			s := openAt(t, roleURL)
			if got := query[string](t, s, `SHOW transaction_isolation`); got != "read committed" {
				t.Errorf("a session's isolation is %q, want read committed", got)
			}
			ctx := t.Context()
			if _, err := s.EnsureUser(ctx, adele); err != nil {
				t.Fatal(err)
			}
			const workers, each = 8, 20
			for i := range workers * each {
				if i%2 == 1 {
					if err := s.CreateItem(ctx, adele.Key(), workPositions, storetest.Position(fmt.Sprintf("old%03d", i), t0), 0); err != nil {
						t.Fatal(err)
					}
				}
			}
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			for w := range workers {
				wg.Go(func() {
					for j := range each {
						i := w*each + j
						var err error
						if i%2 == 1 {
							err = s.DeleteItem(ctx, adele.Key(), workPositions, fmt.Sprintf("old%03d", i), nil)
						} else {
							err = s.CreateItem(ctx, adele.Key(), workPositions, storetest.Position(fmt.Sprintf("new%03d", i), t0), 0)
						}
						if err != nil {
							errs <- fmt.Errorf("%d: %w", i, err)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if n := query[int64](t, s, `SELECT count(*) FROM items WHERE tenant_id = $1`, adele.TenantID); n != workers*each/2 {
				t.Errorf("%d items stored, want %d", n, workers*each/2)
			}
		})
	}
}

// TestDatabaseEncoding: a database whose encoding cannot hold every
// character of a name (LATIN1 has no emoji) is refused at Open, naming its
// encoding, rather than storing names mangled or failing their writes.
func TestDatabaseEncoding(t *testing.T) {
	setup(t)
	name := pgtest.RandomName("gp_latin1_")
	if _, err := admin.Exec(t.Context(), `CREATE DATABASE `+name+` ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`); err != nil {
		t.Skipf("CREATE DATABASE (the test needs a role that may create databases): %v", err)
	}
	t.Cleanup(func() {
		if err := server.DropDatabase(context.Background(), name); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	dbURL, err := pgtest.WithDatabase(runURL, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), dbURL)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded on a LATIN1 database")
	}
	if errors.Is(err, graphprofile.ErrUnavailable) {
		t.Errorf("error %v wraps ErrUnavailable: the database's encoding is a configuration error", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "LATIN1") || !strings.Contains(msg, "UTF8") {
		t.Errorf("error %q does not name the database's encoding and the one needed", msg)
	}
}

// TestSessionReplicationRoleReplica: with session_replication_role replica
// (a logical replication target's setting, on the role or the database)
// PostgreSQL runs no foreign key triggers, so a user's items did not go
// with the user: a deleted user who signed in again got the deleted
// profile back. Open refuses it, naming the setting.
func TestSessionReplicationRoleReplica(t *testing.T) {
	role, roleURL := ownRole(t)
	if _, err := admin.Exec(t.Context(), `ALTER ROLE `+role+` SET session_replication_role = replica`); err != nil {
		t.Skipf("ALTER ROLE … SET session_replication_role (the test needs a superuser): %v", err)
	}
	s, err := Open(t.Context(), roleURL)
	if err == nil {
		defer s.Close()
		ctx := t.Context()
		if _, err := s.EnsureUser(ctx, adele); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateItem(ctx, adele.Key(), workPositions, storetest.Position("p1", t0), 0); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteUser(ctx, adele.Key()); err != nil {
			t.Fatal(err)
		}
		left := query[int64](t, s, `SELECT count(*) FROM items`)
		t.Fatalf("Open succeeded with session_replication_role replica (a deleted user left %d items behind)", left)
	}
	if errors.Is(err, graphprofile.ErrUnavailable) {
		t.Errorf("error %v wraps ErrUnavailable: the setting is a configuration error", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "session_replication_role") {
		t.Errorf("error %q does not name session_replication_role", msg)
	}
}

// TestMigrationLockWithLockTimeout: a role's lock_timeout (a DBA's guard
// for DDL) bounded the wait for the migration lock, so a server starting
// while another migrated failed at start (lock timeout): the migrations
// wait for each other under their own bound, as for statement_timeout.
func TestMigrationLockWithLockTimeout(t *testing.T) {
	role, roleURL := ownRole(t)
	if _, err := admin.Exec(t.Context(), `ALTER ROLE `+role+` SET lock_timeout = '20ms'`); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(roleURL)
	if err != nil {
		t.Fatal(err)
	}
	// Another server migrating holds the lock of this schema a while.
	conn, err := admin.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	const lock = `pg_advisory%s($1, hashtext($2))`
	if _, err := conn.Exec(t.Context(), `SELECT `+strings.ReplaceAll(lock, "%s", "_lock"), migrationLock, u.Query().Get("search_path")); err != nil {
		t.Fatal(err)
	}
	released := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		_, err := conn.Exec(context.Background(), `SELECT `+strings.ReplaceAll(lock, "%s", "_unlock"), migrationLock, u.Query().Get("search_path"))
		released <- err
	}()
	s, err := Open(t.Context(), roleURL)
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatalf("Open while another server held the migration lock 300 ms, with the role's lock_timeout 20ms: %v", err)
	}
	s.Close()
}

// TestImportAsARoleWithoutTemporary: a role that may not create temporary
// tables (REVOKE TEMPORARY ON DATABASE … FROM PUBLIC, as hardened
// databases are set up) imports users and loads profiles as any other.
// The streamed import copied its users into a temporary table, and every
// users import, fixtures load and admin import of such a role failed:
// "permission denied to create temporary tables".
func TestImportAsARoleWithoutTemporary(t *testing.T) {
	setup(t)
	name := pgtest.RandomName("gp_notemp_")
	dbURL, err := server.CreateDatabase(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	// limitedRole's grants, but in this database; it is dropped before
	// the role (cleanups run last first).
	roleURL := limitedRole(t, pgtest.WithParams(dbURL, "search_path", "public"))
	t.Cleanup(func() {
		if err := server.DropDatabase(context.Background(), name); err != nil {
			t.Error(err)
		}
	})
	if _, err := admin.Exec(t.Context(), `REVOKE TEMPORARY ON DATABASE `+name+` FROM PUBLIC`); err != nil {
		t.Fatal(err)
	}
	dbURL = pgtest.WithParams(dbURL, "search_path", "public")
	openAt(t, dbURL).Close() // the administrator migrates
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	role, _ := url.Parse(roleURL)
	_, err = conn.Exec(t.Context(), `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO `+role.User.Username())
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := openAt(t, roleURL)
	users := []graphprofile.User{adele, {TenantID: tenant, ID: "0f7c7b5e-57aa-4a33-a9ad-3c2d94c0a9ef", UserPrincipalName: "ben@contoso.com", DisplayName: "Ben"}}
	if err := s.ImportUsers(t.Context(), tenant, users); err != nil {
		t.Errorf("ImportUsers: %v", err)
	}
	if err := s.ImportUserStream(t.Context(), tenant, func(yield func(graphprofile.User, error) bool) {
		for _, u := range users {
			if !yield(u, nil) {
				return
			}
		}
	}); err != nil {
		t.Errorf("ImportUserStream: %v", err)
	}
	if err := s.LoadProfiles(t.Context(), []graphprofile.UserProfile{{User: adele}}); err != nil {
		t.Errorf("LoadProfiles: %v", err)
	}
	for _, u := range users {
		if got, err := s.FindUser(t.Context(), tenant, u.UserPrincipalName); err != nil || got.ID != u.ID {
			t.Errorf("FindUser(%s) = %v, %v; want the imported user", u.UserPrincipalName, got.ID, err)
		}
	}
}
