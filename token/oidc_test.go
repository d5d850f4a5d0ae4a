package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/logtest"
)

const otherTenant = "11111111-2222-3333-4444-555555555555"

// oidcKeys are the signing keys of the test providers, made once since RSA
// key generation is slow.
type oidcKeys struct {
	rsa1, rsa2, rsaOther *rsa.PrivateKey
	ec1, ecOther         *ecdsa.PrivateKey
}

var testOIDCKeys = sync.OnceValue(func() *oidcKeys {
	rsaKey := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	}
	ecKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	}
	return &oidcKeys{rsa1: rsaKey(), rsa2: rsaKey(), rsaOther: rsaKey(), ec1: ecKey(), ecOther: ecKey()}
})

// jwkOf is the public JWK of key (an RSA or P-256 private key) with kid.
func jwkOf(kid string, key any) map[string]any {
	enc := base64.RawURLEncoding
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return map[string]any{
			"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
			"n": enc.EncodeToString(k.N.Bytes()),
			"e": enc.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
		}
	case *ecdsa.PrivateKey:
		point, err := k.PublicKey.Bytes()
		if err != nil {
			panic(err)
		}
		return map[string]any{
			"kty": "EC", "kid": kid, "use": "sig", "crv": "P-256",
			"x": enc.EncodeToString(point[1:33]), "y": enc.EncodeToString(point[33:]),
		}
	}
	panic("jwkOf: unsupported key")
}

// testProvider is an OpenID Connect provider on a loopback listener: a
// discovery document and a key set that tests change, with request counters.
type testProvider struct {
	srv           *httptest.Server
	url           string // the issuer URL, possibly with TenantPlaceholder
	discoveryPath string

	mu              sync.Mutex
	docIssuer       string           // the discovery document's issuer
	jwksURI         string           // the discovery document's jwks_uri
	keys            []map[string]any // the key set
	discoveryBody   []byte           // served instead of the document when set
	jwksBody        []byte           // served instead of the key set when set
	discoveryStatus int              // served instead of 200 when set
	jwksStatus      int
	down            bool          // connections are dropped
	jwksGate        chan struct{} // when set, key set requests wait for it
	contentLength   bool          // responses say their length (Go's server sends large bodies chunked, without)

	discoveryHits, jwksHits atomic.Int64
}

// newTestProvider starts a provider whose issuer URL is its address followed
// by issuerPath, publishing the RSA key "rsa-1" and the EC key "ec-1".
func newTestProvider(t *testing.T, issuerPath string) *testProvider {
	t.Helper()
	p := &testProvider{}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	p.url = p.srv.URL + issuerPath
	p.discoveryPath = strings.Replace(issuerPath, TenantPlaceholder, commonTenant, 1) + discoveryPath
	p.docIssuer = p.url
	p.jwksURI = p.srv.URL + "/keys"
	keys := testOIDCKeys()
	p.keys = []map[string]any{jwkOf("rsa-1", keys.rsa1), jwkOf("ec-1", keys.ec1)}
	return p
}

func (p *testProvider) serve(w http.ResponseWriter, r *http.Request) {
	var body []byte
	status := http.StatusOK
	switch r.URL.Path {
	case p.discoveryPath:
		p.discoveryHits.Add(1)
		p.mu.Lock()
		body, status = p.discoveryBody, p.discoveryStatus
		if body == nil {
			body, _ = json.Marshal(map[string]any{
				"issuer":                                p.docIssuer,
				"jwks_uri":                              p.jwksURI,
				"authorization_endpoint":                p.srv.URL + "/authorize",
				"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
			})
		}
	case "/keys":
		p.jwksHits.Add(1)
		p.mu.Lock()
		body, status = p.jwksBody, p.jwksStatus
		if body == nil {
			body, _ = json.Marshal(map[string]any{"keys": p.keys})
		}
		if gate := p.jwksGate; gate != nil {
			p.mu.Unlock()
			select {
			case <-gate:
			case <-r.Context().Done():
			}
			p.mu.Lock()
		}
	default:
		http.NotFound(w, r)
		return
	}
	down, contentLength := p.down, p.contentLength
	p.mu.Unlock()
	if down {
		panic(http.ErrAbortHandler) // the connection is dropped
	}
	if status == 0 {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", "application/json")
	if contentLength {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	w.Write(body)
}

// set changes the provider under its lock.
func (p *testProvider) set(change func(p *testProvider)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	change(p)
}

// issuerURL is the provider's iss for tenant tid.
func (p *testProvider) issuerURL(tid string) string {
	return strings.Replace(p.url, TenantPlaceholder, tid, 1)
}

// testClock is a clock that only moves when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testRefetchInterval is the tests' OIDCOptions.RefetchInterval, on testClock.
const testRefetchInterval = 10 * time.Second

// newTestOIDCIssuer returns an issuer of p with test options (short retries,
// the clock, logging to log), changed by edit when not nil. It is not started.
func newTestOIDCIssuer(t *testing.T, p *testProvider, clock *testClock, log *logtest.Buffer, edit func(*OIDCOptions)) *OIDCIssuer {
	t.Helper()
	client := p.srv.Client()
	client.Timeout = 5 * time.Second
	opts := OIDCOptions{
		Client:          client,
		Logger:          slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:             clock.Now,
		RefetchInterval: testRefetchInterval,
		RetryMin:        5 * time.Millisecond,
		RetryMax:        50 * time.Millisecond,
	}
	if edit != nil {
		edit(&opts)
	}
	o, err := NewOIDCIssuer(p.url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// start runs o until the test ends, and makes sure Run returns then.
func start(t *testing.T, o *OIDCIssuer) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context was canceled")
		}
	})
}

// eventually polls cond for up to 10 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10 s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// oidcFixture is a validator trusting the dev issuer, a single-tenant and a
// multi-tenant OIDC issuer, all three started and ready.
type oidcFixture struct {
	dev           *DevIssuer
	single, multi *testProvider
	singleIss     *OIDCIssuer
	multiIss      *OIDCIssuer
	clock         *testClock
	log           *logtest.Buffer
	v             *Validator
}

func newOIDCFixture(t *testing.T) *oidcFixture {
	t.Helper()
	f := &oidcFixture{
		dev:    newFixture(t).dev,
		single: newTestProvider(t, "/single/v2.0"),
		multi:  newTestProvider(t, "/"+TenantPlaceholder+"/v2.0"),
		clock:  &testClock{now: time.Now()},
		log:    &logtest.Buffer{},
	}
	f.singleIss = newTestOIDCIssuer(t, f.single, f.clock, f.log, nil)
	f.multiIss = newTestOIDCIssuer(t, f.multi, f.clock, f.log, nil)
	start(t, f.singleIss)
	start(t, f.multiIss)
	eventually(t, "issuers ready", func() bool { return f.singleIss.Ready() && f.multiIss.Ready() })
	f.v = &Validator{
		Issuers: []Issuer{f.dev, f.singleIss, f.multiIss},
		Now:     func() time.Time { return testNow },
	}
	return f
}

// mint returns a dev issuer token for req at testNow.
func (f *oidcFixture) mint(t *testing.T, req MintRequest) string {
	t.Helper()
	req.Now = testNow
	s, err := f.dev.Mint(req)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jwksHits is the number of key set requests to both providers.
func (f *oidcFixture) jwksHits() int64 { return f.single.jwksHits.Load() + f.multi.jwksHits.Load() }

// issClaims are c with iss and tid set.
func issClaims(c jwt.MapClaims, iss, tid string) jwt.MapClaims {
	return with(c, map[string]any{"iss": iss, "tid": tid})
}

var (
	wantDelegated = graphprofile.Principal{
		TenantID:          testTenant,
		ObjectID:          testUser,
		UserPrincipalName: "adele@contoso.example",
		DisplayName:       "Adele Vance",
		Delegated:         true,
		Permissions:       []string{"User.Read", "User.ReadWrite"},
	}
	wantApp = graphprofile.Principal{
		TenantID:    testTenant,
		ObjectID:    testSP,
		DisplayName: "HR sync",
		AppID:       testApp,
		Permissions: []string{"User.Read.All"},
	}
)

// inTenant returns p in tenant tid.
func inTenant(p graphprofile.Principal, tid string) graphprofile.Principal {
	p.TenantID = tid
	return p
}

// of is p as the issuer with realm vouches for it.
func of(p graphprofile.Principal, realm string) graphprofile.Principal {
	p.Realm = realm
	return p
}

// assertRefused fails unless err is the refusal with message want.
func assertRefused(t *testing.T, p graphprofile.Principal, err error, want string) {
	t.Helper()
	var gerr *graphprofile.Error
	if !errors.As(err, &gerr) {
		t.Fatalf("Authenticate = %+v, %v; want *graphprofile.Error", p, err)
	}
	if gerr.Code != graphprofile.CodeInvalidAuthToken || gerr.Message != want {
		t.Errorf("refusal = %s %q, want %s %q", gerr.Code, gerr.Message, graphprofile.CodeInvalidAuthToken, want)
	}
}

func TestOIDCIssuerAccepts(t *testing.T) {
	f := newOIDCFixture(t)
	keys := testOIDCKeys()
	single := f.single.issuerURL("")
	multi := f.multi.issuerURL

	tests := []struct {
		name  string
		token string
		want  graphprofile.Principal
	}{
		{"RS256 delegated", sign(t, jwt.SigningMethodRS256, keys.rsa1, "rsa-1", issClaims(delegatedClaims(), single, testTenant)), of(wantDelegated, f.single.url)},
		{"ES256 delegated", sign(t, jwt.SigningMethodES256, keys.ec1, "ec-1", issClaims(delegatedClaims(), single, testTenant)), of(wantDelegated, f.single.url)},
		{"RS256 app", sign(t, jwt.SigningMethodRS256, keys.rsa1, "rsa-1", issClaims(appClaims(), single, testTenant)), of(wantApp, f.single.url)},
		{"ES256 app", sign(t, jwt.SigningMethodES256, keys.ec1, "ec-1", issClaims(appClaims(), single, testTenant)), of(wantApp, f.single.url)},
		{"iss with a trailing slash", sign(t, jwt.SigningMethodRS256, keys.rsa1, "rsa-1", issClaims(delegatedClaims(), single+"/", testTenant)), of(wantDelegated, f.single.url)},
		{"multi-tenant, first tenant", sign(t, jwt.SigningMethodRS256, keys.rsa1, "rsa-1", issClaims(delegatedClaims(), multi(testTenant), testTenant)), of(wantDelegated, f.multi.url)},
		{"multi-tenant, second tenant", sign(t, jwt.SigningMethodES256, keys.ec1, "ec-1", issClaims(delegatedClaims(), multi(otherTenant), otherTenant)),
			of(inTenant(wantDelegated, otherTenant), f.multi.url)},
		{"multi-tenant app of the second tenant", sign(t, jwt.SigningMethodRS256, keys.rsa1, "rsa-1", issClaims(appClaims(), multi(otherTenant), otherTenant)),
			of(inTenant(wantApp, otherTenant), f.multi.url)},
		{"dev issuer beside them", f.mint(t, MintRequest{
			TenantID: testTenant, ObjectID: testUser, UserPrincipalName: "adele@contoso.example",
			DisplayName: "Adele Vance", Scopes: []string{"User.Read", "User.ReadWrite"},
		}), wantDelegated},
	}
	before := f.jwksHits()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.v.Authenticate(t.Context(), tt.token)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if !samePrincipal(got, tt.want) {
				t.Errorf("principal =\n%+v, want\n%+v", got, tt.want)
			}
		})
	}
	if n := f.jwksHits() - before; n != 0 {
		t.Errorf("%d key set requests for known keys, want none", n)
	}
}

func TestOIDCIssuerRefuses(t *testing.T) {
	f := newOIDCFixture(t)
	keys := testOIDCKeys()
	single := f.single.issuerURL("")
	multi := f.multi.issuerURL
	good := func() jwt.MapClaims { return issClaims(delegatedClaims(), single, testTenant) }
	rs256 := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, keys.rsa1, "rsa-1", c) }
	valid := rs256(good())
	parts := strings.Split(valid, ".")
	rsaPEM := publicKeyPEM(t, &keys.rsa1.PublicKey)
	rsaDER, err := x509.MarshalPKIXPublicKey(&keys.rsa1.PublicKey)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		token string
		want  string // the refusal message
		// refetches is the number of key set requests the token causes.
		refetches int64
	}{
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "rsa-1", good()), msgAlgorithm, 0},
		{"alg none, empty signature", segment(`{"alg":"none","kid":"rsa-1"}`) + "." + parts[1] + ".", msgAlgorithm, 0},
		{"HS256 keyed with the public key PEM", sign(t, jwt.SigningMethodHS256, rsaPEM, "rsa-1", good()), msgAlgorithm, 0},
		{"HS256 keyed with the public key DER", sign(t, jwt.SigningMethodHS256, rsaDER, "rsa-1", good()), msgAlgorithm, 0},
		{"HS256 keyed with the modulus", sign(t, jwt.SigningMethodHS256, keys.rsa1.N.Bytes(), "rsa-1", good()), msgAlgorithm, 0},
		{"wrong RSA key", sign(t, jwt.SigningMethodRS256, keys.rsaOther, "rsa-1", good()), msgSignature, 0},
		{"wrong EC key", sign(t, jwt.SigningMethodES256, keys.ecOther, "ec-1", good()), msgSignature, 0},
		{"RS256 naming the EC key", sign(t, jwt.SigningMethodRS256, keys.rsa1, "ec-1", good()), msgKeyMismatch, 0},
		{"claims tampered", parts[0] + "." + segment(`{"iss":"`+single+`","tid":"`+testTenant+`","oid":"x","scp":"User.ReadWrite.All","aud":"`+GraphAudience+`","exp":9999999999}`) + "." + parts[2], msgSignature, 0},
		{"unknown kid after re-fetch", sign(t, jwt.SigningMethodRS256, keys.rsa1, "rsa-unknown", good()), msgUnknownKey, 1},
		{"unknown kid of the multi-tenant issuer", sign(t, jwt.SigningMethodRS256, keys.rsa1, "rsa-unknown", issClaims(delegatedClaims(), multi(testTenant), testTenant)), msgUnknownKey, 1},
		{"expired", rs256(with(good(), map[string]any{"exp": testNow.Add(-time.Hour).Unix()})), msgExpired, 0},
		{"not yet valid", rs256(with(good(), map[string]any{"nbf": testNow.Add(time.Hour).Unix()})), msgNotYetValid, 0},
		{"wrong audience", rs256(with(good(), map[string]any{"aud": "api://someone-else"})), msgAudience, 0},
		{"issuer not trusted", rs256(issClaims(delegatedClaims(), f.single.srv.URL+"/other/v2.0", testTenant)), msgIssuer, 0},
		{"issuer over http of another host", rs256(issClaims(delegatedClaims(), strings.Replace(single, "127.0.0.1", "localhost", 1), testTenant)), msgIssuer, 0},
		{"multi-tenant iss of another tenant than tid", rs256(issClaims(delegatedClaims(), multi(otherTenant), testTenant)), msgIssuer, 0},
		{"multi-tenant iss with the placeholder", rs256(issClaims(delegatedClaims(), f.multi.url, TenantPlaceholder)), msgBadTenant, 0},
		{"multi-tenant tid with a slash", rs256(issClaims(delegatedClaims(), multi(testTenant+"/x"), testTenant+"/x")), msgBadTenant, 0},
		{"multi-tenant tid with a dot", rs256(issClaims(delegatedClaims(), multi("a.b"), "a.b")), msgBadTenant, 0},
		{"missing tid", rs256(with(good(), map[string]any{"tid": nil})), msgNoTenant, 0},
		{"missing tid, multi-tenant", rs256(with(issClaims(delegatedClaims(), multi(testTenant), testTenant), map[string]any{"tid": nil})), msgNoTenant, 0},
		{"missing oid", rs256(with(good(), map[string]any{"oid": nil})), msgNoObjectID, 0},
		{"over 16 KiB", rs256(with(good(), map[string]any{"pad": strings.Repeat("a", MaxTokenSize)})), msgTooLarge, 0},
		{"garbage", "garbage, not a token", msgMalformed, 0},
		{"garbage segments", "a.b.c", msgMalformed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Past the rate limit, so that an unknown kid may cause a fetch.
			f.clock.Advance(testRefetchInterval)
			before := f.jwksHits()
			p, err := f.v.Authenticate(t.Context(), tt.token)
			assertRefused(t, p, err, tt.want)
			if n := f.jwksHits() - before; n != tt.refetches {
				t.Errorf("%d key set requests, want %d", n, tt.refetches)
			}
		})
	}
	// The refusals left the keys alone.
	if _, err := f.v.Authenticate(t.Context(), valid); err != nil {
		t.Errorf("valid token refused after the refusals: %v", err)
	}
}

// authenticateAll authenticates token n times concurrently and returns the
// errors.
func authenticateAll(ctx context.Context, v *Validator, token string, n int) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = v.Authenticate(ctx, token)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func TestOIDCUnknownKidFlood(t *testing.T) {
	f := newOIDCFixture(t)
	keys := testOIDCKeys()
	tests := []struct {
		name      string
		advance   time.Duration // of the clock, before the flood
		refetches int64
	}{
		// The first unknown kid re-fetches however soon after discovery
		// (an issuer may rotate its keys right after the server started,
		// and a test does): a flood costs one request, as later.
		{"within the interval after discovery", 0, 1},
		{"right after that re-fetch", 0, 0},
		{"after the interval", testRefetchInterval, 1},
		{"right after the second re-fetch", 0, 0},
		{"just before the interval ends", testRefetchInterval - time.Second, 0},
		{"when the interval ends", time.Second, 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Advance(tt.advance)
			before := f.single.jwksHits.Load()
			// Each flood has its own made-up kids, so no flood is served by
			// an earlier one.
			var tokens []string
			for j := range 4 {
				tokens = append(tokens, sign(t, jwt.SigningMethodRS256, keys.rsa1, "bogus-"+string(rune('a'+i))+string(rune('a'+j)),
					issClaims(delegatedClaims(), f.single.issuerURL(""), testTenant)))
			}
			var errs []error
			var mu sync.Mutex
			var wg sync.WaitGroup
			for _, tok := range tokens {
				wg.Go(func() {
					e := authenticateAll(t.Context(), f.v, tok, 25)
					mu.Lock()
					errs = append(errs, e...)
					mu.Unlock()
				})
			}
			wg.Wait()
			if len(errs) != 100 {
				t.Fatalf("%d results, want 100", len(errs))
			}
			for _, err := range errs {
				assertRefused(t, graphprofile.Principal{}, err, msgUnknownKey)
			}
			if n := f.single.jwksHits.Load() - before; n != tt.refetches {
				t.Errorf("100 unknown-kid tokens caused %d key set requests, want %d", n, tt.refetches)
			}
		})
	}
}

func TestOIDCKeyRotation(t *testing.T) {
	f := newOIDCFixture(t)
	keys := testOIDCKeys()
	claims := func() jwt.MapClaims { return issClaims(delegatedClaims(), f.single.issuerURL(""), testTenant) }
	rsa1 := sign(t, jwt.SigningMethodRS256, keys.rsa1, "rsa-1", claims())
	rsa2 := sign(t, jwt.SigningMethodRS256, keys.rsa2, "rsa-2", claims())
	ec1 := sign(t, jwt.SigningMethodES256, keys.ec1, "ec-1", claims())
	bogus := sign(t, jwt.SigningMethodRS256, keys.rsa1, "bogus", claims())

	steps := []struct {
		name      string
		change    func(p *testProvider) // of the provider's key set, first
		advance   time.Duration         // of the clock, next
		token     string
		want      string // the refusal message; "" means accepted
		refetches int64
	}{
		{"old key accepted", nil, 0, rsa1, "", 0},
		{"old key still accepted from the cache after rotation", func(p *testProvider) {
			p.keys = []map[string]any{jwkOf("rsa-2", keys.rsa2), jwkOf("ec-1", keys.ec1)}
		}, 0, rsa1, "", 0},
		{"new key right after discovery: re-fetched and accepted", nil, 0, rsa2, "", 1},
		{"removed key within the interval of that re-fetch: refused without a request", nil, 0, rsa1, msgUnknownKey, 0},
		{"removed key refused after another re-fetch", nil, testRefetchInterval, rsa1, msgUnknownKey, 1},
		{"EC key still there", nil, 0, ec1, "", 0},
		{"unknown kid re-fetches the set without the EC key", func(p *testProvider) {
			p.keys = []map[string]any{jwkOf("rsa-2", keys.rsa2)}
		}, testRefetchInterval, bogus, msgUnknownKey, 1},
		{"removed EC key refused", nil, 0, ec1, msgUnknownKey, 0},
		{"remaining key accepted", nil, 0, rsa2, "", 0},
		{"a key added back within the interval of a re-fetch: refused without a request", func(p *testProvider) {
			p.keys = []map[string]any{jwkOf("rsa-2", keys.rsa2), jwkOf("ec-1", keys.ec1)}
		}, 0, ec1, msgUnknownKey, 0},
		{"that key after the interval: re-fetched and accepted", nil, testRefetchInterval, ec1, "", 1},
		// A key set without a usable key is what the issuer says: it
		// replaces the keys too, and no token is accepted.
		{"a key set without keys: re-fetched for an unknown kid", func(p *testProvider) {
			p.keys = []map[string]any{}
		}, testRefetchInterval, bogus, msgUnknownKey, 1},
		{"a key of the set before it refused", nil, 0, rsa2, msgUnknownKey, 0},
	}
	for _, s := range steps {
		if s.change != nil {
			f.single.set(s.change)
		}
		f.clock.Advance(s.advance)
		before := f.single.jwksHits.Load()
		p, err := f.v.Authenticate(t.Context(), s.token)
		if s.want == "" {
			if err != nil {
				t.Errorf("%s: Authenticate: %v", s.name, err)
			} else if !samePrincipal(p, of(wantDelegated, f.single.url)) {
				t.Errorf("%s: principal = %+v", s.name, p)
			}
		} else {
			var gerr *graphprofile.Error
			if !errors.As(err, &gerr) || gerr.Message != s.want {
				t.Errorf("%s: Authenticate = %+v, %v; want refusal %q", s.name, p, err, s.want)
			}
		}
		if n := f.single.jwksHits.Load() - before; n != s.refetches {
			t.Errorf("%s: %d key set requests, want %d", s.name, n, s.refetches)
		}
	}
}

func TestOIDCPeriodicRefresh(t *testing.T) {
	p := newTestProvider(t, "/periodic/v2.0")
	log := &logtest.Buffer{}
	clock := &testClock{now: time.Now()} // never advanced: no unknown-kid re-fetch
	o := newTestOIDCIssuer(t, p, clock, log, func(opts *OIDCOptions) {
		opts.RefreshInterval = 20 * time.Millisecond
		opts.RefetchInterval = time.Hour
	})
	start(t, o)
	eventually(t, "issuer ready", o.Ready)
	v := &Validator{Issuers: []Issuer{o}, Now: func() time.Time { return testNow }}
	keys := testOIDCKeys()
	rsa2 := sign(t, jwt.SigningMethodRS256, keys.rsa2, "rsa-2", issClaims(delegatedClaims(), p.url, testTenant))
	rsa1 := sign(t, jwt.SigningMethodRS256, keys.rsa1, "rsa-1", issClaims(delegatedClaims(), p.url, testTenant))

	p.set(func(p *testProvider) { p.keys = []map[string]any{jwkOf("rsa-2", keys.rsa2)} })
	eventually(t, "rotated-in key accepted by a periodic refresh", func() bool {
		_, err := v.Authenticate(t.Context(), rsa2)
		return err == nil
	})
	if _, err := v.Authenticate(t.Context(), rsa1); !isRefusal(err) {
		t.Errorf("rotated-out key: err = %v, want a refusal", err)
	}

	// A failed refresh keeps the keys, and says so.
	p.set(func(p *testProvider) { p.down = true })
	eventually(t, "refresh failure logged", func() bool {
		return strings.Contains(log.String(), `level=WARN msg="issuer signing keys refresh failed, keeping the previous keys" issuer=`+p.url+` reason=periodic`)
	})
	if _, err := v.Authenticate(t.Context(), rsa2); err != nil {
		t.Errorf("key refused while its issuer is down: %v", err)
	}
	// Oversized and malformed key sets fail the same way.
	for _, body := range []string{`{"keys":[],"pad":"` + strings.Repeat("a", maxJWKSSize) + `"}`, `{"keys":`} {
		p.set(func(p *testProvider) { p.down = false; p.jwksBody = []byte(body) })
		hits := p.jwksHits.Load()
		eventually(t, "two more refresh attempts", func() bool { return p.jwksHits.Load() >= hits+2 })
		if _, err := v.Authenticate(t.Context(), rsa2); err != nil {
			t.Errorf("key refused after a bad key set: %v", err)
		}
	}
	for _, want := range []string{"the response is larger than 1048576 bytes", "not a JWK set: unexpected end of JSON input"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestOIDCIssuerUnreachableAtStart(t *testing.T) {
	dev := newFixture(t).dev
	p := newTestProvider(t, "/down/v2.0")
	p.set(func(p *testProvider) { p.down = true })
	log := &logtest.Buffer{}
	o := newTestOIDCIssuer(t, p, &testClock{now: time.Now()}, log, nil)
	var vlog logtest.Buffer
	v := &Validator{
		Issuers: []Issuer{dev, o},
		Now:     func() time.Time { return testNow },
		Logger:  slog.New(slog.NewTextHandler(&vlog, nil)),
	}
	external := sign(t, jwt.SigningMethodES256, testOIDCKeys().ec1, "ec-1", issClaims(delegatedClaims(), p.url, testTenant))
	devToken := sign(t, jwt.SigningMethodES256, dev.key, dev.kid, delegatedClaims())

	// Before Run, no request is made and the keys are unavailable.
	pr, err := v.Authenticate(t.Context(), external)
	assertRefused(t, pr, err, msgKeysAvailable)

	start(t, o)
	eventually(t, "discovery retried", func() bool { return p.discoveryHits.Load() >= 3 })
	if !strings.Contains(log.String(), `level=WARN msg="issuer unreachable, retrying" issuer=`+p.url+` error=`) {
		t.Errorf("log lacks the retry message:\n%s", log.String())
	}
	if got, err := v.Authenticate(t.Context(), devToken); err != nil || !samePrincipal(got, wantDelegated) {
		t.Errorf("dev token while the issuer is down: %+v, %v", got, err)
	}
	pr, err = v.Authenticate(t.Context(), external)
	assertRefused(t, pr, err, msgKeysAvailable)
	if o.Ready() {
		t.Error("Ready while the issuer is down")
	}
	if !strings.Contains(vlog.String(), `msg="issuer signing keys unavailable" iss=`+p.url) {
		t.Errorf("validator log lacks the unavailable keys:\n%s", vlog.String())
	}

	p.set(func(p *testProvider) { p.down = false })
	eventually(t, "external token accepted once the issuer is up", func() bool {
		_, err := v.Authenticate(t.Context(), external)
		return err == nil
	})
	if got, err := v.Authenticate(t.Context(), external); err != nil || !samePrincipal(got, of(wantDelegated, p.url)) {
		t.Errorf("external token: %+v, %v", got, err)
	}
	// The line follows the keys' publication: a token may be accepted a
	// moment before it is written.
	eventually(t, "the success logged", func() bool {
		return strings.Contains(log.String(), `level=INFO msg="issuer discovered, signing keys loaded" issuer=`+p.url+` jwks_uri=`+p.jwksURI+" keys=2")
	})
}

func TestOIDCDiscoveryIssuerMismatch(t *testing.T) {
	p := newTestProvider(t, "/mismatch/v2.0")
	p.set(func(p *testProvider) { p.docIssuer = "https://impostor.example/v2.0" })
	log := &logtest.Buffer{}
	o := newTestOIDCIssuer(t, p, &testClock{now: time.Now()}, log, nil)
	v := &Validator{Issuers: []Issuer{o}, Now: func() time.Time { return testNow }}
	tok := sign(t, jwt.SigningMethodRS256, testOIDCKeys().rsa1, "rsa-1", issClaims(delegatedClaims(), p.url, testTenant))

	start(t, o)
	want := `level=ERROR msg="issuer not trusted: its discovery document names another issuer, retrying" issuer=` + p.url +
		` document_issuer=https://impostor.example/v2.0`
	eventually(t, "mismatch logged", func() bool { return strings.Contains(log.String(), want) })
	pr, err := v.Authenticate(t.Context(), tok)
	assertRefused(t, pr, err, msgIssuer)
	if o.Trusts(p.url, testTenant) || o.Ready() {
		t.Error("an issuer whose document names another issuer is trusted")
	}
	if n := p.jwksHits.Load(); n != 0 {
		t.Errorf("%d key set requests of a mismatched issuer, want none", n)
	}

	// Fixed at the provider (with a trailing slash, which is ignored), it
	// is trusted on the next attempt.
	p.set(func(p *testProvider) { p.docIssuer = p.url + "/" })
	eventually(t, "token accepted once the document is fixed", func() bool {
		_, err := v.Authenticate(t.Context(), tok)
		return err == nil
	})
}

func TestOIDCBadDocuments(t *testing.T) {
	big := func(prefix string, n int) []byte {
		return []byte(prefix + `"pad":"` + strings.Repeat("a", n) + `"}`)
	}
	tests := []struct {
		name   string
		change func(p *testProvider)
		want   string // in the logged error
	}{
		{"discovery not JSON", func(p *testProvider) { p.discoveryBody = []byte("<html>") }, "invalid character '<'"},
		{"discovery JSON truncated", func(p *testProvider) { p.discoveryBody = []byte(`{"issuer":`) }, "unexpected end of JSON input"},
		{"discovery not an object", func(p *testProvider) { p.discoveryBody = []byte(`["issuer"]`) }, "cannot unmarshal array"},
		{"discovery issuer not a string", func(p *testProvider) { p.discoveryBody = []byte(`{"issuer":7}`) }, "cannot unmarshal number"},
		{"discovery oversized", func(p *testProvider) { p.discoveryBody = big(`{"issuer":"x",`, maxDiscoverySize) }, "the response is larger than 262144 bytes"},
		{"discovery status 500", func(p *testProvider) { p.discoveryStatus = http.StatusInternalServerError }, "500 Internal Server Error"},
		{"discovery without jwks_uri", func(p *testProvider) { p.jwksURI = "" }, `jwks_uri \"\": the URL must be absolute`},
		{"jwks_uri http to another host", func(p *testProvider) { p.jwksURI = "http://keys.example.test/keys" }, "http is allowed only for loopback hosts"},
		{"jwks_uri relative", func(p *testProvider) { p.jwksURI = "/keys" }, `jwks_uri \"/keys\": the URL must be absolute`},
		{"JWKS not JSON", func(p *testProvider) { p.jwksBody = []byte("keys") }, "not a JWK set: invalid character"},
		{"JWKS JSON truncated", func(p *testProvider) { p.jwksBody = []byte(`{"keys":[{"kty":"RSA"`) }, "not a JWK set: unexpected end of JSON input"},
		{"JWKS without keys", func(p *testProvider) { p.jwksBody = []byte(`{"kty":"RSA"}`) }, `not a JWK set: no \"keys\" array`},
		{"JWKS keys not an array", func(p *testProvider) { p.jwksBody = []byte(`{"keys":{}}`) }, "not a JWK set: json: cannot unmarshal object"},
		{"JWKS oversized", func(p *testProvider) { p.jwksBody = big(`{"keys":[],`, maxJWKSSize) }, "the response is larger than 1048576 bytes"},
		{"JWKS status 404", func(p *testProvider) { p.jwksStatus = http.StatusNotFound }, "404 Not Found"},
		// A success that is not a 200 is not the key set either.
		{"JWKS status 203", func(p *testProvider) { p.jwksStatus = http.StatusNonAuthoritativeInfo }, "203 Non-Authoritative Information"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestProvider(t, "/bad/v2.0")
			p.set(tt.change)
			log := &logtest.Buffer{}
			o := newTestOIDCIssuer(t, p, &testClock{now: time.Now()}, log, nil)
			v := &Validator{Issuers: []Issuer{o}, Now: func() time.Time { return testNow }}
			start(t, o)
			eventually(t, "discovery retried", func() bool { return p.discoveryHits.Load() >= 2 })
			eventually(t, "the error logged", func() bool {
				return strings.Contains(log.String(), `msg="issuer unreachable, retrying" issuer=`+p.url) &&
					strings.Contains(log.String(), tt.want)
			})
			tok := sign(t, jwt.SigningMethodRS256, testOIDCKeys().rsa1, "rsa-1", issClaims(delegatedClaims(), p.url, testTenant))
			pr, err := v.Authenticate(t.Context(), tok)
			assertRefused(t, pr, err, msgKeysAvailable)
			if o.Ready() {
				t.Error("Ready after a bad document")
			}
		})
	}
}

// TestOIDCDocumentsAtTheLimit: a discovery document of 256 KiB and a key
// set of 1 MiB, exactly, are read, whether the responses say their length
// or not; the limits refuse only larger ones.
func TestOIDCDocumentsAtTheLimit(t *testing.T) {
	t.Run("chunked", func(t *testing.T) { testOIDCDocumentsAtTheLimit(t, false) })
	t.Run("Content-Length", func(t *testing.T) { testOIDCDocumentsAtTheLimit(t, true) })
}

func testOIDCDocumentsAtTheLimit(t *testing.T, contentLength bool) {
	p := newTestProvider(t, "/limit/v2.0")
	padded := func(v any, size int) []byte {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return append(data, strings.Repeat(" ", size-len(data))...)
	}
	p.set(func(p *testProvider) {
		p.discoveryBody = padded(map[string]any{"issuer": p.url, "jwks_uri": p.jwksURI}, maxDiscoverySize)
		p.jwksBody = padded(map[string]any{"keys": p.keys}, maxJWKSSize)
		p.contentLength = contentLength
	})
	o := newTestOIDCIssuer(t, p, &testClock{now: time.Now()}, &logtest.Buffer{}, nil)
	start(t, o)
	eventually(t, "issuer ready", o.Ready)
	v := &Validator{Issuers: []Issuer{o}, Now: func() time.Time { return testNow }}
	tok := sign(t, jwt.SigningMethodRS256, testOIDCKeys().rsa1, "rsa-1", issClaims(delegatedClaims(), p.url, testTenant))
	if got, err := v.Authenticate(t.Context(), tok); err != nil || !samePrincipal(got, of(wantDelegated, p.url)) {
		t.Errorf("a token of the key set's key: %+v, %v", got, err)
	}
}

func TestOIDCKeyWait(t *testing.T) {
	f := newOIDCFixture(t)
	gate := make(chan struct{})
	f.single.set(func(p *testProvider) { p.jwksGate = gate })
	f.clock.Advance(testRefetchInterval)
	before := f.single.jwksHits.Load()

	// A caller that gives up waiting for the re-fetch gets its context's
	// error, not "unknown key".
	ctx, cancel := context.WithCancel(t.Context())
	result := make(chan error, 1)
	go func() {
		_, err := f.singleIss.Key(ctx, "bogus")
		result <- err
	}()
	eventually(t, "re-fetch under way", func() bool { return f.single.jwksHits.Load() == before+1 })
	// Another caller joins the fetch (or, if it comes after, is within the
	// rate limit): either way no second request.
	shared := make(chan error, 1)
	go func() {
		_, err := f.singleIss.Key(t.Context(), "bogus-too")
		shared <- err
	}()
	cancel()
	if err := <-result; !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnknownKey) {
		t.Errorf("Key with a canceled context: err = %v, want context.Canceled", err)
	}
	close(gate)
	if err := <-shared; !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Key sharing the fetch: err = %v, want ErrUnknownKey", err)
	}
	if n := f.single.jwksHits.Load() - before; n != 1 {
		t.Errorf("%d key set requests, want 1", n)
	}
	if k, err := f.singleIss.Key(t.Context(), "rsa-1"); err != nil || k == nil {
		t.Errorf("Key(rsa-1) = %v, %v", k, err)
	}
}

// TestOIDCKeyWaitBounded: a caller waits for a key set fetch that hangs at
// most KeyWait, and is then refused as for an unknown kid; the fetch goes
// on, and a key it brings is had by the callers after it without another
// request. A known kid is answered at once meanwhile.
func TestOIDCKeyWaitBounded(t *testing.T) {
	p := newTestProvider(t, "/wait/v2.0")
	clock := &testClock{now: time.Now()}
	const keyWait = 200 * time.Millisecond
	o := newTestOIDCIssuer(t, p, clock, &logtest.Buffer{}, func(opts *OIDCOptions) { opts.KeyWait = keyWait })
	start(t, o)
	eventually(t, "issuer ready", o.Ready)

	gate := make(chan struct{})
	keys := testOIDCKeys()
	p.set(func(p *testProvider) {
		p.jwksGate = gate
		p.keys = append(p.keys, jwkOf("rsa-2", keys.rsa2))
	})
	before := p.jwksHits.Load()
	begin := time.Now()
	_, err := o.Key(t.Context(), "rsa-2")
	took := time.Since(begin)
	if !errors.Is(err, ErrUnknownKey) || took < keyWait || took > keyWait+2*time.Second {
		t.Errorf("Key(rsa-2) while the fetch hangs: err = %v after %v, want ErrUnknownKey after %v", err, took, keyWait)
	}
	begin = time.Now()
	if k, err := o.Key(t.Context(), "rsa-1"); err != nil || k == nil || time.Since(begin) > keyWait/2 {
		t.Errorf("Key(rsa-1) while the fetch hangs: %v, %v after %v, want the key at once", k, err, time.Since(begin))
	}
	close(gate)
	eventually(t, "the fetch brought rsa-2", func() bool {
		k, err := o.Key(t.Context(), "rsa-2")
		return err == nil && k != nil
	})
	if n := p.jwksHits.Load() - before; n != 1 {
		t.Errorf("%d key set requests, want 1", n)
	}
}

// TestOIDCKeyWaitOnceARequest: a cached token whose key has left the key
// set asks for the key twice (the cache's check, then the validation);
// while the fetch that causes hangs, the two waits together last KeyWait,
// not twice that: no caller waits on a fetch older than KeyWait.
func TestOIDCKeyWaitOnceARequest(t *testing.T) {
	p := newTestProvider(t, "/once/v2.0")
	clock := &testClock{now: time.Now()}
	const keyWait = 300 * time.Millisecond
	o := newTestOIDCIssuer(t, p, clock, &logtest.Buffer{}, func(opts *OIDCOptions) { opts.KeyWait = keyWait })
	start(t, o)
	eventually(t, "issuer ready", o.Ready)
	v := &Validator{Issuers: []Issuer{o}, Now: func() time.Time { return testNow }}
	keys := testOIDCKeys()
	tok := sign(t, jwt.SigningMethodRS256, keys.rsa1, "rsa-1", issClaims(delegatedClaims(), p.url, testTenant))
	if _, err := v.Authenticate(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	// rsa-1 leaves the key set (a fetch an unknown kid causes brings the
	// new set), and then the key set endpoint hangs.
	p.set(func(p *testProvider) { p.keys = []map[string]any{jwkOf("rsa-2", keys.rsa2)} })
	if _, err := o.Key(t.Context(), "bogus"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Key(bogus) = %v", err)
	}
	gate := make(chan struct{})
	defer close(gate)
	p.set(func(p *testProvider) { p.jwksGate = gate })
	clock.Advance(testRefetchInterval)

	begin := time.Now()
	_, err := v.Authenticate(t.Context(), tok)
	took := time.Since(begin)
	var gerr *graphprofile.Error
	if !errors.As(err, &gerr) || gerr.Message != msgUnknownKey {
		t.Errorf("the cached token of a removed key: err = %v, want %q", err, msgUnknownKey)
	}
	if took > keyWait*3/2 {
		t.Errorf("the cached token of a removed key, while the fetch hangs: refused after %v, want about %v", took, keyWait)
	}
}

func TestOIDCIssuerLifecycle(t *testing.T) {
	p := newTestProvider(t, "/life/v2.0")
	clock := &testClock{now: time.Now()}
	o := newTestOIDCIssuer(t, p, clock, &logtest.Buffer{}, nil)

	// Not started: keys unavailable, not unknown, and no request made.
	if _, err := o.Key(t.Context(), "rsa-1"); err == nil || errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), "not started") {
		t.Errorf("Key before Run: err = %v, want a not-started error", err)
	}
	if n := p.discoveryHits.Load() + p.jwksHits.Load(); n != 0 {
		t.Errorf("%d requests before Run, want none", n)
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	eventually(t, "issuer ready", o.Ready)
	if err := o.Run(t.Context()); err == nil {
		t.Error("second Run: want an error")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was canceled")
	}
	// Stopped: the cached keys still answer, and an unknown kid is refused
	// without a request.
	clock.Advance(time.Hour)
	hits := p.jwksHits.Load()
	if _, err := o.Key(t.Context(), "rsa-1"); err != nil {
		t.Errorf("Key(rsa-1) after Run: %v", err)
	}
	if _, err := o.Key(t.Context(), "bogus"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Key(bogus) after Run: err = %v, want ErrUnknownKey", err)
	}
	// At once: no fetch is asked for that nobody would serve, so a caller
	// whose context is done gets the same answer, not a wait cut short.
	done2, cancel2 := context.WithCancel(t.Context())
	cancel2()
	if _, err := o.Key(done2, "bogus-2"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Key(bogus-2) after Run, context done: err = %v, want ErrUnknownKey", err)
	}
	if n := p.jwksHits.Load() - hits; n != 0 {
		t.Errorf("%d key set requests after Run returned, want none", n)
	}
}

// TestSharesTokensWith: a multi-tenant issuer and a single-tenant one whose
// URL is the multi-tenant one's with a tenant id in place of {tenantid}
// both trust that tenant's tokens, in either order; other pairs do not.
func TestSharesTokensWith(t *testing.T) {
	tests := []struct {
		a, b     string
		iss, tid string // "" when they share no token
	}{
		{"https://login.example.com/{tenantid}/v2.0", "https://login.example.com/contoso/v2.0", "https://login.example.com/contoso/v2.0", "contoso"},
		{"https://login.example.com/contoso/v2.0/", "https://login.example.com/{tenantid}/v2.0", "https://login.example.com/contoso/v2.0", "contoso"},
		{"https://idp.example.com/{tenantid}", "https://idp.example.com/t-1", "https://idp.example.com/t-1", "t-1"},
		{"https://login.example.com/{tenantid}/v2.0", "https://login.example.com/a/b/v2.0", "", ""},     // a/b is no tenant id
		{"https://login.example.com/{tenantid}/v2.0", "https://login.example.com/a.b/v2.0", "", ""},     // nor is a.b
		{"https://login.example.com/{tenantid}/v2.0", "https://login.example.com/contoso/v1.0", "", ""}, // another suffix
		{"https://login.example.com/{tenantid}/v2.0", "https://other.example.com/contoso/v2.0", "", ""},
		{"https://login.example.com/{tenantid}/v2.0", "https://login.example.com/{tenantid}/v2.0/", "", ""}, // one realm
		{"https://login.example.com/contoso/v2.0", "https://login.example.com/contoso/v2.0", "", ""},        // one realm
		{"https://login.example.com/a/v2.0", "https://login.example.com/b/v2.0", "", ""},
	}
	for _, tt := range tests {
		a, err := NewOIDCIssuer(tt.a, OIDCOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewOIDCIssuer(tt.b, OIDCOptions{})
		if err != nil {
			t.Fatal(err)
		}
		iss, tid, ok := a.SharesTokensWith(b)
		if ok != (tt.tid != "") || iss != tt.iss || tid != tt.tid {
			t.Errorf("%s with %s: %q, %q, %v; want %q, %q", tt.a, tt.b, iss, tid, ok, tt.iss, tt.tid)
		}
		if ok && (!a.Trusts(iss, tid) || !b.Trusts(iss, tid)) {
			t.Errorf("%s with %s: not both trust iss %q with tid %q", tt.a, tt.b, iss, tid)
		}
	}
}

func TestNewOIDCIssuer(t *testing.T) {
	tests := []struct {
		url       string
		discovery string // the discovery URL; "" means the URL is refused
		want      string // in the error when refused
	}{
		{"https://login.example.com/tenant/v2.0", "https://login.example.com/tenant/v2.0/.well-known/openid-configuration", ""},
		{"https://login.example.com/tenant/v2.0/", "https://login.example.com/tenant/v2.0/.well-known/openid-configuration", ""},
		{"https://accounts.example.com", "https://accounts.example.com/.well-known/openid-configuration", ""},
		{"https://login.microsoftonline.com/{tenantid}/v2.0", "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration", ""},
		{"https://sts.example.net/{tenantid}/", "https://sts.example.net/common/.well-known/openid-configuration", ""},
		{"http://127.0.0.1:8080/realm", "http://127.0.0.1:8080/realm/.well-known/openid-configuration", ""},
		{"http://127.0.0.2/realm", "http://127.0.0.2/realm/.well-known/openid-configuration", ""},
		{"http://[::1]:9000/realm", "http://[::1]:9000/realm/.well-known/openid-configuration", ""},
		{"http://localhost:9000/{tenantid}/v2.0", "http://localhost:9000/common/v2.0/.well-known/openid-configuration", ""},
		{"http://LocalHost:9000/realm", "http://LocalHost:9000/realm/.well-known/openid-configuration", ""}, // a host name's case does not matter

		{"http://login.example.com/tenant/v2.0", "", "http is allowed only for loopback hosts"},
		{"http://10.0.0.1/realm", "", "http is allowed only for loopback hosts"},
		{"http://localhost.example.com/realm", "", "http is allowed only for loopback hosts"},
		{"ftp://login.example.com/", "", `scheme must be https, not "ftp"`},
		{"login.example.com/tenant", "", "absolute"},
		{"", "", "absolute"},
		{"https:///tenant", "", "absolute"},
		{"https:login.example.com", "", "absolute"},
		{"https://user:pass@login.example.com/", "", "user info"},
		{"https://login.example.com/tenant?x=1", "", "query"},
		{"https://login.example.com/tenant?", "", "query"},
		{"https://login.example.com/tenant#frag", "", "fragment"},
		{"https://login.example.com/tenant#", "", "fragment"}, // an empty one
		{"https://login.example.com/ten ant\x7f", "", "invalid"},
		// A space is in no URL: a list of URLs separated by spaces, not
		// commas (GRAPHPROFILE_ISSUERS), was one issuer that trusted no
		// token, and users import put users in its tenant.
		{"https://login.example.com/ten ant", "", "a space"},
		{"https://a.example.com/v2.0 https://b.example.com/v2.0", "", "a space"},
		{"https://login.example.com/{tenantid}/v2.0 https://b.example.com/v2.0", "", "a space"},
		{"https://login.example.com/tenant%20x", "https://login.example.com/tenant%20x/.well-known/openid-configuration", ""}, // escaped, it is a URL
		{"https://{tenantid}.example.com/v2.0", "", "whole segment of the URL's path"},
		{"https://{tenantid}/v2.0", "", "whole segment of the URL's path"}, // the host, not the path
		{"https://login.example.com/t{tenantid}/v2.0", "", "whole segment of the URL's path"},
		{"https://login.example.com/{tenantid}x/v2.0", "", "whole segment of the URL's path"},
		{"https://login.example.com/{tenantid}/{tenantid}", "", "only once"},
		// One trailing slash is ignored, in the URL as in a token's iss;
		// with two, the issuer's own iss would never match it.
		{"https://login.example.com//", "", "ends in more than one slash"},
		{"https://0//", "", "ends in more than one slash"},
		{"https://login.example.com/{tenantid}//", "", "ends in more than one slash"},
	}
	for _, tt := range tests {
		o, err := NewOIDCIssuer(tt.url, OIDCOptions{})
		if tt.discovery == "" {
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewOIDCIssuer(%q) err = %v, want one with %q", tt.url, err, tt.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewOIDCIssuer(%q): %v", tt.url, err)
			continue
		}
		if o.discoveryURL != tt.discovery || o.URL() != strings.TrimSuffix(tt.url, "/") {
			t.Errorf("NewOIDCIssuer(%q): discovery URL %q, URL %q; want %q", tt.url, o.discoveryURL, o.URL(), tt.discovery)
		}
	}

	for _, opts := range []OIDCOptions{
		{RefreshInterval: -1}, {RefetchInterval: -1}, {RetryMin: -1}, {RetryMax: -1}, {KeyWait: -1},
		{RetryMin: time.Minute, RetryMax: time.Second},
		{RetryMin: 2 * time.Minute}, // more than the default RetryMax
	} {
		if _, err := NewOIDCIssuer("https://login.example.com/", opts); err == nil {
			t.Errorf("NewOIDCIssuer with %+v: want an error", opts)
		}
	}
}

// failingTransport fails the test on any request.
type failingTransport struct{ t *testing.T }

func (f failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
	return nil, errors.New("no requests")
}

func TestOIDCIssuerTrusts(t *testing.T) {
	opts := OIDCOptions{Client: &http.Client{Transport: failingTransport{t}}}
	single, err := NewOIDCIssuer("https://login.example.com/tenant/v2.0", opts)
	if err != nil {
		t.Fatal(err)
	}
	multi, err := NewOIDCIssuer("https://login.microsoftonline.com/{tenantid}/v2.0", opts)
	if err != nil {
		t.Fatal(err)
	}
	slash, err := NewOIDCIssuer("https://sts.example.net/{tenantid}/", opts)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		issuer   *OIDCIssuer
		iss, tid string
		want     bool
	}{
		{single, "https://login.example.com/tenant/v2.0", testTenant, true},
		{single, "https://login.example.com/tenant/v2.0/", testTenant, true},
		{single, "https://login.example.com/tenant/v2.0", "", true}, // the Validator refuses a missing tid itself
		{single, "https://login.example.com/tenant/v2.0//", testTenant, false},
		{single, "https://login.example.com/tenant/v2", testTenant, false},
		{single, "https://LOGIN.example.com/tenant/v2.0", testTenant, false},
		{single, "http://login.example.com/tenant/v2.0", testTenant, false},
		{single, "https://login.example.com/other/v2.0", testTenant, false},
		{single, "", testTenant, false},

		{multi, "https://login.microsoftonline.com/" + testTenant + "/v2.0", testTenant, true},
		{multi, "https://login.microsoftonline.com/" + otherTenant + "/v2.0", otherTenant, true},
		{multi, "https://login.microsoftonline.com/" + testTenant + "/v2.0/", testTenant, true},
		{multi, "https://login.microsoftonline.com/" + otherTenant + "/v2.0", testTenant, false},
		{multi, "https://login.microsoftonline.com/" + testTenant + "/v2.0", otherTenant, false},
		{multi, "https://login.microsoftonline.com/{tenantid}/v2.0", TenantPlaceholder, false},
		{multi, "https://login.microsoftonline.com//v2.0", "", false},
		{multi, "https://login.microsoftonline.com/a/b/v2.0", "a/b", false},
		{multi, "https://login.microsoftonline.com/../v2.0", "..", false},
		{multi, "https://login.microsoftonline.com/a b/v2.0", "a b", false},
		{multi, "https://login.microsoftonline.com/" + strings.Repeat("a", 65) + "/v2.0", strings.Repeat("a", 65), false},
		{multi, "https://login.microsoftonline.com/" + strings.Repeat("a", 64) + "/v2.0", strings.Repeat("a", 64), true},
		{multi, "https://login.microsoftonline.com/" + testTenant + "/v1.0", testTenant, false},
		{multi, "https://evil.example/login.microsoftonline.com/" + testTenant + "/v2.0", testTenant, false},
		// The URL's two parts overlap in it: no tenant between them (and
		// no slice of it that would panic).
		{multi, "https://login.microsoftonline.com/v2.0", testTenant, false},

		{slash, "https://sts.example.net/" + testTenant + "/", testTenant, true},
		{slash, "https://sts.example.net/" + testTenant, testTenant, true},
		{slash, "https://sts.example.net/" + testTenant + "x/", testTenant, false},
	}
	for _, tt := range tests {
		if got := tt.issuer.Trusts(tt.iss, tt.tid); got != tt.want {
			t.Errorf("%s: Trusts(%q, %q) = %v, want %v", tt.issuer.URL(), tt.iss, tt.tid, got, tt.want)
		}
	}
}

// TestOIDCRefreshFailureWarnedOncePerInterval: while an issuer's key set
// cannot be fetched, any client makes the server try again every
// RefetchInterval (10 s) with a token naming a kid the issuer never had
// (its signature unchecked): a warning each was 8,640 a day for nothing
// the operator can do more about than the first. As the warning that an
// issuer's keys are unavailable, the first failure is a warning, then at
// most one an outage.Interval with the count of failures it stands for;
// each is a debug line; and the first refresh that works again says so.
func TestOIDCRefreshFailureWarnedOncePerInterval(t *testing.T) {
	f := newOIDCFixture(t)
	keys := testOIDCKeys()
	f.single.set(func(p *testProvider) { p.down = true })
	refuse := func(n int) {
		t.Helper()
		for range n {
			f.clock.Advance(testRefetchInterval)
			tok := sign(t, jwt.SigningMethodRS256, keys.rsa1, "bogus-"+graphprofile.NewGUID(),
				issClaims(delegatedClaims(), f.single.issuerURL(""), testTenant))
			// Refused as of an unknown key, which it is, whatever became
			// of the fetch it caused: not as keys unavailable, which
			// anyone could make the validator warn of with made-up kids.
			p, err := f.v.Authenticate(t.Context(), tok)
			assertRefused(t, p, err, msgUnknownKey)
		}
	}
	count := func(level, msg string) (n int, lines []string) {
		for _, line := range strings.Split(f.log.String(), "\n") {
			if strings.Contains(line, "level="+level+" msg=\""+msg+"\"") && strings.Contains(line, "issuer="+f.single.url) {
				n++
				lines = append(lines, line)
			}
		}
		return n, lines
	}
	const failed = "issuer signing keys refresh failed, keeping the previous keys"
	refuse(5) // 40 s from the first to the last
	if n, lines := count("WARN", failed); n != 1 || !strings.Contains(lines[0], "failures=1") {
		t.Errorf("%d warnings for 5 failed refreshes within a minute, want 1 with failures=1: %q", n, lines)
	}
	if n, _ := count("DEBUG", failed); n != 4 {
		t.Errorf("%d debug lines of failed refreshes, want 4", n)
	}
	refuse(2) // the second 60 s after the first warning
	if n, lines := count("WARN", failed); n != 2 || !strings.Contains(lines[1], "failures=6") {
		t.Errorf("%d warnings, the last %q; want 2, the second with failures=6", n, lines)
	}
	f.single.set(func(p *testProvider) { p.down = false })
	refuse(2)
	if n, lines := count("INFO", "issuer signing keys refreshed again"); n != 1 || !strings.Contains(lines[0], "failures=0") {
		t.Errorf("lines saying the keys are refreshed again: %q, want one with failures=0", lines)
	}

	// A key set with no key to use: every token's kid is unknown.
	f.single.set(func(p *testProvider) { p.keys = []map[string]any{{"kty": "oct", "kid": "secret", "k": "c2VjcmV0"}} })
	refuse(3)
	const unusable = "issuer publishes no usable signing keys"
	if n, lines := count("WARN", unusable); n != 1 || !strings.Contains(lines[0], "fetches=1") {
		t.Errorf("%d warnings for 3 fetches of no usable key within a minute, want 1 with fetches=1: %q", n, lines)
	}
	if n, _ := count("DEBUG", unusable); n != 2 {
		t.Errorf("%d debug lines of fetches of no usable key, want 2", n)
	}
	// Usable keys again: one line says so, with the fetches not yet told.
	f.single.set(func(p *testProvider) { p.keys = []map[string]any{jwkOf("rsa-1", keys.rsa1)} })
	refuse(2)
	if n, lines := count("INFO", "issuer publishes usable signing keys again"); n != 1 || !strings.Contains(lines[0], "fetches=2") {
		t.Errorf("lines saying the issuer publishes usable keys again: %q, want one with fetches=2", lines)
	}
}

// TestCheckRedirect: the issuer's discovery and key-set fetches follow a
// redirect only to a URL they could fetch themselves (https, or http to a
// loopback host), and at most 10: an https issuer redirected to plain http
// elsewhere would let whoever is on the path serve the signing keys.
// TestOIDCDefaults: without a Client, the issuer's requests time out
// after 10 s and follow redirects only as checkRedirect allows (to URLs an
// issuer URL may be), so a discovery document or key set cannot be fetched
// over plain http from another host by a redirect; and the zero options
// are the documented intervals.
func TestOIDCDefaults(t *testing.T) {
	o, err := NewOIDCIssuer("https://login.example.com/tenant/v2.0", OIDCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if o.client.Timeout != 10*time.Second || o.client.CheckRedirect == nil {
		t.Fatalf("the default client: timeout %v, redirect policy set %v; want 10 s and checkRedirect", o.client.Timeout, o.client.CheckRedirect != nil)
	}
	// The other defaults, as OIDCOptions documents them.
	if o.refreshInterval != time.Hour || o.refetchInterval != 10*time.Second || o.retryMin != time.Second || o.retryMax != time.Minute || o.keyWait != 2*time.Second {
		t.Errorf("the defaults: refresh %v, refetch %v, retry %v to %v, key wait %v; want 1h, 10s, 1s to 1m, 2s",
			o.refreshInterval, o.refetchInterval, o.retryMin, o.retryMax, o.keyWait)
	}
	via := []*http.Request{httptest.NewRequest(http.MethodGet, "https://login.example.com/tenant/v2.0/.well-known/openid-configuration", nil)}
	if err := o.client.CheckRedirect(httptest.NewRequest(http.MethodGet, "http://keys.example.test/jwks", nil), via); err == nil {
		t.Errorf("the default client follows a redirect to http://keys.example.test/jwks")
	}
}

func TestCheckRedirect(t *testing.T) {
	via := func(n int) []*http.Request { return make([]*http.Request, n) }
	for _, tc := range []struct {
		target string
		via    int
		want   string // "" means followed; else in the refusal
	}{
		{"https://keys.example.test/jwks", 1, ""},
		{"http://127.0.0.1:9000/jwks", 1, ""},
		{"http://keys.example.test/jwks", 1, "redirected to http://keys.example.test/jwks"},
		{"ftp://keys.example.test/jwks", 1, "redirected to"},
		{"https://keys.example.test/jwks", 10, "stopped after 10 redirects"},
	} {
		err := checkRedirect(httptest.NewRequest(http.MethodGet, tc.target, nil), via(tc.via))
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("redirect to %s after %d: %v, want %q", tc.target, tc.via, err, tc.want)
		}
	}
}
