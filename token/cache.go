package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/graphprofile/graphprofile"
)

// DefaultCacheSize is how many validated tokens a Validator remembers.
const DefaultCacheSize = 10000

// cacheShards spreads the cache over locks, so concurrent requests rarely
// wait for each other.
const cacheShards = 16

// tokenCache remembers tokens that passed validation, keyed by a hash of the
// token, until they expire: verifying a signature costs tens of
// microseconds, a lookup well under one. An entry is only used while its
// issuer still holds the key that verified it, so a key that vanishes from
// an issuer's key set stops its tokens at once, cached or not.
type tokenCache struct {
	shards [cacheShards]cacheShard
	limit  int // entries per shard
}

type cacheShard struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]*cachedToken
}

// cachedToken is a validated token.
type cachedToken struct {
	principal graphprofile.Principal
	expires   time.Time // exp plus the leeway: when validation would start refusing it
	validFrom time.Time // nbf and iat less the leeway: before it validation refuses it
	issuer    Issuer
	kid       string
	key       crypto.PublicKey
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{limit: max(1, size/cacheShards)}
	for i := range c.shards {
		c.shards[i].entries = make(map[[sha256.Size]byte]*cachedToken)
	}
	return c
}

// get returns the principal of a cached, still valid token.
func (c *tokenCache) get(ctx context.Context, sum [sha256.Size]byte, now time.Time) (graphprofile.Principal, bool) {
	shard := &c.shards[sum[0]%cacheShards]
	shard.mu.Lock()
	entry, ok := shard.entries[sum]
	shard.mu.Unlock()
	if !ok {
		return graphprofile.Principal{}, false
	}
	if !now.Before(entry.expires) || now.Before(entry.validFrom) || !sameKey(ctx, entry) {
		shard.mu.Lock()
		delete(shard.entries, sum)
		shard.mu.Unlock()
		return graphprofile.Principal{}, false
	}
	return entry.principal, true
}

// sameKey reports whether the entry's issuer still has the key that
// verified the token.
func sameKey(ctx context.Context, entry *cachedToken) bool {
	key, err := entry.issuer.Key(ctx, entry.kid)
	if err != nil {
		return false
	}
	if samePointer(key, entry.key) {
		return true // the usual case, and Equal of an ECDSA key allocates
	}
	current, ok := key.(interface{ Equal(crypto.PublicKey) bool })
	return ok && current.Equal(entry.key)
}

// samePointer reports whether a and b are the same key object.
func samePointer(a, b crypto.PublicKey) bool {
	switch a := a.(type) {
	case *ecdsa.PublicKey:
		b, ok := b.(*ecdsa.PublicKey)
		return ok && a == b
	case *rsa.PublicKey:
		b, ok := b.(*rsa.PublicKey)
		return ok && a == b
	}
	return false
}

// put remembers a validated token; when the shard is full it forgets an
// arbitrary entry (Go's map order is random, which is as good as LRU here:
// tokens are reused by the same clients all the time).
func (c *tokenCache) put(sum [sha256.Size]byte, entry *cachedToken) {
	shard := &c.shards[sum[0]%cacheShards]
	shard.mu.Lock()
	defer shard.mu.Unlock()
	if len(shard.entries) >= c.limit {
		for k := range shard.entries {
			delete(shard.entries, k)
			break
		}
	}
	shard.entries[sum] = entry
}
