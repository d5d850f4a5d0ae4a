package storetest

import (
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// testDeleteProfile checks that DeleteProfile empties one profile whole, in
// every read path (a list read before it included), and nothing else: the
// user stays, other profiles keep their positions, and the profile takes
// new positions again.
func testDeleteProfile(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	a, m, twin := threeProfiles(t, s)
	// Read first, so a store that keeps what it read must forget it.
	wantIDs(t, "ListItems before DeleteProfile", mustList(t, s, a.Key()), guid(100), guid(101), guid(102))
	mustGet(t, s, a.Key(), guid(101))

	if err := s.DeleteProfile(t.Context(), a.Key()); err != nil {
		t.Fatalf("DeleteProfile: %v", err)
	}
	ps := mustList(t, s, a.Key())
	if ps == nil || len(ps) != 0 {
		t.Errorf("ListItems after DeleteProfile = %v, want an empty slice", ps)
	}
	for _, id := range []string{guid(100), guid(101), guid(102)} {
		_, err := s.GetItem(t.Context(), a.Key(), workPositions, id)
		wantNotFound(t, "GetItem after DeleteProfile", err)
	}
	wantFind(t, s, tenantA, a.ID, a)
	wantIDs(t, "another user's positions", mustList(t, s, m.Key()), guid(110), guid(111), guid(112))
	wantIDs(t, "the same id's positions in another tenant", mustList(t, s, twin.Key()), guid(120), guid(121), guid(122))

	// An empty profile is deleted again without complaint.
	if err := s.DeleteProfile(t.Context(), a.Key()); err != nil {
		t.Errorf("DeleteProfile of an empty profile: %v", err)
	}
	// The profile lives on: its old ids can be used again.
	again := position(guid(101), base.Add(time.Hour), "again")
	mustCreate(t, s, a.Key(), clone(again))
	wantIDs(t, "ListItems after a new position", mustList(t, s, a.Key()), guid(101))
	wantPosition(t, "GetItem of the new position", mustGet(t, s, a.Key(), guid(101)), again)

	for _, unknown := range []graphprofile.UserKey{
		{TenantID: tenantA, UserID: guid(77)},
		{TenantID: "0d2c6b6e-0000-4000-8000-0000000000cc", UserID: a.ID},
		{TenantID: tenantA, UserID: ""},
	} {
		wantNotFound(t, "DeleteProfile of an unknown user", s.DeleteProfile(t.Context(), unknown))
	}
	// A deleted user has no profile to delete.
	if err := s.DeleteUser(t.Context(), m.Key()); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, "DeleteProfile of a deleted user", s.DeleteProfile(t.Context(), m.Key()))
	wantIDs(t, "the other tenant's positions at the end", mustList(t, s, twin.Key()), guid(120), guid(121), guid(122))
}
