package integration_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/postgres/pgtest"
	"github.com/graphprofile/graphprofile/sqlite"
)

// backend is a kind of Store the tests run against.
type backend struct {
	name string
	// open returns stores on one new, empty database, all of them closed
	// when the test ends: n of them where the database can be shared, one
	// where a process owns its database (SQLite).
	open func(t *testing.T, n int) []graphprofile.Store
}

var backends = []backend{
	{name: "SQLite", open: openSQLite},
	{name: "PostgreSQL", open: openPostgres},
}

// openSQLite opens one store on a new database file: one process owns an
// SQLite database, so there is never a second.
func openSQLite(t *testing.T, _ int) []graphprofile.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "graphprofile.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return []graphprofile.Store{s}
}

// The PostgreSQL server is started on first use and stopped by TestMain;
// each test gets a database of its own, dropped when it ends.
var (
	pgOnce   sync.Once
	pgServer *pgtest.Server
	pgErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pgServer != nil {
		if err := pgServer.Close(); err != nil && code == 0 {
			fmt.Fprintln(os.Stderr, "stopping PostgreSQL:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// startedPostgres is the tests' PostgreSQL server, started on first use.
func startedPostgres(t *testing.T) *pgtest.Server {
	t.Helper()
	pgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		pgServer, pgErr = pgtest.Start(ctx)
	})
	if pgErr != nil {
		t.Fatal(pgErr)
	}
	return pgServer
}

// newPostgresDatabase makes a new, empty database, dropped when the test
// ends, and returns its URL.
func newPostgresDatabase(t *testing.T) string {
	t.Helper()
	server := startedPostgres(t)
	name := pgtest.RandomName("gp_integration_")
	url, err := server.CreateDatabase(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// t.Context is done by now; a test that restarted the server may
		// meet connections that died at first.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		for range 3 {
			if err = server.DropDatabase(ctx, name); err == nil {
				return
			}
		}
		t.Errorf("dropping %s: %v", name, err)
	})
	return url
}

// openPostgres opens n stores, each with its own pool, on a new database.
func openPostgres(t *testing.T, n int) []graphprofile.Store {
	t.Helper()
	url := newPostgresDatabase(t)
	stores := make([]graphprofile.Store, n)
	for i := range stores {
		stores[i] = openPostgresAt(t, url)
	}
	return stores
}
