package graphapi_test

import (
	"crypto/tls"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/tlsdev"
)

// TestTwoAuthorizationCredentials: a request with two Authorization
// credentials, as two fields or as one field that lists two (what a proxy
// makes of two fields when it joins them), is ambiguous: a proxy in front
// may have checked one and the server would use the other. It is refused
// as any bad token is, 401 InvalidAuthenticationToken with a Bearer
// challenge, whichever credential comes first and even when both are the
// same: on Graph's paths, on $batch (whose items inherit the batch's
// credentials), and on the admin API, over HTTP/1.1 and HTTP/2.
func TestTwoAuthorizationCredentials(t *testing.T) {
	const admin = "admin-secret-token"
	const message = "Access token validation failure. The request carries more than one Authorization credential; send one."
	cert, err := tlsdev.LoadOrCreate(tlsdev.FilesFor(filepath.Join(t.TempDir(), "graphprofile.db")))
	if err != nil {
		t.Fatal(err)
	}
	for _, proto := range []string{"HTTP/1.1", "HTTP/2"} {
		t.Run(proto, func(t *testing.T) {
			opts := []serverOption{withAdminToken(admin)}
			if proto == "HTTP/2" {
				opts = append(opts, func(srv *graphapi.Server) {
					srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
				})
			}
			s := newTestServer(t, opts...)
			if proto == "HTTP/2" {
				s.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
					TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
					ForceAttemptHTTP2: true,
				}}
			}
			if probe, err := s.client.Get(s.url + "/beta/$metadata"); err != nil {
				t.Fatal(err)
			} else {
				probe.Body.Close()
				if want := map[string]int{"HTTP/1.1": 1, "HTTP/2": 2}[proto]; probe.ProtoMajor != want {
					t.Fatalf("the client speaks %s, want %s", probe.Proto, proto)
				}
			}
			good := s.delegated(tenantA, userA1, "User.ReadWrite")
			other := s.delegated(tenantA, userA2, "User.ReadWrite")
			const batch = `{"requests":[{"id":"1","method":"GET","url":"/me/profile/positions"}]}`

			// What a single credential gets, for contrast.
			for _, c := range []struct{ method, path, tok, body string }{
				{http.MethodGet, "/beta/me/profile/positions", good, ""},
				{http.MethodPost, "/beta/$batch", good, batch},
				{http.MethodGet, "/_admin/tenants", admin, ""},
			} {
				if resp := s.do(request{method: c.method, path: c.path, token: c.tok, body: c.body}); resp.status != http.StatusOK {
					t.Fatalf("%s %s with one credential: %d %s", c.method, c.path, resp.status, resp.body)
				}
			}

			tests := []struct {
				name, method, path, body string
				fields                   []string
			}{
				{"two fields, the good one first", http.MethodGet, "/beta/me/profile/positions", "", []string{"Bearer " + good, "Bearer garbage"}},
				{"two fields, the good one last", http.MethodGet, "/beta/me/profile/positions", "", []string{"Bearer garbage", "Bearer " + good}},
				{"two fields, two good tokens", http.MethodGet, "/beta/me/profile/positions", "", []string{"Bearer " + good, "Bearer " + other}},
				{"two fields, the same token", http.MethodGet, "/beta/me/profile/positions", "", []string{"Bearer " + good, "Bearer " + good}},
				{"one field listing two", http.MethodGet, "/beta/me/profile/positions", "", []string{"Bearer " + good + ", Bearer " + other}},
				{"one field listing two, no space", http.MethodGet, "/beta/me/profile/positions", "", []string{"Bearer " + good + ",bearer " + other}},
				{"one field listing another scheme", http.MethodGet, "/beta/me/profile/positions", "", []string{"Bearer " + good + ", Basic dXNlcjpwYXNz"}},
				{"$batch, two fields", http.MethodPost, "/beta/$batch", batch, []string{"Bearer " + good, "Bearer garbage"}},
				{"$batch, one field listing two", http.MethodPost, "/beta/$batch", batch, []string{"Bearer " + good + ", Bearer garbage"}},
				{"admin, two fields", http.MethodGet, "/_admin/tenants", "", []string{"Bearer " + admin, "Bearer garbage"}},
				{"admin, the same token twice", http.MethodGet, "/_admin/tenants", "", []string{"Bearer " + admin, "Bearer " + admin}},
				{"admin, one field listing two", http.MethodGet, "/_admin/tenants", "", []string{"Bearer " + admin + ", Bearer garbage"}},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					resp := s.do(request{method: tc.method, path: tc.path, body: tc.body, headerLines: http.Header{"Authorization": tc.fields}})
					if msg := expectError(t, resp, http.StatusUnauthorized, "InvalidAuthenticationToken"); msg != message {
						t.Errorf("message %q, want %q", msg, message)
					}
					if got := resp.header.Get("WWW-Authenticate"); len(got) < 6 || got[:6] != "Bearer" {
						t.Errorf("WWW-Authenticate %q, want a Bearer challenge", got)
					}
				})
			}
		})
	}
}

// TestTwoAuthorizationCredentialsJournaled: the admin API's journal shows
// a request refused for two Authorization fields with both of them, each
// redacted to its scheme, so that the refusal reads from the entry; it
// showed the first alone, a request with one credential refused for no
// reason the entry told.
func TestTwoAuthorizationCredentialsJournaled(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	resp := s.do(request{path: "/beta/me/profile/positions", headerLines: http.Header{
		"Authorization": {"Bearer " + tok, "Basic dXNlcjpwYXNz"},
		"Cookie":        {"a=1", "b=2"},
	}})
	expectError(t, resp, http.StatusUnauthorized, "InvalidAuthenticationToken")
	entries := s.journal(t, "")
	if len(entries) != 1 {
		t.Fatalf("%d entries, want 1: %+v", len(entries), entries)
	}
	h := entries[0].Request.Headers
	if got := h["Authorization"]; len(got) != 2 || got[0] != "Bearer [redacted]" || got[1] != "Basic [redacted]" {
		t.Errorf("the journal's Authorization: %q, want both fields, redacted", got)
	}
	if got := h["Cookie"]; len(got) != 2 || got[0] != "[redacted]" || got[1] != "[redacted]" {
		t.Errorf("the journal's Cookie: %q, want both fields, redacted", got)
	}
}
