package sqlite

import (
	"testing"

	"github.com/graphprofile/graphprofile/internal/migrations"
)

// appliedMigrations are the migrations a database may have applied, each
// with the digest of its statements (migrations.Digest) as they stand;
// none may change from here on. A migration applied is never changed: a database that
// took it never takes the change (0008 gained users_by_name_desc after a commit of main had applied it, and 0009 had to make it again). A new migration gets its line
// here; a change to one of these needs a new migration instead.
var appliedMigrations = []struct{ name, digest string }{
	{"0001_initial.sql", "42eb7ff0b44e08f8"},
	{"0002_user_properties.sql", "9b7f3953ac91e40e"},
	{"0003_drop_positions_by_created.sql", "2df3574f6e643891"},
	{"0004_user_document.sql", "b46ea410fa5583ce"},
	{"0005_items.sql", "fecbe73c520357d9"},
	{"0006_item_order_and_counts.sql", "0f0f21adffb907a2"},
	{"0007_items_by_id.sql", "fae736b0c3caf29d"},
	{"0008_users_by_name.sql", "fd9a3497ed48c148"},
	{"0009_users_by_name_desc.sql", "a8b576a4bf79b249"},
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
