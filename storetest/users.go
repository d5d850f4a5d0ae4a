package storetest

import (
	"errors"
	"fmt"
	"iter"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// state is what a store holds for some tenants: their users and each user's
// positions.
type state struct {
	tenants   []string
	users     map[string][]graphprofile.User
	positions map[graphprofile.UserKey][]graphprofile.Item
}

func snapshot(t *testing.T, s graphprofile.Store, tenants ...string) state {
	t.Helper()
	st := state{tenants: tenants, users: map[string][]graphprofile.User{}, positions: map[graphprofile.UserKey][]graphprofile.Item{}}
	for _, tenant := range tenants {
		st.users[tenant] = mustListUsers(t, s, tenant)
		for _, u := range st.users[tenant] {
			st.positions[u.Key()] = mustList(t, s, u.Key())
		}
	}
	return st
}

// wantState checks that s holds what want, an earlier snapshot, holds.
func wantState(t *testing.T, what string, s graphprofile.Store, want state) {
	t.Helper()
	got := snapshot(t, s, want.tenants...)
	for _, tenant := range want.tenants {
		wantUsers(t, fmt.Sprintf("%s: ListUsers(%s)", what, tenant), got.users[tenant], want.users[tenant])
	}
	for k, w := range want.positions {
		g, ok := got.positions[k]
		if !ok {
			continue // the user is gone, reported above
		}
		if len(g) != len(w) {
			t.Errorf("%s: ListItems(%v): %d positions, want %d", what, k, len(g), len(w))
			continue
		}
		for i := range w {
			wantPosition(t, fmt.Sprintf("%s: ListItems(%v)[%d]", what, k, i), g[i], w[i])
		}
	}
}

// withPositions creates n positions in the profile of u.
func withPositions(t *testing.T, s graphprofile.Store, u graphprofile.User, n int) {
	t.Helper()
	for i := range n {
		mustCreate(t, s, u.Key(), position(guid(100+i), base.Add(time.Duration(i)*time.Minute), fmt.Sprint("job of ", u.ID, " ", i)))
	}
}

// withDirectory returns a new store with a (every property, created) and m
// (recorded from a token) in tenant A, and b, with a's id, in tenant B, each
// with two positions.
func withDirectory(t *testing.T, open func(t *testing.T) graphprofile.Store) (s graphprofile.Store, a, m graphprofile.User) {
	s = open(t)
	a, m = fullUser(tenantA, 1), megan(tenantA)
	b := fullUser(tenantB, 1)
	b.UserPrincipalName = "zoe@fabrikam.com"
	mustCreateUser(t, s, a)
	mustEnsure(t, s, m)
	mustCreateUser(t, s, b)
	for _, u := range []graphprofile.User{a, m, b} {
		withPositions(t, s, u, 2)
	}
	return s, a, m
}

// createdBy are the ways a user gets into a store.
var createdBy = []struct {
	name   string
	create func(t *testing.T, s graphprofile.Store, u graphprofile.User)
}{
	{"EnsureUser", func(t *testing.T, s graphprofile.Store, u graphprofile.User) {
		t.Helper()
		wantUser(t, "EnsureUser of a new user", mustEnsure(t, s, u), u)
	}},
	{"CreateUser", func(t *testing.T, s graphprofile.Store, u graphprofile.User) { t.Helper(); mustCreateUser(t, s, u) }},
	{"ImportUsers", func(t *testing.T, s graphprofile.Store, u graphprofile.User) {
		t.Helper()
		if err := s.ImportUsers(t.Context(), u.TenantID, []graphprofile.User{u}); err != nil {
			t.Fatalf("ImportUsers(%s): %v", userString(u), err)
		}
	}},
}

// EnsureUser.

func testEnsureUser(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	t.Run("Creates", func(t *testing.T) {
		disabled := fullUser(tenantA, 5)
		disabled.AccountEnabled = boolPtr(false)
		tests := []struct {
			name string
			u    graphprofile.User
		}{
			{"TokenProperties", adele(tenantA)},
			{"EveryProperty", fullUser(tenantA, 5)},
			{"AccountDisabled", disabled},
			{"NoPrincipalName", graphprofile.User{TenantID: tenantA, ID: guid(6)}},
			{"NonGUIDID", graphprofile.User{TenantID: tenantA, ID: "Some Id/With?Odd#Chars", UserPrincipalName: "odd@contoso.com"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				wantUser(t, "EnsureUser", mustEnsure(t, s, tc.u), tc.u)
				wantFind(t, s, tenantA, tc.u.ID, tc.u)
				if tc.u.UserPrincipalName != "" {
					wantFind(t, s, tenantA, strings.ToUpper(tc.u.UserPrincipalName), tc.u)
				}
				wantUsers(t, "ListUsers", mustListUsers(t, s, tenantA), []graphprofile.User{tc.u})
				wantIDs(t, "ListItems of the new user", mustList(t, s, tc.u.Key()))
			})
		}
	})

	t.Run("SameAgain", func(t *testing.T) {
		s := open(t)
		u := fullUser(tenantA, 1)
		mustEnsure(t, s, u)
		for range 3 {
			wantUser(t, "EnsureUser again", mustEnsure(t, s, u), u)
		}
		wantFind(t, s, tenantA, u.ID, u)
		wantUsers(t, "ListUsers", mustListUsers(t, s, tenantA), []graphprofile.User{u})
	})

	// Once the directory knows a user, what the token says does not change it.
	t.Run("ExistingUnchanged", func(t *testing.T) {
		m := megan(tenantA)
		tests := []struct {
			name   string
			change func(u *graphprofile.User)
		}{
			{"Same", func(u *graphprofile.User) {}},
			{"PrincipalName", func(u *graphprofile.User) { u.UserPrincipalName = "adele.vance@contoso.com" }},
			{"PrincipalNameCase", func(u *graphprofile.User) { u.UserPrincipalName = strings.ToUpper(u.UserPrincipalName) }},
			{"DisplayName", func(u *graphprofile.User) { u.DisplayName = "Adele Vance (HR)" }},
			{"NoPrincipalName", func(u *graphprofile.User) { u.UserPrincipalName = "" }},
			{"PrincipalNameOfAnother", func(u *graphprofile.User) { u.UserPrincipalName = strings.ToLower(m.UserPrincipalName) }},
			{"TokenPropertiesOnly", func(u *graphprofile.User) {
				*u = graphprofile.User{TenantID: u.TenantID, ID: u.ID, UserPrincipalName: "x@contoso.com", DisplayName: "X"}
			}},
			{"EveryProperty", func(u *graphprofile.User) {
				*u = graphprofile.User{
					TenantID: u.TenantID, ID: u.ID, UserPrincipalName: "other@contoso.com", DisplayName: "Other",
					Mail: "other@contoso.com", MailNickname: "other", GivenName: "O", Surname: "Ther", JobTitle: "CEO",
					AccountEnabled: boolPtr(false),
				}
			}},
		}
		for _, how := range createdBy {
			for _, tc := range tests {
				t.Run(how.name+"/"+tc.name, func(t *testing.T) {
					s := open(t)
					stored := fullUser(tenantA, 1)
					how.create(t, s, stored)
					how.create(t, s, m)
					u := stored
					tc.change(&u)
					wantUser(t, "EnsureUser of an existing user", mustEnsure(t, s, u), stored)
					wantFind(t, s, tenantA, stored.ID, stored)
					wantFind(t, s, tenantA, strings.ToUpper(stored.UserPrincipalName), stored)
					wantFind(t, s, tenantA, m.UserPrincipalName, m)
					if u.UserPrincipalName != "" && !strings.EqualFold(u.UserPrincipalName, stored.UserPrincipalName) &&
						!strings.EqualFold(u.UserPrincipalName, m.UserPrincipalName) {
						_, err := s.FindUser(t.Context(), tenantA, u.UserPrincipalName)
						wantNotFound(t, "FindUser by the token's principal name", err)
					}
					wantUsers(t, "ListUsers", mustListUsers(t, s, tenantA), []graphprofile.User{stored, m})
				})
			}
		}
	})

	// A new user whose principal name another user holds is recorded
	// without one; the holder keeps it.
	t.Run("PrincipalNameHeld", func(t *testing.T) {
		tests := []struct{ name, held, given string }{
			{"Same", "AdeleV@contoso.com", "AdeleV@contoso.com"},
			{"OtherCase", "AdeleV@contoso.com", "ADELEV@contoso.COM"},
			{"UnicodeCase", "élodie.Øster@contoso.com", "ÉLODIE.øster@CONTOSO.com"},
		}
		for _, how := range createdBy {
			for _, tc := range tests {
				t.Run(how.name+"/"+tc.name, func(t *testing.T) {
					s := open(t)
					holder := adele(tenantA)
					holder.UserPrincipalName = tc.held
					how.create(t, s, holder)
					withPositions(t, s, holder, 1)
					u := megan(tenantA)
					u.UserPrincipalName = tc.given
					u.Mail = "megan@contoso.com"
					want := u
					want.UserPrincipalName = ""

					wantUser(t, "EnsureUser of a user whose name is held", mustEnsure(t, s, u), want)
					wantFind(t, s, tenantA, u.ID, want)
					wantFind(t, s, tenantA, tc.held, holder)
					wantFind(t, s, tenantA, tc.given, holder)
					wantUser(t, "EnsureUser again", mustEnsure(t, s, u), want)
					wantUser(t, "EnsureUser of the holder", mustEnsure(t, s, holder), holder)
					wantUsers(t, "ListUsers", mustListUsers(t, s, tenantA), []graphprofile.User{holder, want})
					wantIDs(t, "ListItems of the holder", mustList(t, s, holder.Key()), guid(100))
				})
			}
		}
	})

	t.Run("NameFreedLater", func(t *testing.T) {
		s := open(t)
		holder := adele(tenantA)
		mustEnsure(t, s, holder)
		u := megan(tenantA)
		u.UserPrincipalName = holder.UserPrincipalName
		without := u
		without.UserPrincipalName = ""
		wantUser(t, "EnsureUser", mustEnsure(t, s, u), without)

		renamed := holder
		renamed.UserPrincipalName = "adele.vance@contoso.com"
		if _, err := s.UpdateUser(t.Context(), holder.Key(), func(graphprofile.User) (graphprofile.User, error) { return renamed, nil }); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		// u exists: the freed name does not come to it.
		wantUser(t, "EnsureUser after the name was freed", mustEnsure(t, s, u), without)
		_, err := s.FindUser(t.Context(), tenantA, holder.UserPrincipalName)
		wantNotFound(t, "FindUser by the freed name", err)
		// A new user gets it.
		v := graphprofile.User{TenantID: tenantA, ID: guid(3), UserPrincipalName: strings.ToLower(holder.UserPrincipalName), DisplayName: "V"}
		wantUser(t, "EnsureUser of a new user with the freed name", mustEnsure(t, s, v), v)
		wantFind(t, s, tenantA, holder.UserPrincipalName, v)
	})

	t.Run("UsersWithoutPrincipalName", func(t *testing.T) {
		s := open(t)
		a, b := adele(tenantA), megan(tenantA)
		a.UserPrincipalName, b.UserPrincipalName = "", ""
		mustEnsure(t, s, a)
		mustEnsure(t, s, b)
		wantFind(t, s, tenantA, a.ID, a)
		wantFind(t, s, tenantA, b.ID, b)
		_, err := s.FindUser(t.Context(), tenantA, "")
		wantNotFound(t, `FindUser("")`, err)
	})

	t.Run("PrincipalNameInTwoTenants", func(t *testing.T) {
		s := open(t)
		a := adele(tenantA)
		b := megan(tenantB)
		b.UserPrincipalName = a.UserPrincipalName
		wantUser(t, "EnsureUser(a)", mustEnsure(t, s, a), a)
		wantUser(t, "EnsureUser(b)", mustEnsure(t, s, b), b)
		wantFind(t, s, tenantA, a.UserPrincipalName, a)
		wantFind(t, s, tenantB, a.UserPrincipalName, b)
	})

	t.Run("SameIDInTwoTenants", func(t *testing.T) {
		s := open(t)
		a := adele(tenantA)
		b := adele(tenantB)
		b.UserPrincipalName = "adele@fabrikam.com"
		b.DisplayName = "Adele of Fabrikam"
		mustEnsure(t, s, a)
		wantUser(t, "EnsureUser of the same id in another tenant", mustEnsure(t, s, b), b)
		wantFind(t, s, tenantA, a.ID, a)
		wantFind(t, s, tenantB, b.ID, b)
		_, err := s.FindUser(t.Context(), tenantB, a.UserPrincipalName)
		wantNotFound(t, "FindUser of tenant A's name in tenant B", err)
	})

	t.Run("UnicodeCase", func(t *testing.T) {
		s := open(t)
		u := adele(tenantA)
		u.UserPrincipalName = "élodie.Øster@contoso.com"
		mustEnsure(t, s, u)
		wantFind(t, s, tenantA, "ÉLODIE.ØSTER@CONTOSO.COM", u)
		wantFind(t, s, tenantA, "élodie.øster@contoso.com", u)
	})
}

// FindUser.

// FindUser.

func testFindUser(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	a := adele(tenantA)
	m := megan(tenantA)
	other := graphprofile.User{TenantID: tenantB, ID: guid(3), UserPrincipalName: "lee@fabrikam.com", DisplayName: "Lee Gu"}
	// x's principal name is y's id, and y's principal name is x's id: an id
	// match wins over a name match, whichever was recorded first.
	x := graphprofile.User{TenantID: tenantA, ID: "x@contoso.com", UserPrincipalName: "y@contoso.com", DisplayName: "X"}
	y := graphprofile.User{TenantID: tenantA, ID: "y@contoso.com", UserPrincipalName: "x@contoso.com", DisplayName: "Y"}
	for _, u := range []graphprofile.User{a, m, other, x, y} {
		mustEnsure(t, s, u)
	}

	tests := []struct {
		name   string
		tenant string
		key    string
		want   *graphprofile.User // nil: ErrNotFound
	}{
		{"ByID", tenantA, a.ID, &a},
		{"ByID2", tenantA, m.ID, &m},
		{"ByPrincipalName", tenantA, "AdeleV@contoso.com", &a},
		{"ByPrincipalNameLower", tenantA, "adelev@contoso.com", &a},
		{"ByPrincipalNameUpper", tenantA, "ADELEV@Contoso.COM", &a},
		{"IDPreferredX", tenantA, x.ID, &x},
		{"IDPreferredY", tenantA, y.ID, &y},
		// An id matches as it is: in another case the key is x's id no
		// more, but it is still y's principal name.
		{"IDKeepsCase", tenantA, strings.ToUpper(x.ID), &y},
		{"OtherTenantByID", tenantA, other.ID, nil},
		{"OtherTenantByPrincipalName", tenantA, other.UserPrincipalName, nil},
		{"OwnTenantOfOther", tenantB, other.ID, &other},
		{"UnknownTenant", "unknown-tenant", a.ID, nil},
		{"UnknownID", tenantA, guid(99), nil},
		{"UnknownPrincipalName", tenantA, "nobody@contoso.com", nil},
		{"PrefixOfPrincipalName", tenantA, "adelev@contoso", nil},
		{"Empty", tenantA, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.FindUser(t.Context(), tc.tenant, tc.key)
			if tc.want == nil {
				wantNotFound(t, fmt.Sprintf("FindUser(%s, %q) = %+v", tc.tenant, tc.key, got), err)
				return
			}
			if err != nil {
				t.Fatalf("FindUser(%s, %q): %v", tc.tenant, tc.key, err)
			}
			wantUser(t, "FindUser", got, *tc.want)
		})
	}
}

// CreateUser.

func testCreateUser(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		disabled := fullUser(tenantA, 1)
		disabled.AccountEnabled = boolPtr(false)
		unset := fullUser(tenantA, 1)
		unset.AccountEnabled = nil
		tests := []struct {
			name string
			u    graphprofile.User
		}{
			{"EveryProperty", fullUser(tenantA, 1)},
			{"AccountDisabled", disabled},
			{"AccountEnabledUnset", unset},
			{"Required", graphprofile.User{TenantID: tenantA, ID: guid(1), UserPrincipalName: "AdeleV@contoso.com", DisplayName: "Adele Vance", AccountEnabled: boolPtr(true)}},
			{"NoPrincipalName", graphprofile.User{TenantID: tenantA, ID: guid(1), DisplayName: "Nameless"}},
			{"Unicode", graphprofile.User{
				TenantID: tenantA, ID: guid(1), UserPrincipalName: "ÉLODIE.Øster@Contoso.com", DisplayName: "日本語 🎉 \u2028 \x01",
				Mail: "élodie@contoso.com", MailNickname: "élodie", GivenName: "Élodie", Surname: "Øster-Straße",
				JobTitle: "\"quoted\" \\back\\slash\\ <script>", AccountEnabled: boolPtr(true),
			}},
			{"Spaces", graphprofile.User{TenantID: tenantA, ID: guid(1), UserPrincipalName: "a@b.c", DisplayName: " ", GivenName: "\t", Surname: "\n"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				mustCreateUser(t, s, tc.u)
				wantFind(t, s, tenantA, tc.u.ID, tc.u)
				if upn := tc.u.UserPrincipalName; upn != "" {
					wantFind(t, s, tenantA, upn, tc.u)
					wantFind(t, s, tenantA, strings.ToUpper(upn), tc.u)
					wantFind(t, s, tenantA, strings.ToLower(upn), tc.u)
				}
				wantUsers(t, "ListUsers", mustListUsers(t, s, tenantA), []graphprofile.User{tc.u})
				// The token's view does not change it.
				wantUser(t, "EnsureUser of the created user", mustEnsure(t, s, adele(tenantA)), tc.u)
				// It has a profile.
				wantIDs(t, "ListItems of the created user", mustList(t, s, tc.u.Key()))
				mustCreate(t, s, tc.u.Key(), position(guid(100), base, "job"))
				wantIDs(t, "ListItems after a create", mustList(t, s, tc.u.Key()), guid(100))
			})
		}
	})

	t.Run("Conflict", func(t *testing.T) {
		existing := fullUser(tenantA, 1)
		tests := []struct {
			name            string
			u               graphprofile.User
			property, value string
		}{
			{"ID", graphprofile.User{TenantID: tenantA, ID: guid(1), UserPrincipalName: "new@contoso.com", DisplayName: "New"}, "id", guid(1)},
			{"IDWithoutPrincipalName", graphprofile.User{TenantID: tenantA, ID: guid(1), DisplayName: "New"}, "id", guid(1)},
			// Both taken: the id is the conflict, on every store (SQLite
			// named the principal name, PostgreSQL the id), as a body's
			// id is checked before its other properties.
			{"IDAndPrincipalName", graphprofile.User{TenantID: tenantA, ID: guid(1), UserPrincipalName: existing.UserPrincipalName}, "id", guid(1)},
			{"IDAndPrincipalNameUpper", graphprofile.User{TenantID: tenantA, ID: guid(1), UserPrincipalName: strings.ToUpper(existing.UserPrincipalName)}, "id", guid(1)},
			{"PrincipalName", graphprofile.User{TenantID: tenantA, ID: guid(2), UserPrincipalName: existing.UserPrincipalName}, "userPrincipalName", existing.UserPrincipalName},
			{"PrincipalNameUpper", graphprofile.User{TenantID: tenantA, ID: guid(2), UserPrincipalName: strings.ToUpper(existing.UserPrincipalName)}, "userPrincipalName", strings.ToUpper(existing.UserPrincipalName)},
			{"PrincipalNameLower", graphprofile.User{TenantID: tenantA, ID: guid(2), UserPrincipalName: strings.ToLower(existing.UserPrincipalName)}, "userPrincipalName", strings.ToLower(existing.UserPrincipalName)},
		}
		for _, how := range createdBy {
			for _, tc := range tests {
				t.Run(how.name+"/"+tc.name, func(t *testing.T) {
					s := open(t)
					how.create(t, s, existing)
					withPositions(t, s, existing, 2)
					mustCreateUser(t, s, fullUser(tenantB, 2)) // the other tenant is no part of it
					before := snapshot(t, s, tenantA, tenantB)
					wantConflict(t, "CreateUser", s.CreateUser(t.Context(), tc.u), tc.property, tc.value)
					wantState(t, "after a refused CreateUser", s, before)
				})
			}
		}
	})

	t.Run("OtherTenant", func(t *testing.T) {
		// The same id and the same principal name in two tenants.
		s := open(t)
		a := fullUser(tenantA, 1)
		b := fullUser(tenantB, 1)
		b.UserPrincipalName = strings.ToUpper(b.UserPrincipalName)
		b.DisplayName = "of tenant B"
		mustCreateUser(t, s, a)
		mustCreateUser(t, s, b)
		wantFind(t, s, tenantA, a.ID, a)
		wantFind(t, s, tenantB, b.ID, b)
		wantFind(t, s, tenantA, a.UserPrincipalName, a)
		wantFind(t, s, tenantB, a.UserPrincipalName, b)
		wantUsers(t, "ListUsers(A)", mustListUsers(t, s, tenantA), []graphprofile.User{a})
		wantUsers(t, "ListUsers(B)", mustListUsers(t, s, tenantB), []graphprofile.User{b})
	})

	t.Run("ManyWithoutPrincipalName", func(t *testing.T) {
		s := open(t)
		var want []graphprofile.User
		for i := range 3 {
			u := graphprofile.User{TenantID: tenantA, ID: guid(i), DisplayName: fmt.Sprint("user ", i)}
			mustCreateUser(t, s, u)
			want = append(want, u)
		}
		wantUsers(t, "ListUsers", mustListUsers(t, s, tenantA), want)
	})
}

// UpdateUser.

func testUpdateUser(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	setup := func(t *testing.T) (s graphprofile.Store, a, m graphprofile.User) { return withDirectory(t, open) }

	tests := []struct {
		name   string
		change func(u *graphprofile.User)
	}{
		{"NoChange", func(u *graphprofile.User) {}},
		{"EveryProperty", func(u *graphprofile.User) {
			*u = graphprofile.User{
				TenantID: u.TenantID, ID: u.ID, UserPrincipalName: "adele.vance@contoso.com", DisplayName: "Adele Vance",
				Mail: "adele@contoso.com", MailNickname: "adele", GivenName: "Adele", Surname: "Vance", JobTitle: "Retail Manager",
				AccountEnabled: boolPtr(false),
				Details: graphprofile.Object{
					"businessPhones": []any{"+1 425 555 0109"}, "officeLocation": "18/2111", "department": "Sales",
					"employeeHireDate": time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
				},
			}
		}},
		{"ClearProperties", func(u *graphprofile.User) {
			u.Mail, u.MailNickname, u.GivenName, u.Surname, u.JobTitle, u.AccountEnabled = "", "", "", "", "", nil
			u.Details = nil
		}},
		{"OneDetail", func(u *graphprofile.User) {
			u.Details = fullDetails(1)
			u.Details["officeLocation"] = "Building 4 / 1200"
		}},
		{"DetailCleared", func(u *graphprofile.User) {
			u.Details = fullDetails(1)
			delete(u.Details, "employeeHireDate")
		}},
		{"EmptyCollection", func(u *graphprofile.User) {
			u.Details = fullDetails(1)
			u.Details["businessPhones"] = []any{}
		}},
		{"DisplayName", func(u *graphprofile.User) { u.DisplayName = "Zoë (HR)" }},
		{"PrincipalName", func(u *graphprofile.User) { u.UserPrincipalName = "zoe@contoso.com" }},
		{"PrincipalNameCase", func(u *graphprofile.User) { u.UserPrincipalName = strings.ToUpper(u.UserPrincipalName) }},
		{"PrincipalNameRemoved", func(u *graphprofile.User) { u.UserPrincipalName = "" }},
		{"PrincipalNameOfAnotherTenant", func(u *graphprofile.User) { u.UserPrincipalName = "ZOE@fabrikam.com" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, a, m := setup(t)
			before := snapshot(t, s, tenantA, tenantB)
			want := a
			tc.change(&want)
			calls := 0
			var seen graphprofile.User
			got, err := s.UpdateUser(t.Context(), a.Key(), func(cur graphprofile.User) (graphprofile.User, error) {
				calls++
				seen = cur
				next := cur
				tc.change(&next)
				return next, nil
			})
			if err != nil {
				t.Fatalf("UpdateUser: %v", err)
			}
			if calls == 0 {
				t.Fatal("UpdateUser did not call update")
			}
			wantUser(t, "the user update was called with", seen, a)
			wantUser(t, "UpdateUser's result", got, want)
			wantFind(t, s, tenantA, a.ID, want)
			if want.UserPrincipalName != "" {
				wantFind(t, s, tenantA, strings.ToLower(want.UserPrincipalName), want)
			}
			if !strings.EqualFold(want.UserPrincipalName, a.UserPrincipalName) {
				_, err := s.FindUser(t.Context(), tenantA, a.UserPrincipalName)
				wantNotFound(t, "FindUser by the old principal name", err)
			}
			// Only a changed: its positions, m and tenant B are as before.
			after := before
			after.users = map[string][]graphprofile.User{tenantA: {want, m}, tenantB: before.users[tenantB]}
			wantState(t, "after UpdateUser", s, after)
		})
	}

	t.Run("TakesFreedName", func(t *testing.T) {
		s, a, m := setup(t)
		old := m.UserPrincipalName
		m2 := m
		m2.UserPrincipalName = "megan.bowen@contoso.com"
		a2 := a
		a2.UserPrincipalName = strings.ToLower(old)
		for _, u := range []graphprofile.User{m2, a2} {
			if _, err := s.UpdateUser(t.Context(), u.Key(), func(graphprofile.User) (graphprofile.User, error) { return u, nil }); err != nil {
				t.Fatalf("UpdateUser(%s): %v", u.ID, err)
			}
		}
		wantFind(t, s, tenantA, old, a2)
		wantFind(t, s, tenantA, m2.UserPrincipalName, m2)
		wantUsers(t, "ListUsers", mustListUsers(t, s, tenantA), []graphprofile.User{a2, m2})
	})

	t.Run("Conflict", func(t *testing.T) {
		for _, upn := range []string{"MeganB@contoso.com", "meganb@CONTOSO.COM"} {
			t.Run(upn, func(t *testing.T) {
				s, a, _ := setup(t)
				before := snapshot(t, s, tenantA, tenantB)
				got, err := s.UpdateUser(t.Context(), a.Key(), func(cur graphprofile.User) (graphprofile.User, error) {
					cur.UserPrincipalName = upn
					cur.DisplayName = "changed along"
					return cur, nil
				})
				wantConflict(t, "UpdateUser to another user's principal name", err, "userPrincipalName", upn)
				wantUser(t, "UpdateUser's result", got, graphprofile.User{})
				wantState(t, "after a refused UpdateUser", s, before)
			})
		}
	})

	t.Run("UpdateError", func(t *testing.T) {
		s, a, _ := setup(t)
		before := snapshot(t, s, tenantA, tenantB)
		errInvalid := graphprofile.Errorf(graphprofile.CodeDirectoryBadRequest, "Invalid value specified for property 'userPrincipalName' of resource 'User'.")
		for _, want := range []error{errRefused, errInvalid, graphprofile.ErrNotFound} {
			got, err := s.UpdateUser(t.Context(), a.Key(), func(cur graphprofile.User) (graphprofile.User, error) {
				cur.DisplayName = "refused"
				return cur, want
			})
			if err != want {
				t.Errorf("UpdateUser error = %v, want update's error %v as is", err, want)
			}
			wantUser(t, "UpdateUser's result", got, graphprofile.User{})
		}
		wantState(t, "after refused updates", s, before)
	})

	t.Run("KeyChanged", func(t *testing.T) {
		tests := []struct {
			name   string
			change func(u *graphprofile.User)
		}{
			{"ID", func(u *graphprofile.User) { u.ID = guid(99) }},
			{"IDOfAnother", func(u *graphprofile.User) { u.ID = guid(2) }},
			{"Tenant", func(u *graphprofile.User) { u.TenantID = tenantB }},
			{"NoTenant", func(u *graphprofile.User) { u.TenantID = "" }},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s, a, _ := setup(t)
				before := snapshot(t, s, tenantA, tenantB)
				_, err := s.UpdateUser(t.Context(), a.Key(), func(cur graphprofile.User) (graphprofile.User, error) {
					tc.change(&cur)
					cur.DisplayName = "moved"
					return cur, nil
				})
				wantInternal(t, "UpdateUser changing the key", err)
				wantState(t, "after UpdateUser changing the key", s, before)
			})
		}
	})

	t.Run("Unknown", func(t *testing.T) {
		s, a, m := setup(t)
		before := snapshot(t, s, tenantA, tenantB)
		for _, key := range []graphprofile.UserKey{
			{TenantID: tenantA, UserID: guid(77)},
			{TenantID: tenantB, UserID: m.ID}, // m is in tenant A
			{TenantID: "unknown-tenant", UserID: a.ID},
			{TenantID: tenantA, UserID: a.UserPrincipalName}, // a key is an id, not a name
			{TenantID: tenantA, UserID: ""},
		} {
			called := false
			_, err := s.UpdateUser(t.Context(), key, func(u graphprofile.User) (graphprofile.User, error) {
				called = true
				return u, nil
			})
			wantNotFound(t, fmt.Sprintf("UpdateUser(%v)", key), err)
			if called {
				t.Errorf("UpdateUser(%v) called update", key)
			}
		}
		wantState(t, "after UpdateUser of unknown users", s, before)
	})

}

// DeleteUser.

func testDeleteUser(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	setup := func(t *testing.T) (s graphprofile.Store, a, m, b graphprofile.User) {
		s = open(t)
		a, m, b = fullUser(tenantA, 1), megan(tenantA), fullUser(tenantB, 1)
		mustCreateUser(t, s, a)
		withPositions(t, s, a, 3)
		mustEnsure(t, s, m)
		withPositions(t, s, m, 2) // the same position ids as a's
		mustCreateUser(t, s, b)   // a's id and name in another tenant
		withPositions(t, s, b, 1)
		return s, a, m, b
	}

	t.Run("Deletes", func(t *testing.T) {
		s, a, m, b := setup(t)
		before := snapshot(t, s, tenantA, tenantB)
		if err := s.DeleteUser(t.Context(), a.Key()); err != nil {
			t.Fatalf("DeleteUser: %v", err)
		}
		for _, key := range []string{a.ID, a.UserPrincipalName} {
			_, err := s.FindUser(t.Context(), tenantA, key)
			wantNotFound(t, fmt.Sprintf("FindUser(%q) of the deleted user", key), err)
		}
		_, err := graphprofile.AllItems(t.Context(), s, a.Key(), workPositions)
		wantNotFound(t, "ListItems of the deleted user", err)
		for i := range 3 {
			_, err := s.GetItem(t.Context(), a.Key(), workPositions, guid(100+i))
			wantNotFound(t, "GetItem of the deleted user's position", err)
		}
		_, err = s.UpdateItem(t.Context(), a.Key(), workPositions, guid(100), func(p graphprofile.Item) (graphprofile.Item, error) { return p, nil })
		wantNotFound(t, "UpdateItem of the deleted user's position", err)
		wantNotFound(t, "DeleteItem of the deleted user's position", s.DeleteItem(t.Context(), a.Key(), workPositions, guid(100), nil))
		wantNotFound(t, "CreateItem for the deleted user", s.CreateItem(t.Context(), a.Key(), workPositions, position(guid(200), base, "x"), 0))

		after := before
		after.users = map[string][]graphprofile.User{tenantA: {m}, tenantB: {b}}
		after.positions = map[graphprofile.UserKey][]graphprofile.Item{m.Key(): before.positions[m.Key()], b.Key(): before.positions[b.Key()]}
		wantState(t, "after DeleteUser", s, after)
		wantIDs(t, "ListItems of the other user", mustList(t, s, m.Key()), guid(100), guid(101))

		wantNotFound(t, "DeleteUser again", s.DeleteUser(t.Context(), a.Key()))
	})

	t.Run("Unknown", func(t *testing.T) {
		s, a, m, _ := setup(t)
		before := snapshot(t, s, tenantA, tenantB)
		for _, key := range []graphprofile.UserKey{
			{TenantID: tenantA, UserID: guid(77)},
			{TenantID: tenantB, UserID: m.ID},
			{TenantID: "unknown-tenant", UserID: a.ID},
			{TenantID: tenantA, UserID: a.UserPrincipalName},
			{TenantID: tenantA, UserID: ""},
		} {
			wantNotFound(t, fmt.Sprintf("DeleteUser(%v)", key), s.DeleteUser(t.Context(), key))
		}
		wantState(t, "after DeleteUser of unknown users", s, before)
	})

	t.Run("IDAndNameFree", func(t *testing.T) {
		s, a, m, _ := setup(t)
		if err := s.DeleteUser(t.Context(), a.Key()); err != nil {
			t.Fatalf("DeleteUser: %v", err)
		}
		// Another user takes the name.
		v := graphprofile.User{TenantID: tenantA, ID: guid(3), UserPrincipalName: strings.ToUpper(a.UserPrincipalName), DisplayName: "V"}
		mustCreateUser(t, s, v)
		wantFind(t, s, tenantA, a.UserPrincipalName, v)
		// The id comes back, with an empty profile.
		again := adele(tenantA)
		wantUser(t, "EnsureUser of the deleted id", mustEnsure(t, s, again), again)
		wantIDs(t, "ListItems of the re-created user", mustList(t, s, again.Key()))
		wantUsers(t, "ListUsers", mustListUsers(t, s, tenantA), []graphprofile.User{again, m, v})
	})
}

// ListUsers.

func testListUsers(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		for _, tenant := range []string{tenantA, ""} {
			wantUsers(t, fmt.Sprintf("ListUsers(%q) of an empty store", tenant), mustListUsers(t, s, tenant), []graphprofile.User{})
		}
		mustCreateUser(t, s, adele(tenantB))
		wantUsers(t, "ListUsers of a tenant without users", mustListUsers(t, s, tenantA), []graphprofile.User{})
	})

	t.Run("OrderAndTenants", func(t *testing.T) {
		// Lower-case GUIDs, as the domain keeps ids: their order is the
		// same in every collation.
		ids := []string{
			guid(3), "f0000000-0000-4000-8000-000000000000", guid(1), guid(0xa0), guid(0x1f),
			"0a000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-100000000000", guid(2),
		}
		s := open(t)
		var want []graphprofile.User
		for i, id := range ids {
			u := fullUser(tenantA, i)
			u.ID = id
			if i%3 == 1 {
				u.AccountEnabled = nil
			}
			createdBy[i%len(createdBy)].create(t, s, u)
			want = append(want, u)
		}
		// Tenant B has users with the same ids and others.
		var wantB []graphprofile.User
		for i, id := range []string{guid(9), ids[0], ids[1]} {
			u := fullUser(tenantB, 50+i)
			u.ID = id
			mustCreateUser(t, s, u)
			wantB = append(wantB, u)
		}
		byID := func(us []graphprofile.User) {
			sort.Slice(us, func(i, j int) bool { return us[i].ID < us[j].ID })
		}
		byID(want)
		byID(wantB)
		wantUsers(t, "ListUsers(A)", mustListUsers(t, s, tenantA), want)
		wantUsers(t, "ListUsers(B)", mustListUsers(t, s, tenantB), wantB)
		wantUsers(t, "ListUsers of an unknown tenant", mustListUsers(t, s, "unknown-tenant"), []graphprofile.User{})
	})

	t.Run("ResultsAreIndependent", func(t *testing.T) {
		s := open(t)
		u := fullUser(tenantA, 1)
		mustCreateUser(t, s, u)
		got := mustListUsers(t, s, tenantA)
		*got[0].AccountEnabled = false
		got[0].DisplayName = "changed by the caller"
		wantUsers(t, "ListUsers after changing an earlier result", mustListUsers(t, s, tenantA), []graphprofile.User{u})
		found, err := s.FindUser(t.Context(), tenantA, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		*found.AccountEnabled = false
		wantFind(t, s, tenantA, u.ID, u)
	})
}

// ImportUsers, and ImportUserStream, which must do the same with the users
// given one at a time.

// importers are the two ways to import a batch: the slice, and the stream
// (read once: a second reading fails the test).
var importers = []struct {
	name string
	run  func(t *testing.T, s graphprofile.Store, tenantID string, users []graphprofile.User) error
}{
	{"Slice", func(t *testing.T, s graphprofile.Store, tenantID string, users []graphprofile.User) error {
		return s.ImportUsers(t.Context(), tenantID, users)
	}},
	{"Stream", func(t *testing.T, s graphprofile.Store, tenantID string, users []graphprofile.User) error {
		return s.ImportUserStream(t.Context(), tenantID, onceStream(t, users))
	}},
}

// onceStream yields users, failing the test if it is read twice.
func onceStream(t *testing.T, users []graphprofile.User) iter.Seq2[graphprofile.User, error] {
	read := false
	return func(yield func(graphprofile.User, error) bool) {
		if read {
			t.Errorf("ImportUserStream read its users twice")
			return
		}
		read = true
		for _, u := range users {
			if !yield(u, nil) {
				return
			}
		}
	}
}

func testImportUsers(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	for _, via := range importers {
		t.Run(via.name, func(t *testing.T) {
			testImport(t, open, func(t *testing.T, s graphprofile.Store, users []graphprofile.User) error {
				return via.run(t, s, tenantA, users)
			})
		})
	}
	t.Run("StreamEnds", func(t *testing.T) { testImportStream(t, open) })
}

// testImportStream: what only a stream can do. An error it yields, after
// users or before any, ends the import, which writes nothing, and is what
// ImportUserStream returns, as is; the stream is not read on. A user
// without an id is refused and nothing written.
func testImportStream(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	errStream := errors.New("line 3: not JSON")
	for _, after := range []int{0, 2, 300} {
		t.Run(fmt.Sprintf("ErrorAfter%d", after), func(t *testing.T) {
			s, a, _ := withDirectory(t, open)
			before := snapshot(t, s, tenantA, tenantB)
			readOn := false
			err := s.ImportUserStream(t.Context(), tenantA, func(yield func(graphprofile.User, error) bool) {
				for i := range after {
					u := graphprofile.User{ID: guid(100 + i), UserPrincipalName: fmt.Sprintf("stream%d@contoso.com", i), DisplayName: "Streamed"}
					if i == 0 {
						u = graphprofile.User{ID: a.ID, UserPrincipalName: "replaced@contoso.com", DisplayName: "Replaced"}
					}
					if !yield(u, nil) {
						return
					}
				}
				if yield(graphprofile.User{}, errStream) {
					readOn = true
				}
			})
			if err != errStream {
				t.Fatalf("ImportUserStream of a stream that failed: %v; want the stream's error as is", err)
			}
			if readOn {
				t.Errorf("ImportUserStream read on after the stream's error")
			}
			wantState(t, "after a failed stream", s, before)
		})
	}
	t.Run("NoID", func(t *testing.T) {
		s, _, _ := withDirectory(t, open)
		before := snapshot(t, s, tenantA, tenantB)
		err := s.ImportUserStream(t.Context(), tenantA, onceStream(t, []graphprofile.User{{ID: guid(3), DisplayName: "A"}, {DisplayName: "No id"}}))
		if err == nil {
			t.Fatal("ImportUserStream of a user without an id: no error")
		}
		// Both stores say it as ImportUsers of a slice does (CheckImport).
		if !strings.Contains(err.Error(), "ImportUsers: a user has no id") {
			t.Errorf("ImportUserStream of a user without an id: %v, want ImportUsers' own refusal", err)
		}
		wantState(t, "after a refused stream", s, before)
	})
}

func testImport(t *testing.T, open func(t *testing.T) graphprofile.Store, importUsers func(t *testing.T, s graphprofile.Store, users []graphprofile.User) error) {
	setup := func(t *testing.T) (s graphprofile.Store, a, m graphprofile.User) { return withDirectory(t, open) }
	newUser := func(n int, upn string) graphprofile.User {
		return graphprofile.User{TenantID: tenantA, ID: guid(n), UserPrincipalName: upn, DisplayName: fmt.Sprint("new user ", n),
			Mail: upn, GivenName: "New", Surname: fmt.Sprint(n), JobTitle: "Imported", AccountEnabled: boolPtr(n%2 == 0)}
	}
	replaced := func(u graphprofile.User, upn string) graphprofile.User {
		return graphprofile.User{TenantID: tenantA, ID: u.ID, UserPrincipalName: upn, DisplayName: u.DisplayName + " (imported)",
			Mail: "imported@contoso.com", MailNickname: "imported", JobTitle: "Imported", AccountEnabled: boolPtr(false)}
	}

	t.Run("Adds", func(t *testing.T) {
		tests := []struct {
			name  string
			batch func(a, m graphprofile.User) []graphprofile.User
		}{
			{"Nothing", func(a, m graphprofile.User) []graphprofile.User { return nil }},
			{"New", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{newUser(4, "n4@contoso.com"), newUser(3, "N3@contoso.com"), newUser(5, "")}
			}},
			{"Replace", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{replaced(a, "zoe.new@contoso.com")}
			}},
			{"ReplaceSameName", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{replaced(a, strings.ToUpper(a.UserPrincipalName)), m}
			}},
			{"ReplaceWithoutName", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{replaced(a, "")}
			}},
			{"ReplaceAndNew", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{newUser(3, "n3@contoso.com"), replaced(m, "megan.new@contoso.com"), newUser(0, "n0@contoso.com")}
			}},
			{"SwapPrincipalNames", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{replaced(a, m.UserPrincipalName), replaced(m, strings.ToLower(a.UserPrincipalName))}
			}},
			{"NameFreedByBatch", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{newUser(3, a.UserPrincipalName), replaced(a, "")}
			}},
			{"NameMovesAlongAChain", func(a, m graphprofile.User) []graphprofile.User {
				// a takes m's name, m a new one, and a new user a's.
				return []graphprofile.User{replaced(a, m.UserPrincipalName), newUser(3, a.UserPrincipalName), replaced(m, "m2@contoso.com")}
			}},
			{"NameOfAnotherTenant", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{newUser(3, "ZOE@fabrikam.com")}
			}},
			{"TenantFieldIgnored", func(a, m graphprofile.User) []graphprofile.User {
				u3, u4, u5 := newUser(3, "n3@contoso.com"), newUser(4, "n4@contoso.com"), replaced(a, a.UserPrincipalName)
				u3.TenantID, u4.TenantID, u5.TenantID = tenantB, "", "unknown-tenant"
				return []graphprofile.User{u3, u4, u5}
			}},
			{"Many", func(a, m graphprofile.User) []graphprofile.User {
				var us []graphprofile.User
				for i := range 500 {
					us = append(us, newUser(1000+i, fmt.Sprintf("user%d@contoso.com", i)))
				}
				return append(us, replaced(a, "zoe.new@contoso.com"))
			}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s, a, m := setup(t)
				before := snapshot(t, s, tenantA, tenantB)
				batch := tc.batch(a, m)
				given := append([]graphprofile.User(nil), batch...)
				if err := importUsers(t, s, batch); err != nil {
					t.Fatalf("ImportUsers: %v", err)
				}
				for i := range batch {
					wantUser(t, "a user given to ImportUsers", batch[i], given[i])
				}

				byID := map[string]graphprofile.User{a.ID: a, m.ID: m}
				for _, u := range batch {
					u.TenantID = tenantA
					byID[u.ID] = u
				}
				want := make([]graphprofile.User, 0, len(byID))
				for _, u := range byID {
					want = append(want, u)
				}
				sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })
				// Positions of replaced users stay; new users have none.
				after := before
				after.users = map[string][]graphprofile.User{tenantA: want, tenantB: before.users[tenantB]}
				wantState(t, "after ImportUsers", s, after)
				for _, u := range want {
					if u.UserPrincipalName != "" {
						wantFind(t, s, tenantA, strings.ToUpper(u.UserPrincipalName), u)
					}
					if _, ok := before.positions[u.Key()]; !ok {
						wantIDs(t, "ListItems of an imported user", mustList(t, s, u.Key()))
					}
				}
			})
		}
	})

	t.Run("Conflict", func(t *testing.T) {
		tests := []struct {
			name            string
			batch           func(a, m graphprofile.User) []graphprofile.User
			property, value string
		}{
			{"DuplicateID", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{newUser(3, "n3@contoso.com"), newUser(4, ""), newUser(3, "other@contoso.com")}
			}, "id", guid(3)},
			{"DuplicateIDOfExisting", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{replaced(a, "a1@contoso.com"), replaced(a, "a2@contoso.com")}
			}, "id", guid(1)},
			{"DuplicatePrincipalName", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{newUser(3, "New@contoso.com"), newUser(4, "n4@contoso.com"), newUser(5, "NEW@contoso.com")}
			}, "userPrincipalName", "new@contoso.com"},
			{"DuplicatePrincipalNameOfExisting", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{replaced(a, ""), newUser(3, a.UserPrincipalName), newUser(4, strings.ToUpper(a.UserPrincipalName))}
			}, "userPrincipalName", fullUser(tenantA, 1).UserPrincipalName},
			{"PrincipalNameOfExisting", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{newUser(3, strings.ToUpper(m.UserPrincipalName))}
			}, "userPrincipalName", megan(tenantA).UserPrincipalName},
			{"PrincipalNameOfExistingAfterGoodOnes", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{newUser(4, "n4@contoso.com"), replaced(a, "zoe.new@contoso.com"), newUser(3, m.UserPrincipalName)}
			}, "userPrincipalName", megan(tenantA).UserPrincipalName},
			{"ReplacedTakesAnOutsidersName", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{replaced(a, m.UserPrincipalName)}
			}, "userPrincipalName", megan(tenantA).UserPrincipalName},
			{"SwapWithAnOutsider", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{replaced(a, m.UserPrincipalName), newUser(3, a.UserPrincipalName)}
			}, "userPrincipalName", megan(tenantA).UserPrincipalName},
			// Of several names held by users the batch does not replace,
			// the first in the batch's order is the conflict, whichever
			// that is.
			{"TwoOutsidersNames", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{newUser(3, m.UserPrincipalName), newUser(4, a.UserPrincipalName)}
			}, "userPrincipalName", megan(tenantA).UserPrincipalName},
			{"TwoOutsidersNamesTheOtherWay", func(a, m graphprofile.User) []graphprofile.User {
				return []graphprofile.User{newUser(3, a.UserPrincipalName), newUser(4, m.UserPrincipalName)}
			}, "userPrincipalName", fullUser(tenantA, 1).UserPrincipalName},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s, a, m := setup(t)
				before := snapshot(t, s, tenantA, tenantB)
				err := importUsers(t, s, tc.batch(a, m))
				wantConflict(t, "ImportUsers", err, tc.property, tc.value)
				wantState(t, "after a refused ImportUsers", s, before)
				for _, u := range tc.batch(a, m) {
					if u.ID != a.ID && u.ID != m.ID {
						_, err := s.FindUser(t.Context(), tenantA, u.ID)
						wantNotFound(t, "FindUser of a user of a refused import", err)
					}
				}
			})
		}
	})
}

// UserDetails: the people-directory properties (User.Details) round-trip
// whichever way a user gets in, with nulls left out, an empty collection
// kept empty, a time to the 100 ns, and what a store returns is the
// caller's own.
func testUserDetails(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	variants := []struct {
		name    string
		details graphprofile.Object
	}{
		{"Every", fullDetails(7)},
		{"None", nil},
		{"EmptyCollection", graphprofile.Object{"businessPhones": []any{}}},
		{"OnlyTime", graphprofile.Object{"employeeHireDate": time.Date(1999, 12, 31, 23, 59, 59, 999999900, time.UTC)}},
	}
	for _, by := range createdBy {
		for _, v := range variants {
			t.Run(by.name+"/"+v.name, func(t *testing.T) {
				s := open(t)
				u := graphprofile.User{TenantID: tenantA, ID: guid(7), UserPrincipalName: "details@contoso.com", DisplayName: "Details", Details: v.details}
				by.create(t, s, u.Clone())
				got := mustFind(t, s, tenantA, "DETAILS@contoso.com")
				wantUser(t, "FindUser", got, u)
				wantUsers(t, "ListUsers", mustListUsers(t, s, tenantA), []graphprofile.User{u})
				wantUser(t, "EnsureUser of the stored user", mustEnsure(t, s, graphprofile.User{TenantID: tenantA, ID: u.ID}), u)
				if phones, ok := got.Details["businessPhones"].([]any); ok && len(phones) > 0 {
					phones[0] = "changed by the caller"
				}
				if got.Details != nil {
					got.Details["city"] = "changed by the caller"
				}
				wantUser(t, "FindUser after the caller changed what it got", mustFind(t, s, tenantA, u.ID), u)
			})
		}
	}
	t.Run("UpdateReadsBack", func(t *testing.T) {
		s := open(t)
		u := fullUser(tenantA, 3)
		mustCreateUser(t, s, u)
		mustFind(t, s, tenantA, u.ID) // a store with a cache now holds it
		next, err := s.UpdateUser(t.Context(), u.Key(), func(cur graphprofile.User) (graphprofile.User, error) {
			cur.Details["officeLocation"] = "Building 9"
			delete(cur.Details, "faxNumber")
			return cur, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := u.Clone()
		want.Details["officeLocation"] = "Building 9"
		delete(want.Details, "faxNumber")
		wantUser(t, "UpdateUser", next, want)
		wantUser(t, "FindUser after UpdateUser", mustFind(t, s, tenantA, u.UserPrincipalName), want)
		wantUsers(t, "ListUsers after UpdateUser", mustListUsers(t, s, tenantA), []graphprofile.User{want})
	})
}

// mustFind returns the user FindUser finds by key in tenant.
func mustFind(t *testing.T, s graphprofile.Store, tenant, key string) graphprofile.User {
	t.Helper()
	u, err := s.FindUser(t.Context(), tenant, key)
	if err != nil {
		t.Fatalf("FindUser(%s, %q): %v", tenant, key, err)
	}
	return u
}
