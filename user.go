package graphprofile

import "strings"

// User is a user of the directory, as far as graphprofile keeps one. An
// empty string is an unset property (null on the wire).
type User struct {
	TenantID          string
	ID                string // the object id (oid)
	UserPrincipalName string
	DisplayName       string
	Mail              string
	MailNickname      string
	GivenName         string
	Surname           string
	JobTitle          string
	AccountEnabled    *bool
}

// Key returns the key that addresses u's profile in a Store.
func (u User) Key() UserKey { return UserKey{TenantID: u.TenantID, UserID: u.ID} }

// UserKey addresses one user's profile: users and their positions are always
// scoped by tenant.
type UserKey struct {
	TenantID string
	UserID   string
}

// basicUserProperties are what User.ReadBasic.All reveals of another user
// (Graph's "basic profile"); the others are returned as null.
var basicUserProperties = []string{"id", "displayName", "userPrincipalName", "mail", "givenName", "surname"}

// Object returns u as a value of UserType.
func (u User) Object() Object {
	o := Object{"id": u.ID}
	for name, v := range map[string]string{
		"displayName": u.DisplayName, "userPrincipalName": u.UserPrincipalName, "mail": u.Mail,
		"mailNickname": u.MailNickname, "givenName": u.GivenName, "surname": u.Surname, "jobTitle": u.JobTitle,
	} {
		if v != "" {
			o[name] = v
		}
	}
	if u.AccountEnabled != nil {
		o["accountEnabled"] = *u.AccountEnabled
	}
	return o
}

// basic returns o with only the basic profile's properties.
func basic(o Object) Object {
	out := make(Object, len(basicUserProperties))
	for _, name := range basicUserProperties {
		if v, ok := o[name]; ok {
			out[name] = v
		}
	}
	return out
}

// userFromObject is the inverse of User.Object; o is a validated value of
// UserType without nulls.
func userFromObject(tenantID string, o Object) User {
	str := func(name string) string { s, _ := o[name].(string); return s }
	u := User{
		TenantID: tenantID, ID: str("id"), UserPrincipalName: str("userPrincipalName"), DisplayName: str("displayName"),
		Mail: str("mail"), MailNickname: str("mailNickname"), GivenName: str("givenName"), Surname: str("surname"), JobTitle: str("jobTitle"),
	}
	if enabled, ok := o["accountEnabled"].(bool); ok {
		u.AccountEnabled = &enabled
	}
	return u
}

// NewUser builds a user of tenantID from a decoded POST /users body (or a
// line of an import file): displayName and userPrincipalName are required,
// id is kept when given (it must be a GUID) and made otherwise,
// accountEnabled defaults to true, passwordProfile is dropped.
func NewUser(tenantID string, body Object) (User, error) {
	o := withoutNulls(body).(Object)
	delete(o, "passwordProfile")
	if _, ok := o["id"]; !ok {
		o["id"] = NewGUID()
	}
	if _, ok := o["accountEnabled"]; !ok {
		o["accountEnabled"] = true
	}
	if err := validateUser(o, "id", "displayName", "userPrincipalName"); err != nil {
		return User{}, err
	}
	o["id"] = NormalizeID(o["id"].(string))
	return userFromObject(tenantID, o), nil
}

// validateUser checks what the schema cannot, for the named properties of
// o: displayName and userPrincipalName are required, id must be a GUID,
// userPrincipalName must be local@domain.
func validateUser(o Object, names ...string) error {
	for _, name := range names {
		s, _ := o[name].(string)
		valid := true
		switch name {
		case "displayName":
			valid = strings.TrimSpace(s) != ""
		case "id":
			valid = IsGUID(s)
		case "userPrincipalName":
			local, domain, ok := strings.Cut(s, "@")
			valid = ok && local != "" && domain != "" && !strings.ContainsAny(s, " /\\") && !strings.Contains(domain, "@")
		}
		if !valid {
			return invalidUserProperty(name)
		}
	}
	return nil
}

// invalidUserProperty is Graph's directory error for a bad or missing value.
func invalidUserProperty(name string) error {
	return Errorf(CodeDirectoryBadRequest, "Invalid value specified for property '%s' of resource 'User'.", name)
}

// mergeUser applies a decoded PATCH body to u. The id never changes;
// passwordProfile is dropped.
func mergeUser(u User, body Object) (User, error) {
	patch := make(Object, len(body))
	var changed []string
	for k, v := range body {
		if k != "id" && k != "passwordProfile" {
			patch[k] = v
			changed = append(changed, k)
		}
	}
	o := MergePatch(UserType, u.Object(), patch)
	// Only what the body changes must be valid: a user recorded from a
	// token may lack a principal name, and its other properties can still
	// be set.
	if err := validateUser(o, changed...); err != nil {
		return User{}, err
	}
	return userFromObject(u.TenantID, o), nil
}

// ImportConflict is a user of an import batch that repeats the id or the
// user principal name of an earlier user of the batch.
type ImportConflict struct {
	Index    int           // the user that repeats
	Earlier  int           // the earlier user it repeats
	Conflict ConflictError // what it repeats: the property and the repeating user's value
}

// ImportConflicts returns the users of an import batch (Store.ImportUsers,
// graphprofile users import) that repeat an earlier user's id or, ignoring
// case, user principal name, in batch order; a batch with any imports
// nothing. A user that repeats one is not compared further, so each is
// reported once, and only against users that repeat nothing.
func ImportConflicts(users []User) []ImportConflict {
	var conflicts []ImportConflict
	ids := make(map[string]int, len(users))
	upns := make(map[string]int, len(users))
	for i, u := range users {
		upn := strings.ToLower(u.UserPrincipalName)
		if earlier, ok := ids[u.ID]; ok {
			conflicts = append(conflicts, ImportConflict{Index: i, Earlier: earlier, Conflict: ConflictError{Property: "id", Value: u.ID}})
			continue
		}
		if earlier, ok := upns[upn]; ok {
			conflicts = append(conflicts, ImportConflict{Index: i, Earlier: earlier, Conflict: ConflictError{Property: "userPrincipalName", Value: u.UserPrincipalName}})
			continue
		}
		ids[u.ID] = i
		if upn != "" {
			upns[upn] = i
		}
	}
	return conflicts
}
