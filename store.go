package graphprofile

import "context"

// User is a user of the directory, as far as graphprofile keeps one.
type User struct {
	TenantID          string
	ID                string // the object id (oid)
	UserPrincipalName string
	DisplayName       string
}

// Key returns the key that addresses u's profile in a Store.
func (u User) Key() UserKey { return UserKey{TenantID: u.TenantID, UserID: u.ID} }

// UserKey addresses one user's profile: users and their positions are always
// scoped by tenant.
type UserKey struct {
	TenantID string
	UserID   string
}

// Store keeps users and their positions. Implementations: sqlite, postgres.
// storetest is the contract suite every implementation passes.
//
// Errors: ErrNotFound (wrapped or not) when the addressed user or position
// does not exist; ErrUnavailable wrapped around failures a retry may cure;
// anything else is an internal failure. A Store never checks permissions.
type Store interface {
	// EnsureUser records u in its tenant when no user has u's id there, and
	// otherwise refreshes the stored principal name and display name when they
	// differ. A user principal name is unique in a tenant (ignoring case): if
	// another user of the tenant holds it, it moves to u. Returns the stored user.
	EnsureUser(ctx context.Context, u User) (User, error)

	// FindUser returns the user of tenantID whose id is key or, failing that,
	// whose user principal name equals key ignoring case.
	FindUser(ctx context.Context, tenantID, key string) (User, error)

	// ListPositions returns the positions of owner's profile ordered by
	// createdDateTime, then id.
	ListPositions(ctx context.Context, owner UserKey) ([]WorkPosition, error)

	// GetPosition returns the position id of owner's profile.
	GetPosition(ctx context.Context, owner UserKey, id string) (WorkPosition, error)

	// CreatePosition stores the new position p (which has its id and
	// timestamps) in owner's profile. It is durable when CreatePosition returns.
	CreatePosition(ctx context.Context, owner UserKey, p WorkPosition) error

	// UpdatePosition reads position id of owner's profile, calls update with
	// it, and stores what update returns, all in one transaction, so
	// concurrent updates never lose each other's changes. update may be called
	// more than once (when a transaction is retried) and must not have side
	// effects; an error from update aborts the update and is returned as is.
	UpdatePosition(ctx context.Context, owner UserKey, id string, update func(WorkPosition) (WorkPosition, error)) (WorkPosition, error)

	// DeletePosition removes position id from owner's profile.
	DeletePosition(ctx context.Context, owner UserKey, id string) error

	// Close releases the store's resources; it is durable when Close returns.
	Close() error
}
