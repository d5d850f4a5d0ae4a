package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/postgres/pgtest"
	"github.com/graphprofile/graphprofile/storetest"
	"github.com/jackc/pgx/v5"
)

// TestUnstorableStrings: PostgreSQL text holds neither NUL nor invalid
// UTF-8. Such a value is refused as an internal error, and nothing is
// written. (Such a key names nothing, ErrNotFound, in every store: the
// contract suite's NotFoundErrors.)
func TestUnstorableStrings(t *testing.T) {
	s := openWithAdele(t, "p1")
	ctx := t.Context()
	for _, bad := range []string{"a\x00b", "\xff", "ok\xc3"} {
		t.Run(fmt.Sprintf("%q", bad), func(t *testing.T) {
			refused := []struct {
				name string
				call func() error
			}{
				{"EnsureUser", func() error {
					_, err := s.EnsureUser(ctx, graphprofile.User{TenantID: tenant, ID: "new", DisplayName: bad})
					return err
				}},
				{"CreateUser", func() error { return s.CreateUser(ctx, graphprofile.User{TenantID: tenant, ID: bad}) }},
				{"ImportUsers", func() error {
					return s.ImportUsers(ctx, tenant, []graphprofile.User{{ID: "fine"}, {ID: "new", JobTitle: bad}})
				}},
				{"UpdateUser", func() error {
					_, err := s.UpdateUser(ctx, adele.Key(), func(u graphprofile.User) (graphprofile.User, error) {
						u.Surname = bad
						return u, nil
					})
					return err
				}},
				{"CreatePosition", func() error { return s.CreateItem(ctx, adele.Key(), workPositions, storetest.Position(bad, t0), 0) }},
			}
			for _, c := range refused {
				err := c.call()
				var conflict *graphprofile.ConflictError
				if err == nil || errors.Is(err, graphprofile.ErrNotFound) || errors.Is(err, graphprofile.ErrUnavailable) || errors.As(err, &conflict) {
					t.Errorf("%s: error %v, want an internal error", c.name, err)
				}
			}
			users, err := graphprofile.AllUsers(ctx, s, tenant)
			if err != nil || len(users) != 1 || !reflect.DeepEqual(users[0], adele) {
				t.Errorf("ListUsers = %+v, %v; want adele alone, unchanged", users, err)
			}
			if ps, err := graphprofile.AllItems(ctx, s, adele.Key(), workPositions); err != nil || len(ps) != 1 {
				t.Errorf("ListPositions = %d positions, %v; want 1", len(ps), err)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	setup(t)

	t.Run("BadURL", func(t *testing.T) {
		for _, url := range []string{
			"postgres://u:s3cret@127.0.0.1:1/db?pool_max_conns=zero",
			"mysql://u:s3cret@127.0.0.1/db",
			"postgres://u:s3cret@[::1/db",
		} {
			s, err := Open(t.Context(), url)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", url)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Open(%q): the error shows the password: %v", url, err)
			}
			if errors.Is(err, graphprofile.ErrUnavailable) {
				t.Errorf("Open(%q): error %v wraps ErrUnavailable, but no retry cures it", url, err)
			}
		}
	})

	t.Run("Unreachable", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close() // nobody listens there now
		start := time.Now()
		s, err := Open(t.Context(), "postgres://u@"+addr+"/db?sslmode=disable")
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded")
		}
		if !errors.Is(err, graphprofile.ErrUnavailable) {
			t.Errorf("error %v, want ErrUnavailable", err)
		}
		if d := time.Since(start); d > 6*time.Second {
			t.Errorf("Open took %v", d)
		}
	})

	t.Run("UnknownDatabase", func(t *testing.T) {
		url, err := pgtest.WithDatabase(server.URL(), pgtest.RandomName("gp_missing_"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(t.Context(), url)
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded")
		}
		if errors.Is(err, graphprofile.ErrUnavailable) {
			t.Errorf("error %v wraps ErrUnavailable: a missing database is a configuration error", err)
		}
	})

	show := func(t *testing.T, s *Store, name string) string {
		t.Helper()
		return query[string](t, s, `SELECT current_setting($1)`, name)
	}

	t.Run("Defaults", func(t *testing.T) {
		s := openFresh(t)
		if got, want := s.pool.Config().MaxConns, DefaultMaxConns(); got != want {
			t.Errorf("MaxConns = %d, want %d", got, want)
		}
		if got := s.pool.Config().ConnConfig.ConnectTimeout; got != DefaultTimeout {
			t.Errorf("ConnectTimeout = %v, want %v", got, DefaultTimeout)
		}
		for name, want := range map[string]string{
			"statement_timeout":                   "4s",
			"idle_in_transaction_session_timeout": "16s",
			"application_name":                    "graphprofile",
			"synchronous_commit":                  "on",
		} {
			if got := show(t, s, name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
	})

	t.Run("URLWins", func(t *testing.T) {
		url := pgtest.WithParams(freshURL(t), "pool_max_conns", "7", "statement_timeout", "12345", "connect_timeout", "3",
			"application_name", "mine")
		s := openAt(t, url, WithTimeout(2*time.Second))
		if got := s.pool.Config().MaxConns; got != 7 {
			t.Errorf("MaxConns = %d, want 7", got)
		}
		if got := s.pool.Config().ConnConfig.ConnectTimeout; got != 3*time.Second {
			t.Errorf("ConnectTimeout = %v, want 3s", got)
		}
		if got := show(t, s, "statement_timeout"); got != "12345ms" {
			t.Errorf("statement_timeout = %q, want 12345ms", got)
		}
		if got := show(t, s, "application_name"); got != "mine" {
			t.Errorf("application_name = %q, want mine", got)
		}
	})

	t.Run("WithTimeout", func(t *testing.T) {
		s := openFresh(t, WithTimeout(2*time.Second))
		if got := show(t, s, "statement_timeout"); got != "2s" {
			t.Errorf("statement_timeout = %q, want 2s", got)
		}
		if got := s.pool.Config().ConnConfig.ConnectTimeout; got != 2*time.Second {
			t.Errorf("ConnectTimeout = %v, want 2s", got)
		}
	})

	t.Run("SynchronousCommitOff", func(t *testing.T) {
		// A session that would acknowledge commits before they are on
		// disk is made durable.
		s := openAt(t, pgtest.WithParams(freshURL(t), "synchronous_commit", "off"))
		if got := show(t, s, "synchronous_commit"); got != "on" {
			t.Errorf("synchronous_commit = %q, want on", got)
		}
	})

	t.Run("SynchronousCommitRemoteApply", func(t *testing.T) {
		// A stronger setting is left alone.
		s := openAt(t, pgtest.WithParams(freshURL(t), "synchronous_commit", "remote_apply"))
		if got := show(t, s, "synchronous_commit"); got != "remote_apply" {
			t.Errorf("synchronous_commit = %q, want remote_apply", got)
		}
	})

}

// TestStoreShared: two stores on one database, as two servers would have,
// each with its own pool.
func TestStoreShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) []graphprofile.Store {
		url := freshURL(t)
		return []graphprofile.Store{openAt(t, url), openAt(t, url)}
	})
}

// TestLockWait: an update waiting for a row lock that another session
// holds too long fails within the store's timeout, as unavailable; a caller
// that gives up gets its context's error, not "unavailable".
func TestLockWait(t *testing.T) {
	url := freshURL(t)
	ctx := t.Context()
	base := openAt(t, url) // for what must not fail on a slow disk
	if _, err := base.EnsureUser(ctx, adele); err != nil {
		t.Fatal(err)
	}
	if err := base.CreateItem(ctx, adele.Key(), workPositions, storetest.Position("p1", t0), 0); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, url, WithTimeout(time.Second))
	holder, err := pgx.Connect(ctx, urlOf(s))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(context.Background())
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT 1 FROM items WHERE kind = 'positions' AND id = 'p1' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	update := func(ctx context.Context) error {
		_, err := s.UpdateItem(ctx, adele.Key(), workPositions, "p1", func(p graphprofile.Item) (graphprofile.Item, error) {
			p["isCurrent"] = false
			return p, nil
		})
		return err
	}

	start := time.Now()
	err = update(ctx)
	if !errors.Is(err, graphprofile.ErrUnavailable) {
		t.Errorf("UpdatePosition of a locked row: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("UpdatePosition of a locked row took %v, the timeout is 1s", d)
	}
	err = s.DeleteItem(ctx, adele.Key(), workPositions, "p1", nil)
	if !errors.Is(err, graphprofile.ErrUnavailable) {
		t.Errorf("DeletePosition of a locked row: %v, want ErrUnavailable", err)
	}

	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(100*time.Millisecond, cancel)
	err = update(cctx)
	if !errors.Is(err, context.Canceled) || errors.Is(err, graphprofile.ErrUnavailable) {
		t.Errorf("UpdatePosition canceled by its caller: %v, want context.Canceled and not ErrUnavailable", err)
	}

	// Reads do not wait for row locks.
	if _, err := s.GetItem(ctx, adele.Key(), workPositions, "p1"); err != nil {
		t.Errorf("GetPosition of a locked row: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	s = base
	if err := update(ctx); err != nil {
		t.Errorf("UpdatePosition after the lock was released: %v", err)
	}
}

// TestImportRace: a principal name taken by a concurrent transaction after
// ImportUsers checked it is reported as the conflict it is.
func TestImportRace(t *testing.T) {
	for _, outcome := range []string{"Commit", "Rollback"} {
		t.Run(outcome, func(t *testing.T) {
			s := openFresh(t)
			ctx := t.Context()
			other, err := pgx.Connect(ctx, urlOf(s))
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close(context.Background())
			tx, err := other.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(context.Background())
			if _, err := tx.Exec(ctx, `INSERT INTO users (tenant_id, id, upn_key, document) VALUES ($1, 'outsider', 'race@contoso.com', '{"userPrincipalName":"Race@contoso.com"}')`, tenant); err != nil {
				t.Fatal(err)
			}
			batch := []graphprofile.User{
				{TenantID: tenant, ID: "n1", UserPrincipalName: "n1@contoso.com"},
				{TenantID: tenant, ID: "n2", UserPrincipalName: "RACE@contoso.com"},
			}
			done := make(chan error, 1)
			go func() { done <- s.ImportUsers(context.Background(), tenant, batch) }()
			// Wait until the import waits for the outsider's transaction.
			deadline := time.Now().Add(10 * time.Second)
			for query[int](t, s, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`) == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the import never waited for the concurrent transaction")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if outcome == "Commit" {
				if err := tx.Commit(ctx); err != nil {
					t.Fatal(err)
				}
				err := <-done
				var c *graphprofile.ConflictError
				if !errors.As(err, &c) || c.Property != "userPrincipalName" || !strings.EqualFold(c.Value, "race@contoso.com") {
					t.Fatalf("ImportUsers: %v, want a conflict on race@contoso.com", err)
				}
				if _, err := s.FindUser(ctx, tenant, "n1"); !errors.Is(err, graphprofile.ErrNotFound) {
					t.Errorf("FindUser(n1) after the refused import: %v, want ErrNotFound", err)
				}
				return
			}
			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatalf("ImportUsers: %v", err)
			}
			if u, err := s.FindUser(ctx, tenant, "race@CONTOSO.com"); err != nil || u.ID != "n2" {
				t.Errorf("FindUser(race@) = %+v, %v; want n2", u, err)
			}
		})
	}
}

// TestPoolExhausted: when every connection of the pool is busy for longer
// than the store's timeout, a call fails as unavailable instead of queueing
// without end.
func TestPoolExhausted(t *testing.T) {
	url := freshURL(t)
	ctx := t.Context()
	if _, err := openAt(t, url).EnsureUser(ctx, adele); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, pgtest.WithParams(url, "pool_max_conns", "1"), WithTimeout(500*time.Millisecond))
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []call{
		{"FindUser", func(ctx context.Context) error { _, err := s.FindUser(ctx, tenant, adele.ID); return err }},
		{"CreatePosition", func(ctx context.Context) error {
			return s.CreateItem(ctx, adele.Key(), workPositions, storetest.Position("p1", t0), 0)
		}},
		{"UpdateUser", func(ctx context.Context) error {
			_, err := s.UpdateUser(ctx, adele.Key(), func(u graphprofile.User) (graphprofile.User, error) { return u, nil })
			return err
		}},
		{"ImportUsers", func(ctx context.Context) error { return s.ImportUsers(ctx, tenant, []graphprofile.User{adele}) }},
		{"Ping", s.Ping},
	} {
		start := time.Now()
		err := c.call(ctx)
		if !errors.Is(err, graphprofile.ErrUnavailable) {
			t.Errorf("%s with the pool exhausted: %v, want ErrUnavailable", c.name, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s with the pool exhausted took %v, the timeout is 500ms", c.name, d)
		}
	}
	conn.Release()
	if _, err := s.FindUser(ctx, tenant, adele.ID); err != nil && !errors.Is(err, graphprofile.ErrUnavailable) {
		t.Errorf("FindUser after the connection came back: %v", err)
	}
}

// TestSynchronousCommitTurnedOffLater: a store whose sessions commit
// durably when it opens keeps doing so when the database's, or its role's,
// synchronous_commit is turned off afterwards: the connections the pool
// makes later would otherwise acknowledge commits before they are on disk.
func TestSynchronousCommitTurnedOffLater(t *testing.T) {
	role, roleURL := ownRole(t)
	s := openAt(t, roleURL)
	ctx := t.Context()
	if got := query[string](t, s, `SELECT current_setting('synchronous_commit')`); got != "on" {
		t.Fatalf("synchronous_commit = %q at first, want on", got)
	}
	for _, q := range []string{
		`ALTER ROLE ` + role + ` SET synchronous_commit = off`,
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '` + role + `'`,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// The pool replaces the connections that were ended.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got string
		err := s.pool.QueryRow(ctx, `SELECT current_setting('synchronous_commit')`).Scan(&got)
		if err == nil {
			if got != "on" {
				t.Errorf("synchronous_commit = %q on a connection made after the role's was turned off, want on", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
}
