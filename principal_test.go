package graphprofile

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The permission matrix, written out independently of
// permissions (principal.go): which single permission allows which operation.
var wantMatrix = map[Operation]map[AccountKind]string{
	ListUsers: {
		WorkOrSchoolAccount: "User.ReadBasic.All, User.Read.All, User.ReadWrite.All",
		PersonalAccount:     "",
		Application:         "User.Read.All, User.ReadWrite.All",
	},
	GetUser: {
		WorkOrSchoolAccount: "User.Read, User.ReadWrite, User.ReadBasic.All, User.Read.All, User.ReadWrite.All",
		PersonalAccount:     "User.Read, User.ReadWrite",
		Application:         "User.Read.All, User.ReadWrite.All",
	},
	CreateUser: {
		WorkOrSchoolAccount: "User.ReadWrite.All",
		PersonalAccount:     "",
		Application:         "User.ReadWrite.All",
	},
	UpdateUser: {
		WorkOrSchoolAccount: "User.ReadWrite, User.ReadWrite.All",
		PersonalAccount:     "User.ReadWrite",
		Application:         "User.ReadWrite.All",
	},
	DeleteUser: {
		WorkOrSchoolAccount: "User.ReadWrite.All",
		PersonalAccount:     "",
		Application:         "User.ReadWrite.All",
	},
	ListItems: {
		WorkOrSchoolAccount: "User.Read, User.ReadWrite, User.ReadBasic.All, User.Read.All, User.ReadWrite.All",
		PersonalAccount:     "User.Read, User.ReadWrite",
		Application:         "User.Read.All, User.ReadWrite.All",
	},
	GetItem: {
		WorkOrSchoolAccount: "User.Read, User.ReadWrite, User.ReadBasic.All, User.Read.All, User.ReadWrite.All",
		PersonalAccount:     "User.Read, User.ReadWrite",
		Application:         "User.Read.All, User.ReadWrite.All",
	},
	CreateItem: {
		WorkOrSchoolAccount: "User.ReadWrite, User.ReadWrite.All",
		PersonalAccount:     "User.ReadWrite",
		Application:         "",
	},
	UpdateItem: {
		WorkOrSchoolAccount: "User.ReadWrite, User.ReadWrite.All",
		PersonalAccount:     "User.ReadWrite, User.ReadWrite.All",
		Application:         "User.ReadWrite.All",
	},
	DeleteItem: {
		WorkOrSchoolAccount: "User.ReadWrite, User.ReadWrite.All",
		PersonalAccount:     "User.ReadWrite",
		Application:         "User.ReadWrite.All",
	},
	// Reading the profile is reading its positions; deleting it is deleting
	// a position (the issue: "by the same permission rules").
	GetProfile: {
		WorkOrSchoolAccount: "User.Read, User.ReadWrite, User.ReadBasic.All, User.Read.All, User.ReadWrite.All",
		PersonalAccount:     "User.Read, User.ReadWrite",
		Application:         "User.Read.All, User.ReadWrite.All",
	},
	DeleteProfile: {
		WorkOrSchoolAccount: "User.ReadWrite, User.ReadWrite.All",
		PersonalAccount:     "User.ReadWrite",
		Application:         "User.ReadWrite.All",
	},
}

var allPermissions = []string{"User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Mail.Read", "Directory.ReadWrite.All"}

func principalOf(kind AccountKind, permission string) Principal {
	switch kind {
	case Application:
		return Principal{TenantID: "t1", ObjectID: "sp", AppID: "app", Permissions: []string{permission}}
	case PersonalAccount:
		return Principal{TenantID: PersonalAccountsTenantID, ObjectID: "u1", Delegated: true, Permissions: []string{permission}}
	default:
		return Principal{TenantID: "t1", ObjectID: "u1", Delegated: true, Permissions: []string{permission}}
	}
}

func TestPermissionMatrix(t *testing.T) {
	for op, kinds := range wantMatrix {
		for kind, allowedList := range kinds {
			allowed := map[string]bool{}
			for _, p := range strings.Split(allowedList, ", ") {
				allowed[p] = p != ""
			}
			for _, permission := range allPermissions {
				for _, own := range []bool{true, false} {
					name := fmt.Sprintf("%s/kind%d/%s/own=%v", op, kind, permission, own)
					t.Run(name, func(t *testing.T) {
						p := principalOf(kind, permission)
						own := own && kind != Application // an app has no profile of its own
						// Personal accounts reach only their own, whatever the permission.
						want := allowed[permission] && (own || (strings.HasSuffix(permission, ".All") && kind != PersonalAccount))
						_, err := authorize(p, op, own)
						if got := err == nil; got != want {
							t.Errorf("authorized = %v (%v), want %v", got, err, want)
						}
					})
				}
			}
		}
	}
}

func TestAccountKind(t *testing.T) {
	tests := []struct {
		p    Principal
		want AccountKind
	}{
		{Principal{TenantID: "t", Delegated: true}, WorkOrSchoolAccount},
		{Principal{TenantID: PersonalAccountsTenantID, Delegated: true}, PersonalAccount},
		{Principal{TenantID: strings.ToUpper(PersonalAccountsTenantID), Delegated: true}, PersonalAccount},
		{Principal{TenantID: PersonalAccountsTenantID}, Application},
		{Principal{TenantID: "t"}, Application},
	}
	for _, tc := range tests {
		if got := tc.p.AccountKind(); got != tc.want {
			t.Errorf("%+v.AccountKind() = %v, want %v", tc.p, got, tc.want)
		}
	}
}

func TestHasPermissionIgnoresCase(t *testing.T) {
	p := Principal{Permissions: []string{"user.readwrite"}}
	if !p.HasPermission("User.ReadWrite") || p.HasPermission("User.Read") {
		t.Error("HasPermission must match whole permissions ignoring case")
	}
	// ASCII's case only: the long s (U+017F) folds to "s" in Unicode.
	if (Principal{Permissions: []string{"U\u017fer.ReadWrite"}}).HasPermission("User.ReadWrite") {
		t.Error("HasPermission must not take U+017F for s")
	}
}

func TestGUIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewGUID()
		// Version 4, and RFC 9562's variant (10xx): 8, 9, a or b.
		if !IsGUID(id) || id != strings.ToLower(id) || id[14] != '4' || !strings.ContainsAny(id[19:20], "89ab") || seen[id] {
			t.Fatalf("NewGUID() = %q: not a fresh lower-case v4 GUID", id)
		}
		seen[id] = true
	}
	// Time-ordered GUIDs: version 7, fresh, and in the order of their
	// times whenever the times are a millisecond apart or more.
	start := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 1000 {
		at := start.Add(time.Duration(i/2) * time.Millisecond) // two ids a millisecond
		id := NewTimeOrderedGUID(at)
		if !IsGUID(id) || id != strings.ToLower(id) || id[14] != '7' || !strings.ContainsAny(id[19:20], "89ab") || seen[id] {
			t.Fatalf("NewTimeOrderedGUID(%v) = %q: not a fresh lower-case v7 GUID", at, id)
		}
		seen[id] = true
		if i%2 == 0 && id <= prev {
			t.Fatalf("NewTimeOrderedGUID(%v) = %q, not after %q a millisecond before", at, id, prev)
		}
		prev = id
	}
	// The first 48 bits are the time in milliseconds.
	if id := NewTimeOrderedGUID(time.UnixMilli(0x0123456789ab)); !strings.HasPrefix(id, "01234567-89ab-7") {
		t.Errorf("NewTimeOrderedGUID(0x0123456789ab ms) = %q, want 01234567-89ab-7…", id)
	}
	if NormalizeID("DB789417-4CCB-41D1-A0A9-47B01A09EA49") != "db789417-4ccb-41d1-a0a9-47b01a09ea49" {
		t.Error("NormalizeID must lower-case GUIDs")
	}
	if NormalizeID("Alice@Contoso.com") != "Alice@Contoso.com" {
		t.Error("NormalizeID must leave non-GUIDs alone")
	}
	for _, s := range []string{"", "db789417-4ccb-41d1-a0a9-47b01a09ea4", "db789417x4ccb-41d1-a0a9-47b01a09ea49", "gb789417-4ccb-41d1-a0a9-47b01a09ea49"} {
		if IsGUID(s) {
			t.Errorf("IsGUID(%q) = true", s)
		}
	}
}

// TestWriteImpliesRead holds the matrix to the rule that an operation
// refused for reading is refused for writing too: whoever may change a
// user or a profile may read it. The one exception is the seeds': the
// Update workPosition page gives a personal account User.ReadWrite.All,
// and the pages for reading do not.
func TestWriteImpliesRead(t *testing.T) {
	reads := map[Operation]Operation{
		UpdateUser: GetUser, DeleteUser: GetUser,
		CreateItem: ListItems, UpdateItem: GetItem, DeleteItem: GetItem,
		DeleteProfile: GetProfile,
	}
	for write, read := range reads {
		for _, kind := range []AccountKind{WorkOrSchoolAccount, PersonalAccount, Application} {
			for _, permission := range allPermissions {
				for _, own := range []bool{true, false} {
					if write == UpdateItem && kind == PersonalAccount && permission == "User.ReadWrite.All" {
						continue
					}
					p := principalOf(kind, permission)
					_, writeErr := authorize(p, write, own)
					_, readErr := authorize(p, read, own)
					if writeErr == nil && readErr != nil {
						t.Errorf("%s/kind%d/%s/own=%v: %s is allowed but %s is not", write, kind, permission, own, write, read)
					}
				}
			}
		}
	}
}

// TestUnrecordableClaimBounds: a signed-in caller's claims are recorded up
// to the directory's limits and refused one past them: a name of 256
// characters, an oid whose bytes fill the room its tenant leaves in a
// store's key (userIDRoom) exactly; a NUL anywhere.
func TestUnrecordableClaimBounds(t *testing.T) {
	caller := Principal{TenantID: "tenant", ObjectID: "oid", UserPrincipalName: "a@contoso.test", DisplayName: "A", Delegated: true}
	room := userIDRoom(caller.TenantKey(), 0)
	// An oid of room bytes in fewer than 1,024 characters: most of three
	// bytes each.
	fill := strings.Repeat("界", room/3) + strings.Repeat("a", room%3)
	// A name whose lower case fills the room that oid leaves in the index
	// of the users in the order of their names (nameKeyRoom).
	nameRoom := MaxKeyBytes - len(caller.TenantKey()) - len(fill)
	nameFill := strings.Repeat("É", nameRoom/2) + strings.Repeat("X", nameRoom%2)
	for _, tc := range []struct {
		name               string
		change             func(*Principal)
		claim, wantProblem string
	}{
		{"a name of 256 characters", func(p *Principal) { p.DisplayName = strings.Repeat("é", 256) }, "", ""},
		{"a name of 257 characters", func(p *Principal) { p.DisplayName = strings.Repeat("é", 257) }, "name",
			"is longer than 256 characters, the most the directory records of a user's displayName."},
		{"an oid that fills its room", func(p *Principal) { p.ObjectID = fill }, "", ""},
		{"an oid a byte past its room", func(p *Principal) { p.ObjectID = fill + "a" }, "oid",
			fmt.Sprintf("takes %d bytes of UTF-8, more than the %d the directory records of a user's id in this tenant.", room+1, room)},
		// PostgreSQL's index of the users in the order of their names
		// holds the tenant's key, the name's key (NameKey) and the id.
		{"a name that fills the room its oid leaves", func(p *Principal) { p.ObjectID = fill; p.DisplayName = nameFill }, "", ""},
		{"a name a byte past the room its oid leaves", func(p *Principal) { p.ObjectID = fill; p.DisplayName = nameFill + "X" }, "name",
			fmt.Sprintf("takes %d bytes of UTF-8 in lower case, more than the %d the directory records of a user's displayName beside its id in this tenant.", nameRoom+1, nameRoom)},
		{"a NUL in the upn", func(p *Principal) { p.UserPrincipalName = "a\x00@contoso.test" }, "upn",
			"contains a NUL character (U+0000), which the directory cannot record."},
	} {
		p := caller
		tc.change(&p)
		if claim, problem := UnrecordableClaim(p); claim != tc.claim || problem != tc.wantProblem {
			t.Errorf("%s: %q %q, want %q %q", tc.name, claim, problem, tc.claim, tc.wantProblem)
		}
	}
}
