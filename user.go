package graphprofile

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

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
	// Details are the user's other properties of UserType (the people
	// directory's: phones, office, address, employment), by name, as
	// DecodeBody makes them, set ones only. They are data to graphprofile,
	// not logic, so a property added to UserType needs no field here, and
	// no store migration either.
	Details Object
}

// identityProperties are the properties of UserType that User keeps in
// fields; every other one (but passwordProfile, never kept) is a Detail.
var identityProperties = []string{"id", "displayName", "userPrincipalName", "mail", "mailNickname", "givenName", "surname", "jobTitle", "accountEnabled"}

// Key returns the key that addresses u's profile in a Store.
func (u User) Key() UserKey { return UserKey{TenantID: u.TenantID, UserID: u.ID} }

// Clone returns u with its own AccountEnabled and Details, so that what one
// caller changes another never sees.
func (u User) Clone() User {
	if u.AccountEnabled != nil {
		e := *u.AccountEnabled
		u.AccountEnabled = &e
	}
	if u.Details != nil {
		u.Details = withoutNulls(u.Details).(Object)
	}
	return u
}

// UserKey addresses one user's profile: users and their positions are always
// scoped by tenant.
type UserKey struct {
	TenantID string
	UserID   string
}

// DefaultUserProperties are the properties Graph's v1.0 endpoint returns
// of a user without $select (its "default properties"); the others it
// returns only when $select names them.
var DefaultUserProperties = []string{"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail",
	"mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"}

// basicUserProperties are what User.ReadBasic.All reveals of another user
// (Graph's "basic profile"); the others are returned as null.
var basicUserProperties = []string{"id", "displayName", "userPrincipalName", "mail", "givenName", "surname"}

// Object returns u as a value of UserType. It shares the values of
// Details' collections with u: treat it as read-only.
func (u User) Object() Object {
	o := make(Object, len(identityProperties)+len(u.Details))
	for name, v := range u.Details {
		o[name] = v
	}
	o["id"] = u.ID
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
	for name, v := range o {
		if name == "passwordProfile" || slices.Contains(identityProperties, name) {
			continue
		}
		if u.Details == nil {
			u.Details = make(Object, len(o))
		}
		if t, ok := v.(time.Time); ok {
			// As every time graphprofile keeps: at the 100 ns that Graph's
			// seven fractional digits carry, so it reads back unchanged.
			v = t.UTC().Truncate(100 * time.Nanosecond)
		}
		u.Details[name] = v
	}
	return u
}

// EncodeStoredUser is the form a Store keeps a user's properties in, beside
// its tenant and id: their JSON, unset properties left out.
// DecodeStoredUser reads it back unchanged.
func EncodeStoredUser(u User) []byte {
	o := u.Object()
	delete(o, "id")
	return AppendObjectJSON(make([]byte, 0, 256), UserType, o, EncodeOptions{OmitNulls: true})
}

// DecodeStoredUser decodes the properties of user id of tenantID as
// EncodeStoredUser wrote them. A failure is an internal error (a corrupt
// store), never the caller's BadRequest.
func DecodeStoredUser(tenantID, id string, data []byte) (User, error) {
	d := decoder{data: data, stored: true}
	obj, err := d.document(UserType)
	if err != nil {
		return User{}, fmt.Errorf("the stored properties of user %q do not decode: %s", id, err.Error())
	}
	o := withoutNulls(obj).(Object)
	o["id"] = id
	return userFromObject(tenantID, o), nil
}

// NewUser builds a user of tenantID from a decoded POST /users body (or a
// line of an import file): displayName and userPrincipalName are required,
// id is kept when given (it must be a GUID) and made otherwise,
// accountEnabled defaults to true, passwordProfile is dropped; a property
// the CSDL declares Nullable="false" (businessPhones) may not be null.
func NewUser(tenantID string, body Object) (User, error) {
	if err := CheckNotNull(UserType, body); err != nil {
		return User{}, err
	}
	o := withoutNulls(body).(Object)
	delete(o, "passwordProfile")
	if _, ok := o["id"]; !ok {
		o["id"] = NewGUID()
	}
	if _, ok := o["accountEnabled"]; !ok {
		o["accountEnabled"] = true
	}
	if err := validateUser(o, slices.Concat(userPropertiesCheckedFirst, slices.Collect(maps.Keys(o)))...); err != nil {
		return User{}, err
	}
	o["id"] = NormalizeID(o["id"].(string))
	u := userFromObject(tenantID, o)
	if problem := displayNameProblem(u); problem != "" {
		return User{}, Errorf(CodeDirectoryBadRequest, "The displayName %s", problem)
	}
	if problem := principalNameProblem(u); problem != "" {
		return User{}, Errorf(CodeDirectoryBadRequest, "The userPrincipalName %s", problem)
	}
	return u, nil
}

// FixturesUser builds a user of tenantID from a user of a fixtures file.
// It is NewUser, but for what the directory itself records of a user at
// sign-in (Service.recordCaller) and no POST /users makes, so that an
// export, which holds such users, loads back: displayName and
// userPrincipalName may be missing (a token without a name, or whose
// principal name another user of the tenant held), the principal name may
// have another form (an issuer's preferred_username, such as "alice"), and
// id may be an object id that is not a GUID (an issuer other than Entra
// ID's), though never one with '@', which a token's oid never holds; and
// accountEnabled given as null stays unset, as an export writes a user
// whose accountEnabled is unset.
func FixturesUser(tenantID string, body Object) (User, error) {
	o := withoutNulls(body).(Object)
	delete(o, "passwordProfile")
	switch id, given := o["id"].(string); {
	case !given:
		o["id"] = NewGUID()
	case id == "" || strings.Contains(id, "@"):
		return User{}, invalidUserProperty("id")
	default:
		o["id"] = NormalizeID(id)
	}
	// An explicit null is an unset accountEnabled, kept unset (an export
	// writes it so); only a missing one takes the default.
	if _, given := body["accountEnabled"]; !given {
		o["accountEnabled"] = true
	}
	return userFromObject(tenantID, o), nil
}

// validateUser checks what the schema cannot, for the named properties of
// o: displayName and userPrincipalName are required, id must be a GUID,
// userPrincipalName must be local@domain; mailNickname, when given, an
// alias of ASCII an address's local part holds bare (mailNicknameRune),
// and mail an ASCII address, local@domain; usageLocation two letters of
// ASCII; and no string property is "", which the directory refuses (null
// clears one). It checks them in validationOrder.
func validateUser(o Object, names ...string) error {
	for _, name := range validationOrder(names) {
		s, given := o[name].(string)
		valid := true
		switch {
		case given && s == "":
			valid = false
		case name == "displayName":
			valid = strings.TrimSpace(s) != ""
		case name == "id":
			valid = IsGUID(s)
		case name == "userPrincipalName":
			valid = ValidPrincipalName(s)
		case name == "mailNickname":
			valid = !given || !strings.ContainsFunc(s, func(r rune) bool { return !mailNicknameRune(r) })
		case name == "mail":
			valid = !given || isMailAddress(s)
		case name == "usageLocation":
			// "A two-letter country code (ISO standard 3166)".
			valid = !given || len(s) == 2 && isASCIILetter(s[0]) && isASCIILetter(s[1])
		}
		if !valid {
			return invalidUserProperty(name)
		}
	}
	return nil
}

// ValidPrincipalName reports whether the directory takes s as a user's
// principal name (POST and PATCH /users, users import): local@domain, the
// local part of the characters Graph's user resource allows (an alias's:
// A-Z a-z 0-9 ' . - _ ! # ^ ~, no accent), the domain of a domain name's
// (letters, digits, '.' and '-'). ASCII alone, so that no two names that
// read alike (é and e with U+0301, k and the Kelvin sign, which lower-cases
// to k) are two users, and none ends in a line end a log or a form loses.
// Entra ID's username policies, to which the user resource points for the
// complete rules, add: no '.' right before the '@', at most 64 characters
// before it and 48 after (the whole, 113, is the schema's to bound:
// UserType's userPrincipalName MaxLength). A principal name recorded at
// sign-in is an issuer's, taken as it comes (FixturesUser).
func ValidPrincipalName(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" &&
		len(local) <= maxPrincipalNameLocal && len(domain) <= maxPrincipalNameDomain &&
		!strings.HasSuffix(local, ".") &&
		!strings.ContainsFunc(local, func(r rune) bool { return !mailNicknameRune(r) }) &&
		!strings.ContainsFunc(domain, func(r rune) bool { return !domainNameRune(r) })
}

// The lengths of a principal name's parts, in characters (ASCII: bytes),
// from Entra ID's username policies.
const (
	maxPrincipalNameLocal  = 64
	maxPrincipalNameDomain = 48
)

// mailNicknameRune reports whether a mail alias may hold r: ASCII letters
// and digits and ' . - _ ! # ^ ~, the characters Entra ID lets an alias
// hold. Graph refuses "naveen.mills,.jr." (its own docs' example body), an
// alias with '@', white space or a letter outside ASCII ("jàhn").
func mailNicknameRune(r rune) bool {
	return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("'.-_!#^~", r))
}

// isMailAddress reports whether s is local@domain in ASCII: the local part
// of the characters RFC 5322 lets one hold bare (an alias's, and + = $ % &
// * / ? { | } `), the domain of letters, digits, '.' and '-'. Graph refuses
// "jàhn@mail.de".
func isMailAddress(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" &&
		!strings.ContainsFunc(local, func(r rune) bool { return !mailNicknameRune(r) && !strings.ContainsRune("+=$%&*/?{|}`", r) }) &&
		!strings.ContainsFunc(domain, func(r rune) bool { return !domainNameRune(r) })
}

// userPropertiesCheckedFirst are the properties validateUser checks before
// any other, in this order: those POST /users requires (a missing id is
// made before), then the aliases Graph checks.
var userPropertiesCheckedFirst = []string{"id", "displayName", "userPrincipalName", "mailNickname", "mail"}

// validationOrder returns names, each once, in the order validateUser
// checks them, so that a body with several bad properties is refused for
// the same one every time, on POST and PATCH: userPropertiesCheckedFirst
// first, then the others by name.
func validationOrder(names []string) []string {
	var ordered []string
	for _, name := range userPropertiesCheckedFirst {
		if slices.Contains(names, name) {
			ordered = append(ordered, name)
		}
	}
	others := slices.DeleteFunc(slices.Clone(names), func(name string) bool { return slices.Contains(userPropertiesCheckedFirst, name) })
	slices.Sort(others)
	return append(ordered, slices.Compact(others)...)
}

// isASCIILetter reports whether c is a letter of ASCII.
func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// domainNameRune reports whether a domain name may hold r: ASCII letters
// and digits, '.' and '-'.
func domainNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-'
}

// invalidUserProperty is Graph's directory error for a bad or missing value.
func invalidUserProperty(name string) error {
	return Errorf(CodeDirectoryBadRequest, "Invalid value specified for property '%s' of resource 'User'.", name)
}

// mergeUser applies a decoded PATCH body to u. The id never changes;
// passwordProfile is dropped; businessPhones is cleared with [], not null
// (CheckNotNull).
func mergeUser(u User, body Object) (User, error) {
	if err := CheckNotNull(UserType, body); err != nil {
		return User{}, err
	}
	before := u.Object()
	patch := make(Object, len(body))
	var changed []string
	for k, v := range body {
		if k == "id" || k == "passwordProfile" {
			continue
		}
		patch[k] = v
		// A string sent as it is stored, or null for a property that is
		// unset, changes nothing (a client that sends back the user it
		// read: GET shows an unset name as null).
		_, set := before[k]
		if s, isString := v.(string); (v != nil || set) && (!isString || before[k] != s) {
			changed = append(changed, k)
		}
	}
	o := MergePatch(UserType, before, patch)
	// Only what the body changes must be valid: a user recorded from a
	// token may lack a principal name or have one POST /users would not
	// take, a user stored before a rule a value it refuses, and their other
	// properties can still be set.
	if err := validateUser(o, changed...); err != nil {
		return User{}, err
	}
	next := userFromObject(u.TenantID, o)
	if slices.Contains(changed, "displayName") {
		// The keys the stores index (nameKeyRoom); a user stored before
		// that bound keeps its name while other properties change.
		if problem := displayNameProblem(next); problem != "" {
			return User{}, Errorf(CodeDirectoryBadRequest, "The displayName %s", problem)
		}
	}
	if slices.Contains(changed, "userPrincipalName") {
		if problem := principalNameProblem(next); problem != "" {
			return User{}, Errorf(CodeDirectoryBadRequest, "The userPrincipalName %s", problem)
		}
	}
	return next, nil
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
	seen := NewImportSeen(len(users))
	for i, u := range users {
		if earlier, conflict := seen.Add(i, u); conflict != nil {
			conflicts = append(conflicts, ImportConflict{Index: i, Earlier: earlier, Conflict: *conflict})
		}
	}
	return conflicts
}

// ImportSeen is ImportConflicts' rule for a batch given one user at a
// time (graphprofile users import reads its file as it writes it): it keeps
// the id and the principal name of each user that repeats nothing, with
// the number the caller gives it (an index, a line), and nothing else of
// the users.
type ImportSeen struct {
	ids, upns map[string]int
}

// NewImportSeen returns an empty ImportSeen, with room for n users.
func NewImportSeen(n int) *ImportSeen {
	return &ImportSeen{ids: make(map[string]int, n), upns: make(map[string]int, n)}
}

// Add checks u, numbered n, against the users added before it. When u
// repeats one's id or (else) user principal name, it returns that user's
// number and what u repeats, and keeps nothing of u.
func (s *ImportSeen) Add(n int, u User) (earlier int, conflict *ConflictError) {
	upn := PrincipalNameKey(u.UserPrincipalName)
	if earlier, ok := s.ids[u.ID]; ok {
		return earlier, &ConflictError{Property: "id", Value: u.ID}
	}
	if earlier, ok := s.upns[upn]; ok {
		return earlier, &ConflictError{Property: "userPrincipalName", Value: u.UserPrincipalName}
	}
	s.ids[u.ID] = n
	if upn != "" {
		s.upns[upn] = n
	}
	return 0, nil
}

// Number returns the number of the user added that has what conflict (a
// Store's, for a user of the batch) names: its id, or its principal name
// in any case; false when none has.
func (s *ImportSeen) Number(conflict *ConflictError) (int, bool) {
	var n int
	var ok bool
	if conflict.Property == "id" {
		n, ok = s.ids[conflict.Value]
	} else {
		n, ok = s.upns[PrincipalNameKey(conflict.Value)]
	}
	return n, ok
}
