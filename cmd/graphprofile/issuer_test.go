package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/internal/oidctest"
)

// newTestProvider starts an OIDC issuer on a loopback listener (discovery
// and a key set with one RSA key of its own): of testTenant, or of every
// tenant (URL/{tenantid}/v2.0) when multiTenant.
func newTestProvider(t *testing.T, multiTenant bool) *oidctest.Server {
	t.Helper()
	p := oidctest.NewServer(oidctest.Options{TenantID: testTenant, MultiTenant: multiTenant})
	t.Cleanup(p.Close)
	return p
}

// providerToken is p's delegated Graph token of tenant for the test user.
func providerToken(t *testing.T, p *oidctest.Server, tenant string) string {
	t.Helper()
	tok, err := p.AccessToken(oidctest.User{ObjectID: testUser, UserPrincipalName: testUPN, DisplayName: testName, TenantID: tenant}, "graphprofile-tests", "User.ReadWrite")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestServeTrustsExternalIssuers(t *testing.T) {
	single := newTestProvider(t, false)
	multi := newTestProvider(t, true)
	tests := []struct {
		name string
		how  invocation
	}{
		{"--issuer twice", func(addr string) ([]string, []string) {
			return []string{"--listen", addr, "--issuer", single.Issuer, "--issuer", multi.Issuer, "--dev-issuer"}, nil
		}},
		{"GRAPHPROFILE_ISSUERS", func(addr string) ([]string, []string) {
			return []string{"--listen", addr, "--dev-issuer"}, []string{"GRAPHPROFILE_ISSUERS=" + single.Issuer + "," + multi.Issuer}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := startServe(t, dir, tc.how)
			const otherTenant = "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
			for _, tok := range []string{providerToken(t, single, testTenant), providerToken(t, multi, testTenant), providerToken(t, multi, otherTenant), mintToken(t, dir, nil, delegatedArgs...)} {
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
			r := s.do(http.MethodGet, "/beta/me/profile/positions", providerToken(t, stranger, testTenant), "", http.StatusUnauthorized)
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
	// The line names the issuer once: a key twice in one line is a JSON
	// object with a duplicate key under --log-format json.
	for line := range strings.Lines(s.stderr.String()) {
		if strings.Contains(line, "issuer unreachable") {
			if n := strings.Count(line, " issuer="); n != 1 {
				t.Errorf("the retry line names the issuer %d times, want once:\n%s", n, line)
			}
		}
	}
}

// TestTenantsAreBoundToIssuers replays a trusted issuer signing tokens that
// claim another issuer's tenant (and user): each issuer speaks for its own
// tenants only, so the forged tokens reach an empty profile of their own.
// The development issuer is off beside --issuer unless --dev-issuer.
func TestTenantsAreBoundToIssuers(t *testing.T) {
	real := newTestProvider(t, false)
	forger := newTestProvider(t, false)
	dir := t.TempDir()
	s := startServe(t, dir, listenFlag("--issuer", real.Issuer, "--issuer", forger.Issuer, "--dev-issuer"))
	waitStderr(t, s, "development issuer on")
	own := providerToken(t, real, testTenant)
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
		"another trusted issuer": providerToken(t, forger, testTenant),
		"the development issuer": mintToken(t, dir, nil, delegatedArgs...),
	} {
		t.Run(name, func(t *testing.T) {
			list := s.do(http.MethodGet, "/beta/me/profile/positions", tok, "", http.StatusOK)
			if n := len(list.body["value"].([]any)); n != 0 {
				t.Errorf("a token of the same tenant and user from %s lists %d positions of the real issuer's user", name, n)
			}
			for _, key := range []string{testUser, testUPN} {
				r := s.do(http.MethodGet, "/beta/users/"+key+"/profile/positions/"+id, tok, "", http.StatusNotFound)
				if code, msg := field(r.body, "error.code"), field(r.body, "error.message"); code != "itemNotFound" || msg != "The workPosition '"+id+"' does not exist in this profile." {
					t.Errorf("the real issuer's position through users/%s: %v %q, want the itemNotFound of a position not there", key, code, msg)
				}
			}
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
		{"--issuer", []string{"--issuer", provider.Issuer}, nil, "development issuer off", false},
		{"GRAPHPROFILE_ISSUERS", nil, []string{"GRAPHPROFILE_ISSUERS=" + provider.Issuer}, "development issuer off", false},
		{"--issuer and --dev-issuer", []string{"--issuer", provider.Issuer, "--dev-issuer"}, nil, "development issuer on", true},
		{"--issuer and GRAPHPROFILE_DEV_ISSUER", []string{"--issuer", provider.Issuer}, []string{"GRAPHPROFILE_DEV_ISSUER=true"}, "development issuer on", true},
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
	if r := runCLI(t, dir, nil, "users", "import", "--tenant", testTenant, "--issuer", provider.Issuer, file); r.code != 0 {
		t.Fatalf("import: exit %d, stderr %q", r.code, r.stderr)
	}
	s := startServe(t, dir, listenFlag("--issuer", provider.Issuer, "--dev-issuer"))
	external := providerToken(t, provider, testTenant)
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

// TestFixturesForAnIssuerWithATrailingSlash loads a fixtures file whose
// tenant names serve's --issuer exactly as it was given, trailing slash
// and all (docs/fixtures.md): serve ignores one trailing slash of an issuer
// URL, and so must the file, or its users land in a tenant no token of that
// issuer reaches (while the issuer's token gets an empty user of its own).
func TestFixturesForAnIssuerWithATrailingSlash(t *testing.T) {
	provider := newTestProvider(t, true)
	dir := t.TempDir()
	issuer := provider.Issuer + "/"
	fixtures := filepath.Join(dir, "fixtures.json")
	doc := `{"tenants": [{"id": "` + testTenant + `", "issuer": "` + issuer + `", "users": [{"id": "` + testUser + `", "displayName": "Fixture Ada", "userPrincipalName": "` + testUPN + `", "jobTitle": "Countess"}]}]}`
	if err := os.WriteFile(fixtures, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, dir, listenFlag("--issuer", issuer, "--fixtures", fixtures))
	external := providerToken(t, provider, testTenant)
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
	if me.status != http.StatusOK || me.body["displayName"] != "Fixture Ada" || me.body["jobTitle"] != "Countess" {
		t.Errorf("the issuer's user after loading the fixtures: %d %s", me.status, me.raw)
	}
}
