package pgtest

import (
	"context"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// Execer runs SQL: a pool or a connection as the server's own role.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// OwnRole makes a role of its own that may log in and use the schema of
// dbURL (its search_path, else public), through admin, a pool on that
// database as a role that may create roles, for a test that changes a
// role's settings. It returns the role and dbURL as that role. The role is
// dropped, with what it owns, when the test ends; the test is skipped
// where admin's role may not create roles.
func OwnRole(t testing.TB, admin Execer, dbURL string) (role, roleURL string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	if schema == "" {
		schema = "public"
	}
	role = RandomName("gp_role_")
	if _, err := admin.Exec(context.Background(), `CREATE ROLE `+role+` LOGIN`); err != nil {
		t.Skipf("CREATE ROLE (the test needs a role that may create roles): %v", err)
	}
	t.Cleanup(func() {
		for _, q := range []string{`DROP OWNED BY ` + role, `DROP ROLE ` + role} {
			if _, err := admin.Exec(context.Background(), q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	if _, err := admin.Exec(context.Background(), `GRANT ALL ON SCHEMA `+schema+` TO `+role); err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return role, u.String()
}
