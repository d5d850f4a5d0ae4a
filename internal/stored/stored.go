// Package stored is what graphprofile's stores (sqlite, postgres) share
// about keeping users and profile items, written once: the columns of a
// stored item, the checks on what a caller hands a store, and the errors a
// store returns, each starting with the store's name. The SQL and the way a
// store runs it concurrently are each store's own.
package stored

import (
	"fmt"

	"github.com/graphprofile/graphprofile"
)

// Name is a store's name ("sqlite", "postgres"), the prefix of every error
// it returns. Each store has one, as a constant.
type Name string

// Wrap returns err with the store's name in front; nil stays nil.
func (n Name) Wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", n, err)
}

// Errorf returns an error of the store: its name, then the message.
func (n Name) Errorf(format string, args ...any) error {
	return n.Wrap(fmt.Errorf(format, args...))
}

// UserNotFound says that no user of key.TenantID has the id (or, for
// FindUser, the key) key.UserID. It wraps graphprofile.ErrNotFound and
// nothing of the database.
func (n Name) UserNotFound(key graphprofile.UserKey) error {
	return fmt.Errorf("%s: user %q of tenant %q: %w", n, key.UserID, key.TenantID, graphprofile.ErrNotFound)
}

// ItemNotFound says that collection c of owner's profile has no item id (or
// owner does not exist). It wraps graphprofile.ErrNotFound and nothing of
// the database.
func (n Name) ItemNotFound(owner graphprofile.UserKey, c graphprofile.Collection, id string) error {
	return fmt.Errorf("%s: %s item %q of user %q of tenant %q: %w", n, c.Name, id, owner.UserID, owner.TenantID, graphprofile.ErrNotFound)
}

// NewerSchema is Open's refusal of a database at schema version newest when
// this binary knows versions up to latest. It wraps
// graphprofile.ErrNewerSchema.
func (n Name) NewerSchema(newest int64, latest int) error {
	return fmt.Errorf("%s: database schema version %d, but this graphprofile knows versions up to %d; use a newer graphprofile: %w",
		n, newest, latest, graphprofile.ErrNewerSchema)
}

// DBError is a failure of a store's database in an operation, as opposed to
// an error of a caller's function, which a store returns as is.
type DBError struct {
	Store Name
	Op    string // what the store was doing, e.g. "reading an item"
	Err   error
	// AtCommit: the failure came with the commit (a COMMIT, or a statement
	// that commits itself), so whether it took effect is unknown and the
	// call must not run again.
	AtCommit bool
	// Unavailable: a retry later may cure the failure; the error then also
	// wraps graphprofile.ErrUnavailable.
	Unavailable bool
	// Context is the error of the context that ended the call, when Err
	// does not wrap it.
	Context error
}

func (e *DBError) Error() string {
	msg := string(e.Store) + ": " + e.Op
	if e.Unavailable {
		msg += ": " + graphprofile.ErrUnavailable.Error()
	}
	msg += ": " + e.Err.Error()
	if e.Context != nil {
		msg += " (" + e.Context.Error() + ")"
	}
	return msg
}

func (e *DBError) Unwrap() []error {
	errs := []error{e.Err}
	if e.Unavailable {
		errs = append(errs, graphprofile.ErrUnavailable)
	}
	if e.Context != nil {
		errs = append(errs, e.Context)
	}
	return errs
}
