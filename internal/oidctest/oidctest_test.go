package oidctest_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/internal/oidctest"
	"github.com/graphprofile/graphprofile/token"
)

const (
	clientID    = "0c4b9a3e-7f1d-4e2a-9b5c-3d2e1f0a9b8c"
	redirectURI = "http://127.0.0.1:8080/ui/"
	pageOrigin  = "http://127.0.0.1:8080"
	scope       = "openid profile offline_access https://graph.microsoft.com/User.ReadWrite"
)

var (
	ada   = oidctest.User{ObjectID: "a1b2c3d4-0000-4000-8000-000000000001", UserPrincipalName: "ada@contoso.example", DisplayName: "Ada Lovelace"}
	grace = oidctest.User{ObjectID: "a1b2c3d4-0000-4000-8000-000000000002", UserPrincipalName: "grace@contoso.example", DisplayName: "Grace Hopper"}
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness is an issuer and a browser-like client that does not follow
// redirects, so that each step of the flow can be looked at.
type harness struct {
	t      *testing.T
	issuer *oidctest.Server
	clock  *clock
	client *http.Client
	doc    map[string]any
}

func newHarness(t *testing.T, opts oidctest.Options) *harness {
	t.Helper()
	h := &harness{t: t, clock: &clock{t: time.Now()}}
	opts.Now = h.clock.now
	if opts.Clients == nil {
		opts.Clients = []oidctest.Client{{ID: clientID, RedirectURIs: []string{redirectURI}}}
	}
	if opts.Users == nil {
		opts.Users = []oidctest.User{ada, grace}
	}
	h.issuer = oidctest.NewServer(opts)
	t.Cleanup(h.issuer.Close)
	h.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	discovery := strings.Replace(h.issuer.Issuer, "{tenantid}", "organizations", 1) + "/.well-known/openid-configuration"
	resp := h.do(http.MethodGet, discovery, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&h.doc); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) do(method, target string, header http.Header, body io.Reader) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// pkce returns a verifier and its S256 challenge.
func pkce(seed string) (verifier, challenge string) {
	verifier = base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat(seed, 32)[:32]))
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeParams are a valid authorization request's parameters.
func authorizeParams(challenge string) url.Values {
	return url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
		"scope": {scope}, "state": {"state-1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
}

func (h *harness) authorize(params url.Values) *http.Response {
	h.t.Helper()
	return h.do(http.MethodGet, h.doc["authorization_endpoint"].(string)+"?"+params.Encode(), nil, nil)
}

var requestField = regexp.MustCompile(`name="request" value="([^"]+)"`)

// signIn answers the sign-in page of an authorization request as the user
// with object id oid ("" cancels) and returns the redirect's query.
func (h *harness) signIn(page *http.Response, oid string) url.Values {
	h.t.Helper()
	body, _ := io.ReadAll(page.Body)
	if page.StatusCode != http.StatusOK {
		h.t.Fatalf("sign-in page: %s %s", page.Status, body)
	}
	m := requestField.FindSubmatch(body)
	if m == nil {
		h.t.Fatalf("the sign-in page has no request field:\n%s", body)
	}
	form := url.Values{"request": {string(m[1])}, "user": {oid}}
	if oid == "" {
		form = url.Values{"request": {string(m[1])}, "cancel": {"1"}}
	}
	resp := h.do(http.MethodPost, h.issuer.URL+"/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
	return h.redirected(resp)
}

// redirected checks that resp sends the browser to the redirect URI and
// returns the parameters it adds.
func (h *harness) redirected(resp *http.Response) url.Values {
	h.t.Helper()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("want a redirect, got %s %s", resp.Status, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		h.t.Fatal(err)
	}
	if base := loc.Scheme + "://" + loc.Host + loc.Path; base != redirectURI {
		h.t.Fatalf("redirected to %s, want %s", loc, redirectURI)
	}
	return loc.Query()
}

// code runs the authorization request with challenge and returns the code.
func (h *harness) code(challenge string) string {
	h.t.Helper()
	q := h.signIn(h.authorize(authorizeParams(challenge)), ada.ObjectID)
	if q.Get("code") == "" || q.Get("state") != "state-1" {
		h.t.Fatalf("redirect query %v: want a code and state-1", q)
	}
	return q.Get("code")
}

// exchange posts form to the token endpoint from origin and returns the
// status, the JSON answer and the headers.
func (h *harness) exchange(origin string, form url.Values) (int, map[string]any, http.Header) {
	h.t.Helper()
	header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if origin != "" {
		header.Set("Origin", origin)
	}
	resp := h.do(http.MethodPost, h.doc["token_endpoint"].(string), header, strings.NewReader(form.Encode()))
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		h.t.Fatalf("token endpoint: %s, not JSON: %v", resp.Status, err)
	}
	return resp.StatusCode, body, resp.Header
}

func tokenForm(code, verifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "client_id": {clientID}, "code_verifier": {verifier}}
}

// validate checks accessToken as graphprofile serve --issuer does.
func validate(t *testing.T, issuerURL, accessToken string) (p struct {
	TenantID, ObjectID, UPN, Name string
	Permissions                   []string
}) {
	t.Helper()
	issuer, err := token.NewOIDCIssuer(issuerURL, token.OIDCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = issuer.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(10 * time.Second); !issuer.Ready(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("graphprofile's OIDC issuer did not discover the test issuer")
		}
	}
	principal, err := token.NewValidator(nil, issuer).Authenticate(ctx, accessToken)
	if err != nil {
		t.Fatalf("graphprofile refuses the test issuer's token: %v", err)
	}
	p.TenantID, p.ObjectID, p.UPN, p.Name, p.Permissions = principal.TenantID, principal.ObjectID, principal.UserPrincipalName, principal.DisplayName, principal.Permissions
	return p
}

func TestDiscoveryDocument(t *testing.T) {
	h := newHarness(t, oidctest.Options{})
	base := h.issuer.URL + "/" + oidctest.DefaultTenantID
	want := map[string]any{
		"issuer":                           base + "/v2.0",
		"authorization_endpoint":           base + "/oauth2/v2.0/authorize",
		"token_endpoint":                   base + "/oauth2/v2.0/token",
		"jwks_uri":                         h.issuer.URL + "/discovery/v2.0/keys",
		"response_types_supported":         []any{"code"},
		"code_challenge_methods_supported": []any{"S256"},
		"grant_types_supported":            []any{"authorization_code"},
	}
	for k, v := range want {
		got, _ := json.Marshal(h.doc[k])
		w, _ := json.Marshal(v)
		if string(got) != string(w) {
			t.Errorf("%s = %s, want %s", k, got, w)
		}
	}
	if h.issuer.Issuer != base+"/v2.0" {
		t.Errorf("Issuer = %s", h.issuer.Issuer)
	}
}

// TestCodeFlow is the happy path: the sign-in page, a user picked, the code
// redeemed with the verifier from the page's origin, and a token graphprofile
// accepts.
func TestCodeFlow(t *testing.T) {
	h := newHarness(t, oidctest.Options{})
	verifier, challenge := pkce("v")
	page := h.authorize(authorizeParams(challenge))
	if got := page.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
		t.Errorf("sign-in page Content-Type %q", got)
	}
	q := h.signIn(page, grace.ObjectID)
	if q.Get("state") != "state-1" || q.Get("code") == "" || q.Has("error") {
		t.Fatalf("redirect query %v", q)
	}
	status, body, header := h.exchange(pageOrigin, tokenForm(q.Get("code"), verifier))
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, body)
	}
	if body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) ||
		body["scope"] != "openid profile offline_access https://graph.microsoft.com/User.ReadWrite" {
		t.Errorf("token response %v", body)
	}
	for k, v := range map[string]string{"Access-Control-Allow-Origin": pageOrigin, "Cache-Control": "no-store", "Pragma": "no-cache"} {
		if got := header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	p := validate(t, h.issuer.Issuer, body["access_token"].(string))
	if p.TenantID != oidctest.DefaultTenantID || p.ObjectID != grace.ObjectID || p.UPN != grace.UserPrincipalName ||
		p.Name != grace.DisplayName || !slices.Equal(p.Permissions, []string{"User.ReadWrite"}) {
		t.Errorf("principal %+v", p)
	}

	auths, exchanges := h.issuer.Authorizations(), h.issuer.Exchanges()
	if len(auths) != 1 || auths[0].CodeChallenge != challenge || auths[0].CodeChallengeMethod != "S256" || auths[0].Error != "" {
		t.Errorf("Authorizations() = %+v", auths)
	}
	if len(exchanges) != 1 || exchanges[0].CodeVerifier != verifier || exchanges[0].Origin != pageOrigin || exchanges[0].Error != "" {
		t.Errorf("Exchanges() = %+v", exchanges)
	}
}

func TestAutoApprove(t *testing.T) {
	h := newHarness(t, oidctest.Options{AutoApprove: ada.ObjectID})
	verifier, challenge := pkce("w")
	q := h.redirected(h.authorize(authorizeParams(challenge)))
	status, body, _ := h.exchange(pageOrigin, tokenForm(q.Get("code"), verifier))
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, body)
	}
	if p := validate(t, h.issuer.Issuer, body["access_token"].(string)); p.ObjectID != ada.ObjectID {
		t.Errorf("signed in %s, want Ada", p.ObjectID)
	}
}

func TestMultiTenant(t *testing.T) {
	const otherTenant = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	abroad := oidctest.User{ObjectID: "b0000000-0000-4000-8000-000000000003", UserPrincipalName: "lin@fabrikam.example", DisplayName: "Lin", TenantID: otherTenant}
	h := newHarness(t, oidctest.Options{MultiTenant: true, Users: []oidctest.User{ada, abroad}})
	if want := h.issuer.URL + "/{tenantid}/v2.0"; h.issuer.Issuer != want || h.doc["issuer"] != want {
		t.Errorf("Issuer %s, document's %v, want %s", h.issuer.Issuer, h.doc["issuer"], want)
	}
	if got := h.doc["authorization_endpoint"]; got != h.issuer.URL+"/organizations/oauth2/v2.0/authorize" {
		t.Errorf("organizations' authorization_endpoint %v", got)
	}
	verifier, challenge := pkce("m")
	q := h.signIn(h.authorize(authorizeParams(challenge)), abroad.ObjectID)
	status, body, _ := h.exchange(pageOrigin, tokenForm(q.Get("code"), verifier))
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, body)
	}
	if p := validate(t, h.issuer.Issuer, body["access_token"].(string)); p.TenantID != otherTenant || p.ObjectID != abroad.ObjectID {
		t.Errorf("principal %+v, want Lin of %s", p, otherTenant)
	}
}

// TestTokenRefusals: each exchange that must not get a token gets RFC 6749's
// error object, with the CORS header so that the page can read it.
func TestTokenRefusals(t *testing.T) {
	verifier, challenge := pkce("r")
	otherVerifier, _ := pkce("x")
	tests := []struct {
		name   string
		origin string
		form   func(code string) url.Values
		before func(h *harness, code string)
		status int
		error  string
	}{
		{name: "wrong verifier", form: func(c string) url.Values { return tokenForm(c, otherVerifier) }, status: 400, error: "invalid_grant"},
		{name: "the challenge as verifier", form: func(c string) url.Values { return tokenForm(c, challenge) }, status: 400, error: "invalid_grant"},
		{name: "no verifier", form: func(c string) url.Values { f := tokenForm(c, verifier); f.Del("code_verifier"); return f }, status: 400, error: "invalid_request"},
		{name: "reused code", form: func(c string) url.Values { return tokenForm(c, verifier) },
			before: func(h *harness, c string) {
				if status, body, _ := h.exchange(pageOrigin, tokenForm(c, verifier)); status != http.StatusOK {
					h.t.Fatalf("first exchange: %d %v", status, body)
				}
			}, status: 400, error: "invalid_grant"},
		{name: "code spent by a failed exchange", form: func(c string) url.Values { return tokenForm(c, verifier) },
			before: func(h *harness, c string) { h.exchange(pageOrigin, tokenForm(c, otherVerifier)) }, status: 400, error: "invalid_grant"},
		{name: "expired code", form: func(c string) url.Values { return tokenForm(c, verifier) },
			before: func(h *harness, _ string) { h.clock.add(time.Minute) }, status: 400, error: "invalid_grant"},
		{name: "wrong redirect_uri", form: func(c string) url.Values {
			f := tokenForm(c, verifier)
			f.Set("redirect_uri", "http://127.0.0.1:8080/ui/other")
			return f
		}, status: 400, error: "invalid_grant"},
		{name: "another registered client", form: func(c string) url.Values {
			f := tokenForm(c, verifier)
			f.Set("client_id", "other-client")
			return f
		}, status: 400, error: "invalid_grant"},
		{name: "unknown client", form: func(c string) url.Values {
			f := tokenForm(c, verifier)
			f.Set("client_id", "nobody")
			return f
		}, status: 400, error: "invalid_client"},
		{name: "made-up code", form: func(string) url.Values { return tokenForm("made-up", verifier) }, status: 400, error: "invalid_grant"},
		{name: "refresh_token grant", form: func(c string) url.Values {
			f := tokenForm(c, verifier)
			f.Set("grant_type", "refresh_token")
			return f
		}, status: 400, error: "unsupported_grant_type"},
		{name: "no Origin: not from a browser", origin: "-", form: func(c string) url.Values { return tokenForm(c, verifier) }, status: 400, error: "invalid_request"},
		{name: "another origin", origin: "http://evil.example", form: func(c string) url.Values { return tokenForm(c, verifier) }, status: 400, error: "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, oidctest.Options{Clients: []oidctest.Client{
				{ID: clientID, RedirectURIs: []string{redirectURI}},
				{ID: "other-client", RedirectURIs: []string{redirectURI}},
			}})
			code := h.code(challenge)
			if tc.before != nil {
				tc.before(h, code)
			}
			origin := pageOrigin
			switch tc.origin {
			case "-":
				origin = ""
			case "":
			default:
				origin = tc.origin
			}
			status, body, header := h.exchange(origin, tc.form(code))
			if status != tc.status || body["error"] != tc.error || body["error_description"] == "" || body["access_token"] != nil {
				t.Errorf("got %d %v, want %d %s", status, body, tc.status, tc.error)
			}
			wantACAO := ""
			if origin == pageOrigin {
				wantACAO = pageOrigin
			}
			if got := header.Get("Access-Control-Allow-Origin"); got != wantACAO {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, wantACAO)
			}
			last := h.issuer.Exchanges()[len(h.issuer.Exchanges())-1]
			if last.Error != tc.error {
				t.Errorf("Exchanges() records %q, want %q", last.Error, tc.error)
			}
		})
	}
}

// TestAuthorizeRefusals: a request whose client or redirect URI is not
// registered is refused on the issuer's own page; any other error goes back
// to the redirect URI with error= and the state (RFC 6749 section 4.1.2.1).
func TestAuthorizeRefusals(t *testing.T) {
	_, challenge := pkce("a")
	tests := []struct {
		name     string
		change   func(url.Values)
		redirect bool   // false: a 400 page
		error    string // the error= of the redirect
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "nobody") }, false, ""},
		{"no client_id", func(q url.Values) { q.Del("client_id") }, false, ""},
		{"unregistered redirect_uri", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:9999/ui/") }, false, ""},
		{"redirect_uri without the trailing slash", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:8080/ui") }, false, ""},
		{"no redirect_uri", func(q url.Values) { q.Del("redirect_uri") }, false, ""},
		{"no code_challenge", func(q url.Values) { q.Del("code_challenge") }, true, "invalid_request"},
		{"plain method", func(q url.Values) { q.Set("code_challenge_method", "plain") }, true, "invalid_request"},
		{"no method", func(q url.Values) { q.Del("code_challenge_method") }, true, "invalid_request"},
		{"short challenge", func(q url.Values) { q.Set("code_challenge", "abc") }, true, "invalid_request"},
		{"implicit flow", func(q url.Values) { q.Set("response_type", "token") }, true, "unsupported_response_type"},
		{"fragment response mode", func(q url.Values) { q.Set("response_mode", "fragment") }, true, "invalid_request"},
		{"another resource's scope", func(q url.Values) { q.Set("scope", "openid api://other/read") }, true, "invalid_scope"},
		{"a repeated parameter", func(q url.Values) { q.Add("scope", "openid") }, true, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, oidctest.Options{})
			params := authorizeParams(challenge)
			tc.change(params)
			resp := h.authorize(params)
			if !tc.redirect {
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(string(body), `role="alert"`) {
					t.Errorf("got %s Location %q, want a 400 page", resp.Status, resp.Header.Get("Location"))
				}
				return
			}
			q := h.redirected(resp)
			if q.Get("error") != tc.error || q.Get("error_description") == "" || q.Get("state") != "state-1" || q.Has("code") {
				t.Errorf("redirect query %v, want error=%s with a description and the state", q, tc.error)
			}
			if auths := h.issuer.Authorizations(); len(auths) != 1 || auths[0].Error != tc.error {
				t.Errorf("Authorizations() = %+v", auths)
			}
		})
	}
}

func TestSignInPage(t *testing.T) {
	_, challenge := pkce("p")
	t.Run("cancel", func(t *testing.T) {
		h := newHarness(t, oidctest.Options{})
		q := h.signIn(h.authorize(authorizeParams(challenge)), "")
		if q.Get("error") != "access_denied" || q.Get("state") != "state-1" || q.Has("code") {
			t.Errorf("redirect query %v, want error=access_denied and the state", q)
		}
	})
	t.Run("a page answered twice", func(t *testing.T) {
		h := newHarness(t, oidctest.Options{})
		body, _ := io.ReadAll(h.authorize(authorizeParams(challenge)).Body)
		form := url.Values{"request": {string(requestField.FindSubmatch(body)[1])}, "user": {ada.ObjectID}}
		post := func() *http.Response {
			return h.do(http.MethodPost, h.issuer.URL+"/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
		}
		if first := post(); first.StatusCode != http.StatusFound {
			t.Fatalf("first answer: %s", first.Status)
		}
		if second := post(); second.StatusCode != http.StatusBadRequest {
			t.Errorf("second answer: %s, want 400", second.Status)
		}
	})
	t.Run("the users' buttons", func(t *testing.T) {
		h := newHarness(t, oidctest.Options{})
		body, _ := io.ReadAll(h.authorize(authorizeParams(challenge)).Body)
		for _, want := range []string{"Ada Lovelace (ada@contoso.example)", "Grace Hopper (grace@contoso.example)", "Cancel"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("the sign-in page lacks %q", want)
			}
		}
	})
}

// TestPreflight: a page that sends headers beyond a simple request's is
// allowed by a preflight from its origin only.
func TestPreflight(t *testing.T) {
	h := newHarness(t, oidctest.Options{})
	for origin, want := range map[string]string{pageOrigin: pageOrigin, "http://evil.example": ""} {
		resp := h.do(http.MethodOptions, h.doc["token_endpoint"].(string), http.Header{"Origin": {origin}, "Access-Control-Request-Method": {"POST"}}, nil)
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != want {
			t.Errorf("preflight from %s: %s, Access-Control-Allow-Origin %q", origin, resp.Status, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}
