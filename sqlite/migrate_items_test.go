package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/storetest"
)

// TestMigrateItems: a database of version 4, whose positions had a table of
// their own, opens with every position an item of the positions
// collection, its document byte for byte, in the same order, and the old
// table gone; the profile then takes items of other collections beside
// them.
func TestMigrateItems(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := openRawDBAt(t, path, 4, `INSERT INTO users (tenant_id, id, upn_key, document) VALUES ('t', 'adele', NULL, '{}'), ('t', 'megan', NULL, '{}')`)
	t0 := time.Date(2024, 5, 1, 8, 30, 15, 123456700, time.UTC)
	var want []graphprofile.Item
	for i, id := range []string{"b", "a", "Odd Id/?#%20"} {
		p := storetest.Position(id, t0.Add(time.Duration(i%2)*time.Second))
		doc := string(graphprofile.AppendStoredItem(nil, graphprofile.WorkPositionType, p))
		if _, err := db.Exec(`INSERT INTO positions (tenant_id, user_id, id, created_at, document) VALUES ('t', 'adele', ?, ?, ?)`,
			id, p.CreatedDateTime().UnixNano(), doc); err != nil {
			db.Close()
			t.Fatal(err)
		}
		want = append(want, p)
	}
	if _, err := db.Exec(`INSERT INTO positions (tenant_id, user_id, id, created_at, document) VALUES ('t', 'megan', 'm', 0, ?)`,
		string(graphprofile.AppendStoredItem(nil, graphprofile.WorkPositionType, storetest.Position("m", time.Unix(0, 0))))); err != nil {
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
		if w := string(graphprofile.AppendStoredItem(nil, graphprofile.WorkPositionType, p)); doc != w {
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

// TestMigrateItemsKey: a database of version 6, whose items were keyed by
// (tenant_id, user_id, kind, id), opens with them keyed by (kind, id,
// tenant_id, user_id), as a new database has them: every row as it was
// (rowid, columns, document byte for byte), the list index back, a key
// still unique per collection of a profile, lookups and a user's delete
// (its items go with it) as before.
func TestMigrateItemsKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := openRawDBAt(t, path, 6, `INSERT INTO users (tenant_id, id, upn_key, document) VALUES ('t', 'adele', NULL, '{}'), ('t', 'megan', NULL, '{}'), ('u', 'adele', NULL, '{}')`)
	t0 := time.Date(2024, 5, 1, 8, 30, 15, 123456700, time.UTC)
	type row struct {
		tenant, user, kind, id string
		created                int64
		document               string
	}
	var rows []row
	for i, r := range []struct{ tenant, user, kind, id string }{
		{"t", "adele", "positions", "b"}, {"t", "adele", "positions", "a"}, {"t", "adele", "skills", "a"},
		{"t", "megan", "positions", "a"}, {"u", "adele", "positions", "a"}, {"t", "adele", "positions", "Odd Id/?#%20"},
	} {
		p := storetest.Position(r.id, t0.Add(time.Duration(i%3)*time.Second))
		rows = append(rows, row{r.tenant, r.user, r.kind, r.id, p.CreatedDateTime().UnixNano(),
			string(graphprofile.AppendStoredItem(nil, graphprofile.WorkPositionType, p))})
	}
	for _, r := range rows {
		if _, err := db.Exec(`INSERT INTO items (tenant_id, user_id, kind, id, created_at, document) VALUES (?, ?, ?, ?, ?, ?)`,
			r.tenant, r.user, r.kind, r.id, r.created, r.document); err != nil {
			db.Close()
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO item_counts (tenant_id, user_id, kind, n) SELECT tenant_id, user_id, kind, count(*) FROM items GROUP BY 1, 2, 3`); err != nil {
		db.Close()
		t.Fatal(err)
	}
	db.Close()

	s := openAt(t, path)
	fresh := openTemp(t)
	for name, st := range map[string]*Store{"migrated": s, "new": fresh} {
		key := query[string](t, st, `SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info('sqlite_autoindex_items_1') ORDER BY seqno)`)
		if key != "kind,id,tenant_id,user_id" {
			t.Errorf("%s database: items keyed by %s, want kind,id,tenant_id,user_id", name, key)
		}
		index := query[string](t, st, `SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info('items_by_created') ORDER BY seqno)`)
		if index != "tenant_id,user_id,kind,created_at,id" {
			t.Errorf("%s database: items_by_created on %s", name, index)
		}
	}
	if n := query[int](t, s, `SELECT count(*) FROM sqlite_schema WHERE name = 'items_new'`); n != 0 {
		t.Error("items_new remains after the migration")
	}
	for i, r := range rows {
		var got row
		var rowid int64
		if err := s.rdb.QueryRowContext(t.Context(), `SELECT rowid, tenant_id, user_id, kind, id, created_at, document FROM items
			WHERE tenant_id = ? AND user_id = ? AND kind = ? AND id = ?`, r.tenant, r.user, r.kind, r.id).
			Scan(&rowid, &got.tenant, &got.user, &got.kind, &got.id, &got.created, &got.document); err != nil {
			t.Fatalf("item %d (%s/%s/%s/%s) after the migration: %v", i, r.tenant, r.user, r.kind, r.id, err)
		}
		if got != r || rowid != int64(i+1) {
			t.Errorf("item %d after the migration: rowid %d, %+v\nwant rowid %d, %+v", i, rowid, got, i+1, r)
		}
	}
	if n := query[int](t, s, `SELECT count(*) FROM items`); n != len(rows) {
		t.Errorf("%d items after the migration, want %d", n, len(rows))
	}
	adele := graphprofile.UserKey{TenantID: "t", UserID: "adele"}
	got, err := graphprofile.AllItems(t.Context(), s, adele, workPositions)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range got {
		ids = append(ids, it.ID())
	}
	// The list order: createdDateTime, then id.
	if want := []string{"b", "a", "Odd Id/?#%20"}; !slices.Equal(ids, want) {
		t.Errorf("Adele's positions after the migration: %q, want %q", ids, want)
	}
	if err := s.CreateItem(t.Context(), adele, workPositions, storetest.Position("a", t0), 0); err == nil {
		t.Error("a second position a in Adele's profile after the migration was stored")
	}
	megan := graphprofile.UserKey{TenantID: "t", UserID: "megan"}
	if err := s.DeleteUser(t.Context(), megan); err != nil {
		t.Fatal(err)
	}
	if n := query[int](t, s, `SELECT count(*) FROM items WHERE tenant_id = 't' AND user_id = 'megan'`); n != 0 {
		t.Errorf("%d of Megan's items remain after her delete", n)
	}
	if n := query[int](t, s, `SELECT count(*) FROM items`); n != len(rows)-1 {
		t.Errorf("%d items after Megan's delete, want %d", n, len(rows)-1)
	}
}
