package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParseJWKS(t *testing.T) {
	keys := testOIDCKeys()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	// edit returns the JWK of key with kid, changed by edits (nil deletes).
	edit := func(kid string, key any, edits map[string]any) map[string]any {
		k := jwkOf(kid, key)
		for name, v := range edits {
			if v == nil {
				delete(k, name)
			} else {
				k[name] = v
			}
		}
		return k
	}
	p384Point, _ := p384.PublicKey.Bytes()
	ecX := jwkOf("x", keys.ec1)["x"].(string)

	tests := []struct {
		name string
		key  any    // one member of "keys"
		want string // "" means used; else in the reason it is skipped
	}{
		{"RSA", jwkOf("k", keys.rsa1), ""},
		{"RSA without use and alg", edit("k", keys.rsa1, map[string]any{"use": nil, "alg": nil}), ""},
		{"RSA with padded base64", edit("k", keys.rsa1, map[string]any{"e": "AQAB="}), ""},
		{"RSA with x5c and other members", edit("k", keys.rsa1, map[string]any{"x5c": []string{"MIIB"}, "x5t": "abc", "issuer": "https://x"}), ""},
		{"EC", jwkOf("k", keys.ec1), ""},
		{"EC with alg ES256", edit("k", keys.ec1, map[string]any{"alg": "ES256"}), ""},
		{"EC with key_ops verify", edit("k", keys.ec1, map[string]any{"key_ops": []string{"verify"}}), ""},

		{"no kid", edit("", keys.rsa1, nil), "no kid"},
		{"use enc", edit("k", keys.rsa1, map[string]any{"use": "enc"}), `use "enc" is not sig`},
		{"key_ops without verify", edit("k", keys.rsa1, map[string]any{"key_ops": []string{"encrypt"}}), "key_ops lacks verify"},
		{"RSA alg RS384", edit("k", keys.rsa1, map[string]any{"alg": "RS384"}), `alg "RS384" of an RSA key is not RS256`},
		{"RSA alg PS256", edit("k", keys.rsa1, map[string]any{"alg": "PS256"}), `alg "PS256" of an RSA key is not RS256`},
		{"RSA alg ES256", edit("k", keys.rsa1, map[string]any{"alg": "ES256"}), "is not RS256"},
		{"RSA of 1024 bits", jwkOf("k", small), "RSA key of 1024 bits; 2048 to 8192 are accepted"},
		// Too big is refused as too small is: a verification with a huge
		// modulus is a denial of service; no key is needed to say so.
		{"RSA of 8200 bits", edit("k", keys.rsa1, map[string]any{"n": enc.EncodeToString(append([]byte{0x80}, make([]byte, 1024)...))}), "RSA key of 8200 bits; 2048 to 8192 are accepted"},
		{"RSA without n", edit("k", keys.rsa1, map[string]any{"n": nil}), "n: missing"},
		{"RSA n not base64url", edit("k", keys.rsa1, map[string]any{"n": "a+b/"}), "n: illegal base64"},
		{"RSA e even", edit("k", keys.rsa1, map[string]any{"e": enc.EncodeToString([]byte{4})}), "e is not an odd number"},
		{"RSA e of 1", edit("k", keys.rsa1, map[string]any{"e": "AQ"}), "e is not an odd number"},
		{"RSA e too large", edit("k", keys.rsa1, map[string]any{"e": enc.EncodeToString([]byte{1, 0, 0, 0, 1})}), "e is not an odd number"},
		{"EC alg RS256", edit("k", keys.ec1, map[string]any{"alg": "RS256"}), `alg "RS256" of an EC key is not ES256`},
		{"EC P-384", map[string]any{"kty": "EC", "kid": "k", "crv": "P-384",
			"x": enc.EncodeToString(p384Point[1:49]), "y": enc.EncodeToString(p384Point[49:])}, `curve "P-384" is not P-256`},
		{"EC without crv", edit("k", keys.ec1, map[string]any{"crv": nil}), `curve "" is not P-256`},
		{"EC short x", edit("k", keys.ec1, map[string]any{"x": ecX[:40]}), "must be 32 bytes long"},
		{"EC point not on the curve", edit("k", keys.ec1, map[string]any{"y": ecX}), "not a P-256 public key"},
		{"oct key", map[string]any{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}, `key type "oct" is not supported`},
		{"OKP key", map[string]any{"kty": "OKP", "kid": "k", "crv": "Ed25519", "x": ecX}, `key type "OKP" is not supported`},
		{"no kty", map[string]any{"kid": "k"}, `key type "" is not supported`},
		{"kid not a string", map[string]any{"kty": "RSA", "kid": 7}, "malformed key"},
		{"not an object", "RSA", "malformed key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(map[string]any{"keys": []any{tt.key}})
			if err != nil {
				t.Fatal(err)
			}
			got, skipped, err := parseJWKS(data)
			if err != nil {
				t.Fatalf("parseJWKS: %v", err)
			}
			if tt.want == "" {
				if len(got) != 1 || got["k"] == nil || len(skipped) != 0 {
					t.Errorf("keys %v, skipped %v; want just k", slices.Collect(maps.Keys(got)), skipped)
				}
				return
			}
			if len(got) != 0 || len(skipped) != 1 {
				t.Fatalf("keys %v, skipped %v; want one skipped", slices.Collect(maps.Keys(got)), skipped)
			}
			if !strings.Contains(skipped[0].err.Error(), tt.want) {
				t.Errorf("skipped because %q, want %q", skipped[0].err, tt.want)
			}
		})
	}
}

func TestParseJWKSSet(t *testing.T) {
	keys := testOIDCKeys()
	// A set keeps its usable keys, the first of a kid, and skips the rest.
	set := map[string]any{"keys": []any{
		jwkOf("a", keys.rsa1),
		jwkOf("b", keys.ec1),
		jwkOf("a", keys.rsa2),
		map[string]any{"kty": "oct", "kid": "c"},
	}}
	data, _ := json.Marshal(set)
	got, skipped, err := parseJWKS(data)
	if err != nil {
		t.Fatal(err)
	}
	if pub, ok := got["a"].(*rsa.PublicKey); !ok || !pub.Equal(&keys.rsa1.PublicKey) {
		t.Errorf(`key "a" = %v, want the first one`, got["a"])
	}
	if pub, ok := got["b"].(*ecdsa.PublicKey); !ok || !pub.Equal(&keys.ec1.PublicKey) {
		t.Errorf(`key "b" = %v, want the EC key`, got["b"])
	}
	if len(got) != 2 || len(skipped) != 2 || skipped[0].kid != "a" || skipped[1].kid != "c" {
		t.Errorf("keys %v, skipped %v", slices.Collect(maps.Keys(got)), skipped)
	}

	for _, data := range []string{"", "null", "[]", `{"keys":null}`, `{"keys":"a"}`, `{"keys":[}`} {
		if _, _, err := parseJWKS([]byte(data)); err == nil {
			t.Errorf("parseJWKS(%q): want an error", data)
		}
	}
	if got, _, err := parseJWKS([]byte(`{"keys":[]}`)); err != nil || len(got) != 0 {
		t.Errorf(`parseJWKS({"keys":[]}) = %v, %v; want an empty set`, got, err)
	}
}
