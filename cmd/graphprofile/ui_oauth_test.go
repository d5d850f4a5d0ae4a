package main

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/internal/oidctest"
)

// uiClientID is the web UI's application id at the test issuers.
const uiClientID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"

// TestUIOAuthConfig: with --ui-client-id, GET /ui/api/config gives the page
// the first issuer's sign-in endpoints from its discovery document, the
// redirect URI and the scope; the page's CSP lets it post to the token
// endpoint. Without it, oauth is null.
func TestUIOAuthConfig(t *testing.T) {
	t.Parallel()
	single := oidctest.NewServer(oidctest.Options{})
	t.Cleanup(single.Close)
	multi := oidctest.NewServer(oidctest.Options{MultiTenant: true})
	t.Cleanup(multi.Close)
	second := oidctest.NewServer(oidctest.Options{TenantID: "0a0b0c0d-1111-4222-8333-444455556666"})
	t.Cleanup(second.Close)
	singleBase := single.URL + "/" + oidctest.DefaultTenantID
	organizations := multi.URL + "/organizations"
	tests := []struct {
		name string
		how  invocation
		want func(addr string) map[string]any // nil: oauth is null
	}{
		{"flags", listenFlag("--issuer", single.Issuer, "--issuer", second.Issuer, "--ui-client-id", uiClientID), func(addr string) map[string]any {
			return map[string]any{
				"clientId": uiClientID, "issuer": singleBase + "/v2.0",
				"authorizationEndpoint": singleBase + "/oauth2/v2.0/authorize", "tokenEndpoint": singleBase + "/oauth2/v2.0/token",
				"scope":       "openid profile offline_access https://graph.microsoft.com/User.ReadWrite https://graph.microsoft.com/User.ReadBasic.All",
				"redirectUri": "http://" + addr + "/ui/",
			}
		}},
		{"variables, a multi-tenant issuer", func(addr string) ([]string, []string) {
			return []string{"--listen", addr}, []string{"GRAPHPROFILE_ISSUERS=" + multi.Issuer, "GRAPHPROFILE_UI_CLIENT_ID=" + uiClientID, "GRAPHPROFILE_UI_SCOPE=openid  User.Read"}
		}, func(addr string) map[string]any {
			return map[string]any{
				"clientId": uiClientID, "issuer": organizations + "/v2.0",
				"authorizationEndpoint": organizations + "/oauth2/v2.0/authorize", "tokenEndpoint": organizations + "/oauth2/v2.0/token",
				"scope": "openid User.Read", "redirectUri": "http://" + addr + "/ui/",
			}
		}},
		{"--public-url", listenFlag("--issuer", single.Issuer, "--ui-client-id", uiClientID, "--public-url", "https://people.example.com/"), func(string) map[string]any {
			return map[string]any{
				"clientId": uiClientID, "issuer": singleBase + "/v2.0",
				"authorizationEndpoint": singleBase + "/oauth2/v2.0/authorize", "tokenEndpoint": singleBase + "/oauth2/v2.0/token",
				"scope":       "openid profile offline_access https://graph.microsoft.com/User.ReadWrite https://graph.microsoft.com/User.ReadBasic.All",
				"redirectUri": "https://people.example.com/ui/",
			}
		}},
		{"--issuer without --ui-client-id", listenFlag("--issuer", single.Issuer), nil},
		{"no issuer", listenFlag(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServe(t, t.TempDir(), tc.how)
			config := s.do(http.MethodGet, "/ui/api/config", "", "", http.StatusOK)
			if tc.want == nil {
				if oauth, ok := config.body["oauth"]; !ok || oauth != nil {
					t.Errorf("oauth = %v, want null", config.raw)
				}
				return
			}
			want, _ := json.Marshal(tc.want(s.addr))
			got, _ := json.Marshal(config.body["oauth"])
			if string(got) != string(want) {
				t.Errorf("oauth =\n%s\nwant\n%s", got, want)
			}
			page, err := s.client.Get(s.url + "/ui/")
			if err != nil {
				t.Fatal(err)
			}
			page.Body.Close()
			tokenEndpoint := tc.want(s.addr)["tokenEndpoint"].(string)
			if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' "+tokenEndpoint+";") {
				t.Errorf("the page's CSP does not let it post to %s: %s", tokenEndpoint, csp)
			}
			waitStderr(t, s, `msg="web UI sign-in with your organization"`)
		})
	}
}

// TestUIOAuthSettingErrors: sign-in settings that cannot work stop serve
// at once, naming the flag or variable that was set.
func TestUIOAuthSettingErrors(t *testing.T) {
	t.Parallel()
	issuer := oidctest.NewServer(oidctest.Options{})
	t.Cleanup(issuer.Close)
	down := httptest.NewServer(http.NotFoundHandler())
	unreachable := down.URL + "/v2.0"
	down.Close()
	tests := []struct {
		name string
		args []string
		env  []string
		want string // the one line after "graphprofile: "
	}{
		{"--ui-client-id without an issuer", []string{"--ui-client-id", uiClientID}, nil,
			`--ui-client-id "` + uiClientID + `" needs an issuer to sign in with: set --issuer or GRAPHPROFILE_ISSUERS (the first one signs the web UI's users in)`},
		{"GRAPHPROFILE_UI_CLIENT_ID without an issuer", nil, []string{"GRAPHPROFILE_UI_CLIENT_ID=" + uiClientID},
			`GRAPHPROFILE_UI_CLIENT_ID="` + uiClientID + `" needs an issuer to sign in with: set --issuer or GRAPHPROFILE_ISSUERS (the first one signs the web UI's users in)`},
		{"--ui-scope without --ui-client-id", []string{"--issuer", issuer.Issuer, "--ui-scope", "openid"}, nil,
			`--ui-scope needs --ui-client-id (GRAPHPROFILE_UI_CLIENT_ID)`},
		{"GRAPHPROFILE_UI_SCOPE without --ui-client-id", []string{"--issuer", issuer.Issuer}, []string{"GRAPHPROFILE_UI_SCOPE=openid"},
			`GRAPHPROFILE_UI_SCOPE needs --ui-client-id (GRAPHPROFILE_UI_CLIENT_ID)`},
		{"a blank --ui-scope", []string{"--issuer", issuer.Issuer, "--ui-client-id", uiClientID, "--ui-scope", " "}, nil,
			`--ui-scope: want the scopes to ask the issuer for, separated by spaces`},
		{"a client id with a space", []string{"--issuer", issuer.Issuer, "--ui-client-id", "my app"}, nil,
			`--ui-client-id "my app": an application id has no spaces`},
		{"--ui=false", []string{"--issuer", issuer.Issuer, "--ui-client-id", uiClientID, "--ui=false"}, nil,
			`--ui-client-id "` + uiClientID + `" signs users in to the web UI, which --ui=false turns off`},
		{"GRAPHPROFILE_UI=false", []string{"--issuer", issuer.Issuer, "--ui-client-id", uiClientID}, []string{"GRAPHPROFILE_UI=false"},
			`--ui-client-id "` + uiClientID + `" signs users in to the web UI, which GRAPHPROFILE_UI=false turns off`},
		{"--trust-proxy without --public-url", []string{"--issuer", issuer.Issuer, "--ui-client-id", uiClientID, "--trust-proxy"}, nil,
			`--ui-client-id "` + uiClientID + `" behind a proxy (--trust-proxy) needs --public-url: the redirect URI registered with the issuer is one fixed URL`},
		{"--listen on port 0", []string{"--issuer", issuer.Issuer, "--ui-client-id", uiClientID, "--listen", "127.0.0.1:0"}, nil,
			`--ui-client-id "` + uiClientID + `" needs --public-url when --listen "127.0.0.1:0" has port 0: the redirect URI must be known before the server listens`},
		{"an unreachable issuer", []string{"--issuer", unreachable, "--ui-client-id", uiClientID, "--listen", freeAddr(t)}, nil,
			`--ui-client-id: the sign-in endpoints of the issuer ` + unreachable + `: discovery: Get "` + unreachable + `/.well-known/openid-configuration": dial tcp ` + strings.TrimPrefix(down.URL, "http://") + ": " + refusedText(t)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r := runCLI(t, dir, tc.env, append([]string{"serve", "--store", "memory:"}, tc.args...)...)
			if r.code != 1 || r.stderr != "graphprofile: "+tc.want+"\n" {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and\ngraphprofile: %s", r.code, r.stderr, tc.want)
			}
		})
	}
}

// TestUIOAuth runs compat/js/ui-oauth.test.mjs: in Chromium, the web UI's
// "Sign in with your organization" against a test issuer that serve trusts
// (serve --issuer <test issuer> --ui-client-id …): answers of no sign-in of
// the tab's (an error with no state or a wrong one, a forged state) ignored,
// showing nothing, the issuer's refusal of the tab's own sign-in shown,
// then a user picked on the issuer's page and
// back on the page signed in, with no code in the address bar and no
// verifier in sessionStorage. What the issuer saw is checked here: an S256
// challenge, and one exchange whose verifier hashes to it, from the page's
// origin. It fails, never skips, when the browser cannot start.
func TestUIOAuth(t *testing.T) {
	t.Parallel()
	jsDir, node := jsCompat(t, "playwright-core")
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Chromium is not installed at %s: run `make test` (it installs Debian's chromium package) or apt-get install chromium", chromiumPath)
	}
	ada := oidctest.User{ObjectID: testUser, UserPrincipalName: testUPN, DisplayName: testName, TenantID: testTenant}
	grace := oidctest.User{ObjectID: "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f", UserPrincipalName: "grace@contoso.com", DisplayName: "Grace Hopper", TenantID: testTenant}
	issuer := oidctest.NewServer(oidctest.Options{TenantID: testTenant, Users: []oidctest.User{grace, ada}})
	t.Cleanup(issuer.Close)

	var redirectURI string
	s := startServe(t, t.TempDir(), func(addr string) ([]string, []string) {
		// The page's redirect URI, registered once the port is known.
		redirectURI = "http://" + addr + "/ui/"
		issuer.RegisterClient(oidctest.Client{ID: uiClientID, RedirectURIs: []string{redirectURI}})
		return []string{"--listen", addr, "--issuer", issuer.Issuer, "--ui-client-id", uiClientID}, nil
	})
	// The issuer's keys are discovered in the background: the page's first
	// call with its token must not race them.
	waitStderr(t, s, "issuer discovered, signing keys loaded")

	out := runJS(t, jsDir, 120*time.Second, s.stderr.String,
		[]string{"UI_URL=" + redirectURI, "ISSUER_URL=" + issuer.URL, "USER_NAME=" + testName, "CHROMIUM=" + chromiumPath},
		node, "ui-oauth.test.mjs")
	t.Logf("node ui-oauth.test.mjs:\n%s", out)

	auths, exchanges := issuer.Authorizations(), issuer.Exchanges()
	// The page's first request, the same replayed with a forged state,
	// and the sign-in.
	if len(auths) != 3 {
		t.Fatalf("the issuer saw %d authorization requests, want 3 (the page's, a forged copy, the sign-in): %+v", len(auths), auths)
	}
	for _, a := range auths {
		if a.Error != "" || a.ClientID != uiClientID || a.RedirectURI != redirectURI || a.CodeChallengeMethod != "S256" || len(a.CodeChallenge) != 43 {
			t.Errorf("authorization request %+v: want the UI's client and redirect URI with an S256 challenge", a)
		}
	}
	if auths[1].State != "forged-state" || auths[1].CodeChallenge != auths[0].CodeChallenge {
		t.Errorf("the second authorization request %+v, want the first with the forged state", auths[1])
	}
	if auths[2].State == auths[0].State || auths[2].CodeChallenge == auths[0].CodeChallenge {
		t.Errorf("the sign-in reused the first attempt's state or challenge: %+v", auths)
	}
	if len(exchanges) != 1 {
		t.Fatalf("the issuer saw %d token requests, want 1 (none for the forged state): %+v", len(exchanges), exchanges)
	}
	ex := exchanges[0]
	sum := sha256.Sum256([]byte(ex.CodeVerifier))
	if ex.Error != "" || base64.RawURLEncoding.EncodeToString(sum[:]) != auths[2].CodeChallenge ||
		ex.Origin+"/ui/" != redirectURI || ex.RedirectURI != redirectURI || ex.ClientID != uiClientID {
		t.Errorf("the token request %+v does not redeem the sign-in's code with the verifier of its challenge %s from the page", ex, auths[2].CodeChallenge)
	}
	_, keys, _ := strings.Cut(out, "sessionStorage keys: ")
	keys, _, _ = strings.Cut(keys, "\n")
	if keys == "" || keys == "[]" || strings.Contains(keys, "oauth") || strings.Contains(out, ex.CodeVerifier) {
		t.Errorf("sessionStorage after the sign-in: keys %s; want the token only, and no verifier", keys)
	}
	if log := s.stderr.String(); strings.Contains(log, "level=ERROR") || strings.Contains(log, "level=WARN") {
		t.Errorf("serve logged a problem while the browser ran:\n%s", log)
	}
}

// TestUIRedirectURI: without --public-url the redirect URI is the listen
// address's /ui/, over https with TLS, and a browser is sent to localhost
// where serve listens on every address; with it, the public URL's /ui/,
// however it ends.
func TestUIRedirectURI(t *testing.T) {
	t.Parallel()
	issuers := []string{"https://login.example.com/t/v2.0"}
	tests := []struct {
		name     string
		clientID string // "app" when empty
		s        uiOAuthSettings
		want     string
		wantErr  string // the error ends so
	}{
		{name: "a loopback address", s: uiOAuthSettings{listen: "127.0.0.1:8080"}, want: "http://127.0.0.1:8080/ui/"},
		{name: "TLS", s: uiOAuthSettings{listen: "127.0.0.1:8443", https: true}, want: "https://127.0.0.1:8443/ui/"},
		{name: "every IPv4 address", s: uiOAuthSettings{listen: "0.0.0.0:8080"}, want: "http://localhost:8080/ui/"},
		{name: "every IPv6 address", s: uiOAuthSettings{listen: "[::]:8080"}, want: "http://localhost:8080/ui/"},
		{name: "no host", s: uiOAuthSettings{listen: ":8080"}, want: "http://localhost:8080/ui/"},
		{name: "an IPv6 address", s: uiOAuthSettings{listen: "[::1]:8080"}, want: "http://[::1]:8080/ui/"},
		{name: "a public URL", s: uiOAuthSettings{listen: "0.0.0.0:8080", publicURL: "https://people.example.com/graph"}, want: "https://people.example.com/graph/ui/"},
		{name: "a public URL ending in /", s: uiOAuthSettings{listen: "0.0.0.0:8080", publicURL: "https://people.example.com/", trustProxy: true}, want: "https://people.example.com/ui/"},
		{name: "a listen address without a port", s: uiOAuthSettings{listen: "localhost"}, wantErr: `--ui-client-id "app": the redirect URI comes from --listen "localhost": address localhost: missing port in address`},
		// Any white space, not only ASCII's.
		{name: "a client id with a no-break space", clientID: "my\u00a0app", s: uiOAuthSettings{listen: "127.0.0.1:8080"}, wantErr: ": an application id has no spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			s.clientID, s.scope, s.ui, s.issuers = cmp.Or(tt.clientID, "app"), defaultUIScope, true, issuers
			got, err := uiRedirectURI(&environment{stderr: io.Discard}, s, false)
			if tt.wantErr != "" {
				if err == nil || !strings.HasSuffix(err.Error(), tt.wantErr) {
					t.Errorf("uiRedirectURI = %q, %v; want the error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("uiRedirectURI = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
