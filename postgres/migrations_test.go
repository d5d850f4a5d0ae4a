package postgres

import (
	"testing"

	"github.com/graphprofile/graphprofile/internal/migrations"
)

// appliedMigrations are the migrations a database may have applied, with
// the digests of their statements as they stand; none may change from here
// on (0006 gained users_by_name_desc after a commit of main had applied
// it, and 0007 had to make it again). A new migration gets its line here.
var appliedMigrations = []migrations.Applied{
	{Name: "0001_initial.sql", Digest: "3e888c1f79634873"},
	{Name: "0002_user_document.sql", Digest: "0a79462eda172ac3"},
	{Name: "0003_items.sql", Digest: "e6abbf7b296536f3"},
	{Name: "0004_item_counts.sql", Digest: "8acd0b60830a23e4"},
	{Name: "0005_shared_secrets.sql", Digest: "c37c6791abb1dd33"},
	{Name: "0006_users_by_name.sql", Digest: "8f72ced83a93a024"},
	{Name: "0007_users_by_name_desc.sql", Digest: "a8b576a4bf79b249"},
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
