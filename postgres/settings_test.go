package postgres

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/postgres/pgtest"
)

// limitedRole makes a role that may log in and use the schema of schemaURL
// (USAGE, and the statements of grants, e.g. `SELECT, INSERT, UPDATE,
// DELETE ON ALL TABLES IN SCHEMA %s`), but may not create in it, as an
// operator gives an application whose schema an administrator migrates. It
// returns the schema's URL as that role, and drops the role at the end.
func limitedRole(t *testing.T, schemaURL string, grants ...string) string {
	t.Helper()
	u, err := url.Parse(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	role := pgtest.RandomName("gp_role_")
	if _, err := admin.Exec(t.Context(), `CREATE ROLE `+role+` LOGIN`); err != nil {
		t.Skipf("CREATE ROLE (the test needs a role that may create roles): %v", err)
	}
	t.Cleanup(func() {
		for _, q := range []string{`DROP OWNED BY ` + role, `DROP ROLE ` + role} {
			if _, err := admin.Exec(context.Background(), q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	for _, g := range append([]string{`USAGE ON SCHEMA %s`}, grants...) {
		q := `GRANT ` + strings.ReplaceAll(g, "%s", schema) + ` TO ` + role
		if _, err := admin.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	u.User = url.User(role)
	return u.String()
}

// TestOpenAsARoleThatMayNotCreate: an application's role with only the
// privileges its statements need, on a schema an administrator migrated,
// serves; on a schema that still needs migrating it is refused with a
// message that says what is missing. Open ran CREATE TABLE IF NOT EXISTS
// schema_migrations at every start, which needs CREATE on the schema even
// when the table exists: "permission denied for schema …".
func TestOpenAsARoleThatMayNotCreate(t *testing.T) {
	schemaURL := freshURL(t)
	openAt(t, schemaURL) // the administrator migrates

	t.Run("Migrated", func(t *testing.T) {
		s := openAt(t, limitedRole(t, schemaURL, `SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s`))
		if _, err := s.EnsureUser(t.Context(), adele); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindUser(t.Context(), tenant, adele.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("NotMigrated", func(t *testing.T) {
		s, err := Open(t.Context(), limitedRole(t, freshURL(t)))
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded on a schema the role may neither migrate nor use")
		}
		if errors.Is(err, graphprofile.ErrUnavailable) {
			t.Errorf("error %v wraps ErrUnavailable: a missing privilege is a configuration error", err)
		}
		if msg := err.Error(); !strings.Contains(msg, "CREATE") || !strings.Contains(msg, "GRANT") {
			t.Errorf("error %q does not say that the role needs CREATE on the schema", msg)
		}
	})

	t.Run("NoSchema", func(t *testing.T) {
		s, err := Open(t.Context(), pgtest.WithParams(runURL, "search_path", pgtest.RandomName("gp_missing_")))
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded with a search_path that names no schema")
		}
		if msg := err.Error(); !strings.Contains(msg, "search_path") {
			t.Errorf("error %q does not name the search_path", msg)
		}
	})

	t.Run("NoUsage", func(t *testing.T) {
		// current_schema() skips a schema the role may not use: the
		// message says so, not only that none exists.
		u, err := url.Parse(limitedRole(t, freshURL(t)))
		if err != nil {
			t.Fatal(err)
		}
		schema := u.Query().Get("search_path")
		if _, err := admin.Exec(t.Context(), `REVOKE USAGE ON SCHEMA `+schema+` FROM `+u.User.Username()); err != nil {
			t.Fatal(err)
		}
		s, err := Open(t.Context(), u.String())
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded on a schema the role may not use")
		}
		if msg := err.Error(); !strings.Contains(msg, "USAGE") {
			t.Errorf("error %q does not say that the role needs USAGE on the schema", msg)
		}
	})
}
