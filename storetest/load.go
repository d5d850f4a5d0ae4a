package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// testLoadProfiles: LoadProfiles adds new users, replaces a user and its
// whole profile (a collection it does not give is emptied), leaves the
// users it does not name alone, keeps each item's id and timestamps, counts
// the items for the collection limit, and on a conflict stores nothing;
// Tenants lists the tenants with users.
func testLoadProfiles(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	ctx := t.Context()
	s := open(t)
	if got, err := s.Tenants(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Tenants of an empty store = %q, %v; want none", got, err)
	}
	other := graphprofile.ProfileCollections()[len(graphprofile.ProfileCollections())-1]
	kept := graphprofile.User{TenantID: tenantA, ID: guid(9), UserPrincipalName: "kept@contoso.com", DisplayName: "Kept"}
	mustCreateUser(t, s, kept)
	mustCreate(t, s, kept.Key(), position(guid(90), base, "kept"))
	mustEnsure(t, s, adele(tenantA))
	mustCreate(t, s, adele(tenantA).Key(), position(guid(80), base, "replaced"))
	if err := s.CreateItem(ctx, adele(tenantA).Key(), other, StoredSample(other.Type, guid(81), base, 1), 0); err != nil {
		t.Fatalf("CreateItem: %v", err)
	}

	renamed := fullUser(tenantA, 1) // Adele's id, every property
	positions := []graphprofile.Item{fullPosition(guid(100)), position(guid(101), base.Add(time.Hour), "second")}
	positions[1]["lastModifiedDateTime"] = base.Add(48 * time.Hour)
	inB := adele(tenantB)
	inB.UserPrincipalName = "adele@fabrikam.com"
	sampled := StoredSample(other.Type, guid(102), base, 2)
	err := s.LoadProfiles(ctx, []graphprofile.UserProfile{
		{User: renamed, Profile: []graphprofile.ProfileCollection{{Collection: workPositions, Items: clones(positions)}}},
		{User: megan(tenantA)},
		{User: inB, Profile: []graphprofile.ProfileCollection{{Collection: other, Items: []graphprofile.Item{clone(sampled)}}}},
	})
	if err != nil {
		t.Fatalf("LoadProfiles: %v", err)
	}
	wantFind(t, s, tenantA, renamed.ID, renamed)
	wantFind(t, s, tenantA, "meganb@contoso.com", megan(tenantA))
	wantFind(t, s, tenantB, inB.ID, inB)
	wantFind(t, s, tenantA, kept.ID, kept)
	wantItems(t, s, renamed.Key(), workPositions, positions)
	wantItems(t, s, renamed.Key(), other, nil)
	wantItems(t, s, megan(tenantA).Key(), workPositions, nil)
	wantItems(t, s, inB.Key(), other, []graphprofile.Item{sampled})
	wantItems(t, s, kept.Key(), workPositions, []graphprofile.Item{position(guid(90), base, "kept")})
	if got, err := s.Tenants(ctx); err != nil || !slices.Equal(got, []string{tenantA, tenantB}) {
		t.Errorf("Tenants = %q, %v; want %q", got, err, []string{tenantA, tenantB})
	}
	// The loaded items count towards the limit: two of three.
	if err := s.CreateItem(ctx, renamed.Key(), workPositions, position(guid(103), base.Add(2*time.Hour), "third"), 3); err != nil {
		t.Fatalf("CreateItem, third of 3: %v", err)
	}
	if err := s.CreateItem(ctx, renamed.Key(), workPositions, position(guid(104), base, "fourth"), 3); !errors.Is(err, graphprofile.ErrCollectionFull) {
		t.Errorf("CreateItem, fourth of 3: %v; want ErrCollectionFull", err)
	}

	// A principal name of a user the batch does not replace: nothing of
	// the batch is stored.
	newcomer := graphprofile.User{TenantID: tenantB, ID: guid(20), UserPrincipalName: "new@fabrikam.com", DisplayName: "New"}
	thief := graphprofile.User{TenantID: tenantA, ID: guid(21), UserPrincipalName: "KEPT@contoso.com", DisplayName: "Thief"}
	err = s.LoadProfiles(ctx, []graphprofile.UserProfile{
		{User: newcomer, Profile: []graphprofile.ProfileCollection{{Collection: workPositions, Items: []graphprofile.Item{position(guid(200), base, "new")}}}},
		{User: renamed},
		{User: thief},
	})
	wantConflict(t, "LoadProfiles with a taken principal name", err, "userPrincipalName", "KEPT@contoso.com")
	wantNotFound(t, "FindUser of the refused batch's user", findErr(t, s, tenantB, newcomer.ID))
	wantItems(t, s, renamed.Key(), workPositions, append(clones(positions), position(guid(103), base.Add(2*time.Hour), "third")))
}

func clones(items []graphprofile.Item) []graphprofile.Item {
	out := make([]graphprofile.Item, len(items))
	for i, it := range items {
		out[i] = clone(it)
	}
	return out
}

func findErr(t *testing.T, s graphprofile.Store, tenant, key string) error {
	_, err := s.FindUser(t.Context(), tenant, key)
	return err
}

// wantItems checks the items of collection c of owner, in list order.
func wantItems(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey, c graphprofile.Collection, want []graphprofile.Item) {
	t.Helper()
	got, err := graphprofile.AllItems(t.Context(), s, owner, c)
	if err != nil {
		t.Fatalf("AllItems(%s, %s): %v", owner.UserID, c.Name, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s of %s: %d items, want %d", c.Name, owner.UserID, len(got), len(want))
	}
	for i := range want {
		if d := Diff(graphprofile.Object(want[i]), graphprofile.Object(got[i])); d != "" {
			t.Errorf("%s of %s, item %d:\n%s", c.Name, owner.UserID, i, d)
		}
	}
}

// testLoadProfilesIntoEmpty: LoadProfilesIntoEmpty loads into a store that
// holds no user, and does nothing to one that holds any, the check and the
// load one transaction: of two loads at once (two servers started with
// the same --fixtures on one database), exactly one loads, where both
// found the store empty and loaded, or one failed on the other's users.
func testLoadProfilesIntoEmpty(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	loadIntoEmptyAtOnce(t, s, s)
}

// testLoadProfilesIntoEmptyAcross: the same through two stores of one
// database, as two servers load it.
func testLoadProfilesIntoEmptyAcross(t *testing.T, open func(t *testing.T) []graphprofile.Store) {
	stores := open(t)
	loadIntoEmptyAtOnce(t, stores[0], stores[1])
}

// loadIntoEmptyAtOnce loads two sets of profiles into an empty store at
// once, one through a and one through b, and checks that exactly one
// loaded, then that a store with users takes none.
func loadIntoEmptyAtOnce(t *testing.T, a, b graphprofile.Store) {
	ctx := t.Context()
	s := a
	first := []graphprofile.UserProfile{{User: adele(tenantA), Profile: []graphprofile.ProfileCollection{{Collection: workPositions, Items: []graphprofile.Item{position(guid(100), base, "first")}}}}}
	// The same user by another id: loading both would be a conflict.
	second := adele(tenantA)
	second.ID = guid(2)
	seconds := []graphprofile.UserProfile{{User: second, Profile: []graphprofile.ProfileCollection{{Collection: workPositions, Items: []graphprofile.Item{position(guid(200), base, "second")}}}}}

	results := make(chan error, 2)
	loadedBy := make(chan string, 2)
	for name, profiles := range map[string][]graphprofile.UserProfile{"first": first, "second": seconds} {
		through := a
		if name == "second" {
			through = b
		}
		go func() {
			loaded, err := through.LoadProfilesIntoEmpty(ctx, profiles)
			if loaded {
				loadedBy <- name
			}
			results <- err
		}()
	}
	for range 2 {
		if err := <-results; err != nil {
			t.Fatalf("LoadProfilesIntoEmpty, two at once: %v; want one to load, the other to find users", err)
		}
	}
	close(loadedBy)
	var loaders []string
	for name := range loadedBy {
		loaders = append(loaders, name)
	}
	if len(loaders) != 1 {
		t.Fatalf("LoadProfilesIntoEmpty, two at once: loaded by %v; want exactly one", loaders)
	}
	winner, loser := first, seconds
	if loaders[0] == "second" {
		winner, loser = seconds, first
	}
	wantFind(t, s, tenantA, winner[0].User.ID, winner[0].User)
	wantNotFound(t, "FindUser of the load that found users", findErr(t, s, tenantA, loser[0].User.ID))
	wantItems(t, s, winner[0].User.Key(), workPositions, winner[0].Profile[0].Items)

	// A store with users, of any tenant: nothing is loaded.
	other := megan(tenantB)
	if loaded, err := s.LoadProfilesIntoEmpty(ctx, []graphprofile.UserProfile{{User: other}}); loaded || err != nil {
		t.Errorf("LoadProfilesIntoEmpty into a store with users: loaded %v, %v; want nothing loaded, no error", loaded, err)
	}
	wantNotFound(t, "FindUser of a load into a store with users", findErr(t, s, tenantB, other.ID))
}
