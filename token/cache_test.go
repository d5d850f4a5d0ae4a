package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/graphprofile/graphprofile/internal/memtest"
)

// rotatingIssuer is an issuer whose key set a test can change.
type rotatingIssuer struct {
	mu    sync.Mutex
	keys  map[string]crypto.PublicKey
	calls int
}

func (r *rotatingIssuer) Trusts(iss, _ string) bool { return iss == "https://rotating.example.test" }

func (r *rotatingIssuer) Realm() string { return "https://rotating.example.test" }

func (r *rotatingIssuer) Key(_ context.Context, kid string) (crypto.PublicKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if k, ok := r.keys[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

func (r *rotatingIssuer) set(kid string, key crypto.PublicKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = map[string]crypto.PublicKey{}
	if key != nil {
		r.keys[kid] = key
	}
}

func signES256(t testing.TB, key *ecdsa.PrivateKey, kid string, exp time.Time) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": "https://rotating.example.test", "aud": GraphAudience, "tid": testTenant, "oid": testUser,
		"scp": "User.Read", "exp": exp.Unix(),
	})
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenCache(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer := &rotatingIssuer{}
	issuer.set("k1", &key.PublicKey)
	now := time.Now()
	v := &Validator{Issuers: []Issuer{issuer}, Now: func() time.Time { return now }}
	tok := signES256(t, key, "k1", now.Add(10*time.Minute))
	ctx := context.Background()

	first, err := v.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	cached, err := v.Authenticate(ctx, tok)
	if err != nil || cached.ObjectID != first.ObjectID || cached.TenantID != first.TenantID || len(cached.Permissions) != 1 {
		t.Fatalf("cached principal %+v, %v; want %+v", cached, err, first)
	}
	if _, ok := v.tokenCache().get(ctx, sumOf(tok), now); !ok {
		t.Fatal("a validated token is not in the cache")
	}
	if hits, misses := v.CacheStats(); hits != 1 || misses != 1 {
		t.Errorf("CacheStats after a token validated and then found = %d hits, %d misses; want 1, 1", hits, misses)
	}

	// A tampered copy is not the cached token: it is validated and refused.
	if _, err := v.Authenticate(ctx, tamperedSignature(tok)); err == nil {
		t.Error("a tampered token was accepted")
	}

	// The token expires in the cache exactly when validation would refuse it.
	now = now.Add(10*time.Minute + DefaultLeeway - time.Second)
	if _, err := v.Authenticate(ctx, tok); err != nil {
		t.Errorf("within exp + leeway: %v", err)
	}
	now = now.Add(2 * time.Second)
	if _, err := v.Authenticate(ctx, tok); err == nil {
		t.Error("an expired token was accepted from the cache")
	}

	// A key that vanishes from the issuer stops its cached tokens at once.
	now = time.Now()
	tok2 := signES256(t, key, "k1", now.Add(time.Hour))
	if _, err := v.Authenticate(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	issuer.set("k1", nil)
	if _, err := v.Authenticate(ctx, tok2); err == nil {
		t.Error("a cached token whose key vanished was accepted")
	}
	// A different key under the same kid does not verify the old token either.
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	issuer.set("k1", &other.PublicKey)
	if _, err := v.Authenticate(ctx, tok2); err == nil {
		t.Error("a token was accepted after its kid was given to another key")
	}
	// Also when the token is in the cache as its kid changes keys, with no
	// moment without a key under it between (a key set refreshed).
	issuer.set("k1", &key.PublicKey)
	tok3 := signES256(t, key, "k1", now.Add(time.Hour))
	if _, err := v.Authenticate(ctx, tok3); err != nil {
		t.Fatal(err)
	}
	issuer.set("k1", &other.PublicKey)
	if _, err := v.Authenticate(ctx, tok3); err == nil {
		t.Error("a cached token was accepted after its kid was given to another key")
	}
}

func TestTokenCacheBoundsAndOff(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	issuer := &rotatingIssuer{}
	issuer.set("k1", &key.PublicKey)
	v := &Validator{Issuers: []Issuer{issuer}, CacheSize: 64}
	ctx := context.Background()
	for i := range 500 {
		tok := signES256(t, key, "k1", time.Now().Add(time.Hour+time.Duration(i)*time.Second))
		if _, err := v.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for i := range v.cache.shards {
		total += len(v.cache.shards[i].entries)
	}
	if total > 64 {
		t.Errorf("the cache holds %d tokens, more than its size 64", total)
	}

	off := &Validator{Issuers: []Issuer{issuer}, CacheSize: -1}
	tok := signES256(t, key, "k1", time.Now().Add(time.Hour))
	for range 2 {
		if _, err := off.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if off.tokenCache() != nil {
		t.Error("CacheSize -1 made a cache")
	}
}

func sumOf(tok string) [32]byte { return sha256.Sum256([]byte(tok)) }

// BenchmarkAuthenticateCached is BenchmarkAuthenticateES256 with the cache:
// the cost of a request whose token was seen before.
func BenchmarkAuthenticateCached(b *testing.B) {
	f := newFixture(b)
	tok := f.devToken(b, delegatedClaims())
	ctx := context.Background()
	v := &Validator{Issuers: f.v.Issuers, Now: f.v.Now}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Authenticate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// validatorAndToken returns a validator whose clock is *now and a token of
// its issuer issued at *now (iat and nbf), expiring an hour later.
func validatorAndToken(t *testing.T, now *time.Time) (*Validator, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer := &rotatingIssuer{}
	issuer.set("k1", &key.PublicKey)
	v := &Validator{Issuers: []Issuer{issuer}, Now: func() time.Time { return *now }}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": "https://rotating.example.test", "aud": GraphAudience, "tid": testTenant, "oid": testUser,
		"scp": "User.Read", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = "k1"
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return v, signed
}

// TestTokenCacheClockSetBack: a cached token is refused as validation
// would refuse it when the clock is set back before its nbf or iat (the
// admin API's clock can be), and accepted again when the clock returns.
func TestTokenCacheClockSetBack(t *testing.T) {
	now := time.Now()
	v, signed := validatorAndToken(t, &now)
	ctx := context.Background()
	if _, err := v.Authenticate(ctx, signed); err != nil {
		t.Fatal(err)
	}
	start := now
	now = start.Add(-DefaultLeeway - 2*time.Second)
	if _, err := v.Authenticate(ctx, signed); err == nil {
		t.Error("a cached token was accepted before its nbf")
	}
	now = start
	if _, err := v.Authenticate(ctx, signed); err != nil {
		t.Errorf("back at its issue time: %v", err)
	}
}

// TestTokenCacheExpiresAsValidation: a cached token is refused from the
// instant a fresh validation refuses it, its exp plus the leeway, not an
// instant later.
func TestTokenCacheExpiresAsValidation(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	exp := now.Add(time.Hour)
	v, signed := validatorAndToken(t, &now)
	ctx := context.Background()
	if _, err := v.Authenticate(ctx, signed); err != nil { // cached from here on
		t.Fatal(err)
	}
	now = exp.Add(DefaultLeeway - time.Nanosecond)
	if _, err := v.Authenticate(ctx, signed); err != nil {
		t.Errorf("a nanosecond before exp plus the leeway: %v", err)
	}
	now = exp.Add(DefaultLeeway)
	p, err := v.Authenticate(ctx, signed)
	assertRefused(t, p, err, msgExpired)
}

// tamperedSignature returns tok with one character of its signature
// changed. Not the last two: one time in 256 an ES256 signature already
// ends in "AA" (its last character carries 2 bits), and a copy with them
// replaced by "AA" was the token itself.
func tamperedSignature(tok string) string {
	i := len(tok) - 10
	c := byte('A')
	if tok[i] == c {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// TestTokenCacheMemory: the cache's memory is bounded in bytes, not only
// in tokens. A valid token of 15 KB whose scp holds 5,400 one-letter
// scopes is a principal of about 90 KB (a string header for each
// permission): 10,000 of them held 850 MB of serve's RSS.
func TestTokenCacheMemory(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer := &rotatingIssuer{}
	issuer.set("k1", &key.PublicKey)
	v := &Validator{Issuers: []Issuer{issuer}}
	ctx := context.Background()
	scopes := "User.Read" + strings.Repeat(" a", 5400)
	before := memtest.HeapInUse()
	const tokens = 2000
	for i := range tokens {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": "https://rotating.example.test", "aud": GraphAudience, "tid": testTenant, "oid": testUser,
			"scp": scopes, "exp": time.Now().Add(time.Hour).Unix(), "jti": strconv.Itoa(i),
		})
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Authenticate(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	grown := int64(memtest.HeapInUse()) - int64(before)
	runtime.KeepAlive(v) // and its cache, until measured
	if grown > 40<<20 {
		t.Errorf("the heap grew %d MB with %d tokens of 5,400 scopes validated; want at most 40 MB", grown>>20, tokens)
	}
}

// TestTokenCacheClockSetBackBeforeIat: a cached token whose iat is later
// than its nbf is refused as validation refuses it once the clock is set
// back before its iat (less the leeway), even though its nbf allows that
// time: the cache is valid from the later of the two.
func TestTokenCacheClockSetBackBeforeIat(t *testing.T) {
	start := time.Now().Truncate(time.Second)
	now := start
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer := &rotatingIssuer{}
	issuer.set("k1", &key.PublicKey)
	v := &Validator{Issuers: []Issuer{issuer}, Now: func() time.Time { return now }}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": "https://rotating.example.test", "aud": GraphAudience, "tid": testTenant, "oid": testUser,
		"scp": "User.Read", "iat": start.Unix(), "nbf": start.Add(-4 * time.Minute).Unix(), "exp": start.Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = "k1"
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := v.Authenticate(ctx, signed); err != nil { // cached from here on
		t.Fatal(err)
	}
	now = start.Add(-DefaultLeeway - time.Second) // after nbf less the leeway, before iat less it
	p, err := v.Authenticate(ctx, signed)
	assertRefused(t, p, err, msgIssuedInFuture)
}

// TestTokenCacheSkipsTokensLargerThanAShard: a token whose principal takes
// more than a shard's bytes (CacheSize 16: one token, 2 KiB, a shard) is
// validated every time rather than cached past the bound; a small one is
// cached.
func TestTokenCacheSkipsTokensLargerThanAShard(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer := &rotatingIssuer{}
	issuer.set("k1", &key.PublicKey)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		scp   string
		cache bool
	}{
		{"200 scopes", "User.Read" + strings.Repeat(" a", 200), false}, // 200 × 17 bytes
		{"one scope", "User.Read", true},
	} {
		v := &Validator{Issuers: []Issuer{issuer}, CacheSize: 16}
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": "https://rotating.example.test", "aud": GraphAudience, "tid": testTenant, "oid": testUser,
			"scp": tc.scp, "exp": time.Now().Add(time.Hour).Unix(),
		})
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := v.Authenticate(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if hits, _ := v.CacheStats(); (hits == 1) != tc.cache {
			t.Errorf("%s: a token validated twice was found in the cache %d times, want cached %v", tc.name, hits, tc.cache)
		}
	}
}
