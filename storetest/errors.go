package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/graphprofile/graphprofile"
)

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
		{"ListPositions", func() error { _, err := s.ListPositions(ctx, owner); return err }},
		{"GetPosition", func() error { _, err := s.GetPosition(ctx, owner, guid(100)); return err }},
		{"CreatePosition", func() error { return s.CreatePosition(ctx, owner, position(guid(101), base, "new")) }},
		{"UpdatePosition", func() error {
			_, err := s.UpdatePosition(ctx, owner, guid(100), func(p graphprofile.WorkPosition) (graphprofile.WorkPosition, error) {
				p["isCurrent"] = true
				return p, nil
			})
			return err
		}},
		{"DeletePosition", func() error { return s.DeletePosition(ctx, owner, guid(100), nil) }},
		{"DeletePositionCheck", func() error {
			return s.DeletePosition(ctx, owner, guid(100), func(graphprofile.WorkPosition) error { return nil })
		}},
		{"CreateUser", func() error { return s.CreateUser(ctx, newUser) }},
		{"UpdateUser", func() error {
			_, err := s.UpdateUser(ctx, owner, func(graphprofile.User) (graphprofile.User, error) { return changed, nil })
			return err
		}},
		{"DeleteUser", func() error { return s.DeleteUser(ctx, owner) }},
		{"ListUsers", func() error { _, err := s.ListUsers(ctx, tenantA); return err }},
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
	wantIDs(t, "ListPositions", mustList(t, s, owner), guid(100))
	wantPosition(t, "GetPosition", mustGet(t, s, owner, guid(100)), position(guid(100), base, "job"))
}
