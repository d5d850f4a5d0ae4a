// Package storetest is the contract suite of graphprofile.Store: every
// implementation's tests call Run (and RunReopen, for a durable store).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// Run runs the contract suite. open returns a new, empty store and registers
// its cleanup; the suite may Close a store itself, so closing a closed store
// must be harmless.
func Run(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	t.Run("EnsureUser", func(t *testing.T) { testEnsureUser(t, open) })
	t.Run("FindUser", func(t *testing.T) { testFindUser(t, open) })
	t.Run("CreateUser", func(t *testing.T) { testCreateUser(t, open) })
	t.Run("UpdateUser", func(t *testing.T) { testUpdateUser(t, open) })
	t.Run("DeleteUser", func(t *testing.T) { testDeleteUser(t, open) })
	t.Run("ListUsers", func(t *testing.T) { testListUsers(t, open) })
	t.Run("ImportUsers", func(t *testing.T) { testImportUsers(t, open) })
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("Create", func(t *testing.T) { testCreate(t, open) })
	t.Run("List", func(t *testing.T) { testList(t, open) })
	t.Run("Isolation", func(t *testing.T) { testIsolation(t, open) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, open) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open) })
	t.Run("DeleteCheck", func(t *testing.T) { testDeleteCheck(t, open) })
	t.Run("CanceledContext", func(t *testing.T) { testCanceledContext(t, open) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, open) })
}

// RunReopen checks that what a store acknowledged is there after the store
// is closed and its database opened again. open returns a new, empty store;
// reopen returns a new store on the database of old, which the suite has
// closed. Both register their stores' cleanup.
func RunReopen(t *testing.T, open func(t *testing.T) graphprofile.Store, reopen func(t *testing.T, old graphprofile.Store) graphprofile.Store) {
	t.Run("Reopen", func(t *testing.T) { testReopen(t, open, reopen) })
}

// Fixtures.

const (
	tenantA = "0d2c6b6e-0000-4000-8000-00000000000a"
	tenantB = "0d2c6b6e-0000-4000-8000-00000000000b"
)

// base is a createdDateTime with all seven fractional digits used.
var base = time.Date(2024, time.May, 1, 8, 30, 15, 123456700, time.UTC)

func guid(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", n) }

func adele(tenant string) graphprofile.User {
	return graphprofile.User{TenantID: tenant, ID: guid(1), UserPrincipalName: "AdeleV@contoso.com", DisplayName: "Adele Vance"}
}

func megan(tenant string) graphprofile.User {
	return graphprofile.User{TenantID: tenant, ID: guid(2), UserPrincipalName: "MeganB@contoso.com", DisplayName: "Megan Bowen"}
}

// fullUser sets every property of a user, with values that are easy to get
// wrong.
func fullUser(tenant string, n int) graphprofile.User {
	return graphprofile.User{
		TenantID:          tenant,
		ID:                guid(n),
		UserPrincipalName: fmt.Sprintf("Zoë.Ñúñez-%d@Contoso.com", n),
		DisplayName:       fmt.Sprintf(`Zoë "Z" Ñúñez-O'Brien 🚀 %d`, n),
		Mail:              fmt.Sprintf("zoe.nunez-%d@contoso.com", n),
		MailNickname:      fmt.Sprintf("zoe%d", n),
		GivenName:         "Zoë",
		Surname:           "Ñúñez-O'Brien \\ 日本",
		JobTitle:          "Développeuse\tsenior; DROP TABLE users; --",
		AccountEnabled:    boolPtr(true),
	}
}

func boolPtr(b bool) *bool { return &b }

// position returns a position as the service creates one: id, timestamps,
// createdBy/lastModifiedBy, allowedAudiences and a detail.
func position(id string, created time.Time, jobTitle string) graphprofile.WorkPosition {
	by := graphprofile.Object{"user": graphprofile.Object{"id": guid(1), "displayName": "Adele Vance"}}
	return graphprofile.WorkPosition{
		"id":                   id,
		"allowedAudiences":     "organization",
		"createdDateTime":      created,
		"createdBy":            by,
		"lastModifiedDateTime": created,
		"lastModifiedBy":       by,
		"detail": graphprofile.Object{
			"jobTitle": jobTitle,
			"company":  graphprofile.Object{"displayName": "Contoso"},
		},
	}
}

// fullPosition sets every property of workPosition, with values that are
// easy to get wrong.
func fullPosition(id string) graphprofile.WorkPosition {
	p := position(id, base, "Développeuse 🚀 senior")
	p["lastModifiedDateTime"] = base.Add(36*time.Hour + 100*time.Nanosecond)
	p["lastModifiedBy"] = graphprofile.Object{"application": graphprofile.Object{"id": "app-hr-sync", "displayName": "HR sync"}}
	p["allowedAudiences"] = "me,contacts,organization"
	p["inference"] = graphprofile.Object{"confidenceScore": 0.875, "userHasVerifiedAccuracy": true}
	p["source"] = graphprofile.Object{"type": []any{"User", "HR system"}}
	p["sources"] = []any{
		graphprofile.Object{"isDefaultSource": true, "properties": []any{"detail", "manager"}, "sourceId": "src-1"},
		graphprofile.Object{"isDefaultSource": false, "properties": []any{}, "sourceId": "src-2"},
	}
	p["isSearchable"] = false
	p["categories"] = []any{"engineering", "ß-Straße", "with,comma"}
	p["detail"] = graphprofile.Object{
		"company": graphprofile.Object{
			"displayName":   `Contoso "Ltd" \ <&> 日本`,
			"pronunciation": "con-TOE-so",
			"department":    "R&D",
			"address": graphprofile.Object{
				"type":            "business",
				"street":          "1 Main St\nBuilding 2\tFloor 3",
				"city":            "Zürich",
				"countryOrRegion": "CH",
				"postalCode":      "8001",
			},
			"webUrl":      "https://contoso.example/?a=1&b=</script>",
			"companyCode": "C-001",
		},
		"description":    "line1\r\nline2 \u2028 \u2029 \x01\x1f end",
		"employeeId":     "E12345",
		"jobTitle":       "Développeuse 🚀 senior",
		"layer":          int64(-2147483648),
		"level":          "L63",
		"startMonthYear": graphprofile.Date("2021-04-01"),
		"endMonthYear":   graphprofile.Date("9999-12-31"),
		"summary":        "",
	}
	p["manager"] = graphprofile.Object{
		"displayName": "Miriam Graham", "relationship": "manager",
		"userId": guid(9), "userPrincipalName": "MiriamG@contoso.com",
	}
	p["colleagues"] = []any{
		graphprofile.Object{"displayName": "Lee Gu", "relationship": "colleague"},
		graphprofile.Object{"displayName": "Alex Wilber", "relationship": "dotLineReport", "userId": guid(10)},
	}
	p["isCurrent"] = true
	return p
}

// Helpers.

func mustEnsure(t *testing.T, s graphprofile.Store, u graphprofile.User) graphprofile.User {
	t.Helper()
	got, err := s.EnsureUser(t.Context(), u)
	if err != nil {
		t.Fatalf("EnsureUser(%+v): %v", u, err)
	}
	return got
}

func mustCreate(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey, p graphprofile.WorkPosition) {
	t.Helper()
	if err := s.CreatePosition(t.Context(), owner, p); err != nil {
		t.Fatalf("CreatePosition(%v, %s): %v", owner, p.ID(), err)
	}
}

func mustGet(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey, id string) graphprofile.WorkPosition {
	t.Helper()
	p, err := s.GetPosition(t.Context(), owner, id)
	if err != nil {
		t.Fatalf("GetPosition(%v, %s): %v", owner, id, err)
	}
	return p
}

func mustList(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey) []graphprofile.WorkPosition {
	t.Helper()
	ps, err := s.ListPositions(t.Context(), owner)
	if err != nil {
		t.Fatalf("ListPositions(%v): %v", owner, err)
	}
	return ps
}

// sameUser reports whether a and b have the same properties (AccountEnabled
// compared by value).
func sameUser(a, b graphprofile.User) bool {
	ae, be := a.AccountEnabled, b.AccountEnabled
	a.AccountEnabled, b.AccountEnabled = nil, nil
	return a == b && (ae == nil) == (be == nil) && (ae == nil || *ae == *be)
}

// userString formats u with the value of AccountEnabled.
func userString(u graphprofile.User) string {
	enabled := "<nil>"
	if u.AccountEnabled != nil {
		enabled = fmt.Sprint(*u.AccountEnabled)
	}
	return fmt.Sprintf("{TenantID:%s ID:%s UserPrincipalName:%q DisplayName:%q Mail:%q MailNickname:%q GivenName:%q Surname:%q JobTitle:%q AccountEnabled:%s}",
		u.TenantID, u.ID, u.UserPrincipalName, u.DisplayName, u.Mail, u.MailNickname, u.GivenName, u.Surname, u.JobTitle, enabled)
}

func wantUser(t *testing.T, what string, got, want graphprofile.User) {
	t.Helper()
	if !sameUser(got, want) {
		t.Errorf("%s =\n  %s\nwant\n  %s", what, userString(got), userString(want))
	}
}

func wantUsers(t *testing.T, what string, got, want []graphprofile.User) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil, want a slice (empty or not)", what)
	}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = sameUser(got[i], want[i])
	}
	if ok {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: got %d users\n", what, len(got))
	for _, u := range got {
		fmt.Fprintf(&b, "  %s\n", userString(u))
	}
	fmt.Fprintf(&b, "want %d\n", len(want))
	for _, u := range want {
		fmt.Fprintf(&b, "  %s\n", userString(u))
	}
	t.Error(b.String())
}

func mustListUsers(t *testing.T, s graphprofile.Store, tenant string) []graphprofile.User {
	t.Helper()
	us, err := s.ListUsers(t.Context(), tenant)
	if err != nil {
		t.Fatalf("ListUsers(%s): %v", tenant, err)
	}
	return us
}

func mustCreateUser(t *testing.T, s graphprofile.Store, u graphprofile.User) graphprofile.User {
	t.Helper()
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", userString(u), err)
	}
	return u
}

// wantConflict checks that err is a *ConflictError naming property and value
// (a user principal name in any case).
func wantConflict(t *testing.T, what string, err error, property, value string) {
	t.Helper()
	var c *graphprofile.ConflictError
	if !errors.As(err, &c) {
		t.Errorf("%s: error %v, want a *ConflictError for %s %q", what, err, property, value)
		return
	}
	sameValue := c.Value == value || property == "userPrincipalName" && strings.EqualFold(c.Value, value)
	if c.Property != property || !sameValue {
		t.Errorf("%s: conflict on %s %q, want %s %q", what, c.Property, c.Value, property, value)
	}
}

// wantInternal checks that err is neither a *ConflictError nor ErrNotFound
// nor nil: an internal failure.
func wantInternal(t *testing.T, what string, err error) {
	t.Helper()
	var c *graphprofile.ConflictError
	if err == nil || errors.As(err, &c) || errors.Is(err, graphprofile.ErrNotFound) {
		t.Errorf("%s: error %v, want an internal failure", what, err)
	}
}

func wantFind(t *testing.T, s graphprofile.Store, tenant, key string, want graphprofile.User) {
	t.Helper()
	got, err := s.FindUser(t.Context(), tenant, key)
	if err != nil {
		t.Errorf("FindUser(%s, %q): %v, want %+v", tenant, key, err, want)
		return
	}
	wantUser(t, fmt.Sprintf("FindUser(%s, %q)", tenant, key), got, want)
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, graphprofile.ErrNotFound) {
		t.Errorf("%s: error %v, want ErrNotFound", what, err)
	}
}

func wantPosition(t *testing.T, what string, got, want graphprofile.WorkPosition) {
	t.Helper()
	if d := Diff(graphprofile.Object(want), graphprofile.Object(got)); d != "" {
		t.Errorf("%s differs:\n%s", what, d)
	}
}

func wantIDs(t *testing.T, what string, ps []graphprofile.WorkPosition, want ...string) {
	t.Helper()
	got := make([]string, len(ps))
	for i, p := range ps {
		got[i] = p.ID()
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s: ids\n  %v\nwant\n  %v", what, got, want)
	}
}

// Diff describes how got differs from want, two values of an Object, or
// returns "". Values must have the same Go types (int64 is not float64, Date
// is not string, an empty collection is not an absent or nil one); times must
// be equal instants in UTC.
func Diff(want, got any) string {
	var b strings.Builder
	diff(&b, "$", want, got)
	return b.String()
}

func diff(b *strings.Builder, path string, want, got any) {
	if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
		fmt.Fprintf(b, "%s: got %T %#v, want %T %#v\n", path, got, got, want, want)
		return
	}
	switch w := want.(type) {
	case graphprofile.Object:
		g := got.(graphprofile.Object)
		if (w == nil) != (g == nil) {
			fmt.Fprintf(b, "%s: got %#v, want %#v\n", path, g, w)
		}
		for _, k := range unionKeys(w, g) {
			wv, wok := w[k]
			gv, gok := g[k]
			switch {
			case !gok:
				fmt.Fprintf(b, "%s.%s: missing, want %#v\n", path, k, wv)
			case !wok:
				fmt.Fprintf(b, "%s.%s: unexpected %#v\n", path, k, gv)
			default:
				diff(b, path+"."+k, wv, gv)
			}
		}
	case []any:
		g := got.([]any)
		if (w == nil) != (g == nil) {
			fmt.Fprintf(b, "%s: got %#v, want %#v\n", path, g, w)
			return
		}
		if len(w) != len(g) {
			fmt.Fprintf(b, "%s: got %d items %#v, want %d %#v\n", path, len(g), g, len(w), w)
			return
		}
		for i := range w {
			diff(b, fmt.Sprintf("%s[%d]", path, i), w[i], g[i])
		}
	case time.Time:
		g := got.(time.Time)
		if !g.Equal(w) || g.Location() != time.UTC {
			fmt.Fprintf(b, "%s: got %s (%s), want %s\n", path, g.Format(time.RFC3339Nano), g.Location(), w.Format(time.RFC3339Nano))
		}
	default:
		if want != got {
			fmt.Fprintf(b, "%s: got %#v, want %#v\n", path, got, want)
		}
	}
}

func unionKeys(a, b graphprofile.Object) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// clone returns a deep copy of p, so a test can change it without touching
// what a store returned or was given.
func clone(p graphprofile.WorkPosition) graphprofile.WorkPosition {
	return graphprofile.WorkPosition(cloneValue(graphprofile.Object(p)).(graphprofile.Object))
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case graphprofile.Object:
		out := make(graphprofile.Object, len(v))
		for k, e := range v {
			out[k] = cloneValue(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}

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

// Positions.

func testRoundTrip(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	minimal := graphprofile.WorkPosition{
		"id":                   guid(201),
		"createdDateTime":      base,
		"lastModifiedDateTime": base,
	}
	numbers := position(guid(202), base.Add(time.Second), "numbers")
	numbers["inference"] = graphprofile.Object{"confidenceScore": 1e-7, "userHasVerifiedAccuracy": false}
	numbers["detail"].(graphprofile.Object)["layer"] = int64(2147483647)
	numbers2 := position(guid(203), base, "numbers")
	numbers2["inference"] = graphprofile.Object{"confidenceScore": 0.0}
	numbers2["detail"].(graphprofile.Object)["layer"] = int64(0)
	numbers3 := position(guid(204), base, "numbers")
	numbers3["inference"] = graphprofile.Object{"confidenceScore": 1e21}
	empty := position(guid(205), base, "")
	empty["categories"] = []any{}
	empty["colleagues"] = []any{}
	empty["sources"] = []any{}
	empty["source"] = graphprofile.Object{"type": []any{}}
	empty["detail"] = graphprofile.Object{}
	times := position(guid(206), time.Date(1970, 1, 1, 0, 0, 0, 100, time.UTC), "times")
	times["lastModifiedDateTime"] = time.Date(2262, 1, 1, 23, 59, 59, 999999900, time.UTC)
	times["detail"].(graphprofile.Object)["startMonthYear"] = graphprofile.Date("0001-01-01")
	special := position(guid(207), base, "\"quoted\" \\back\\slash\\ /slash/ \x00\x7f \ufeff 𝄞 \u2028")
	special["categories"] = []any{"", " ", "\"", "\\", "\n", "<script>", "日本語", "🎉"}
	special["manager"] = graphprofile.Object{"displayName": "O'Brien; DROP TABLE positions; --", "relationship": "unknownFutureValue"}
	audiences := position(guid(208), base, "flags")
	audiences["allowedAudiences"] = "me,family,contacts,groupMembers,organization,federatedOrganizations,everyone"

	tests := []struct {
		name string
		p    graphprofile.WorkPosition
	}{
		{"Full", fullPosition(guid(200))},
		{"Minimal", minimal},
		{"Numbers", numbers},
		{"Zeros", numbers2},
		{"LargeDouble", numbers3},
		{"EmptyCollectionsAndObjects", empty},
		{"TimeExtremes", times},
		{"SpecialStrings", special},
		{"AllAudiences", audiences},
		{"NonGUIDID", position("Some Id/With?Odd#Chars%20", base, "odd id")},
	}
	s := open(t)
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := clone(tc.p)
			mustCreate(t, s, owner, tc.p)
			wantPosition(t, "the position given to CreatePosition", tc.p, want)
			wantPosition(t, "GetPosition", mustGet(t, s, owner, want.ID()), want)
			var listed graphprofile.WorkPosition
			for _, p := range mustList(t, s, owner) {
				if p.ID() == want.ID() {
					listed = p
				}
			}
			if listed == nil {
				t.Fatalf("ListPositions lacks %s", want.ID())
			}
			wantPosition(t, "ListPositions", listed, want)
		})
	}

	t.Run("ListsAreTheCallers", func(t *testing.T) {
		// Positions may be shared with a store's cache (callers must not
		// change them), but a returned list is the caller's to filter in
		// place, as the service does.
		first := mustList(t, s, owner)
		want := slices.Clone(first)
		for i := range first {
			first[i] = nil
		}
		_ = append(first[:0], want[len(want)-1])
		again := mustList(t, s, owner)
		if len(again) != len(want) {
			t.Fatalf("list has %d positions after the caller changed an earlier list, want %d", len(again), len(want))
		}
		for i := range want {
			if again[i].ID() != want[i].ID() {
				t.Errorf("list[%d] = %s after the caller changed an earlier list, want %s", i, again[i].ID(), want[i].ID())
			}
		}
	})
}

func testCreate(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	t.Run("UnknownOwner", func(t *testing.T) {
		s := open(t)
		mustEnsure(t, s, adele(tenantA))
		for _, owner := range []graphprofile.UserKey{
			{TenantID: tenantA, UserID: guid(77)},
			{TenantID: tenantB, UserID: guid(1)},
		} {
			err := s.CreatePosition(t.Context(), owner, position(guid(100), base, "x"))
			wantNotFound(t, fmt.Sprintf("CreatePosition for %v", owner), err)
			_, err = s.GetPosition(t.Context(), owner, guid(100))
			wantNotFound(t, "GetPosition after a failed create", err)
		}
		wantIDs(t, "ListPositions of the existing user", mustList(t, s, adele(tenantA).Key()))
	})

	t.Run("DuplicateID", func(t *testing.T) {
		s := open(t)
		owner := mustEnsure(t, s, adele(tenantA)).Key()
		first := position(guid(100), base, "first")
		mustCreate(t, s, owner, first)
		if err := s.CreatePosition(t.Context(), owner, position(guid(100), base.Add(time.Hour), "second")); err == nil {
			t.Error("CreatePosition with an existing id succeeded")
		}
		wantPosition(t, "GetPosition after a duplicate create", mustGet(t, s, owner, guid(100)), first)
		wantIDs(t, "ListPositions", mustList(t, s, owner), guid(100))
	})

	t.Run("SameIDForTwoOwners", func(t *testing.T) {
		s := open(t)
		owners := []graphprofile.UserKey{
			mustEnsure(t, s, adele(tenantA)).Key(),
			mustEnsure(t, s, megan(tenantA)).Key(),
			mustEnsure(t, s, adele(tenantB)).Key(),
		}
		for i, o := range owners {
			mustCreate(t, s, o, position(guid(100), base, fmt.Sprint("job ", i)))
		}
		for i, o := range owners {
			wantPosition(t, fmt.Sprint("GetPosition of owner ", i), mustGet(t, s, o, guid(100)), position(guid(100), base, fmt.Sprint("job ", i)))
		}
	})
}

func testList(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	type item struct {
		id      string
		created time.Time
	}
	tests := []struct {
		name   string
		insert []item // in this order
		want   []string
	}{
		{"Empty", nil, nil},
		{"One", []item{{"p1", base}}, []string{"p1"}},
		{"EqualTimesByID", []item{
			{guid(3), base}, {guid(1), base}, {guid(12), base}, {guid(2), base}, {guid(11), base},
		}, []string{guid(1), guid(2), guid(3), guid(11), guid(12)}},
		{"TimesOutOfOrder", []item{
			{guid(1), base.Add(3 * time.Hour)}, {guid(2), base.Add(-24 * time.Hour)}, {guid(3), base}, {guid(4), base.Add(time.Hour)},
		}, []string{guid(2), guid(3), guid(4), guid(1)}},
		{"TimeBeforeID", []item{
			{"a", base.Add(200 * time.Nanosecond)}, {"b", base.Add(100 * time.Nanosecond)}, {"c", base},
		}, []string{"c", "b", "a"}},
		{"Mixed", []item{
			{"d", base.Add(time.Minute)}, {"b", base}, {"c", base.Add(time.Minute)}, {"a", base.Add(time.Minute)}, {"e", base},
		}, []string{"b", "e", "a", "c", "d"}},
		{"YearsApart", []item{
			{"x", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, {"y", time.Date(1999, 12, 31, 23, 59, 59, 999999900, time.UTC)}, {"z", base},
		}, []string{"y", "z", "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			owner := mustEnsure(t, s, adele(tenantA)).Key()
			byID := map[string]graphprofile.WorkPosition{}
			for _, it := range tc.insert {
				p := position(it.id, it.created, "job "+it.id)
				byID[it.id] = clone(p)
				mustCreate(t, s, owner, p)
			}
			ps := mustList(t, s, owner)
			if len(ps) != len(tc.want) {
				t.Fatalf("ListPositions returned %d positions, want %d", len(ps), len(tc.want))
			}
			wantIDs(t, "ListPositions", ps, tc.want...)
			for _, p := range ps {
				wantPosition(t, "listed "+p.ID(), p, byID[p.ID()])
			}
		})
	}

	t.Run("UnknownUser", func(t *testing.T) {
		s := open(t)
		mustEnsure(t, s, adele(tenantA))
		ps, err := s.ListPositions(t.Context(), graphprofile.UserKey{TenantID: tenantA, UserID: guid(77)})
		wantNotFound(t, fmt.Sprintf("ListPositions of an unknown user = %v", ps), err)
	})
}

// others are the owners that must not see adele(tenantA)'s positions.
var others = []struct {
	name string
	user graphprofile.User
}{
	{"OtherUser", megan(tenantA)},
	{"OtherTenant", adele(tenantB)},
}

func testIsolation(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	for _, o := range others {
		t.Run(o.name, func(t *testing.T) {
			s := open(t)
			owner := mustEnsure(t, s, adele(tenantA)).Key()
			other := mustEnsure(t, s, o.user).Key()
			mine := position(guid(100), base, "mine")
			theirs := position(guid(101), base, "theirs")
			mustCreate(t, s, owner, mine)
			mustCreate(t, s, other, theirs)

			_, err := s.GetPosition(t.Context(), other, mine.ID())
			wantNotFound(t, "GetPosition by another owner", err)
			wantIDs(t, "ListPositions of the other owner", mustList(t, s, other), theirs.ID())
			wantIDs(t, "ListPositions of the owner", mustList(t, s, owner), mine.ID())

			called := false
			_, err = s.UpdatePosition(t.Context(), other, mine.ID(), func(p graphprofile.WorkPosition) (graphprofile.WorkPosition, error) {
				called = true
				p["isCurrent"] = false
				return p, nil
			})
			wantNotFound(t, "UpdatePosition by another owner", err)
			if called {
				t.Error("UpdatePosition by another owner called update")
			}
			wantNotFound(t, "DeletePosition by another owner", s.DeletePosition(t.Context(), other, mine.ID(), nil))
			called = false
			err = s.DeletePosition(t.Context(), other, mine.ID(), func(graphprofile.WorkPosition) error { called = true; return nil })
			wantNotFound(t, "DeletePosition with a check by another owner", err)
			if called {
				t.Error("DeletePosition by another owner called check")
			}

			wantPosition(t, "the owner's position", mustGet(t, s, owner, mine.ID()), mine)
			wantPosition(t, "the other's position", mustGet(t, s, other, theirs.ID()), theirs)
		})
	}

	t.Run("SameIDDifferentOwners", func(t *testing.T) {
		s := open(t)
		owner := mustEnsure(t, s, adele(tenantA)).Key()
		var keys []graphprofile.UserKey
		for _, o := range others {
			keys = append(keys, mustEnsure(t, s, o.user).Key())
		}
		for i, k := range append([]graphprofile.UserKey{owner}, keys...) {
			mustCreate(t, s, k, position(guid(100), base, fmt.Sprint("job ", i)))
		}
		if _, err := s.UpdatePosition(t.Context(), owner, guid(100), func(p graphprofile.WorkPosition) (graphprofile.WorkPosition, error) {
			p["detail"] = graphprofile.Object{"jobTitle": "updated"}
			return p, nil
		}); err != nil {
			t.Fatalf("UpdatePosition: %v", err)
		}
		if err := s.DeletePosition(t.Context(), keys[0], guid(100), nil); err != nil {
			t.Fatalf("DeletePosition: %v", err)
		}
		if got := mustGet(t, s, owner, guid(100))["detail"]; Diff(graphprofile.Object{"jobTitle": "updated"}, got) != "" {
			t.Errorf("owner's detail = %v, want the update", got)
		}
		wantIDs(t, "ListPositions of the deleting owner", mustList(t, s, keys[0]))
		for i, k := range keys[1:] {
			wantPosition(t, "an untouched owner's position", mustGet(t, s, k, guid(100)), position(guid(100), base, fmt.Sprint("job ", i+2)))
		}
	})
}

var errRefused = errors.New("storetest: update refused")

func testUpdate(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	setup := func(t *testing.T) (graphprofile.Store, graphprofile.UserKey, graphprofile.WorkPosition) {
		s := open(t)
		owner := mustEnsure(t, s, adele(tenantA)).Key()
		p := fullPosition(guid(100))
		mustCreate(t, s, owner, clone(p))
		mustCreate(t, s, owner, position(guid(101), base.Add(time.Minute), "neighbour"))
		return s, owner, p
	}
	later := base.Add(48 * time.Hour)

	tests := []struct {
		name   string
		update func(p graphprofile.WorkPosition) graphprofile.WorkPosition
	}{
		{"ChangeNested", func(p graphprofile.WorkPosition) graphprofile.WorkPosition {
			p["detail"].(graphprofile.Object)["jobTitle"] = "Principal engineer"
			p["detail"].(graphprofile.Object)["layer"] = int64(4)
			p["lastModifiedDateTime"] = later
			p["lastModifiedBy"] = graphprofile.Object{"user": graphprofile.Object{"id": guid(2), "displayName": "Megan Bowen"}}
			return p
		}},
		{"RemoveProperties", func(p graphprofile.WorkPosition) graphprofile.WorkPosition {
			delete(p, "manager")
			delete(p, "inference")
			delete(p["detail"].(graphprofile.Object), "company")
			p["lastModifiedDateTime"] = later
			return p
		}},
		{"ReplaceCollections", func(p graphprofile.WorkPosition) graphprofile.WorkPosition {
			p["categories"] = []any{}
			p["colleagues"] = []any{graphprofile.Object{"displayName": "Nestor Wilke", "relationship": "assistant"}}
			p["allowedAudiences"] = "everyone"
			return p
		}},
		{"NoChange", func(p graphprofile.WorkPosition) graphprofile.WorkPosition { return p }},
		{"NewValue", func(p graphprofile.WorkPosition) graphprofile.WorkPosition {
			return graphprofile.WorkPosition{
				"id":                   p.ID(),
				"createdDateTime":      p.CreatedDateTime(),
				"lastModifiedDateTime": later,
				"isCurrent":            false,
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, owner, p := setup(t)
			var gotCur graphprofile.WorkPosition
			want := tc.update(clone(p))
			got, err := s.UpdatePosition(t.Context(), owner, p.ID(), func(cur graphprofile.WorkPosition) (graphprofile.WorkPosition, error) {
				gotCur = clone(cur)
				return tc.update(cur), nil
			})
			if err != nil {
				t.Fatalf("UpdatePosition: %v", err)
			}
			wantPosition(t, "the position update was called with", gotCur, p)
			wantPosition(t, "UpdatePosition's result", got, want)
			wantPosition(t, "GetPosition after UpdatePosition", mustGet(t, s, owner, p.ID()), want)
			wantIDs(t, "ListPositions after UpdatePosition", mustList(t, s, owner), guid(100), guid(101))
			wantPosition(t, "the neighbour", mustGet(t, s, owner, guid(101)), position(guid(101), base.Add(time.Minute), "neighbour"))
		})
	}

	t.Run("UpdateError", func(t *testing.T) {
		s, owner, p := setup(t)
		got, err := s.UpdatePosition(t.Context(), owner, p.ID(), func(cur graphprofile.WorkPosition) (graphprofile.WorkPosition, error) {
			cur["isCurrent"] = false
			return cur, errRefused
		})
		if !errors.Is(err, errRefused) || err != errRefused {
			t.Errorf("UpdatePosition error = %v, want update's error as is", err)
		}
		if got != nil {
			t.Errorf("UpdatePosition result = %v, want nil", got)
		}
		wantPosition(t, "GetPosition after a refused update", mustGet(t, s, owner, p.ID()), p)
	})

	t.Run("Unknown", func(t *testing.T) {
		s, owner, _ := setup(t)
		for _, k := range []struct {
			owner graphprofile.UserKey
			id    string
		}{
			{owner, guid(999)},
			{owner, ""},
			{graphprofile.UserKey{TenantID: tenantA, UserID: guid(77)}, guid(100)},
		} {
			called := false
			_, err := s.UpdatePosition(t.Context(), k.owner, k.id, func(p graphprofile.WorkPosition) (graphprofile.WorkPosition, error) {
				called = true
				return p, nil
			})
			wantNotFound(t, fmt.Sprintf("UpdatePosition(%v, %q)", k.owner, k.id), err)
			if called {
				t.Errorf("UpdatePosition(%v, %q) called update", k.owner, k.id)
			}
		}
	})

	t.Run("ChangesOrder", func(t *testing.T) {
		s, owner, p := setup(t)
		if _, err := s.UpdatePosition(t.Context(), owner, p.ID(), func(cur graphprofile.WorkPosition) (graphprofile.WorkPosition, error) {
			cur["createdDateTime"] = base.Add(time.Hour)
			return cur, nil
		}); err != nil {
			t.Fatalf("UpdatePosition: %v", err)
		}
		wantIDs(t, "ListPositions ordered by the new createdDateTime", mustList(t, s, owner), guid(101), guid(100))
	})

	t.Run("Sequential", func(t *testing.T) {
		s, owner, p := setup(t)
		for i := range 5 {
			got, err := s.UpdatePosition(t.Context(), owner, p.ID(), func(cur graphprofile.WorkPosition) (graphprofile.WorkPosition, error) {
				layer, _ := cur["detail"].(graphprofile.Object)["layer"].(int64)
				if want := int64(-2147483648 + i); layer != want {
					return nil, fmt.Errorf("update %d saw layer %d, want %d", i, layer, want)
				}
				cur["detail"].(graphprofile.Object)["layer"] = layer + 1
				return cur, nil
			})
			if err != nil {
				t.Fatalf("UpdatePosition %d: %v", i, err)
			}
			if l := got["detail"].(graphprofile.Object)["layer"]; l != int64(-2147483648+i+1) {
				t.Fatalf("UpdatePosition %d returned layer %v", i, l)
			}
		}
	})
}

func testDelete(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	s := open(t)
	owner := mustEnsure(t, s, adele(tenantA)).Key()
	for i := range 3 {
		mustCreate(t, s, owner, position(guid(100+i), base.Add(time.Duration(i)*time.Second), "job"))
	}
	if err := s.DeletePosition(t.Context(), owner, guid(101), nil); err != nil {
		t.Fatalf("DeletePosition: %v", err)
	}
	_, err := s.GetPosition(t.Context(), owner, guid(101))
	wantNotFound(t, "GetPosition after DeletePosition", err)
	wantIDs(t, "ListPositions after DeletePosition", mustList(t, s, owner), guid(100), guid(102))
	wantNotFound(t, "DeletePosition again", s.DeletePosition(t.Context(), owner, guid(101), nil))
	wantNotFound(t, "DeletePosition of an unknown id", s.DeletePosition(t.Context(), owner, guid(999), nil))
	wantNotFound(t, "DeletePosition of an unknown owner", s.DeletePosition(t.Context(), graphprofile.UserKey{TenantID: tenantA, UserID: guid(77)}, guid(100), nil))
	_, err = s.UpdatePosition(t.Context(), owner, guid(101), func(p graphprofile.WorkPosition) (graphprofile.WorkPosition, error) { return p, nil })
	wantNotFound(t, "UpdatePosition after DeletePosition", err)

	// The id can be used again.
	again := position(guid(101), base.Add(time.Hour), "again")
	mustCreate(t, s, owner, again)
	wantPosition(t, "GetPosition of a re-created id", mustGet(t, s, owner, guid(101)), again)
	for _, id := range []string{guid(100), guid(101), guid(102)} {
		if err := s.DeletePosition(t.Context(), owner, id, nil); err != nil {
			t.Fatalf("DeletePosition(%s): %v", id, err)
		}
	}
	if ps := mustList(t, s, owner); len(ps) != 0 {
		t.Errorf("ListPositions after deleting all = %d positions", len(ps))
	}
}

func testDeleteCheck(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	setup := func(t *testing.T) (graphprofile.Store, graphprofile.UserKey, graphprofile.WorkPosition) {
		s := open(t)
		owner := mustEnsure(t, s, adele(tenantA)).Key()
		p := fullPosition(guid(100))
		mustCreate(t, s, owner, clone(p))
		mustCreate(t, s, owner, position(guid(101), base.Add(time.Minute), "neighbour"))
		return s, owner, p
	}

	t.Run("CheckSeesPosition", func(t *testing.T) {
		s, owner, p := setup(t)
		calls := 0
		var seen graphprofile.WorkPosition
		err := s.DeletePosition(t.Context(), owner, p.ID(), func(cur graphprofile.WorkPosition) error {
			calls++
			seen = clone(cur)
			return nil
		})
		if err != nil {
			t.Fatalf("DeletePosition: %v", err)
		}
		if calls == 0 {
			t.Fatal("DeletePosition did not call check")
		}
		wantPosition(t, "the position check was called with", seen, p)
		_, err = s.GetPosition(t.Context(), owner, p.ID())
		wantNotFound(t, "GetPosition after DeletePosition", err)
		wantIDs(t, "ListPositions after DeletePosition", mustList(t, s, owner), guid(101))

		called := false
		err = s.DeletePosition(t.Context(), owner, p.ID(), func(graphprofile.WorkPosition) error { called = true; return nil })
		wantNotFound(t, "DeletePosition with a check again", err)
		if called {
			t.Error("DeletePosition of a deleted position called check")
		}
	})

	t.Run("CheckError", func(t *testing.T) {
		s, owner, p := setup(t)
		errHidden := graphprofile.Errorf(graphprofile.CodeItemNotFound, "hidden")
		for _, want := range []error{errRefused, graphprofile.ErrNotFound, errHidden} {
			err := s.DeletePosition(t.Context(), owner, p.ID(), func(graphprofile.WorkPosition) error { return want })
			if err != want {
				t.Errorf("DeletePosition error = %v, want check's error %v as is", err, want)
			}
		}
		wantPosition(t, "GetPosition after refused deletes", mustGet(t, s, owner, p.ID()), p)
		wantIDs(t, "ListPositions after refused deletes", mustList(t, s, owner), guid(100), guid(101))
	})

	t.Run("NilCheck", func(t *testing.T) {
		s, owner, p := setup(t)
		if err := s.DeletePosition(t.Context(), owner, p.ID(), nil); err != nil {
			t.Fatalf("DeletePosition: %v", err)
		}
		wantIDs(t, "ListPositions after DeletePosition", mustList(t, s, owner), guid(101))
	})

	t.Run("Unknown", func(t *testing.T) {
		s, owner, _ := setup(t)
		for _, k := range []struct {
			owner graphprofile.UserKey
			id    string
		}{
			{owner, guid(999)},
			{owner, ""},
			{graphprofile.UserKey{TenantID: tenantA, UserID: guid(77)}, guid(100)},
			{graphprofile.UserKey{TenantID: tenantB, UserID: owner.UserID}, guid(100)},
		} {
			called := false
			err := s.DeletePosition(t.Context(), k.owner, k.id, func(graphprofile.WorkPosition) error { called = true; return nil })
			wantNotFound(t, fmt.Sprintf("DeletePosition(%v, %q)", k.owner, k.id), err)
			if called {
				t.Errorf("DeletePosition(%v, %q) called check", k.owner, k.id)
			}
		}
		wantIDs(t, "ListPositions", mustList(t, s, owner), guid(100), guid(101))
	})
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

func testConcurrency(t *testing.T, open func(t *testing.T) graphprofile.Store) {
	t.Run("Updates", func(t *testing.T) {
		s := open(t)
		owner := mustEnsure(t, s, adele(tenantA)).Key()
		p := position(guid(100), base, "contended")
		p["categories"] = []any{}
		mustCreate(t, s, owner, p)

		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				mine := fmt.Sprintf("category-%02d", i)
				_, err := s.UpdatePosition(t.Context(), owner, p.ID(), func(cur graphprofile.WorkPosition) (graphprofile.WorkPosition, error) {
					next := clone(cur) // update may run more than once: leave cur alone
					cats, _ := next["categories"].([]any)
					next["categories"] = append(cats, mine)
					return next, nil
				})
				if err != nil {
					errs <- fmt.Errorf("UpdatePosition %d: %w", i, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		got := mustGet(t, s, owner, p.ID())
		cats, _ := got["categories"].([]any)
		seen := map[any]int{}
		for _, c := range cats {
			seen[c]++
		}
		for i := range n {
			if c := fmt.Sprintf("category-%02d", i); seen[c] != 1 {
				t.Errorf("%s appears %d times in categories", c, seen[c])
			}
		}
		if len(cats) != n {
			t.Errorf("categories has %d items, want %d", len(cats), n)
		}
	})

	t.Run("Creates", func(t *testing.T) {
		s := open(t)
		owners := []graphprofile.UserKey{
			mustEnsure(t, s, adele(tenantA)).Key(),
			mustEnsure(t, s, megan(tenantA)).Key(),
		}
		const workers, each = 20, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					owner := owners[(w+i)%len(owners)]
					p := position(guid(1000+w*each+i), base.Add(time.Duration(w*each+i)*time.Millisecond), "concurrent")
					if err := s.CreatePosition(t.Context(), owner, p); err != nil {
						errs <- err
					}
					// Reads interleave with the writes.
					if _, err := s.ListPositions(t.Context(), owner); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var want [2][]string
		for w := range workers {
			for i := range each {
				o := (w + i) % len(owners)
				want[o] = append(want[o], guid(1000+w*each+i))
			}
		}
		for o, owner := range owners {
			sort.Strings(want[o]) // created times follow the id numbers
			wantIDs(t, fmt.Sprint("ListPositions of owner ", o), mustList(t, s, owner), want[o]...)
		}
	})

	t.Run("EnsureSameUser", func(t *testing.T) {
		// A new user's first requests arrive together: all succeed and
		// return the same user, whichever token recorded it.
		for _, tc := range []struct {
			name  string
			token func(i int) graphprofile.User
		}{
			{"SameToken", func(int) graphprofile.User { return fullUser(tenantA, 1) }},
			{"DifferentTokens", func(i int) graphprofile.User {
				u := adele(tenantA)
				u.DisplayName = fmt.Sprint("Adele ", i)
				if i%2 == 1 {
					u.UserPrincipalName = fmt.Sprintf("adele%d@contoso.com", i)
				}
				return u
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				const n = 20
				results := make([]graphprofile.User, n)
				errs := make([]error, n)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						<-start
						results[i], errs[i] = s.EnsureUser(t.Context(), tc.token(i))
					})
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("EnsureUser %d: %v", i, err)
					}
				}
				stored, err := s.FindUser(t.Context(), tenantA, guid(1))
				if err != nil {
					t.Fatalf("FindUser: %v", err)
				}
				recorder := -1
				for i := range n {
					if sameUser(stored, tc.token(i)) {
						recorder = i
					}
				}
				if recorder < 0 {
					t.Errorf("the stored user %s is none of the tokens'", userString(stored))
				}
				for i, got := range results {
					wantUser(t, fmt.Sprint("EnsureUser ", i), got, stored)
				}
				wantUsers(t, "ListUsers", mustListUsers(t, s, tenantA), []graphprofile.User{stored})
			})
		}
	})

	t.Run("PrincipalNameContended", func(t *testing.T) {
		// New users with one principal name arrive together: exactly one
		// gets it, the others are recorded without one, and that stays so.
		s := open(t)
		const n = 10
		first := make([]graphprofile.User, n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				u := graphprofile.User{TenantID: tenantA, ID: guid(i), UserPrincipalName: "shared@CONTOSO.com", DisplayName: fmt.Sprint("user ", i)}
				for j := range 5 {
					got, err := s.EnsureUser(t.Context(), u)
					if err != nil {
						errs <- err
						return
					}
					if j == 0 {
						first[i] = got
					} else if !sameUser(got, first[i]) {
						errs <- fmt.Errorf("EnsureUser %d of user %d = %s, first %s", j, i, userString(got), userString(first[i]))
						return
					}
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		holder, err := s.FindUser(t.Context(), tenantA, "shared@contoso.com")
		if err != nil {
			t.Fatalf("FindUser: %v", err)
		}
		holders := 0
		for i := range n {
			want := graphprofile.User{TenantID: tenantA, ID: guid(i), DisplayName: fmt.Sprint("user ", i)}
			if guid(i) == holder.ID {
				holders++
				want.UserPrincipalName = "shared@CONTOSO.com"
			}
			wantFind(t, s, tenantA, guid(i), want)
			wantUser(t, fmt.Sprint("EnsureUser of user ", i), first[i], want)
		}
		if holders != 1 {
			t.Errorf("%d users hold the principal name, want 1", holders)
		}
	})
}

// Durability.

func testReopen(t *testing.T, open func(t *testing.T) graphprofile.Store, reopen func(t *testing.T, old graphprofile.Store) graphprofile.Store) {
	s := open(t)
	users := []graphprofile.User{adele(tenantA), megan(tenantA), adele(tenantB)}
	users[2].UserPrincipalName = "adele@fabrikam.com"
	for _, u := range users {
		mustEnsure(t, s, u)
	}
	owner := users[0].Key()
	want := map[graphprofile.UserKey][]graphprofile.WorkPosition{}
	for i, u := range users {
		for j := range 3 {
			var p graphprofile.WorkPosition
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
	updated, err := s.UpdatePosition(t.Context(), owner, guid(101), func(p graphprofile.WorkPosition) (graphprofile.WorkPosition, error) {
		p["detail"] = graphprofile.Object{"jobTitle": "updated before reopening"}
		p["lastModifiedDateTime"] = base.Add(72 * time.Hour)
		return p, nil
	})
	if err != nil {
		t.Fatalf("UpdatePosition: %v", err)
	}
	want[owner][1] = clone(updated)
	if err := s.DeletePosition(t.Context(), owner, guid(102), nil); err != nil {
		t.Fatalf("DeletePosition: %v", err)
	}
	want[owner] = want[owner][:2]
	if err := s.DeletePosition(t.Context(), users[1].Key(), guid(101), func(graphprofile.WorkPosition) error { return nil }); err != nil {
		t.Fatalf("DeletePosition with a check: %v", err)
	}
	want[users[1].Key()] = append(want[users[1].Key()][:1], want[users[1].Key()][2])
	if err := s.DeletePosition(t.Context(), users[1].Key(), guid(100), func(graphprofile.WorkPosition) error { return errRefused }); err != errRefused {
		t.Fatalf("DeletePosition with a refusing check: %v", err)
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
	want[enabled.Key()] = []graphprofile.WorkPosition{fullPosition(guid(100))}
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
	_, err = s.ListPositions(t.Context(), doomed.Key())
	wantNotFound(t, "ListPositions of a deleted user after reopening", err)
	for _, u := range users {
		ps := mustList(t, s, u.Key())
		w := want[u.Key()]
		if len(ps) != len(w) {
			t.Errorf("ListPositions(%v) after reopening: %d positions, want %d", u.Key(), len(ps), len(w))
			continue
		}
		for i := range w {
			wantPosition(t, fmt.Sprintf("ListPositions(%v)[%d] after reopening", u.Key(), i), ps[i], w[i])
		}
	}
	_, err = s.GetPosition(t.Context(), owner, guid(102))
	wantNotFound(t, "GetPosition of a deleted position after reopening", err)

	// The reopened store works.
	mustCreate(t, s, owner, position(guid(103), base.Add(5*time.Hour), "after reopening"))
	wantIDs(t, "ListPositions after a create", mustList(t, s, owner), guid(100), guid(101), guid(103))
	wantConflict(t, "CreateUser of a taken name after reopening", s.CreateUser(t.Context(), graphprofile.User{TenantID: tenantA, ID: guid(10), UserPrincipalName: "MEGANB@contoso.com"}), "userPrincipalName", "MEGANB@contoso.com")
	mustCreateUser(t, s, doomed)
	wantFind(t, s, tenantA, doomed.UserPrincipalName, doomed)
}
