package graphprofile

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Service is what graphprofile does for a caller: it decides whether a
// principal may act on a profile, then validates, merges and stores. The HTTP
// layer calls it; it never sees an HTTP request.
type Service struct {
	Store Store
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// NewID returns the id of a new position; nil means a random GUID.
	NewID func() string
}

// ProfileRef names the profile a request addresses: the caller's own (/me) or
// a user's by id or user principal name (/users/{key}).
type ProfileRef struct {
	Me      bool
	UserKey string
}

// ProfileAccess is the caller's permission to perform one operation on one
// user's profile. Only Service.Authorize makes them.
type ProfileAccess struct {
	caller Principal
	owner  User
	op     Operation
}

// Owner is the user whose profile is accessed.
func (a ProfileAccess) Owner() User { return a.owner }

// Authorize decides whether caller may perform op on the profile ref names
// and, if so, finds its owner. The caller's own user is recorded in the
// directory on first use, so /me and the caller's own id and principal name
// work at once.
//
// Errors: BadRequest for /me with an application token;
// Authorization_RequestDenied when the caller lacks the permission;
// Request_ResourceNotFound when no user of the caller's tenant is ref.
func (s *Service) Authorize(ctx context.Context, caller Principal, ref ProfileRef, op Operation) (ProfileAccess, error) {
	if ref.Me && !caller.Delegated {
		return ProfileAccess{}, Errorf(CodeBadRequest, "/me request is only valid with delegated authentication flow.")
	}
	own := caller.Delegated && (ref.Me ||
		strings.EqualFold(ref.UserKey, caller.ObjectID) ||
		(caller.UserPrincipalName != "" && strings.EqualFold(ref.UserKey, caller.UserPrincipalName)))
	if !caller.mayAccess(op, own) {
		return ProfileAccess{}, Errorf(CodeAuthorizationDenied, "Insufficient privileges to complete the operation.")
	}
	var self User
	if caller.Delegated {
		var err error
		self, err = s.Store.EnsureUser(ctx, User{
			TenantID:          caller.TenantID,
			ID:                NormalizeID(caller.ObjectID),
			UserPrincipalName: caller.UserPrincipalName,
			DisplayName:       caller.DisplayName,
		})
		if err != nil {
			return ProfileAccess{}, fmt.Errorf("recording the caller in the directory: %w", err)
		}
	}
	if own {
		return ProfileAccess{caller: caller, owner: self, op: op}, nil
	}
	owner, err := s.Store.FindUser(ctx, caller.TenantID, NormalizeID(ref.UserKey))
	if errors.Is(err, ErrNotFound) {
		return ProfileAccess{}, Errorf(CodeUserNotFound,
			"Resource '%s' does not exist or one of its queried reference-property objects are not present.", ref.UserKey)
	}
	if err != nil {
		return ProfileAccess{}, err
	}
	return ProfileAccess{caller: caller, owner: owner, op: op}, nil
}

// ListPositions returns the positions of the accessed profile, ordered by
// createdDateTime, then id.
func (s *Service) ListPositions(ctx context.Context, a ProfileAccess) ([]WorkPosition, error) {
	if err := a.allows(ListPositions); err != nil {
		return nil, err
	}
	return s.Store.ListPositions(ctx, a.owner.Key())
}

// GetPosition returns one position. Errors: itemNotFound.
func (s *Service) GetPosition(ctx context.Context, a ProfileAccess, id string) (WorkPosition, error) {
	if err := a.allows(GetPosition); err != nil {
		return nil, err
	}
	p, err := s.Store.GetPosition(ctx, a.owner.Key(), NormalizeID(id))
	return p, positionError(err, id)
}

// CreatePosition creates a position from body, a decoded request body
// (DecodePositionBody), and returns it as stored.
func (s *Service) CreatePosition(ctx context.Context, a ProfileAccess, body Object) (WorkPosition, error) {
	if err := a.allows(CreatePosition); err != nil {
		return nil, err
	}
	now := s.now()
	p := WorkPosition(withoutNulls(body).(Object))
	if _, ok := p["allowedAudiences"]; !ok {
		p["allowedAudiences"] = DefaultAllowedAudiences
	}
	p["id"] = s.newID()
	p["createdDateTime"] = now
	p["lastModifiedDateTime"] = now
	p["createdBy"] = a.caller.identitySet()
	p["lastModifiedBy"] = a.caller.identitySet()
	if err := s.Store.CreatePosition(ctx, a.owner.Key(), p); err != nil {
		return nil, err
	}
	return p, nil
}

// UpdatePosition merges body, a decoded PATCH body (DecodePositionBody), into
// position id and returns the result. Errors: itemNotFound.
func (s *Service) UpdatePosition(ctx context.Context, a ProfileAccess, id string, body Object) (WorkPosition, error) {
	if err := a.allows(UpdatePosition); err != nil {
		return nil, err
	}
	modifiedBy := a.caller.identitySet()
	p, err := s.Store.UpdatePosition(ctx, a.owner.Key(), NormalizeID(id), func(cur WorkPosition) (WorkPosition, error) {
		next := MergePatch(WorkPositionType, Object(cur), body)
		next["lastModifiedDateTime"] = s.now()
		next["lastModifiedBy"] = modifiedBy
		return WorkPosition(next), nil
	})
	return p, positionError(err, id)
}

// DeletePosition removes position id. Errors: itemNotFound.
func (s *Service) DeletePosition(ctx context.Context, a ProfileAccess, id string) error {
	if err := a.allows(DeletePosition); err != nil {
		return err
	}
	return positionError(s.Store.DeletePosition(ctx, a.owner.Key(), NormalizeID(id)), id)
}

// allows guards against a ProfileAccess granted for another operation.
func (a ProfileAccess) allows(op Operation) error {
	if a.op != op {
		return fmt.Errorf("access granted for %q used for %q", a.op, op)
	}
	return nil
}

func positionError(err error, id string) error {
	if errors.Is(err, ErrNotFound) {
		return Errorf(CodeItemNotFound, "The workPosition '%s' does not exist in this profile.", id)
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

func (s *Service) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	return NewGUID()
}

// NewGUID returns a random (version 4) GUID in lower case.
func NewGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
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

// NormalizeID returns id in lower case when it is GUID-shaped (GUIDs ignore
// case) and unchanged otherwise.
func NormalizeID(id string) string {
	if !IsGUID(id) {
		return id
	}
	return strings.ToLower(id)
}

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
