package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/migrations"
	"github.com/graphprofile/graphprofile/storetest"
)

// openAt opens the store at path and closes it when the test ends.
func openAt(tb testing.TB, path string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// openRawDBAt creates a database at path with the schema of the first
// version migrations, recorded as applied, runs queries on it, and returns
// it open without the store (close it before opening the store).
func openRawDBAt(t *testing.T, path string, version int, queries ...string) *sql.DB {
	t.Helper()
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	db := openRawDB(t, path)
	all := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`}
	for _, m := range ms[:version] {
		all = append(all, m.SQL, `INSERT INTO schema_migrations (version, applied_at) VALUES (`+strconv.Itoa(m.Version)+`, '2025-01-01T00:00:00Z')`)
	}
	for _, q := range append(all, queries...) {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	return db
}

// openRawDB opens the database file at path with this build's driver, with
// foreign keys enforced and none of the store's other settings, as another
// tool or an older graphprofile would; the caller closes it.
func openRawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	return openDB(path, connConfig{pragmas: []pragmaSetting{{"foreign_keys", "1"}}}, 1)
}

func openTemp(tb testing.TB) *Store {
	tb.Helper()
	return openAt(tb, filepath.Join(tb.TempDir(), "graphprofile.db"))
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) graphprofile.Store { return openTemp(t) })
}

func TestStoreReopen(t *testing.T) {
	storetest.RunReopen(t,
		func(t *testing.T) graphprofile.Store { return openTemp(t) },
		func(t *testing.T, old graphprofile.Store) graphprofile.Store { return openAt(t, old.(*Store).path) })
}

// The fixtures of storetest, which its contract suite writes too.
var (
	tenant = storetest.Tenant
	adele  = storetest.Adele()
	t0     = storetest.Created()
)

func TestSettings(t *testing.T) {
	s := openTemp(t)
	tests := []struct {
		conn   string
		db     *sql.DB
		pragma string
		want   string
	}{
		{"write", s.wdb, "journal_mode", "wal"},
		{"write", s.wdb, "synchronous", "2"}, // FULL
		{"write", s.wdb, "foreign_keys", "1"},
		{"write", s.wdb, "busy_timeout", "5000"},
		{"write", s.wdb, "query_only", "0"},
		{"write", s.wdb, "wal_autocheckpoint", "0"},
		{"write", s.wdb, "journal_size_limit", fmt.Sprint(walCheckpointAt)},
		{"write", s.wdb, "cache_size", fmt.Sprint(-writerCacheKiB)},
		{"read", s.rdb, "cache_size", "-2000"}, // SQLite's default, for each of the pool's connections
		{"checkpointer", s.cdb, "journal_size_limit", fmt.Sprint(walCheckpointAt)},
		// macOS's fsync leaves writes in the drive's cache: F_FULLFSYNC
		// (a no-op setting elsewhere, so it reads back on every system).
		{"write", s.wdb, "fullfsync", "1"},
		{"write", s.wdb, "checkpoint_fullfsync", "1"},
		{"checkpointer", s.cdb, "fullfsync", "1"},
		{"checkpointer", s.cdb, "checkpoint_fullfsync", "1"},
		{"read", s.rdb, "journal_mode", "wal"},
		{"read", s.rdb, "synchronous", "2"},
		{"read", s.rdb, "foreign_keys", "1"},
		{"read", s.rdb, "busy_timeout", "5000"},
		{"read", s.rdb, "query_only", "1"},
	}
	for _, tc := range tests {
		t.Run(tc.conn+"/"+tc.pragma, func(t *testing.T) {
			got, err := pragma(t.Context(), tc.db, tc.pragma)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
			}
		})
	}
	if n := s.wdb.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("the write handle allows %d connections, want 1", n)
	}
	if _, err := s.rdb.ExecContext(t.Context(), `DELETE FROM users`); err == nil {
		t.Error("a write on the read pool succeeded")
	}
}

func TestMigrations(t *testing.T) {
	ms, err := migrations.Load(migrationFiles, "migrations") // the rules of the files are Load's
	if err != nil {
		t.Fatal(err)
	}
	latest := migrations.Latest(ms)

	appliedVersions := func(t *testing.T, path string) []int {
		t.Helper()
		db := openRawDB(t, path)
		defer db.Close()
		rows, err := db.Query(`SELECT version, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var vs []int
		for rows.Next() {
			var v int
			var at string
			if err := rows.Scan(&v, &at); err != nil {
				t.Fatal(err)
			}
			if _, err := time.Parse(time.RFC3339Nano, at); err != nil {
				t.Errorf("applied_at of version %d: %v", v, err)
			}
			vs = append(vs, v)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return vs
	}

	t.Run("Idempotent", func(t *testing.T) {
		// Each migration is applied once, however often the database is
		// opened; that the data stays is TestStoreReopen's.
		path := filepath.Join(t.TempDir(), "db")
		for i := range 3 {
			s, err := Open(t.Context(), path)
			if err != nil {
				t.Fatalf("Open %d: %v", i, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if vs := appliedVersions(t, path); len(vs) != len(ms) || vs[len(vs)-1] != latest {
				t.Errorf("Open %d: applied versions %v, want 1..%d", i, vs, latest)
			}
		}
	})

	t.Run("FromVersion1", func(t *testing.T) {
		// A database graphprofile made before the user properties: its users
		// and positions stay, the new properties are unset.
		path := filepath.Join(t.TempDir(), "db")
		db := openRawDB(t, path)
		for _, q := range []string{
			`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`,
			ms[0].SQL,
			`INSERT INTO schema_migrations (version, applied_at) VALUES (1, '2024-01-01T00:00:00Z')`,
			`INSERT INTO users (tenant_id, id, user_principal_name, upn_key, display_name)
			 VALUES ('` + tenant + `', '` + adele.ID + `', 'AdeleV@contoso.com', 'adelev@contoso.com', 'Adele Vance')`,
		} {
			if _, err := db.Exec(q); err != nil {
				db.Close()
				t.Fatalf("%s: %v", q, err)
			}
		}
		p := storetest.Position("p1", t0)
		doc := string(graphprofile.AppendObjectJSON(nil, graphprofile.WorkPositionType, graphprofile.Object(p), graphprofile.EncodeOptions{OmitNulls: true}))
		if _, err := db.Exec(`INSERT INTO positions (tenant_id, user_id, id, created_at, document) VALUES (?, ?, 'p1', ?, ?)`,
			tenant, adele.ID, t0.UnixNano(), doc); err != nil {
			t.Fatal(err)
		}
		db.Close()

		s := openAt(t, path)
		if vs := appliedVersions(t, path); len(vs) != len(ms) || vs[len(vs)-1] != latest {
			t.Errorf("applied versions %v, want 1..%d", vs, latest)
		}
		u, err := s.FindUser(t.Context(), tenant, "ADELEV@contoso.com")
		if err != nil || !reflect.DeepEqual(u, adele) {
			t.Errorf("FindUser = %+v, %v, want %+v", u, err, adele)
		}
		ps, err := graphprofile.AllItems(t.Context(), s, adele.Key(), workPositions)
		if err != nil || len(ps) != 1 {
			t.Fatalf("ListPositions = %d positions, %v", len(ps), err)
		}
		if d := storetest.Diff(graphprofile.Object(p), graphprofile.Object(ps[0])); d != "" {
			t.Errorf("the position changed:\n%s", d)
		}
		// Migration 0005 moved it into items, of kind positions, and
		// dropped its table.
		if kind := query[string](t, s, `SELECT kind FROM items WHERE id = 'p1'`); kind != "positions" {
			t.Errorf("the migrated position is of kind %q, want positions", kind)
		}
		if n := query[int](t, s, `SELECT count(*) FROM sqlite_schema WHERE name = 'positions'`); n != 0 {
			t.Errorf("the positions table remains after the migration")
		}
		// The new columns work.
		enabled := true
		full := adele
		full.Mail, full.MailNickname, full.GivenName, full.Surname, full.JobTitle, full.AccountEnabled = "adele@contoso.com", "adele", "Adele", "Vance", "Retail Manager", &enabled
		if _, err := s.UpdateUser(t.Context(), adele.Key(), func(graphprofile.User) (graphprofile.User, error) { return full, nil }); err != nil {
			t.Fatal(err)
		}
		u, err = s.FindUser(t.Context(), tenant, adele.ID)
		if err != nil || u.AccountEnabled == nil || !*u.AccountEnabled || u.JobTitle != full.JobTitle || u.Mail != full.Mail {
			t.Errorf("FindUser after UpdateUser = %+v, %v", u, err)
		}
	})

	t.Run("NewerRefused", func(t *testing.T) {
		for _, v := range []int{latest + 1, 9999} {
			t.Run(fmt.Sprint(v), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "db")
				s, err := Open(t.Context(), path)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				db := openRawDB(t, path)
				if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, '2999-01-01T00:00:00Z')`, v); err != nil {
					t.Fatal(err)
				}
				db.Close()

				s, err = Open(t.Context(), path)
				if err == nil {
					s.Close()
				}
				storetest.WantNewerSchema(t, err, v)
				if got := appliedVersions(t, path); got[len(got)-1] != v {
					t.Errorf("versions after the refusal: %v", got)
				}
			})
		}
	})
}

// query returns the single value a query on the write connection yields.
func query[T any](t *testing.T, s *Store, q string, args ...any) T {
	t.Helper()
	var v T
	if err := s.wdb.QueryRowContext(t.Context(), q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

func TestSchema(t *testing.T) {
	t.Run("UPNKey", func(t *testing.T) {
		s := openTemp(t)
		storetest.WantPrincipalNameKeys(t, s, func(t *testing.T, id string) (*string, string) {
			key := query[sql.NullString](t, s, `SELECT upn_key FROM users WHERE tenant_id = ? AND id = ?`, tenant, id)
			upn := query[string](t, s, `SELECT coalesce(json_extract(document, '$.userPrincipalName'), '') FROM users WHERE tenant_id = ? AND id = ?`, tenant, id)
			if !key.Valid {
				return nil, upn
			}
			return &key.String, upn
		})
	})

	t.Run("AccountEnabled", func(t *testing.T) {
		// A boolean of the document is JSON's true or false, absent when
		// unset (json_extract reads them as 1, 0 and NULL).
		s := openTemp(t)
		yes, no := true, false
		tests := []struct {
			id      string
			enabled *bool
			want    sql.NullInt64
		}{
			{"on", &yes, sql.NullInt64{Int64: 1, Valid: true}},
			{"off", &no, sql.NullInt64{Int64: 0, Valid: true}},
			{"unset", nil, sql.NullInt64{}},
		}
		for _, tc := range tests {
			if err := s.CreateUser(t.Context(), graphprofile.User{TenantID: tenant, ID: tc.id, AccountEnabled: tc.enabled}); err != nil {
				t.Fatal(err)
			}
			if got := query[sql.NullInt64](t, s, `SELECT json_extract(document, '$.accountEnabled') FROM users WHERE id = ?`, tc.id); got != tc.want {
				t.Errorf("accountEnabled of %s = %+v, want %+v", tc.id, got, tc.want)
			}
		}
	})

	t.Run("Document", func(t *testing.T) {
		s := openTemp(t)
		if _, err := s.EnsureUser(t.Context(), adele); err != nil {
			t.Fatal(err)
		}
		p := storetest.Position("p1", t0)
		if err := s.CreateItem(t.Context(), adele.Key(), workPositions, p, 0); err != nil {
			t.Fatal(err)
		}
		want := string(graphprofile.AppendObjectJSON(nil, graphprofile.WorkPositionType, graphprofile.Object(p), graphprofile.EncodeOptions{OmitNulls: true}))
		if doc := query[string](t, s, `SELECT document FROM items WHERE kind = 'positions' AND id = 'p1'`); doc != want {
			t.Errorf("document\n  %s\nwant\n  %s", doc, want)
		}
		if typ := query[string](t, s, `SELECT typeof(document) FROM items WHERE kind = 'positions' AND id = 'p1'`); typ != "text" {
			t.Errorf("document is %s, want text", typ)
		}
		if at := query[int64](t, s, `SELECT created_at FROM items WHERE kind = 'positions' AND id = 'p1'`); at != t0.UnixNano() {
			t.Errorf("created_at = %d, want %d", at, t0.UnixNano())
		}
	})

	t.Run("DeletingUserDeletesProfile", func(t *testing.T) {
		s := openTemp(t)
		megan := graphprofile.User{TenantID: tenant, ID: "megan", DisplayName: "Megan"}
		for _, u := range []graphprofile.User{adele, megan} {
			if _, err := s.EnsureUser(t.Context(), u); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if err := s.CreateItem(t.Context(), u.Key(), workPositions, storetest.Position(fmt.Sprint("p", i), t0), 0); err != nil {
					t.Fatal(err)
				}
			}
		}
		err := s.write(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM users WHERE tenant_id = ? AND id = ?`, tenant, adele.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := query[int](t, s, `SELECT count(*) FROM items WHERE user_id = ?`, adele.ID); n != 0 {
			t.Errorf("%d positions of the deleted user remain", n)
		}
		if n := query[int](t, s, `SELECT count(*) FROM items WHERE user_id = 'megan'`); n != 3 {
			t.Errorf("%d positions of the other user remain, want 3", n)
		}
		_, err = graphprofile.AllItems(t.Context(), s, adele.Key(), workPositions)
		if !errors.Is(err, graphprofile.ErrNotFound) {
			t.Errorf("ListPositions of the deleted user: %v, want ErrNotFound", err)
		}
	})

	t.Run("PagesUseIndexes", func(t *testing.T) {
		// A page is a range of an index read in its order: no scan of the
		// table, no sort, whatever the collection's size.
		s := openTemp(t)
		type page struct {
			name, query, index string
			args               []any
		}
		tests := []page{
			{"items", itemsPageQuery, "items_by_created", []any{tenant, adele.ID, "positions", t0.UnixNano(), "p", 256}},
			{"users", usersPageQuery, "sqlite_autoindex_users_1", []any{tenant, "a", 256}},
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
		explain := func(query string, args ...any) string {
			t.Helper()
			rows, err := s.rdb.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			return strings.Join(plan, "\n")
		}
		for _, tc := range tests {
			joined := explain(tc.query, tc.args...)
			if !strings.Contains(joined, "SEARCH") || !strings.Contains(joined, tc.index+" ") || strings.Contains(joined, "TEMP B-TREE") {
				t.Errorf("a page of %s is not a range of %s:\n%s", tc.name, tc.index, joined)
			}
			t.Logf("%s: %s", tc.name, joined)
		}
		// Newest first ($orderby=createdDateTime desc) is the same index
		// read backwards from the position's time: only the items of one
		// time are sorted by id (SQLite's "TEMP B-TREE FOR LAST TERM OF
		// ORDER BY", "RIGHT PART" in older versions), never the collection
		// ("TEMP B-TREE FOR ORDER BY").
		for _, after := range []int64{t0.UnixNano(), math.MaxInt64} {
			joined := explain(newestPageQuery, tenant, adele.ID, "positions", after, "p", 256)
			if !strings.Contains(joined, "SEARCH items USING INDEX items_by_created (tenant_id=? AND user_id=? AND kind=? AND created_at<?)") ||
				strings.Contains(joined, "USE TEMP B-TREE FOR ORDER BY") {
				t.Errorf("a page newest first (after %d) is not a range of items_by_created read backwards:\n%s", after, joined)
			}
			t.Logf("items newest first: %s", joined)
		}
		// The users without a principal name: those of the key NULL on
		// users_upn_key, sorted (a sort of them alone), never a read of
		// every user by the primary key.
		if joined := explain(usersWithoutPrincipalNameQuery, tenant, "a", 256); !strings.Contains(joined, "SEARCH users USING INDEX users_upn_key (tenant_id=? AND upn_key=?)") {
			t.Errorf("a page of the users without a principal name is not those of the key NULL:\n%s", joined)
		}
	})
}

func TestOpen(t *testing.T) {
	t.Run("OddPath", func(t *testing.T) {
		dirName, fileName := "a b?c#d%20é", "my db?.sqlite"
		if runtime.GOOS == "windows" { // no ? in a name there
			dirName, fileName = "a b#c%20é", "my db#.sqlite"
		}
		dir := filepath.Join(t.TempDir(), dirName)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fileName)
		s := openAt(t, path)
		if _, err := s.EnsureUser(t.Context(), adele); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("the database is not at %s: %v", path, err)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), fileName) {
				t.Errorf("unexpected file %q", e.Name())
			}
		}
	})

	t.Run("RelativePath", func(t *testing.T) {
		t.Chdir(t.TempDir())
		s := openAt(t, "relative.db")
		if _, err := os.Stat("relative.db"); err != nil {
			t.Fatal(err)
		}
		if !filepath.IsAbs(s.path) {
			t.Errorf("path %q is not absolute", s.path)
		}
	})

	for _, tc := range []struct {
		name string
		path func(dir string) string
	}{
		{"MissingDirectory", func(dir string) string { return filepath.Join(dir, "missing", "db") }},
		{"Directory", func(dir string) string { return dir }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.Context(), tc.path(t.TempDir()))
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
		})
	}

}

// The kill -9 test: a child process (this test binary again) creates
// positions and prints each id once CreateItem has returned; the parent
// kills it and checks that every printed id is in the database.

const helperEnv = "GRAPHPROFILE_SQLITE_HELPER_DB"

var createdLine = regexp.MustCompile(`^created (w\d-\d{6})$`)

func TestHelperProcessWriter(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("the child process of TestKill9Durability")
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(3)
	}
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fail(err)
	}
	if _, err := s.EnsureUser(ctx, adele); err != nil {
		fail(err)
	}
	var mu sync.Mutex
	for w := range 4 {
		go func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("w%d-%06d", w, i)
				if err := s.CreateItem(ctx, adele.Key(), workPositions, storetest.Position(id, t0.Add(time.Duration(i)*time.Microsecond)), 0); err != nil {
					fail(err)
				}
				mu.Lock()
				_, err := os.Stdout.WriteString("created " + id + "\n") // one write: a line is never torn
				mu.Unlock()
				if err != nil {
					fail(err)
				}
			}
		}()
	}
	time.Sleep(2 * time.Minute) // the parent kills us long before
	fail(errors.New("not killed"))
}

func TestKill9Durability(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	path := filepath.Join(t.TempDir(), "kill.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcessWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	const before = 200 // ids to see before the kill
	var printed []string
	sc := bufio.NewScanner(stdout)
	for len(printed) < before && sc.Scan() {
		if m := createdLine.FindStringSubmatch(sc.Text()); m != nil {
			printed = append(printed, m[1])
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Lines printed before the kill landed may still be in the pipe.
	for sc.Scan() {
		if m := createdLine.FindStringSubmatch(sc.Text()); m != nil {
			printed = append(printed, m[1])
		}
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the child ended with %v, not by SIGKILL; stderr:\n%s", err, stderr.String())
	}
	if len(printed) < before {
		t.Fatalf("the child printed only %d ids; stderr:\n%s", len(printed), stderr.String())
	}

	s := openAt(t, path)
	if ok := query[string](t, s, `PRAGMA integrity_check`); ok != "ok" {
		t.Errorf("integrity_check: %s", ok)
	}
	stored, missing := storetest.WantAcknowledged(t, s, adele.Key(), printed)
	t.Logf("%d ids printed, %d positions stored, %d missing", len(printed), stored, missing)
}

// Benchmarks: each create is one fsynced transaction.

func BenchmarkCreatePosition(b *testing.B) {
	storetest.BenchCreatePosition(b, openTemp(b))
}

func BenchmarkCreatePositionParallel(b *testing.B) {
	storetest.BenchCreatePositionParallel(b, openTemp(b))
}

func BenchmarkScanFirstPage(b *testing.B) {
	storetest.BenchScanFirstPage(b, openTemp(b))
}

func BenchmarkGetItem(b *testing.B) {
	storetest.BenchGetItem(b, openTemp(b))
}

// TestOpenReadOnly: a database this process may not write (its file, or
// its file and its directory, read-only to it) is refused by Open with a
// reason, rather than opened to serve reads and fail every write. Root
// writes whatever the permissions say, so root runs it as another user.
func TestOpenReadOnly(t *testing.T) {
	if runAsAnotherUser(t) {
		return
	}
	for _, tc := range []struct {
		name      string
		directory bool // the directory is read-only too
		// logKept: the directory became read-only while the store was
		// open, so its -wal and -shm files stayed when it closed.
		logKept bool
	}{
		{"File", false, false},
		{"FileAndDirectory", true, false},
		{"FileAndDirectoryWithLog", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.directory && runtime.GOOS == "windows" {
				t.Skip("Windows ignores a directory's read-only attribute: there is no read-only directory to make")
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "graphprofile.db")
			s, err := Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.EnsureUser(t.Context(), adele); err != nil {
				t.Fatal(err)
			}
			if tc.directory {
				t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
			}
			if tc.logKept {
				if err := os.Chmod(dir, 0o555); err != nil {
					t.Fatal(err)
				}
			}
			_ = s.Close() // with logKept, it cannot remove the log
			files, _ := filepath.Glob(path + "*")
			for _, f := range files {
				if f != path+"-lock" {
					if err := os.Chmod(f, 0o444); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tc.directory {
				if err := os.Chmod(dir, 0o555); err != nil {
					t.Fatal(err)
				}
			}
			if tc.logKept {
				if _, err := os.Stat(path + "-wal"); err != nil {
					t.Fatalf("the log did not stay: %v", err)
				}
			}
			s, err = Open(t.Context(), path)
			if err == nil {
				s.Close()
				t.Fatal("Open of a read-only database succeeded")
			}
			if msg := err.Error(); !strings.Contains(strings.ReplaceAll(msg, "readonly", "read-only"), "read-only") || strings.Count(msg, "sqlite:") != 1 || strings.Count(msg, path) != 1 {
				t.Errorf("Open: %q; want one error of the store, naming %s once, saying it is read-only", msg, path)
			}
			// A command that only reads (export) reads a copy, which
			// Backup makes of a read-only database too: without its log
			// in a read-only directory, as SQLite's immutable file.
			copied := filepath.Join(t.TempDir(), "copy.db")
			if err := Backup(t.Context(), path, copied); err != nil {
				t.Fatalf("Backup of a read-only database: %v", err)
			}
			s, err = Open(t.Context(), copied)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.FindUser(t.Context(), adele.TenantID, adele.ID); err != nil {
				t.Errorf("reading the copy: %v", err)
			}
		})
	}
}
