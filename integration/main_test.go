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
	"github.com/graphprofile/graphprofile/postgres"
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

// openPostgres opens n stores, each with its own pool, on a new database.
func openPostgres(t *testing.T, n int) []graphprofile.Store {
	t.Helper()
	pgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		pgServer, pgErr = pgtest.Start(ctx)
	})
	if pgErr != nil {
		t.Fatal(pgErr)
	}
	name := pgtest.RandomName("gp_integration_")
	url, err := pgServer.CreateDatabase(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// t.Context is done by now.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := pgServer.DropDatabase(ctx, name); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	stores := make([]graphprofile.Store, n)
	for i := range stores {
		s, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatalf("postgres.Open: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		stores[i] = s
	}
	return stores
}
