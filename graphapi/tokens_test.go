package graphapi_test

import (
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/graphprofile/graphprofile/token"
)

// TestTokenRefusalsOverHTTP sends tokens signed with the development
// issuer's own key but wrong in one way each: every one is a 401
// InvalidAuthenticationToken with a Bearer challenge.
func TestTokenRefusalsOverHTTP(t *testing.T) {
	s := newTestServer(t)
	key := s.devKey()
	publicDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	good := func() jwt.MapClaims {
		return jwt.MapClaims{
			"iss": token.DevIssuerURL(tenantA), "aud": "https://graph.microsoft.com", "tid": tenantA, "oid": userA1,
			"scp": "User.Read", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}
	}
	sign := func(method jwt.SigningMethod, signingKey any, kid string, edit func(jwt.MapClaims)) string {
		claims := good()
		if edit != nil {
			edit(claims)
		}
		tok := jwt.NewWithClaims(method, claims)
		tok.Header["kid"] = kid
		signed, err := tok.SignedString(signingKey)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	es256 := func(edit func(jwt.MapClaims)) string { return sign(jwt.SigningMethodES256, key, s.dev.KeyID(), edit) }

	const failure = "Access token validation failure. "
	tests := []struct {
		name    string
		token   string
		message string
	}{
		{"HS256 signed with the public key bytes", sign(jwt.SigningMethodHS256, publicDER, s.dev.KeyID(), nil), failure + "The signing algorithm is not allowed; only RS256 and ES256 are."},
		{"unknown kid", sign(jwt.SigningMethodES256, key, "not-a-known-kid", nil), "IDX10503: Signature validation failed. The signing key is unknown."},
		{"wrong audience", es256(func(c jwt.MapClaims) { c["aud"] = "api://someone-else" }), failure + "Invalid audience."},
		// Another API's identifier that only Unicode's case folding makes
		// Graph's (U+017F, the long s, folds to "s"): a token for it is not
		// one for Graph.
		{"audience Graph's by Unicode folding", es256(func(c jwt.MapClaims) { c["aud"] = "https://graph.micro\u017foft.com" }), failure + "Invalid audience."},
		{"audience Graph's by Unicode folding, among others", es256(func(c jwt.MapClaims) { c["aud"] = []string{"api://x", "http\u017f://graph.microsoft.com"} }), failure + "Invalid audience."},
		{"issuer not trusted", es256(func(c jwt.MapClaims) { c["iss"] = "https://login.example.test/" + tenantA + "/v2.0" }), failure + "Invalid issuer."},
		{"issuer of another tenant", es256(func(c jwt.MapClaims) { c["iss"] = token.DevIssuerURL(tenantB) }), failure + "Invalid issuer."},
		{"missing tid", es256(func(c jwt.MapClaims) { delete(c, "tid") }), failure + "The token has no tenant (tid)."},
		{"missing oid", es256(func(c jwt.MapClaims) { delete(c, "oid") }), failure + "A delegated token must name the user (oid)."},
		{"expired", es256(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() }), "Lifetime validation failed, the token is expired."},
		{"not yet valid", es256(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }), "Lifetime validation failed, the token is not yet valid."},
		{"over 16 KiB", es256(func(c jwt.MapClaims) { c["padding"] = strings.Repeat("x", 16<<10) }), failure + "The token is too large."},
		{"garbage", "eyJhbGciOi.garbage.here", failure + "The token is not a well-formed JWT."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.do(request{path: "/beta/me/profile/positions", token: tc.token})
			if msg := expectError(t, resp, http.StatusUnauthorized, "InvalidAuthenticationToken"); msg != tc.message {
				t.Errorf("message %q, want %q", msg, tc.message)
			}
			if !strings.HasPrefix(resp.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", resp.header.Get("WWW-Authenticate"))
			}
		})
	}
	// The same construction, unchanged, is accepted: the refusals are the edits'.
	if resp := s.do(request{path: "/beta/me/profile/positions", token: es256(nil)}); resp.status != http.StatusOK {
		t.Fatalf("the unedited token: %d %s", resp.status, resp.body)
	}
}
