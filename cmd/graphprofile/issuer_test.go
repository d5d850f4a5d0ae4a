package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testProvider is an OIDC provider on a loopback listener: a discovery
// document and a key set with one RSA key.
type testProvider struct {
	server *httptest.Server
	key    *rsa.PrivateKey
	issuer string // the issuer URL, with {tenantid} when multiTenant
}

func newTestProvider(t *testing.T, multiTenant bool) *testProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &testProvider{key: key}
	mux := http.NewServeMux()
	p.server = httptest.NewServer(mux)
	t.Cleanup(p.server.Close)
	p.issuer = p.server.URL + "/single/v2.0"
	discovery := "/single/v2.0/.well-known/openid-configuration"
	if multiTenant {
		p.issuer = p.server.URL + "/{tenantid}/v2.0"
		discovery = "/common/v2.0/.well-known/openid-configuration"
	}
	mux.HandleFunc(discovery, func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.issuer, "jwks_uri": p.server.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "test-key",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	return p
}

// token signs a delegated Graph token of tenant for the test user.
func (p *testProvider) token(t *testing.T, tenant string) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{
		"iss": strings.Replace(p.issuer, "{tenantid}", tenant, 1), "aud": "https://graph.microsoft.com",
		"tid": tenant, "oid": testUser, "upn": testUPN, "name": testName, "scp": "User.ReadWrite",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = "test-key"
	signed, err := tok.SignedString(p.key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func TestServeTrustsExternalIssuers(t *testing.T) {
	single := newTestProvider(t, false)
	multi := newTestProvider(t, true)
	tests := []struct {
		name string
		how  invocation
	}{
		{"--issuer twice", func(addr string) ([]string, []string) {
			return []string{"--listen", addr, "--issuer", single.issuer, "--issuer", multi.issuer, "--dev-issuer"}, nil
		}},
		{"GRAPHPROFILE_ISSUERS", func(addr string) ([]string, []string) {
			return []string{"--listen", addr, "--dev-issuer"}, []string{"GRAPHPROFILE_ISSUERS=" + single.issuer + "," + multi.issuer}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := startServe(t, dir, tc.how)
			const otherTenant = "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
			for _, tok := range []string{single.token(t, testTenant), multi.token(t, testTenant), multi.token(t, otherTenant), mintToken(t, dir, nil, delegatedArgs...)} {
				var last response
				// Discovery runs in the background: allow it a moment.
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
					var err error
					last, err = s.request(http.MethodGet, "/beta/me/profile/positions", tok, "")
					if err != nil {
						t.Fatal(err)
					}
					if last.status == http.StatusOK || time.Now().After(deadline) {
						break
					}
				}
				if last.status != http.StatusOK {
					t.Fatalf("token refused: %d %s", last.status, last.raw)
				}
			}
			// A token of an issuer that is not trusted.
			stranger := newTestProvider(t, false)
			r := s.do(http.MethodGet, "/beta/me/profile/positions", stranger.token(t, testTenant), "", http.StatusUnauthorized)
			if code := field(r.body, "error.code"); code != "InvalidAuthenticationToken" {
				t.Errorf("untrusted issuer: code %v", code)
			}
		})
	}
}

func TestServeStartsWithAnUnreachableIssuer(t *testing.T) {
	dir := t.TempDir()
	down := httptest.NewServer(http.NotFoundHandler())
	unreachable := down.URL + "/v2.0"
	down.Close()
	s := startServe(t, dir, func(addr string) ([]string, []string) {
		return []string{"--listen", addr, "--issuer", unreachable, "--dev-issuer"}, nil
	})
	s.do(http.MethodGet, "/beta/me/profile/positions", mintToken(t, dir, nil, delegatedArgs...), "", http.StatusOK)
	waitStderr(t, s, "issuer unreachable, retrying")
}

// TestTenantsAreBoundToIssuers replays a trusted issuer signing tokens that
// claim another issuer's tenant (and user): each issuer speaks for its own
// tenants only, so the forged tokens reach an empty profile of their own.
// The development issuer is off beside --issuer unless --dev-issuer.
func TestTenantsAreBoundToIssuers(t *testing.T) {
	real := newTestProvider(t, false)
	forger := newTestProvider(t, false)
	dir := t.TempDir()
	s := startServe(t, dir, listenFlag("--issuer", real.issuer, "--issuer", forger.issuer, "--dev-issuer"))
	waitStderr(t, s, "development issuer on")
	own := real.token(t, testTenant)
	var created response
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var err error
		if created, err = s.request(http.MethodPost, "/beta/me/profile/positions", own, `{"allowedAudiences":"everyone","detail":{"jobTitle":"Real"}}`); err != nil {
			t.Fatal(err)
		}
		if created.status == http.StatusCreated || time.Now().After(deadline) {
			break
		}
	}
	if created.status != http.StatusCreated {
		t.Fatalf("the real issuer's create: %d %s", created.status, created.raw)
	}
	id := created.body["id"].(string)
	for name, tok := range map[string]string{
		"another trusted issuer": forger.token(t, testTenant),
		"the development issuer": mintToken(t, dir, nil, delegatedArgs...),
	} {
		t.Run(name, func(t *testing.T) {
			list := s.do(http.MethodGet, "/beta/me/profile/positions", tok, "", http.StatusOK)
			if n := len(list.body["value"].([]any)); n != 0 {
				t.Errorf("a token of the same tenant and user from %s lists %d positions of the real issuer's user", name, n)
			}
			s.do(http.MethodGet, "/beta/users/"+testUser+"/profile/positions/"+id, tok, "", http.StatusNotFound)
			s.do(http.MethodGet, "/beta/users/"+testUPN+"/profile/positions/"+id, tok, "", http.StatusNotFound)
		})
	}
	if got := s.do(http.MethodGet, "/beta/me/profile/positions/"+id, own, "", http.StatusOK); field(got.body, "detail.jobTitle") != "Real" {
		t.Errorf("the real issuer's user reads %v", got.raw)
	}
}

func TestDevIssuerOffBesideExternalIssuers(t *testing.T) {
	provider := newTestProvider(t, false)
	tests := []struct {
		name  string
		args  []string
		env   []string
		log   string
		devOK bool
	}{
		{"no --issuer", nil, nil, "development issuer on", true},
		{"--issuer", []string{"--issuer", provider.issuer}, nil, "development issuer off", false},
		{"GRAPHPROFILE_ISSUERS", nil, []string{"GRAPHPROFILE_ISSUERS=" + provider.issuer}, "development issuer off", false},
		{"--issuer and --dev-issuer", []string{"--issuer", provider.issuer, "--dev-issuer"}, nil, "development issuer on", true},
		{"--issuer and GRAPHPROFILE_DEV_ISSUER", []string{"--issuer", provider.issuer}, []string{"GRAPHPROFILE_DEV_ISSUER=true"}, "development issuer on", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := startServe(t, dir, func(addr string) ([]string, []string) {
				return append([]string{"--listen", addr}, tc.args...), tc.env
			})
			waitStderr(t, s, tc.log)
			want := http.StatusUnauthorized
			if tc.devOK {
				want = http.StatusOK
			}
			s.do(http.MethodGet, "/beta/me/profile/positions", mintToken(t, dir, nil, delegatedArgs...), "", want)
		})
	}
}

// TestUsersImportForAnIssuer checks that users imported with --issuer are
// the users of that issuer's tenant, and not the development issuer's.
func TestUsersImportForAnIssuer(t *testing.T) {
	provider := newTestProvider(t, false)
	dir := t.TempDir()
	file := filepath.Join(dir, "users.jsonl")
	line := `{"id":"` + testUser + `","displayName":"Imported Ada","userPrincipalName":"` + testUPN + `","jobTitle":"Countess"}` + "\n"
	if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, "users", "import", "--tenant", testTenant, "--issuer", provider.issuer, file); r.code != 0 {
		t.Fatalf("import: exit %d, stderr %q", r.code, r.stderr)
	}
	s := startServe(t, dir, listenFlag("--issuer", provider.issuer, "--dev-issuer"))
	external := provider.token(t, testTenant)
	var me response
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var err error
		if me, err = s.request(http.MethodGet, "/beta/me", external, ""); err != nil {
			t.Fatal(err)
		}
		if me.status == http.StatusOK || time.Now().After(deadline) {
			break
		}
	}
	if me.status != http.StatusOK || me.body["displayName"] != "Imported Ada" || me.body["jobTitle"] != "Countess" {
		t.Errorf("the issuer's user after the import: %d %s", me.status, me.raw)
	}
	dev := s.do(http.MethodGet, "/beta/me", mintToken(t, dir, nil, delegatedArgs...), "", http.StatusOK)
	if dev.body["jobTitle"] != nil {
		t.Errorf("the development issuer's user of the same tenant got the import: %s", dev.raw)
	}
}
