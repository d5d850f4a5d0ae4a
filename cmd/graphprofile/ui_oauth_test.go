package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
			`--ui-client-id "` + uiClientID + `" needs --public-url when --listen has port 0: the redirect URI must be known before the server listens`},
		{"an unreachable issuer", []string{"--issuer", unreachable, "--ui-client-id", uiClientID, "--listen", "127.0.0.1:1"}, nil,
			`--ui-client-id: the sign-in endpoints of the issuer ` + unreachable + `: discovery: Get "` + unreachable + `/.well-known/openid-configuration": dial tcp ` + strings.TrimPrefix(down.URL, "http://") + `: connect: connection refused`},
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
