// Tests of what a mutation review of the store found unchecked: each
// fails when the line it names is changed (a lock, an order, a bound, a
// retry), and passes as the store is.

package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/postgres/pgtest"
	"github.com/graphprofile/graphprofile/storetest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// waitForLockWaiter waits until some session of the run's database other
// than pid waits for a lock, or done has a value.
func waitForLockWaiter(t *testing.T, pid uint32, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var waiting bool
		if err := admin.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1)`, int(pid)).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting || done() {
			return
		}
	}
	t.Fatal("nothing waits for a lock")
}

// TestKeyBeginningWithNUL: a key that starts with NUL names nothing: ErrNotFound, not a database error.
func TestKeyBeginningWithNUL(t *testing.T) {
	s := openWithAdele(t)
	ctx := t.Context()
	if _, err := s.FindUser(ctx, tenant, "\x00adele"); !errors.Is(err, graphprofile.ErrNotFound) {
		t.Errorf("FindUser(\"\\x00adele\"): %v, want ErrNotFound", err)
	}
	if _, err := s.GetItem(ctx, adele.Key(), workPositions, "\x00p"); !errors.Is(err, graphprofile.ErrNotFound) {
		t.Errorf("GetItem(\"\\x00p\"): %v, want ErrNotFound", err)
	}
}

// TestLoginRefusedWhileRunning: a running store whose role may no longer log in is unavailable (503), not broken (500).
func TestLoginRefusedWhileRunning(t *testing.T) {
	role, roleURL := ownRole(t)
	s := openAt(t, roleURL)
	ctx := t.Context()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`ALTER ROLE ` + role + ` NOLOGIN`,
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '` + role + `'`} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { admin.Exec(context.Background(), `ALTER ROLE `+role+` LOGIN`) })
	if err := s.Ping(ctx); !errors.Is(err, graphprofile.ErrUnavailable) {
		t.Errorf("Ping with the role's logins refused: %v, want ErrUnavailable", err)
	}
}

// TestImportStreamsInOppositeOrders: two streamed imports of the same users (one statement each) in
// opposite orders do not deadlock: each statement locks its rows in id order.
func TestImportStreamsInOppositeOrders(t *testing.T) {
	s := openAt(t, freshURL(t), WithBulkTimeout(0))
	const tenant = "0d2c6b6e-0000-4000-8000-0000000000d5"
	const n = 900
	user := func(i int) graphprofile.User {
		return graphprofile.User{TenantID: tenant, ID: fmt.Sprintf("u-%05d", i), DisplayName: fmt.Sprint("U", i)}
	}
	for round := range 3 {
		var both sync.WaitGroup
		both.Add(2)
		stream := func(reverse bool) iter.Seq2[graphprofile.User, error] {
			return func(yield func(graphprofile.User, error) bool) {
				for k := range n {
					i := k
					if reverse {
						i = n - 1 - k
					}
					if !yield(user(i), nil) {
						return
					}
				}
				both.Done() // both statements are sent at about the same time
				both.Wait()
			}
		}
		errs := make(chan error, 2)
		for _, rev := range []bool{false, true} {
			go func() { errs <- s.ImportUserStream(t.Context(), tenant, stream(rev)) }()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: ImportUserStream: %v", round, err)
			}
		}
	}
}

// TestImportNamesTheFirstHeldName: an import whose users take several held principal names names
// the first of them, in the import's order.
func TestImportNamesTheFirstHeldName(t *testing.T) {
	s := openFresh(t)
	ctx := t.Context()
	for _, u := range []graphprofile.User{
		{TenantID: tenant, ID: "a", UserPrincipalName: "a@contoso.com"},
		{TenantID: tenant, ID: "b", UserPrincipalName: "b@contoso.com"},
	} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	err := s.ImportUsers(ctx, tenant, []graphprofile.User{
		{ID: "x", UserPrincipalName: "b@contoso.com"},
		{ID: "y", UserPrincipalName: "a@contoso.com"},
	})
	var c *graphprofile.ConflictError
	if !errors.As(err, &c) || c.Value != "b@contoso.com" {
		t.Errorf("ImportUsers: %v, want the conflict on b@contoso.com (the first user's)", err)
	}
}

// TestCreateMeetsDeleteProfile: a create meeting a DeleteProfile in flight (user locked, items
// then counts to delete) waits for it instead of deadlocking with it.
func TestCreateMeetsDeleteProfile(t *testing.T) {
	s := openWithAdele(t, "p1")
	ctx := t.Context()
	del, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer del.Rollback(context.Background())
	if _, err := del.Exec(ctx, `SET LOCAL deadlock_timeout = '20ms'`); err != nil {
		t.Fatal(err)
	}
	var one int
	if err := del.QueryRow(ctx, `SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, adele.TenantID, adele.ID).Scan(&one); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- s.CreateItem(context.Background(), adele.Key(), workPositions, storetest.Position("p2", t0), 0)
	}()
	waitForLockWaiter(t, del.Conn().PgConn().PID(), func() bool { return len(done) > 0 })
	for _, table := range []string{"items", "item_counts"} {
		if _, err := del.Exec(ctx, `DELETE FROM `+table+` WHERE tenant_id = $1 AND user_id = $2`, adele.TenantID, adele.ID); err != nil {
			t.Fatalf("the DeleteProfile's delete of %s: %v", table, err)
		}
	}
	if err := del.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestMaxItemsBeyondInt32: a collection limit beyond int32 (serve --max-items 3000000000) works as no practical limit.
func TestMaxItemsBeyondInt32(t *testing.T) {
	s := openWithAdele(t)
	ctx := t.Context()
	if err := s.CreateItem(ctx, adele.Key(), workPositions, storetest.Position("p1", t0), math.MaxInt32+1); err != nil {
		t.Errorf("CreateItem with maxItems 2^31: %v", err)
	}
}

// TestSettleMeetsItsOwnItem: the settling run of a create whose outcome was unknown meets
// the item its first run stored meanwhile (a unique violation): the create succeeded.
func TestSettleMeetsItsOwnItem(t *testing.T) {
	s := openWithAdele(t)
	ctx := t.Context()
	it := storetest.Position("settled", t0)
	calls := 0
	create := func(ctx context.Context) error {
		calls++
		// The first run, still in flight, commits now; this run meets its id.
		if err := s.CreateItem(ctx, adele.Key(), workPositions, it, 0); err != nil {
			return err
		}
		return store.Errorf("%s item %q already exists: %w", workPositions.Name, it.ID(), errItemExists)
	}
	err := s.settleCreate(ctx, time.Now().Add(3*time.Second), adele.Key(), workPositions, it.ID(), create, errors.New("unknown outcome"))
	if err != nil {
		t.Errorf("settleCreate: %v, want nil (the item is the create's)", err)
	}
}

// TestDeleteProfileMeetsCreate: DeleteProfile meeting a create in flight deletes its item and its count, or neither.
func TestDeleteProfileMeetsCreate(t *testing.T) {
	s := openWithAdele(t, "p1")
	ctx := t.Context()
	row, err := store.NewRow(workPositions, storetest.Position("p2", t0))
	if err != nil {
		t.Fatal(err)
	}
	create, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer create.Rollback(context.Background())
	var found, inserted bool
	if err := create.QueryRow(ctx, createItemQuery, adele.TenantID, adele.ID, workPositions.Name, "p2", row.CreatedAt, row.Document, 0).Scan(&found, &inserted); err != nil || !inserted {
		t.Fatal(found, inserted, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.DeleteProfile(context.Background(), adele.Key()) }()
	waitForLockWaiter(t, create.Conn().PgConn().PID(), func() bool { return len(done) > 0 })
	if err := create.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	items := query[int64](t, s, `SELECT count(*) FROM items WHERE tenant_id = $1 AND user_id = $2`, adele.TenantID, adele.ID)
	counted := query[int64](t, s, `SELECT coalesce(sum(n), 0) FROM item_counts WHERE tenant_id = $1 AND user_id = $2`, adele.TenantID, adele.ID)
	if items != counted {
		t.Errorf("after DeleteProfile met a create: %d items, %d counted", items, counted)
	}
	// Black-box: the collection limit still holds.
	_ = s.CreateItem(ctx, adele.Key(), workPositions, storetest.Position("p3", t0), 1)
	if all, _ := graphprofile.AllItems(ctx, s, adele.Key(), workPositions); len(all) > 1 {
		t.Errorf("%d items in a collection of at most 1", len(all))
	}
}

// TestLoadIntoEmptyWaitsForAnotherLoad: LoadProfilesIntoEmpty while another server's load (holding the
// load lock) is about to commit its users finds them, and loads nothing.
func TestLoadIntoEmptyWaitsForAnotherLoad(t *testing.T) {
	s := openFresh(t)
	ctx := t.Context()
	other, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback(context.Background())
	if _, err := other.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))`, loadLock); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, insertUserSQL, adele.TenantID, "other", nil, "", `{}`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		loaded bool
		err    error
	}
	done := make(chan result, 1)
	go func() {
		loaded, err := s.LoadProfilesIntoEmpty(context.Background(), []graphprofile.UserProfile{{User: adele}})
		done <- result{loaded, err}
	}()
	time.Sleep(300 * time.Millisecond)
	if err := other.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.loaded {
		t.Errorf("LoadProfilesIntoEmpty beside another load: loaded %v, %v; want false, nil", r.loaded, r.err)
	}
}

// TestSQLASCIIDatabase: a SQL_ASCII database is accepted, as the docs say.
func TestSQLASCIIDatabase(t *testing.T) {
	setup(t)
	name := pgtest.RandomName("gp_ascii_")
	if _, err := admin.Exec(t.Context(), `CREATE DATABASE `+name+` ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.DropDatabase(context.Background(), name) })
	dbURL, err := pgtest.WithDatabase(runURL, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), dbURL)
	if err != nil {
		t.Fatalf("Open on a SQL_ASCII database: %v", err)
	}
	s.Close()
}

// TestMigrationWaitsBeyondLockTimeout: a migration's DDL waits for a request in flight (a lock on
// users) under migrateTimeout, not under the session's lock_timeout.
func TestMigrationWaitsBeyondLockTimeout(t *testing.T) {
	url, conn, _ := databaseAt(t, 5)
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), `SELECT 1 FROM users LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		time.Sleep(300 * time.Millisecond)
		tx.Rollback(context.Background())
	}()
	s, err := Open(t.Context(), pgtest.WithParams(url, "lock_timeout", "20ms"))
	<-ended // before the connection is closed with the test
	if err != nil {
		t.Fatalf("Open migrating while a request read users 300 ms, lock_timeout 20ms: %v", err)
	}
	s.Close()
}

// TestClientEncodingSpellings: the URL may name UTF-8 by any of PostgreSQL's spellings.
func TestClientEncodingSpellings(t *testing.T) {
	for _, enc := range []string{"UTF8", "utf-8", "UNICODE", "unicode"} {
		s, err := Open(t.Context(), pgtest.WithParams(freshURL(t), "client_encoding", enc))
		if err != nil {
			t.Errorf("Open with client_encoding=%s: %v", enc, err)
			continue
		}
		s.Close()
	}
}

// commitCutter closes a connection's socket just before COMMIT is sent,
// once armed: the commit fails with nothing sent (pgconn.SafeToRetry).
type commitCutter struct{ armed atomic.Bool }

func (c *commitCutter) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if strings.EqualFold(strings.TrimSpace(data.SQL), "commit") && c.armed.CompareAndSwap(true, false) {
		conn.PgConn().Conn().Close()
	}
	return ctx
}
func (c *commitCutter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestImportStreamCommitNeverSent: a streamed import whose COMMIT could not be sent is not run
// again on the spent stream (which would commit an empty import and report success).
func TestImportStreamCommitNeverSent(t *testing.T) {
	url := freshURL(t)
	openAt(t, url) // migrated
	cfg, err := poolConfig(url, options{timeout: DefaultTimeout})
	if err != nil {
		t.Fatal(err)
	}
	cut := &commitCutter{}
	cfg.ConnConfig.Tracer = cut
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := latestVersion()
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(pool, options{timeout: DefaultTimeout, schemaCheck: schemaCheckInterval}, latest)
	defer s.Close()
	read := false
	stream := func(yield func(graphprofile.User, error) bool) {
		if read {
			return // a file or stdin: read once
		}
		read = true
		for i := range 3 {
			if !yield(graphprofile.User{ID: fmt.Sprint("u", i)}, nil) {
				return
			}
		}
	}
	cut.armed.Store(true)
	err = s.ImportUserStream(t.Context(), tenant, stream)
	n, cerr := s.CountUsers(t.Context(), tenant)
	if cerr != nil {
		t.Fatal(cerr)
	}
	if err == nil && n != 3 {
		t.Errorf("ImportUserStream reported success, but %d of its 3 users are stored", n)
	}
}

// TestEnsureUserMeetsAVanishingUser: EnsureUser meeting a user that appeared and vanished under it
// (inserted by another first sign-in, then deleted) records the user.
func TestEnsureUserMeetsAVanishingUser(t *testing.T) {
	s := openFresh(t)
	ctx := t.Context()
	u := graphprofile.User{TenantID: tenant, ID: "vanishing", DisplayName: "V"}
	for _, q := range []string{
		`CREATE TABLE once (x int)`,
		`CREATE FUNCTION vanish() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
			DELETE FROM once; IF FOUND THEN DELETE FROM users WHERE id = 'vanishing'; END IF; RETURN NULL; END $$`,
		`CREATE TRIGGER vanish AFTER INSERT ON users FOR EACH STATEMENT EXECUTE FUNCTION vanish()`,
	} {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	other, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback(context.Background())
	if _, err := other.Exec(ctx, insertUserSQL, tenant, u.ID, nil, "", `{}`); err != nil {
		t.Fatal(err)
	}
	// Armed now: the next INSERT statement on users (EnsureUser's) deletes the user once.
	if _, err := s.pool.Exec(ctx, `INSERT INTO once VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.EnsureUser(context.Background(), u); done <- err }()
	waitForLockWaiter(t, other.Conn().PgConn().PID(), func() bool { return len(done) > 0 })
	if err := other.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("EnsureUser: %v", err)
	}
}
