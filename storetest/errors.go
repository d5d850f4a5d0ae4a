package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// testNotFoundErrors: what does not exist is ErrNotFound, and nothing else:
// a not-found error wraps nothing of the database (sql.ErrNoRows,
// pgx.ErrNoRows, ErrUnavailable) that a caller could take for a failure.
// That holds for a key no store can hold too (a NUL, invalid UTF-8: a
// path's %00 or %ff reaches the store as such), as tenant, user or item:
// it names nothing (a 404), where a store that refused it as text would
// answer a 500.
func testNotFoundErrors(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	if err := s.CreateItem(t.Context(), owner, workPositions, position("p1", base, "job"), 0); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"nobody", "a\x00b", "\xff", "ok\xc3"} {
		unknown := graphprofile.UserKey{TenantID: tenantA, UserID: key}
		unknownTenant := graphprofile.UserKey{TenantID: key, UserID: owner.UserID}
		calls := []struct {
			name string
			call func(ctx context.Context) error
		}{
			{"FindUser", func(ctx context.Context) error { _, err := s.FindUser(ctx, tenantA, key); return err }},
			{"FindUserTenant", func(ctx context.Context) error { _, err := s.FindUser(ctx, key, owner.UserID); return err }},
			{"ListItems", func(ctx context.Context) error {
				_, err := graphprofile.AllItems(ctx, s, unknown, workPositions)
				return err
			}},
			{"GetItem", func(ctx context.Context) error { _, err := s.GetItem(ctx, owner, workPositions, key); return err }},
			{"GetItemTenant", func(ctx context.Context) error {
				_, err := s.GetItem(ctx, unknownTenant, workPositions, "p1")
				return err
			}},
			{"CreateItem", func(ctx context.Context) error {
				return s.CreateItem(ctx, unknown, workPositions, position("p", base, "job"), 0)
			}},
			{"UpdateItem", func(ctx context.Context) error {
				_, err := s.UpdateItem(ctx, owner, workPositions, key, func(p graphprofile.Item) (graphprofile.Item, error) { return p, nil })
				return err
			}},
			{"DeleteItem", func(ctx context.Context) error { return s.DeleteItem(ctx, owner, workPositions, key, nil) }},
			{"DeleteItemOwner", func(ctx context.Context) error { return s.DeleteItem(ctx, unknown, workPositions, "p1", nil) }},
			{"DeletePositionCheck", func(ctx context.Context) error {
				return s.DeleteItem(ctx, owner, workPositions, key, func(graphprofile.Item) error { return nil })
			}},
			{"UpdateUser", func(ctx context.Context) error {
				_, err := s.UpdateUser(ctx, unknown, func(u graphprofile.User) (graphprofile.User, error) { return u, nil })
				return err
			}},
			{"DeleteUser", func(ctx context.Context) error { return s.DeleteUser(ctx, unknown) }},
			{"DeleteUserTenant", func(ctx context.Context) error { return s.DeleteUser(ctx, unknownTenant) }},
			{"DeleteProfile", func(ctx context.Context) error { return s.DeleteProfile(ctx, unknown) }},
		}
		for _, c := range calls {
			t.Run(fmt.Sprintf("%s/%q", c.name, key), func(t *testing.T) {
				err := c.call(t.Context())
				if !errors.Is(err, graphprofile.ErrNotFound) {
					t.Fatalf("error %v, want ErrNotFound", err)
				}
				if others := wrappedBesides(err, graphprofile.ErrNotFound); len(others) > 0 {
					t.Errorf("error %v wraps %q besides ErrNotFound", err, others)
				}
			})
		}
		t.Run(fmt.Sprintf("ListUsers/%q", key), func(t *testing.T) {
			if us, err := graphprofile.AllUsers(t.Context(), s, key); err != nil || len(us) != 0 {
				t.Errorf("the users of tenant %q: %v, %v; want none", key, us, err)
			}
		})
	}
	if items, err := graphprofile.AllItems(t.Context(), s, owner, workPositions); err != nil || len(items) != 1 {
		t.Errorf("after the calls that found nothing: %d positions, %v; want p1 alone", len(items), err)
	}
}

// wrappedBesides returns the errors that err wraps, at any depth, that
// wrap nothing themselves and are not target.
func wrappedBesides(err, target error) []error {
	var inner []error
	switch e := err.(type) {
	case interface{ Unwrap() error }:
		inner = []error{e.Unwrap()}
	case interface{ Unwrap() []error }:
		inner = e.Unwrap()
	default:
		if err == target {
			return nil
		}
		return []error{err}
	}
	var others []error
	for _, e := range inner {
		if e != nil {
			others = append(others, wrappedBesides(e, target)...)
		}
	}
	return others
}

func testCanceledContext(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	a := adele(tenantA)
	owner := mustEnsure(t, s, a).Key()
	mustCreate(t, s, owner, position(guid(100), base, "job"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	newUser := megan(tenantA)
	changed := a
	changed.DisplayName = "changed"
	calls := []struct {
		name string
		call func() error
	}{
		{"EnsureUserNew", func() error { _, err := s.EnsureUser(ctx, newUser); return err }},
		{"EnsureUserChanged", func() error { _, err := s.EnsureUser(ctx, changed); return err }},
		{"FindUser", func() error { _, err := s.FindUser(ctx, tenantA, a.ID); return err }},
		{"ListItems", func() error { _, err := graphprofile.AllItems(ctx, s, owner, workPositions); return err }},
		{"GetItem", func() error { _, err := s.GetItem(ctx, owner, workPositions, guid(100)); return err }},
		{"CreateItem", func() error { return s.CreateItem(ctx, owner, workPositions, position(guid(101), base, "new"), 0) }},
		{"UpdateItem", func() error {
			_, err := s.UpdateItem(ctx, owner, workPositions, guid(100), func(p graphprofile.Item) (graphprofile.Item, error) {
				p["isCurrent"] = true
				return p, nil
			})
			return err
		}},
		{"DeleteItem", func() error { return s.DeleteItem(ctx, owner, workPositions, guid(100), nil) }},
		{"DeletePositionCheck", func() error {
			return s.DeleteItem(ctx, owner, workPositions, guid(100), func(graphprofile.Item) error { return nil })
		}},
		{"CreateUser", func() error { return s.CreateUser(ctx, newUser) }},
		{"UpdateUser", func() error {
			_, err := s.UpdateUser(ctx, owner, func(graphprofile.User) (graphprofile.User, error) { return changed, nil })
			return err
		}},
		{"DeleteUser", func() error { return s.DeleteUser(ctx, owner) }},
		{"DeleteProfile", func() error { return s.DeleteProfile(ctx, owner) }},
		{"ListUsers", func() error { _, err := graphprofile.AllUsers(ctx, s, tenantA); return err }},
		{"ImportUsers", func() error { return s.ImportUsers(ctx, tenantA, []graphprofile.User{newUser, changed}) }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(); !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want context.Canceled", err)
			}
		})
	}
	// Nothing changed.
	_, err := s.FindUser(t.Context(), tenantA, newUser.ID)
	wantNotFound(t, "FindUser of the user a canceled EnsureUser recorded", err)
	wantFind(t, s, tenantA, a.ID, a)
	wantIDs(t, "ListItems", mustList(t, s, owner), guid(100))
	wantPosition(t, "GetItem", mustGet(t, s, owner, guid(100)), position(guid(100), base, "job"))
}
