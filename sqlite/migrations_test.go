package sqlite

import (
	"testing"

	"github.com/graphprofile/graphprofile/internal/migrations"
)

// appliedMigrations are the migrations a database may have applied, with
// the digests of their statements as they stand; none may change from here
// on (0008 gained users_by_name_desc after a commit of main had applied
// it, and 0009 had to make it again). A new migration gets its line here.
var appliedMigrations = []migrations.Applied{
	{Name: "0001_initial.sql", Digest: "42eb7ff0b44e08f8"},
	{Name: "0002_user_properties.sql", Digest: "9b7f3953ac91e40e"},
	{Name: "0003_drop_positions_by_created.sql", Digest: "2df3574f6e643891"},
	{Name: "0004_user_document.sql", Digest: "b46ea410fa5583ce"},
	{Name: "0005_items.sql", Digest: "fecbe73c520357d9"},
	{Name: "0006_item_order_and_counts.sql", Digest: "0f0f21adffb907a2"},
	{Name: "0007_items_by_id.sql", Digest: "fae736b0c3caf29d"},
	{Name: "0008_users_by_name.sql", Digest: "fd9a3497ed48c148"},
	{Name: "0009_users_by_name_desc.sql", Digest: "a8b576a4bf79b249"},
}

// TestMigrationsAreNeverChanged: every migration is one of
// appliedMigrations, its statements unchanged (migrations.Changed).
func TestMigrationsAreNeverChanged(t *testing.T) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range migrations.Changed(ms, appliedMigrations) {
		t.Error(problem)
	}
}
