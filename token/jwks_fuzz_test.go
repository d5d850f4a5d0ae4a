package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"testing"
)

// FuzzParseJWKS reads any document as an issuer's key set (what its
// jwks_uri answers, from outside): not a key set, or the keys it may use,
// each an RSA key of minRSABits to maxRSABits with an odd exponent of 3 or
// more, or a P-256 point, under a kid; every other member of "keys"
// skipped with a reason. Never a panic.
func FuzzParseJWKS(f *testing.F) {
	keys := testOIDCKeys()
	set := func(members ...any) []byte {
		data, err := json.Marshal(map[string]any{"keys": members})
		if err != nil {
			f.Fatal(err)
		}
		return data
	}
	f.Add(set(jwkOf("rsa-1", keys.rsa1), jwkOf("ec-1", keys.ec1)))
	f.Add(set(jwkOf("k", keys.rsa1), jwkOf("k", keys.rsa2), map[string]any{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}))
	f.Add(set(map[string]any{"kty": "EC", "kid": "e", "crv": "P-256", "x": "AA", "y": "AA"}, map[string]any{"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB="}, "x", nil, 1))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`{"keys":[{"kid":1}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, skipped, err := parseJWKS(data)
		if err != nil {
			if got != nil || skipped != nil {
				t.Fatalf("not a key set (%v), yet %d keys and %d skipped", err, len(got), len(skipped))
			}
			return
		}
		var doc struct{ Keys []json.RawMessage }
		if json.Unmarshal(data, &doc) == nil && len(got)+len(skipped) != len(doc.Keys) {
			t.Fatalf("%d members of keys: %d used, %d skipped", len(doc.Keys), len(got), len(skipped))
		}
		for _, s := range skipped {
			if s.err == nil {
				t.Fatalf("key %q skipped without a reason", s.kid)
			}
		}
		for kid, key := range got {
			if kid == "" {
				t.Fatal("a key without a kid used")
			}
			switch k := key.(type) {
			case *rsa.PublicKey:
				if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits || k.E < 3 || k.E%2 == 0 {
					t.Fatalf("key %q: RSA of %d bits, e %d", kid, bits, k.E)
				}
			case *ecdsa.PublicKey:
				if k.Curve != elliptic.P256() {
					t.Fatalf("key %q: curve %s", kid, k.Curve.Params().Name)
				}
			default:
				t.Fatalf("key %q: %T", kid, key)
			}
		}
	})
}
