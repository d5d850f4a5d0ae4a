package storetest

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

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

// workPositions is the collection the position fixtures are items of.
var workPositions = graphprofile.Collection{Name: "positions", Type: graphprofile.WorkPositionType}

// Fixtures the stores' own tests share with the suite.

// Positions is the profile's positions collection, which Position's items
// belong to.
func Positions() graphprofile.Collection { return workPositions }

// Tenant is Adele's tenant.
const Tenant = tenantA

// Adele returns a user of Tenant as her first token records her.
func Adele() graphprofile.User { return adele(tenantA) }

// Created returns a createdDateTime with all seven fractional digits used.
func Created() time.Time { return base }

// Position returns a position of Adele's as the service creates one, with
// values of most kinds: strings, an enum, a Date, an Int32, a collection and
// nested objects.
func Position(id string, created time.Time) graphprofile.Item {
	p := position(id, created, "Software Engineer")
	p["categories"] = []any{"engineering"}
	p["detail"] = graphprofile.Object{
		"jobTitle":       "Software Engineer",
		"company":        graphprofile.Object{"displayName": "Contoso", "department": "R&D", "address": graphprofile.Object{"city": "Redmond", "type": "business"}},
		"layer":          int64(2),
		"startMonthYear": graphprofile.Date("2021-04-01"),
	}
	p["isCurrent"] = true
	return p
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
		Details:           fullDetails(n),
	}
}

// fullDetails sets every property of graphprofile.UserType that User has no
// field for, with values a store might mangle: quotes, backslashes,
// non-ASCII, a time with 100 ns.
func fullDetails(n int) graphprofile.Object {
	return graphprofile.Object{
		"businessPhones":    []any{fmt.Sprintf("+1 425 555 %04d", n)},
		"city":              "São Paulo",
		"companyName":       `Contoso "Ltd" \ 日本`,
		"country":           "BR",
		"department":        "Ventes; DROP TABLE users; --",
		"employeeHireDate":  time.Date(2019, 6, 1, 8, 30, 0, 1234500, time.UTC),
		"employeeId":        fmt.Sprint("E-", n),
		"employeeType":      "Employee",
		"faxNumber":         "+55 11 5555 0000",
		"mobilePhone":       "+55 11 95555 0001",
		"officeLocation":    "18/2111",
		"postalCode":        "01310-100",
		"preferredLanguage": "pt-BR",
		"state":             "SP",
		"streetAddress":     "Av. Paulista, 1000\nAndar 18",
		"usageLocation":     "BR",
	}
}

func boolPtr(b bool) *bool { return &b }

// position returns a position as the service creates one: id, timestamps,
// createdBy/lastModifiedBy, allowedAudiences and a detail.
func position(id string, created time.Time, jobTitle string) graphprofile.Item {
	by := graphprofile.Object{"user": graphprofile.Object{"id": guid(1), "displayName": "Adele Vance"}}
	return graphprofile.Item{
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
func fullPosition(id string) graphprofile.Item {
	p := position(id, base, "Développeuse 🚀 senior")
	p["lastModifiedDateTime"] = base.Add(36*time.Hour + 100*time.Nanosecond)
	p["lastModifiedBy"] = graphprofile.Object{"application": graphprofile.Object{"id": "app-hr-sync", "displayName": "HR sync"}}
	p["allowedAudiences"] = "contacts,organization"
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

func mustCreate(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey, p graphprofile.Item) {
	t.Helper()
	if err := s.CreateItem(t.Context(), owner, workPositions, p, 0); err != nil {
		t.Fatalf("CreateItem(%v, %s): %v", owner, p.ID(), err)
	}
}

func mustGet(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey, id string) graphprofile.Item {
	t.Helper()
	p, err := s.GetItem(t.Context(), owner, workPositions, id)
	if err != nil {
		t.Fatalf("GetItem(%v, %s): %v", owner, id, err)
	}
	return p
}

func mustList(t *testing.T, s graphprofile.Store, owner graphprofile.UserKey) []graphprofile.Item {
	t.Helper()
	ps, err := graphprofile.AllItems(t.Context(), s, owner, workPositions)
	if err != nil {
		t.Fatalf("ListItems(%v): %v", owner, err)
	}
	return ps
}

// sameUser reports whether a and b have the same properties (AccountEnabled
// and Details compared by value; no Details and empty Details are the same).
func sameUser(a, b graphprofile.User) bool {
	return userString(a) == userString(b)
}

// userString formats u with the value of AccountEnabled and its Details as
// their stored JSON (in schema order, so equal Details read alike).
func userString(u graphprofile.User) string {
	enabled := "<nil>"
	if u.AccountEnabled != nil {
		enabled = fmt.Sprint(*u.AccountEnabled)
	}
	details := graphprofile.AppendObjectJSON(nil, graphprofile.UserType, u.Details, graphprofile.EncodeOptions{OmitNulls: true})
	return fmt.Sprintf("{TenantID:%s ID:%s UserPrincipalName:%q DisplayName:%q Mail:%q MailNickname:%q GivenName:%q Surname:%q JobTitle:%q AccountEnabled:%s Details:%s}",
		u.TenantID, u.ID, u.UserPrincipalName, u.DisplayName, u.Mail, u.MailNickname, u.GivenName, u.Surname, u.JobTitle, enabled, details)
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
	us, err := graphprofile.AllUsers(t.Context(), s, tenant)
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

// wantInternal checks that err is an internal failure: not nil, no
// *graphprofile.Error a client would be shown, neither a *ConflictError nor
// ErrNotFound, and not ErrUnavailable (a retry cures nothing).
func wantInternal(t *testing.T, what string, err error) {
	t.Helper()
	var c *graphprofile.ConflictError
	var public *graphprofile.Error
	if err == nil || errors.As(err, &public) || errors.As(err, &c) ||
		errors.Is(err, graphprofile.ErrNotFound) || errors.Is(err, graphprofile.ErrUnavailable) {
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

func wantPosition(t *testing.T, what string, got, want graphprofile.Item) {
	t.Helper()
	if d := Diff(graphprofile.Object(want), graphprofile.Object(got)); d != "" {
		t.Errorf("%s differs:\n%s", what, d)
	}
}

func wantIDs(t *testing.T, what string, ps []graphprofile.Item, want ...string) {
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
	case float64:
		// -0 is not 0: a store must keep the sign it was given.
		if g := got.(float64); g != w || math.Signbit(g) != math.Signbit(w) {
			fmt.Fprintf(b, "%s: got %v, want %v\n", path, g, w)
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
func clone(p graphprofile.Item) graphprofile.Item {
	return graphprofile.Item(cloneValue(graphprofile.Object(p)).(graphprofile.Object))
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

// threeProfiles makes adele and megan of tenantA and adele's twin (her id
// in tenantB), each with three positions, a second apart: adele's are
// guid(100) to guid(102), megan's guid(110) to guid(112), the twin's
// guid(120) to guid(122).
func threeProfiles(t *testing.T, s graphprofile.Store) (a, m, twin graphprofile.User) {
	t.Helper()
	a = mustEnsure(t, s, adele(tenantA))
	m = mustEnsure(t, s, megan(tenantA))
	twin = mustEnsure(t, s, adele(tenantB))
	for i, owner := range []graphprofile.UserKey{a.Key(), m.Key(), twin.Key()} {
		for j := range 3 {
			mustCreate(t, s, owner, position(guid(100+10*i+j), base.Add(time.Duration(j)*time.Second), "job"))
		}
	}
	return a, m, twin
}
