package postgres

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/postgres/pgtest"
	"github.com/graphprofile/graphprofile/storetest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The tests share one server (pgtest: GRAPHPROFILE_TEST_POSTGRES, else a
// throwaway cluster) and one database of this run, made on first use and
// dropped at the end. Each store the tests open gets a schema of its own
// in it (search_path in its URL), so that it starts empty; Open migrates
// it, as it would a new database.

var (
	setupOnce sync.Once
	setupErr  error
	server    *pgtest.Server
	runDB     string        // the database of this run
	runURL    string        // its URL
	admin     *pgxpool.Pool // on runURL, for the tests' own SQL
	schemas   atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if admin != nil {
			admin.Close()
		}
		if err := server.DropDatabase(ctx, runDB); err != nil && code == 0 {
			fmt.Fprintln(os.Stderr, "dropping the test database:", err)
			code = 1
		}
		cancel()
		if err := server.Close(); err != nil && code == 0 {
			fmt.Fprintln(os.Stderr, "stopping PostgreSQL:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// setup starts the server and makes the run's database, once; a test that
// needs PostgreSQL fails when there is none.
func setup(tb testing.TB) {
	tb.Helper()
	setupOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		server, setupErr = pgtest.Start(ctx)
		if setupErr != nil {
			return
		}
		runDB = pgtest.RandomName("gp_test_")
		if runURL, setupErr = server.CreateDatabase(ctx, runDB); setupErr != nil {
			return
		}
		admin, setupErr = pgxpool.New(ctx, runURL)
	})
	if setupErr != nil {
		tb.Fatal(setupErr)
	}
}

// freshURL returns the URL of a new, empty schema of the run's database,
// dropped when the test ends.
func freshURL(tb testing.TB) string {
	tb.Helper()
	setup(tb)
	name := fmt.Sprintf("s%d", schemas.Add(1))
	if _, err := admin.Exec(context.Background(), `CREATE SCHEMA `+name); err != nil {
		tb.Fatalf("CREATE SCHEMA %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// Fault tests restart the server: the first tries may meet
		// connections that died.
		var err error
		for range 3 {
			if _, err = admin.Exec(ctx, `DROP SCHEMA `+name+` CASCADE`); err == nil {
				return
			}
		}
		tb.Errorf("DROP SCHEMA %s: %v", name, err)
	})
	return pgtest.WithParams(runURL, "search_path", name)
}

// urls remembers the URL of each store the tests opened, for reopening.
var urls sync.Map // *Store → string

// openAt opens the store at url and closes it when the test ends.
func openAt(tb testing.TB, url string, opts ...Option) *Store {
	tb.Helper()
	s, err := Open(context.Background(), url, opts...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	urls.Store(s, url)
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// openFresh opens a store on a new, empty schema.
func openFresh(tb testing.TB, opts ...Option) *Store {
	tb.Helper()
	return openAt(tb, freshURL(tb), opts...)
}

func urlOf(s *Store) string {
	u, _ := urls.Load(s)
	return u.(string)
}

// query returns the single value a query yields, in the store's schema.
func query[T any](t testing.TB, s *Store, q string, args ...any) T {
	t.Helper()
	var v T
	if err := s.pool.QueryRow(context.Background(), q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// ownRole makes a role of its own that may log in and use a new, empty
// schema of the run's database (pgtest.OwnRole), and returns it and the
// schema's URL as that role.
func ownRole(t *testing.T) (role, roleURL string) {
	t.Helper()
	return pgtest.OwnRole(t, admin, freshURL(t))
}

// openWithAdele opens a store of a new, empty schema (openFresh) holding the
// user adele and, in her positions, one item of each id given.
func openWithAdele(t *testing.T, positions ...string) *Store {
	t.Helper()
	s := openFresh(t)
	if _, err := s.EnsureUser(t.Context(), adele); err != nil {
		t.Fatal(err)
	}
	for _, id := range positions {
		if err := s.CreateItem(t.Context(), adele.Key(), workPositions, storetest.Position(id, t0), 0); err != nil {
			t.Fatal(err)
		}
	}
	return s
}
