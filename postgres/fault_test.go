package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/stored"
	"github.com/graphprofile/graphprofile/postgres/pgtest"
	"github.com/graphprofile/graphprofile/storetest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// workPositions is the profile's positions collection.
var workPositions, _ = graphprofile.FindCollection("positions")

// call is one method of the store, with arguments that would succeed.
type call struct {
	name string
	call func(ctx context.Context) error
}

// everyCall returns a call of every method of s (and Ping), on a user of
// its own (with position "p1"). Writes use new keys each time, so that they
// succeed when the database is there.
func everyCall(t *testing.T, s *Store) []call {
	t.Helper()
	owner := graphprofile.UserKey{TenantID: tenant, UserID: "worker"}
	if _, err := s.EnsureUser(t.Context(), graphprofile.User{TenantID: tenant, ID: owner.UserID}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateItem(t.Context(), owner, workPositions, storetest.Position("p1", t0), 0); err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	fresh := func(prefix string) string { return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), n.Add(1)) }
	return []call{
		{"Ping", s.Ping},
		{"EnsureUser", func(ctx context.Context) error {
			_, err := s.EnsureUser(ctx, graphprofile.User{TenantID: owner.TenantID, ID: fresh("ensured")})
			return err
		}},
		{"FindUser", func(ctx context.Context) error { _, err := s.FindUser(ctx, owner.TenantID, owner.UserID); return err }},
		{"CreateUser", func(ctx context.Context) error {
			return s.CreateUser(ctx, graphprofile.User{TenantID: owner.TenantID, ID: fresh("created"), UserPrincipalName: fresh("upn") + "@contoso.com"})
		}},
		{"UpdateUser", func(ctx context.Context) error {
			_, err := s.UpdateUser(ctx, owner, func(u graphprofile.User) (graphprofile.User, error) {
				u.JobTitle = fresh("job")
				return u, nil
			})
			return err
		}},
		{"DeleteUser", func(ctx context.Context) error {
			u := graphprofile.User{TenantID: owner.TenantID, ID: fresh("doomed")}
			if err := s.CreateUser(ctx, u); err != nil {
				return err
			}
			return s.DeleteUser(ctx, u.Key())
		}},
		{"ListUsers", func(ctx context.Context) error { _, err := graphprofile.AllUsers(ctx, s, owner.TenantID); return err }},
		{"ImportUsers", func(ctx context.Context) error {
			return s.ImportUsers(ctx, owner.TenantID, []graphprofile.User{{ID: fresh("imported")}, {ID: fresh("imported")}})
		}},
		{"ListPositions", func(ctx context.Context) error {
			_, err := graphprofile.AllItems(ctx, s, owner, workPositions)
			return err
		}},
		{"GetPosition", func(ctx context.Context) error { _, err := s.GetItem(ctx, owner, workPositions, "p1"); return err }},
		{"CreatePosition", func(ctx context.Context) error {
			return s.CreateItem(ctx, owner, workPositions, storetest.Position(fresh("p"), t0), 0)
		}},
		{"UpdatePosition", func(ctx context.Context) error {
			_, err := s.UpdateItem(ctx, owner, workPositions, "p1", func(p graphprofile.Item) (graphprofile.Item, error) {
				p["lastModifiedDateTime"] = time.Now().UTC().Truncate(100 * time.Nanosecond)
				return p, nil
			})
			return err
		}},
		{"DeletePosition", func(ctx context.Context) error {
			id := fresh("p")
			if err := s.CreateItem(ctx, owner, workPositions, storetest.Position(id, t0), 0); err != nil {
				return err
			}
			return s.DeleteItem(ctx, owner, workPositions, id, nil)
		}},
		{"DeletePositionCheck", func(ctx context.Context) error {
			id := fresh("p")
			if err := s.CreateItem(ctx, owner, workPositions, storetest.Position(id, t0), 0); err != nil {
				return err
			}
			return s.DeleteItem(ctx, owner, workPositions, id, func(graphprofile.Item) error { return nil })
		}},
	}
}

// limit is how long a call may take while the database is away: the
// store's timeout (4 s by default) and some slack, never a hang.
const limit = 6 * time.Second

// wantAllUnavailable runs every call at once and checks that each fails
// with ErrUnavailable within limit.
func wantAllUnavailable(t *testing.T, calls []call) {
	t.Helper()
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			start := time.Now()
			err := c.call(ctx)
			if d := time.Since(start); d > limit {
				t.Errorf("%s took %v while the database was away, more than %v", c.name, d, limit)
			}
			if !errors.Is(err, graphprofile.ErrUnavailable) {
				t.Errorf("%s while the database was away: %v, want ErrUnavailable", c.name, err)
			}
		})
	}
	wg.Wait()
}

// wantAllWork runs every call and checks that each succeeds.
func wantAllWork(t *testing.T, calls []call) {
	t.Helper()
	for _, c := range calls {
		if err := c.call(t.Context()); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// wantAllWorkEventually is wantAllWork for a store with a short timeout,
// which a slow disk (a commit's fsync) may exceed now and then.
func wantAllWorkEventually(t *testing.T, calls []call) {
	t.Helper()
	for _, c := range calls {
		var err error
		for range 5 {
			if err = c.call(t.Context()); !errors.Is(err, graphprofile.ErrUnavailable) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// acknowledged writes a user, positions and an update, and returns what a
// later snapshot must show.
func acknowledged(t *testing.T, s *Store) (graphprofile.UserKey, []graphprofile.Item) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.EnsureUser(ctx, adele); err != nil {
		t.Fatal(err)
	}
	var want []graphprofile.Item
	for i := range 3 {
		p := storetest.Position(fmt.Sprint("p", i+1), t0.Add(time.Duration(i)*time.Second))
		if err := s.CreateItem(ctx, adele.Key(), workPositions, p, 0); err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}
	updated, err := s.UpdateItem(ctx, adele.Key(), workPositions, "p2", func(p graphprofile.Item) (graphprofile.Item, error) {
		p["isCurrent"] = false
		return p, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want[1] = updated
	return adele.Key(), want
}

func wantPositions(t *testing.T, what string, s *Store, owner graphprofile.UserKey, want []graphprofile.Item) {
	t.Helper()
	ps, err := graphprofile.AllItems(t.Context(), s, owner, workPositions)
	if err != nil {
		t.Fatalf("%s: ListPositions: %v", what, err)
	}
	if len(ps) < len(want) {
		t.Fatalf("%s: %d positions, want at least %d", what, len(ps), len(want))
	}
	for i := range want {
		if d := storetest.Diff(graphprofile.Object(want[i]), graphprofile.Object(ps[i])); d != "" {
			t.Errorf("%s: position %d:\n%s", what, i, d)
		}
	}
}

// TestOutage stops the database under an open store (fast shutdown: the
// server ends every session with 57P01 and refuses connections), then
// starts it again.
func TestOutage(t *testing.T) {
	setup(t)
	if !server.Local() {
		t.Skip("stopping the database needs the test cluster of pgtest; with GRAPHPROFILE_TEST_POSTGRES, TestNetworkFaults covers outages")
	}
	s := openFresh(t)
	owner, want := acknowledged(t, s)
	calls := everyCall(t, s)
	wantAllWork(t, calls)

	// Calls in progress when the database goes.
	var wg sync.WaitGroup
	stopBusy := make(chan struct{})
	for i := range 4 {
		wg.Go(func() {
			for j := 0; ; j++ {
				select {
				case <-stopBusy:
					return
				default:
				}
				c := calls[(i+j)%len(calls)]
				err := c.call(t.Context())
				if err != nil && !errors.Is(err, graphprofile.ErrUnavailable) {
					t.Errorf("%s during the shutdown: %v, want nil or ErrUnavailable", c.name, err)
				}
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	if err := server.Stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	close(stopBusy)
	wg.Wait()

	wantAllUnavailable(t, calls)
	wantAllUnavailable(t, calls) // the pool has no connection now, and still fails fast

	if err := server.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The same store, no reopening.
	wantAllWork(t, calls)
	wantPositions(t, "after the outage", s, owner, want)
}

// TestCrash: PostgreSQL crashes (immediate shutdown: no checkpoint, the
// restart replays the write-ahead log) while writers create positions.
// Every create that was acknowledged is there afterwards.
func TestCrash(t *testing.T) {
	setup(t)
	if !server.Local() {
		t.Skip("crashing the database needs the test cluster of pgtest")
	}
	s := openFresh(t)
	if _, err := s.EnsureUser(t.Context(), adele); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var acked []string
	var failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%06d", w, i)
				err := s.CreateItem(context.Background(), adele.Key(), workPositions, storetest.Position(id, t0.Add(time.Duration(i)*time.Microsecond)), 0)
				switch {
				case err == nil:
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				case errors.Is(err, graphprofile.ErrUnavailable):
					failed.Add(1)
					time.Sleep(time.Millisecond)
				default:
					t.Errorf("CreatePosition %s: %v, want nil or ErrUnavailable", id, err)
					return
				}
			}
		})
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := server.Crash(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if err := server.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}

	stored, missing := storetest.WantAcknowledged(t, s, adele.Key(), acked)
	if len(acked) < 300 {
		t.Errorf("only %d creates were acknowledged before the crash", len(acked))
	}
	if failed.Load() == 0 {
		t.Error("no create failed: the crash came after the writers stopped")
	}
	t.Logf("%d acknowledged, %d stored, %d failed as unavailable, %d missing", len(acked), stored, failed.Load(), missing)
}

// TestNetworkFaults: the network to the database fails, in the ways a
// proxy can show; works with any server, also GRAPHPROFILE_TEST_POSTGRES.
func TestNetworkFaults(t *testing.T) {

	t.Run("Blackhole", func(t *testing.T) {
		// Packets vanish: every call gives up after the store's timeout.
		dbURL := freshURL(t)
		direct := openAt(t, dbURL)
		owner, want := acknowledged(t, direct)
		p := pgtest.StartProxy(t, pgtest.HostOf(t, dbURL))
		const timeout = time.Second
		s := openAt(t, through(t, p, dbURL), WithTimeout(timeout))
		calls := everyCall(t, s)
		wantAllWorkEventually(t, calls)

		p.Set(true, false)
		var wg sync.WaitGroup
		for _, c := range calls {
			wg.Go(func() {
				start := time.Now()
				err := c.call(t.Context())
				if d := time.Since(start); d > timeout+2*time.Second {
					t.Errorf("%s took %v with the network down, the timeout is %v", c.name, d, timeout)
				}
				if !errors.Is(err, graphprofile.ErrUnavailable) {
					t.Errorf("%s with the network down: %v, want ErrUnavailable", c.name, err)
				}
			})
		}
		wg.Wait()

		start := time.Now()
		s2, err := Open(t.Context(), through(t, p, dbURL), WithTimeout(timeout))
		if err == nil {
			s2.Close()
			t.Error("Open with the network down succeeded")
		} else if !errors.Is(err, graphprofile.ErrUnavailable) {
			t.Errorf("Open with the network down: %v, want ErrUnavailable", err)
		}
		if d := time.Since(start); d > timeout+2*time.Second {
			t.Errorf("Open took %v with the network down", d)
		}

		p.Set(false, false)
		wantAllWorkEventually(t, calls)
		wantPositions(t, "after the network came back", s, owner, want)
	})

	t.Run("Refused", func(t *testing.T) {
		dbURL := freshURL(t)
		p := pgtest.StartProxy(t, pgtest.HostOf(t, dbURL))
		s := openAt(t, through(t, p, dbURL))
		owner, want := acknowledged(t, s)
		calls := everyCall(t, s)
		wantAllWork(t, calls)

		p.Set(false, true)
		wantAllUnavailable(t, calls)
		p.Set(false, false)
		wantAllWork(t, calls)
		wantPositions(t, "after the network came back", s, owner, want)
	})
}

// TestCreateWhoseAnswerIsLost: a create the database committed, whose
// answer the network lost, is found stored and answered as stored, once:
// answered 503, as it was, a client's retry (every Graph SDK retries a
// 503) stored it twice. A full collection does not make it "full".
func TestCreateWhoseAnswerIsLost(t *testing.T) {
	for _, maxItems := range []int{0, 1} {
		t.Run(fmt.Sprintf("maxItems=%d", maxItems), func(t *testing.T) {
			_, p, s := openThroughProxy(t)
			owner := graphprofile.UserKey{TenantID: tenant, UserID: "answer-lost"}
			if _, err := s.EnsureUser(t.Context(), graphprofile.User{TenantID: owner.TenantID, ID: owner.UserID}); err != nil {
				t.Fatal(err)
			}
			it := storetest.Position("lost-answer", t0)
			p.LoseNextAnswer()
			if err := s.CreateItem(t.Context(), owner, workPositions, it, maxItems); err != nil {
				t.Fatalf("CreateItem whose answer was lost: %v", err)
			}
			items, err := graphprofile.AllItems(t.Context(), s, owner, workPositions)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || items[0].ID() != it.ID() {
				t.Fatalf("stored %d items (%v), want the one created", len(items), items)
			}
			// The count is the collection's: a second create of a full
			// collection is refused, of another not.
			err = s.CreateItem(t.Context(), owner, workPositions, storetest.Position("next", t0.Add(time.Second)), maxItems)
			if full := errors.Is(err, graphprofile.ErrCollectionFull); full != (maxItems == 1) || (!full && err != nil) {
				t.Errorf("the next create: %v (maxItems %d)", err, maxItems)
			}
		})
	}
}

// TestCreateSettledAfterTheFirstRunTookTheLastPlace: a create whose
// connection died while its statement waited on a lock is settled by a
// second run, which queues behind the first; the first, still running in
// the database, then takes the collection's last place, and the second
// finds the collection full. The item is stored: the create succeeded,
// and is not reported "full".
func TestCreateSettledAfterTheFirstRunTookTheLastPlace(t *testing.T) {
	dbURL, p, s := openThroughProxy(t)
	owner := graphprofile.UserKey{TenantID: tenant, UserID: "last-place"}
	if _, err := s.EnsureUser(t.Context(), graphprofile.User{TenantID: owner.TenantID, ID: owner.UserID}); err != nil {
		t.Fatal(err)
	}
	const maxItems = 2
	if err := s.CreateItem(t.Context(), owner, workPositions, storetest.Position("first", t0), maxItems); err != nil {
		t.Fatal(err)
	}
	// A transaction holds the collection's count, so that creates wait.
	blocker, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close(context.Background())
	tx, err := blocker.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), `SELECT n FROM item_counts FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	var blockerPID int
	if err := tx.QueryRow(t.Context(), `SELECT pg_backend_pid()`).Scan(&blockerPID); err != nil {
		t.Fatal(err)
	}
	waiting := func(n int) {
		t.Helper()
		for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
			var blocked int
			// Blocked by the blocker, or by a statement it blocks.
			if err := admin.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity a WHERE $1 = ANY(pg_blocking_pids(a.pid))
				OR EXISTS (SELECT 1 FROM pg_stat_activity b WHERE b.pid = ANY(pg_blocking_pids(a.pid)) AND $1 = ANY(pg_blocking_pids(b.pid)))`, blockerPID).Scan(&blocked); err != nil {
				t.Fatal(err)
			}
			if blocked == n {
				return
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("%d statements wait on the lock, want %d", blocked, n)
			}
		}
	}
	it := storetest.Position("last", t0.Add(time.Second))
	done := make(chan error, 1)
	go func() { done <- s.CreateItem(context.Background(), owner, workPositions, it, maxItems) }()
	waiting(1)
	// The connection dies under the waiting statement, and the network
	// stays down a while: pgx's request to cancel the statement is lost
	// (the settling run's first tries with it), and the database, whose
	// backend waits on the lock, does not notice.
	refused := p.Refused()
	p.Set(false, true)
	for p.Refused() < refused+3 {
		time.Sleep(10 * time.Millisecond)
	}
	p.Set(false, false)
	waiting(2) // the settling run, behind the first
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("CreateItem: %v, want the create it made", err)
	}
	items, err := graphprofile.AllItems(t.Context(), s, owner, workPositions)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != maxItems || items[1].ID() != it.ID() {
		t.Errorf("stored %v, want first and last", items)
	}
}

// TestIsUnknownOutcome: a create whose outcome is unknown, which is
// settled, is one whose statement may have reached the database and
// committed: not one whose connection could not be made, nor one that
// failed before anything was sent, nor one the database answered.
func TestIsUnknownOutcome(t *testing.T) {
	_, connectErr := pgconn.Connect(t.Context(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	if connectErr == nil {
		t.Fatal("connected to port 1")
	}
	for _, tc := range []struct {
		name    string
		err     error
		unknown bool
	}{
		{"the connection lost after the statement was sent", commitErr("storing an item", io.ErrUnexpectedEOF), true},
		{"the connection reset", commitErr("storing an item", syscall.ECONNRESET), true},
		{"no connection made", commitErr("storing an item", connectErr), false},
		{"nothing sent", commitErr("storing an item", nothingSent{}), false},
		{"the database answered", commitErr("storing an item", &pgconn.PgError{Code: "55P03"}), false},
		// The session's end, read by the statement: most often one that
		// never ran, its session ended while idle; or its commit's answer.
		{"the session ended by the database", commitErr("storing an item", &pgconn.PgError{Code: "57P01"}), true},
		{"the session ended by the database's crash", commitErr("storing an item", &pgconn.PgError{Code: "57P02"}), true},
		{"not at the commit", dbErr("storing an item", io.ErrUnexpectedEOF), false},
		{"not the database's", errors.New("other"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err
			var de *stored.DBError
			if errors.As(err, &de) {
				de.Unavailable = unavailable(de.Err)
			}
			if got := isUnknownOutcome(err); got != tc.unknown {
				t.Errorf("isUnknownOutcome(%v) = %v, want %v", err, got, tc.unknown)
			}
		})
	}
}

// nothingSent is an error pgx marks safe to retry: nothing reached the
// server.
type nothingSent struct{}

func (nothingSent) Error() string     { return "nothing sent" }
func (nothingSent) SafeToRetry() bool { return true }

// through is dbURL with its host the proxy p's, whose network a test can
// fail.
func through(t *testing.T, p *pgtest.Proxy, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.Addr()
	return u.String()
}

// openThroughProxy opens a store of a new database through a proxy (see
// through), and returns the database's own URL too.
func openThroughProxy(t *testing.T) (dbURL string, p *pgtest.Proxy, s *Store) {
	t.Helper()
	dbURL = freshURL(t)
	p = pgtest.StartProxy(t, pgtest.HostOf(t, dbURL))
	return dbURL, p, openAt(t, through(t, p, dbURL))
}

// TestCloseUnresponsiveDatabase: Close, as every call, waits for a database
// that stopped answering no longer than the store's timeout. pgx gives each
// connection 15 s to say goodbye (and a connection whose call timed out 15 s
// to cancel it), so a server stopping while its database was partitioned
// away took 15 s more than its drain timeout to exit.
func TestCloseUnresponsiveDatabase(t *testing.T) {
	dbURL := freshURL(t)
	p := pgtest.StartProxy(t, pgtest.HostOf(t, dbURL))
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.Addr()
	const timeout = time.Second
	s, err := Open(t.Context(), u.String(), WithTimeout(timeout))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Two connections in the pool: one stays idle, the other's call times
	// out while the database does not answer.
	held, err := s.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	held.Release()

	p.Set(true, false)
	if err := s.Ping(t.Context()); !errors.Is(err, graphprofile.ErrUnavailable) {
		t.Fatalf("Ping with the database unresponsive: %v, want ErrUnavailable", err)
	}
	start := time.Now()
	err = s.Close()
	if d := time.Since(start); d > timeout+time.Second {
		t.Errorf("Close took %v with the database unresponsive, the store's timeout is %v", d, timeout)
	}
	if err == nil {
		t.Errorf("Close with the database unresponsive: %v, want an error saying it did not answer", err)
	} else {
		t.Logf("Close: %v", err)
	}
}

// TestIdleConnectionsEndedByTheServer: connections the server ended while
// they were idle in the pool (pg_terminate_backend, a failover, a restart
// of the database) are found dead only when a call uses one, which then
// reads the server's FATAL 57P01. A read, a transaction and a create of an
// item still succeed, also when every idle connection of the pool was
// ended, not only the one a retry replaces: the pool drops them all. The
// other writes of one statement (creating a user, deleting an item) cannot
// tell a statement that never ran from one whose commit the end of the
// session cut off from its answer: they are 503 (a client tries again),
// and the next call succeeds.
func TestIdleConnectionsEndedByTheServer(t *testing.T) {
	s := openWithAdele(t)
	ctx := t.Context()
	n := 0
	for _, tc := range []struct {
		name        string
		call        func(ctx context.Context, n int) error
		unknownOnce bool // may answer ErrUnavailable once
	}{
		{"FindUser", func(ctx context.Context, n int) error { _, err := s.FindUser(ctx, tenant, adele.ID); return err }, false},
		{"UpdateUser", func(ctx context.Context, n int) error {
			_, err := s.UpdateUser(ctx, adele.Key(), func(u graphprofile.User) (graphprofile.User, error) { u.JobTitle = fmt.Sprint(n); return u, nil })
			return err
		}, false},
		{"CreateItem", func(ctx context.Context, n int) error {
			return s.CreateItem(ctx, adele.Key(), workPositions, storetest.Position(fmt.Sprint("created", n), t0), 0)
		}, false},
		{"CreateUser", func(ctx context.Context, n int) error {
			return s.CreateUser(ctx, graphprofile.User{TenantID: tenant, ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n), DisplayName: "New", UserPrincipalName: fmt.Sprintf("new%d@contoso.test", n)})
		}, true},
		{"DeleteItem", func(ctx context.Context, n int) error {
			return s.DeleteItem(ctx, adele.Key(), workPositions, fmt.Sprint("doomed", n), nil)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, idle := range []int{1, 3} {
				n++
				if err := s.CreateItem(ctx, adele.Key(), workPositions, storetest.Position(fmt.Sprint("doomed", n), t0), 0); err != nil {
					t.Fatal(err)
				}
				// idle connections in the pool, each ended by the server; the
				// pool checks a connection idle for a second or more before it
				// hands it out, so the call comes at once.
				conns := make([]*pgxpool.Conn, idle)
				pids := make([]int, idle)
				for i := range conns {
					c, err := s.pool.Acquire(ctx)
					if err != nil {
						t.Fatal(err)
					}
					conns[i], pids[i] = c, int(c.Conn().PgConn().PID())
				}
				for _, c := range conns {
					c.Release()
				}
				if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid`, pids); err != nil {
					t.Fatal(err)
				}
				time.Sleep(50 * time.Millisecond) // the backends exit
				err := tc.call(ctx, n)
				if tc.unknownOnce && errors.Is(err, graphprofile.ErrUnavailable) {
					err = tc.call(ctx, n)
				}
				if err != nil {
					t.Errorf("%s after %d idle connections were ended: %v", tc.name, idle, err)
				}
			}
		})
	}
}
