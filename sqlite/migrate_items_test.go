package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/migrations"
	"github.com/graphprofile/graphprofile/storetest"
)

// TestMigrateItems: a database of version 4, whose positions had a table of
// their own, opens with every position an item of the positions
// collection, its document byte for byte, in the same order, and the old
// table gone; the profile then takes items of other collections beside
// them.
func TestMigrateItems(t *testing.T) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "db")
	db := openRawDB(t, path)
	queries := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`}
	for _, m := range ms[:4] {
		queries = append(queries, m.SQL, `INSERT INTO schema_migrations (version, applied_at) VALUES (`+strconv.Itoa(m.Version)+`, '2025-01-01T00:00:00Z')`)
	}
	queries = append(queries, `INSERT INTO users (tenant_id, id, upn_key, document) VALUES ('t', 'adele', NULL, '{}'), ('t', 'megan', NULL, '{}')`)
	for _, q := range queries {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	t0 := time.Date(2024, 5, 1, 8, 30, 15, 123456700, time.UTC)
	var want []graphprofile.Item
	for i, id := range []string{"b", "a", "Odd Id/?#%20"} {
		p := storetest.Position(id, t0.Add(time.Duration(i%2)*time.Second))
		doc := string(graphprofile.EncodeStoredItem(graphprofile.WorkPositionType, p))
		if _, err := db.Exec(`INSERT INTO positions (tenant_id, user_id, id, created_at, document) VALUES ('t', 'adele', ?, ?, ?)`,
			id, p.CreatedDateTime().UnixNano(), doc); err != nil {
			db.Close()
			t.Fatal(err)
		}
		want = append(want, p)
	}
	if _, err := db.Exec(`INSERT INTO positions (tenant_id, user_id, id, created_at, document) VALUES ('t', 'megan', 'm', 0, ?)`,
		string(graphprofile.EncodeStoredItem(graphprofile.WorkPositionType, storetest.Position("m", time.Unix(0, 0))))); err != nil {
		db.Close()
		t.Fatal(err)
	}
	db.Close()

	s := openAt(t, path)
	adele := graphprofile.UserKey{TenantID: "t", UserID: "adele"}
	got, err := graphprofile.AllItems(t.Context(), s, adele, workPositions)
	if err != nil {
		t.Fatal(err)
	}
	// The list order: createdDateTime, then id.
	wantOrder := []string{"Odd Id/?#%20", "b", "a"}
	if len(got) != len(wantOrder) {
		t.Fatalf("ListItems after the migration = %d positions, want %d", len(got), len(wantOrder))
	}
	for i, id := range wantOrder {
		if got[i].ID() != id {
			t.Errorf("position %d = %q, want %q", i, got[i].ID(), id)
		}
	}
	for _, p := range want {
		doc := query[string](t, s, `SELECT document FROM items WHERE tenant_id = 't' AND user_id = 'adele' AND kind = 'positions' AND id = ?`, p.ID())
		if w := string(graphprofile.EncodeStoredItem(graphprofile.WorkPositionType, p)); doc != w {
			t.Errorf("document of %q after the migration\n  %s\nwant\n  %s", p.ID(), doc, w)
		}
	}
	if n := query[int](t, s, `SELECT count(*) FROM items WHERE user_id = 'megan' AND kind = 'positions'`); n != 1 {
		t.Errorf("megan has %d positions after the migration, want 1", n)
	}
	if n := query[int](t, s, `SELECT count(*) FROM sqlite_schema WHERE name = 'positions'`); n != 0 {
		t.Error("the positions table remains after the migration")
	}
	// Another collection's item of the same id lives beside a position.
	other := graphprofile.Collection{Name: "migrationTestOther", Type: graphprofile.WorkPositionType}
	if err := s.CreateItem(t.Context(), adele, other, storetest.Position("a", t0), 0); err != nil {
		t.Fatalf("CreateItem of another collection after the migration: %v", err)
	}
	if n := query[int](t, s, fmt.Sprintf(`SELECT count(*) FROM items WHERE id = 'a' AND kind IN ('positions', '%s')`, other.Name)); n != 2 {
		t.Errorf("%d items of id a, want 2 (one per collection)", n)
	}
	// The counts of the collections (sqlite 0006, postgres 0004) were
	// taken from the items there were: Adele's 3 positions fill a limit of
	// 3, Megan's 1 leaves one place of 2.
	if err := s.CreateItem(t.Context(), adele, workPositions, storetest.Position("fourth", t0), 3); !errors.Is(err, graphprofile.ErrCollectionFull) {
		t.Errorf("a fourth position with a limit of 3 after the migration: %v, want ErrCollectionFull", err)
	}
	megan := graphprofile.UserKey{TenantID: "t", UserID: "megan"}
	if err := s.CreateItem(t.Context(), megan, workPositions, storetest.Position("second", t0), 2); err != nil {
		t.Errorf("Megan's second position with a limit of 2 after the migration: %v", err)
	}
	if err := s.CreateItem(t.Context(), megan, workPositions, storetest.Position("third", t0), 2); !errors.Is(err, graphprofile.ErrCollectionFull) {
		t.Errorf("Megan's third position with a limit of 2 after the migration: %v, want ErrCollectionFull", err)
	}
}
