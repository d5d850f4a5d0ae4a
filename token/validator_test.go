package token

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/logtest"
)

const (
	testTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	testUser   = "6e7b768e-07e2-4810-8459-485f84f8f204"
	testApp    = "d3590ed6-52b3-4102-aeff-aad2292ab01c"
	testSP     = "9f2b1c4e-3a7d-4e5f-8b6a-1c2d3e4f5a6b"
	rsaIssURL  = "https://login.example.test/rsa/v2.0"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// staticIssuer is a test-only single-tenant issuer with fixed keys.
type staticIssuer struct {
	iss  string
	keys map[string]crypto.PublicKey
}

func (s staticIssuer) Trusts(iss, _ string) bool { return iss == s.iss }

func (s staticIssuer) Realm() string { return s.iss }

func (s staticIssuer) Key(_ context.Context, kid string) (crypto.PublicKey, error) {
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// brokenIssuer trusts everything but cannot get its keys, like an OIDC
// issuer whose JWKS endpoint is down.
type brokenIssuer struct{}

func (brokenIssuer) Trusts(iss, _ string) bool { return iss == "https://broken.example.test" }

func (brokenIssuer) Realm() string { return "https://broken.example.test" }

func (brokenIssuer) Key(context.Context, string) (crypto.PublicKey, error) {
	return nil, errors.New("jwks: connection refused")
}

// fixture holds the keys, issuers and validator the tests share.
type fixture struct {
	dev      *DevIssuer
	otherEC  *ecdsa.PrivateKey // not trusted by anyone
	rsaKey   *rsa.PrivateKey   // the RSA test issuer's key, kid "rsa1"
	smallRSA *rsa.PrivateKey   // registered as kid "small"
	p384     *ecdsa.PrivateKey // registered as kid "p384"
	v        *Validator
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	devKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	dev, err := NewDevIssuer(devKey)
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{dev: dev}
	if f.otherEC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		tb.Fatal(err)
	}
	if f.rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		tb.Fatal(err)
	}
	if f.smallRSA, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
		tb.Fatal(err)
	}
	if f.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		tb.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	rsaIssuer := staticIssuer{iss: rsaIssURL, keys: map[string]crypto.PublicKey{
		"rsa1":  &f.rsaKey.PublicKey,
		"small": &f.smallRSA.PublicKey,
		"p384":  &f.p384.PublicKey,
		"ed":    edKey.Public(),
		"ec1":   &f.otherEC.PublicKey, // an EC key of this issuer, for RS256 mismatches
	}}
	f.v = &Validator{
		Issuers: []Issuer{dev, rsaIssuer, brokenIssuer{}},
		Now:     func() time.Time { return testNow },
	}
	return f
}

// delegatedClaims are the claims of a good delegated dev-issuer token.
func delegatedClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":  DevIssuerURL(testTenant),
		"aud":  GraphAudience,
		"tid":  testTenant,
		"oid":  testUser,
		"sub":  testUser,
		"iat":  testNow.Unix(),
		"nbf":  testNow.Unix(),
		"exp":  testNow.Add(time.Hour).Unix(),
		"scp":  "User.Read User.ReadWrite",
		"upn":  "adele@contoso.example",
		"name": "Adele Vance",
	}
}

// appClaims are the claims of a good application dev-issuer token.
func appClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":             DevIssuerURL(testTenant),
		"aud":             GraphAudience,
		"tid":             testTenant,
		"oid":             testSP,
		"sub":             testSP,
		"iat":             testNow.Unix(),
		"nbf":             testNow.Unix(),
		"exp":             testNow.Add(time.Hour).Unix(),
		"roles":           []string{"User.Read.All"},
		"appid":           testApp,
		"app_displayname": "HR sync",
		"idtyp":           "app",
	}
}

// with returns c changed by edits; a nil value deletes the claim.
func with(c jwt.MapClaims, edits map[string]any) jwt.MapClaims {
	for k, v := range edits {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// sign signs c with method and key, with kid in the header (none if empty).
func sign(tb testing.TB, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	tb.Helper()
	t := jwt.NewWithClaims(method, c)
	if kid != "" {
		t.Header["kid"] = kid
	}
	s, err := t.SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// devToken signs c with the dev issuer's key and kid.
func (f *fixture) devToken(tb testing.TB, c jwt.MapClaims) string {
	tb.Helper()
	return sign(tb, jwt.SigningMethodES256, f.dev.key, f.dev.kid, c)
}

// segment is the base64url of s, as in a compact JWS.
func segment(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// publicKeyPEM is the PEM of pub, the bytes an HS256 confusion attack uses as
// its HMAC secret.
func publicKeyPEM(tb testing.TB, pub any) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// es256WithP384 is an ES256-labelled token whose kid names a P-384 key: the
// signature is never looked at, since the key does not fit the algorithm.
func es256WithP384(tb testing.TB, key *ecdsa.PrivateKey) string {
	tb.Helper()
	c, _ := json.Marshal(with(delegatedClaims(), map[string]any{"iss": rsaIssURL}))
	signing := segment(`{"alg":"ES256","kid":"p384","typ":"JWT"}`) + "." + base64.RawURLEncoding.EncodeToString(c)
	digest := sha256.Sum256([]byte(signing))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		tb.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestAuthenticateRefuses(t *testing.T) {
	f := newFixture(t)
	valid := f.devToken(t, delegatedClaims())
	parts := strings.Split(valid, ".")
	hmacPEM := publicKeyPEM(t, f.dev.PublicKey())
	hmacDER, _ := pem.Decode(hmacPEM)

	tests := []struct {
		name  string
		token string
		want  string // the refusal message
	}{
		{"empty", "", msgEmpty},
		{"garbage", "this is not a token", msgMalformed},
		{"bearer prefix left on", "Bearer " + valid, msgMalformed},
		{"one segment", parts[0], msgMalformed},
		{"two segments", parts[0] + "." + parts[1], msgMalformed},
		{"four segments", valid + ".x", msgMalformed},
		{"dots only", "..", msgMalformed},
		{"header not base64url", "!!!." + parts[1] + "." + parts[2], msgMalformed},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], msgMalformed},
		{"header not JSON", segment("{") + "." + parts[1] + "." + parts[2], msgMalformed},
		{"header JSON array", segment("[1]") + "." + parts[1] + "." + parts[2], msgMalformed},
		{"claims not JSON", parts[0] + "." + segment("not json") + "." + parts[2], msgMalformed},
		{"signature not base64url", parts[0] + "." + parts[1] + ".***", msgMalformed},
		{"aud of wrong type", f.devToken(t, with(delegatedClaims(), map[string]any{"aud": 5})), msgMalformed},
		{"exp of wrong type", f.devToken(t, with(delegatedClaims(), map[string]any{"exp": "tomorrow"})), msgMalformed},
		{"scp of wrong type", f.devToken(t, with(delegatedClaims(), map[string]any{"scp": []string{"User.Read"}})), msgMalformed},
		{"roles of wrong type", f.devToken(t, with(appClaims(), map[string]any{"roles": "User.Read.All"})), msgMalformed},
		// An oid spelling a principal name would answer /users/{name} as
		// that user's own.
		{"oid of a principal name", f.devToken(t, with(delegatedClaims(), map[string]any{"oid": "adele@contoso.example"})), msgObjectIDIsUPN},
		{"too large", f.devToken(t, with(delegatedClaims(), map[string]any{"pad": strings.Repeat("a", MaxTokenSize)})), msgTooLarge},
		{"too large garbage", strings.Repeat("x", MaxTokenSize+1), msgTooLarge},

		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, f.dev.kid, delegatedClaims()), msgAlgorithm},
		{"alg none with the valid signature", segment(`{"alg":"none","kid":"`+f.dev.kid+`"}`) + "." + parts[1] + "." + parts[2], msgAlgorithm},
		{"HS256 keyed with the public key PEM", sign(t, jwt.SigningMethodHS256, hmacPEM, f.dev.kid, delegatedClaims()), msgAlgorithm},
		{"HS256 keyed with the public key DER", sign(t, jwt.SigningMethodHS256, hmacDER.Bytes, f.dev.kid, delegatedClaims()), msgAlgorithm},
		{"ES384", sign(t, jwt.SigningMethodES384, f.p384, "p384", with(delegatedClaims(), map[string]any{"iss": rsaIssURL})), msgAlgorithm},
		{"PS256", sign(t, jwt.SigningMethodPS256, f.rsaKey, "rsa1", with(delegatedClaims(), map[string]any{"iss": rsaIssURL})), msgAlgorithm},
		{"unknown alg", segment(`{"alg":"XX256"}`) + "." + parts[1] + "." + parts[2], msgAlgorithm},
		{"no alg", segment(`{"kid":"`+f.dev.kid+`"}`) + "." + parts[1] + "." + parts[2], msgAlgorithm},

		{"wrong key", sign(t, jwt.SigningMethodES256, f.otherEC, f.dev.kid, delegatedClaims()), msgSignature},
		{"claims tampered", parts[0] + "." + segment(`{"iss":"`+DevIssuerURL(testTenant)+`","tid":"`+testTenant+`","oid":"x","scp":"User.ReadWrite.All","aud":"`+GraphAudience+`","exp":9999999999}`) + "." + parts[2], msgSignature},
		{"signature truncated", parts[0] + "." + parts[1] + "." + parts[2][:40], msgSignature},
		{"unknown kid", sign(t, jwt.SigningMethodES256, f.dev.key, "not-the-kid", delegatedClaims()), msgUnknownKey},
		{"no kid", sign(t, jwt.SigningMethodES256, f.dev.key, "", delegatedClaims()), msgUnknownKey},
		{"kid not a string", segment(`{"alg":"ES256","kid":7}`) + "." + parts[1] + "." + parts[2], msgUnknownKey},
		{"RS256 with the dev issuer's EC kid", sign(t, jwt.SigningMethodRS256, f.rsaKey, f.dev.kid, delegatedClaims()), msgKeyMismatch},
		{"RS256 naming an EC key", sign(t, jwt.SigningMethodRS256, f.rsaKey, "ec1", with(delegatedClaims(), map[string]any{"iss": rsaIssURL})), msgKeyMismatch},
		{"ES256 naming an RSA key", sign(t, jwt.SigningMethodES256, f.dev.key, "rsa1", with(delegatedClaims(), map[string]any{"iss": rsaIssURL})), msgKeyMismatch},
		{"ES256 naming a P-384 key", es256WithP384(t, f.p384), msgKeyMismatch},
		{"RSA key under 2048 bits", sign(t, jwt.SigningMethodRS256, f.smallRSA, "small", with(delegatedClaims(), map[string]any{"iss": rsaIssURL})), msgKeyUnsupported},
		{"Ed25519 key", sign(t, jwt.SigningMethodES256, f.dev.key, "ed", with(delegatedClaims(), map[string]any{"iss": rsaIssURL})), msgKeyUnsupported},
		{"issuer keys unavailable", f.devToken(t, with(delegatedClaims(), map[string]any{"iss": "https://broken.example.test"})), msgKeysAvailable},

		{"expired beyond leeway", f.devToken(t, with(delegatedClaims(), map[string]any{"exp": testNow.Add(-6 * time.Minute).Unix()})), msgExpired},
		{"expired exactly at leeway", f.devToken(t, with(delegatedClaims(), map[string]any{"exp": testNow.Add(-DefaultLeeway).Unix()})), msgExpired},
		{"no exp", f.devToken(t, with(delegatedClaims(), map[string]any{"exp": nil})), msgNoExpiry},
		// null is no NumericDate (a JSON number), as for nbf and iat
		// (TestAuthenticateIsStrict).
		{"exp null", f.devToken(t, with(delegatedClaims(), map[string]any{"exp": json.RawMessage("null")})), msgMalformed},
		{"nbf beyond leeway", f.devToken(t, with(delegatedClaims(), map[string]any{"nbf": testNow.Add(6 * time.Minute).Unix()})), msgNotYetValid},

		{"wrong audience", f.devToken(t, with(delegatedClaims(), map[string]any{"aud": "https://management.azure.com"})), msgAudience},
		{"audience lookalike", f.devToken(t, with(delegatedClaims(), map[string]any{"aud": "https://graph.microsoft.com.evil.example"})), msgAudience},
		{"no audience", f.devToken(t, with(delegatedClaims(), map[string]any{"aud": nil})), msgAudience},
		{"audience array without Graph", f.devToken(t, with(delegatedClaims(), map[string]any{"aud": []string{"api://one", "api://two"}})), msgAudience},
		{"empty audience array", f.devToken(t, with(delegatedClaims(), map[string]any{"aud": []string{}})), msgAudience},

		{"untrusted issuer", f.devToken(t, with(delegatedClaims(), map[string]any{"iss": "https://login.microsoftonline.com/" + testTenant + "/v2.0"})), msgIssuer},
		{"no issuer", f.devToken(t, with(delegatedClaims(), map[string]any{"iss": nil})), msgIssuer},
		{"dev issuer of another tenant", f.devToken(t, with(delegatedClaims(), map[string]any{"iss": DevIssuerURL("11111111-1111-1111-1111-111111111111")})), msgIssuer},
		{"dev issuer pattern unfilled", f.devToken(t, with(delegatedClaims(), map[string]any{"iss": DevIssuerPattern})), msgIssuer},
		{"missing tid", f.devToken(t, with(delegatedClaims(), map[string]any{"tid": nil})), msgNoTenant},
		{"missing tid, issuer without tenant", sign(t, jwt.SigningMethodRS256, f.rsaKey, "rsa1", with(delegatedClaims(), map[string]any{"iss": rsaIssURL, "tid": nil})), msgNoTenant},
		{"tid with a separator", f.devToken(t, with(delegatedClaims(), map[string]any{"tid": testTenant + "|x", "iss": DevIssuerURL(testTenant + "|x")})), msgBadTenant},
		{"tid with a space", sign(t, jwt.SigningMethodRS256, f.rsaKey, "rsa1", with(delegatedClaims(), map[string]any{"iss": rsaIssURL, "tid": "a b"})), msgBadTenant},
		{"tid of 65 characters", sign(t, jwt.SigningMethodRS256, f.rsaKey, "rsa1", with(delegatedClaims(), map[string]any{"iss": rsaIssURL, "tid": strings.Repeat("a", 65)})), msgBadTenant},
		{"delegated without oid", f.devToken(t, with(delegatedClaims(), map[string]any{"oid": nil})), msgNoObjectID},
		{"app without appid or azp", f.devToken(t, with(appClaims(), map[string]any{"appid": nil})), msgNoAppID},
		{"neither scp nor roles nor app id", f.devToken(t, with(delegatedClaims(), map[string]any{"scp": nil})), msgNoAppID},
		// Personal accounts form no organisation an app could be granted
		// (Entra gives no app-only token for them): such a token would
		// read every personal account's profile.
		{"app of the personal accounts' tenant", f.devToken(t, with(appClaims(), map[string]any{"tid": graphprofile.PersonalAccountsTenantID, "iss": DevIssuerURL(graphprofile.PersonalAccountsTenantID)})), msgPersonalApp},
		{"app of the personal accounts' tenant, in capitals", f.devToken(t, with(appClaims(), map[string]any{"tid": strings.ToUpper(graphprofile.PersonalAccountsTenantID), "iss": DevIssuerURL(strings.ToUpper(graphprofile.PersonalAccountsTenantID))})), msgPersonalApp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.v.Authenticate(context.Background(), tt.token)
			var gerr *graphprofile.Error
			if !errors.As(err, &gerr) {
				t.Fatalf("Authenticate = %+v, %v; want *graphprofile.Error", p, err)
			}
			if gerr.Code != graphprofile.CodeInvalidAuthToken {
				t.Errorf("code = %q, want %q", gerr.Code, graphprofile.CodeInvalidAuthToken)
			}
			if gerr.Message != tt.want {
				t.Errorf("message = %q, want %q", gerr.Message, tt.want)
			}
			if !reflect.DeepEqual(p, graphprofile.Principal{}) {
				t.Errorf("principal = %+v, want zero", p)
			}
		})
	}
}

func TestAuthenticateAccepts(t *testing.T) {
	f := newFixture(t)
	delegated := graphprofile.Principal{
		TenantID:          testTenant,
		ObjectID:          testUser,
		UserPrincipalName: "adele@contoso.example",
		DisplayName:       "Adele Vance",
		Delegated:         true,
		Permissions:       []string{"User.Read", "User.ReadWrite"},
	}
	app := graphprofile.Principal{
		TenantID:    testTenant,
		ObjectID:    testSP,
		DisplayName: "HR sync",
		AppID:       testApp,
		Permissions: []string{"User.Read.All"},
	}
	// change returns p with edit applied.
	change := func(p graphprofile.Principal, edit func(*graphprofile.Principal)) graphprofile.Principal {
		p.Permissions = append([]string(nil), p.Permissions...)
		edit(&p)
		return p
	}
	mint := func(req MintRequest) string {
		t.Helper()
		req.Now = testNow
		s, err := f.dev.Mint(req)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	tests := []struct {
		name  string
		token string
		want  graphprofile.Principal
	}{
		{"delegated", f.devToken(t, delegatedClaims()), delegated},
		{"delegated minted", mint(MintRequest{
			TenantID: testTenant, ObjectID: testUser, UserPrincipalName: "adele@contoso.example",
			DisplayName: "Adele Vance", Scopes: []string{"User.Read", "User.ReadWrite"},
		}), delegated},
		{"delegated minted through an app", mint(MintRequest{
			TenantID: testTenant, ObjectID: testUser, UserPrincipalName: "adele@contoso.example",
			DisplayName: "Adele Vance", Scopes: []string{"User.Read", "User.ReadWrite"}, AppID: testApp,
		}), change(delegated, func(p *graphprofile.Principal) { p.AppID = testApp })},
		{"delegated with no scopes", mint(MintRequest{TenantID: testTenant, ObjectID: testUser}),
			graphprofile.Principal{TenantID: testTenant, ObjectID: testUser, Delegated: true}},
		{"scp with extra spaces", f.devToken(t, with(delegatedClaims(), map[string]any{"scp": "  User.Read   User.ReadWrite "})), delegated},
		{"preferred_username when no upn", f.devToken(t, with(delegatedClaims(), map[string]any{"upn": nil, "preferred_username": "adele@outlook.example"})),
			change(delegated, func(p *graphprofile.Principal) { p.UserPrincipalName = "adele@outlook.example" })},
		{"azp when no appid", f.devToken(t, with(delegatedClaims(), map[string]any{"azp": testApp})),
			change(delegated, func(p *graphprofile.Principal) { p.AppID = testApp })},
		{"personal tenant", mint(MintRequest{
			TenantID: graphprofile.PersonalAccountsTenantID, ObjectID: testUser, UserPrincipalName: "adele@outlook.example",
			DisplayName: "Adele Vance", Scopes: []string{"User.Read", "User.ReadWrite"},
		}), change(delegated, func(p *graphprofile.Principal) {
			p.TenantID = graphprofile.PersonalAccountsTenantID
			p.UserPrincipalName = "adele@outlook.example"
		})},

		{"app", f.devToken(t, appClaims()), app},
		{"app minted", mint(MintRequest{
			TenantID: testTenant, ObjectID: testSP, AppID: testApp, DisplayName: "HR sync", Roles: []string{"User.Read.All"},
		}), app},
		{"app without roles", mint(MintRequest{TenantID: testTenant, AppID: testApp}),
			graphprofile.Principal{TenantID: testTenant, AppID: testApp}},
		{"app by azp", f.devToken(t, with(appClaims(), map[string]any{"appid": nil, "azp": testApp})), app},
		{"app name when no app_displayname", f.devToken(t, with(appClaims(), map[string]any{"app_displayname": nil, "name": "HR sync (name)"})),
			change(app, func(p *graphprofile.Principal) { p.DisplayName = "HR sync (name)" })},
		{"app ignores upn", f.devToken(t, with(appClaims(), map[string]any{"upn": "adele@contoso.example"})), app},

		{"aud array", f.devToken(t, with(delegatedClaims(), map[string]any{"aud": []string{"api://other", GraphAudience}})), delegated},
		{"aud app id", f.devToken(t, with(delegatedClaims(), map[string]any{"aud": GraphAudienceAppID})), delegated},
		{"aud trailing slash", f.devToken(t, with(delegatedClaims(), map[string]any{"aud": GraphAudience + "/"})), delegated},
		{"aud in another case", f.devToken(t, with(delegatedClaims(), map[string]any{"aud": "HTTPS://Graph.Microsoft.com"})), delegated},
		{"expired within leeway", f.devToken(t, with(delegatedClaims(), map[string]any{"exp": testNow.Add(-4 * time.Minute).Unix()})), delegated},
		{"nbf within leeway", f.devToken(t, with(delegatedClaims(), map[string]any{"nbf": testNow.Add(4 * time.Minute).Unix()})), delegated},
		{"no nbf", f.devToken(t, with(delegatedClaims(), map[string]any{"nbf": nil})), delegated},
		{"fractional exp", f.devToken(t, with(delegatedClaims(), map[string]any{"exp": float64(testNow.Unix()) + 0.5})), delegated},
		{"RS256 from another issuer", sign(t, jwt.SigningMethodRS256, f.rsaKey, "rsa1", with(delegatedClaims(), map[string]any{"iss": rsaIssURL})),
			change(delegated, func(p *graphprofile.Principal) { p.Realm = rsaIssURL })},
		{"RS256 app from another issuer", sign(t, jwt.SigningMethodRS256, f.rsaKey, "rsa1", with(appClaims(), map[string]any{"iss": rsaIssURL})),
			change(app, func(p *graphprofile.Principal) { p.Realm = rsaIssURL })},
		{"large token under the limit", f.devToken(t, with(delegatedClaims(), map[string]any{"pad": strings.Repeat("a", 11<<10)})), delegated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.v.Authenticate(context.Background(), tt.token)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if !samePrincipal(got, tt.want) {
				t.Errorf("principal =\n%+v, want\n%+v", got, tt.want)
			}
		})
	}
}

// samePrincipal compares principals, taking no permissions as equal to an
// empty list.
func samePrincipal(a, b graphprofile.Principal) bool {
	if len(a.Permissions) == 0 && len(b.Permissions) == 0 {
		a.Permissions, b.Permissions = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func TestAuthenticateLeewayAndClock(t *testing.T) {
	f := newFixture(t)
	expired := f.devToken(t, with(delegatedClaims(), map[string]any{"exp": testNow.Add(-time.Minute).Unix()}))
	tests := []struct {
		name   string
		leeway time.Duration
		ok     bool
	}{
		{"default leeway", 0, true},
		{"larger leeway", 2 * time.Minute, true},
		{"smaller leeway", 30 * time.Second, false},
		{"no leeway", -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &Validator{Issuers: f.v.Issuers, Now: f.v.Now, Leeway: tt.leeway}
			_, err := v.Authenticate(context.Background(), expired)
			if (err == nil) != tt.ok {
				t.Errorf("Authenticate err = %v, want ok=%v", err, tt.ok)
			}
		})
	}

	// A negative leeway is none, not a shorter life: a token good for two
	// more minutes is good with a leeway of -10 minutes.
	fresh := f.devToken(t, with(delegatedClaims(), map[string]any{"exp": testNow.Add(2 * time.Minute).Unix()}))
	if _, err := (&Validator{Issuers: f.v.Issuers, Now: f.v.Now, Leeway: -10 * time.Minute}).Authenticate(context.Background(), fresh); err != nil {
		t.Errorf("a token good for 2 more minutes, leeway -10 min: %v, want it accepted", err)
	}

	// A NumericDate's fraction counts: with no leeway, a token whose exp
	// is half a second after the clock is good, not expired at the second.
	halfSecond := f.devToken(t, with(delegatedClaims(), map[string]any{"exp": float64(testNow.Unix()) + 0.5}))
	if _, err := (&Validator{Issuers: f.v.Issuers, Now: f.v.Now, Leeway: -1}).Authenticate(context.Background(), halfSecond); err != nil {
		t.Errorf("a token expiring half a second from now, no leeway: %v, want it accepted", err)
	}

	// A nil clock is the real one: a token minted now is good.
	v := NewValidator(nil, f.dev)
	tok, err := f.dev.Mint(MintRequest{TenantID: testTenant, ObjectID: testUser})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Authenticate(context.Background(), tok); err != nil {
		t.Errorf("Authenticate with the real clock: %v", err)
	}
	// And the zero Validator trusts nobody.
	if _, err := (&Validator{}).Authenticate(context.Background(), tok); !isRefusal(err) {
		t.Errorf("zero Validator: err = %v, want %s", err, graphprofile.CodeInvalidAuthToken)
	}
}

func FuzzAuthenticate(f *testing.F) {
	fx := newFixture(f)
	valid := fx.devToken(f, delegatedClaims())
	parts := strings.Split(valid, ".")
	f.Add(valid)
	f.Add(fx.devToken(f, appClaims()))
	f.Add(sign(f, jwt.SigningMethodRS256, fx.rsaKey, "rsa1", with(delegatedClaims(), map[string]any{"iss": rsaIssURL})))
	f.Add(sign(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, fx.dev.kid, delegatedClaims()))
	f.Add(sign(f, jwt.SigningMethodHS256, publicKeyPEM(f, fx.dev.PublicKey()), fx.dev.kid, delegatedClaims()))
	f.Add(segment(`{"alg":"ES256","kid":7}`) + "." + parts[1] + "." + parts[2])
	f.Add(segment(`{"alg":"ES256"}`) + "." + segment(`{"exp":1e400,"aud":[1],"scp":null}`) + ".")
	f.Add("")
	f.Add("..")
	f.Add("a.b.c")
	f.Add("Bearer x")

	f.Fuzz(func(t *testing.T, token string) {
		p, err := fx.v.Authenticate(context.Background(), token)
		if err == nil {
			if p.TenantID == "" {
				t.Fatalf("accepted a token without tenant: %+v", p)
			}
			return
		}
		var gerr *graphprofile.Error
		if !errors.As(err, &gerr) || gerr.Code != graphprofile.CodeInvalidAuthToken {
			t.Fatalf("err = %#v, want a %s *graphprofile.Error", err, graphprofile.CodeInvalidAuthToken)
		}
		if len(token) >= 8 && strings.Contains(gerr.Message, token) {
			t.Fatalf("message %q echoes the token", gerr.Message)
		}
	})
}

// BenchmarkAuthenticateES256 is the full validation of a token (no cache):
// what a request with a token never seen before costs.
func BenchmarkAuthenticateES256(b *testing.B) {
	f := newFixture(b)
	tok := f.devToken(b, delegatedClaims())
	ctx := context.Background()
	v := &Validator{Issuers: f.v.Issuers, Now: f.v.Now, CacheSize: -1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Authenticate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateForged is the refusal of a token whose signature
// does not verify, never cached: what anyone without credentials may make
// the server spend on each request, for a token of a usual size and for
// one of many claims just under MaxTokenSize.
func BenchmarkAuthenticateForged(b *testing.B) {
	f := newFixture(b)
	many := delegatedClaims()
	for i := range 1150 {
		many[fmt.Sprintf("c%d", i)] = 0
	}
	for _, tc := range []struct {
		name   string
		claims jwt.MapClaims
	}{{"usual", delegatedClaims()}, {"many claims", many}} {
		tok := f.devToken(b, tc.claims)
		if len(tok) > MaxTokenSize {
			b.Fatalf("%s: %d bytes, over MaxTokenSize", tc.name, len(tok))
		}
		forged := tok[:len(tok)-4] + "AAAA"
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.v.Authenticate(b.Context(), forged); err == nil {
					b.Fatal("a forged token accepted")
				}
			}
		})
	}
}

func TestAuthenticateLogs(t *testing.T) {
	f := newFixture(t)
	var buf bytes.Buffer
	f.v.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))

	expired := f.devToken(t, with(delegatedClaims(), map[string]any{"exp": testNow.Add(-time.Hour).Unix()}))
	if _, err := f.v.Authenticate(context.Background(), expired); err == nil {
		t.Fatal("expired token accepted")
	}
	broken := f.devToken(t, with(delegatedClaims(), map[string]any{"iss": "https://broken.example.test"}))
	if _, err := f.v.Authenticate(context.Background(), broken); err == nil {
		t.Fatal("token of an issuer without keys accepted")
	}
	log := buf.String()
	for _, want := range []string{
		`level=DEBUG msg="access token refused" message="` + msgExpired + `"`,
		`level=WARN msg="issuer signing keys unavailable" iss=https://broken.example.test error="jwks: connection refused"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
	for _, tok := range []string{expired, broken} {
		if strings.Contains(log, strings.Split(tok, ".")[1]) {
			t.Error("the log holds a token")
		}
	}
}

// isRefusal reports whether err is a token refusal (InvalidAuthenticationToken).
func isRefusal(err error) bool {
	var e *graphprofile.Error
	return errors.As(err, &e) && e.Code == graphprofile.CodeInvalidAuthToken
}

// TestUnavailableKeysWarnedOncePerInterval: a token naming an issuer whose
// keys cannot be had needs no signature to reach the key lookup, so the
// warning for the operator must not be one per request (anyone could fill
// the log): one per issuer per keyWarnInterval, saying how many refusals
// it stood for; each refusal is a debug line.
func TestUnavailableKeysWarnedOncePerInterval(t *testing.T) {
	f := newFixture(t)
	var log logtest.Buffer
	now := testNow
	v := &Validator{
		Issuers: []Issuer{f.dev, brokenIssuer{}},
		Now:     func() time.Time { return now },
		Logger:  slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	broken := sign(t, jwt.SigningMethodES256, f.otherEC, "any", with(delegatedClaims(), map[string]any{"iss": "https://broken.example.test"}))
	refuse := func(n int) {
		for range n {
			pr, err := v.Authenticate(context.Background(), broken)
			assertRefused(t, pr, err, msgKeysAvailable)
		}
	}
	lines := func() (warnings []map[string]any, debug int) {
		for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			switch {
			case m["level"] == "WARN" && m["msg"] == "issuer signing keys unavailable":
				warnings = append(warnings, m)
			case m["level"] == "DEBUG" && m["msg"] == "access token refused":
				debug++
			default:
				t.Errorf("unexpected log line %s", line)
			}
		}
		return warnings, debug
	}

	refuse(100)
	now = now.Add(keyWarnInterval - time.Second)
	refuse(50)
	warnings, debug := lines()
	if len(warnings) != 1 || debug != 150 {
		t.Fatalf("after 150 refusals within the interval: %d warnings, %d debug lines; want 1 and 150", len(warnings), debug)
	}
	if w := warnings[0]; w["iss"] != "https://broken.example.test" || w["error"] != "jwks: connection refused" || w["refusals"] != float64(1) {
		t.Errorf("the first warning: %v", w)
	}

	now = now.Add(time.Second)
	refuse(1)
	warnings, debug = lines()
	if len(warnings) != 2 || debug != 151 {
		t.Fatalf("after the interval: %d warnings, %d debug lines; want 2 and 151", len(warnings), debug)
	}
	// The second warning stands for the 149 refusals not warned of and
	// its own.
	if w := warnings[1]; w["refusals"] != float64(150) {
		t.Errorf("the second warning: %v, want refusals 150", w)
	}
}

// TestFirstTrustingIssuer: of two issuers that trust a token's iss, the
// token is checked against the first (Validator.Issuers), whose key
// verifies it, not against the second.
func TestFirstTrustingIssuer(t *testing.T) {
	f := newFixture(t)
	first := staticIssuer{iss: rsaIssURL, keys: map[string]crypto.PublicKey{"k": &f.rsaKey.PublicKey}}
	second := staticIssuer{iss: rsaIssURL, keys: map[string]crypto.PublicKey{"k": &f.smallRSA.PublicKey}}
	tok := sign(t, jwt.SigningMethodRS256, f.rsaKey, "k", with(delegatedClaims(), map[string]any{"iss": rsaIssURL}))
	v := &Validator{Issuers: []Issuer{first, second}, Now: f.v.Now}
	if p, err := v.Authenticate(context.Background(), tok); err != nil || p.ObjectID != testUser {
		t.Errorf("a token of the first issuer's key: %+v, %v; want it accepted", p, err)
	}
}
