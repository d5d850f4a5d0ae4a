package postgres

import (
	"testing"

	"github.com/graphprofile/graphprofile/internal/migrations"
)

// appliedMigrations are the migrations a database may have applied, each
// with the digest of its statements (migrations.Digest) as they stand;
// none may change from here on. A migration applied is never changed: a database that
// took it never takes the change (0006 gained users_by_name_desc after a commit of main had applied it, and 0007 had to make it again). A new migration gets its line
// here; a change to one of these needs a new migration instead.
var appliedMigrations = []struct{ name, digest string }{
	{"0001_initial.sql", "3e888c1f79634873"},
	{"0002_user_document.sql", "0a79462eda172ac3"},
	{"0003_items.sql", "e6abbf7b296536f3"},
	{"0004_item_counts.sql", "8acd0b60830a23e4"},
	{"0005_shared_secrets.sql", "c37c6791abb1dd33"},
	{"0006_users_by_name.sql", "8f72ced83a93a024"},
	{"0007_users_by_name_desc.sql", "a8b576a4bf79b249"},
}

// TestMigrationsAreNeverChanged: every migration is one of
// appliedMigrations, its statements unchanged.
func TestMigrationsAreNeverChanged(t *testing.T) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != len(appliedMigrations) {
		t.Errorf("%d migrations, %d in appliedMigrations: give a new one its line there", len(ms), len(appliedMigrations))
	}
	for i, m := range ms {
		if i >= len(appliedMigrations) {
			t.Errorf("%s (digest %s) is not in appliedMigrations", m.Name, migrations.Digest(m))
			continue
		}
		if want := appliedMigrations[i]; m.Name != want.name || migrations.Digest(m) != want.digest {
			t.Errorf("%s (digest %s) is not %s (digest %s) as applied: a migration applied is never changed; make a new one", m.Name, migrations.Digest(m), want.name, want.digest)
		}
	}
}
