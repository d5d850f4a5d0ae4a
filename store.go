package graphprofile

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"unicode/utf8"
)

// Store keeps users and the items of their profiles' collections.
// Implementations: sqlite, postgres. storetest is the contract suite every
// implementation passes.
//
// A Store keeps the items of every collection alike, keyed by the
// collection's Name (ids are unique within one collection of one profile),
// and decodes them with its Type: a collection added to ProfileType needs
// nothing of a Store. Items a Store returns may be shared with its cache:
// callers must not modify them (MergePatch builds new values); a returned
// slice is the caller's. Errors: ErrNotFound (wrapped or not) when the
// addressed user or item does not exist; ErrUnavailable wrapped around failures a retry may cure;
// anything else is an internal failure. A Store never checks permissions.
type Store interface {
	// EnsureUser records u in its tenant when no user has u's id there and
	// returns the stored user. An existing user is returned as stored,
	// unchanged: once the directory knows a user it is the authority, not
	// the token. When another user of the tenant holds u's user principal
	// name, u is recorded without one.
	EnsureUser(ctx context.Context, u User) (User, error)

	// FindUser returns the user of tenantID whose id is key or, failing that,
	// whose user principal name equals key ignoring case (every property).
	FindUser(ctx context.Context, tenantID, key string) (User, error)

	// CreateUser adds u to its tenant. A *ConflictError when another user of
	// the tenant has u's id or (ignoring case) its user principal name.
	CreateUser(ctx context.Context, u User) error

	// UpdateUser reads the user key, calls update with it and stores what
	// update returns (its id and tenant must not change), in one transaction.
	// ErrNotFound when there is no such user (update is not called); an error
	// from update is returned as is and nothing is stored; update may be
	// called more than once and must not have side effects. A *ConflictError
	// when the new user principal name belongs to another user.
	UpdateUser(ctx context.Context, key UserKey, update func(User) (User, error)) (User, error)

	// DeleteUser removes the user key and every item of its profile.
	DeleteUser(ctx context.Context, key UserKey) error

	// ScanUsers calls visit with the users of tenantID ordered by id,
	// starting strictly after afterID ("" from the first), until visit
	// returns false or an error (returned as is) or the users end. It reads
	// in pages (keyset), so memory and work are those of the users visited,
	// whatever the tenant's size.
	ScanUsers(ctx context.Context, tenantID, afterID string, visit func(User) (bool, error)) error

	// ScanUsersByName calls visit with the users of tenantID in the order
	// of `$orderby=property` (descending: `property desc`), property one
	// of the user's names (IsUserNameProperty): by its key, UserNameKey
	// (byte order; a user without one, whose key is "", first, or last
	// descending), then by id ascending (byte order) among equal keys,
	// starting strictly after `after` in that order (nil: from the first),
	// until visit returns false or an error (returned as is) or the users
	// end. It reads in pages (keyset) of an index of the key, so memory
	// and work are those of the users visited, whatever the tenant's size
	// (those without a principal name, by id: a sort of them alone); a
	// position stays valid across writes (a user renamed since is met where
	// its new name puts it). Another property is an error.
	ScanUsersByName(ctx context.Context, tenantID, property string, descending bool, after *NamePosition, visit func(User) (bool, error)) error

	// ScanUsersByPrefix calls visit with the users of tenantID whose key of
	// property, one of the user's names (IsUserNameProperty, UserNameKey),
	// starts with prefix (byte for byte; a user without a principal name
	// has no key for it to start), in the order of that key, then id (byte
	// order), until visit returns false or an error (returned as is) or the
	// users end. It reads a range of the index of that key in pages
	// (keyset), so memory and work are those of the users visited, whatever
	// the tenant's size. Another property is an error.
	ScanUsersByPrefix(ctx context.Context, tenantID, property, prefix string, visit func(User) (bool, error)) error

	// CountUsers returns how many users tenantID has, counted by the
	// store on its index, without reading them.
	CountUsers(ctx context.Context, tenantID string) (int, error)

	// ImportUsers adds or replaces (by id) every user of users, all in
	// tenantID, in one transaction: all or nothing. A *ConflictError when a
	// user principal name belongs to another user of the tenant that the
	// batch does not replace, or two users of the batch share an id or a
	// user principal name.
	ImportUsers(ctx context.Context, tenantID string, users []User) error

	// ImportUserStream is ImportUsers for users given one at a time (as a
	// file read line by line gives them): it adds or replaces (by id)
	// every user users yields, all in tenantID, in one transaction, all or
	// nothing, and its memory does not grow with their number: the store
	// holds the user at hand, and compares the batch's ids and principal
	// names in the database. An error users yields ends the import, which
	// writes nothing, and is returned as is. A *ConflictError as
	// ImportUsers gives. users is iterated once: a failure that a retry of
	// the transaction would cure is returned instead.
	ImportUserStream(ctx context.Context, tenantID string, users iter.Seq2[User, error]) error

	// ScanItems calls visit with the items of collection c of owner's
	// profile in order (OldestFirst: list order, createdDateTime then id;
	// NewestFirst: createdDateTime descending, then id), starting strictly
	// after `after` in that order (nil: from the first), until visit
	// returns false or an error (returned as is) or the items end. It reads in pages (keyset),
	// so memory and work are those of the items visited, whatever the
	// profile's size; a position stays valid across writes (the scan goes
	// on after it, seeing what was committed since). ErrNotFound when owner
	// is not a user. The position's id, like ScanUsers' afterID, is an id
	// as stores return them (valid UTF-8); a store may fail on another.
	ScanItems(ctx context.Context, owner UserKey, c Collection, order ItemOrder, after *ItemPosition, visit func(Item) (bool, error)) error

	// ListProfile returns the first limit items (limit <= 0: all) of each
	// of collections of owner's profile, in the order of collections, each
	// in list order (an empty slice for an empty collection): what GET
	// …/profile shows of a real profile, read at once rather than
	// collection by collection (the profile reads what lies past them with
	// ScanItems). Without a limit its size is bounded by the collections'
	// item limit (CreateItem's maxItems).
	ListProfile(ctx context.Context, owner UserKey, collections []Collection, limit int) ([][]Item, error)

	// GetItem returns item id of collection c of owner's profile. It reads
	// that item only, whatever the profile's size.
	GetItem(ctx context.Context, owner UserKey, c Collection, id string) (Item, error)

	// CreateItem stores the new item it (which has its id and timestamps)
	// in collection c of owner's profile. It is durable when CreateItem
	// returns. It refuses the item, with an error wrapping
	// ErrCollectionFull, when the collection already holds maxItems items
	// (maxItems <= 0: no limit), checked in the create's own transaction,
	// so concurrent creates, from any number of servers, never pass it.
	CreateItem(ctx context.Context, owner UserKey, c Collection, it Item, maxItems int) error

	// UpdateItem reads item id of collection c of owner's profile, calls
	// update with it, and stores what update returns, all in one
	// transaction, so concurrent updates never lose each other's changes.
	// update may be called more than once (when a transaction is retried)
	// and must not have side effects; an error from update aborts the update
	// and is returned as is.
	UpdateItem(ctx context.Context, owner UserKey, c Collection, id string, update func(Item) (Item, error)) (Item, error)

	// DeleteItem removes item id of collection c from owner's profile. When
	// check is not nil it is called with the item first, in the same
	// transaction; an error from it aborts the delete and is returned as is.
	DeleteItem(ctx context.Context, owner UserKey, c Collection, id string, check func(Item) error) error

	// DeleteProfile removes every item of every collection of owner's
	// profile in one transaction; the user stays, with an empty profile.
	// ErrNotFound when owner is not a user.
	DeleteProfile(ctx context.Context, owner UserKey) error

	// Reset removes every user of tenantID and every item of their
	// profiles, in one transaction; tenantID "" removes those of every
	// tenant. The store then reads as a new one (for that tenant): for test
	// suites (the admin API's POST /_admin/reset), in place of a restart.
	Reset(ctx context.Context, tenantID string) error

	// LoadProfiles adds or replaces (by tenant and id) the user of each of
	// profiles and replaces its whole profile with the items given (a
	// collection not given is emptied), all in one transaction: all or
	// nothing. The items have their ids (unique within their collection)
	// and timestamps. A *ConflictError as ImportUsers gives, for the users
	// of each tenant. No collection limit applies (the caller checks it).
	LoadProfiles(ctx context.Context, profiles []UserProfile) error

	// LoadProfilesIntoEmpty is LoadProfiles into a store that holds no
	// user, the check and the load in one transaction, and reports whether
	// it loaded: of servers that share a store and start at once with the
	// same fixtures, one loads them and the others find its users.
	LoadProfilesIntoEmpty(ctx context.Context, profiles []UserProfile) (loaded bool, err error)

	// Tenants returns the keys of the tenants that have users, in order.
	Tenants(ctx context.Context) ([]string, error)

	// Ping reports whether the store can serve requests now (for readiness
	// checks); an error wrapping ErrUnavailable when it cannot.
	Ping(ctx context.Context) error

	// Close releases the store's resources; it is durable when Close returns.
	Close() error
}

// NamePosition is where a user stands in the order of one of its names
// (Store.ScanUsersByName): the key of that name (UserNameKey, "" for none)
// and its id.
type NamePosition struct {
	Name string
	ID   string
}

// KeyPrefix is a condition on a user: its key of Property, one of its
// names (UserNameKey), starts with Prefix (Store.ScanUsersByPrefix).
type KeyPrefix struct {
	Property, Prefix string
}

// IsUserNameProperty reports whether property is one of a user's names,
// "displayName" or "userPrincipalName": the properties whose keys
// (UserNameKey) the stores keep an index of, so that users are read in a
// name's order (Store.ScanUsersByName) and found by a name's start
// (Store.ScanUsersByPrefix) a page at a time.
func IsUserNameProperty(property string) bool {
	return property == "displayName" || property == KeyByPrincipalName
}

// UserNameKey returns u's key of the name property (IsUserNameProperty),
// as the stores index it, and whether u has one: the NameKey of the
// display name (a user without one has the key ""), the PrincipalNameKey
// of the principal name (a user without one has none, and stands where
// the key "" would in the order). Another property is no name: none.
func UserNameKey(u User, property string) (key string, ok bool) {
	switch property {
	case "displayName":
		return NameKey(u.DisplayName), true
	case KeyByPrincipalName:
		return PrincipalNameKey(u.UserPrincipalName), u.UserPrincipalName != ""
	}
	return "", false
}

// NameKey is the form in which the directory compares and orders a user's
// names: in lower case (strings.ToLower), as Graph's directory compares
// them ignoring case (UserType.IgnoreCase). The odata engine folds a
// user's strings with it, the stores key user principal names
// (PrincipalNameKey) and order display names by it, so that what a store
// orders is what the engine would.
func NameKey(s string) string { return strings.ToLower(s) }

// nameKeyLen is len(NameKey(s)) without making the key when s is ASCII,
// whose lower case is as long: every request of a signed-in caller checks
// the length of its name's key (UnrecordableClaim).
func nameKeyLen(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return len(NameKey(s))
		}
	}
	return len(s)
}

// ItemPosition is where an item stands in its collection's list order: a
// scan's place, as ScanItems takes it.
type ItemPosition struct {
	Created int64 // createdDateTime in Unix nanoseconds (Item.CreatedUnixNano)
	ID      string
}

// ItemOrder is the order a scan delivers a collection's items in. Both
// are ranges of one index (createdDateTime, then id), so a page of either
// costs a page whatever the collection's size: OData's `$orderby=
// createdDateTime desc` breaks ties by id ascending, as every order does.
type ItemOrder int

const (
	OldestFirst ItemOrder = iota // list order: createdDateTime, then id
	NewestFirst                  // createdDateTime descending, then id
)

// PositionOf returns the position of item it in its collection's list
// order; an error when it has no createdDateTime an int64 of nanoseconds
// holds.
func PositionOf(it Item) (ItemPosition, error) {
	created, err := it.CreatedUnixNano()
	if err != nil {
		return ItemPosition{}, err
	}
	return ItemPosition{Created: created, ID: it.ID()}, nil
}

// AllItems returns every item of collection c of owner's profile in list
// order, through ScanItems: for the callers that need the whole collection
// (the whole profile, a query the store cannot page). ErrNotFound when
// owner is not a user.
func AllItems(ctx context.Context, s Store, owner UserKey, c Collection) ([]Item, error) {
	items := []Item{}
	err := s.ScanItems(ctx, owner, c, OldestFirst, nil, func(it Item) (bool, error) {
		items = append(items, it)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// FirstItems returns the first limit items (limit <= 0: all) of collection
// c of owner's profile in list order, through ScanItems.
func FirstItems(ctx context.Context, s Store, owner UserKey, c Collection, limit int) ([]Item, error) {
	if limit <= 0 {
		return AllItems(ctx, s, owner, c)
	}
	items := []Item{}
	err := s.ScanItems(ctx, owner, c, OldestFirst, nil, func(it Item) (bool, error) {
		items = append(items, it)
		return len(items) < limit, nil
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// AllUsers returns every user of tenantID ordered by id, through ScanUsers.
func AllUsers(ctx context.Context, s Store, tenantID string) ([]User, error) {
	users := []User{}
	err := s.ScanUsers(ctx, tenantID, "", func(u User) (bool, error) {
		users = append(users, u)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

// MaxKeyBytes is the most bytes of UTF-8 the keys of one stored item take
// together: its tenant's key (Principal.TenantKey: a token's tid, and for
// a tenant of an --issuer the issuer's URL too), its user's id, its
// collection's name and its own id; and so do its tenant's key, a user's
// id and the NameKey of the user's display name (nameKeyRoom).
// PostgreSQL's indexes hold rows of at most 2,704 bytes, headers included,
// and one of them (a profile's items in order) holds all four keys of an
// item, another (users_by_name) the three of a user's name; within this bound every store indexes
// them, and the directory refuses (400) the keys that would pass it, on
// every store alike. The limits of the properties count characters (an id
// 1,024), and a character takes up to four bytes.
const MaxKeyBytes = 2600

// guidBytes is the length of a GUID, the id of every item the API creates.
const guidBytes = 36

// longestCollectionName is the length of the longest name of a collection
// of the profile, the key of an item's collection.
var longestCollectionName = func() int {
	n := 0
	for _, c := range CollectionsOf(ProfileType) {
		n = max(n, len(c.Name))
	}
	return n
}()

// userIDRoom is how many bytes of UTF-8 the id of a user of tenantKey may
// take, so that its items' keys fit MaxKeyBytes: their ids given by
// itemIDBytes (GUIDs, as the API makes them, when it is less). Negative when
// the tenant's key alone leaves no room.
func userIDRoom(tenantKey string, itemIDBytes int) int {
	return MaxKeyBytes - len(tenantKey) - longestCollectionName - max(itemIDBytes, guidBytes)
}

// itemIDRoom is how many bytes of UTF-8 the id of an item of the user
// userID of tenantKey may take (MaxKeyBytes).
func itemIDRoom(tenantKey, userID string) int {
	return MaxKeyBytes - len(tenantKey) - longestCollectionName - len(userID)
}

// nameKeyRoom is how many bytes of UTF-8 the NameKey of the display name
// of user userID of tenantKey may take (MaxKeyBytes): PostgreSQL's index of
// the users in the order of their names (users_by_name) holds the three.
func nameKeyRoom(tenantKey, userID string) int { return MaxKeyBytes - len(tenantKey) - len(userID) }

// displayNameProblem says how u's display name does not fit the keys the
// stores index beside its tenant's key and its id (nameKeyRoom), completing
// "The displayName …"; "" when it fits. Only a tenant of a long issuer URL
// or an id far longer than a GUID leaves less room than a display name of
// 256 characters takes.
func displayNameProblem(u User) string {
	if n, room := len(NameKey(u.DisplayName)), nameKeyRoom(u.TenantID, u.ID); n > room {
		return fmt.Sprintf("takes %d bytes of UTF-8 in lower case, more than the %d it may take beside the user's id in this tenant, whose key and the user's id take the rest of the %d bytes every store indexes.", n, max(room, 0), MaxKeyBytes)
	}
	return ""
}

// principalNameRoom is how many bytes of UTF-8 the key of a user
// principal name (PrincipalNameKey) may take in tenantKey's directory.
func principalNameRoom(tenantKey string) int { return MaxKeyBytes - len(tenantKey) }

// principalNameProblem says how u's principal name does not fit the key
// the stores index beside its tenant's key (principalNameRoom), completing
// "The userPrincipalName …"; "" when it fits. Only a tenant of a long
// issuer URL leaves less room than a principal name of 113 characters
// takes.
func principalNameProblem(u User) string {
	if n, room := len(PrincipalNameKey(u.UserPrincipalName)), principalNameRoom(u.TenantID); n > room {
		return fmt.Sprintf("takes %d bytes of UTF-8, more than the %d it may take in this tenant, whose key takes the rest of the %d bytes every store indexes.", n, max(room, 0), MaxKeyBytes)
	}
	return ""
}
