package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// orderNames are the names of testScanUsersByName's users (their display
// names, or the start of their principal names), each given to many users
// (equal names tie by id): names that differ only in case, in ASCII and
// beyond it, whose lower case a database's lower() or collation would not
// give as Go's does (É, Ł, Σ, İ, ẞ, Ǆ), and "" for a user without the name
// (first in the order, last descending).
var orderNames = []string{
	"adele vance", "Adele Vance", "ADELE VANCE", "Adele", "adèle", "Émile", "émile", "Emile", "emile",
	"Zoë", "zoe", "ZOË", "Łukasz", "łukasz", "Lukasz", "Σοφία", "σοφία", "ΣΟΦΊΑ", "İlker", "ilker", "Ilker",
	"ẞtraße", "ßtraße", "Ǆemal", "ǆemal", "Ǳ", "😀 Smile", "a", "A", "b", "B", "z", "Z", "~", "",
}

// testScanUsersByName: ScanUsersByName delivers a tenant's users in the
// order of the key of one of their names (graphprofile.UserNameKey of the
// display name or of the principal name; and desc), ids ascending within a
// key (contractOrder), those without a principal name where the key ""
// stands, whichever write put them there (import, create, first request,
// update, fixtures load), from any position on, across the store's pages;
// a user renamed between two pages is met where its new name puts it;
// CountUsers counts a tenant's users. Another property is an error.
func testScanUsersByName(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	for _, property := range []string{"displayName", "userPrincipalName"} {
		t.Run(property, func(t *testing.T) { testScanUsersByNameOf(t, open, property) })
	}
	s := open(t)
	mustEnsure(t, s, adele(tenantA))
	for _, property := range []string{"mail", "id", "DisplayName", ""} {
		if err := s.ScanUsersByName(t.Context(), tenantA, property, false, nil, func(u graphprofile.User) (bool, error) {
			t.Errorf("ScanUsersByName by %q visited %s", property, u.ID)
			return true, nil
		}); err == nil {
			t.Errorf("ScanUsersByName by %q: no error", property)
		}
	}
}

// namedUser returns the user of tenantA testScanUsersByNameOf keeps in its
// i-th place, named name: its display name, or for "userPrincipalName" its
// principal name made of name (unique by the user's id; none for "" and
// "~", so that more of them than a page holds have none).
func namedUser(property string, i int, name string) graphprofile.User {
	// Ids out of the users' order of creation and of their names'.
	u := graphprofile.User{TenantID: tenantA, ID: fmt.Sprintf("user-%03x", (i*7919)%4096), DisplayName: name}
	if property == "userPrincipalName" {
		u.DisplayName = fmt.Sprintf("User %d", i)
		if name != "" && name != "~" {
			u.UserPrincipalName = strings.ReplaceAll(name, " ", ".") + "." + u.ID + "@contoso.com"
		}
	}
	return u
}

// rename gives u the name name of property, as namedUser would.
func rename(u graphprofile.User, property, name string) graphprofile.User {
	if property == "userPrincipalName" {
		u.UserPrincipalName = ""
		if name != "" && name != "~" {
			u.UserPrincipalName = strings.ReplaceAll(name, " ", ".") + "." + u.ID + "@contoso.com"
		}
		return u
	}
	u.DisplayName = name
	return u
}

func testScanUsersByNameOf(t *testing.T, open func(t *testing.T) graphprofile.Store, property string) {
	s := open(t)
	ctx := t.Context()
	// More users than a scan's pages hold (16, 64, 256 rows), so pages
	// end inside runs of one name.
	const n = 600
	user := func(i int) graphprofile.User { return namedUser(property, i, orderNames[i%len(orderNames)]) }
	var imported []graphprofile.User
	for i := range n {
		switch i % 5 {
		case 0, 1:
			imported = append(imported, user(i))
		case 2:
			mustCreateUser(t, s, user(i))
		case 3:
			mustEnsure(t, s, user(i))
		}
	}
	if err := s.ImportUsers(ctx, tenantA, imported); err != nil {
		t.Fatal(err)
	}
	var loaded []graphprofile.UserProfile
	for i := 4; i < n; i += 5 {
		loaded = append(loaded, graphprofile.UserProfile{User: user(i)})
	}
	if err := s.LoadProfiles(ctx, loaded); err != nil {
		t.Fatal(err)
	}
	// Renamed: a key of the first name becomes a key of another (for
	// principal names, some to none and some from none).
	for i := 0; i < n; i += 37 {
		next := orderNames[(i+11)%len(orderNames)]
		if _, err := s.UpdateUser(ctx, user(i).Key(), func(u graphprofile.User) (graphprofile.User, error) {
			return rename(u, property, next), nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	mustEnsure(t, s, adele(tenantB)) // another tenant's

	scan := func(descending bool, after *graphprofile.NamePosition, limit int) []string {
		t.Helper()
		var ids []string
		err := s.ScanUsersByName(ctx, tenantA, property, descending, after, func(u graphprofile.User) (bool, error) {
			if u.TenantID != tenantA {
				t.Errorf("ScanUsersByName(%s) visited %s of tenant %s", tenantA, u.ID, u.TenantID)
			}
			ids = append(ids, u.ID)
			return limit == 0 || len(ids) < limit, nil
		})
		if err != nil {
			t.Fatalf("ScanUsersByName(descending %v, after %+v): %v", descending, after, err)
		}
		return ids
	}
	for _, descending := range []bool{false, true} {
		want, positions := contractOrder(mustListUsers(t, s, tenantA), property, descending)
		if len(want) != n {
			t.Fatalf("%d users stored, want %d", len(want), n)
		}
		if got := scan(descending, nil, 0); !slices.Equal(got, want) {
			t.Errorf("descending %v: the store's order differs from the contract's at %d of %d: %s",
				descending, firstDifference(got, want), len(want), orderContext(got, want))
		}
		for _, i := range []int{0, 1, 15, 16, 17, 40, 79, 80, 81, 255, 256, 257, 335, 336, 337, 500, 598} {
			if got := scan(descending, &positions[i], 0); !slices.Equal(got, want[i+1:]) {
				t.Errorf("descending %v, after user %d (%+v): first difference at %d: %s", descending, i, positions[i],
					firstDifference(got, want[i+1:]), orderContext(got, want[i+1:]))
			}
		}
		for _, limit := range []int{1, 16, 17, 80, 81, 336, 337} {
			if got := scan(descending, nil, limit); !slices.Equal(got, want[:limit]) {
				t.Errorf("descending %v, stopping after %d: first difference at %d", descending, limit, firstDifference(got, want[:limit]))
			}
		}
		if got := scan(descending, &positions[n-1], 0); len(got) != 0 {
			t.Errorf("descending %v, after the last user: %v", descending, got)
		}
		// A position no user has, holding a NUL (a $skiptoken's keys are
		// any strings): the users after it in the byte order, as after
		// any other position, not an error.
		for _, i := range []int{0, 16, 300, 598} {
			for _, from := range []graphprofile.NamePosition{
				{Name: positions[i].Name + "\x00z", ID: positions[i].ID},
				{Name: positions[i].Name + "\x00", ID: ""},
				{Name: positions[i].Name, ID: positions[i].ID + "\x00"},
				{Name: positions[i].Name, ID: positions[i].ID[:3] + "\x00" + positions[i].ID[3:]},
			} {
				var wantAfter []string
				for j, p := range positions {
					if comparePositions(p, from, descending) > 0 {
						wantAfter = append(wantAfter, want[j])
					}
				}
				if got := scan(descending, &from, 0); !slices.Equal(got, wantAfter) {
					t.Errorf("descending %v, after %q: first difference at %d: %s", descending, from,
						firstDifference(got, wantAfter), orderContext(got, wantAfter))
				}
			}
		}
	}

	// A user renamed between two pages: the scan goes on from the last
	// position it visited and meets the renamed user where its new name
	// puts it, before that position (not met again) or after it (met).
	_, positions := contractOrder(mustListUsers(t, s, tenantA), property, false)
	from := positions[300]
	wantAfter := func() []string {
		ids, ps := contractOrder(mustListUsers(t, s, tenantA), property, false)
		var after []string
		for i, p := range ps {
			if comparePositions(p, from, false) > 0 {
				after = append(after, ids[i])
			}
		}
		return after
	}
	renames := []struct{ id, name string }{
		{positions[10].ID, "ZZZ renamed to the end"},    // before the position, now after it
		{positions[500].ID, "AAA renamed to the start"}, // after it, now before it
		{positions[301].ID, from.Name},                  // the next one, keeping its place or not by its id
	}
	if property == "userPrincipalName" {
		renames[2].name = "" // principal names are unique: the next one loses its, so goes first
	}
	for _, r := range renames {
		if _, err := s.UpdateUser(ctx, graphprofile.UserKey{TenantID: tenantA, UserID: r.id}, func(u graphprofile.User) (graphprofile.User, error) {
			return rename(u, property, r.name), nil
		}); err != nil {
			t.Fatal(err)
		}
		if got, want := scan(false, &from, 0), wantAfter(); !slices.Equal(got, want) {
			t.Errorf("after renaming %s to %q: the scan from %+v differs at %d: %s", r.id, r.name, from, firstDifference(got, want), orderContext(got, want))
		}
	}

	var ids []string
	if err := s.ScanUsersByName(ctx, tenantB, property, false, nil, func(u graphprofile.User) (bool, error) {
		ids = append(ids, u.ID)
		return true, nil
	}); err != nil || !slices.Equal(ids, []string{adele(tenantB).ID}) {
		t.Errorf("ScanUsersByName of tenant B = %v, %v; want Adele alone", ids, err)
	}
	if err := s.ScanUsersByName(ctx, "no-such-tenant", property, true, nil, func(u graphprofile.User) (bool, error) {
		t.Errorf("ScanUsersByName of an unknown tenant visited %s", u.ID)
		return true, nil
	}); err != nil {
		t.Errorf("ScanUsersByName of an unknown tenant: %v", err)
	}
	refused := errors.New("refused")
	if err := s.ScanUsersByName(ctx, tenantA, property, false, nil, func(graphprofile.User) (bool, error) { return true, refused }); err != refused {
		t.Errorf("a visit's error: ScanUsersByName returned %v, want it as is", err)
	}
	// The users are the stored ones, whole.
	full := mustCreateUser(t, s, fullUser(tenantB, 50))
	if err := s.ScanUsersByName(ctx, tenantB, property, false, nil, func(u graphprofile.User) (bool, error) {
		if u.ID == full.ID {
			wantUser(t, "ScanUsersByName", u, full)
		}
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		tenant string
		want   int
	}{{tenantA, n}, {tenantB, 2}, {"no-such-tenant", 0}} {
		if got, err := s.CountUsers(ctx, c.tenant); err != nil || got != c.want {
			t.Errorf("CountUsers(%s) = %d, %v; want %d", c.tenant, got, err, c.want)
		}
	}
	if err := s.DeleteUser(ctx, user(0).Key()); err != nil {
		t.Fatal(err)
	}
	if got, err := s.CountUsers(ctx, tenantA); err != nil || got != n-1 {
		t.Errorf("CountUsers after a delete = %d, %v; want %d", got, err, n-1)
	}
}

// contractOrder returns the ids of users in the order ScanUsersByName's
// contract gives by property (ascending or descending
// graphprofile.UserNameKey of that name, "" for none, ids ascending within
// a key: the order the odata engine gives `$orderby=property`, which
// odata's TestOrderByNameIsNameKey holds it to), and each one's position in
// it as a store's scan takes it.
func contractOrder(users []graphprofile.User, property string, descending bool) ([]string, []graphprofile.NamePosition) {
	positions := make([]graphprofile.NamePosition, len(users))
	for i, u := range users {
		key, _ := graphprofile.UserNameKey(u, property)
		positions[i] = graphprofile.NamePosition{Name: key, ID: u.ID}
	}
	slices.SortFunc(positions, func(a, b graphprofile.NamePosition) int { return comparePositions(a, b, descending) })
	ids := make([]string, len(positions))
	for i, p := range positions {
		ids[i] = p.ID
	}
	return ids, positions
}

// comparePositions orders two positions as ScanUsersByName's contract says.
func comparePositions(a, b graphprofile.NamePosition, descending bool) int {
	c := strings.Compare(a.Name, b.Name)
	if descending {
		c = -c
	}
	if c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// orderContext shows where two orders of ids part.
func orderContext(got, want []string) string {
	i := firstDifference(got, want)
	window := func(ids []string) []string { return ids[max(0, i-2):min(len(ids), i+3)] }
	return fmt.Sprintf("got %d ids, …%q…; want %d, …%q…", len(got), window(got), len(want), window(want))
}
