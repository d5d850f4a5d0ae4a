package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// testNotFoundErrors: what does not exist is ErrNotFound, and nothing else:
// a not-found error wraps nothing of the database (sql.ErrNoRows,
// pgx.ErrNoRows, ErrUnavailable) that a caller could take for a failure.
func testNotFoundErrors(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	unknown := graphprofile.UserKey{TenantID: tenantA, UserID: "nobody"}
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"FindUser", func(ctx context.Context) error { _, err := s.FindUser(ctx, tenantA, "nobody"); return err }},
		{"ListItems", func(ctx context.Context) error {
			_, err := graphprofile.AllItems(ctx, s, unknown, workPositions)
			return err
		}},
		{"GetItem", func(ctx context.Context) error { _, err := s.GetItem(ctx, owner, workPositions, "none"); return err }},
		{"CreateItem", func(ctx context.Context) error {
			return s.CreateItem(ctx, unknown, workPositions, position("p", base, "job"), 0)
		}},
		{"UpdateItem", func(ctx context.Context) error {
			_, err := s.UpdateItem(ctx, owner, workPositions, "none", func(p graphprofile.Item) (graphprofile.Item, error) { return p, nil })
			return err
		}},
		{"DeleteItem", func(ctx context.Context) error { return s.DeleteItem(ctx, owner, workPositions, "none", nil) }},
		{"DeletePositionCheck", func(ctx context.Context) error {
			return s.DeleteItem(ctx, owner, workPositions, "none", func(graphprofile.Item) error { return nil })
		}},
		{"UpdateUser", func(ctx context.Context) error {
			_, err := s.UpdateUser(ctx, unknown, func(u graphprofile.User) (graphprofile.User, error) { return u, nil })
			return err
		}},
		{"DeleteUser", func(ctx context.Context) error { return s.DeleteUser(ctx, unknown) }},
		{"DeleteProfile", func(ctx context.Context) error { return s.DeleteProfile(ctx, unknown) }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			err := c.call(t.Context())
			if !errors.Is(err, graphprofile.ErrNotFound) {
				t.Fatalf("error %v, want ErrNotFound", err)
			}
			if others := wrappedBesides(err, graphprofile.ErrNotFound); len(others) > 0 {
				t.Errorf("error %v wraps %q besides ErrNotFound", err, others)
			}
		})
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
