package webui

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/token"
)

// DevScopes are the delegated permissions of the tokens DevTenant mints:
// User.ReadWrite, as graphprofile token gives, to read and change one's own
// profile, and User.ReadBasic.All, without which the people directory
// (GET /users) and other people's cards are 403: the least a people
// directory app asks of Entra.
var DevScopes = []string{"User.ReadWrite", "User.ReadBasic.All"}

// maxDevUsers is the most users the picker lists: a development tenant is
// small; beyond it the picker's "new user" form (by principal name) still
// reaches everyone.
const maxDevUsers = 500

// DevTenant is the DevSignIn of serve: the users of one tenant of Store,
// and tokens for them minted by the development issuer, as graphprofile
// token mints them.
type DevTenant struct {
	Issuer   *token.DevIssuer
	Store    graphprofile.Store
	TenantID string // the development tenant (graphprofile token's default)
	// Lifetime of the tokens; zero means token.DefaultTokenLifetime.
	Lifetime time.Duration
}

var _ DevSignIn = (*DevTenant)(nil)

// Users returns the first maxDevUsers users of the tenant by display name
// (the store's name index, so that a bigger tenant lists the same users
// whatever their ids), and whether the tenant has more.
func (d *DevTenant) Users(ctx context.Context) ([]DevUser, bool, error) {
	users := []DevUser{}
	more := false
	err := d.Store.ScanUsersByName(ctx, d.TenantID, "displayName", false, nil, func(u graphprofile.User) (bool, error) {
		if len(users) == maxDevUsers {
			more = true
			return false, nil
		}
		users = append(users, DevUser{ID: u.ID, DisplayName: u.DisplayName, UserPrincipalName: u.UserPrincipalName})
		return true, nil
	})
	if err != nil {
		return nil, false, err
	}
	return users, more, nil
}

// Token mints a token for the user req names: an existing user by id (404
// when the tenant has none), else the user with req's principal name, or a
// new one, recorded now (newUser).
func (d *DevTenant) Token(ctx context.Context, req DevTokenRequest) (DevToken, error) {
	// The clock read once, and checked before a new user is recorded: a
	// clock (the admin API's) where no token's times can be is a 400 that
	// writes nothing, not a 500 after the user was written.
	lifetime := cmp.Or(d.Lifetime, token.DefaultTokenLifetime)
	now := d.Issuer.CurrentTime()
	if err := token.CheckIssueTime(now, lifetime); err != nil {
		return DevToken{}, graphprofile.Errorf(graphprofile.CodeBadRequest, "No token can be issued at the server's time: %s.", err)
	}
	var user graphprofile.User
	switch {
	case req.UserID != "":
		u, err := d.Store.FindUser(ctx, d.TenantID, req.UserID)
		if errors.Is(err, graphprofile.ErrNotFound) || (err == nil && u.ID != req.UserID) {
			return DevToken{}, graphprofile.Errorf(graphprofile.CodeUserNotFound, "The development tenant has no user with id '%s'.", req.UserID)
		}
		if err != nil {
			return DevToken{}, err
		}
		user = u
	default:
		// What the directory takes of a user's name (POST /users), so
		// that the token's name claim is one the server records.
		if limit := graphprofile.UserType.Property("displayName").MaxLength; utf8.RuneCountInString(req.DisplayName) > limit {
			return DevToken{}, graphprofile.Errorf(graphprofile.CodeBadRequest, "The display name is longer than %d characters.", limit)
		}
		// A user already there is found by any name the directory holds
		// (an issuer's sign-in records names POST /users would not take);
		// only a new one's is held to the rule. No id holds an '@', so a
		// name without one would find a user by id: it is no name.
		u, err := graphprofile.User{}, error(graphprofile.ErrNotFound)
		if strings.Contains(req.UserPrincipalName, "@") {
			u, err = d.Store.FindUser(ctx, d.TenantID, req.UserPrincipalName)
		}
		if errors.Is(err, graphprofile.ErrNotFound) {
			if err := checkPrincipalName(req.UserPrincipalName); err != nil {
				return DevToken{}, err
			}
			u, err = d.newUser(ctx, req)
		}
		if err != nil {
			return DevToken{}, err
		}
		user = u
	}
	jwt, err := d.Issuer.Mint(token.MintRequest{
		Now:               now,
		TenantID:          d.TenantID,
		ObjectID:          user.ID,
		UserPrincipalName: user.UserPrincipalName,
		DisplayName:       user.DisplayName,
		Scopes:            DevScopes,
		Expires:           lifetime,
	})
	if err != nil {
		return DevToken{}, err
	}
	return DevToken{AccessToken: jwt, ExpiresIn: int(lifetime / time.Second), UserID: user.ID, UserPrincipalName: user.UserPrincipalName}, nil
}

// newUser records the new user req names, as the server records a
// delegated caller on its first request (enabled), so that every token
// minted for that principal name is that user's: recorded only on a
// token's first request, two tokens minted before either was used (two
// tabs signing in) were two users, and the second lost the principal name
// to the first. When another request records the name first, its user is
// the one.
func (d *DevTenant) newUser(ctx context.Context, req DevTokenRequest) (graphprofile.User, error) {
	enabled := true
	user := graphprofile.User{TenantID: d.TenantID, ID: graphprofile.NewGUID(), UserPrincipalName: req.UserPrincipalName,
		DisplayName: req.DisplayName, AccountEnabled: &enabled}
	if user.DisplayName == "" {
		user.DisplayName, _, _ = strings.Cut(req.UserPrincipalName, "@")
	}
	err := d.Store.CreateUser(ctx, user)
	var conflict *graphprofile.ConflictError
	if errors.As(err, &conflict) {
		return d.Store.FindUser(ctx, d.TenantID, req.UserPrincipalName)
	}
	return user, err
}

// checkPrincipalName refuses what the directory would not take as a user
// principal name (POST /users): the same rule, and the same bound.
func checkPrincipalName(upn string) error {
	if !graphprofile.ValidPrincipalName(upn) || utf8.RuneCountInString(upn) > graphprofile.UserType.Property("userPrincipalName").MaxLength {
		return graphprofile.Errorf(graphprofile.CodeBadRequest, "'%s' is not a user principal name such as ada@contoso.com.", upn)
	}
	return nil
}
