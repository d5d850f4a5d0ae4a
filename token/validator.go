// Package token validates the bearer tokens graphprofile accepts and mints the
// development issuer's tokens. It turns an access token into a
// graphprofile.Principal the way Microsoft Graph does: a JWS signed with RS256
// or ES256 by a trusted issuer, for Graph's audience, within its lifetime.
package token

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/outage"
)

// MaxTokenSize is the longest token, in bytes, that is even parsed. Real
// access tokens are a few KiB; refusing longer ones up front bounds the work
// an unauthenticated caller can cause.
const MaxTokenSize = 16 << 10

// DefaultLeeway is the clock skew allowed on exp and nbf, as Entra ID allows.
const DefaultLeeway = 5 * time.Minute

// minRSABits is the smallest RSA modulus accepted; shorter keys are forgeable
// in practice.
const minRSABits = 2048

// The audiences that name Microsoft Graph: its URI (with or without the
// trailing slash real tokens sometimes carry) and its application id.
const (
	GraphAudience      = "https://graph.microsoft.com"
	GraphAudienceAppID = "00000003-0000-0000-c000-000000000000"
)

// The algorithms accepted. Only asymmetric ones: with a symmetric algorithm a
// public verification key would also be a signing key (HS256 "confusion").
const (
	algRS256 = "RS256"
	algES256 = "ES256"
)

// Refusal messages. They say what is wrong without repeating any part of the
// token, which may end up in logs and responses.
const (
	msgEmpty          = "Access token is empty."
	msgTooLarge       = "Access token validation failure. The token is too large."
	msgMalformed      = "Access token validation failure. The token is not a well-formed JWT."
	msgAlgorithm      = "Access token validation failure. The signing algorithm is not allowed; only RS256 and ES256 are."
	msgIssuer         = "Access token validation failure. Invalid issuer."
	msgUnknownKey     = "IDX10503: Signature validation failed. The signing key is unknown."
	msgKeysAvailable  = "IDX10503: Signature validation failed. The issuer's signing keys are unavailable."
	msgKeyMismatch    = "IDX10503: Signature validation failed. The signing key does not fit the algorithm."
	msgSignature      = "IDX10503: Signature validation failed."
	msgNoExpiry       = "Lifetime validation failed, the token has no expiry (exp)."
	msgExpired        = "Lifetime validation failed, the token is expired."
	msgNotYetValid    = "Lifetime validation failed, the token is not yet valid."
	msgIssuedInFuture = "Lifetime validation failed, the token is issued in the future (iat)."
	msgCritical       = "Access token validation failure. The token has critical header parameters (crit) this service does not understand."
	msgAudience       = "Access token validation failure. Invalid audience."
	msgNoTenant       = "Access token validation failure. The token has no tenant (tid)."
	msgBadTenant      = "Access token validation failure. The tenant (tid) is not a tenant id: 1 to 64 letters, digits and hyphens."
	msgNoObjectID     = "Access token validation failure. A delegated token must name the user (oid)."
	msgObjectIDIsUPN  = "Access token validation failure. The user's object id (oid) holds '@', as a user principal name does; an object id never does."
	msgNoAppID        = "Access token validation failure. An application token must name the app (appid or azp)."
	msgPersonalApp    = "Access token validation failure. An application token cannot be for the tenant of personal Microsoft accounts, which grants no app any permission."
	msgKeyUnsupported = "IDX10503: Signature validation failed. The issuer's key type is not supported."
)

// Validator authenticates bearer tokens against a list of trusted issuers. It
// implements graphprofile.Authenticator. The zero value trusts no issuer; it
// is safe for concurrent use as long as its fields are not changed.
type Validator struct {
	// Issuers are the trusted issuers; a token is checked against the
	// first one that trusts its iss.
	Issuers []Issuer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Leeway is the clock skew allowed on exp and nbf; zero means
	// DefaultLeeway, a negative value means none.
	Leeway time.Duration
	// Logger receives the reasons for refusals (at debug level) and issuer
	// key failures (at warn level, at most one per issuer per
	// keyWarnInterval); nil means no logging.
	Logger *slog.Logger
	// CacheSize is how many validated tokens are remembered (see
	// tokenCache); zero means DefaultCacheSize, a negative value none.
	CacheSize int

	cacheOnce sync.Once
	cache     *tokenCache
	// cacheHits and cacheMisses count the lookups of the cache (CacheStats).
	cacheHits, cacheMisses atomic.Uint64

	// keyWarnings holds, by index in Issuers, when each issuer's key
	// failure was last warned of and the refusals since.
	keyWarningsMu sync.Mutex
	keyWarnings   map[int]*outage.Tracker
}

// keyWarnInterval is the least time between two warnings that an issuer's
// keys are unavailable. A token reaches the key lookup unsigned (only its
// iss must name the issuer), so a warning per request would let anyone
// fill the log; one a minute still tells the operator, with the count of
// refusals it stands for, and each refusal is a debug line.
const keyWarnInterval = outage.Interval

var _ graphprofile.Authenticator = (*Validator)(nil)

// NewValidator returns a Validator that trusts issuers, with the default
// clock and leeway, logging to logger (which may be nil).
func NewValidator(logger *slog.Logger, issuers ...Issuer) *Validator {
	return &Validator{Issuers: issuers, Logger: logger}
}

// claims are the parts of an access token graphprofile reads. Pointers tell a
// missing claim from an empty one where that matters. The registered time
// claims are numericDates, stricter than the library's: RFC 7519 makes a
// NumericDate a JSON number, never a string or null (values, not pointers,
// so that a null reaches UnmarshalJSON rather than read as absent).
//
// The library reads them with encoding/json, which matches a member's name
// ignoring case and keeps the last match: good enough to find the issuer
// and key that check the signature, and cheap for a forged token. A token
// whose signature holds is read again by the claims' exact names
// (exactClaims) before anything else is taken from it.
type claims struct {
	Issuer            string           `json:"iss"`
	Audience          jwt.ClaimStrings `json:"aud"`
	ExpiresAt         numericDate      `json:"exp"`
	NotBefore         numericDate      `json:"nbf"`
	IssuedAt          numericDate      `json:"iat"`
	TenantID          string           `json:"tid"`
	ObjectID          string           `json:"oid"`
	UPN               string           `json:"upn"`
	PreferredUsername string           `json:"preferred_username"`
	Name              string           `json:"name"`
	AppDisplayName    string           `json:"app_displayname"`
	AppID             string           `json:"appid"`
	AuthorizedParty   string           `json:"azp"`
	Scope             *string          `json:"scp"`
	Roles             []string         `json:"roles"`
}

// exactClaims reads the claims of payload, a token's JSON claims set, by
// their exact names: RFC 7519 (4, and RFC 7159 8.3) compares a claim's
// name code point by code point, where encoding/json matches a struct's
// fields ignoring case and keeps the last of the matches, so that a custom
// claim "OID" or "SCP", which an issuer may let anyone set (Keycloak's
// mappers, Entra's claims-mapping policies), would be read as the oid or
// the scopes. A claim named twice is refused, as RFC 7519 allows, rather
// than read as its last value, and so is anything but white space after
// the object (RFC 7519, 7.2: the claims set is one JSON object), whatever
// the library's reading let through. It costs several times what the
// library's read does: it is done once the signature holds (authenticate).
func exactClaims(payload string) (*claims, error) {
	set, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil {
		return nil, err
	}
	c := new(claims)
	dec := json.NewDecoder(bytes.NewReader(set))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("the claims are no JSON object")
	}
	seen := make(map[string]bool, 16)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := t.(string) // an object's member names are strings
		if seen[name] {
			return nil, fmt.Errorf("the claim %q is named twice", name)
		}
		seen[name] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		if field := c.field(name); field != nil {
			if err := json.Unmarshal(value, field); err != nil {
				return nil, fmt.Errorf("the claim %q: %w", name, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF { // nothing after it but white space
		return nil, errors.New("something follows the claims' JSON object")
	}
	return c, nil
}

// field is where the claim of exactly name is kept; nil for a claim
// graphprofile does not read.
func (c *claims) field(name string) any {
	switch name {
	case "iss":
		return &c.Issuer
	case "aud":
		return &c.Audience
	case "exp":
		return &c.ExpiresAt
	case "nbf":
		return &c.NotBefore
	case "iat":
		return &c.IssuedAt
	case "tid":
		return &c.TenantID
	case "oid":
		return &c.ObjectID
	case "upn":
		return &c.UPN
	case "preferred_username":
		return &c.PreferredUsername
	case "name":
		return &c.Name
	case "app_displayname":
		return &c.AppDisplayName
	case "appid":
		return &c.AppID
	case "azp":
		return &c.AuthorizedParty
	case "scp":
		return &c.Scope
	case "roles":
		return &c.Roles
	}
	return nil
}

// numericDate is RFC 7519's NumericDate: seconds since the epoch as a JSON
// number (fractions allowed). A string, even one holding a number, is not
// one, and neither is a date before 1970 or after 9999 (maxNumericDate).
type numericDate struct {
	time.Time
	set bool // the claim was given
}

// maxNumericDate is 9999-12-31T23:59:59Z, the last whole second a
// NumericDate may name. Without a bound, seconds beyond int64 (1e19, 1e300)
// would wrap to the past in time.Unix and make a far-future nbf a long-past
// one; no issuer writes dates after year 9999 or before the epoch.
const maxNumericDate = 253402300799

func (d *numericDate) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) { // null too
		return errors.New("a NumericDate must be a JSON number")
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return errors.New("a NumericDate must be a finite number")
	}
	if f < 0 || f >= maxNumericDate+1 {
		return errors.New("a NumericDate must be between 1970 and 9999")
	}
	whole, frac := math.Modf(f)
	d.Time, d.set = time.Unix(int64(whole), int64(frac*1e9)), true
	return nil
}

// The jwt.Claims methods. The library's own claim checks are off
// (WithoutClaimsValidation): authenticate checks each claim itself, with its
// own messages, leeway and clock.
func (c *claims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (c *claims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (c *claims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (c *claims) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c *claims) GetSubject() (string, error)                  { return "", nil }
func (c *claims) GetAudience() (jwt.ClaimStrings, error)       { return c.Audience, nil }

// Authenticate validates token and returns the principal it names. Every
// refusal is a *graphprofile.Error with CodeInvalidAuthToken.
func (v *Validator) Authenticate(ctx context.Context, token string) (graphprofile.Principal, error) {
	cache := v.tokenCache()
	var sum [sha256.Size]byte
	if cache != nil && len(token) <= MaxTokenSize {
		// The token's bytes are hashed in place: []byte(token) would copy
		// every token (about 1 KB) on every request.
		sum = sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
		if p, ok := cache.get(ctx, sum, v.now()); ok {
			v.cacheHits.Add(1)
			return p, nil
		}
		v.cacheMisses.Add(1)
	}
	p, reason, entry, err := v.authenticate(ctx, token)
	if err != nil {
		if v.Logger != nil {
			v.Logger.LogAttrs(ctx, slog.LevelDebug, "access token refused",
				slog.String("message", err.Message), slog.String("reason", reason))
		}
		return graphprofile.Principal{}, err
	}
	if cache != nil {
		cache.put(sum, entry)
	}
	return p, nil
}

// CacheStats returns how many tokens were found valid in the cache (hits)
// and how many had to be validated (misses) so far: for metrics.
func (v *Validator) CacheStats() (hits, misses uint64) {
	return v.cacheHits.Load(), v.cacheMisses.Load()
}

func (v *Validator) tokenCache() *tokenCache {
	v.cacheOnce.Do(func() {
		switch {
		case v.CacheSize == 0:
			v.cache = newTokenCache(DefaultCacheSize)
		case v.CacheSize > 0:
			v.cache = newTokenCache(v.CacheSize)
		}
	})
	return v.cache
}

func (v *Validator) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// authenticate does the work of Authenticate; reason is a detail for the log
// (such as the library's parse error) that the caller is not told; entry is
// what the cache keeps of a valid token.
func (v *Validator) authenticate(ctx context.Context, token string) (p graphprofile.Principal, reason string, entry *cachedToken, refusal *graphprofile.Error) {
	switch {
	case token == "":
		return graphprofile.Principal{}, "", nil, refuse(msgEmpty)
	case len(token) > MaxTokenSize:
		return graphprofile.Principal{}, "", nil, refuse(msgTooLarge)
	}
	entry = &cachedToken{}

	var c claims
	// Claims are validated below rather than by the library so that each
	// refusal gets its own message and the leeway and clock are ours.
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{algRS256, algES256}),
		jwt.WithoutClaimsValidation(),
		jwt.WithStrictDecoding(),
	)
	parsed, err := parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		if _, ok := t.Header["crit"]; ok {
			// RFC 7515, 4.1.11: a token whose critical extensions the
			// recipient does not understand is invalid, and this service
			// understands none.
			return nil, refuse(msgCritical)
		}
		return v.key(ctx, t, &c, entry)
	})
	if err != nil {
		return graphprofile.Principal{}, err.Error(), nil, parseRefusal(parsed, err)
	}
	// The signature holds: the claims are read again by their exact names
	// (exactClaims). The issuer and tenant that found the key must read the
	// same so; a token that needs case or a repeated name to say them is
	// refused.
	_, rest, _ := strings.Cut(parsed.Raw, ".")
	payload, _, _ := strings.Cut(rest, ".")
	exact, err := exactClaims(payload)
	if err != nil {
		return graphprofile.Principal{}, err.Error(), nil, refuse(msgMalformed)
	}
	if exact.Issuer != c.Issuer || exact.TenantID != c.TenantID {
		return graphprofile.Principal{}, "the issuer or tenant read ignoring case differs", nil, refuse(msgMalformed)
	}
	c = *exact

	leeway := v.Leeway
	switch {
	case leeway == 0:
		leeway = DefaultLeeway
	case leeway < 0:
		leeway = 0
	}
	t := v.now()
	switch {
	case !c.ExpiresAt.set:
		return graphprofile.Principal{}, "", nil, refuse(msgNoExpiry)
	case !t.Before(c.ExpiresAt.Add(leeway)):
		return graphprofile.Principal{}, "", nil, refuse(msgExpired)
	case c.NotBefore.set && t.Add(leeway).Before(c.NotBefore.Time):
		return graphprofile.Principal{}, "", nil, refuse(msgNotYetValid)
	case c.IssuedAt.set && t.Add(leeway).Before(c.IssuedAt.Time):
		return graphprofile.Principal{}, "", nil, refuse(msgIssuedInFuture)
	}
	if !graphAudience(c.Audience) {
		return graphprofile.Principal{}, "", nil, refuse(msgAudience)
	}
	p, refusal = principal(&c)
	if refusal != nil {
		return graphprofile.Principal{}, "", nil, refusal
	}
	p.Realm = entry.issuer.Realm()
	entry.principal, entry.expires = p, c.ExpiresAt.Add(leeway)
	// A clock set back (the admin API's) must not find valid in the cache
	// what validation would refuse as not yet valid.
	for _, d := range []numericDate{c.NotBefore, c.IssuedAt} {
		if d.set && d.Add(-leeway).After(entry.validFrom) {
			entry.validFrom = d.Add(-leeway)
		}
	}
	return p, "", entry, nil
}

// key is the jwt.Keyfunc: it finds the issuer that trusts the (not yet
// verified) iss and tid, and that issuer's key for the header's kid, and
// makes sure the key fits the algorithm so that no key is ever used with an
// algorithm it was not made for.
func (v *Validator) key(ctx context.Context, t *jwt.Token, c *claims, found *cachedToken) (any, error) {
	// Without a tenant no multi-tenant issuer can be matched, and the
	// principal would have none; say so rather than "invalid issuer".
	if c.TenantID == "" {
		return nil, refuse(msgNoTenant)
	}
	if !validTenantID(c.TenantID) {
		return nil, refuse(msgBadTenant)
	}
	var issuer Issuer
	issuerIndex := -1
	for i, candidate := range v.Issuers {
		if candidate.Trusts(c.Issuer, c.TenantID) {
			issuer, issuerIndex = candidate, i
			break
		}
	}
	if issuer == nil {
		return nil, refuse(msgIssuer)
	}
	kid, ok := t.Header["kid"].(string)
	if !ok {
		return nil, refuse(msgUnknownKey)
	}
	key, err := issuer.Key(ctx, kid)
	if err != nil {
		if errors.Is(err, ErrUnknownKey) {
			return nil, refuse(msgUnknownKey)
		}
		// Not the caller's fault, but the token cannot be verified; the
		// operator needs to know why (unless the caller just went away).
		if v.Logger != nil && ctx.Err() == nil {
			if refusals, warn := v.keyWarning(issuerIndex); warn {
				v.Logger.LogAttrs(ctx, slog.LevelWarn, "issuer signing keys unavailable",
					slog.String("iss", c.Issuer), slog.Any("error", err), slog.Int("refusals", refusals))
			}
		}
		return nil, refuse(msgKeysAvailable)
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if t.Method.Alg() != algRS256 {
			return nil, refuse(msgKeyMismatch)
		}
		if k == nil || k.N == nil || k.N.BitLen() < minRSABits {
			return nil, refuse(msgKeyUnsupported)
		}
	case *ecdsa.PublicKey:
		if t.Method.Alg() != algES256 {
			return nil, refuse(msgKeyMismatch)
		}
		if k == nil || k.Curve != elliptic.P256() {
			return nil, refuse(msgKeyMismatch)
		}
	default:
		return nil, refuse(msgKeyUnsupported)
	}
	found.issuer, found.kid, found.key = issuer, kid, key
	return key, nil
}

// keyWarning counts a refusal because the keys of v.Issuers[i] are
// unavailable, and reports whether to warn of it now and how many refusals
// the warning stands for (outage.Tracker.Failed).
func (v *Validator) keyWarning(i int) (refusals int, warn bool) {
	now := v.now()
	v.keyWarningsMu.Lock()
	if v.keyWarnings == nil {
		v.keyWarnings = map[int]*outage.Tracker{}
	}
	w := v.keyWarnings[i]
	if w == nil {
		w = &outage.Tracker{}
		v.keyWarnings[i] = w
	}
	v.keyWarningsMu.Unlock()
	return w.Failed(now, "")
}

// parseRefusal turns an error of the jwt parser into the refusal to report.
func parseRefusal(parsed *jwt.Token, err error) *graphprofile.Error {
	var refusal *graphprofile.Error
	switch {
	case errors.As(err, &refusal):
		// Our own key function refused.
		return refusal
	case errors.Is(err, jwt.ErrTokenMalformed):
		return refuse(msgMalformed)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// An unknown or missing alg; the key function never refuses
		// without an *Error.
		return refuse(msgAlgorithm)
	case parsed != nil && parsed.Method != nil &&
		parsed.Method.Alg() != algRS256 && parsed.Method.Alg() != algES256:
		// A known algorithm outside WithValidMethods (none, HS256, ...).
		return refuse(msgAlgorithm)
	default:
		return refuse(msgSignature)
	}
}

// graphAudience reports whether aud names Microsoft Graph; with several
// audiences one naming Graph is enough (RFC 7519, section 4.1.3). Case is
// ignored, ASCII's only: another API's identifier that only Unicode's case
// folding makes Graph's ("https://graph.microſoft.com", with U+017F, the
// long s) is another audience, and its tokens are not Graph's.
func graphAudience(aud jwt.ClaimStrings) bool {
	for _, a := range aud {
		a = strings.TrimSuffix(a, "/")
		if graphprofile.EqualFoldASCII(a, GraphAudience) || graphprofile.EqualFoldASCII(a, GraphAudienceAppID) {
			return true
		}
	}
	return false
}

// principal maps verified claims to the principal, checking the claims the
// kind of token requires. A token with scp is delegated; any other token is
// an application token, whose permissions are its (possibly no) roles.
func principal(c *claims) (graphprofile.Principal, *graphprofile.Error) {
	p := graphprofile.Principal{
		TenantID: c.TenantID,
		ObjectID: c.ObjectID,
		AppID:    c.AppID,
	}
	if p.AppID == "" {
		p.AppID = c.AuthorizedParty
	}
	if c.Scope != nil {
		if c.ObjectID == "" {
			return graphprofile.Principal{}, refuse(msgNoObjectID)
		}
		// /users/{key} finds a user by object id before principal name:
		// an oid spelling another user's principal name would answer
		// for that user. Entra's are GUIDs, and every principal name
		// the directory accepts (POST, PATCH, import) holds an '@'.
		if strings.Contains(c.ObjectID, "@") {
			return graphprofile.Principal{}, refuse(msgObjectIDIsUPN)
		}
		p.Delegated = true
		p.UserPrincipalName = c.UPN
		if p.UserPrincipalName == "" {
			p.UserPrincipalName = c.PreferredUsername
		}
		p.DisplayName = c.Name
		p.Permissions = scopeTokens(*c.Scope)
		return p, nil
	}
	if p.AppID == "" {
		return graphprofile.Principal{}, refuse(msgNoAppID)
	}
	// Personal accounts form no organisation an app could be granted
	// permissions in, and Entra gives no app-only token for them: one
	// would reach every personal account's profile.
	if strings.EqualFold(p.TenantID, graphprofile.PersonalAccountsTenantID) {
		return graphprofile.Principal{}, refuse(msgPersonalApp)
	}
	p.DisplayName = c.AppDisplayName
	if p.DisplayName == "" {
		p.DisplayName = c.Name
	}
	p.Permissions = c.Roles
	return p, nil
}

// scopeTokens splits scp into its scopes: separated by spaces (U+0020)
// and by nothing else (RFC 6749 3.3), as Entra ID writes them. Another
// whitespace character is part of a scope's name, so that
// "User.Read\u00a0User.ReadWrite.All" is one name that grants nothing,
// not User.ReadWrite.All beside User.Read.
func scopeTokens(scp string) []string {
	var scopes []string
	for s := range strings.SplitSeq(scp, " ") {
		if s != "" {
			scopes = append(scopes, s)
		}
	}
	return scopes
}

// refuse returns the refusal with message.
func refuse(message string) *graphprofile.Error {
	return &graphprofile.Error{Code: graphprofile.CodeInvalidAuthToken, Message: message}
}
