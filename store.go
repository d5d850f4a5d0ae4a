package graphprofile

import "context"

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

	// ListUsers returns the users of tenantID ordered by id.
	ListUsers(ctx context.Context, tenantID string) ([]User, error)

	// ImportUsers adds or replaces (by id) every user of users, all in
	// tenantID, in one transaction: all or nothing. A *ConflictError when a
	// user principal name belongs to another user of the tenant that the
	// batch does not replace, or two users of the batch share an id or a
	// user principal name.
	ImportUsers(ctx context.Context, tenantID string, users []User) error

	// ListItems returns the items of collection c of owner's profile
	// ordered by createdDateTime, then id.
	ListItems(ctx context.Context, owner UserKey, c Collection) ([]Item, error)

	// ListProfile returns the items of each of collections of owner's
	// profile, in the order of collections, each ordered as ListItems orders
	// it (an empty slice for an empty collection): what GET …/profile
	// shows, read at once rather than collection by collection.
	ListProfile(ctx context.Context, owner UserKey, collections []Collection) ([][]Item, error)

	// GetItem returns item id of collection c of owner's profile.
	GetItem(ctx context.Context, owner UserKey, c Collection, id string) (Item, error)

	// CreateItem stores the new item it (which has its id and timestamps)
	// in collection c of owner's profile. It is durable when CreateItem
	// returns.
	CreateItem(ctx context.Context, owner UserKey, c Collection, it Item) error

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

	// Ping reports whether the store can serve requests now (for readiness
	// checks); an error wrapping ErrUnavailable when it cannot.
	Ping(ctx context.Context) error

	// Close releases the store's resources; it is durable when Close returns.
	Close() error
}
