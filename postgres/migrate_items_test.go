package postgres

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/migrations"
	"github.com/graphprofile/graphprofile/storetest"
	"github.com/jackc/pgx/v5"
)

// TestMigrateItems: a database of version 2, whose positions had a table of
// their own, opens with every position an item of the positions
// collection, its document byte for byte, in the same order, and the old
// table gone; the profile then takes items of other collections beside
// them.
func TestMigrateItems(t *testing.T) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	url := freshURL(t)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	queries := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`}
	for _, m := range ms[:2] {
		queries = append(queries, m.SQL, `INSERT INTO schema_migrations (version) VALUES (`+strconv.Itoa(m.Version)+`)`)
	}
	queries = append(queries, `INSERT INTO users (tenant_id, id) VALUES ('t', 'adele'), ('t', 'megan')`)
	for _, q := range queries {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			conn.Close(t.Context())
			t.Fatalf("%s: %v", q, err)
		}
	}
	t0 := time.Date(2024, 5, 1, 8, 30, 15, 123456700, time.UTC)
	var want []graphprofile.Item
	for i, id := range []string{"b", "a", "Odd Id/?#%20"} {
		p := storetest.Position(id, t0.Add(time.Duration(i%2)*time.Second))
		if _, err := conn.Exec(t.Context(), `INSERT INTO positions (tenant_id, user_id, id, created_at, document) VALUES ('t', 'adele', $1, $2, $3)`,
			id, p.CreatedDateTime().UnixNano(), string(graphprofile.AppendStoredItem(nil, graphprofile.WorkPositionType, p))); err != nil {
			conn.Close(t.Context())
			t.Fatal(err)
		}
		want = append(want, p)
	}
	if _, err := conn.Exec(t.Context(), `INSERT INTO positions (tenant_id, user_id, id, created_at, document) VALUES ('t', 'megan', 'm', 0, $1)`,
		string(graphprofile.AppendStoredItem(nil, graphprofile.WorkPositionType, storetest.Position("m", time.Unix(0, 0))))); err != nil {
		conn.Close(t.Context())
		t.Fatal(err)
	}
	conn.Close(t.Context())

	s := openAt(t, url)
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
		doc := query[string](t, s, `SELECT document FROM items WHERE tenant_id = 't' AND user_id = 'adele' AND kind = 'positions' AND id = $1`, p.ID())
		if w := string(graphprofile.AppendStoredItem(nil, graphprofile.WorkPositionType, p)); doc != w {
			t.Errorf("document of %q after the migration\n  %s\nwant\n  %s", p.ID(), doc, w)
		}
	}
	if n := query[int](t, s, `SELECT count(*) FROM items WHERE user_id = 'megan' AND kind = 'positions'`); n != 1 {
		t.Errorf("megan has %d positions after the migration, want 1", n)
	}
	if n := query[int](t, s, `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'positions'`); n != 0 {
		t.Error("the positions table remains after the migration")
	}
	other := graphprofile.Collection{Name: "migrationTestOther", Type: graphprofile.WorkPositionType}
	if err := s.CreateItem(t.Context(), adele, other, storetest.Position("a", t0), 0); err != nil {
		t.Fatalf("CreateItem of another collection after the migration: %v", err)
	}
	if n := query[int](t, s, `SELECT count(*) FROM items WHERE id = 'a'`); n != 2 {
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
