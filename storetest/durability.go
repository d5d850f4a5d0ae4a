package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// testClose: an open store answers Ping, and closing it twice is harmless.
func testClose(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	for i := range 2 {
		if err := s.Close(); err != nil {
			t.Errorf("Close %d: %v", i+1, err)
		}
	}
}

func testReopen(t *testing.T, open func(t *testing.T) graphprofile.Store, reopen func(t *testing.T, old graphprofile.Store) graphprofile.Store) {
	s := open(t)
	users := []graphprofile.User{adele(tenantA), megan(tenantA), adele(tenantB)}
	users[2].UserPrincipalName = "adele@fabrikam.com"
	for _, u := range users {
		mustEnsure(t, s, u)
	}
	owner := users[0].Key()
	want := map[graphprofile.UserKey][]graphprofile.Item{}
	for i, u := range users {
		for j := range 3 {
			var p graphprofile.Item
			if j == 0 {
				p = fullPosition(guid(100 + j))
			} else {
				p = position(guid(100+j), base.Add(time.Duration(j)*time.Hour), fmt.Sprint("job ", i, j))
			}
			mustCreate(t, s, u.Key(), clone(p))
			want[u.Key()] = append(want[u.Key()], p)
		}
	}
	// An update and deletes, also to be found after reopening.
	updated, err := s.UpdateItem(t.Context(), owner, workPositions, guid(101), func(p graphprofile.Item) (graphprofile.Item, error) {
		p["detail"] = graphprofile.Object{"jobTitle": "updated before reopening"}
		p["lastModifiedDateTime"] = base.Add(72 * time.Hour)
		return p, nil
	})
	if err != nil {
		t.Fatalf("UpdateItem: %v", err)
	}
	want[owner][1] = clone(updated)
	if err := s.DeleteItem(t.Context(), owner, workPositions, guid(102), nil); err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	want[owner] = want[owner][:2]
	if err := s.DeleteItem(t.Context(), users[1].Key(), workPositions, guid(101), func(graphprofile.Item) error { return nil }); err != nil {
		t.Fatalf("DeleteItem with a check: %v", err)
	}
	want[users[1].Key()] = append(want[users[1].Key()][:1], want[users[1].Key()][2])
	if err := s.DeleteItem(t.Context(), users[1].Key(), workPositions, guid(100), func(graphprofile.Item) error { return errRefused }); err != errRefused {
		t.Fatalf("DeleteItem with a refusing check: %v", err)
	}

	// The directory: every property, created, updated, imported, deleted.
	enabled, disabled, unset := fullUser(tenantA, 5), fullUser(tenantA, 6), fullUser(tenantA, 7)
	disabled.AccountEnabled = boolPtr(false)
	unset.AccountEnabled = nil
	doomed := graphprofile.User{TenantID: tenantA, ID: guid(8), UserPrincipalName: "doomed@contoso.com", DisplayName: "Doomed"}
	for _, u := range []graphprofile.User{enabled, disabled, doomed} {
		mustCreateUser(t, s, u)
	}
	mustCreate(t, s, enabled.Key(), fullPosition(guid(100)))
	want[enabled.Key()] = []graphprofile.Item{fullPosition(guid(100))}
	mustCreate(t, s, doomed.Key(), position(guid(100), base, "doomed"))
	if err := s.DeleteUser(t.Context(), doomed.Key()); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	m := users[1]
	m.UserPrincipalName, m.Mail, m.JobTitle, m.AccountEnabled = "megan.bowen@contoso.com", "megan@contoso.com", "Marketing Manager", boolPtr(true)
	if _, err := s.UpdateUser(t.Context(), m.Key(), func(graphprofile.User) (graphprofile.User, error) { return m, nil }); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	users[1] = m
	// The import replaces adele (keeping her positions), adds unset, and
	// swaps the names of enabled and disabled.
	a := users[0]
	a.UserPrincipalName, a.DisplayName, a.GivenName, a.Surname, a.AccountEnabled = "MeganB@contoso.com", "Adele V.", "Adele", "Vance", boolPtr(false)
	enabled.UserPrincipalName, disabled.UserPrincipalName = disabled.UserPrincipalName, enabled.UserPrincipalName
	if err := s.ImportUsers(t.Context(), tenantA, []graphprofile.User{a, unset, enabled, disabled}); err != nil {
		t.Fatalf("ImportUsers: %v", err)
	}
	users[0] = a
	// A new user whose name is held is recorded without it.
	nameless := graphprofile.User{TenantID: tenantA, ID: guid(9), UserPrincipalName: "meganb@CONTOSO.com", DisplayName: "Latecomer"}
	mustEnsure(t, s, nameless)
	nameless.UserPrincipalName = ""
	users = append(users, enabled, disabled, unset, nameless)

	wantA := []graphprofile.User{users[0], users[1], enabled, disabled, unset, nameless}
	wantUsers(t, "ListUsers(A) before reopening", mustListUsers(t, s, tenantA), wantA)
	wantUsers(t, "ListUsers(B) before reopening", mustListUsers(t, s, tenantB), []graphprofile.User{users[2]})
	before := snapshot(t, s, tenantA, tenantB)

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = reopen(t, s)

	wantState(t, "after reopening", s, before)
	wantUsers(t, "ListUsers(A) after reopening", mustListUsers(t, s, tenantA), wantA)
	for _, u := range users {
		wantFind(t, s, u.TenantID, u.ID, u)
		if u.UserPrincipalName != "" {
			wantFind(t, s, u.TenantID, strings.ToLower(u.UserPrincipalName), u)
		}
	}
	for _, key := range []string{doomed.ID, doomed.UserPrincipalName, "AdeleV@contoso.com"} {
		_, err := s.FindUser(t.Context(), tenantA, key)
		wantNotFound(t, fmt.Sprintf("FindUser(%q) after reopening", key), err)
	}
	_, err = graphprofile.AllItems(t.Context(), s, doomed.Key(), workPositions)
	wantNotFound(t, "ListItems of a deleted user after reopening", err)
	for _, u := range users {
		ps := mustList(t, s, u.Key())
		w := want[u.Key()]
		if len(ps) != len(w) {
			t.Errorf("ListItems(%v) after reopening: %d positions, want %d", u.Key(), len(ps), len(w))
			continue
		}
		for i := range w {
			wantPosition(t, fmt.Sprintf("ListItems(%v)[%d] after reopening", u.Key(), i), ps[i], w[i])
		}
	}
	_, err = s.GetItem(t.Context(), owner, workPositions, guid(102))
	wantNotFound(t, "GetItem of a deleted position after reopening", err)

	// The reopened store works.
	mustCreate(t, s, owner, position(guid(103), base.Add(5*time.Hour), "after reopening"))
	wantIDs(t, "ListItems after a create", mustList(t, s, owner), guid(100), guid(101), guid(103))
	wantConflict(t, "CreateUser of a taken name after reopening", s.CreateUser(t.Context(), graphprofile.User{TenantID: tenantA, ID: guid(10), UserPrincipalName: "MEGANB@contoso.com"}), "userPrincipalName", "MEGANB@contoso.com")
	mustCreateUser(t, s, doomed)
	wantFind(t, s, tenantA, doomed.UserPrincipalName, doomed)

	// Opening it once more (migrations find nothing to do) changes nothing.
	again := snapshot(t, s, tenantA, tenantB)
	if err := s.Close(); err != nil {
		t.Fatalf("Close after reopening: %v", err)
	}
	s = reopen(t, s)
	wantState(t, "after reopening twice", s, again)
}
