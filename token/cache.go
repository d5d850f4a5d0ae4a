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

// cacheBytesPerToken is what the cache may hold on average of each of
// its tokens: with CacheSize tokens it holds at most CacheSize times this
// in bytes (20 MiB by default), whatever the tokens hold. A real token's
// principal takes well under 1 KiB here; a token of MaxTokenSize whose
// scp is thousands of one-letter scopes, about 90 KiB (a string header
// for each permission): counted in tokens alone, 10,000 of them held 850
// MB.
const cacheBytesPerToken = 2 << 10

// DefaultCacheBytes is the most a Validator's token cache holds with
// DefaultCacheSize tokens.
const DefaultCacheBytes = DefaultCacheSize * cacheBytesPerToken

// cachedTokenOverhead is what an entry takes beside its principal's
// strings: the entry, its map slot and the principal's fields.
const cachedTokenOverhead = 256

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
	bytes  int // bytes per shard (entrySize)
}

type cacheShard struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]*cachedToken
	bytes   int // the entries' sizes
}

// cachedToken is a validated token.
type cachedToken struct {
	principal graphprofile.Principal
	expires   time.Time // exp plus the leeway: when validation would start refusing it
	validFrom time.Time // nbf and iat less the leeway: before it validation refuses it
	issuer    Issuer
	kid       string
	key       crypto.PublicKey
	size      int // entrySize, counted in its shard's bytes
}

// entrySize is what a cached principal takes in memory, as its shard's
// bytes count it.
func entrySize(p graphprofile.Principal) int {
	n := cachedTokenOverhead + len(p.TenantID) + len(p.ObjectID) + len(p.AppID) +
		len(p.UserPrincipalName) + len(p.DisplayName) + len(p.Realm)
	for _, perm := range p.Permissions {
		n += 16 + len(perm) // its string header, and its bytes
	}
	return n
}

func newTokenCache(size int) *tokenCache {
	limit := max(1, size/cacheShards)
	c := &tokenCache{limit: limit, bytes: limit * cacheBytesPerToken}
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
		if shard.entries[sum] == entry {
			delete(shard.entries, sum)
			shard.bytes -= entry.size
		}
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

// put remembers a validated token; when the shard is full, in tokens or
// in bytes, it forgets arbitrary entries (Go's map order is random, which
// is as good as LRU here: tokens are reused by the same clients all the
// time). A token bigger than a shard's bytes is not remembered.
func (c *tokenCache) put(sum [sha256.Size]byte, entry *cachedToken) {
	entry.size = entrySize(entry.principal)
	if entry.size > c.bytes {
		return
	}
	shard := &c.shards[sum[0]%cacheShards]
	shard.mu.Lock()
	defer shard.mu.Unlock()
	if old, ok := shard.entries[sum]; ok {
		delete(shard.entries, sum)
		shard.bytes -= old.size
	}
	for k, e := range shard.entries {
		if len(shard.entries) < c.limit && shard.bytes+entry.size <= c.bytes {
			break
		}
		delete(shard.entries, k)
		shard.bytes -= e.size
	}
	shard.entries[sum] = entry
	shard.bytes += entry.size
}
