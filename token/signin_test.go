package token

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/internal/oidctest"
)

func TestOIDCSignInEndpoints(t *testing.T) {
	for _, multiTenant := range []bool{false, true} {
		name := map[bool]string{false: "single tenant", true: "multi-tenant"}[multiTenant]
		t.Run(name, func(t *testing.T) {
			issuer := oidctest.NewServer(oidctest.Options{MultiTenant: multiTenant})
			defer issuer.Close()
			o, err := NewOIDCIssuer(issuer.Issuer, OIDCOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := o.SignInEndpoints(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			tenant := oidctest.DefaultTenantID
			if multiTenant {
				tenant = SignInTenant
			}
			want := Endpoints{
				Authorization: issuer.URL + "/" + tenant + "/oauth2/v2.0/authorize",
				Token:         issuer.URL + "/" + tenant + "/oauth2/v2.0/token",
			}
			if got != want {
				t.Errorf("SignInEndpoints() = %+v, want %+v", got, want)
			}
			if url := o.SignInURL(); url != issuer.URL+"/"+tenant+"/v2.0" {
				t.Errorf("SignInURL() = %s", url)
			}
			if o.Ready() {
				t.Error("SignInEndpoints made the issuer ready: Run's discovery is its own")
			}
		})
	}
}

func TestOIDCSignInEndpointsRefused(t *testing.T) {
	tests := []struct {
		name string
		doc  func(p *testProvider) map[string]any
		want string
	}{
		{"another issuer", func(p *testProvider) map[string]any {
			return map[string]any{"issuer": "https://impostor.example/v2.0", "authorization_endpoint": p.srv.URL + "/a", "token_endpoint": p.srv.URL + "/t"}
		}, `names the issuer "https://impostor.example/v2.0"`},
		{"no token_endpoint", func(p *testProvider) map[string]any {
			return map[string]any{"issuer": p.url, "authorization_endpoint": p.srv.URL + "/a"}
		}, `token_endpoint "": the URL must be absolute`},
		{"authorization_endpoint over http to another host", func(p *testProvider) map[string]any {
			return map[string]any{"issuer": p.url, "authorization_endpoint": "http://login.example.test/a", "token_endpoint": p.srv.URL + "/t"}
		}, "authorization_endpoint \"http://login.example.test/a\": http is allowed only for loopback hosts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestProvider(t, "/signin/v2.0")
			body, _ := json.Marshal(tt.doc(p))
			p.set(func(p *testProvider) { p.discoveryBody = body })
			o, err := NewOIDCIssuer(p.url, OIDCOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := o.SignInEndpoints(t.Context()); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SignInEndpoints() error %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		down := httptest.NewServer(http.NotFoundHandler())
		down.Close()
		o, err := NewOIDCIssuer(down.URL+"/v2.0", OIDCOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = o.SignInEndpoints(t.Context())
		// In the system's words, as a dial of the same address gets them:
		// "connect: connection refused" on Linux, "connectex: No connection
		// could be made because the target machine actively refused it."
		// on Windows.
		var refused *os.SyscallError
		if _, dialErr := net.Dial("tcp", strings.TrimPrefix(down.URL, "http://")); !errors.As(dialErr, &refused) {
			t.Fatalf("dialing %s: %v, want the connection refused", down.URL, dialErr)
		}
		var mismatch *issuerMismatchError
		if err == nil || errors.As(err, &mismatch) || !strings.Contains(err.Error(), refused.Error()) {
			t.Errorf("SignInEndpoints() error %v, want %s", err, refused)
		}
	})
}
