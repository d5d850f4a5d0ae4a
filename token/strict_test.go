package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/graphprofile/graphprofile"
)

// signWithHeader signs c with the dev issuer's key, with header fields
// beside alg, typ and the dev kid.
func (f *fixture) signWithHeader(tb testing.TB, header map[string]any, c jwt.MapClaims) string {
	tb.Helper()
	t := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	t.Header["kid"] = f.dev.kid
	for k, v := range header {
		t.Header[k] = v
	}
	s, err := t.SignedString(f.dev.key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// signPayload signs payload, the claims set as written, with the dev
// issuer's key and kid: a claims set no JSON encoder would write.
func (f *fixture) signPayload(tb testing.TB, payload []byte) string {
	tb.Helper()
	signing := segment(`{"alg":"ES256","kid":"`+f.dev.kid+`","typ":"JWT"}`) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := jwt.SigningMethodES256.Sign(signing, f.dev.key)
	if err != nil {
		tb.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// claimsJSON is c as a JSON object.
func claimsJSON(tb testing.TB, c jwt.MapClaims) []byte {
	tb.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// highS re-signs a dev token so that its ECDSA signature has the high S
// value (n - s): as valid as the low one, and what many signers produce.
func (f *fixture) highS(tb testing.TB, c jwt.MapClaims) string {
	tb.Helper()
	header := segment(`{"alg":"ES256","kid":"` + f.dev.kid + `","typ":"JWT"}`)
	body, err := json.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	signing := header + "." + base64.RawURLEncoding.EncodeToString(body)
	digest := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, f.dev.key, digest[:])
	if err != nil {
		tb.Fatal(err)
	}
	n := elliptic.P256().Params().N
	if s.Cmp(new(big.Int).Rsh(n, 1)) <= 0 {
		s = new(big.Int).Sub(n, s)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestAuthenticateIsStrict holds the validator to RFC 7515 and RFC 7519
// where a lax reading lets a forged or malformed token through: critical
// header parameters it does not understand, NumericDates written as
// strings, tokens issued in the future.
func TestAuthenticateIsStrict(t *testing.T) {
	f := newFixture(t)
	numeric := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	refused := []struct {
		name  string
		token string
		want  string
	}{
		{"crit naming an unknown extension", f.signWithHeader(t, map[string]any{"crit": []string{"urn:example:ext"}, "urn:example:ext": true}, delegatedClaims()), msgCritical},
		{"crit naming a registered parameter", f.signWithHeader(t, map[string]any{"crit": []string{"exp"}}, delegatedClaims()), msgCritical},
		{"crit empty", f.signWithHeader(t, map[string]any{"crit": []string{}}, delegatedClaims()), msgCritical},
		{"crit not a list", f.signWithHeader(t, map[string]any{"crit": "b64"}, delegatedClaims()), msgCritical},
		{"exp as a numeric string", f.devToken(t, with(delegatedClaims(), map[string]any{"exp": numeric(testNow.Add(time.Hour))})), msgMalformed},
		{"nbf as a numeric string", f.devToken(t, with(delegatedClaims(), map[string]any{"nbf": numeric(testNow)})), msgMalformed},
		{"iat as a numeric string", f.devToken(t, with(delegatedClaims(), map[string]any{"iat": numeric(testNow)})), msgMalformed},
		{"exp as a boolean", f.devToken(t, with(delegatedClaims(), map[string]any{"exp": true})), msgMalformed},
		// null is no JSON number either, and no absent claim.
		{"nbf null", f.devToken(t, with(delegatedClaims(), map[string]any{"nbf": json.RawMessage("null")})), msgMalformed},
		{"iat null", f.devToken(t, with(delegatedClaims(), map[string]any{"iat": json.RawMessage("null")})), msgMalformed},
		// Beyond int64 seconds time.Unix would wrap these into the past,
		// where an nbf is long passed; year 10000 and later, and before
		// 1970, are no dates an issuer writes.
		{"nbf 1e19", f.devToken(t, with(delegatedClaims(), map[string]any{"nbf": 1e19})), msgMalformed},
		{"nbf 9.2233720368e18", f.devToken(t, with(delegatedClaims(), map[string]any{"nbf": 9.2233720368e18})), msgMalformed},
		{"nbf 1e300", f.devToken(t, with(delegatedClaims(), map[string]any{"nbf": 1e300})), msgMalformed},
		{"nbf in year 10000", f.devToken(t, with(delegatedClaims(), map[string]any{"nbf": 253402300800})), msgMalformed},
		{"iat 1e19", f.devToken(t, with(delegatedClaims(), map[string]any{"iat": 1e19})), msgMalformed},
		{"exp 1e19", f.devToken(t, with(delegatedClaims(), map[string]any{"exp": 1e19})), msgMalformed},
		{"exp in year 10000", f.devToken(t, with(delegatedClaims(), map[string]any{"exp": 253402300800})), msgMalformed},
		{"nbf before 1970", f.devToken(t, with(delegatedClaims(), map[string]any{"nbf": -1})), msgMalformed},
		{"nbf -1e19", f.devToken(t, with(delegatedClaims(), map[string]any{"nbf": -1e19})), msgMalformed},
		{"iat 100 days ahead", f.devToken(t, with(delegatedClaims(), map[string]any{"iat": testNow.Add(100 * 24 * time.Hour).Unix()})), msgIssuedInFuture},
		{"iat beyond the leeway", f.devToken(t, with(delegatedClaims(), map[string]any{"iat": testNow.Add(DefaultLeeway + time.Minute).Unix()})), msgIssuedInFuture},
		// RFC 7515's base64url has one spelling of each value: a signature
		// whose unused bits are set is another token (another cache key)
		// with the same signature, which a lax decoder would accept.
		{"signature with its unused bits set", unusedBitsSet(f.devToken(t, delegatedClaims())), msgMalformed},
		// RFC 7519 (7.2, step 10) makes the claims set one JSON object:
		// what follows its closing brace, but white space, is no JSON
		// (found by FuzzClaims: {}0 was read as the claims {}).
		{"claims followed by a number", f.signPayload(t, append(claimsJSON(t, delegatedClaims()), '0')), msgMalformed},
		{"claims followed by another object", f.signPayload(t, append(claimsJSON(t, delegatedClaims()), `{"oid":"x"}`...)), msgMalformed},
		{"claims followed by garbage", f.signPayload(t, append(claimsJSON(t, delegatedClaims()), " x"...)), msgMalformed},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.v.Authenticate(context.Background(), tt.token)
			assertRefused(t, p, err, tt.want)
		})
	}

	accepted := []struct {
		name  string
		token string
	}{
		{"iat within the leeway", f.devToken(t, with(delegatedClaims(), map[string]any{"iat": testNow.Add(4 * time.Minute).Unix()}))},
		{"no iat", f.devToken(t, with(delegatedClaims(), map[string]any{"iat": nil}))},
		{"fractional iat", f.devToken(t, with(delegatedClaims(), map[string]any{"iat": float64(testNow.Unix()) - 0.5}))},
		{"nbf at the epoch", f.devToken(t, with(delegatedClaims(), map[string]any{"nbf": 0}))},
		{"exp at the last second of 9999", f.devToken(t, with(delegatedClaims(), map[string]any{"exp": 253402300799}))},
		// A high-S signature is a valid ES256 signature (RFC 7518 does not
		// ask for low S), and external issuers sign half their tokens so.
		{"high-S ECDSA signature", f.highS(t, delegatedClaims())},
		{"typ absent", f.signWithHeader(t, map[string]any{"typ": nil}, delegatedClaims())},
		{"claims followed by white space", f.signPayload(t, append(claimsJSON(t, delegatedClaims()), " \r\n\t"...))},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.v.Authenticate(context.Background(), tt.token)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if p.ObjectID != testUser || p.TenantID != testTenant {
				t.Errorf("principal %+v, want user %s of %s", p, testUser, testTenant)
			}
		})
	}
}

// TestExactClaimsReadsOneObject: exactClaims, the second reading of a
// token whose signature holds, reads one JSON object and nothing after it
// but white space (RFC 7519, 7.2, step 10), whatever the library's reading
// before it let through (found by FuzzClaims: {}0 was read as {}).
func TestExactClaimsReadsOneObject(t *testing.T) {
	for _, tc := range []struct {
		payload string
		oid     string // the oid read; "" for a refusal
	}{
		{`{"oid":"a"}`, "a"},
		{" {\"oid\":\"a\"} \r\n\t", "a"},
		{`{"oid":"a","OID":"b"}`, "a"},
		{`{"oid":"a","oid":"b"}`, ""},
		{`{"oid":"a"}0`, ""},
		{`{}0`, ""},
		{`{"oid":"a"}{"oid":"b"}`, ""},
		{`{"oid":"a"} x`, ""},
		{`{"oid":"a"}}`, ""},
		{`{"oid":"a"`, ""},
		{`[]`, ""},
	} {
		c, err := exactClaims(segment(tc.payload))
		switch {
		case tc.oid == "" && err == nil:
			t.Errorf("exactClaims(%s) = oid %q, want a refusal", tc.payload, c.ObjectID)
		case tc.oid != "" && err != nil:
			t.Errorf("exactClaims(%s): %v, want oid %q", tc.payload, err, tc.oid)
		case tc.oid != "" && c.ObjectID != tc.oid:
			t.Errorf("exactClaims(%s) = oid %q, want %q", tc.payload, c.ObjectID, tc.oid)
		}
	}
}

// TestTenantsBelongToTheirIssuer checks that a tenant id names a tenant
// only together with the issuer that signed the token: the same tid and
// oid from two trusted issuers are two users of two tenants.
func TestTenantsBelongToTheirIssuer(t *testing.T) {
	f := newFixture(t)
	const otherIss = "https://other.example.test/v2.0"
	other := staticIssuer{iss: otherIss, keys: map[string]crypto.PublicKey{"rsa1": &f.rsaKey.PublicKey}}
	v := &Validator{Issuers: append(f.v.Issuers, other), Now: f.v.Now}
	keys := map[string]string{}
	for name, tok := range map[string]string{
		"development": f.devToken(t, delegatedClaims()),
		"rsa":         sign(t, jwt.SigningMethodRS256, f.rsaKey, "rsa1", with(delegatedClaims(), map[string]any{"iss": rsaIssURL})),
		"other":       sign(t, jwt.SigningMethodRS256, f.rsaKey, "rsa1", with(delegatedClaims(), map[string]any{"iss": otherIss})),
	} {
		p, err := v.Authenticate(context.Background(), tok)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.TenantID != testTenant {
			t.Errorf("%s: tid %q, want %q", name, p.TenantID, testTenant)
		}
		keys[name] = p.TenantKey()
	}
	if keys["development"] != testTenant {
		t.Errorf("the development issuer's tenant key %q, want the tid %q", keys["development"], testTenant)
	}
	if keys["rsa"] == keys["other"] || keys["rsa"] == keys["development"] || keys["other"] == keys["development"] {
		t.Errorf("two issuers share a tenant: %v", keys)
	}
}

// signRaw signs claims, a JSON text as given (member order, repeated and
// case-variant names kept), with the dev issuer's key.
func (f *fixture) signRaw(tb testing.TB, claims string) string {
	tb.Helper()
	signing := segment(`{"alg":"ES256","kid":"`+f.dev.kid+`","typ":"JWT"}`) + "." + segment(claims)
	sig, err := jwt.SigningMethodES256.Sign(signing, f.dev.key)
	if err != nil {
		tb.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestClaimNamesAreCaseSensitive holds the validator to RFC 7519 (4, and
// RFC 7159 8.3): a claim's name is compared code point by code point, so
// "OID" is no oid but a claim of its own, which an issuer that signs
// custom claims (Keycloak's mappers, Entra's claims-mapping policies) may
// let anyone set; and a claim named twice is refused, not read as its
// last value. Go's encoding/json matches member names ignoring case and
// keeps the last: "OID" after "oid" made the token another user's.
func TestClaimNamesAreCaseSensitive(t *testing.T) {
	f := newFixture(t)
	good, err := json.Marshal(delegatedClaims())
	if err != nil {
		t.Fatal(err)
	}
	// plus is the good delegated token's claims with members added last.
	plus := func(members string) string { return string(good[:len(good)-1]) + "," + members + "}" }
	const victim = "99999999-0000-4000-8000-000000000009"

	accepted := []struct {
		name  string
		token string
		want  graphprofile.Principal
	}{
		{"OID after oid", f.signRaw(t, plus(`"OID":"`+victim+`"`)), graphprofile.Principal{ObjectID: testUser, TenantID: testTenant, Permissions: []string{"User.Read", "User.ReadWrite"}}},
		{"SCP after scp", f.signRaw(t, plus(`"SCP":"User.ReadWrite.All"`)), graphprofile.Principal{ObjectID: testUser, TenantID: testTenant, Permissions: []string{"User.Read", "User.ReadWrite"}}},
		{"Roles beside scp", f.signRaw(t, plus(`"Roles":["User.ReadWrite.All"]`)), graphprofile.Principal{ObjectID: testUser, TenantID: testTenant, Permissions: []string{"User.Read", "User.ReadWrite"}}},
		{"Upn after upn", f.signRaw(t, plus(`"Upn":"mallory@contoso.example"`)), graphprofile.Principal{ObjectID: testUser, TenantID: testTenant, UserPrincipalName: "adele@contoso.example", Permissions: []string{"User.Read", "User.ReadWrite"}}},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.v.Authenticate(context.Background(), tt.token)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if p.ObjectID != tt.want.ObjectID || p.TenantID != tt.want.TenantID || !slices.Equal(p.Permissions, tt.want.Permissions) ||
				(tt.want.UserPrincipalName != "" && p.UserPrincipalName != tt.want.UserPrincipalName) {
				t.Errorf("principal %+v, want %+v", p, tt.want)
			}
		})
	}

	// What the library reads (ignoring case, the last of a name) may agree
	// with itself, the issuer vouching for the tenant it reads, while the
	// claims by their exact names name another tenant, or another issuer:
	// the token, signed, is refused, never read as the exact claims' tenant.
	const other = "0b8e2f3a-0000-4000-8000-00000000000b"
	otherIssuer := delegatedClaims()
	otherIssuer["iss"] = DevIssuerURL(other) // tid stays testTenant
	otherTenant := delegatedClaims()
	otherTenant["tid"] = other // iss stays testTenant's
	exactTenantDiffers, err := json.Marshal(otherIssuer)
	if err != nil {
		t.Fatal(err)
	}
	exactIssuerDiffers, err := json.Marshal(otherTenant)
	if err != nil {
		t.Fatal(err)
	}
	plusTo := func(claims []byte, members string) string {
		return string(claims[:len(claims)-1]) + "," + members + "}"
	}

	exp := strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10)
	refused := []struct {
		name  string
		token string
		want  string
	}{
		// The issuer and tenant find the key before the signature is
		// checked, read as the library reads them (ignoring case): a
		// token that needs case to say them is refused, never read as
		// the other tenant's.
		{"TID after tid", f.signRaw(t, plus(`"TID":"0b8e2f3a-0000-4000-8000-00000000000b"`)), msgIssuer},
		{"Iss after iss", f.signRaw(t, plus(`"Iss":"`+DevIssuerURL("0b8e2f3a-0000-4000-8000-00000000000b")+`"`)), msgIssuer},
		{"TID after tid, the issuer TID's", f.signRaw(t, plusTo(exactTenantDiffers, `"TID":"`+other+`"`)), msgMalformed},
		{"Iss after iss, the tenant Iss's", f.signRaw(t, plusTo(exactIssuerDiffers, `"Iss":"`+DevIssuerURL(other)+`"`)), msgMalformed},
		{"oid twice", f.signRaw(t, plus(`"oid":"`+victim+`"`)), msgMalformed},
		{"tid twice, the same", f.signRaw(t, plus(`"tid":"`+testTenant+`"`)), msgMalformed},
		{"scp twice", f.signRaw(t, plus(`"scp":"User.ReadWrite.All"`)), msgMalformed},
		{"exp twice", f.signRaw(t, plus(`"exp":`+exp)), msgMalformed},
		{"only case variants of exp and aud", f.signRaw(t, `{"iss":"`+DevIssuerURL(testTenant)+`","Aud":"`+GraphAudience+`","EXP":`+exp+`,"tid":"`+testTenant+`","oid":"`+testUser+`","scp":"User.Read"}`), msgNoExpiry},
		{"only a case variant of aud", f.signRaw(t, `{"iss":"`+DevIssuerURL(testTenant)+`","AUD":"`+GraphAudience+`","exp":`+exp+`,"tid":"`+testTenant+`","oid":"`+testUser+`","scp":"User.Read"}`), msgAudience},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.v.Authenticate(context.Background(), tt.token)
			assertRefused(t, p, err, tt.want)
		})
	}
}

// unusedBitsSet returns tok with the last character of its ES256
// signature (64 bytes: 86 characters, the last carrying 2 bits and 4 unused
// ones, which are zero) replaced by the next one of the alphabet, which
// decodes loosely to the same bytes.
func unusedBitsSet(tok string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, tok[len(tok)-1])
	return tok[:len(tok)-1] + string(alphabet[i+1])
}
