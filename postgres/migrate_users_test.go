package postgres

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/migrations"
	"github.com/jackc/pgx/v5"
)

// TestMigrateUserDocument: a database of version 1, whose users kept their
// properties in columns, opens with every value in the user's document:
// set ones kept, empty strings and NULLs unset, the principal name key as
// it was.
func TestMigrateUserDocument(t *testing.T) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	url := freshURL(t)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
		ms[0].SQL,
		`INSERT INTO schema_migrations (version) VALUES (1)`,
		`INSERT INTO users (tenant_id, id, user_principal_name, upn_key, display_name, mail, mail_nickname, given_name, surname, job_title, account_enabled)
		 VALUES ('t', 'full', 'Zoë@Contoso.com', 'zoë@contoso.com', 'Zoë "Z" \ 日本', 'zoe@contoso.com', 'zoe', 'Zoë', 'Ñúñez', 'Dev', false),
		        ('t', 'bare', '', NULL, '', '', '', '', '', '', NULL)`,
	} {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			conn.Close(t.Context())
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close(t.Context())

	s := openAt(t, url)
	no := false
	want := []graphprofile.User{
		{TenantID: "t", ID: "bare"},
		{TenantID: "t", ID: "full", UserPrincipalName: "Zoë@Contoso.com", DisplayName: `Zoë "Z" \ 日本`, Mail: "zoe@contoso.com",
			MailNickname: "zoe", GivenName: "Zoë", Surname: "Ñúñez", JobTitle: "Dev", AccountEnabled: &no},
	}
	got, err := graphprofile.AllUsers(t.Context(), s, "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("ListUsers = %d users, want %d", len(got), len(want))
	}
	for i := range want {
		if a, b := string(graphprofile.EncodeStoredUser(got[i])), string(graphprofile.EncodeStoredUser(want[i])); a != b || got[i].AccountEnabled == nil != (want[i].AccountEnabled == nil) {
			t.Errorf("user %s after the migration = %s, want %s", want[i].ID, a, b)
		}
	}
	if u, err := s.FindUser(t.Context(), "t", "ZOË@contoso.COM"); err != nil || u.ID != "full" {
		t.Errorf("FindUser by the principal name = %+v, %v", u, err)
	}
}

// TestMigrateUsersByName: a database of version 5, whose users had no
// name_key, opens with each user's key the graphprofile.NameKey of its
// display name, computed in Go (PostgreSQL's lower() follows the
// database's locale, which need not be Go's), for more users than the
// migration reads a page, so that ScanUsersByName lists them in the order
// of their names.
func TestMigrateUsersByName(t *testing.T) {
	url, conn, exec := databaseAt(t, 5)
	names := []string{"Émile", "émile", "Zoë", "ZOË", "Łukasz", "lukasz", "ΣΟΦΊΑ", "σοφία", "adele", "ADELE", "İlker", ""}
	var tenants, ids, docs []string
	for i := range 2500 {
		doc := `{}`
		if name := names[i%len(names)]; name != "" {
			doc = `{"displayName":"` + name + `"}`
		}
		tenants = append(tenants, []string{"t", "u"}[i%2])
		ids = append(ids, fmt.Sprintf("user-%04d", (i*7919)%10000))
		docs = append(docs, doc)
	}
	exec(`INSERT INTO users (tenant_id, id, document) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`, tenants, ids, docs)
	conn.Close(t.Context())

	s := openAt(t, url)
	rows, err := s.pool.Query(t.Context(), `SELECT tenant_id, id, name_key, document FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var tenant, id, key, doc string
		if err := rows.Scan(&tenant, &id, &key, &doc); err != nil {
			t.Fatal(err)
		}
		u, err := graphprofile.DecodeStoredUser(tenant, id, []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if want := graphprofile.NameKey(u.DisplayName); key != want {
			t.Errorf("user %s of %s, named %q: name_key %q, want %q", id, tenant, u.DisplayName, key, want)
		}
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil || n != 2500 {
		t.Fatalf("%d users after the migration (%v), want 2500", n, err)
	}
	for _, tenant := range []string{"t", "u"} {
		users, err := graphprofile.AllUsers(t.Context(), s, tenant)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(users, func(a, b graphprofile.User) int {
			return cmp.Or(strings.Compare(graphprofile.NameKey(a.DisplayName), graphprofile.NameKey(b.DisplayName)), strings.Compare(a.ID, b.ID))
		})
		var got []graphprofile.User
		if err := s.ScanUsersByName(t.Context(), tenant, "displayName", true, nil, func(u graphprofile.User) (bool, error) {
			got = append(got, u)
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(users) {
			t.Fatalf("tenant %s: ScanUsersByName visited %d users, want %d", tenant, len(got), len(users))
		}
		// Descending: the names' keys from the last, each name's users by id.
		slices.SortStableFunc(users, func(a, b graphprofile.User) int {
			return strings.Compare(graphprofile.NameKey(b.DisplayName), graphprofile.NameKey(a.DisplayName))
		})
		for i := range users {
			if got[i].ID != users[i].ID {
				t.Fatalf("tenant %s: user %d is %s (%q), want %s (%q)", tenant, i, got[i].ID, got[i].DisplayName, users[i].ID, users[i].DisplayName)
			}
		}
	}
}

// TestMigrateUsersByNameUnfit: a database of version 5 holding a user
// whose display name's key does not fit the index beside its tenant's key
// and its id (an old version stored it; the directory now refuses it, 400)
// is not migrated: Open fails naming the user and how to go on, instead of
// PostgreSQL's "index row size exceeds btree maximum", and the database is
// left as it was, at version 5, for the version that stored it.
func TestMigrateUsersByNameUnfit(t *testing.T) {
	url, conn, exec := databaseAt(t, 5)
	// An id of 1,000 characters of two bytes each, a name of 256 of four
	// (characters no compression shortens).
	random := rand.New(rand.NewPCG(1, 2))
	var id, name strings.Builder
	for range 1000 {
		id.WriteRune(rune(0x0400 + random.IntN(256)))
	}
	for range 256 {
		name.WriteRune(rune(0x20000 + random.IntN(40000)))
	}
	exec(`INSERT INTO users (tenant_id, id, document) VALUES ('t', $1, $2)`, id.String(), `{"displayName":"`+name.String()+`"}`)
	exec(`INSERT INTO users (tenant_id, id, document) VALUES ('t', 'ada', '{"displayName":"Ada"}')`)

	_, err := Open(t.Context(), url)
	if err == nil {
		t.Fatal("Open migrated a database whose user's name does not fit the index")
	}
	if msg := err.Error(); !strings.Contains(msg, "has a displayName that takes 1024 bytes of UTF-8 in lower case, more than the 599") ||
		!strings.Contains(msg, "shorten it (PATCH /users/{id} with a displayName) with the version that stored it") {
		t.Errorf("Open: %v; want the user named, and how to go on", err)
	}
	var version int
	if err := conn.QueryRow(t.Context(), `SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil || version != 5 {
		t.Errorf("schema version %d (%v) after the failed migration, want 5", version, err)
	}
}

// TestMigrateUsersHiredOutOfRange: a database of version 5 holding users
// whose employeeHireDate an older version stored outside the years 1 to
// 9999 (as versions before dbaacf5 took "9999-12-31T23:59:59-14:00", the
// year 10000 in UTC) opens, and every user reads back as stored.
// Migration 0006 reads every user, and failed on them ("do not decode":
// time.Parse takes no year of five digits or a sign), so no server
// started.
func TestMigrateUsersHiredOutOfRange(t *testing.T) {
	url, conn, exec := databaseAt(t, 5)
	hired := []string{
		"10000-01-01T13:59:59.0000000Z",
		"-0001-12-31T00:00:00.0000000Z",
		"0000-12-31T10:00:00.0000000Z",
		"2020-02-29T00:00:00.1234567Z",
	}
	for i, h := range hired {
		exec(`INSERT INTO users (tenant_id, id, document) VALUES ('t', $1, $2)`,
			fmt.Sprintf("u%d", i), fmt.Sprintf(`{"displayName":"Hired %d","employeeHireDate":"%s"}`, i, h))
	}

	s := openAt(t, url)
	for i, h := range hired {
		id := fmt.Sprintf("u%d", i)
		u, err := s.FindUser(t.Context(), "t", id)
		if err != nil {
			t.Errorf("user %s (hired %s) after the migration: %v", id, h, err)
			continue
		}
		want := fmt.Sprintf(`{"displayName":"Hired %d","employeeHireDate":"%s"}`, i, h)
		if got := string(graphprofile.EncodeStoredUser(u)); got != want {
			t.Errorf("user %s after the migration = %s, want %s", id, got, want)
		}
		var key string
		if err := conn.QueryRow(t.Context(), `SELECT name_key FROM users WHERE id = $1`, id).Scan(&key); err != nil || key != fmt.Sprintf("hired %d", i) {
			t.Errorf("user %s: name_key %q (%v)", id, key, err)
		}
	}
}

// TestMigrateUsersByNameDesc: a database that took migration 0006 before
// it made users_by_name_desc (a commit of main applied it so) gets the
// index from 0007.
func TestMigrateUsersByNameDesc(t *testing.T) {
	url, conn, exec := databaseAt(t, 6)
	exec(`DROP INDEX users_by_name_desc`)
	conn.Close(t.Context())

	openAt(t, url)
	var n int
	check, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close(t.Context())
	if err := check.QueryRow(t.Context(), `SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'users_by_name_desc'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("users_by_name_desc: %d, %v", n, err)
	}
}

// databaseAt makes a new database of schema version: the migrations up to
// it applied by their SQL, as a store of that version applied them (their
// Go steps have nothing to do in an empty database). exec runs a statement
// on conn, a connection to it that the test's end closes.
func databaseAt(t *testing.T, version int) (url string, conn *pgx.Conn, exec func(q string, args ...any)) {
	t.Helper()
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	url = freshURL(t)
	conn, err = pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	exec = func(q string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(t.Context(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`)
	for _, m := range ms[:version] {
		exec(m.SQL)
		exec(`INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version)
	}
	return url, conn, exec
}
