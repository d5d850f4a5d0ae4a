package token

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/graphprofile/graphprofile"
)

func TestLoadOrCreateDevIssuer(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config", "dev-key.pem") // the directory is created too

	first, err := LoadOrCreateDevIssuer(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", info.Mode().Perm())
	}
	// The directory made for it is private too (0700): no other user
	// looks into the directory of a signing key.
	if dirInfo, err := os.Stat(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	} else if runtime.GOOS != "windows" && dirInfo.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode = %v, want 0700", dirInfo.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if block, _ := pem.Decode(data); block == nil || block.Type != "PRIVATE KEY" {
		t.Errorf("key file is not a PEM PRIVATE KEY:\n%s", data)
	}

	second, err := LoadOrCreateDevIssuer(path)
	if err != nil {
		t.Fatal(err)
	}
	if first.KeyID() != second.KeyID() || first.KeyID() == "" {
		t.Errorf("kid changed from %q to %q on reload", first.KeyID(), second.KeyID())
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, data) {
		t.Error("reloading rewrote the key file")
	}
	// A token minted by one load is accepted by the other.
	tok, err := first.Mint(MintRequest{TenantID: testTenant, ObjectID: testUser})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewValidator(nil, second).Authenticate(context.Background(), tok); err != nil {
		t.Errorf("token of the first load refused by the second: %v", err)
	}
	assertOnlyFile(t, filepath.Dir(path), "dev-key.pem")
}

func TestLoadOrCreateDevIssuerConcurrently(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dev-key.pem")
	const n = 32
	kids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			d, err := LoadOrCreateDevIssuer(path)
			errs[i] = err
			if err == nil {
				kids[i] = d.KeyID()
			}
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if kids[i] != kids[0] {
			t.Fatalf("goroutine %d got kid %q, goroutine 0 got %q", i, kids[i], kids[0])
		}
	}
	final, err := LoadOrCreateDevIssuer(path)
	if err != nil {
		t.Fatal(err)
	}
	if final.KeyID() != kids[0] {
		t.Errorf("the file's kid %q is not the one everybody got (%q)", final.KeyID(), kids[0])
	}
	assertOnlyFile(t, dir, "dev-key.pem")
}

// assertOnlyFile fails unless dir holds just name (no temporary files left).
func assertOnlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{name}) {
		t.Errorf("directory holds %q, want just %q", names, name)
	}
}

func TestLoadOrCreateDevIssuerRefuses(t *testing.T) {
	pkcs8 := func(key any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(p256)

	tests := []struct {
		name    string
		content []byte
		want    string
	}{
		{"empty file", nil, "PEM"},
		{"garbage", []byte("not a key\n"), "PEM"},
		{"truncated PEM", pkcs8(p256)[:60], "PEM"},
		{"PEM of garbage", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("junk")}), "PKCS#8"},
		{"SEC 1 EC key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), "PEM"},
		{"P-384 key", pkcs8(p384), "P-256"},
		{"RSA key", pkcs8(rsaKey), "P-256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dev-key.pem")
			if err := os.WriteFile(path, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			d, err := LoadOrCreateDevIssuer(path)
			if err == nil {
				t.Fatalf("LoadOrCreateDevIssuer = %v, want an error", d)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name the path and %q", err, tt.want)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, tt.content) {
				t.Error("the corrupt file was changed")
			}
		})
	}

	t.Run("path is a directory", func(t *testing.T) {
		if _, err := LoadOrCreateDevIssuer(t.TempDir()); err == nil {
			t.Error("want an error")
		}
	})
}

func TestNewDevIssuerRefusesOtherCurves(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, key := range map[string]*ecdsa.PrivateKey{"nil": nil, "P-384": p384} {
		if _, err := NewDevIssuer(key); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestThumbprint(t *testing.T) {
	// The P-256 key of RFC 7517, appendix A.1; its RFC 7638 thumbprint is
	// the one other JOSE implementations compute for it.
	x, _ := base64.RawURLEncoding.DecodeString("MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4")
	y, _ := base64.RawURLEncoding.DecodeString("4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM")
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatal(err)
	}
	got, err := thumbprint(pub)
	if err != nil {
		t.Fatal(err)
	}
	if want := "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s"; got != want {
		t.Errorf("thumbprint = %q, want %q", got, want)
	}
}

func TestDevIssuerTrusts(t *testing.T) {
	d := newFixture(t).dev
	tests := []struct {
		iss, tid string
		want     bool
	}{
		{DevIssuerURL(testTenant), testTenant, true},
		{"https://graphprofile.invalid/" + testTenant + "/v2.0", testTenant, true},
		{DevIssuerURL("other"), testTenant, false},
		{DevIssuerURL(testTenant), "other", false},
		{DevIssuerURL(""), "", false},
		{DevIssuerPattern, "{tid}", true}, // odd but consistent: tid is whatever the token says
		{DevIssuerURL(testTenant) + "/", testTenant, false},
		{"http://graphprofile.invalid/" + testTenant + "/v2.0", testTenant, false},
		{"https://graphprofile.invalid/" + testTenant + "/v1.0", testTenant, false},
		{"https://login.microsoftonline.com/" + testTenant + "/v2.0", testTenant, false},
		{"", testTenant, false},
	}
	for _, tt := range tests {
		if got := d.Trusts(tt.iss, tt.tid); got != tt.want {
			t.Errorf("Trusts(%q, %q) = %v, want %v", tt.iss, tt.tid, got, tt.want)
		}
	}
	if _, err := d.Key(context.Background(), "other"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Key(unknown) err = %v, want ErrUnknownKey", err)
	}
	if k, err := d.Key(context.Background(), d.KeyID()); err != nil || k != any(d.PublicKey()) {
		t.Errorf("Key(kid) = %v, %v; want the public key", k, err)
	}
}

func TestMint(t *testing.T) {
	d := newFixture(t).dev
	exp := func(d time.Duration) float64 { return float64(testNow.Add(d).Unix()) }
	now := float64(testNow.Unix())
	tests := []struct {
		name string
		req  MintRequest
		want jwt.MapClaims
	}{
		{"delegated", MintRequest{
			TenantID: testTenant, ObjectID: testUser, UserPrincipalName: "adele@contoso.example",
			DisplayName: "Adele Vance", Scopes: []string{"User.Read", "User.ReadWrite"},
		}, jwt.MapClaims{
			"iss": DevIssuerURL(testTenant), "aud": GraphAudience, "tid": testTenant,
			"oid": testUser, "sub": testUser, "iat": now, "nbf": now, "exp": exp(time.Hour), "ver": "2.0",
			"upn": "adele@contoso.example", "preferred_username": "adele@contoso.example",
			"name": "Adele Vance", "scp": "User.Read User.ReadWrite",
		}},
		{"delegated through an app, short-lived", MintRequest{
			TenantID: testTenant, ObjectID: testUser, Scopes: []string{"User.Read"}, AppID: testApp,
			Expires: 10 * time.Minute,
		}, jwt.MapClaims{
			"iss": DevIssuerURL(testTenant), "aud": GraphAudience, "tid": testTenant,
			"oid": testUser, "sub": testUser, "iat": now, "nbf": now, "exp": exp(10 * time.Minute), "ver": "2.0",
			"scp": "User.Read", "appid": testApp, "azp": testApp,
		}},
		{"application", MintRequest{
			TenantID: testTenant, ObjectID: testSP, AppID: testApp, DisplayName: "HR sync",
			Roles: []string{"User.Read.All", "User.ReadWrite.All"},
		}, jwt.MapClaims{
			"iss": DevIssuerURL(testTenant), "aud": GraphAudience, "tid": testTenant,
			"oid": testSP, "sub": testSP, "iat": now, "nbf": now, "exp": exp(time.Hour), "ver": "2.0",
			"roles": []any{"User.Read.All", "User.ReadWrite.All"}, "appid": testApp, "azp": testApp,
			"idtyp": "app", "app_displayname": "HR sync",
		}},
		{"application without service principal or roles", MintRequest{TenantID: testTenant, AppID: testApp},
			jwt.MapClaims{
				"iss": DevIssuerURL(testTenant), "aud": GraphAudience, "tid": testTenant,
				"sub": testApp, "iat": now, "nbf": now, "exp": exp(time.Hour), "ver": "2.0",
				"roles": []any{}, "appid": testApp, "azp": testApp, "idtyp": "app",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Now = testNow
			s, err := d.Mint(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			got := jwt.MapClaims{}
			tok, _, err := jwt.NewParser().ParseUnverified(s, got)
			if err != nil {
				t.Fatal(err)
			}
			wantHeader := map[string]any{"alg": "ES256", "typ": "JWT", "kid": d.KeyID()}
			if !reflect.DeepEqual(tok.Header, wantHeader) {
				t.Errorf("header = %v, want %v", tok.Header, wantHeader)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("claims =\n%v, want\n%v", got, tt.want)
			}
		})
	}
}

// TestMintAtIssuerClock: a request without an issue time is issued at the
// issuer's clock, which the server shares with its validator.
func TestMintAtIssuerClock(t *testing.T) {
	d := newFixture(t).dev
	d.Now = func() time.Time { return testNow }
	s, err := d.Mint(MintRequest{TenantID: testTenant, ObjectID: testUser, Scopes: []string{"User.Read"}})
	if err != nil {
		t.Fatal(err)
	}
	got := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(s, got); err != nil {
		t.Fatal(err)
	}
	if got["iat"] != float64(testNow.Unix()) || got["exp"] != float64(testNow.Add(time.Hour).Unix()) {
		t.Errorf("iat %v exp %v, want the issuer's clock %v and an hour later", got["iat"], got["exp"], testNow.Unix())
	}
}

func TestMintRefuses(t *testing.T) {
	d := newFixture(t).dev
	tests := []struct {
		name string
		req  MintRequest
	}{
		{"no tenant", MintRequest{ObjectID: testUser, Scopes: []string{"User.Read"}}},
		{"delegated without user", MintRequest{TenantID: testTenant, Scopes: []string{"User.Read"}}},
		{"nothing but a tenant", MintRequest{TenantID: testTenant}},
		{"delegated with roles", MintRequest{TenantID: testTenant, ObjectID: testUser, Roles: []string{"User.Read.All"}}},
		{"negative lifetime", MintRequest{TenantID: testTenant, ObjectID: testUser, Expires: -time.Minute}},
		{"scope with a space", MintRequest{TenantID: testTenant, ObjectID: testUser, Scopes: []string{"User.Read User.ReadWrite.All"}}},
		{"empty scope", MintRequest{TenantID: testTenant, ObjectID: testUser, Scopes: []string{""}}},
		{"role with a tab", MintRequest{TenantID: testTenant, AppID: testApp, Roles: []string{"User.Read\tAll"}}},
		// An application token the validator refuses (msgPersonalApp).
		{"app of the personal accounts' tenant", MintRequest{TenantID: graphprofile.PersonalAccountsTenantID, AppID: testApp, Roles: []string{"User.Read.All"}}},
		// Times the validator refuses as not NumericDates (1970 to 9999).
		{"issued before 1970", MintRequest{TenantID: testTenant, ObjectID: testUser, Scopes: []string{"User.Read"}, Now: time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)}},
		{"expiring after 9999", MintRequest{TenantID: testTenant, ObjectID: testUser, Scopes: []string{"User.Read"}, Now: time.Date(9999, 12, 31, 23, 30, 0, 0, time.UTC)}},
		{"expiring the second after 9999", MintRequest{TenantID: testTenant, ObjectID: testUser, Scopes: []string{"User.Read"}, Now: time.Unix(maxNumericDate+1, 0).Add(-DefaultTokenLifetime)}},
		// Tenant ids the validator refuses (msgBadTenant): the tid is part
		// of the iss.
		{"tenant id with a slash", MintRequest{TenantID: "contoso/v2.0", ObjectID: testUser, Scopes: []string{"User.Read"}}},
		{"tenant id of 65 characters", MintRequest{TenantID: strings.Repeat("a", 65), ObjectID: testUser, Scopes: []string{"User.Read"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := d.Mint(tt.req); err == nil {
				t.Errorf("Mint = %q, want an error", s)
			}
		})
	}
	// The last second a NumericDate can name is a token's exp still.
	if _, err := d.Mint(MintRequest{TenantID: testTenant, ObjectID: testUser, Now: time.Unix(maxNumericDate, 0).Add(-DefaultTokenLifetime)}); err != nil {
		t.Errorf("a token expiring at the last second of 9999: %v", err)
	}
}

// TestDevKeyPEM: a key of NewDevKeyPEM is the issuer DevIssuerFromPEM
// reads, which LoadOrCreateDevIssuer reads from a file too; anything else
// is refused.
func TestDevKeyPEM(t *testing.T) {
	data, err := NewDevKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	fromPEM, err := DevIssuerFromPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := LoadOrCreateDevIssuer(path)
	if err != nil {
		t.Fatal(err)
	}
	if fromPEM.KeyID() != fromFile.KeyID() {
		t.Errorf("kid %s from the PEM, %s from its file: want one key", fromPEM.KeyID(), fromFile.KeyID())
	}
	other, err := NewDevKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, data) {
		t.Error("two calls of NewDevKeyPEM made the same key")
	}
	for _, bad := range []string{"", "not PEM", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		if _, err := DevIssuerFromPEM([]byte(bad)); err == nil {
			t.Errorf("DevIssuerFromPEM(%q) accepted it", bad)
		}
	}
}

// TestDevIssuerSecret: a secret is the key's and the purpose's: the same
// for two issuers of one key (servers of one store), another for another
// key or purpose.
func TestDevIssuerSecret(t *testing.T) {
	keyA, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyB, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := func(key *ecdsa.PrivateKey, purpose string) string {
		d, err := NewDevIssuer(key)
		if err != nil {
			t.Fatal(err)
		}
		s, err := d.Secret(purpose)
		if err != nil || len(s) != 32 {
			t.Fatalf("Secret: %x, %v", s, err)
		}
		return string(s)
	}
	if secret(keyA, "p") != secret(keyA, "p") {
		t.Error("one key and purpose gave two secrets")
	}
	if secret(keyA, "p") == secret(keyB, "p") {
		t.Error("two keys gave one secret")
	}
	if secret(keyA, "p") == secret(keyA, "q") {
		t.Error("two purposes gave one secret")
	}
}
