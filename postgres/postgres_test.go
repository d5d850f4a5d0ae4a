package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/migrations"
	"github.com/graphprofile/graphprofile/postgres/pgtest"
	"github.com/graphprofile/graphprofile/storetest"
	"github.com/jackc/pgx/v5"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) graphprofile.Store { return openFresh(t) })
}

func TestStoreReopen(t *testing.T) {
	storetest.RunReopen(t,
		func(t *testing.T) graphprofile.Store { return openFresh(t) },
		func(t *testing.T, old graphprofile.Store) graphprofile.Store { return openAt(t, urlOf(old.(*Store))) })
}

// The fixtures of storetest, which its contract suite writes too.
var (
	tenant = storetest.Tenant
	adele  = storetest.Adele()
	t0     = storetest.Created()
)

func TestMigrations(t *testing.T) {
	ms, err := migrations.Load(migrationFiles, "migrations") // the rules of the files are Load's
	if err != nil {
		t.Fatal(err)
	}
	latest := migrations.Latest(ms)

	// versions returns the applied versions of the schema of s.
	versions := func(t *testing.T, s *Store) []int {
		t.Helper()
		rows, err := s.pool.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			t.Fatal(err)
		}
		return vs
	}
	wantAll := func(t *testing.T, what string, vs []int) {
		t.Helper()
		if len(vs) != len(ms) || vs[len(vs)-1] != latest {
			t.Errorf("%s: applied versions %v, want 1..%d, each once", what, vs, latest)
		}
	}

	t.Run("Idempotent", func(t *testing.T) {
		// Each migration is applied once, however often the database is
		// opened; that the data stays is TestStoreReopen's.
		url := freshURL(t)
		for i := range 3 {
			s, err := Open(t.Context(), url)
			if err != nil {
				t.Fatalf("Open %d: %v", i, err)
			}
			wantAll(t, fmt.Sprint("Open ", i), versions(t, s))
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		// Servers starting together on a new database: all open, the
		// schema is made once. A database of its own, in its public schema.
		setup(t)
		name := pgtest.RandomName("gp_mig_")
		url, err := server.CreateDatabase(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := server.DropDatabase(context.Background(), name); err != nil {
				t.Error(err)
			}
		})
		const n = 8
		stores := make([]*Store, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				stores[i], errs[i] = Open(t.Context(), url)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Open %d: %v", i, err)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		for i, s := range stores {
			t.Cleanup(func() { s.Close() })
			u := adele
			u.ID = fmt.Sprint("user-", i)
			u.UserPrincipalName = fmt.Sprintf("user%d@contoso.com", i)
			if _, err := s.EnsureUser(t.Context(), u); err != nil {
				t.Errorf("EnsureUser on store %d: %v", i, err)
			}
		}
		wantAll(t, "after concurrent opens", versions(t, stores[0]))
		users, err := graphprofile.AllUsers(t.Context(), stores[n-1], tenant)
		if err != nil || len(users) != n {
			t.Errorf("ListUsers = %d users, %v; want %d", len(users), err, n)
		}
	})

	t.Run("NewerRefused", func(t *testing.T) {
		for _, v := range []int{latest + 1, 9999} {
			t.Run(fmt.Sprint(v), func(t *testing.T) {
				url := freshURL(t)
				s := openAt(t, url)
				if _, err := s.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
					t.Fatal(err)
				}
				s2, err := Open(t.Context(), url)
				if err == nil {
					s2.Close()
				}
				storetest.WantNewerSchema(t, err, v)
				if got := versions(t, s); got[len(got)-1] != v || len(got) != len(ms)+1 {
					t.Errorf("versions after the refusal: %v", got)
				}
			})
		}
	})

	t.Run("Lock", func(t *testing.T) {
		// While another server holds the migration lock, Open waits; it
		// goes on when the lock is released.
		url := freshURL(t)
		s := openAt(t, url)
		conn, err := s.pool.Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Release()
		lock := `SELECT pg_advisory_lock($1, hashtext(coalesce(current_schema(), '')))`
		if _, err := conn.Exec(t.Context(), lock, migrationLock); err != nil {
			t.Fatal(err)
		}
		opened := make(chan error, 1)
		go func() {
			s2, err := Open(context.Background(), url)
			if err == nil {
				s2.Close()
			}
			opened <- err
		}()
		select {
		case err := <-opened:
			t.Fatalf("Open returned while another held the migration lock: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		if _, err := conn.Exec(t.Context(), `SELECT pg_advisory_unlock($1, hashtext(coalesce(current_schema(), '')))`, migrationLock); err != nil {
			t.Fatal(err)
		}
		if err := <-opened; err != nil {
			t.Fatalf("Open after the lock was released: %v", err)
		}
	})
}

func TestSchema(t *testing.T) {
	s := openFresh(t)
	ctx := t.Context()

	t.Run("Columns", func(t *testing.T) {
		type col struct{ table, column, typ, collation string }
		rows, err := s.pool.Query(ctx, `SELECT table_name::text, column_name::text, data_type::text, coalesce(collation_name::text, '')
			FROM information_schema.columns WHERE table_schema = current_schema() AND table_name IN ('users', 'items', 'positions')`)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (col, error) {
			var c col
			err := r.Scan(&c.table, &c.column, &c.typ, &c.collation)
			return c, err
		})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]col{}
		for _, c := range cols {
			got[c.table+"."+c.column] = c
		}
		for _, want := range []col{
			{"users", "tenant_id", "text", "C"},
			{"users", "id", "text", "C"},
			{"users", "upn_key", "text", "C"},
			{"users", "document", "text", ""},
			{"items", "tenant_id", "text", "C"},
			{"items", "user_id", "text", "C"},
			{"items", "kind", "text", "C"},
			{"items", "id", "text", "C"},
			{"items", "created_at", "bigint", ""},
			{"items", "document", "text", ""},
		} {
			if g := got[want.table+"."+want.column]; g != want {
				t.Errorf("column %s.%s = %+v, want %+v", want.table, want.column, g, want)
			}
		}
		if g, ok := got["positions.id"]; ok {
			t.Errorf("the positions table remains (%+v): migration 0003 moves it into items", g)
		}
	})

	t.Run("Cascade", func(t *testing.T) {
		if rule := query[string](t, s, `SELECT delete_rule::text FROM information_schema.referential_constraints
			WHERE constraint_schema = current_schema() AND constraint_name = 'items_user_fkey'`); rule != "CASCADE" {
			t.Errorf("items_user_fkey ON DELETE %s, want CASCADE", rule)
		}
	})

	t.Run("DeletingUserDeletesProfile", func(t *testing.T) {
		m := graphprofile.User{TenantID: tenant, ID: "megan", DisplayName: "Megan"}
		for _, u := range []graphprofile.User{adele, m} {
			if _, err := s.EnsureUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateItem(ctx, u.Key(), workPositions, storetest.Position("p-cascade", t0), 0); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteUser(ctx, m.Key()); err != nil {
			t.Fatal(err)
		}
		if n := query[int](t, s, `SELECT count(*) FROM items WHERE user_id = $1`, m.ID); n != 0 {
			t.Errorf("%d positions of the deleted user remain", n)
		}
		if n := query[int](t, s, `SELECT count(*) FROM items WHERE user_id = $1 AND id = 'p-cascade'`, adele.ID); n != 1 {
			t.Errorf("%d positions of the other user remain, want 1", n)
		}
	})

	t.Run("UPNKey", func(t *testing.T) {
		storetest.WantPrincipalNameKeys(t, s, func(t *testing.T, id string) (*string, string) {
			return query[*string](t, s, `SELECT upn_key FROM users WHERE tenant_id = $1 AND id = $2`, tenant, id),
				query[string](t, s, `SELECT coalesce(document::jsonb->>'userPrincipalName', '') FROM users WHERE tenant_id = $1 AND id = $2`, tenant, id)
		})
	})

	t.Run("Document", func(t *testing.T) {
		if _, err := s.EnsureUser(ctx, adele); err != nil {
			t.Fatal(err)
		}
		p := storetest.Position("p1", t0)
		p["detail"].(graphprofile.Object)["description"] = "NUL \x00 and \u2028, 1e21: "
		p["inference"] = graphprofile.Object{"confidenceScore": 1e21}
		if err := s.CreateItem(ctx, adele.Key(), workPositions, p, 0); err != nil {
			t.Fatal(err)
		}
		want := string(graphprofile.AppendObjectJSON(nil, graphprofile.WorkPositionType, graphprofile.Object(p), graphprofile.EncodeOptions{OmitNulls: true}))
		if doc := query[string](t, s, `SELECT document FROM items WHERE kind = 'positions' AND id = 'p1'`); doc != want {
			t.Errorf("document\n  %s\nwant, byte for byte,\n  %s", doc, want)
		}
		if at := query[int64](t, s, `SELECT created_at FROM items WHERE kind = 'positions' AND id = 'p1'`); at != t0.UnixNano() {
			t.Errorf("created_at = %d, want %d", at, t0.UnixNano())
		}
		got, err := s.GetItem(ctx, adele.Key(), workPositions, "p1")
		if err != nil {
			t.Fatal(err)
		}
		if d := storetest.Diff(graphprofile.Object(p), graphprofile.Object(got)); d != "" {
			t.Errorf("GetPosition:\n%s", d)
		}
	})

	t.Run("PagesUseIndexes", func(t *testing.T) {
		// A page is a range of an index read in its order: no sort,
		// whatever the collection's size. (Without statistics the planner
		// might scan a small table; what matters is that the index can
		// serve the range in order.)
		type page struct {
			name, query, index string
			args               []any
		}
		tests := []page{
			{"items", itemsPageQuery, "items_by_created", []any{tenant, adele.ID, "positions", t0.UnixNano(), "p", 256}},
			{"users", usersPageQuery, "users_pkey", []any{tenant, "a", 256}},
		}
		for _, descending := range []bool{false, true} {
			for _, after := range []*graphprofile.NamePosition{nil, {Name: "adele", ID: "a"}} {
				q, args := usersByNameQuery(tenant, descending, after, 256)
				index := "users_by_name"
				if descending {
					index += "_desc"
				}
				tests = append(tests, page{fmt.Sprintf("users by name (descending %v, after %v)", descending, after), q, index, args})
				q, args = usersByPrincipalNameQuery(tenant, descending, after, 256)
				tests = append(tests, page{fmt.Sprintf("users by principal name (descending %v, after %v)", descending, after), q, "users_upn_key", args})
			}
		}
		for _, tc := range tests {
			tx, err := s.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
				t.Fatal(err)
			}
			rows, err := tx.Query(ctx, "EXPLAIN "+tc.query, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
			tx.Rollback(ctx)
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(plan, "\n")
			if !strings.Contains(joined, tc.index+" ") || strings.Contains(joined, "Sort") || !strings.Contains(joined, "Index Cond") {
				t.Errorf("a page of %s is not a range of %s read in order:\n%s", tc.name, tc.index, joined)
			}
			t.Logf("%s:\n%s", tc.name, joined)
		}
		// Newest first ($orderby=createdDateTime desc) is the same index
		// read backwards from the position's time: only the items of one
		// time are sorted by id (an incremental sort), never the
		// collection (a plain Sort). The planner sorts a collection it
		// believes small, so the plan is of a big one, analyzed (20,000
		// items, three of each time; rolled back).
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		for _, stmt := range []string{
			`INSERT INTO users (tenant_id, id) VALUES ('plan', 'big')`,
			`INSERT INTO items (tenant_id, user_id, kind, id, created_at, document)
			 SELECT 'plan', 'big', 'positions', 'p' || g, 1000000 + g / 3, '{}' FROM generate_series(1, 20000) g`,
			`ANALYZE items`,
		} {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := tx.Query(ctx, "EXPLAIN "+newestPageQuery, "plan", "big", "positions", int64(1005000), "p", 16)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		joined := strings.Join(plan, "\n")
		plainSort := regexp.MustCompile(`(?m)^\s*(->\s*)?Sort\s+\(`) // a node, not "Sort Key:"
		if !strings.Contains(joined, "Index Scan Backward using items_by_created ") || !strings.Contains(joined, "Index Cond") || plainSort.MatchString(joined) {
			t.Errorf("a page newest first is not a range of items_by_created read backwards:\n%s", joined)
		}
		t.Logf("items newest first:\n%s", joined)
	})
}

func TestByteOrder(t *testing.T) {
	// Ids that a linguistic collation orders otherwise: case, punctuation,
	// accents. The run's database has an ICU (en-US) default collation
	// when the server has ICU, so this fails without COLLATE "C".
	s := openFresh(t)
	ctx := t.Context()
	if p := query[string](t, s, `SELECT datlocprovider::text FROM pg_database WHERE datname = current_database()`); p != "i" {
		t.Logf("the database's default collation is not ICU (datlocprovider %q): this test shows less", p)
	}
	ids := []string{"b", "B", "a-c", "ab", "_x", "Z", "é", "e", "f", "10", "9", "a c"}
	for _, id := range ids {
		if err := s.CreateUser(ctx, graphprofile.User{TenantID: tenant, ID: id, DisplayName: id}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateItem(ctx, adele.Key(), workPositions, storetest.Position(id, t0), 0); err == nil || !errors.Is(err, graphprofile.ErrNotFound) {
			t.Fatalf("CreatePosition for a missing user: %v", err)
		}
	}
	if _, err := s.EnsureUser(ctx, adele); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := s.CreateItem(ctx, adele.Key(), workPositions, storetest.Position(id, t0), 0); err != nil {
			t.Fatal(err)
		}
	}
	want := slices.Clone(ids)
	slices.Sort(want)
	users, err := graphprofile.AllUsers(ctx, s, tenant)
	if err != nil {
		t.Fatal(err)
	}
	var gotUsers []string
	for _, u := range users {
		if u.ID != adele.ID {
			gotUsers = append(gotUsers, u.ID)
		}
	}
	if !slices.Equal(gotUsers, want) {
		t.Errorf("ListUsers order %q, want %q", gotUsers, want)
	}
	ps, err := graphprofile.AllItems(ctx, s, adele.Key(), workPositions)
	if err != nil {
		t.Fatal(err)
	}
	var gotPositions []string
	for _, p := range ps {
		gotPositions = append(gotPositions, p.ID())
	}
	if !slices.Equal(gotPositions, want) {
		t.Errorf("ListPositions order (equal times) %q, want %q", gotPositions, want)
	}
}

// TestMigrationLockHolder: a server that cannot take the migration lock
// (a crashed server's session still open holds it) says, in its log after a
// few seconds and in the error it ends with, which session holds it and how
// to end it: it waited two minutes in silence, then said only "context
// deadline exceeded".
func TestMigrationLockHolder(t *testing.T) {
	url := freshURL(t)
	pid := holdMigrationLock(t, url)
	var log bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &log}, nil))
	s2, err := Open(t.Context(), url, WithLogger(logger), func(o *options) {
		o.migrateTimeout = time.Second
		o.lockNotice = 200 * time.Millisecond
	})
	if err == nil {
		s2.Close()
		t.Fatal("Open took the migration lock that another session held")
	}
	for _, want := range []string{
		"waiting for the migration lock",
		fmt.Sprintf("pid %d", pid),
		`application_name "stuck-server"`,
		"client 127.0.0.1",
		`state "idle"`,
		fmt.Sprintf("pg_terminate_backend(%d)", pid),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open's error does not say %q: %v", want, err)
		}
	}
	if !errors.Is(err, graphprofile.ErrUnavailable) {
		t.Errorf("Open's error is not ErrUnavailable: %v", err)
	}
	mu.Lock()
	logged := log.String()
	mu.Unlock()
	if n := strings.Count(logged, "waiting for the migration lock"); n != 1 {
		t.Errorf("the log says %d times that Open waits for the lock, not once: %s", n, logged)
	}
	for _, want := range []string{fmt.Sprintf("pid %d", pid), "stuck-server", fmt.Sprintf("pg_terminate_backend(%d)", pid)} {
		if !strings.Contains(logged, want) {
			t.Errorf("the log does not say %q: %s", want, logged)
		}
	}
}

// TestMigrationLockWaitEndsMidStatement: the wait for the migration lock
// ends while one of its statements is in flight (a slow network, a loaded
// machine: a CI run failed so), and Open's error still names the session
// that holds the lock. The wait's end must not cut the statement short:
// pgx closes a connection whose statement's context ends, and that
// connection is the one the holder is read on.
func TestMigrationLockWaitEndsMidStatement(t *testing.T) {
	dbURL := freshURL(t)
	pid := holdMigrationLock(t, dbURL)
	p := pgtest.StartProxy(t, pgtest.HostOf(t, dbURL))
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.Addr()
	// The network stands still from 0.7 s to 1.4 s of Open's one-second
	// wait: the statement sent last before 0.7 s is still in flight at
	// the wait's end, and comes back at 1.4 s.
	const wait = time.Second
	held := make(chan struct{})
	go func() {
		defer close(held)
		time.Sleep(700 * time.Millisecond)
		p.Set(true, false)
		time.Sleep(700 * time.Millisecond)
		p.Set(false, false)
	}()
	s2, err := Open(t.Context(), u.String(), func(o *options) { o.migrateTimeout = wait })
	<-held
	if err == nil {
		s2.Close()
		t.Fatal("Open took the migration lock that another session held")
	}
	for _, want := range []string{"waiting for the migration lock", fmt.Sprintf("pid %d", pid), fmt.Sprintf("pg_terminate_backend(%d)", pid)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open's error does not say %q: %v", want, err)
		}
	}
	if !errors.Is(err, graphprofile.ErrUnavailable) {
		t.Errorf("Open's error is not ErrUnavailable: %v", err)
	}
}

// holdMigrationLock migrates the database of url (so that another Open
// only waits for the lock), then holds the migration lock on a session of
// its own, named "stuck-server", until the test ends, and returns that
// session's pid.
func holdMigrationLock(t *testing.T, url string) int32 {
	t.Helper()
	openAt(t, url)
	conn, err := pgx.Connect(t.Context(), pgtest.WithParams(url, "application_name", "stuck-server"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	var pid int32
	if err := conn.QueryRow(t.Context(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), `SELECT pg_advisory_lock($1, hashtext(coalesce(current_schema(), '')))`, migrationLock); err != nil {
		t.Fatal(err)
	}
	return pid
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}
