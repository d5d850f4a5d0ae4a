package stored

import (
	"iter"

	"github.com/graphprofile/graphprofile"
)

// CheckUserKey refuses, for operation op, a user without a tenant id or an
// id: a store keys users by both.
func (n Name) CheckUserKey(op string, u graphprofile.User) error {
	if u.TenantID == "" || u.ID == "" {
		return n.Errorf("%s: a user needs a tenant id and an id (got %q, %q)", op, u.TenantID, u.ID)
	}
	return nil
}

// CopyUser returns a copy of u (User.Clone), so that what a caller gets
// shares nothing with what it gave or with another caller.
func CopyUser(u graphprofile.User) graphprofile.User { return u.Clone() }

// UserKeys are the values of the key columns of u's row of the users
// table, as both stores index them (graphprofile.UserNameKey): upn_key,
// nil (NULL) for a user without a principal name, and name_key.
func UserKeys(u graphprofile.User) (upn *string, name string) {
	if k, ok := graphprofile.UserNameKey(u, graphprofile.KeyByPrincipalName); ok {
		upn = &k
	}
	name, _ = graphprofile.UserNameKey(u, "displayName")
	return upn, name
}

// UserDocument is the document column of u: its properties as
// graphprofile.EncodeStoredUser writes them, as text (both stores keep it in
// a TEXT column, as a position's).
func UserDocument(u graphprofile.User) string { return string(graphprofile.EncodeStoredUser(u)) }

// DecodeUser reads back the document column of user id of tenantID. A
// failure is an internal error (a corrupt store), never a caller's
// BadRequest.
func (n Name) DecodeUser(tenantID, id string, doc []byte) (graphprofile.User, error) {
	u, err := graphprofile.DecodeStoredUser(tenantID, id, doc)
	if err != nil {
		return graphprofile.User{}, n.Wrap(err)
	}
	return u, nil
}

// IDTaken is the conflict of a user whose id another user of its tenant has.
func IDTaken(id string) error {
	return &graphprofile.ConflictError{Property: "id", Value: id}
}

// PrincipalNameTaken is the conflict of a user whose principal name (in any
// case) another user of its tenant has.
func PrincipalNameTaken(upn string) error {
	return &graphprofile.ConflictError{Property: "userPrincipalName", Value: upn}
}

// UpdatedUser calls update (a Store.UpdateUser caller's function) with cur,
// the stored user key, and returns a copy (CopyUser) of what it returns. An
// error from update is returned as is; a user whose key update changed is an
// error of the store.
func (n Name) UpdatedUser(key graphprofile.UserKey, cur graphprofile.User, update func(graphprofile.User) (graphprofile.User, error)) (graphprofile.User, error) {
	u, err := update(cur)
	if err != nil {
		return graphprofile.User{}, err
	}
	if u.TenantID != key.TenantID || u.ID != key.UserID {
		return graphprofile.User{}, n.Errorf("UpdateUser: update changed user %q of tenant %q to user %q of tenant %q",
			key.UserID, key.TenantID, u.ID, u.TenantID)
	}
	return CopyUser(u), nil
}

// CheckImportTenant checks the tenant an import is for, before a store
// writes any of it (CheckImport; ImportUserStream, which checks each user
// with CheckImportUser as it comes).
func (n Name) CheckImportTenant(tenantID string) error {
	if tenantID == "" {
		return n.Errorf("ImportUsers: no tenant id")
	}
	return nil
}

// CheckImportUser checks one user of an import: it has an id.
func (n Name) CheckImportUser(u graphprofile.User) error {
	if u.ID == "" {
		return n.Errorf("ImportUsers: a user has no id")
	}
	return nil
}

// CheckImport checks a Store.ImportUsers batch before a store writes any of
// it: a tenant id, an id for every user, and no id or principal name twice
// (graphprofile.ImportConflicts; a *graphprofile.ConflictError for the first
// repeat). Of several problems, the one of the earliest user is reported.
func (n Name) CheckImport(tenantID string, users []graphprofile.User) error {
	if err := n.CheckImportTenant(tenantID); err != nil {
		return err
	}
	conflicts := graphprofile.ImportConflicts(users)
	for i, u := range users {
		if err := n.CheckImportUser(u); err != nil {
			return err
		}
		if len(conflicts) > 0 && conflicts[0].Index == i {
			conflict := conflicts[0].Conflict
			return &conflict
		}
	}
	return nil
}

// Users yields the users of a Store.ImportUsers batch as
// Store.ImportUserStream takes them: a slice may be iterated again, so a
// store may retry its transaction.
func Users(users []graphprofile.User) iter.Seq2[graphprofile.User, error] {
	return func(yield func(graphprofile.User, error) bool) {
		for _, u := range users {
			if !yield(u, nil) {
				return
			}
		}
	}
}
