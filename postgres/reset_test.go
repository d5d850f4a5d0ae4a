package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/storetest"
)

// TestResetMeetsCreate: a reset (of one tenant, or of every tenant) that
// meets a create in flight for a user it removes, through another server,
// waits for it instead of deadlocking with it. A create locks the user
// (FOR KEY SHARE), then its collection's count; a reset that took the
// counts (or their table) before the users waited for the create's user
// while the create waited for the reset's counts: PostgreSQL broke the
// cycle after deadlock_timeout (1 s) by failing one of them, and under
// steady creates a reset retried until its 4 s were spent (503). The
// create's two steps run here in a transaction of the test's, which gives
// up at once (a short deadlock_timeout) when it meets a deadlock.
func TestResetMeetsCreate(t *testing.T) {
	for _, tc := range []struct{ name, tenant string }{{"Tenant", adele.TenantID}, {"Every", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			s := openWithAdele(t, "p1")
			ctx := t.Context()

			// The create's first step: the owner locked FOR KEY SHARE.
			create, err := s.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = create.Rollback(context.Background()) }()
			if _, err := create.Exec(ctx, `SET LOCAL deadlock_timeout = '20ms'`); err != nil {
				t.Skipf("deadlock_timeout cannot be set (not a superuser?): %v", err)
			}
			var one int
			if err := create.QueryRow(ctx, `SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE`,
				adele.TenantID, adele.ID).Scan(&one); err != nil {
				t.Fatal(err)
			}

			reset := make(chan error, 1)
			go func() { reset <- s.Reset(context.Background(), tc.tenant) }()
			// Until the reset waits for a lock (the create's, the only one
			// held), or is done.
			pid := create.Conn().PgConn().PID()
			for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				var waiting bool
				if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
					WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1)`, pid).Scan(&waiting); err != nil {
					t.Fatal(err)
				}
				if waiting || len(reset) > 0 {
					break
				}
			}

			// The create's second step: count the item and store it.
			_, err = create.Exec(ctx, `INSERT INTO item_counts (tenant_id, user_id, kind, n) VALUES ($1, $2, 'positions', 1)
				ON CONFLICT (tenant_id, user_id, kind) DO UPDATE SET n = item_counts.n + 1`, adele.TenantID, adele.ID)
			if err == nil {
				_, err = create.Exec(ctx, `INSERT INTO items (tenant_id, user_id, kind, id, created_at, document)
					VALUES ($1, $2, 'positions', 'p2', 0, '{}')`, adele.TenantID, adele.ID)
			}
			if pgCode(err) == "40P01" {
				t.Fatalf("the create deadlocked with the reset: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := create.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-reset:
				if err != nil {
					t.Fatalf("Reset: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Reset did not end")
			}
			// The reset came after the create: nothing of the tenant is left.
			for _, table := range []string{"users", "items", "item_counts"} {
				if n := query[int64](t, s, `SELECT count(*) FROM `+table+` WHERE tenant_id = $1`, adele.TenantID); n != 0 {
					t.Errorf("%s: %d rows of the tenant after the reset", table, n)
				}
			}
			if _, err := s.FindUser(ctx, adele.TenantID, adele.ID); !errors.Is(err, graphprofile.ErrNotFound) {
				t.Errorf("FindUser after the reset: %v", err)
			}
		})
	}
}

// TestLoadsMeetEachOther: fixtures loads of several tenants, through
// several servers at once, lock the tenants' users in one order (by
// tenant, then id), whatever the order of the tenants in their files: a
// load that took them in file order deadlocked with one whose file named
// the tenants the other way round. The other load here is a transaction of
// the test's that locks the users in that one order and gives up at once
// (a short deadlock_timeout) when it meets a deadlock.
func TestLoadsMeetEachOther(t *testing.T) {
	s := openFresh(t)
	ctx := t.Context()
	first := graphprofile.User{TenantID: "0d2c6b6e-0000-4000-8000-0000000000a1", ID: "aaaaaaaa-0000-4000-8000-000000000001", DisplayName: "First"}
	second := graphprofile.User{TenantID: "0d2c6b6e-0000-4000-8000-0000000000b2", ID: "bbbbbbbb-0000-4000-8000-000000000002", DisplayName: "Second"}
	profiles := func(users ...graphprofile.User) []graphprofile.UserProfile {
		var ps []graphprofile.UserProfile
		for _, u := range users {
			ps = append(ps, graphprofile.UserProfile{User: u, Profile: []graphprofile.ProfileCollection{
				{Collection: workPositions, Items: []graphprofile.Item{storetest.Position("p-"+u.ID, t0)}}}})
		}
		return ps
	}
	if err := s.LoadProfiles(ctx, profiles(first, second)); err != nil {
		t.Fatal(err)
	}

	other, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Rollback(context.Background()) }()
	if _, err := other.Exec(ctx, `SET LOCAL deadlock_timeout = '20ms'`); err != nil {
		t.Skipf("deadlock_timeout cannot be set (not a superuser?): %v", err)
	}
	lock := func(u graphprofile.User) error {
		var one int
		return other.QueryRow(ctx, `SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, u.TenantID, u.ID).Scan(&one)
	}
	if err := lock(first); err != nil {
		t.Fatal(err)
	}

	// A load whose file names the second tenant first.
	load := make(chan error, 1)
	go func() { load <- s.LoadProfiles(context.Background(), profiles(second, first)) }()
	pid := other.Conn().PgConn().PID()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var waiting bool
		if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1)`, pid).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting || len(load) > 0 {
			break
		}
	}
	err = lock(second)
	if pgCode(err) == "40P01" {
		t.Fatalf("the loads deadlocked: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-load:
		if err != nil {
			t.Fatalf("LoadProfiles: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("LoadProfiles did not end")
	}
}

// TestDeletesMeetDeleteOfItem: DeleteProfile and a reset of one tenant
// delete a profile's items before their counts, as a delete of one item
// does (the item, then its count): a profile deletion that took the
// counts first deadlocked with a delete of one of its items in flight,
// through another server. The delete of the item runs here in a
// transaction of the test's, which gives up at once (a short
// deadlock_timeout) when it meets a deadlock.
func TestDeletesMeetDeleteOfItem(t *testing.T) {
	for _, tc := range []struct {
		name string
		del  func(s *Store) error
	}{
		{"DeleteProfile", func(s *Store) error { return s.DeleteProfile(context.Background(), adele.Key()) }},
		{"Reset", func(s *Store) error { return s.Reset(context.Background(), adele.TenantID) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openWithAdele(t)
			ctx := t.Context()
			for _, id := range []string{"p1", "p2"} {
				if err := s.CreateItem(ctx, adele.Key(), workPositions, storetest.Position(id, t0), 0); err != nil {
					t.Fatal(err)
				}
			}

			// The delete's first step: the item read FOR UPDATE.
			del, err := s.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = del.Rollback(context.Background()) }()
			if _, err := del.Exec(ctx, `SET LOCAL deadlock_timeout = '20ms'`); err != nil {
				t.Skipf("deadlock_timeout cannot be set (not a superuser?): %v", err)
			}
			if _, err := readItem(ctx, del, adele.Key(), workPositions, "p1", true); err != nil {
				t.Fatal(err)
			}

			done := make(chan error, 1)
			go func() { done <- tc.del(s) }()
			pid := del.Conn().PgConn().PID()
			for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				var waiting bool
				if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
					WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1)`, pid).Scan(&waiting); err != nil {
					t.Fatal(err)
				}
				if waiting || len(done) > 0 {
					break
				}
			}

			// Its second step: the item deleted and uncounted.
			var deleted bool
			err = del.QueryRow(ctx, deleteItemQuery, adele.TenantID, adele.ID, workPositions.Name, "p1").Scan(&deleted)
			if pgCode(err) == "40P01" {
				t.Fatalf("the delete of an item deadlocked with %s: %v", tc.name, err)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := del.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s did not end", tc.name)
			}
			for _, table := range []string{"items", "item_counts"} {
				if n := query[int64](t, s, `SELECT count(*) FROM `+table+` WHERE tenant_id = $1`, adele.TenantID); n != 0 {
					t.Errorf("%s: %d rows of the tenant left", table, n)
				}
			}
		})
	}
}
