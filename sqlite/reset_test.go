package sqlite

import (
	"context"
	"fmt"
	"testing"

	"github.com/graphprofile/graphprofile/storetest"
)

// TestResetKeepsSchema: Reset of every tenant drops and makes again the
// items' tables: the schema after it is the schema before, every index
// and constraint included, and the foreign keys still hold.
func TestResetKeepsSchema(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	schema := func() string {
		t.Helper()
		rows, err := s.rdb.QueryContext(ctx, `SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out string
		for rows.Next() {
			var typ, name, table, sql string
			if err := rows.Scan(&typ, &name, &table, &sql); err != nil {
				t.Fatal(err)
			}
			out += fmt.Sprintf("%s %s %s %s\n", typ, name, table, sql)
		}
		return out
	}
	before := schema()
	owner, err := s.EnsureUser(ctx, storetest.Adele())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateItem(ctx, owner.Key(), storetest.Positions(), storetest.Position("p1", storetest.Created()), 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if after := schema(); after != before {
		t.Errorf("schema after Reset:\n%s\nwant:\n%s", after, before)
	}
	// The foreign key is back: no item of a user who is not there.
	_, err = s.wdb.ExecContext(ctx, `INSERT INTO items (tenant_id, user_id, kind, id, created_at, document) VALUES ('t', 'nobody', 'positions', 'p', 0, '{}')`)
	if err == nil {
		t.Error("an item of no user was stored after Reset")
	}
}
