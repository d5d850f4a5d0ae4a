package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/durable"
)

// The development issuer's issuer URL is multi-tenant like Entra ID's v2.0
// endpoint: the tenant id sits between these two parts. The .invalid TLD
// (RFC 2606) guarantees nobody can ever serve it, so the URL can never be
// mistaken for, or resolved to, a real issuer.
const (
	devIssuerPrefix = "https://graphprofile.invalid/"
	devIssuerSuffix = "/v2.0"
)

// DevIssuerPattern is the development issuer's issuer URL with a placeholder
// for the tenant id; see DevIssuerURL.
const DevIssuerPattern = devIssuerPrefix + "{tid}" + devIssuerSuffix

// DefaultTokenLifetime is the lifetime of a minted token when MintRequest
// does not say.
const DefaultTokenLifetime = time.Hour

// DevIssuerURL returns the development issuer's iss for tokens of tenantID.
func DevIssuerURL(tenantID string) string {
	return devIssuerPrefix + tenantID + devIssuerSuffix
}

// DevIssuer is the built-in issuer whose tokens `graphprofile token` mints
// and `graphprofile serve` accepts: an ECDSA P-256 key kept in a local file.
// It is an Issuer.
type DevIssuer struct {
	// Now is the clock of the issue times of tokens whose MintRequest
	// gives none (the server's clock, so that a test that moves it mints
	// tokens valid then); nil means time.Now. Set it before minting.
	Now func() time.Time

	key *ecdsa.PrivateKey
	kid string
}

var _ Issuer = (*DevIssuer)(nil)

// NewDevIssuer returns a development issuer that signs with key, which must
// be a P-256 key. LoadOrCreateDevIssuer is the usual way to get one; this is
// for callers (tests) that keep the key elsewhere.
func NewDevIssuer(key *ecdsa.PrivateKey) (*DevIssuer, error) {
	if key == nil || key.Curve != elliptic.P256() {
		return nil, errors.New("dev issuer: the signing key must be an ECDSA P-256 key")
	}
	kid, err := thumbprint(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("dev issuer: %w", err)
	}
	return &DevIssuer{key: key, kid: kid}, nil
}

// LoadOrCreateDevIssuer returns the development issuer whose key is the
// PKCS#8 PEM file at path, creating the file (mode 0600, and its directory)
// with a new key when it does not exist. Processes starting at the same time
// all end up with the same key: the file appears atomically, complete, and
// only once.
func LoadOrCreateDevIssuer(path string) (*DevIssuer, error) {
	dev, err := LoadDevIssuer(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return dev, err
	}
	if err := createDevKey(path); err != nil {
		return nil, err
	}
	// Read back whichever key won a race with another process.
	return LoadDevIssuer(path)
}

// LoadDevIssuer returns the development issuer of the key file at path; an
// error wrapping fs.ErrNotExist when there is none.
func LoadDevIssuer(path string) (*DevIssuer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dev issuer key: %w", err)
	}
	key, err := parseDevKey(data)
	if err != nil {
		return nil, fmt.Errorf("dev issuer key %s: %w", path, err)
	}
	return NewDevIssuer(key)
}

// createDevKey writes a new key to path unless a file is there already. The
// key is written to a temporary file that is then hard-linked into place, so
// the file is never seen half-written and an existing file is never replaced
// (unlike rename, link fails when the target exists).
func createDevKey(path string) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("dev issuer key: %w", err)
	}
	data, err := NewDevKeyPEM()
	if err != nil {
		return err
	}

	tmp, err := durable.CreateBeside(path, "")
	if err != nil {
		return fmt.Errorf("dev issuer key: %w", err)
	}
	defer func() {
		// The link (if made) keeps the file; the temporary name always goes.
		if rmErr := os.Remove(tmp.Name()); rmErr != nil && err == nil {
			err = fmt.Errorf("dev issuer key: %w", rmErr)
		}
	}()
	// CreateTemp already uses 0600, but say so explicitly: this is a secret.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("dev issuer key: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("dev issuer key: %w", err)
	}
	// Sync before linking so that a crash cannot leave an empty key file.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("dev issuer key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("dev issuer key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("dev issuer key: %w", err)
	}
	// Sync the directory too, so the new name survives a power cut: tokens
	// minted with this key must stay valid after a restart.
	if err := durable.SyncDir(dir); err != nil {
		return fmt.Errorf("dev issuer key: syncing %s: %w", dir, err)
	}
	return nil
}

// NewDevKeyPEM returns a new signing key for a development issuer, as the
// PKCS#8 PEM that LoadOrCreateDevIssuer keeps in its file and
// DevIssuerFromPEM reads: for a key kept elsewhere than a file (a
// database every server shares).
func NewDevKeyPEM() ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("dev issuer key: generating: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("dev issuer key: encoding: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// DevIssuerFromPEM returns the development issuer whose key is data, a
// PKCS#8 PEM P-256 key such as NewDevKeyPEM makes.
func DevIssuerFromPEM(data []byte) (*DevIssuer, error) {
	key, err := parseDevKey(data)
	if err != nil {
		return nil, fmt.Errorf("dev issuer key: %w", err)
	}
	return NewDevIssuer(key)
}

// parseDevKey decodes a PEM "PRIVATE KEY" block holding a PKCS#8 P-256 key.
func parseDevKey(data []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New(`not a PEM "PRIVATE KEY" file`)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a PKCS#8 private key: %w", err)
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, errors.New("not an ECDSA P-256 key")
	}
	return key, nil
}

// thumbprint returns the RFC 7638 JWK thumbprint of an EC public key: the
// base64url SHA-256 of its required members in lexicographic order, without
// whitespace. Using it as kid makes the kid follow from the key alone.
func thumbprint(pub *ecdsa.PublicKey) (string, error) {
	point, err := pub.Bytes() // 0x04 || X || Y, each 32 bytes for P-256
	if err != nil {
		return "", err
	}
	const size = 32
	if len(point) != 1+2*size {
		return "", errors.New("unexpected public key encoding")
	}
	enc := base64.RawURLEncoding
	jwk := `{"crv":"P-256","kty":"EC","x":"` + enc.EncodeToString(point[1:1+size]) +
		`","y":"` + enc.EncodeToString(point[1+size:]) + `"}`
	sum := sha256.Sum256([]byte(jwk))
	return enc.EncodeToString(sum[:]), nil
}

// KeyID returns the kid of the issuer's key (its RFC 7638 thumbprint).
func (d *DevIssuer) KeyID() string { return d.kid }

// Secret returns a secret of the issuer's own for purpose, derived from
// its signing key (HMAC-SHA256 keyed with the private key, of purpose):
// the same for every process that holds the key (every server of one
// store), another for another store, and telling nothing of the key.
func (d *DevIssuer) Secret(purpose string) ([]byte, error) {
	key, err := d.key.Bytes()
	if err != nil {
		return nil, fmt.Errorf("dev issuer key: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(purpose))
	return mac.Sum(nil), nil
}

// PublicKey returns the issuer's verification key.
func (d *DevIssuer) PublicKey() *ecdsa.PublicKey { return &d.key.PublicKey }

// Trusts reports whether iss is the development issuer's URL for tenant tid.
// It is multi-tenant: any non-empty tid is a tenant of it, but only under its
// own name.
func (d *DevIssuer) Trusts(iss, tid string) bool {
	if tid == "" {
		return false
	}
	rest, ok := strings.CutPrefix(iss, devIssuerPrefix)
	if !ok {
		return false
	}
	rest, ok = strings.CutSuffix(rest, devIssuerSuffix)
	return ok && rest == tid
}

// Realm is empty: the development issuer's tenants are named by their tid
// alone.
func (d *DevIssuer) Realm() string { return "" }

// Key returns the issuer's public key when kid is its key id.
func (d *DevIssuer) Key(_ context.Context, kid string) (crypto.PublicKey, error) {
	if kid != d.kid {
		return nil, ErrUnknownKey
	}
	return &d.key.PublicKey, nil
}

// MintRequest says what token DevIssuer.Mint makes. A token is delegated (a
// user signed in to an app, with scp) unless AppID is set and Scopes is not,
// in which case it is an application token (with roles).
type MintRequest struct {
	TenantID string // required
	// ObjectID is the user's object id (required for delegated tokens) or
	// the app's service principal id (optional for application tokens).
	ObjectID          string
	UserPrincipalName string // delegated only
	DisplayName       string // the user's name, or the app's display name
	Scopes            []string
	// AppID is the client app; with no Scopes it makes the token an
	// application token.
	AppID string
	Roles []string // application only
	// Expires is the lifetime; zero means DefaultTokenLifetime.
	Expires time.Duration
	// Now is the issue time; zero means the issuer's current time.
	Now time.Time
}

// CurrentTime is the issue time of a token minted now: the issuer's Now,
// or real time when it has none.
func (d *DevIssuer) CurrentTime() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// CheckIssueTime returns an error when a token issued at now and living
// lifetime cannot be minted: a token's times are NumericDates, which the
// validator reads from 1970 to 9999 only, so a token issued outside would
// be refused as not well-formed. Mint returns it too, wrapped.
func CheckIssueTime(now time.Time, lifetime time.Duration) error {
	if now.Unix() < 0 || now.Add(lifetime).Unix() > maxNumericDate {
		return fmt.Errorf("the issue time %s is outside what a token's times can be: seconds since 1970, up to 9999 (RFC 7519's NumericDate, as the validator reads them)", now.UTC().Format(time.RFC3339))
	}
	return nil
}

// Mint returns a token for req signed by the development issuer, in the
// shape of an Entra ID v2.0 access token for Microsoft Graph.
func (d *DevIssuer) Mint(req MintRequest) (string, error) {
	delegated := req.AppID == "" || len(req.Scopes) > 0
	switch {
	case req.TenantID == "":
		return "", errors.New("mint: a tenant id is required")
	case !validTenantID(req.TenantID):
		return "", fmt.Errorf("mint: tenant id %q: want 1 to 64 letters, digits and hyphens", req.TenantID)
	case req.Expires < 0:
		return "", errors.New("mint: the lifetime must not be negative")
	case delegated && req.ObjectID == "":
		return "", errors.New("mint: a delegated token needs the user's object id")
	case delegated && len(req.Roles) > 0:
		return "", errors.New("mint: roles need an application token (an app id and no scopes)")
	case !delegated && strings.EqualFold(req.TenantID, graphprofile.PersonalAccountsTenantID):
		return "", errors.New("mint: the tenant of personal Microsoft accounts grants no app any permission: no application token is for it (the validator refuses one)")
	}
	// A permission with whitespace would become several on the way back.
	for _, p := range slices.Concat(req.Scopes, req.Roles) {
		if p == "" || strings.ContainsFunc(p, unicode.IsSpace) {
			return "", fmt.Errorf("mint: invalid permission %q", p)
		}
	}
	now := req.Now
	if now.IsZero() {
		now = d.CurrentTime()
	}
	lifetime := req.Expires
	if lifetime == 0 {
		lifetime = DefaultTokenLifetime
	}
	if err := CheckIssueTime(now, lifetime); err != nil {
		return "", fmt.Errorf("mint: %w", err)
	}

	c := jwt.MapClaims{
		"iss": DevIssuerURL(req.TenantID),
		"aud": GraphAudience,
		"tid": req.TenantID,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(lifetime).Unix(),
		"ver": "2.0",
	}
	// sub is the user, or the app's service principal when there is one,
	// as in Entra ID tokens.
	c["sub"] = req.ObjectID
	if req.ObjectID != "" {
		c["oid"] = req.ObjectID
	} else {
		c["sub"] = req.AppID
	}
	if req.AppID != "" {
		c["appid"] = req.AppID
		c["azp"] = req.AppID
	}
	if delegated {
		c["scp"] = strings.Join(req.Scopes, " ")
		if req.UserPrincipalName != "" {
			c["upn"] = req.UserPrincipalName
			c["preferred_username"] = req.UserPrincipalName
		}
		if req.DisplayName != "" {
			c["name"] = req.DisplayName
		}
	} else {
		c["idtyp"] = "app"
		roles := req.Roles
		if roles == nil {
			roles = []string{} // "roles": [] rather than null
		}
		c["roles"] = roles
		if req.DisplayName != "" {
			c["app_displayname"] = req.DisplayName
		}
	}

	t := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	t.Header["kid"] = d.kid
	signed, err := t.SignedString(d.key)
	if err != nil {
		return "", fmt.Errorf("mint: %w", err)
	}
	return signed, nil
}
