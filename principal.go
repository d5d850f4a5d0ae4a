package graphprofile

import (
	"context"
	"strings"
)

// PersonalAccountsTenantID is the tenant of personal Microsoft accounts; a
// delegated token of this tenant is a "delegated (personal Microsoft
// account)" caller in Graph's permission tables.
const PersonalAccountsTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

// Principal is an authenticated caller: a user signed in to an app
// (delegated) or an app on its own (application).
type Principal struct {
	// TenantID is the token's tenant (tid).
	TenantID string
	// Realm names the issuer that vouched for the token (empty for the
	// development issuer): a tenant is the pair, see TenantKey.
	Realm string
	// ObjectID is the signed-in user's object id (delegated) or the app's
	// service principal id (application).
	ObjectID          string
	UserPrincipalName string // delegated only
	DisplayName       string // the user's, or the app's, display name
	AppID             string
	// Delegated is true for a user signed in to an app (the token has scp).
	Delegated bool
	// Permissions are the token's scopes (delegated) or roles (application).
	Permissions []string
}

// TenantKey is the tenant p's users and profiles live in: the tid within
// the realm of the issuer that signed p's token. Two issuers claiming one
// tid name two tenants, so no trusted issuer can sign its way into another
// issuer's tenant. The development issuer's tenants are their tid alone.
// (A tid holds no '|': the token layer refuses any tid that is not letters,
// digits and hyphens.)
func (p Principal) TenantKey() string {
	if p.Realm == "" {
		return p.TenantID
	}
	return p.TenantID + "|" + p.Realm
}

// AccountKind is a column of Graph's permission tables.
type AccountKind int

// The three kinds of caller Graph's permission tables distinguish.
const (
	WorkOrSchoolAccount AccountKind = iota
	PersonalAccount
	Application
)

// AccountKind says which column of the permission tables applies to p.
func (p Principal) AccountKind() AccountKind {
	switch {
	case !p.Delegated:
		return Application
	case strings.EqualFold(p.TenantID, PersonalAccountsTenantID):
		return PersonalAccount
	default:
		return WorkOrSchoolAccount
	}
}

// HasPermission reports whether p holds permission; like Entra ID, it ignores
// case, ASCII's only: a permission is an OAuth scope token (RFC 6749 3.3,
// printable ASCII), and a name that only Unicode's case folding makes one
// ("Uſer.ReadWrite.All", whose long s folds to "s") is another name, which
// an issuer may let anyone define.
func (p Principal) HasPermission(permission string) bool {
	for _, have := range p.Permissions {
		if EqualFoldASCII(have, permission) {
			return true
		}
	}
	return false
}

// EqualFoldASCII reports whether a and b are equal ignoring the case of
// ASCII letters only: what a token's permission names and audience are
// compared by, where Unicode's case folding would let another name pass
// for one of them.
func EqualFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Authenticator turns a bearer token into the Principal it names.
type Authenticator interface {
	// Authenticate validates token (signature, lifetime, issuer, audience,
	// required claims) and returns its principal. Every failure is an *Error
	// with CodeInvalidAuthToken.
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// Operation is something a caller does to a profile or the items of its
// collections, or to the users directory.
type Operation string

// The operations on a profile, on the items of its collections and on the
// users directory. An item operation is one for every collection: Graph
// documents the same permission table for each facet (positions, skills,
// emails…), so one row of the matrix governs them all.
const (
	ListItems     Operation = "list items"
	GetItem       Operation = "get item"
	CreateItem    Operation = "create item"
	UpdateItem    Operation = "update item"
	DeleteItem    Operation = "delete item"
	GetProfile    Operation = "get profile"
	DeleteProfile Operation = "delete profile"
	ListUsers     Operation = "list users"
	GetUser       Operation = "get user"
	CreateUser    Operation = "create user"
	UpdateUser    Operation = "update user"
	DeleteUser    Operation = "delete user"
)

// readProfile is the row of Graph's tables for reading a user or its
// profile: the same for the user and for every read of its items.
var readProfile = map[AccountKind][]string{
	WorkOrSchoolAccount: {"User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All"},
	PersonalAccount:     {"User.Read", "User.ReadWrite"},
	Application:         {"User.Read.All", "User.ReadWrite.All"},
}

// deleteFromProfile is the row for deleting an item and, by the same
// rules, the whole profile.
var deleteFromProfile = map[AccountKind][]string{
	WorkOrSchoolAccount: {"User.ReadWrite", "User.ReadWrite.All"},
	PersonalAccount:     {"User.ReadWrite"},
	Application:         {"User.ReadWrite.All"},
}

// permissions is Graph's permission matrix: which permissions allow an
// operation, per kind of caller. No entry means "not supported". A permission
// without ".All" reaches only the caller's own user and profile (see
// grantsOf); docs/permissions.md is the same table in prose.
var permissions = map[Operation]map[AccountKind][]string{
	ListItems: readProfile,
	GetItem:   readProfile,
	CreateItem: {
		WorkOrSchoolAccount: {"User.ReadWrite", "User.ReadWrite.All"},
		PersonalAccount:     {"User.ReadWrite"},
	},
	// The Update workPosition page, and it alone, gives personal accounts
	// User.ReadWrite.All: on their own profile (grantsOf), and without the
	// reads, which its list and get pages do not give them.
	UpdateItem: {
		WorkOrSchoolAccount: {"User.ReadWrite", "User.ReadWrite.All"},
		PersonalAccount:     {"User.ReadWrite", "User.ReadWrite.All"},
		Application:         {"User.ReadWrite.All"},
	},
	DeleteItem:    deleteFromProfile,
	GetProfile:    readProfile,
	DeleteProfile: deleteFromProfile,
	// A list or a new user is never the caller's own: only .All reaches them.
	ListUsers: {
		WorkOrSchoolAccount: {"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All"},
		Application:         {"User.Read.All", "User.ReadWrite.All"},
	},
	GetUser: readProfile,
	CreateUser: {
		WorkOrSchoolAccount: {"User.ReadWrite.All"},
		Application:         {"User.ReadWrite.All"},
	},
	UpdateUser: {
		WorkOrSchoolAccount: {"User.ReadWrite", "User.ReadWrite.All"},
		PersonalAccount:     {"User.ReadWrite"},
		Application:         {"User.ReadWrite.All"},
	},
	DeleteUser: {
		WorkOrSchoolAccount: {"User.ReadWrite.All"},
		Application:         {"User.ReadWrite.All"},
	},
}

// basicReadPermission reveals only the basic profile of other users.
const basicReadPermission = "User.ReadBasic.All"

// grantsOf returns the permissions of p that allow op; own says whether
// the user or profile acted on is p's own. A permission without ".All"
// reaches only the caller's own, and a personal account reaches only its
// own whatever its permissions: personal accounts form no organisation.
func (p Principal) grantsOf(op Operation, own bool) []string {
	kind := p.AccountKind()
	if kind == PersonalAccount && !own {
		return nil
	}
	var grants []string
	for _, permission := range permissions[op][kind] {
		if p.HasPermission(permission) && (own || strings.HasSuffix(permission, ".All")) {
			grants = append(grants, permission)
		}
	}
	return grants
}
