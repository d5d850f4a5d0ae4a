package graphprofile

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestImportConflicts(t *testing.T) {
	u := func(id, upn string) User { return User{ID: id, UserPrincipalName: upn} }
	tests := []struct {
		name  string
		batch []User
		want  []string // index<earlier property value
	}{
		{"None", []User{u("a", "a@x"), u("b", "b@x"), u("c", "")}, nil},
		{"Empty", nil, nil},
		{"ID", []User{u("a", "a@x"), u("b", "b@x"), u("a", "c@x")}, []string{"2<0 id a"}},
		{"PrincipalNameIgnoringCase", []User{u("a", "Élodie@X"), u("b", "élodie@x")}, []string{"1<0 userPrincipalName élodie@x"}},
		{"NoPrincipalNameTwice", []User{u("a", ""), u("b", "")}, nil},
		// A repeating user is not compared further: c's name is a's, not
		// the second b's, which repeats b's id.
		{"RepeatingUsersAreNotRecorded", []User{u("a", "a@x"), u("b", "b@x"), u("b", "c@x"), u("c", "c@x"), u("d", "A@x")},
			[]string{"2<1 id b", "4<0 userPrincipalName A@x"}},
		{"IDBeforeName", []User{u("a", "a@x"), u("a", "a@x")}, []string{"1<0 id a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range ImportConflicts(tc.batch) {
				got = append(got, fmt.Sprintf("%d<%d %s %s", c.Index, c.Earlier, c.Conflict.Property, c.Conflict.Value))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ImportConflicts = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestStoredUserRoundTrip: what EncodeStoredUser writes, DecodeStoredUser
// reads back unchanged, every property of UserType included; times are kept
// to the 100 ns, and values a store was given beyond a request's limits
// still read.
func TestStoredUserRoundTrip(t *testing.T) {
	enabled := false
	full := User{
		TenantID: "t", ID: "u", UserPrincipalName: "Zoë@contoso.com", DisplayName: `Zoë "Z" \ 日本`, Mail: "zoe@contoso.com",
		MailNickname: "zoe", GivenName: "Zoë", Surname: "Ñúñez", JobTitle: strings.Repeat("long ", 100), AccountEnabled: &enabled,
		Details: Object{
			"businessPhones": []any{"+1 425 555 0109", "+1 425 555 0110"}, "city": "Seattle", "companyName": "Contoso",
			"country": "US", "department": "Retail", "employeeHireDate": time.Date(2019, 6, 1, 8, 0, 0, 1234500, time.UTC),
			"employeeId": "1001", "employeeType": "Employee", "faxNumber": "+1 425 555 0199", "mobilePhone": "+1 425 555 0101",
			"officeLocation": "18/2111", "postalCode": "98052", "preferredLanguage": "en-US", "state": "WA",
			"streetAddress": "1 Microsoft Way", "usageLocation": "US",
		},
	}
	// A hire date in year 0 in UTC (0001-01-01T00:00:00+01:00) was taken
	// before requests were held to the years 0001-9999: a store that has
	// one still reads it.
	yearZero := User{TenantID: "t", ID: "u", Details: Object{"employeeHireDate": time.Date(0, 12, 31, 23, 0, 0, 0, time.UTC)}}
	for name, u := range map[string]User{"Full": full, "Bare": {TenantID: "t", ID: "u"}, "EmptyCollection": {TenantID: "t", ID: "u", Details: Object{"businessPhones": []any{}}}, "HireDateYearZero": yearZero} {
		t.Run(name, func(t *testing.T) {
			doc := EncodeStoredUser(u)
			got, err := DecodeStoredUser("t", "u", doc)
			if err != nil {
				t.Fatalf("DecodeStoredUser(%s): %v", doc, err)
			}
			if again := EncodeStoredUser(got); string(again) != string(doc) || !reflect.DeepEqual(got.Object(), u.Object()) {
				t.Errorf("round trip\n got %s\nwant %s", again, doc)
			}
		})
	}
	if strings.Contains(string(EncodeStoredUser(full)), `"id"`) {
		t.Error("the stored document repeats the id, which is a column")
	}
	for _, name := range []string{"businessPhones", "mobilePhone", "officeLocation", "preferredLanguage"} {
		if p := UserType.Property(name); p == nil || !p.SelfService {
			t.Errorf("%s is not self-service", name)
		}
	}
}

// TestUserClone: a clone shares nothing a caller may change.
func TestUserClone(t *testing.T) {
	enabled := true
	u := User{ID: "u", AccountEnabled: &enabled, Details: Object{"businessPhones": []any{"1"}, "city": "Seattle"}}
	c := u.Clone()
	*c.AccountEnabled = false
	c.Details["city"] = "Redmond"
	c.Details["businessPhones"].([]any)[0] = "2"
	if !*u.AccountEnabled || u.Details["city"] != "Seattle" || u.Details["businessPhones"].([]any)[0] != "1" {
		t.Errorf("changing a clone changed the user: %+v %v", u, u.Details)
	}
}

// TestDisplayNameFitsTheNameIndex: POST /users (NewUser) and PATCH
// (mergeUser) refuse, 400 on every store, a display name whose NameKey
// does not fit beside the tenant's key and the user's id in
// PostgreSQL's index of the users in the order of their names (it answered
// 500 there, SQLite stored it), and take one that fills the room.
func TestDisplayNameFitsTheNameIndex(t *testing.T) {
	tenant := "t1|https://idp.example/" + strings.Repeat("x", 2000)
	id := "11111111-1111-4111-8111-111111111111"
	room := MaxKeyBytes - len(tenant) - len(id)
	fits := strings.Repeat("É", room/2) + strings.Repeat("x", room%2)
	body := func(name string) Object {
		return Object{"id": id, "displayName": name, "userPrincipalName": "a@contoso.test"}
	}
	u, err := NewUser(tenant, body(fits))
	if err != nil {
		t.Fatalf("NewUser of a name that fills the room: %v", err)
	}
	want := fmt.Sprintf("The displayName takes %d bytes of UTF-8 in lower case, more than the %d it may take beside the user's id in this tenant, whose key and the user's id take the rest of the %d bytes every store indexes.", room+1, room, MaxKeyBytes)
	for name, err := range map[string]error{
		"NewUser":   func() error { _, err := NewUser(tenant, body(fits+"x")); return err }(),
		"mergeUser": func() error { _, err := mergeUser(u, Object{"displayName": fits + "x"}); return err }(),
	} {
		var gerr *Error
		if !errors.As(err, &gerr) || gerr.Code != CodeDirectoryBadRequest || gerr.Message != want {
			t.Errorf("%s of a name a byte past the room: %v; want %s %q", name, err, CodeDirectoryBadRequest, want)
		}
	}
	// A user whose name was stored before the bound (SQLite) keeps it
	// while another property changes.
	stored := u
	stored.DisplayName = fits + "x"
	if _, err := mergeUser(stored, Object{"jobTitle": "Engineer"}); err != nil {
		t.Errorf("mergeUser of another property: %v", err)
	}
}

// TestValidPrincipalName: what POST and PATCH /users and users import take
// as a principal name: Graph's characters (A-Z a-z 0-9 ' . - _ ! # ^ ~) before
// its one '@', a domain's (letters, digits, '.' and '-') after it.
func TestValidPrincipalName(t *testing.T) {
	for _, tc := range []struct {
		upn  string
		want bool
	}{
		{"ada@contoso.com", true},
		{"O'Brien.a-b_c!d#e^f~g0@sub-1.Contoso.com", true},
		{"jane_fabrikam.com#EXT#@contoso.onmicrosoft.com", true},
		{"ada", false},
		{"@contoso.com", false},
		{"ada@", false},
		{"ada@b@contoso.com", false},
		{"ren\u00e9e@contoso.com", false},
		{"rene\u0301e@contoso.com", false},
		{"\u212aate@contoso.com", false},
		{"\u0130@contoso.com", false},
		{"a+b@contoso.com", false},
		{"a b@contoso.com", false},
		{"a/b@contoso.com", false},
		{"a\\b@contoso.com", false},
		{"a%b@contoso.com", false},
		{"ada@b\u00fccher.de", false},
		{"ada@contoso_x.com", false},
		{"ada@contoso.com\n", false},
		{"ada@contoso.com\u200b", false},
		// Entra ID's username policies: no '.' right before the '@', at
		// most 64 characters before it and 48 after.
		{"ada.@contoso.com", false},
		{".ada@contoso.com", true},
		{"a.d.a@contoso.com", true},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("d", 43) + ".test", true},
		{strings.Repeat("a", 65) + "@contoso.com", false},
		{"ada@" + strings.Repeat("d", 44) + ".test", false},
	} {
		if got := ValidPrincipalName(tc.upn); got != tc.want {
			t.Errorf("ValidPrincipalName(%q) = %v, want %v", tc.upn, got, tc.want)
		}
	}
}

// TestEmptyUserStrings: the directory takes no empty string as a user's
// string property, on create (NewUser, each line of an import) and update
// (mergeUser), as Graph answers (400 "Invalid value specified for property
// 'officeLocation' of resource 'User'." to an SDK that clears it with "");
// null clears one. givenName, jobTitle and surname were kept as unset, the
// others as "".
func TestEmptyUserStrings(t *testing.T) {
	for _, name := range []string{"givenName", "surname", "jobTitle", "city", "officeLocation", "mobilePhone", "department", "employeeId", "usageLocation", "preferredLanguage"} {
		t.Run(name, func(t *testing.T) {
			want := "Invalid value specified for property '" + name + "' of resource 'User'."
			_, err := NewUser("t", Object{"displayName": "Ada", "userPrincipalName": "ada@contoso.test", name: ""})
			var gerr *Error
			if !errors.As(err, &gerr) || gerr.Code != CodeDirectoryBadRequest || gerr.Message != want {
				t.Errorf("NewUser with %s \"\": %v; want %s %q", name, err, CodeDirectoryBadRequest, want)
			}
			value := "x"
			if name == "usageLocation" {
				value = "GB"
			}
			u, err := NewUser("t", Object{"displayName": "Ada", "userPrincipalName": "ada@contoso.test", name: value})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := mergeUser(u, Object{name: ""}); !errors.As(err, &gerr) || gerr.Code != CodeDirectoryBadRequest || gerr.Message != want {
				t.Errorf("mergeUser with %s \"\": %v; want %s %q", name, err, CodeDirectoryBadRequest, want)
			}
			cleared, err := mergeUser(u, Object{name: nil})
			if err != nil {
				t.Fatalf("mergeUser with %s null: %v", name, err)
			}
			if v, set := cleared.Object()[name]; set {
				t.Errorf("%s cleared with null reads %v", name, v)
			}
		})
	}
}

// TestUserUnchangedValuesSentBack: a PATCH that sends a value back as it
// is stored changes nothing, so a user recorded at sign-in with a principal
// name POST /users would not take, or stored before a rule with a value it
// refuses, can be updated by a client that sends back the user it read.
func TestUserUnchangedValuesSentBack(t *testing.T) {
	stored := User{TenantID: "t", ID: NewGUID(), UserPrincipalName: "zo\u00eb@contoso.test", DisplayName: "Zo\u00eb",
		Details: Object{"city": "", "usageLocation": "\u00c4\u00d6"}}
	next, err := mergeUser(stored, Object{"userPrincipalName": "zo\u00eb@contoso.test", "displayName": "Zo\u00eb", "city": "", "usageLocation": "\u00c4\u00d6", "jobTitle": "Engineer"})
	if err != nil {
		t.Fatalf("mergeUser with the stored values sent back: %v", err)
	}
	if next.JobTitle != "Engineer" || next.UserPrincipalName != stored.UserPrincipalName {
		t.Errorf("merged %+v", next)
	}
	// Changed, each is held to the rules.
	for name, value := range map[string]string{"userPrincipalName": "ren\u00e9e@contoso.test", "city": "", "usageLocation": "\u00c4\u00c4"} {
		before := stored.Clone()
		if name == "city" {
			before.Details["city"] = "Oslo"
		}
		if _, err := mergeUser(before, Object{name: value}); ErrorMessage(err) != "Invalid value specified for property '"+name+"' of resource 'User'." {
			t.Errorf("mergeUser changing %s to %q: %v", name, value, err)
		}
	}
}

// TestUserRefusedForTheFirstBadProperty: a body with several bad
// properties is refused for the same one every time, on create and update:
// displayName and userPrincipalName before the others, the others by name.
func TestUserRefusedForTheFirstBadProperty(t *testing.T) {
	u, err := NewUser("t", Object{"displayName": "Ada", "userPrincipalName": "ada@contoso.test"})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		for _, tc := range []struct {
			name string
			err  error
			want string
		}{
			{"NewUser", func() error {
				_, err := NewUser("t", Object{"city": "", "surname": "", "displayName": "", "userPrincipalName": "x"})
				return err
			}(), "displayName"},
			{"NewUser", func() error {
				_, err := NewUser("t", Object{"surname": "", "city": "", "displayName": "Ada", "userPrincipalName": "ada@contoso.test"})
				return err
			}(), "city"},
			{"mergeUser", func() error {
				_, err := mergeUser(u, Object{"city": "", "surname": "", "userPrincipalName": "x"})
				return err
			}(), "userPrincipalName"},
			{"mergeUser", func() error { _, err := mergeUser(u, Object{"surname": "", "jobTitle": "", "city": ""}); return err }(), "city"},
		} {
			if want := "Invalid value specified for property '" + tc.want + "' of resource 'User'."; ErrorMessage(tc.err) != want {
				t.Fatalf("%s: %v, want %q", tc.name, tc.err, want)
			}
		}
	}
}

// TestPrincipalNameFitsTheIndex: POST /users (NewUser, and so each line of
// an import) and PATCH (mergeUser) refuse, 400 on every store, a
// userPrincipalName whose key does not fit beside the tenant's key in the
// stores' index of principal names (fixtures and the token's upn claim
// already did), and take one that fills the room.
func TestPrincipalNameFitsTheIndex(t *testing.T) {
	tenant := "t1|https://idp.example/" + strings.Repeat("x", 2500)
	room := MaxKeyBytes - len(tenant)
	// A principal name of n bytes, its parts within Entra ID's username
	// policies (64 characters before the '@', 48 after).
	upn := func(n int) string {
		return strings.Repeat("a", 64) + "@" + strings.Repeat("c", n-64-1-len(".test")) + ".test"
	}
	body := func(upn string) Object {
		return Object{"displayName": "Alex", "userPrincipalName": upn}
	}
	u, err := NewUser(tenant, body(upn(room)))
	if err != nil {
		t.Fatalf("NewUser of a principal name that fills the room: %v", err)
	}
	want := fmt.Sprintf("The userPrincipalName takes %d bytes of UTF-8, more than the %d it may take in this tenant, whose key takes the rest of the %d bytes every store indexes.", room+1, room, MaxKeyBytes)
	for name, err := range map[string]error{
		"NewUser":   func() error { _, err := NewUser(tenant, body(upn(room+1))); return err }(),
		"mergeUser": func() error { _, err := mergeUser(u, Object{"userPrincipalName": upn(room + 1)}); return err }(),
	} {
		var gerr *Error
		if !errors.As(err, &gerr) || gerr.Code != CodeDirectoryBadRequest || gerr.Message != want {
			t.Errorf("%s of a principal name a byte past the room: %v; want %s %q", name, err, CodeDirectoryBadRequest, want)
		}
	}
	// A user whose principal name was stored before the bound keeps it
	// while another property changes.
	stored := u
	stored.UserPrincipalName = upn(room + 1)
	if _, err := mergeUser(stored, Object{"jobTitle": "Engineer"}); err != nil {
		t.Errorf("mergeUser of another property: %v", err)
	}
}

// nameKeyLen must be what NameKey's length is, for ASCII (the shortcut)
// and for characters whose lower case takes more or fewer bytes.
func TestNameKeyLen(t *testing.T) {
	for _, s := range []string{"", "Ada Lovelace", "ada@contoso.com", "İstanbul", "ΣΊΣΥΦΟΣ", "Kelvin \u212a", "Ⱥ", "\xff\xfeA"} {
		if got, want := nameKeyLen(s), len(NameKey(s)); got != want {
			t.Errorf("nameKeyLen(%q) = %d, want len(NameKey) = %d", s, got, want)
		}
	}
	if len(NameKey("İ")) == len("İ") {
		t.Fatal("the table needs a character whose lower case is longer")
	}
}

// TestStoredUserOfWideYear: an employeeHireDate a version before the
// range check stored outside the years 0 to 9999 (its UTC time, which
// FormatDateTimeOffset writes with five digits or a sign) reads back from
// the store as it was written; a body with such a time is still refused,
// and a stored one that is no time (a day its year does not have, a year
// that is not a number, an offset) is still corrupt.
func TestStoredUserOfWideYear(t *testing.T) {
	for _, tc := range []struct {
		hired string
		want  time.Time
	}{
		{"10000-01-01T13:59:59.0000000Z", time.Date(10000, 1, 1, 13, 59, 59, 0, time.UTC)},
		{"-0001-12-31T00:00:00.0000000Z", time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"10004-02-29T01:02:03.0000001Z", time.Date(10004, 2, 29, 1, 2, 3, 100, time.UTC)},
		{"-0004-02-29T23:59:59.9999999Z", time.Date(-4, 2, 29, 23, 59, 59, 999999900, time.UTC)},
	} {
		doc := `{"employeeHireDate":"` + tc.hired + `"}`
		u, err := DecodeStoredUser("t", "u", []byte(doc))
		if err != nil {
			t.Errorf("stored %s: %v", tc.hired, err)
			continue
		}
		if got, _ := u.Details["employeeHireDate"].(time.Time); !got.Equal(tc.want) {
			t.Errorf("stored %s decoded as %v, want %v", tc.hired, got, tc.want)
		}
		if got := string(EncodeStoredUser(u)); got != doc {
			t.Errorf("stored %s encoded again as %s", doc, got)
		}
		if _, err := DecodeBody(UserType, []byte(doc)); err == nil {
			t.Errorf("a body with employeeHireDate %s was taken", tc.hired)
		}
	}
	for _, hired := range []string{"12345-02-29T00:00:00.0000000Z", "1x000-01-01T00:00:00.0000000Z", "+10000-01-01T00:00:00.0000000Z",
		"10000-01-01T00:00:00.0000000+01:00", "100-01-01T00:00:00.0000000Z", "--10000-01-01T00:00:00.0000000Z",
		"10000-13-01T00:00:00.0000000Z", "10000-01-01T24:00:00.0000000Z"} {
		if u, err := DecodeStoredUser("t", "u", []byte(`{"employeeHireDate":"`+hired+`"}`)); err == nil {
			t.Errorf("stored %s, which FormatDateTimeOffset never writes, decoded as %v", hired, u.Details["employeeHireDate"])
		}
	}
}
