package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// testScanUsersByPrefix: ScanUsersByPrefix delivers exactly the users of a
// tenant whose key of the property (the NameKey of the display name, the
// PrincipalNameKey of the principal name) starts with the prefix, in the
// order of that key then id, across the store's pages, whichever write
// stored them and after a rename; no user for a prefix no key can start
// with (a NUL, not UTF-8); an error for another property, and a visit's
// error as is.
func testScanUsersByPrefix(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	ctx := t.Context()
	// More users than a scan's pages hold (16, 64, 256 rows), most of
	// them under one prefix.
	const n = 500
	principalNames := []string{"adele.vance", "Adele.Vance", "ADELE", "émile", "Émile", "zoë", "ZOË", "σοφία", "ΣΟΦΊΑ",
		"łukasz", "a", "b", "z", "\U0010FFFF", "\U0010FFFFx", "\uFFFF", "\uD7FF", "\uE000", "~", ""}
	user := func(i int) graphprofile.User {
		u := graphprofile.User{TenantID: tenantA, ID: fmt.Sprintf("user-%03x", (i*7919)%4096), DisplayName: orderNames[i%len(orderNames)]}
		if p := principalNames[i%len(principalNames)]; p != "" {
			u.UserPrincipalName = fmt.Sprintf("%s%d@contoso.test", p, i)
		}
		return u
	}
	users := map[string]graphprofile.User{}
	var imported []graphprofile.User
	for i := range n {
		u := user(i)
		users[u.ID] = u
		switch i % 3 {
		case 0:
			imported = append(imported, u)
		case 1:
			mustCreateUser(t, s, u)
		default:
			mustEnsure(t, s, u)
		}
	}
	if err := s.ImportUsers(ctx, tenantA, imported); err != nil {
		t.Fatal(err)
	}
	// Renamed: met under the new keys' prefixes, not the old ones'.
	for i := 0; i < n; i += 41 {
		u, err := s.UpdateUser(ctx, user(i).Key(), func(u graphprofile.User) (graphprofile.User, error) {
			u.DisplayName = "Renamed " + u.DisplayName
			if u.UserPrincipalName != "" {
				u.UserPrincipalName = "renamed." + u.UserPrincipalName
			}
			return u, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		users[u.ID] = u
	}
	mustEnsure(t, s, graphprofile.User{TenantID: tenantB, ID: "user-b", DisplayName: "Adele", UserPrincipalName: "adele@b.test"})

	keys := map[string]func(graphprofile.User) (string, bool){
		"displayName": func(u graphprofile.User) (string, bool) { return graphprofile.NameKey(u.DisplayName), true },
		"userPrincipalName": func(u graphprofile.User) (string, bool) {
			return graphprofile.PrincipalNameKey(u.UserPrincipalName), u.UserPrincipalName != ""
		},
	}
	for _, property := range []string{"displayName", "userPrincipalName"} {
		key := keys[property]
		for _, prefix := range []string{"", "a", "adele", "adèle", "é", "émile", "σ", "σοφ", "ł", "z", "zoë", "ẞ", "ß", "ǆ", "😀",
			"renamed", "renamed adele", "renamed.a", "\U0010FFFF", "\uFFFF", "\uD7FF", "\uE000", "~", "zz", "A", "Adele"} {
			var want []string
			for _, u := range users {
				if k, ok := key(u); ok && strings.HasPrefix(k, prefix) {
					want = append(want, u.ID)
				}
			}
			slices.SortFunc(want, func(a, b string) int {
				ka, _ := key(users[a])
				kb, _ := key(users[b])
				return cmp.Or(strings.Compare(ka, kb), strings.Compare(a, b))
			})
			var got []string
			err := s.ScanUsersByPrefix(ctx, tenantA, property, prefix, func(u graphprofile.User) (bool, error) {
				if u.TenantID != tenantA {
					t.Errorf("ScanUsersByPrefix(%s) visited %s of tenant %s", tenantA, u.ID, u.TenantID)
				}
				if want := users[u.ID]; u.DisplayName != want.DisplayName || u.UserPrincipalName != want.UserPrincipalName {
					t.Errorf("ScanUsersByPrefix(%s, %q) visited %s as %q %q; it is %q %q", property, prefix, u.ID, u.DisplayName, u.UserPrincipalName, want.DisplayName, want.UserPrincipalName)
				}
				got = append(got, u.ID)
				return true, nil
			})
			if err != nil {
				t.Fatalf("ScanUsersByPrefix(%s, %q): %v", property, prefix, err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("ScanUsersByPrefix(%s, %q) visited %d users, want %d; they differ at %d: %s", property, prefix, len(got), len(want), firstDifference(got, want), orderContext(got, want))
			}
			// A scan stopped early stops.
			if len(want) > 20 {
				var first []string
				if err := s.ScanUsersByPrefix(ctx, tenantA, property, prefix, func(u graphprofile.User) (bool, error) {
					first = append(first, u.ID)
					return len(first) < 20, nil
				}); err != nil || !slices.Equal(first, want[:20]) {
					t.Errorf("ScanUsersByPrefix(%s, %q) stopped at 20: %v, %v; want %v", property, prefix, first, err, want[:20])
				}
			}
		}
		for _, prefix := range []string{"a\x00", "\x00", "\xff", "a\xc3"} {
			if err := s.ScanUsersByPrefix(ctx, tenantA, property, prefix, func(u graphprofile.User) (bool, error) {
				t.Errorf("ScanUsersByPrefix(%s, %q) visited %s", property, prefix, u.ID)
				return false, nil
			}); err != nil {
				t.Errorf("ScanUsersByPrefix(%s, %q): %v, want no user and no error", property, prefix, err)
			}
		}
		var ids []string
		if err := s.ScanUsersByPrefix(ctx, tenantB, property, "adele", func(u graphprofile.User) (bool, error) {
			ids = append(ids, u.ID)
			return true, nil
		}); err != nil || !slices.Equal(ids, []string{"user-b"}) {
			t.Errorf("ScanUsersByPrefix(%s) of tenant B = %v, %v; want user-b alone", property, ids, err)
		}
		if err := s.ScanUsersByPrefix(ctx, "no-such-tenant", property, "", func(u graphprofile.User) (bool, error) {
			t.Errorf("ScanUsersByPrefix of an unknown tenant visited %s", u.ID)
			return true, nil
		}); err != nil {
			t.Errorf("ScanUsersByPrefix of an unknown tenant: %v", err)
		}
		refused := errors.New("refused")
		if err := s.ScanUsersByPrefix(ctx, tenantA, property, "a", func(graphprofile.User) (bool, error) { return true, refused }); err != refused {
			t.Errorf("a visit's error: ScanUsersByPrefix(%s) returned %v, want it as is", property, err)
		}
	}
	if err := s.ScanUsersByPrefix(ctx, tenantA, "jobTitle", "a", func(graphprofile.User) (bool, error) { return true, nil }); err == nil {
		t.Error("ScanUsersByPrefix of jobTitle: no error; no store keys it")
	}
}
