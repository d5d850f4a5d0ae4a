package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// testReset checks that Reset of one tenant removes its users, their
// items and their item counts, in every read path (what was read before
// included), and nothing of another tenant; that the store then takes the
// same ids again, and counts a collection's items from zero; and that
// Reset of every tenant empties the store.
func testReset(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	ctx := t.Context()
	a, m, twin := threeProfiles(t, s)
	// Read first, so a store that keeps what it read must forget it.
	wantIDs(t, "Adele's positions before Reset", mustList(t, s, a.Key()), guid(100), guid(101), guid(102))
	mustGet(t, s, a.Key(), guid(101))
	wantFind(t, s, tenantA, a.UserPrincipalName, a)
	mustListUsers(t, s, tenantA)

	if err := s.Reset(ctx, tenantA); err != nil {
		t.Fatalf("Reset(%s): %v", tenantA, err)
	}
	if users := mustListUsers(t, s, tenantA); len(users) != 0 {
		t.Errorf("the reset tenant's users: %v, want none", users)
	}
	for _, key := range []string{a.ID, a.UserPrincipalName, m.ID} {
		_, err := s.FindUser(ctx, tenantA, key)
		wantNotFound(t, "FindUser("+key+") after Reset", err)
	}
	_, err := graphprofile.AllItems(ctx, s, a.Key(), workPositions)
	wantNotFound(t, "the positions of a user reset", err)
	_, err = s.GetItem(ctx, a.Key(), workPositions, guid(101))
	wantNotFound(t, "GetItem of a user reset", err)
	wantUsers(t, "the other tenant's users", mustListUsers(t, s, tenantB), []graphprofile.User{twin})
	wantIDs(t, "the other tenant's positions", mustList(t, s, twin.Key()), guid(120), guid(121), guid(122))

	// The tenant starts over: the same user and position ids, and the
	// collection's count from zero (maxItems 3 takes 3 more, not 0).
	a = mustEnsure(t, s, adele(tenantA))
	for j := range 3 {
		if err := s.CreateItem(ctx, a.Key(), workPositions, position(guid(100+j), base.Add(time.Hour), "again"), 3); err != nil {
			t.Fatalf("create %d after Reset with maxItems 3: %v", j+1, err)
		}
	}
	err = s.CreateItem(ctx, a.Key(), workPositions, position(guid(199), base.Add(time.Hour), "one too many"), 3)
	if !errors.Is(err, graphprofile.ErrCollectionFull) {
		t.Errorf("a fourth create with maxItems 3 after Reset: %v, want ErrCollectionFull", err)
	}
	wantIDs(t, "Adele's new positions", mustList(t, s, a.Key()), guid(100), guid(101), guid(102))

	// A tenant nobody has, and every tenant.
	if err := s.Reset(ctx, "0d2c6b6e-0000-4000-8000-0000000000cc"); err != nil {
		t.Errorf("Reset of an unknown tenant: %v", err)
	}
	wantIDs(t, "positions after resetting an unknown tenant", mustList(t, s, twin.Key()), guid(120), guid(121), guid(122))
	if err := s.Reset(ctx, ""); err != nil {
		t.Fatalf("Reset of every tenant: %v", err)
	}
	for _, tenant := range []string{tenantA, tenantB} {
		if users := mustListUsers(t, s, tenant); len(users) != 0 {
			t.Errorf("users of %s after Reset of every tenant: %v, want none", tenant, users)
		}
	}
	_, err = graphprofile.AllItems(ctx, s, twin.Key(), workPositions)
	wantNotFound(t, "the positions of the other tenant after Reset of every tenant", err)
	if err := s.Reset(ctx, ""); err != nil {
		t.Errorf("Reset of an empty store: %v", err)
	}
	// And the store works as a new one.
	twin = mustEnsure(t, s, adele(tenantB))
	mustCreate(t, s, twin.Key(), position(guid(120), base, "new"))
	wantIDs(t, "positions of a new store", mustList(t, s, twin.Key()), guid(120))
}
