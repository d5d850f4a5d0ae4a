package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// Checks the stores' own tests share: each reads the store's database its
// own way (a callback, SQL), and what it must find is the same for every
// store.

// WantAcknowledged checks s after a crash: every position of owner whose id
// is in acknowledged (its CreateItem returned nil before the crash) is
// there, and every stored position reads back (a torn write would not). It
// reports the first ten missing, and returns how many positions owner has
// and how many acknowledged ones are missing.
func WantAcknowledged(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey, acknowledged []string) (stored, missing int) {
	t.Helper()
	ps := mustList(t, s, owner)
	have := make(map[string]bool, len(ps))
	for _, p := range ps {
		have[p.ID()] = true
	}
	for _, id := range acknowledged {
		if !have[id] {
			missing++
			if missing <= 10 {
				t.Errorf("position %s was acknowledged but is not in the database", id)
			}
		}
	}
	for _, p := range ps {
		mustGet(t, s, owner, p.ID())
	}
	return len(ps), missing
}

// WantNewerSchema checks err, what Open answered for a database whose
// schema is at version, newer than the store knows: a refusal that wraps
// graphprofile.ErrNewerSchema, names the version, and is not
// ErrUnavailable (a retry does not cure it, and a server that cannot start
// should say why and stop). A running store's refusal is ErrUnavailable
// too, since its requests are answered 503 (postgres'
// TestSchemaMigratedPastRunningStore).
func WantNewerSchema(t *testing.T, err error, version int) {
	t.Helper()
	if err == nil {
		t.Fatal("Open of a database with a newer schema succeeded")
	}
	if !errors.Is(err, graphprofile.ErrNewerSchema) {
		t.Errorf("error %v, want ErrNewerSchema", err)
	}
	if errors.Is(err, graphprofile.ErrUnavailable) {
		t.Errorf("error %v wraps ErrUnavailable: a retry will not cure it", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(version)) {
		t.Errorf("error %q does not name version %d", err, version)
	}
}

// WantPrincipalNameKeys writes users of Tenant through s, new and empty, by
// every method that sets a principal name, and after each write reads with
// column (the store's own query of its users table) the principal name
// stored and its key: the name in lower case, so that a unique key on it
// compares names ignoring case, or nil (NULL) when the user has no name, so
// that users without one never collide.
func WantPrincipalNameKeys(t *testing.T, s graphprofile.Store, column func(t *testing.T, id string) (key *string, upn string)) {
	t.Helper()
	ctx := t.Context()
	user := func(id, upn string) graphprofile.User {
		return graphprofile.User{TenantID: Tenant, ID: id, UserPrincipalName: upn, DisplayName: id}
	}
	set := func(id, upn string) func() error {
		return func() error {
			_, err := s.UpdateUser(ctx, graphprofile.UserKey{TenantID: Tenant, UserID: id}, func(u graphprofile.User) (graphprofile.User, error) {
				u.UserPrincipalName = upn
				return u, nil
			})
			return err
		}
	}
	ensure := func(u graphprofile.User) func() error {
		return func() error { _, err := s.EnsureUser(ctx, u); return err }
	}
	str := func(s string) *string { return &s }
	tests := []struct {
		name    string
		write   func() error
		id      string
		upn     string
		wantKey *string
	}{
		{"EnsureUser", ensure(user("u1", "ÉLODIE.Øster@Contoso.COM")), "u1", "ÉLODIE.Øster@Contoso.COM", str("élodie.øster@contoso.com")},
		{"EnsureUserNoName", ensure(user("u2", "")), "u2", "", nil},
		{"EnsureUserNoName2", ensure(user("u3", "")), "u3", "", nil}, // NULLs do not collide
		{"EnsureUserNameHeld", ensure(user("u4", "élodie.øster@contoso.com")), "u4", "", nil},
		{"CreateUser", func() error { return s.CreateUser(ctx, user("u5", "Five@Contoso.com")) }, "u5", "Five@Contoso.com", str("five@contoso.com")},
		{"UpdateUser", set("u5", "FIVE.five@contoso.com"), "u5", "FIVE.five@contoso.com", str("five.five@contoso.com")},
		{"UpdateUserNoName", set("u1", ""), "u1", "", nil},
		{"ImportUsers", func() error {
			return s.ImportUsers(ctx, Tenant, []graphprofile.User{user("u6", "Six@Contoso.com"), user("u2", "TWO@contoso.com")})
		}, "u2", "TWO@contoso.com", str("two@contoso.com")},
		{"ImportUsersNew", func() error { return nil }, "u6", "Six@Contoso.com", str("six@contoso.com")},
		{"ImportUsersNoName", func() error {
			return s.ImportUsers(ctx, Tenant, []graphprofile.User{user("u6", "")})
		}, "u6", "", nil},
	}
	show := func(k *string) any {
		if k == nil {
			return nil
		}
		return *k
	}
	for _, tc := range tests {
		if err := tc.write(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		key, upn := column(t, tc.id)
		if (key == nil) != (tc.wantKey == nil) || key != nil && *key != *tc.wantKey {
			t.Errorf("%s: the principal name key of %q = %v, want %v", tc.name, tc.id, show(key), show(tc.wantKey))
		}
		if upn != tc.upn {
			t.Errorf("%s: the principal name of %q = %q, want %q", tc.name, tc.id, upn, tc.upn)
		}
	}
}
