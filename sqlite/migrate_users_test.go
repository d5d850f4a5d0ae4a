package sqlite

import (
	"cmp"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/migrations"
)

// TestMigrateUserDocument: a database of version 3, whose users kept their
// properties in columns, opens with every value in the user's document:
// set ones kept, empty strings and NULLs unset, the principal name key as
// it was.
func TestMigrateUserDocument(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := openRawDBAt(t, path, 3,
		`INSERT INTO users (tenant_id, id, user_principal_name, upn_key, display_name, mail, mail_nickname, given_name, surname, job_title, account_enabled)
		 VALUES ('t', 'full', 'Zoë@Contoso.com', 'zoë@contoso.com', 'Zoë "Z" \ 日本', 'zoe@contoso.com', 'zoe', 'Zoë', 'Ñúñez', 'Dev', 0),
		        ('t', 'on', 'on@contoso.com', 'on@contoso.com', 'On', '', '', '', '', '', 1),
		        ('t', 'bare', '', NULL, '', '', '', '', '', '', NULL)`)
	db.Close()

	s := openAt(t, path)
	yes, no := true, false
	want := []graphprofile.User{
		{TenantID: "t", ID: "bare"},
		{TenantID: "t", ID: "full", UserPrincipalName: "Zoë@Contoso.com", DisplayName: `Zoë "Z" \ 日本`, Mail: "zoe@contoso.com",
			MailNickname: "zoe", GivenName: "Zoë", Surname: "Ñúñez", JobTitle: "Dev", AccountEnabled: &no},
		{TenantID: "t", ID: "on", UserPrincipalName: "on@contoso.com", DisplayName: "On", AccountEnabled: &yes},
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

// TestMigrateUsersByName: a database of version 7, whose users had no
// name_key, opens with each user's key the graphprofile.NameKey of its
// display name, computed in Go (SQLite's lower() lowers ASCII only: É, Ł, Σ
// would stay as they are), for more users than the migration reads a page,
// so that ScanUsersByName lists them in the order of their names.
func TestMigrateUsersByName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	names := []string{"Émile", "émile", "Zoë", "ZOË", "Łukasz", "lukasz", "ΣΟΦΊΑ", "σοφία", "adele", "ADELE", "İlker", ""}
	db := openRawDBAt(t, path, 7)
	for i := range 2500 {
		doc := `{}`
		if name := names[i%len(names)]; name != "" {
			doc = `{"displayName":"` + name + `"}`
		}
		tenant := "t"
		if i%2 == 1 {
			tenant = "u"
		}
		if _, err := db.Exec(`INSERT INTO users (tenant_id, id, upn_key, document) VALUES (?, ?, NULL, ?)`, tenant, fmt.Sprintf("user-%04d", (i*7919)%10000), doc); err != nil {
			db.Close()
			t.Fatal(err)
		}
	}
	db.Close()

	s := openAt(t, path)
	rows, err := s.rdb.Query(`SELECT tenant_id, id, name_key, document FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var tenant, id, key string
		var doc []byte
		if err := rows.Scan(&tenant, &id, &key, &doc); err != nil {
			t.Fatal(err)
		}
		u, err := graphprofile.DecodeStoredUser(tenant, id, doc)
		if err != nil {
			t.Fatal(err)
		}
		if want := graphprofile.NameKey(u.DisplayName); key != want {
			t.Errorf("user %s of %s, named %q: name_key %q, want %q", id, tenant, u.DisplayName, key, want)
		}
		n++
	}
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
		if err := s.ScanUsersByName(t.Context(), tenant, "displayName", false, nil, func(u graphprofile.User) (bool, error) {
			got = append(got, u)
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(users) {
			t.Fatalf("tenant %s: ScanUsersByName visited %d users, want %d", tenant, len(got), len(users))
		}
		for i := range users {
			if got[i].ID != users[i].ID {
				t.Fatalf("tenant %s: user %d is %s (%q), want %s (%q)", tenant, i, got[i].ID, got[i].DisplayName, users[i].ID, users[i].DisplayName)
			}
		}
	}
}

// TestMigrateUsersByNameDesc: a database that took migration 0008 before
// it made users_by_name_desc (a commit of main applied it so) gets the
// index from 0009, and lists users by name descending: the query names
// the index, and without it failed ("no such index").
func TestMigrateUsersByNameDesc(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := openRawDBAt(t, path, 8, `DROP INDEX users_by_name_desc`,
		`INSERT INTO users (tenant_id, id, upn_key, document, name_key) VALUES ('t', 'a', NULL, '{"displayName":"Ada"}', 'ada'), ('t', 'z', NULL, '{"displayName":"Zoë"}', 'zoë')`)
	db.Close()

	s := openAt(t, path)
	var n int
	if err := s.rdb.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'users_by_name_desc'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("users_by_name_desc: %d, %v", n, err)
	}
	var ids []string
	err := s.ScanUsersByName(t.Context(), "t", "displayName", true, nil, func(u graphprofile.User) (bool, error) {
		ids = append(ids, u.ID)
		return true, nil
	})
	if err != nil || strings.Join(ids, " ") != "z a" {
		t.Errorf("users by name descending: %v, %v; want z a", ids, err)
	}
}

// hiredOutOfRange are employeeHireDate values as versions before the range
// of an Edm.DateTimeOffset was checked (dbaacf5) stored them: the UTC time
// of what a body gave, in FormatDateTimeOffset's form, whose year may be
// past 9999 or before 0 ("9999-12-31T23:59:59-14:00" is the year 10000,
// "0000-01-01T00:00:00+24:00" the year -1), with one inside it beside
// them.
var hiredOutOfRange = []string{
	"10000-01-01T13:59:59.0000000Z",
	"-0001-12-31T00:00:00.0000000Z",
	"0000-12-31T10:00:00.0000000Z",
	"2020-02-29T00:00:00.1234567Z",
}

// TestMigrateUsersHiredOutOfRange: a database of version 7 holding users
// whose employeeHireDate an older version stored outside the years 1 to
// 9999 opens, and every user reads back as stored. Migration 0008 reads
// every user, and failed on them ("do not decode": time.Parse takes no
// year of five digits or a sign), so the server did not start.
func TestMigrateUsersHiredOutOfRange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := openRawDBAt(t, path, 7)
	for i, hired := range hiredOutOfRange {
		if _, err := db.Exec(`INSERT INTO users (tenant_id, id, upn_key, document) VALUES ('t', ?, NULL, ?)`,
			fmt.Sprintf("u%d", i), fmt.Sprintf(`{"displayName":"Hired %d","employeeHireDate":"%s"}`, i, hired)); err != nil {
			db.Close()
			t.Fatal(err)
		}
	}
	db.Close()

	s := openAt(t, path)
	for i, hired := range hiredOutOfRange {
		id := fmt.Sprintf("u%d", i)
		u, err := s.FindUser(t.Context(), "t", id)
		if err != nil {
			t.Errorf("user %s (hired %s) after the migration: %v", id, hired, err)
			continue
		}
		want := fmt.Sprintf(`{"displayName":"Hired %d","employeeHireDate":"%s"}`, i, hired)
		if got := string(graphprofile.EncodeStoredUser(u)); got != want {
			t.Errorf("user %s after the migration = %s, want %s", id, got, want)
		}
		if key := query[string](t, s, `SELECT name_key FROM users WHERE id = ?`, id); key != fmt.Sprintf("hired %d", i) {
			t.Errorf("user %s: name_key %q", id, key)
		}
	}
}

// TestMigrationThatFailsChangesNothing: a migration is one transaction,
// its Go step's work and its SQL's schema changes alike. Migration 0008
// failing on a user whose document does not decode (after its SQL added
// the name_key column and the indexes) leaves the database of version 7
// as it was: no column, no index, no row changed, the version recorded
// 7; Open's error names the user. Once the document is mended, the next
// Open migrates it. (A process killed during a migration leaves it
// likewise: its transaction never commits.)
func TestMigrationThatFailsChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := openRawDBAt(t, path, 7,
		`INSERT INTO users (tenant_id, id, upn_key, document) VALUES ('t', 'ada', 'ada@contoso.com', '{"displayName":"Ada","userPrincipalName":"ada@contoso.com"}'), ('t', 'bad', NULL, '{"displayName":1}')`)
	schemaOf := func(db *sql.DB) (schema, rows string) {
		t.Helper()
		if err := db.QueryRow(`SELECT group_concat(name || ':' || coalesce(sql, ''), char(10)) FROM (SELECT name, sql FROM sqlite_schema ORDER BY name)`).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT group_concat(tenant_id || '/' || id || '/' || coalesce(upn_key, '-') || '/' || document, char(10)) FROM (SELECT * FROM users ORDER BY tenant_id, id)`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		return schema, rows
	}
	schema, rows := schemaOf(db)
	db.Close()

	_, err := Open(t.Context(), path)
	if err == nil || !strings.Contains(err.Error(), "0008_users_by_name") || !strings.Contains(err.Error(), `"bad"`) {
		t.Fatalf("Open of a database with a user that does not decode: %v; want migration 0008 failing, naming the user", err)
	}
	db = openRawDB(t, path)
	afterSchema, afterRows := schemaOf(db)
	var version int
	if err := db.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil {
		db.Close()
		t.Fatal(err)
	}
	if version != 7 || afterSchema != schema || afterRows != rows {
		t.Errorf("after the failed migration: version %d, want 7\nschema:\n%s\nwant:\n%s\nusers:\n%s\nwant:\n%s", version, afterSchema, schema, afterRows, rows)
	}
	if _, err := db.Exec(`UPDATE users SET document = '{"displayName":"Bea"}' WHERE id = 'bad'`); err != nil {
		db.Close()
		t.Fatal(err)
	}
	db.Close()

	s := openAt(t, path)
	if v := query[int](t, s, `SELECT max(version) FROM schema_migrations`); v != len(mustMigrations(t)) {
		t.Errorf("version %d after the mended database opened, want %d", v, len(mustMigrations(t)))
	}
	if key := query[string](t, s, `SELECT name_key FROM users WHERE id = 'bad'`); key != "bea" {
		t.Errorf("name_key of the mended user %q, want bea", key)
	}
}

func mustMigrations(t *testing.T) []migrations.Migration {
	t.Helper()
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	return ms
}
