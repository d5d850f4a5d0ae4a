package graphprofile

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Service is what graphprofile does for a caller: it decides whether a
// principal may act on a profile, then validates, merges and stores. The HTTP
// layer calls it; it never sees an HTTP request.
type Service struct {
	Store Store
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// NewID returns the id of a new item; nil means a time-ordered GUID
	// (NewTimeOrderedGUID at Now).
	NewID func() string
	// MaxItems is the most items one collection of a profile holds; a
	// create past it is refused with quotaLimitReached. Zero means
	// DefaultMaxItems.
	MaxItems int
}

// DefaultMaxItems is the most items a collection of one profile holds by
// default: far above any real person's profile (LinkedIn, for one, shows
// at most 100 skills), far below what makes one profile slow to serve.
const DefaultMaxItems = 1000

// ProfileRef names the user (and so the profile) a request addresses: the
// caller's own (/me) or a user's by id or user principal name (/users/{key}).
type ProfileRef struct {
	Me      bool
	UserKey string
	// KeyProperty, when not "", is the one property UserKey is a value of:
	// KeyByID or KeyByPrincipalName (OData's named keys, users(id='…') and
	// users(userPrincipalName='…')). By default UserKey is either, the id
	// first.
	KeyProperty string
}

// The properties a ProfileRef's KeyProperty names.
const (
	KeyByID            = "id"
	KeyByPrincipalName = "userPrincipalName"
)

// UserKeyProperties are the properties of a user the stores find it by, on
// an index (Store.FindUser): its keys, as ScanUsersByKey takes them.
func UserKeyProperties() []string { return []string{KeyByID, KeyByPrincipalName} }

// IsUserKeyProperty reports whether property is one of UserKeyProperties.
func IsUserKeyProperty(property string) bool {
	return slices.Contains(UserKeyProperties(), property)
}

// names reports whether u is the user ref names by its key: always for a
// key of either property, else only by the property named.
func (ref ProfileRef) names(u User) bool {
	switch ref.KeyProperty {
	case KeyByID:
		return NormalizeID(ref.UserKey) == NormalizeID(u.ID)
	case KeyByPrincipalName:
		return u.UserPrincipalName != "" && PrincipalNameKey(ref.UserKey) == PrincipalNameKey(u.UserPrincipalName)
	}
	return true
}

// Access is the caller's permission to perform one operation, on one user
// (and profile) or on the directory as a whole. Only Service.Authorize and
// Service.AuthorizeDirectory make them.
type Access struct {
	caller Principal
	owner  User // the user acted on; zero for directory operations
	op     Operation
	own    bool // owner is the caller
	basic  bool // only User.ReadBasic.All allows it: the basic profile only
	// directory: a permission over the whole directory allows it (".All"),
	// not only one over the caller's own user; only then may a user's
	// identity properties change.
	directory bool
}

// Owner is the user acted on.
func (a Access) Owner() User { return a.owner }

// TenantKey is the key of the caller's tenant: the directory a directory
// operation acts on.
func (a Access) TenantKey() string { return a.caller.TenantKey() }

// CheckMe refuses /me (ref.Me) for an application token, which signs in
// no user: BadRequest, in Graph's words. Graph's front door answers it
// before the request reaches the profile's service, so before anything of
// the request's query or body is read; the HTTP layer calls it that early.
func CheckMe(caller Principal, ref ProfileRef) error {
	if ref.Me && !caller.Delegated {
		return Errorf(CodeBadRequest, "/me request is only valid with delegated authentication flow.")
	}
	return nil
}

// Authorize decides whether caller may perform op on the user ref names (its
// profile and the profile's items, or the user itself) and, if so, finds that user. A delegated
// caller's own user is recorded in the directory on first use, so /me and
// the caller's own id and principal name work at once.
//
// Errors: BadRequest for /me with an application token;
// Authorization_RequestDenied when the caller lacks the permission (checked
// before the user is looked up, so it reveals nothing about who exists);
// Request_ResourceNotFound when no user of the caller's tenant is ref.
func (s *Service) Authorize(ctx context.Context, caller Principal, ref ProfileRef, op Operation) (Access, error) {
	if err := CheckMe(caller, ref); err != nil {
		return Access{}, err
	}
	// The caller's own user as the directory has it: whether ref names the
	// caller is the directory's answer (its UPN may differ from the token's).
	var self User
	if caller.Delegated {
		var err error
		if self, err = s.recordCaller(ctx, caller); err != nil {
			return Access{}, err
		}
	}
	// ref names the caller as the store would find it (Store.FindUser): by
	// its id, or by its principal name's key; Unicode's case folding would
	// also make "ſam" the caller "sam", whom the store tells apart.
	byName := caller.Delegated && !ref.Me && ref.KeyProperty != KeyByID &&
		self.UserPrincipalName != "" && PrincipalNameKey(ref.UserKey) == PrincipalNameKey(self.UserPrincipalName)
	own := caller.Delegated && (ref.Me ||
		(ref.KeyProperty != KeyByPrincipalName && NormalizeID(ref.UserKey) == NormalizeID(self.ID)) || byName)
	if own && byName && ref.KeyProperty == "" && NormalizeID(ref.UserKey) != NormalizeID(self.ID) && !strings.Contains(ref.UserKey, "@") {
		// A key of either property is an id first: a principal name
		// that spells another user's id (another issuer's
		// preferred_username, a fixtures file's name) names that user.
		// No id holds '@' (FixturesUser, the token's oid), so a
		// principal name that does needs no lookup.
		holder, err := s.Store.FindUser(ctx, caller.TenantKey(), NormalizeID(ref.UserKey))
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Access{}, err
		}
		own = err != nil || holder.ID == self.ID
	}
	a, err := authorize(caller, op, own)
	if err != nil {
		return Access{}, err
	}
	if own {
		a.owner = self
		return a, nil
	}
	a.owner, err = s.Store.FindUser(ctx, caller.TenantKey(), NormalizeID(ref.UserKey))
	// FindUser tries the id first, then the principal name: a key named
	// by one property is only that property's value.
	if errors.Is(err, ErrNotFound) || (err == nil && !ref.names(a.owner)) {
		return Access{}, userNotFound(ref.UserKey)
	}
	if err != nil {
		return Access{}, err
	}
	return a, nil
}

// AuthorizeDirectory decides whether caller may perform op (ListUsers,
// CreateUser) on the users of its tenant. A delegated caller is recorded
// in the directory first, as Authorize records it: whatever its first
// request, the directory it reads holds it. Errors:
// Authorization_RequestDenied.
func (s *Service) AuthorizeDirectory(ctx context.Context, caller Principal, op Operation) (Access, error) {
	if caller.Delegated {
		if _, err := s.recordCaller(ctx, caller); err != nil {
			return Access{}, err
		}
	}
	return authorize(caller, op, false)
}

// recordCaller records a delegated caller's own user in the directory on
// its first use and returns it as the directory has it. It is recorded
// enabled: it has just signed in, and every user Graph shows has
// accountEnabled true or false (a null would not survive an export and a
// load, which, as POST /users, take a missing accountEnabled for true).
func (s *Service) recordCaller(ctx context.Context, caller Principal) (User, error) {
	if err := checkClaims(caller); err != nil {
		return User{}, err
	}
	enabled := true
	self, err := s.Store.EnsureUser(ctx, User{
		TenantID:          caller.TenantKey(),
		ID:                NormalizeID(caller.ObjectID),
		UserPrincipalName: caller.UserPrincipalName,
		DisplayName:       caller.DisplayName,
		AccountEnabled:    &enabled,
	})
	if err != nil {
		return User{}, fmt.Errorf("recording the caller in the directory: %w", err)
	}
	return self, nil
}

// checkClaims refuses a caller whose token carries a claim the directory
// cannot record (UnrecordableClaim): the same 400 on every store.
func checkClaims(caller Principal) error {
	if claim, problem := UnrecordableClaim(caller); problem != "" {
		return Errorf(CodeBadRequest, "The access token's %s claim %s", claim, problem)
	}
	return nil
}

// unstorableAppClaim names the first of an application caller's claims
// that the items it changes record of it (lastModifiedBy's application,
// identitySet: its display name, app_displayname or else name, and its id,
// appid or else azp) and that an item cannot hold: longer than an
// identity's property, or with a NUL ("" when both fit; a name from the
// name claim is named app_displayname too). Stored, such a value made an
// export that does not load back.
func unstorableAppClaim(caller Principal) (claim, problem string) {
	return unfitClaim(IdentityType, []recordedClaim{
		{"app_displayname", caller.DisplayName, "displayName"},
		{"appid", caller.AppID, "id"},
	}, "the most an item records of an application's", "which no item can record")
}

// recordedClaim is a token claim's name, its value and the property of
// the type that records it.
type recordedClaim struct{ name, value, property string }

// unfitClaim names the first of claims whose value t's property cannot
// record, and says why ("" when all fit): longer than the property holds
// (the most …, said by most), or with a NUL (which …, said by nul).
func unfitClaim(t *Type, claims []recordedClaim, most, nul string) (claim, problem string) {
	for _, c := range claims {
		switch p := t.Property(c.property); p.stringFault(c.value) {
		case stringTooLong:
			return c.name, fmt.Sprintf("is longer than %d characters, %s %s.", p.maxLength(), most, c.property)
		case stringHasNUL:
			return c.name, "contains a NUL character (U+0000), " + nul + "."
		}
	}
	return "", ""
}

// UnrecordableClaim names the first of a signed-in caller's name, upn and
// oid claims that the directory cannot record of it, and says why ("" when
// it can record them all): a character no store can hold, a value longer
// than the directory holds of that property (UserType's limits, as POST
// /users has them: PostgreSQL's indexes hold no principal name or id of
// thousands of characters, and an export must load back), or an id or a
// principal name whose bytes do not fit the keys the stores index beside
// the caller's tenant's key (MaxKeyBytes).
func UnrecordableClaim(caller Principal) (claim, problem string) {
	if claim, problem := unfitClaim(UserType, []recordedClaim{
		{"name", caller.DisplayName, "displayName"},
		{"upn", caller.UserPrincipalName, "userPrincipalName"},
		{"oid", caller.ObjectID, "id"},
	}, "the most the directory records of a user's", "which the directory cannot record"); problem != "" {
		return claim, problem
	}
	// Within those limits, the keys the stores index must fit too
	// (MaxKeyBytes): an id of 1,024 characters of three bytes each
	// does not, beside the tenant's key.
	tenantKey := caller.TenantKey()
	if room := userIDRoom(tenantKey, 0); len(caller.ObjectID) > room {
		return "oid", fmt.Sprintf("takes %d bytes of UTF-8, more than the %d the directory records of a user's id in this tenant.", len(caller.ObjectID), max(room, 0))
	}
	if n, room := nameKeyLen(caller.DisplayName), nameKeyRoom(tenantKey, NormalizeID(caller.ObjectID)); n > room {
		return "name", fmt.Sprintf("takes %d bytes of UTF-8 in lower case, more than the %d the directory records of a user's displayName beside its id in this tenant.", n, max(room, 0))
	}
	if room := principalNameRoom(tenantKey); nameKeyLen(caller.UserPrincipalName) > room {
		return "upn", fmt.Sprintf("takes %d bytes of UTF-8, more than the %d the directory records of a user's userPrincipalName in this tenant.", len(PrincipalNameKey(caller.UserPrincipalName)), max(room, 0))
	}
	return "", ""
}

func authorize(caller Principal, op Operation, own bool) (Access, error) {
	grants := caller.grantsOf(op, own)
	if len(grants) == 0 {
		return Access{}, Errorf(CodeAuthorizationDenied, "Insufficient privileges to complete the operation.")
	}
	basicOnly, directory := true, false
	for _, g := range grants {
		basicOnly = basicOnly && strings.EqualFold(g, basicReadPermission)
		directory = directory || strings.HasSuffix(g, ".All")
	}
	return Access{caller: caller, op: op, own: own, basic: basicOnly, directory: directory}, nil
}

func userNotFound(key string) error {
	return Errorf(CodeUserNotFound,
		"Resource '%s' does not exist or one of its queried reference-property objects are not present.", key)
}

// mayView reports whether the caller may see item it: the owner sees all of
// its items and an application (with User.Read.All or User.ReadWrite.All)
// sees everything; another user sees only items whose allowedAudiences
// include organization, federatedOrganizations or everyone. graphprofile
// does not model family, contacts or group membership, so items shared only
// with those are the owner's alone, as are items with no allowedAudiences.
// Every facet inherits allowedAudiences from itemFacet, so the rule is the
// same for every collection.
func (a Access) mayView(it Item) bool {
	if a.own || !a.caller.Delegated {
		return true
	}
	audiences, _ := it["allowedAudiences"].(string)
	for member := range strings.SplitSeq(audiences, ",") {
		switch member {
		case "organization", "federatedOrganizations", "everyone":
			return true
		}
	}
	return false
}

// ScanItems calls visit with the items of collection c of the accessed
// profile that the caller may see, in order (as Store.ScanItems), strictly
// after `after` (nil: from the first), until visit returns false or an
// error or the items end. The store reads in pages as far as
// visit goes, so a page of a big profile costs a page. Errors:
// Request_ResourceNotFound when the user was deleted (through another
// server on the same database, a reset) since Authorize found it.
func (s *Service) ScanItems(ctx context.Context, a Access, c Collection, order ItemOrder, after *ItemPosition, visit func(Item) (bool, error)) error {
	if err := a.allows(ListItems); err != nil {
		return err
	}
	var visitErr error
	err := s.Store.ScanItems(ctx, a.owner.Key(), c, order, after, func(it Item) (bool, error) {
		if !a.mayView(it) {
			return true, nil
		}
		more, err := visit(it)
		visitErr = err
		return more, err
	})
	if errors.Is(err, ErrNotFound) && visitErr == nil {
		return userNotFound(a.owner.ID) // deleted since Authorize found it
	}
	return err
}

// GetItem returns one item of collection c. Errors: itemNotFound, also for
// an item the caller may not see.
func (s *Service) GetItem(ctx context.Context, a Access, c Collection, id string) (Item, error) {
	if err := a.allows(GetItem); err != nil {
		return nil, err
	}
	it, err := s.Store.GetItem(ctx, a.owner.Key(), c, id)
	if err == nil && !a.mayView(it) {
		err = ErrNotFound
	}
	if err != nil {
		// Never the item beside its error: a hidden item must not reach
		// a caller that forgets to check.
		return nil, itemError(err, c, id)
	}
	return it, nil
}

// CreateItem creates an item of collection c from body, a decoded request
// body of c's type (DecodeBody), and returns it as stored. Errors:
// quotaLimitReached; Request_ResourceNotFound when the user was deleted
// since Authorize found it.
func (s *Service) CreateItem(ctx context.Context, a Access, c Collection, body Object) (Item, error) {
	if err := a.allows(CreateItem); err != nil {
		return nil, err
	}
	if err := CheckNotNull(c.Type, body); err != nil {
		return nil, err
	}
	now := s.now()
	if err := checkKeptInstant("createdDateTime", now); err != nil {
		return nil, err
	}
	it := newItemOf(c.Type, body, false, serverManagedOnCreate)
	it["id"] = s.newID(now)
	it["createdDateTime"] = now
	it["lastModifiedDateTime"] = now
	// One identity set for both: an item is never changed in place (an
	// update makes a new map, with a new lastModifiedBy), so they may
	// share it.
	by := a.caller.identitySet()
	it["createdBy"] = by
	it["lastModifiedBy"] = by
	if err := s.Store.CreateItem(ctx, a.owner.Key(), c, it, s.maxItems()); err != nil {
		if errors.Is(err, ErrCollectionFull) {
			return nil, Errorf(CodeQuotaLimitReached, "The maximum storage quota has been reached.")
		}
		if errors.Is(err, ErrNotFound) {
			return nil, userNotFound(a.owner.ID) // deleted since Authorize found it
		}
		return nil, err
	}
	return it, nil
}

// serverManagedOnCreate is how many properties CreateItem sets besides the
// body's: allowedAudiences, id, createdDateTime, lastModifiedDateTime,
// createdBy, lastModifiedBy.
const serverManagedOnCreate = 6

// newItemOf makes a new item of type t of the given values, as a create
// and a fixtures file make one: its values without nulls, the default of
// each not-null property it lacks, and allowedAudiences
// DefaultAllowedAudiences when given has none, or has null and
// nullClearsAudiences is false (a fixture's null is an item left its
// owner's alone, as it was exported). extra sizes the map for the
// properties the caller sets besides, so that it is made once, not grown.
func newItemOf(t *Type, given Object, nullClearsAudiences bool, extra int) Item {
	it := make(Item, len(given)+extra)
	for name, v := range given {
		if v != nil {
			it[name] = withoutNulls(v)
		}
	}
	FillNotNullDefaults(t, Object(it))
	if _, ok := it["allowedAudiences"]; !ok {
		if _, null := given["allowedAudiences"]; !null || !nullClearsAudiences {
			it["allowedAudiences"] = DefaultAllowedAudiences
		}
	}
	return it
}

// maxItems is the most items one collection of a profile holds.
func (s *Service) maxItems() int {
	if s.MaxItems > 0 {
		return s.MaxItems
	}
	return DefaultMaxItems
}

// UpdateItem merges body, a decoded PATCH body of c's type (DecodeBody),
// into item id of collection c and returns the result, in one store
// transaction, so that concurrent updates of different properties all take
// effect. ifMatch is the request's If-Match header ("" when absent).
// Errors: itemNotFound, preconditionFailed.
func (s *Service) UpdateItem(ctx context.Context, a Access, c Collection, id string, body Object, ifMatch string) (Item, error) {
	if err := a.allows(UpdateItem); err != nil {
		return nil, err
	}
	if err := CheckNotNull(c.Type, body); err != nil {
		return nil, err
	}
	if !a.caller.Delegated {
		// An application is recorded in the item it changes: what the
		// item cannot hold of it is refused, not stored.
		if claim, problem := unstorableAppClaim(a.caller); problem != "" {
			return nil, Errorf(CodeBadRequest, "The access token's %s claim %s", claim, problem)
		}
	}
	modifiedBy := a.caller.identitySet()
	it, err := s.Store.UpdateItem(ctx, a.owner.Key(), c, id, func(cur Item) (Item, error) {
		if !a.mayView(cur) {
			return nil, ErrNotFound
		}
		if err := checkIfMatch(ifMatch, c, cur); err != nil {
			return nil, err
		}
		next := MergePatch(c.Type, Object(cur), body)
		// Strictly later than the last change, even on a coarse clock: the
		// ETag is derived from it and must change with every update.
		modified := s.now()
		if last := cur.LastModifiedDateTime(); !modified.After(last) {
			modified = last.Add(100 * time.Nanosecond)
		}
		if err := checkKeptInstant("lastModifiedDateTime", modified); err != nil {
			return nil, err
		}
		next["lastModifiedDateTime"] = modified
		next["lastModifiedBy"] = modifiedBy
		return Item(next), nil
	})
	return it, itemError(err, c, id)
}

// DeleteItem removes item id of collection c; ifMatch is the request's
// If-Match header ("" when absent). Errors: itemNotFound, also for an item
// the caller may not see; preconditionFailed.
func (s *Service) DeleteItem(ctx context.Context, a Access, c Collection, id string, ifMatch string) error {
	if err := a.allows(DeleteItem); err != nil {
		return err
	}
	err := s.Store.DeleteItem(ctx, a.owner.Key(), c, id, func(it Item) error {
		if !a.mayView(it) {
			return ErrNotFound
		}
		return checkIfMatch(ifMatch, c, it)
	})
	return itemError(err, c, id)
}

// ProfileID is the id of every profile: Graph's profile service answers
// the constant "profileId", not an id of the user's.
const ProfileID = "profileId"

// Profile is a user's profile as the caller may see it.
type Profile struct {
	// Collections are the collections read, by the name of their navigation
	// property in ProfileType, each in list order: what GetProfile's keep
	// took of it.
	Collections map[string][]Object
	// Cut names the collections whose reading keep stopped: more items
	// follow what Collections holds of them.
	Cut map[string]bool
}

// GetProfile returns the accessed profile with the collections asked for
// (ProfileCollections, or some of them), each holding what the caller may
// see of it, exactly as listing it would, as far as keep takes it: keep is
// called with each item in turn, collection after collection in the order
// of collections (i is the index of the item's collection), and returns
// false to leave that item and the rest of its collection out (Cut then
// names it), or an error, returned as is. The first ProfileHeadItems items
// of every collection are read in one store call (Store.ListProfile), what
// lies past them with a scan of its collection (Store.ScanItems, keyset
// pages) as far as keep goes, so that a real profile costs one call and a
// big one what it keeps, plus a page, whatever its size.
func (s *Service) GetProfile(ctx context.Context, a Access, collections []Collection, keep func(i int, o Object) (bool, error)) (Profile, error) {
	if err := a.allows(GetProfile); err != nil {
		return Profile{}, err
	}
	heads, err := s.Store.ListProfile(ctx, a.owner.Key(), collections, ProfileHeadItems+1)
	if err == nil && len(heads) != len(collections) {
		err = fmt.Errorf("the store listed %d collections of %d", len(heads), len(collections))
	}
	profile := Profile{Collections: make(map[string][]Object, len(collections)), Cut: map[string]bool{}}
	for i, c := range collections {
		if err != nil {
			break
		}
		objects, stopped := []Object{}, false
		visit := func(it Item) (bool, error) {
			if !a.mayView(it) {
				return true, nil
			}
			kept, err := keep(i, Object(it))
			if err != nil || !kept {
				stopped = true
				profile.Cut[c.Name] = err == nil
				return false, err
			}
			objects = append(objects, Object(it))
			return true, nil
		}
		head, more := heads[i], len(heads[i]) > ProfileHeadItems
		if more {
			head = head[:ProfileHeadItems]
		}
		for _, it := range head {
			if goOn, visitErr := visit(it); visitErr != nil || !goOn {
				err = visitErr
				break
			}
		}
		if err == nil && more && !stopped {
			var last ItemPosition
			if last, err = PositionOf(head[len(head)-1]); err == nil {
				err = s.Store.ScanItems(ctx, a.owner.Key(), c, OldestFirst, &last, visit)
			}
		}
		profile.Collections[c.Name] = objects
	}
	if errors.Is(err, ErrNotFound) {
		return Profile{}, userNotFound(a.owner.ID) // deleted since Authorize found it
	}
	if err != nil {
		return Profile{}, err
	}
	return profile, nil
}

// ProfileHeadItems is how many items of each collection GetProfile reads
// in one store call: those of a real profile, whose collections hold a few
// items each.
const ProfileHeadItems = 5

// DeleteProfile removes the data of the accessed profile, every item of
// every collection (items hidden from the caller too: whoever may delete
// another user's profile may delete that user), in one transaction; the
// user stays. ifMatch is the request's If-Match header: a profile has no
// entity tag, so only "*" (or none) matches. Errors: preconditionFailed.
func (s *Service) DeleteProfile(ctx context.Context, a Access, ifMatch string) error {
	if err := a.allows(DeleteProfile); err != nil {
		return err
	}
	if err := CheckNoETag(ifMatch, "a profile"); err != nil {
		return err
	}
	err := s.Store.DeleteProfile(ctx, a.owner.Key())
	if errors.Is(err, ErrNotFound) {
		return userNotFound(a.owner.ID)
	}
	return err
}

// checkIfMatch applies an If-Match header to the current item it of
// collection c: absent, or naming it's ETag (ETagListed).
func checkIfMatch(ifMatch string, c Collection, it Item) error {
	if strings.TrimSpace(ifMatch) == "" || ETagListed(ifMatch, it.ETag()) {
		return nil
	}
	return Errorf(CodePreconditionFailed, "The If-Match header does not match the current ETag of the %s; read it again and retry.", c.Type.ShortName())
}

// ScanUsers calls visit with the users of the caller's tenant as the
// caller may see them, ordered by id, strictly after afterID ("": from
// the first), until visit returns false or an error or the users end; the
// store reads in pages as far as visit goes.
func (s *Service) ScanUsers(ctx context.Context, a Access, afterID string, visit func(Object) (bool, error)) error {
	if err := a.allows(ListUsers); err != nil {
		return err
	}
	return s.Store.ScanUsers(ctx, a.caller.TenantKey(), afterID, func(u User) (bool, error) {
		return visit(a.view(u))
	})
}

// ScanUsersByName is ScanUsers in the order of `$orderby=property`
// (descending: `property desc`), property one of the user's names
// (IsUserNameProperty), from the store's index (Store.ScanUsersByName),
// strictly after `after` (nil: from the first).
func (s *Service) ScanUsersByName(ctx context.Context, a Access, property string, descending bool, after *NamePosition, visit func(Object) (bool, error)) error {
	if err := a.allows(ListUsers); err != nil {
		return err
	}
	return s.Store.ScanUsersByName(ctx, a.caller.TenantKey(), property, descending, after, func(u User) (bool, error) {
		return visit(a.view(u))
	})
}

// CountUsers returns how many users the caller's tenant has, counted by the
// store (Store.CountUsers) without reading them.
func (s *Service) CountUsers(ctx context.Context, a Access) (int, error) {
	if err := a.allows(ListUsers); err != nil {
		return 0, err
	}
	return s.Store.CountUsers(ctx, a.caller.TenantKey())
}

// MaxUserLookups is the most values ScanUsersByKey looks up; a query
// naming more scans the directory.
const MaxUserLookups = 100

// ScanUsersByKey is ScanUsers of the users whose id is one of values
// (property "id") or whose user principal name in lower case is
// (property "userPrincipalName"): at most one for each value, found by
// the store's lookup (FindUser, on an index) rather than a scan of the
// tenant, visited in ScanUsers' order (by id, byte order) strictly after
// afterID. It reports false, having visited no one, when the lookups cannot
// tell (another property, more than MaxUserLookups values, an empty one, a
// user whose id is a principal name sought, an afterID no store holds): the
// caller scans.
func (s *Service) ScanUsersByKey(ctx context.Context, a Access, property string, values []string, afterID string, visit func(Object) (bool, error)) (bool, error) {
	if err := a.allows(ListUsers); err != nil {
		return false, err
	}
	if !IsUserKeyProperty(property) || len(values) > MaxUserLookups ||
		strings.IndexByte(afterID, 0) >= 0 || !utf8.ValidString(afterID) {
		return false, nil
	}
	found := map[string]User{}
	for _, value := range values {
		if value == "" || (property == "userPrincipalName" && PrincipalNameKey(value) != value) {
			return false, nil // the store's key of value would not be value
		}
		u, err := s.Store.FindUser(ctx, a.caller.TenantKey(), value)
		if errors.Is(err, ErrNotFound) {
			continue // no user has that id nor that principal name
		}
		if err != nil {
			return false, err
		}
		// FindUser prefers the user whose id is value: when the principal
		// name is sought, that user may not hold it while another one does.
		if u.ID != value && property == "id" {
			continue // no user has that id
		}
		if property == "userPrincipalName" && PrincipalNameKey(u.UserPrincipalName) != value {
			return false, nil // found by its id: another user may hold the name
		}
		if u.ID > afterID {
			found[u.ID] = u
		}
	}
	return true, visitByID(a, found, visit)
}

// visitByID calls visit with the users of found, by id (byte order, as
// ScanUsers visits them), as a views them, until visit says no more.
func visitByID(a Access, found map[string]User, visit func(Object) (bool, error)) error {
	for _, id := range slices.Sorted(maps.Keys(found)) {
		if more, err := visit(a.view(found[id])); err != nil || !more {
			return err
		}
	}
	return nil
}

// MaxPrefixUsers bounds the users ScanUsersByPrefix gathers for one
// request (it orders them by id in memory): past it, the caller scans the
// directory, streaming, as it would without the conditions.
const MaxPrefixUsers = 5000

// ScanUsersByPrefix is ScanUsers of the users that meet one of
// conditions (a filter's, odata.Filter.Prefixes): whose key of a
// condition's property starts with its prefix, found on the store's
// indexes (Store.ScanUsersByPrefix) rather than by a scan of the tenant,
// each once, visited in ScanUsers' order (by id, byte order) strictly after
// afterID. It reports false, having visited no one, when they cannot
// tell: a property the store keeps no index of, an empty prefix (every
// user has a key that starts with it), more than MaxUserLookups
// conditions, more than limit users found (at most MaxPrefixUsers), an
// afterID no store holds: the caller scans.
func (s *Service) ScanUsersByPrefix(ctx context.Context, a Access, conditions []KeyPrefix, afterID string, limit int, visit func(Object) (bool, error)) (bool, error) {
	if err := a.allows(ListUsers); err != nil {
		return false, err
	}
	if len(conditions) > MaxUserLookups || strings.IndexByte(afterID, 0) >= 0 || !utf8.ValidString(afterID) {
		return false, nil
	}
	for _, c := range conditions {
		if c.Prefix == "" || !IsUserNameProperty(c.Property) {
			return false, nil
		}
	}
	errTooMany := errors.New("too many users")
	found := map[string]User{}
	for _, c := range conditions {
		err := s.Store.ScanUsersByPrefix(ctx, a.caller.TenantKey(), c.Property, c.Prefix, func(u User) (bool, error) {
			if u.ID > afterID {
				found[u.ID] = u
			}
			if len(found) > min(limit, MaxPrefixUsers) {
				return false, errTooMany
			}
			return true, nil
		})
		if errors.Is(err, errTooMany) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	return true, visitByID(a, found, visit)
}

// GetUser returns the accessed user as the caller may see it.
func (s *Service) GetUser(_ context.Context, a Access) (Object, error) {
	if err := a.allows(GetUser); err != nil {
		return nil, err
	}
	return a.view(a.owner), nil
}

// CreateUser adds a user to the caller's tenant from a decoded POST /users
// body (see NewUser). Errors: Request_BadRequest for a missing or bad value,
// or an id or user principal name another user has.
func (s *Service) CreateUser(ctx context.Context, a Access, body Object) (Object, error) {
	if err := a.allows(CreateUser); err != nil {
		return nil, err
	}
	u, err := NewUser(a.caller.TenantKey(), body)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		return nil, conflictError(err)
	}
	return u.Object(), nil
}

// UpdateUser merges a decoded PATCH body into the accessed user. A user
// changing themself with a permission over their own user only
// (User.ReadWrite) may change only the properties Graph lets a user change
// about themself (SelfService in UserType); the others (the user principal
// name, accountEnabled, mail, names…) need a permission over the directory.
// Errors: Authorization_RequestDenied for such a property,
// Request_BadRequest for a bad value or a taken user principal name.
func (s *Service) UpdateUser(ctx context.Context, a Access, body Object) (Object, error) {
	if err := a.allows(UpdateUser); err != nil {
		return nil, err
	}
	if !a.directory {
		for name := range body {
			if p := UserType.Property(name); name != "id" && (p == nil || !p.SelfService) {
				return nil, Errorf(CodeAuthorizationDenied, "Insufficient privileges to complete the operation.")
			}
		}
	}
	u, err := s.Store.UpdateUser(ctx, a.owner.Key(), func(cur User) (User, error) { return mergeUser(cur, body) })
	if errors.Is(err, ErrNotFound) {
		return nil, userNotFound(a.owner.ID)
	}
	if err != nil {
		return nil, conflictError(err)
	}
	return u.Object(), nil
}

// DeleteUser removes the accessed user and its profile.
func (s *Service) DeleteUser(ctx context.Context, a Access) error {
	if err := a.allows(DeleteUser); err != nil {
		return err
	}
	err := s.Store.DeleteUser(ctx, a.owner.Key())
	if errors.Is(err, ErrNotFound) {
		return userNotFound(a.owner.ID)
	}
	return err
}

// view is u as the caller may see it.
func (a Access) view(u User) Object {
	if a.basic {
		return basic(u.Object())
	}
	return u.Object()
}

// conflictError turns a store's *ConflictError into Graph's directory error.
func conflictError(err error) error {
	var conflict *ConflictError
	if errors.As(err, &conflict) {
		return Errorf(CodeDirectoryBadRequest, "Another object with the same value for property %s already exists.", conflict.Property)
	}
	return err
}

// allows guards against a Access granted for another operation.
func (a Access) allows(op Operation) error {
	if a.op != op {
		return fmt.Errorf("access granted for %q used for %q", a.op, op)
	}
	return nil
}

// itemError turns a store's ErrNotFound for item id of collection c into
// Graph's itemNotFound, which names the item's type ("The workPosition 'x'
// does not exist in this profile.").
func itemError(err error, c Collection, id string) error {
	if errors.Is(err, ErrNotFound) {
		return Errorf(CodeItemNotFound, "The %s '%s' does not exist in this profile.", c.Type.ShortName(), id)
	}
	return err
}

// identitySet is the createdBy/lastModifiedBy value for changes made by p.
func (p Principal) identitySet() Object {
	if p.Delegated {
		return Object{"user": Object{"id": NormalizeID(p.ObjectID), "displayName": p.DisplayName}}
	}
	return Object{"application": Object{"id": p.AppID, "displayName": p.DisplayName}}
}

// now returns the current time in UTC at the 100 ns resolution that Graph's
// seven fractional digits carry, so a stored time reads back unchanged.
func (s *Service) now() time.Time {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return now().UTC().Truncate(100 * time.Nanosecond)
}

// newID returns the id of an item made at now, which the id holds: the
// caller's one reading of the clock, also its createdDateTime (a second
// reading could meet a clock set in between).
func (s *Service) newID(now time.Time) string {
	if s.NewID != nil {
		return s.NewID()
	}
	return NewTimeOrderedGUID(now)
}

// NewGUID returns a random (version 4) GUID in lower case.
func NewGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b)
}

// NewTimeOrderedGUID returns a version 7 GUID (RFC 9562) in lower case:
// the Unix time of t in milliseconds, then 74 random bits. Items get these
// ids because the stores index a profile's items by id: random ids put
// every new item at a random place in a profile's part of the index, so a
// create dirtied an index page of its own, and the more items, the more
// pages each commit wrote; ids that grow with time are appended, to the
// few pages at the end. Creates measured 8-10% faster (docs/decisions.md).
// The ids stay opaque GUIDs to clients, as Graph's are; the time they hold
// is the item's createdDateTime, which the item shows anyway.
func NewTimeOrderedGUID(t time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b)
}

// formatGUID writes b as a GUID in lower case: 8-4-4-4-12 hex digits.
func formatGUID(b [16]byte) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0x0f])
	}
	return string(out)
}

// NormalizeID returns a user's id in lower case when it is GUID-shaped
// (GUIDs ignore case, as Graph's directory matches them) and unchanged
// otherwise. An item's id is not normalized: it is matched as it is
// written, GUID or not ("Position ids stay exact").
func NormalizeID(id string) string {
	if !IsGUID(id) {
		return id
	}
	return strings.ToLower(id)
}

// PrincipalNameKey is the form in which user principal names are compared
// and unique in a tenant: in lower case (Graph matches them ignoring case).
// The stores key users by it, and every other comparison uses it too, so
// that two names the stores tell apart are never one user's elsewhere.
func PrincipalNameKey(upn string) string { return NameKey(upn) }

// IsGUID reports whether s has the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// Ready reports whether the service can serve requests now: its store
// answers. Errors wrap ErrUnavailable.
func (s *Service) Ready(ctx context.Context) error { return s.Store.Ping(ctx) }
