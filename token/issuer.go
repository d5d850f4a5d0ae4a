package token

import (
	"context"
	"crypto"
	"errors"
)

// Issuer is one trusted token issuer: the development issuer (DevIssuer), or
// an OpenID Connect issuer such as Entra ID (OIDCIssuer). The Validator asks
// each issuer in turn whether it trusts a token's iss, so adding a kind of
// issuer never changes the Validator.
type Issuer interface {
	// Trusts reports whether iss (the token's iss claim) is this issuer,
	// given the token's tid claim. The tid is passed because multi-tenant
	// issuers name the tenant in their issuer URL ("{tenantid}"), and a
	// token of one tenant must not be accepted under another tenant's name.
	// It is called with unverified claims, so it must only compare strings.
	Trusts(iss, tid string) bool

	// Key returns the public key that verifies signatures with key id kid:
	// an *rsa.PublicKey or an *ecdsa.PublicKey. It returns an error wrapping
	// ErrUnknownKey when the issuer has no such key; any other error means
	// the keys could not be had (an unreachable JWKS endpoint) and is logged
	// for the operator. An issuer that caches a key set may refresh it here
	// on an unknown kid (rate-limited, since kid is chosen by the caller);
	// ctx bounds that refresh.
	Key(ctx context.Context, kid string) (crypto.PublicKey, error)

	// Realm names the tenants this issuer speaks for: a tenant id is only
	// an identity together with the issuer that vouches for it, so that no
	// trusted issuer can sign for another issuer's tenants (see
	// graphprofile.Principal.TenantKey). Empty for the development issuer;
	// an external issuer's URL (with {tenantid} for a multi-tenant one).
	Realm() string
}

// ErrUnknownKey is wrapped by Issuer.Key when the issuer has no key with the
// requested key id; the token is then refused as signed by an unknown key.
var ErrUnknownKey = errors.New("unknown signing key")
