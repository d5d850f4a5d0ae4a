package integration_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/token"
)

// TestNULCharacters sends NUL characters where a client or a token can put
// them: every store answers the same 400, never a 500, and stores nothing.
func TestNULCharacters(t *testing.T) {
	type answer struct {
		status int
		code   string
	}
	answers := map[string]map[string]answer{}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			got := map[string]answer{}
			answers[b.name] = got
			dev := newDevIssuer(t)
			url := startServer(t, b.open(t, 1)[0], dev)
			mint := func(oid, name string, scopes ...string) *client {
				tok, err := dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: oid,
					UserPrincipalName: "nul@contoso.test", DisplayName: name, Scopes: scopes})
				if err != nil {
					t.Fatal(err)
				}
				return &client{t: t, token: tok, http: &http.Client{Timeout: 30 * time.Second}}
			}
			admin := mint("5e7f0000-0000-4000-8000-0000000000e2", "Admin", "User.ReadWrite.All", "User.ReadWrite")
			admin.must(http.MethodGet, url+"/beta/me", "", http.StatusOK)
			cases := []struct {
				name   string
				c      *client
				method string
				path   string
				body   string
			}{
				{"create a user", admin, http.MethodPost, "/beta/users", `{"displayName":"A\u0000B","userPrincipalName":"ab@contoso.test"}`},
				{"user principal name", admin, http.MethodPost, "/beta/users", `{"displayName":"AB","userPrincipalName":"a\u0000b@contoso.test"}`},
				{"update a user", admin, http.MethodPatch, "/beta/users/nul@contoso.test", `{"jobTitle":"x\u0000"}`},
				{"create a position", admin, http.MethodPost, "/beta/me/profile/positions", `{"detail":{"jobTitle":"\u0000"}}`},
				{"a category", admin, http.MethodPost, "/beta/me/profile/positions", `{"categories":["a","\u0000"]}`},
				{"token name claim", mint("5e7f0000-0000-4000-8000-0000000000e3", "Evil\x00Name", "User.ReadWrite"), http.MethodGet, "/beta/me", ""},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					r, err := tc.c.with(t).do(tc.method, url+tc.path, tc.body, nil)
					if err != nil {
						t.Fatal(err)
					}
					envelope, _ := r.body["error"].(map[string]any)
					code, _ := envelope["code"].(string)
					got[tc.name] = answer{r.status, code}
					if r.status != http.StatusBadRequest {
						t.Errorf("status %d, want 400: %s", r.status, r.raw)
					}
				})
			}
			list := admin.must(http.MethodGet, url+"/beta/users", "", http.StatusOK)
			if n := len(list.body["value"].([]any)); n != 1 {
				t.Errorf("%d users after the refused requests, want the admin alone: %s", n, list.raw)
			}
			positions := admin.must(http.MethodGet, url+positionsPath, "", http.StatusOK)
			if n := len(positions.body["value"].([]any)); n != 0 {
				t.Errorf("%d positions after the refused creates", n)
			}
		})
	}
	for name, a := range answers["SQLite"] {
		if b := answers["PostgreSQL"][name]; b != a {
			t.Errorf("%s: SQLite answers %v, PostgreSQL %v", name, a, b)
		}
	}
}

// TestLongClaims: a token whose name, upn or oid is longer than the
// directory records of a user (displayName 256 characters,
// userPrincipalName 113, id 1024) is refused with the same 400 on every
// store, never a 500 (PostgreSQL's indexes hold no 4,000-character
// principal name), and records nothing: what the directory holds always
// loads back from an export. At the limits, the caller is recorded.
func TestLongClaims(t *testing.T) {
	type answer struct {
		status int
		code   string
	}
	answers := map[string]map[string]answer{}
	// long is n characters ending in suffix: letters that do not repeat
	// (PostgreSQL compresses what does, and its index would then hold it),
	// and an é, so that characters are counted, not bytes.
	long := func(n int, suffix string) string {
		var b strings.Builder
		b.WriteString("é")
		x := uint32(n)
		for range n - 1 - len(suffix) {
			x = x*1103515245 + 12345
			b.WriteByte("abcdefghijklmnopqrstuvwxyz0123456789"[x>>16%36])
		}
		return b.String() + suffix
	}
	// wide is n characters of three bytes each in UTF-8 (CJK ideographs
	// that do not repeat): within the directory's limit of characters,
	// but more bytes than PostgreSQL's indexes hold beside a tenant's key.
	wide := func(n int) string {
		var b strings.Builder
		x := uint32(n)
		for range n {
			x = x*1103515245 + 12345
			b.WriteRune(rune(0x4e00 + (x>>16)%0x5000))
		}
		return b.String()
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			got := map[string]answer{}
			answers[b.name] = got
			dev := newDevIssuer(t)
			url := startServer(t, b.open(t, 1)[0], dev)
			mint := func(oid, upn, name string) *client {
				tok, err := dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: oid,
					UserPrincipalName: upn, DisplayName: name, Scopes: []string{"User.ReadWrite.All", "User.ReadWrite"}})
				if err != nil {
					t.Fatal(err)
				}
				return &client{t: t, token: tok, http: &http.Client{Timeout: 30 * time.Second}}
			}
			cases := []struct {
				name   string
				c      *client
				status int
			}{
				{"upn of 114", mint("5e7f0000-0000-4000-8000-0000000000f1", long(114, "@contoso.test"), "A"), http.StatusBadRequest},
				{"upn of 4000", mint("5e7f0000-0000-4000-8000-0000000000f2", long(4000, "@contoso.test"), "A"), http.StatusBadRequest},
				{"name of 257", mint("5e7f0000-0000-4000-8000-0000000000f3", "b@contoso.test", long(257, "")), http.StatusBadRequest},
				{"oid of 1025", mint(long(1025, ""), "c@contoso.test", "C"), http.StatusBadRequest},
				{"oid of 3000", mint(long(3000, ""), "d@contoso.test", "D"), http.StatusBadRequest},
				{"oid of 1024 wide characters", mint(wide(1024), "e@contoso.test", "E"), http.StatusBadRequest},
				{"at the limits", mint(long(1024, ""), long(113, "@contoso.test"), long(256, "")), http.StatusOK},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					r, err := tc.c.with(t).do(http.MethodGet, url+"/beta/me", "", nil)
					if err != nil {
						t.Fatal(err)
					}
					envelope, _ := r.body["error"].(map[string]any)
					code, _ := envelope["code"].(string)
					got[tc.name] = answer{r.status, code}
					if r.status != tc.status {
						t.Errorf("status %d, want %d: %.300s", r.status, tc.status, r.raw)
					}
				})
			}
			list := cases[len(cases)-1].c.must(http.MethodGet, url+"/beta/users", "", http.StatusOK)
			if n := len(list.body["value"].([]any)); n != 1 {
				t.Errorf("%d users after the refused requests, want the one at the limits alone", n)
			}
		})
	}
	for name, a := range answers["SQLite"] {
		if b := answers["PostgreSQL"][name]; b != a {
			t.Errorf("%s: SQLite answers %v, PostgreSQL %v", name, a, b)
		}
	}
}
