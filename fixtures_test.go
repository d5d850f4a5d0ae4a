package graphprofile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// fixturesOf is a fixtures file of one tenant with the given users.
func fixturesOf(users ...string) string {
	return `{"tenants": [{"id": "t1", "users": [` + strings.Join(users, ",\n") + `]}]}`
}

// wideID is an id of n characters of three bytes each in UTF-8 (CJK
// ideographs): within an id's limit of 1,024 characters, beyond the bytes
// the stores' keys hold (MaxKeyBytes).
func wideID(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteRune(rune(0x4e00 + i))
	}
	return b.String()
}

const (
	ada   = `{"id": "11111111-1111-4111-8111-111111111111", "displayName": "Ada", "userPrincipalName": "ada@example.test"`
	grace = `{"displayName": "Grace", "userPrincipalName": "grace@example.test"`
)

// TestParseFixturesErrors: each problem is told where it is (line, column,
// path), with Graph's message where Graph validates the same thing.
func TestParseFixturesErrors(t *testing.T) {
	for _, tc := range []struct{ name, file, want string }{
		{"Empty", ``, `f.json:1:1: The request body is empty; it must be a JSON object of type 'graphprofile.fixtures'.`},
		{"NotAnObject", `[]`, `f.json:1:1: The request body must be a JSON object of type 'graphprofile.fixtures'.`},
		{"Truncated", `{"tenants": [`, `f.json:1:14: tenants: not valid JSON: unexpected end of input.`},
		{"TrailingComma", "{\"tenants\": [\n  {\"id\": \"t1\",}]}", `f.json:2:15: tenants[0]: not valid JSON: expected a property name.`},
		// A problem is named by the innermost member or element that holds
		// it: one after the document's end by none (it was named by the
		// last member that began before it), one after an element by its
		// array (it was named by an element that does not exist), a
		// trailing comma by its object (it was named by the member before).
		{"AfterTheDocument", "{\"tenants\": [{\"id\": \"t1\", \"users\": []}]}\n]", `f.json:2:1: not valid JSON: unexpected data after the JSON object.`},
		{"AfterAnElement", "{\"tenants\": [{\"id\": \"t1\"}\n", `f.json:2:1: tenants: not valid JSON: expected ',' or ']' in an array.`},
		{"UnknownTopLevel", `{"tenant": []}`, `f.json:1:2: tenant: The property 'tenant' does not exist on type 'graphprofile.fixtures'. Make sure to only use property names that are defined by the type or mark the type as open type.`},
		{"TenantWithoutID", `{"tenants": [{"users": []}]}`, `f.json:1:14: tenants[0]: A tenant needs an id: letters, digits and hyphens, as a token's tid.`},
		{"BadTenantID", `{"tenants": [{"id": "a|b"}]}`, `f.json:1:15: tenants[0].id: A tenant needs an id: letters, digits and hyphens, as a token's tid.`},
		{"TenantIDOf65Characters", `{"tenants": [{"id": "` + strings.Repeat("a", 65) + `"}]}`, `f.json:1:15: tenants[0].id: A tenant needs an id: letters, digits and hyphens, as a token's tid.`},
		{"TenantTwice", `{"tenants": [{"id": "t1"}, {"id": "t1"}]}`, `f.json:1:29: tenants[1].id: The tenant t1 of this issuer is also tenants[0]; give each tenant once.`},
		{"UnknownUserProperty", fixturesOf(ada + `, "nickname": "A"}`), `f.json:1:147: tenants[0].users[0].nickname: The property 'nickname' does not exist on type 'microsoft.graph.user'. Make sure to only use property names that are defined by the type or mark the type as open type.`},
		// A user may be as the directory records one at sign-in
		// (TestExportSignedInUsers), but its id is never a principal name.
		{"UserIDIsPrincipalName", fixturesOf(`{"id": "ada@example.test", "displayName": "Ada"}`), `f.json:1:37: tenants[0].users[0]: Invalid value specified for property 'id' of resource 'User'.`},
		{"EmptyUserID", fixturesOf(`{"id": "", "displayName": "Ada", "userPrincipalName": "ada@example.test"}`), `f.json:1:37: tenants[0].users[0]: Invalid value specified for property 'id' of resource 'User'.`},
		{"SamePrincipalName", fixturesOf(ada+`}`, `{"displayName": "Ada 2", "userPrincipalName": "ADA@example.test"}`), `f.json:2:26: tenants[0].users[1].userPrincipalName: Another user of the tenant, users[0], has the same userPrincipalName.`},
		{"PositionBadDate", fixturesOf(ada + `,
 "profile": {"positions": [
   {"detail": {"jobTitle": "Écrivaine", "startMonthYear": "2020-13-01"}}]}}`),
			`f.json:3:59: tenants[0].users[0].profile.positions[0].detail.startMonthYear: Invalid value '2020-13-01' for property 'startMonthYear' of type 'microsoft.graph.positionDetail': expected an Edm.Date in the form YYYY-MM-DD.`},
		{"UnknownCollection", fixturesOf(ada + `, "profile": {"hobbies": []}}`), `f.json:1:159: tenants[0].users[0].profile.hobbies: The property 'hobbies' does not exist on type 'microsoft.graph.profile'. Make sure to only use property names that are defined by the type or mark the type as open type.`},
		{"SkillBadEnum", fixturesOf(ada + `, "profile": {"skills": [{"displayName": "Go", "proficiency": "guru"}]}}`),
			`f.json:1:207: tenants[0].users[0].profile.skills[0].proficiency: Invalid value 'guru' for property 'proficiency' of type 'microsoft.graph.skillProficiency': expected one of elementary, limitedWorking, generalProfessional, advancedProfessional, expert, unknownFutureValue.`},
		{"NullItem", fixturesOf(ada + `, "profile": {"emails": [null]}}`), `f.json:1:170: tenants[0].users[0].profile.emails[0]: The collection property 'emails' of type 'microsoft.graph.profile' cannot contain null.`},
		{"SameItemID", fixturesOf(ada + `, "profile": {"positions": [{"id": "p1"}, {"id": "p1"}]}}`), `f.json:1:188: tenants[0].users[0].profile.positions[1].id: positions[0] has the same id; ids are unique within a collection.`},
		{"EmptyItemID", fixturesOf(ada + `, "profile": {"positions": [{"id": ""}]}}`), `f.json:1:174: tenants[0].users[0].profile.positions[0].id: An item's id, when given, must not be empty.`},
		{"CreatedOutOfRange", fixturesOf(ada + `, "profile": {"positions": [{"createdDateTime": "3000-01-01T00:00:00Z"}]}}`), `f.json:1:174: tenants[0].users[0].profile.positions[0].createdDateTime: The createdDateTime must be from 1677-09-21T00:12:43.1452242Z to 2262-04-11T23:47:16.8547758Z, the instants the server keeps.`},
		// The earliest instant an int64 of nanoseconds holds is not a
		// multiple of 100 ns: kept to the 100 ns it falls below, and
		// the load answered 500.
		{"CreatedTruncatedOutOfRange", fixturesOf(ada + `, "profile": {"positions": [{"createdDateTime": "1677-09-21T00:12:43.145224192Z"}]}}`), `f.json:1:174: tenants[0].users[0].profile.positions[0].createdDateTime: The createdDateTime must be from 1677-09-21T00:12:43.1452242Z to 2262-04-11T23:47:16.8547758Z, the instants the server keeps.`},
		// The keys of an item, together, fit what every store indexes
		// (PostgreSQL answered these 500, SQLite stored them).
		{"WideUserID", fixturesOf(`{"id": "` + wideID(1000) + `", "displayName": "W"}`), `f.json:1:38: tenants[0].users[0].id: The id takes 3000 bytes of UTF-8, more than the 2541 a user's id may take in this tenant, whose key and the keys of the user's items take the rest of the 2600 bytes every store indexes.`},
		{"WideItemID", fixturesOf(ada + `, "profile": {"skills": [{"id": "` + wideID(1000) + `", "displayName": "Go"}]}}`), `f.json:1:171: tenants[0].users[0].profile.skills[0].id: The id takes 3000 bytes of UTF-8, more than the 2541 an item's id of this user may take: the keys of its tenant, its user and its collection take the rest of the 2600 bytes every store indexes.`},
		{"LongIssuerAndUserID", `{"tenants": [{"id": "t1", "issuer": "https://idp.example/` + strings.Repeat("x", 2000) + `", "users": [{"id": "` + strings.Repeat("u", 1000) + `", "displayName": "U"}]}]}`, `f.json:1:2072: tenants[0].users[0].id: The id takes 1000 bytes of UTF-8, more than the 520 a user's id may take in this tenant, whose key and the keys of the user's items take the rest of the 2600 bytes every store indexes.`},
		// PostgreSQL's index of the users in the order of their names holds
		// the tenant's key, the name's key (NameKey) and the id: the load
		// answered 500 there, and the migration of a database holding such
		// a user failed.
		{"LongIssuerUserIDAndName", `{"tenants": [{"id": "t1", "issuer": "https://idp.example/` + strings.Repeat("x", 2000) + `", "users": [{"id": "` + strings.Repeat("u", 500) + `", "displayName": "` + strings.Repeat("Ü", 40) + `"}]}]}`, `f.json:1:2582: tenants[0].users[0].displayName: The displayName takes 80 bytes of UTF-8 in lower case, more than the 77 it may take beside the user's id in this tenant, whose key and the user's id take the rest of the 2600 bytes every store indexes.`},
		{"WideIssuer", `{"tenants": [{"id": "t1", "issuer": "https://idp.example/` + wideID(1000) + `"}]}`, `f.json:1:27: tenants[0].issuer: The tenant's key, its id and the issuer's URL, takes 3023 bytes of UTF-8: the keys of its users' items would take more than the 2600 bytes every store indexes.`},
		// One byte past the room: an id of 2,542 bytes (846 ideographs and
		// four letters) where 2,541 fit.
		{"UserIDOneByteTooWide", fixturesOf(`{"id": "` + wideID(846) + `xxxx", "displayName": "W"}`), `f.json:1:38: tenants[0].users[0].id: The id takes 2542 bytes of UTF-8, more than the 2541 a user's id may take in this tenant, whose key and the keys of the user's items take the rest of the 2600 bytes every store indexes.`},
		{"ItemIDOneByteTooWide", fixturesOf(ada + `, "profile": {"skills": [{"id": "` + wideID(846) + `xxxx", "displayName": "Go"}]}}`), `f.json:1:171: tenants[0].users[0].profile.skills[0].id: The id takes 2542 bytes of UTF-8, more than the 2541 an item's id of this user may take: the keys of its tenant, its user and its collection take the rest of the 2600 bytes every store indexes.`},
		// A tenant's key leaving its users' ids room for 35 bytes, not
		// the 36 of a GUID.
		{"IssuerLeavingNoRoomForAGUID", `{"tenants": [{"id": "t1", "issuer": "https://idp.example/x` + wideID(828) + `"}]}`, `f.json:1:27: tenants[0].issuer: The tenant's key, its id and the issuer's URL, takes 2508 bytes of UTF-8: the keys of its users' items would take more than the 2600 bytes every store indexes.`},
		// serve ignores one trailing slash of an --issuer URL: the two
		// are one tenant.
		{"TenantTwiceOneTrailingSlash", `{"tenants": [{"id": "t1", "issuer": "https://idp.example"}, {"id": "t1", "issuer": "https://idp.example/"}]}`, `f.json:1:62: tenants[1].id: The tenant t1 of this issuer is also tenants[0]; give each tenant once.`},
		// A not-null property of an item is refused as a create refuses it.
		{"NullEmailType", fixturesOf(ada + `, "profile": {"emails": [{"address": "ada@example.test", "type": null}]}}`), `f.json:1:170: tenants[0].users[0].profile.emails[0]: A null value was found for the property named 'type', which has the expected type 'microsoft.graph.emailType[Nullable=False]'. The expected type 'microsoft.graph.emailType[Nullable=False]' does not allow null values.`},
		// As in a request: a file holds what the API takes.
		{"TooManyCategories", fixturesOf(ada + `, "profile": {"positions": [{"categories": [` + strings.Repeat(`"c",`, 100) + `"c"]}]}}`), `f.json:1:589: tenants[0].users[0].profile.positions[0].categories[100]: The collection property 'categories' of type 'microsoft.graph.workPosition' has more than 100 items.`},
		{"BadTimestamp", fixturesOf(ada + `, "profile": {"positions": [{"lastModifiedDateTime": "yesterday"}]}}`), `f.json:1:198: tenants[0].users[0].profile.positions[0].lastModifiedDateTime: Invalid value 'yesterday' for property 'lastModifiedDateTime' of type 'microsoft.graph.workPosition': expected an Edm.DateTimeOffset.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := graphprofile.ParseFixtures("f.json", []byte(tc.file))
			var ferr *graphprofile.FixturesError
			if !errors.As(err, &ferr) {
				t.Fatalf("ParseFixtures: %v; want a *FixturesError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("ParseFixtures:\n got %s\nwant %s", err, tc.want)
			}
			var gerr *graphprofile.Error
			if !errors.As(err, &gerr) || gerr.Code != graphprofile.CodeBadRequest || gerr.Message != tc.want {
				t.Errorf("the Graph error of %v is %v; want a BadRequest with its text", err, gerr)
			}
		})
	}
}

// TestParseFixturesAtTheLimits: what just fits is taken: ids of exactly
// the bytes the stores' keys leave them (2,541 in tenant t1), an issuer
// leaving a user's id exactly a GUID's 36 bytes, a tenant id of 64
// characters.
func TestParseFixturesAtTheLimits(t *testing.T) {
	file := `{"tenants": [
 {"id": "t1", "users": [` + ada + `, "profile": {"skills": [{"id": "` + wideID(847) + `", "displayName": "Go"}]}},
   {"id": "` + wideID(847) + `", "displayName": "W"}]},
 {"id": "t1", "issuer": "https://idp.example/` + wideID(828) + `", "users": [{"displayName": "G", "userPrincipalName": "g@example.test"}]},
 {"id": "` + strings.Repeat("a", 64) + `"}]}`
	f, err := graphprofile.ParseFixtures("f.json", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tenants) != 3 || len(f.Tenants[0].Users) != 2 || len(f.Tenants[1].Users) != 1 {
		t.Fatalf("parsed %+v", f.Tenants)
	}
	if id := f.Tenants[0].Users[0].Profile[0].Items[0].ID(); len(id) != 2541 {
		t.Errorf("the item's id takes %d bytes, want 2541", len(id))
	}
	if id := f.Tenants[0].Users[1].User.ID; len(id) != 2541 {
		t.Errorf("the user's id takes %d bytes, want 2541", len(id))
	}
	if key := f.Tenants[1].Key(); len(key) != 2507 {
		t.Errorf("the tenant's key takes %d bytes, want 2507", len(key))
	}
}

// TestFixturesTimeRange: the first and the last instant the refusal above
// names load, and read back as given; 1677, before the first, does not.
func TestFixturesTimeRange(t *testing.T) {
	for _, tc := range []struct{ at, want string }{
		{"1677-09-21T00:12:43.1452242Z", "1677-09-21T00:12:43.1452242Z"},
		{"2262-04-11T23:47:16.8547758Z", "2262-04-11T23:47:16.8547758Z"},
		{"2262-04-11T23:47:16.85477580Z", "2262-04-11T23:47:16.8547758Z"},
		// Kept to the 100 ns Graph's seven digits carry, as a create keeps
		// its times (Service.now).
		{"2024-05-01T08:30:15.123456789Z", "2024-05-01T08:30:15.1234567Z"},
	} {
		f, err := graphprofile.ParseFixtures("f.json", []byte(fixturesOf(ada+`, "profile": {"positions": [{"createdDateTime": "`+tc.at+`", "lastModifiedDateTime": "`+tc.at+`"}]}}`)))
		if err != nil {
			t.Errorf("%s: %v", tc.at, err)
			continue
		}
		it := f.Tenants[0].Users[0].Profile[0].Items[0]
		for _, name := range []string{"createdDateTime", "lastModifiedDateTime"} {
			want, _ := time.Parse(time.RFC3339Nano, tc.want)
			if got := it[name].(time.Time); !got.Equal(want) {
				t.Errorf("%s: %s %s, want %s", tc.at, name, got.Format(time.RFC3339Nano), tc.want)
			}
		}
	}
}

// TestLoadFixtures: what a file leaves out is made as a create makes it,
// in the file's order; what it gives is kept; loading replaces a user's
// whole profile; a principal name of another user is Graph's conflict.
func TestLoadFixtures(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	n := 0
	store := newMemStore()
	svc := &graphprofile.Service{Store: store, Now: func() time.Time { return now }, NewID: func() string { n++; return fmt.Sprint("new-", n) }}
	f, err := graphprofile.ParseFixtures("f.json", []byte(fixturesOf(ada+`, "profile": {"positions": [
		{"detail": {"jobTitle": "first"}},
		{"id": "kept", "createdDateTime": "2020-01-01T00:00:00Z", "allowedAudiences": "me"},
		{"detail": {"jobTitle": "third"}},
		{"id": "changed-before-the-load", "lastModifiedDateTime": "2021-03-04T05:06:07Z"},
		{"id": "both-given", "createdDateTime": "2024-01-02T00:00:00Z", "lastModifiedDateTime": "2024-01-01T00:00:00Z"}]}}`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.LoadFixtures(t.Context(), f); err != nil {
		t.Fatalf("LoadFixtures: %v", err)
	}
	owner := graphprofile.UserKey{TenantID: "t1", UserID: "11111111-1111-4111-8111-111111111111"}
	items, err := graphprofile.AllItems(t.Context(), store, owner, graphprofile.ProfileCollections()[positionsIndex(t)])
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		id, audiences       string
		created, lastChange time.Time
	}
	var got []summary
	for _, it := range items {
		got = append(got, summary{it.ID(), it["allowedAudiences"].(string), it.CreatedDateTime(), it.LastModifiedDateTime()})
	}
	want := []summary{
		// Made when given, last written by the load: a reload of other
		// content changes its ETag.
		{"kept", "me", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), now.Add(100 * time.Nanosecond)},
		// Last changed before the load, and made no later than that.
		{"changed-before-the-load", "organization", time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC), time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)},
		// Both given are kept as given, whatever their order: an earlier
		// build loaded such an item, and its export must load again.
		{"both-given", "organization", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"new-1", "organization", now, now},
		{"new-2", "organization", now.Add(200 * time.Nanosecond), now.Add(200 * time.Nanosecond)},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("loaded positions:\n got %v\nwant %v", got, want)
	}

	// Loading again replaces the profile whole.
	f, err = graphprofile.ParseFixtures("f.json", []byte(fixturesOf(ada+`}`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.LoadFixtures(t.Context(), f); err != nil {
		t.Fatalf("LoadFixtures again: %v", err)
	}
	if items, err := graphprofile.AllItems(t.Context(), store, owner, graphprofile.ProfileCollections()[positionsIndex(t)]); err != nil || len(items) != 0 {
		t.Errorf("positions after loading Ada without a profile: %v, %v; want none", items, err)
	}

	// Another user's principal name, given with an id of its own.
	f, err = graphprofile.ParseFixtures("f.json", []byte(fixturesOf(`{"id": "22222222-2222-4222-8222-222222222222", "displayName": "Impostor", "userPrincipalName": "ADA@example.test"}`)))
	if err != nil {
		t.Fatal(err)
	}
	err = svc.LoadFixtures(t.Context(), f)
	var gerr *graphprofile.Error
	// The message names which of the file's users it is, and where, as
	// every other refusal of a fixtures document does: in a file of
	// hundreds of users, Graph's words alone leave a test's author
	// searching.
	if !errors.As(err, &gerr) || gerr.Code != graphprofile.CodeDirectoryBadRequest ||
		gerr.Message != "f.json:1:111: tenants[0].users[0].userPrincipalName: Another object with the same value for property userPrincipalName already exists: the user '11111111-1111-4111-8111-111111111111' of the tenant holds 'ada@example.test', and the fixtures do not replace that user." {
		t.Errorf("LoadFixtures of a taken principal name: %v", err)
	}
}

// TestLoadFixturesWithoutIDs: a user the file gives no id is the tenant's
// user of that principal name, when there is one: loading the same file
// again replaces that user and its profile (decisions.md: a reload of the
// same file is idempotent), as docs/fixtures.md's example, whose users
// have no id, is loaded before each test. A new id was made at each load,
// and the second load was refused: the principal name was taken.
func TestLoadFixturesWithoutIDs(t *testing.T) {
	store := newMemStore()
	svc := &graphprofile.Service{Store: store}
	load := func(doc string) {
		t.Helper()
		f, err := graphprofile.ParseFixtures("f.json", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.LoadFixtures(t.Context(), f); err != nil {
			t.Fatalf("LoadFixtures: %v", err)
		}
	}
	skills, ok := graphprofile.FindCollection("skills")
	if !ok {
		t.Fatal("no skills collection")
	}
	load(fixturesOf(grace + `, "profile": {"skills": [{"displayName": "Go"}, {"displayName": "SQL"}]}}`))
	first, err := store.FindUser(t.Context(), "t1", "grace@example.test")
	if err != nil {
		t.Fatal(err)
	}
	// The same user again, its principal name in another case, with
	// another profile and name.
	load(fixturesOf(`{"displayName": "Grace H.", "userPrincipalName": "Grace@Example.test", "profile": {"skills": [{"displayName": "COBOL"}]}}`))
	users, err := graphprofile.AllUsers(t.Context(), store, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].ID != first.ID || users[0].DisplayName != "Grace H." {
		t.Fatalf("users after the second load: %+v, want one, %s, renamed", users, first.ID)
	}
	items, err := graphprofile.AllItems(t.Context(), store, graphprofile.UserKey{TenantID: "t1", UserID: first.ID}, skills)
	if err != nil || len(items) != 1 || items[0]["displayName"] != "COBOL" {
		t.Errorf("skills after the second load: %v, %v; want COBOL alone", items, err)
	}
	// A principal name that is another user's id: the user of that name
	// is found, not the user of that id (a store's FindUser takes either,
	// the id first).
	other := fixturesOf(`{"id": "alice", "displayName": "X", "userPrincipalName": "x@example.test"}`,
		`{"displayName": "Y", "userPrincipalName": "alice"}`)
	load(other)
	load(other)
	if users, err := graphprofile.AllUsers(t.Context(), store, "t1"); err != nil || len(users) != 3 {
		t.Fatalf("users after loading Y twice: %+v, %v; want Grace, X and Y", users, err)
	}

	// The holder given by its id with another name, and a user without
	// an id taking the name it leaves: two users (or, where the store
	// checks names before it renames, the taken name refused), never one
	// id given to both.
	f, err := graphprofile.ParseFixtures("f.json", []byte(fixturesOf(`{"id": "`+first.ID+`", "displayName": "Grace", "userPrincipalName": "grace.h@example.test"}`,
		`{"displayName": "Another Grace", "userPrincipalName": "grace@example.test"}`)))
	if err != nil {
		t.Fatal(err)
	}
	loadErr := svc.LoadFixtures(t.Context(), f)
	users, err = graphprofile.AllUsers(t.Context(), store, "t1")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.UserPrincipalName] = u.ID
	}
	var gerr *graphprofile.Error
	switch {
	case loadErr == nil:
		if len(users) != 4 || names["grace.h@example.test"] != first.ID || names["grace@example.test"] == "" || names["grace@example.test"] == first.ID {
			t.Errorf("users after the third load: %+v, want %s renamed and a new user", users, first.ID)
		}
	case !errors.As(loadErr, &gerr) || !strings.Contains(gerr.Message, "Another object with the same value for property userPrincipalName"):
		t.Errorf("the third load: %v, want it done or the taken name refused", loadErr)
	case len(users) != 3 || !strings.EqualFold(userByID(users, first.ID).UserPrincipalName, "grace@example.test"):
		t.Errorf("users after the refused third load: %+v, want them as they were", users)
	}
}

// userByID is the user of users whose id is id, or the zero User.
func userByID(users []graphprofile.User, id string) graphprofile.User {
	for _, u := range users {
		if u.ID == id {
			return u
		}
	}
	return graphprofile.User{}
}

// TestLoadFixturesWithoutIDsMatchWholeNames: a user the fixtures give no
// id replaces the user of its whole principal name, never one whose name
// only begins with it (the stores find the holder on a prefix index).
func TestLoadFixturesWithoutIDsMatchWholeNames(t *testing.T) {
	store := newMemStore()
	svc := &graphprofile.Service{Store: store}
	for _, doc := range []string{
		fixturesOf(`{"id": "22222222-2222-4222-8222-222222222222", "displayName": "Grace UK", "userPrincipalName": "grace@example.test.uk"}`),
		fixturesOf(grace + `}`),
	} {
		f, err := graphprofile.ParseFixtures("f.json", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.LoadFixtures(t.Context(), f); err != nil {
			t.Fatalf("LoadFixtures: %v", err)
		}
	}
	users, err := graphprofile.AllUsers(t.Context(), store, "t1")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.UserPrincipalName] = u.ID
	}
	if len(users) != 2 || names["grace@example.test.uk"] != "22222222-2222-4222-8222-222222222222" || names["grace@example.test"] == "" {
		t.Errorf("users %+v: want Grace UK kept and Grace added", users)
	}
}

// loadAdasSkills loads fixtures of ada with the skills given (JSON objects,
// comma-separated) into an empty store, the service's clock at now, and
// returns her skills as stored.
func loadAdasSkills(t *testing.T, now time.Time, skillsJSON string) []graphprofile.Item {
	t.Helper()
	store := newMemStore()
	svc := &graphprofile.Service{Store: store, Now: func() time.Time { return now }}
	f, err := graphprofile.ParseFixtures("f.json", []byte(fixturesOf(ada+`, "profile": {"skills": [`+skillsJSON+`]}}`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.LoadFixtures(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	skills, _ := graphprofile.FindCollection("skills")
	items, err := graphprofile.AllItems(t.Context(), store, graphprofile.UserKey{TenantID: "t1", UserID: "11111111-1111-4111-8111-111111111111"}, skills)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// TestLoadFixturesCreatedLater: an item the fixtures give a createdDateTime
// after the load and no lastModifiedDateTime is last modified when it was
// created, never before.
func TestLoadFixturesCreatedLater(t *testing.T) {
	now := time.Date(2024, time.May, 1, 8, 0, 0, 0, time.UTC)
	items := loadAdasSkills(t, now, `{"displayName": "Go", "createdDateTime": "2030-01-02T03:04:05Z"}`)
	if len(items) != 1 {
		t.Fatalf("skills %v", items)
	}
	created := time.Date(2030, time.January, 2, 3, 4, 5, 0, time.UTC)
	if got := items[0].LastModifiedDateTime(); !got.Equal(created) || !items[0].CreatedDateTime().Equal(created) {
		t.Errorf("created %v, last modified %v; want both %v", items[0].CreatedDateTime(), got, created)
	}
}

// TestLoadFixturesIDsHoldTheLoadTime: an item a file gives no id gets a
// time-ordered one (version 7) holding the load's time, the instant of its
// createdDateTime, read from the service's clock (the admin API's, when
// set), never the machine's.
func TestLoadFixturesIDsHoldTheLoadTime(t *testing.T) {
	now := time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)
	items := loadAdasSkills(t, now, `{"displayName": "Go"}, {"displayName": "SQL"}`)
	if len(items) != 2 {
		t.Fatalf("skills %v", items)
	}
	want := fmt.Sprintf("%012x7", now.UnixMilli())
	for _, it := range items {
		if id := strings.ReplaceAll(it.ID(), "-", ""); !strings.HasPrefix(id, want) {
			t.Errorf("%v: id %q, want a version 7 GUID holding %s ms (%v)", it["displayName"], it.ID(), want[:12], now)
		}
	}
}

// TestExportFixtures: an export loads into an empty store as the same
// store: its export is the same file.
func TestExportFixtures(t *testing.T) {
	file := `{"tenants": [
		{"id": "t2", "issuer": "https://issuer.example.test/t2", "users": [` + grace + `, "profile": {"emails": [{"address": "g@example.test"}]}}]},
		{"id": "t1", "users": [` + ada + `, "givenName": "Ada", "profile": {"positions": [{"detail": {"jobTitle": "Analyst"}}], "skills": [{"displayName": "Go"}]}}]}]}`
	f, err := graphprofile.ParseFixtures("f.json", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	export := func(f graphprofile.Fixtures) string {
		t.Helper()
		store := newMemStore()
		if err := (&graphprofile.Service{Store: store}).LoadFixtures(t.Context(), f); err != nil {
			t.Fatalf("LoadFixtures: %v", err)
		}
		exported, err := graphprofile.ExportFixtures(t.Context(), store)
		if err != nil {
			t.Fatalf("ExportFixtures: %v", err)
		}
		return string(graphprofile.AppendFixturesJSON(nil, exported))
	}
	first := export(f)
	again, err := graphprofile.ParseFixtures("exported.json", []byte(first))
	if err != nil {
		t.Fatalf("the export does not parse: %v\n%s", err, first)
	}
	if second := export(again); second != first {
		t.Errorf("the export of a loaded export differs:\n%s\nwant\n%s", second, first)
	}
	for _, want := range []string{`"issuer": "https://issuer.example.test/t2"`, `"givenName": "Ada"`, `"jobTitle": "Analyst"`, `"address": "g@example.test"`} {
		if !strings.Contains(first, want) {
			t.Errorf("the export has no %s:\n%s", want, first)
		}
	}
	if i, j := strings.Index(first, `"id": "t1"`), strings.Index(first, `"id": "t2"`); i < 0 || j < i {
		t.Errorf("tenants are not in order of their keys:\n%s", first)
	}
	// Only the collections that hold items, and no issuer for the
	// development issuer's tenant.
	for _, unwanted := range []string{`"phones"`, `"languages"`, `[]`, `"issuer": ""`} {
		if strings.Contains(first, unwanted) {
			t.Errorf("the export has %s:\n%s", unwanted, first)
		}
	}

	// One user, named by its GUID in upper case, as /users/{id} takes it.
	const hexID = "abcdef00-0000-4000-8000-0000000000ab"
	hex, err := graphprofile.ParseFixtures("hex.json", []byte(fixturesOf(`{"id": "`+hexID+`", "displayName": "Hex", "profile": {"skills": [{"displayName": "Go"}]}}`)))
	if err != nil {
		t.Fatal(err)
	}
	store := newMemStore()
	if err := (&graphprofile.Service{Store: store}).LoadFixtures(t.Context(), hex); err != nil {
		t.Fatal(err)
	}
	one, err := graphprofile.ExportTenantFixtures(t.Context(), store, "t1", hexID)
	if err != nil || len(one.Users) != 1 || one.Users[0].User.DisplayName != "Hex" || len(one.Users[0].Profile) != 1 {
		t.Errorf("ExportTenantFixtures of Hex: %+v, %v", one, err)
	}
	upper, err := graphprofile.ExportTenantFixtures(t.Context(), store, "t1", strings.ToUpper(hexID))
	if err != nil || !reflect.DeepEqual(upper, one) {
		t.Errorf("ExportTenantFixtures of Hex's id in upper case: %+v, %v; want %+v", upper, err, one)
	}
}

// TestWriteFixtures: WriteFixtures, which writes a store user by user as
// graphprofile export does, writes the file AppendFixturesJSON writes of
// ExportFixtures, byte for byte: several tenants (one of an issuer), users
// with and without a profile, empty and nested values, strings with quotes,
// backslashes, brackets and characters beyond ASCII; and an empty store.
func TestWriteFixtures(t *testing.T) {
	file := `{"tenants": [
		{"id": "t2", "issuer": "https://issuer.example.test/t2", "users": [` + grace + `, "profile": {"emails": [{"address": "g@example.test"}]}}]},
		{"id": "t1", "users": [` + ada + `, "givenName": "Ada \\\"[x]{y}, z: é\u2028", "businessPhones": [], "accountEnabled": null,
			"profile": {"positions": [{"detail": {"jobTitle": "Analyst", "company": {"displayName": "C\\o", "address": {"city": "Paris"}}}, "allowedAudiences": null},
			                         {"detail": {"jobTitle": "Intern"}}], "skills": [{"displayName": "Go", "categories": [], "collaborationTags": ["a", "b"]}]}},
			{"displayName": "No Profile", "userPrincipalName": "np@example.test"}]}]}`
	f, err := graphprofile.ParseFixtures("f.json", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	for _, loaded := range []bool{true, false} {
		store := newMemStore()
		if loaded {
			if err := (&graphprofile.Service{Store: store}).LoadFixtures(t.Context(), f); err != nil {
				t.Fatalf("LoadFixtures: %v", err)
			}
		}
		exported, err := graphprofile.ExportFixtures(t.Context(), store)
		if err != nil {
			t.Fatalf("ExportFixtures: %v", err)
		}
		want := string(graphprofile.AppendFixturesJSON(nil, exported))
		var got strings.Builder
		if err := graphprofile.WriteFixtures(t.Context(), store, &got); err != nil {
			t.Fatalf("WriteFixtures: %v", err)
		}
		if got.String() != want {
			t.Errorf("WriteFixtures (a store with users: %v):\n%s\nwant\n%s", loaded, got.String(), want)
		}
		var indented bytes.Buffer
		compact := bytes.NewBuffer(nil)
		if err := json.Compact(compact, []byte(want)); err != nil {
			t.Fatalf("the export is not JSON: %v\n%s", err, want)
		}
		if err := json.Indent(&indented, compact.Bytes(), "", "  "); err != nil || indented.String()+"\n" != want {
			t.Errorf("the export is not indented as json.Indent indents it (%v):\n%s\nwant\n%s", err, want, indented.String())
		}
	}
}

// TestParseFixturesByteOrderMark: a file saved as "UTF-8 with BOM" parses
// as the same file without it (as a request body does), and a problem's
// line and column are where an editor, which hides the mark, shows it.
func TestParseFixturesByteOrderMark(t *testing.T) {
	f, err := graphprofile.ParseFixtures("f.json", []byte("\uFEFF"+fixturesOf(ada+`}`)))
	if err != nil || len(f.Tenants) != 1 || len(f.Tenants[0].Users) != 1 || f.Tenants[0].Users[0].User.DisplayName != "Ada" {
		t.Fatalf("ParseFixtures with a byte order mark: %+v, %v", f, err)
	}
	_, err = graphprofile.ParseFixtures("f.json", []byte("\uFEFF"+`{"tenant": []}`))
	if want := `f.json:1:2: tenant: The property 'tenant' does not exist on type 'graphprofile.fixtures'. Make sure to only use property names that are defined by the type or mark the type as open type.`; err == nil || err.Error() != want {
		t.Errorf("ParseFixtures: %v; want %s", err, want)
	}
}

// positionsIndex is the place of positions among the profile's collections.
func positionsIndex(t *testing.T) int {
	for i, c := range graphprofile.ProfileCollections() {
		if c.Name == "positions" {
			return i
		}
	}
	t.Fatal("no positions collection")
	return 0
}

// TestExportSignedInUsers: users the directory records at sign-in, as
// their tokens name them, export and load back as they are: one whose
// principal name another user held (recorded without one), one whose
// token had no name and a principal name without a domain (an issuer's
// preferred_username, such as Keycloak's "alice"), one whose issuer's
// object ids are not GUIDs. The export of what loading the export made
// is the same file.
func TestExportSignedInUsers(t *testing.T) {
	store := newMemStore()
	svc := &graphprofile.Service{Store: store}
	f, err := graphprofile.ParseFixtures("f.json", []byte(fixturesOf(ada+`}`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.LoadFixtures(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	for _, p := range []graphprofile.Principal{
		{TenantID: "t1", ObjectID: "22222222-2222-4222-8222-222222222222", UserPrincipalName: "ADA@example.test", DisplayName: "Ada's namesake"},
		{TenantID: "t1", ObjectID: "33333333-3333-4333-8333-333333333333", UserPrincipalName: "alice"},
		{TenantID: "t1", ObjectID: "auth0|5f7c8ec7c33c6c004bbafe82", UserPrincipalName: "bob@example.test", DisplayName: "Bob"},
	} {
		p.Delegated, p.Permissions = true, []string{"User.Read.All"}
		if _, err := svc.AuthorizeDirectory(t.Context(), p, graphprofile.ListUsers); err != nil {
			t.Fatalf("signing in %s: %v", p.ObjectID, err)
		}
	}
	exported, err := graphprofile.ExportFixtures(t.Context(), store)
	if err != nil {
		t.Fatal(err)
	}
	first := string(graphprofile.AppendFixturesJSON(nil, exported))
	again, err := graphprofile.ParseFixtures("exported.json", []byte(first))
	if err != nil {
		t.Fatalf("the export does not load: %v\n%s", err, first)
	}
	loaded := newMemStore()
	if err := (&graphprofile.Service{Store: loaded}).LoadFixtures(t.Context(), again); err != nil {
		t.Fatalf("LoadFixtures of the export: %v\n%s", err, first)
	}
	exported, err = graphprofile.ExportFixtures(t.Context(), loaded)
	if err != nil {
		t.Fatal(err)
	}
	if second := string(graphprofile.AppendFixturesJSON(nil, exported)); second != first {
		t.Errorf("the export of a loaded export differs:\n%s\nwant\n%s", second, first)
	}
}

// racingStore is a store on which another load of the same fixtures
// commits first: between the load's look-up of who holds each principal
// name and its own transaction, as two test workers' loads of one file do.
type racingStore struct {
	*memStore
	rival func() error // the other load, run once
}

func (s *racingStore) LoadProfiles(ctx context.Context, profiles []graphprofile.UserProfile) error {
	if rival := s.rival; rival != nil {
		s.rival = nil
		if err := rival(); err != nil {
			return fmt.Errorf("the rival load: %w", err)
		}
	}
	return s.memStore.LoadProfiles(ctx, profiles)
}

// TestLoadFixturesWithoutIDsRacing: two loads of one file whose users have
// no id, the other committing first, both succeed, and leave one user of
// each principal name: the later load replaces what the first made, as it
// would have run after it. Refused before, for a name "held by a user the
// fixtures do not replace".
func TestLoadFixturesWithoutIDsRacing(t *testing.T) {
	doc := fixturesOf(grace+`, "profile": {"skills": [{"displayName": "Go"}]}}`, `{"displayName": "Bob", "userPrincipalName": "bob@example.test"}`)
	mem := newMemStore()
	store := &racingStore{memStore: mem}
	svc := &graphprofile.Service{Store: store}
	parse := func() graphprofile.Fixtures {
		t.Helper()
		f, err := graphprofile.ParseFixtures("f.json", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	store.rival = func() error { return (&graphprofile.Service{Store: mem}).LoadFixtures(t.Context(), parse()) }
	if err := svc.LoadFixtures(t.Context(), parse()); err != nil {
		t.Fatalf("the load after the rival's: %v", err)
	}
	users, err := graphprofile.AllUsers(t.Context(), mem, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 {
		t.Fatalf("users: %+v, want Grace and Bob once each", users)
	}
}
