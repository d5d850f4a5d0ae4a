package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// maxRSABits is the largest RSA modulus accepted from a key set; larger keys
// only make verification slow.
const maxRSABits = 8192

// p256CoordinateSize is the length of a P-256 coordinate (RFC 7518, section
// 6.2.1.2: always the full length).
const p256CoordinateSize = 32

// jwk holds the members of a JSON Web Key (RFC 7517) that are used.
type jwk struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Use    string   `json:"use"`
	Alg    string   `json:"alg"`
	KeyOps []string `json:"key_ops"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	Crv    string   `json:"crv"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
}

// skippedKey is a key of a key set that is not used, and why.
type skippedKey struct {
	kid string
	err error
}

// parseJWKS returns the usable signing keys of a JWK Set by kid: RSA keys of
// 2048 to 8192 bits for RS256 and P-256 keys for ES256. Other keys are
// skipped, each with the reason; the first of several keys with the same kid
// is used. It fails only when data is not a JWK Set.
func parseJWKS(data []byte) (map[string]crypto.PublicKey, []skippedKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, nil, fmt.Errorf("not a JWK set: %w", err)
	}
	if set.Keys == nil {
		return nil, nil, errors.New(`not a JWK set: no "keys" array`)
	}
	keys := make(map[string]crypto.PublicKey, len(set.Keys))
	var skipped []skippedKey
	for _, raw := range set.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			skipped = append(skipped, skippedKey{err: fmt.Errorf("malformed key: %w", err)})
			continue
		}
		pub, err := k.publicKey()
		if err == nil {
			if _, dup := keys[k.Kid]; dup {
				err = errors.New("a key with this kid comes earlier in the set")
			}
		}
		if err != nil {
			skipped = append(skipped, skippedKey{kid: k.Kid, err: err})
			continue
		}
		keys[k.Kid] = pub
	}
	return keys, skipped, nil
}

// publicKey returns the verification key k holds, or why it is not usable.
func (k *jwk) publicKey() (crypto.PublicKey, error) {
	switch {
	case k.Kid == "":
		return nil, errors.New("no kid")
	case k.Use != "" && k.Use != "sig":
		return nil, fmt.Errorf("use %q is not sig", k.Use)
	case k.KeyOps != nil && !slices.Contains(k.KeyOps, "verify"):
		return nil, errors.New("key_ops lacks verify")
	}
	switch k.Kty {
	case "RSA":
		if k.Alg != "" && k.Alg != algRS256 {
			return nil, fmt.Errorf("alg %q of an RSA key is not RS256", k.Alg)
		}
		return rsaPublicKey(k.N, k.E)
	case "EC":
		if k.Alg != "" && k.Alg != algES256 {
			return nil, fmt.Errorf("alg %q of an EC key is not ES256", k.Alg)
		}
		if k.Crv != "P-256" {
			return nil, fmt.Errorf("curve %q is not P-256", k.Crv)
		}
		return p256PublicKey(k.X, k.Y)
	default:
		return nil, fmt.Errorf("key type %q is not supported", k.Kty)
	}
}

// rsaPublicKey decodes the modulus and exponent of an RSA JWK.
func rsaPublicKey(n, e string) (*rsa.PublicKey, error) {
	nb, err := decodeBase64URL(n)
	if err != nil {
		return nil, fmt.Errorf("n: %w", err)
	}
	eb, err := decodeBase64URL(e)
	if err != nil {
		return nil, fmt.Errorf("e: %w", err)
	}
	modulus := new(big.Int).SetBytes(nb)
	if bits := modulus.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("RSA key of %d bits; %d to %d are accepted", bits, minRSABits, maxRSABits)
	}
	exponent := new(big.Int).SetBytes(eb)
	if !exponent.IsInt64() || exponent.Int64() < 3 || exponent.Int64() > 1<<31-1 || exponent.Bit(0) == 0 {
		return nil, errors.New("e is not an odd number from 3 to 2^31-1")
	}
	return &rsa.PublicKey{N: modulus, E: int(exponent.Int64())}, nil
}

// p256PublicKey decodes the coordinates of a P-256 JWK, which must be a point
// of the curve. Its two decodes read like rsaPublicKey's: each names the
// JWK member that failed.
func p256PublicKey(x, y string) (*ecdsa.PublicKey, error) {
	xb, err := decodeBase64URL(x)
	if err != nil {
		return nil, fmt.Errorf("x: %w", err)
	}
	yb, err := decodeBase64URL(y)
	if err != nil {
		return nil, fmt.Errorf("y: %w", err)
	}
	if len(xb) != p256CoordinateSize || len(yb) != p256CoordinateSize {
		return nil, fmt.Errorf("P-256 coordinates must be %d bytes long", p256CoordinateSize)
	}
	point := make([]byte, 0, 1+2*p256CoordinateSize)
	point = append(append(append(point, 4), xb...), yb...) // uncompressed: 0x04 || X || Y
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	if err != nil {
		return nil, fmt.Errorf("not a P-256 public key: %w", err)
	}
	return pub, nil
}

// decodeBase64URL decodes unpadded base64url (RFC 7515, section 2), also
// accepting the padding some issuers add.
func decodeBase64URL(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("missing")
	}
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
