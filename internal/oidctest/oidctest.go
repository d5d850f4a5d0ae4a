// Package oidctest is an OpenID Connect issuer for tests. It serves the OAuth
// 2.0 authorization code flow with PKCE (RFC 6749 section 4.1, RFC 7636) the
// way Entra ID serves a single-page application, on a loopback listener like
// httptest.Server, and signs the Microsoft Graph access tokens that
// graphprofile serve --issuer <Server.Issuer> accepts.
//
// Its paths follow Entra ID's, so that what works against it works against
// Entra: for a tenant T (the tenant id, or "organizations" and "common" for a
// multi-tenant issuer)
//
//	GET  /T/v2.0/.well-known/openid-configuration   the discovery document
//	GET  /discovery/v2.0/keys                       the key set (one RSA key)
//	GET  /T/oauth2/v2.0/authorize                   the sign-in page, or a redirect
//	POST /T/oauth2/v2.0/token                       the code for a token
//	POST /login                                     the sign-in page's buttons
//
// Every client is a single-page application: its token requests come from a
// browser, cross-origin, and must carry an Origin of one of its redirect
// URIs (Entra refuses them otherwise), and the token endpoint's answers carry
// the CORS headers for that origin.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultTenantID is the tenant of Options.TenantID's zero value.
const DefaultTenantID = "6f7c4b2e-1d3a-4c5b-9e8f-0a1b2c3d4e5f"

// Graph's audience and the prefix of its scopes, as Entra ID names them.
const (
	graphAudience    = "https://graph.microsoft.com"
	graphScopePrefix = "https://graph.microsoft.com/"
	graphAppIDPrefix = "00000003-0000-0000-c000-000000000000/"
)

// Defaults of Options.
const (
	defaultCodeLifetime  = time.Minute
	defaultTokenLifetime = time.Hour
)

// tenantPlaceholder stands for the tenant in a multi-tenant issuer's URL, as
// in Entra ID's discovery documents of "common" and "organizations".
const tenantPlaceholder = "{tenantid}"

// maxFormSize bounds the body of a POST: real ones are under 2 KiB.
const maxFormSize = 64 << 10

// signingKeyID is the kid of the issuer's one key.
const signingKeyID = "oidctest-1"

// oidcScopes are the OpenID Connect scopes a client may ask for beside
// Graph's: they shape the sign-in, not the access token's scp.
var oidcScopes = []string{"openid", "profile", "email", "offline_access"}

// User is a person who can sign in.
type User struct {
	ObjectID          string // oid; required
	UserPrincipalName string // upn and preferred_username
	DisplayName       string // name, and the sign-in page's button
	// TenantID is the user's tenant (tid); empty means Options.TenantID.
	// Only a multi-tenant issuer signs for several tenants.
	TenantID string
}

// Client is an application registered as a single-page application.
type Client struct {
	ID string // client_id; required
	// RedirectURIs are compared exactly with a request's redirect_uri; their
	// origins are the origins the token endpoint answers.
	RedirectURIs []string
	// DefaultScopes are the Graph permissions granted when a request names
	// none of Graph's, or names https://graph.microsoft.com/.default; nil
	// means User.Read, the one a new Entra registration has.
	DefaultScopes []string
}

// Options configure a Server; the zero value is a single-tenant issuer with
// no clients and no users (RegisterClient adds clients later).
type Options struct {
	// TenantID is the tenant of a single-tenant issuer and of the users
	// that name none; empty means DefaultTenantID.
	TenantID string
	// MultiTenant makes the issuer Entra ID's multi-tenant form,
	// URL/{tenantid}/v2.0, whose sign-in endpoints are under
	// "organizations" (and "common"), each token's iss naming its user's
	// tenant.
	MultiTenant bool
	Clients     []Client
	Users       []User
	// AutoApprove, an ObjectID of Users, signs that user in without
	// showing the sign-in page.
	AutoApprove string
	// CodeLifetime is how long an authorization code (and a sign-in page)
	// may be used; zero means a minute.
	CodeLifetime time.Duration
	// TokenLifetime is the access token's; zero means an hour.
	TokenLifetime time.Duration
	// Now is the clock of codes and tokens; nil means time.Now.
	Now func() time.Time
}

// Authorization is one request the authorization endpoint received, as sent.
type Authorization struct {
	ClientID, RedirectURI, ResponseType, Scope, State string
	CodeChallenge, CodeChallengeMethod                string
	// Error is the error code it was answered with; empty when it led to
	// the sign-in page or a code.
	Error string
}

// Exchange is one request the token endpoint received, as sent.
type Exchange struct {
	GrantType, Code, ClientID, RedirectURI, CodeVerifier string
	Origin                                               string // the Origin header
	// Error is the error code it was answered with; empty when it got a
	// token.
	Error string
}

// Server is a running test issuer. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the listener, http://127.0.0.1:port.
	URL string
	// Issuer is what graphprofile serve --issuer takes:
	// URL/<tenant>/v2.0, or URL/{tenantid}/v2.0 for a multi-tenant issuer.
	Issuer string

	server        *httptest.Server
	key           *rsa.PrivateKey
	tenantID      string
	multiTenant   bool
	users         []User
	autoApprove   *User
	codeLifetime  time.Duration
	tokenLifetime time.Duration
	now           func() time.Time

	mu             sync.Mutex
	clients        map[string]Client
	pending        map[string]*pendingSignIn // by the sign-in page's request id
	codes          map[string]*grant         // issued, not yet redeemed
	spent          map[string]bool           // redeemed or refused once
	authorizations []Authorization
	exchanges      []Exchange
}

// pendingSignIn is a valid authorization request waiting for the sign-in
// page's answer.
type pendingSignIn struct {
	grant   grant
	state   string
	expires time.Time
}

// grant is what an authorization code stands for.
type grant struct {
	clientID, redirectURI, challenge string
	scopes                           []string // Graph's, without the prefix
	grantedScope                     string   // the token response's scope
	user                             User
	expires                          time.Time
}

// NewServer starts an issuer on a loopback port. It panics on options that
// cannot work (a user without an object id, AutoApprove naming nobody), as
// httptest.NewServer panics when it cannot listen: they are mistakes of the
// test. Close it when done.
func NewServer(opts Options) *Server {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("oidctest: generating the signing key: " + err.Error())
	}
	s := &Server{
		key:           key,
		tenantID:      orDefault(opts.TenantID, DefaultTenantID),
		multiTenant:   opts.MultiTenant,
		codeLifetime:  opts.CodeLifetime,
		tokenLifetime: opts.TokenLifetime,
		now:           opts.Now,
		clients:       map[string]Client{},
		pending:       map[string]*pendingSignIn{},
		codes:         map[string]*grant{},
		spent:         map[string]bool{},
	}
	if s.codeLifetime <= 0 {
		s.codeLifetime = defaultCodeLifetime
	}
	if s.tokenLifetime <= 0 {
		s.tokenLifetime = defaultTokenLifetime
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, u := range opts.Users {
		if u.ObjectID == "" {
			panic("oidctest: a user needs an ObjectID")
		}
		if u.TenantID == "" {
			u.TenantID = s.tenantID
		}
		if !s.multiTenant && u.TenantID != s.tenantID {
			panic(fmt.Sprintf("oidctest: user %s is of tenant %s, but a single-tenant issuer signs for %s only", u.ObjectID, u.TenantID, s.tenantID))
		}
		s.users = append(s.users, u)
	}
	if opts.AutoApprove != "" {
		i := slices.IndexFunc(s.users, func(u User) bool { return u.ObjectID == opts.AutoApprove })
		if i < 0 {
			panic("oidctest: AutoApprove names no user: " + opts.AutoApprove)
		}
		s.autoApprove = &s.users[i]
	}
	for _, c := range opts.Clients {
		s.RegisterClient(c)
	}

	mux := http.NewServeMux()
	for _, tenant := range s.signInTenants() {
		mux.HandleFunc("GET /"+tenant+"/v2.0/.well-known/openid-configuration", s.discovery(tenant))
		mux.HandleFunc("/"+tenant+"/oauth2/v2.0/authorize", s.authorize)
		mux.HandleFunc("/"+tenant+"/oauth2/v2.0/token", s.token)
	}
	mux.HandleFunc("GET /discovery/v2.0/keys", s.keys)
	mux.HandleFunc("/login", s.login)
	// The handlers read URL and Issuer: they are set before the server
	// starts serving.
	s.server = httptest.NewUnstartedServer(mux)
	s.URL = "http://" + s.server.Listener.Addr().String()
	s.Issuer = s.URL + "/" + s.tenantID + "/v2.0"
	if s.multiTenant {
		s.Issuer = s.URL + "/" + tenantPlaceholder + "/v2.0"
	}
	s.server.Start()
	return s
}

// Close shuts the issuer down.
func (s *Server) Close() { s.server.Close() }

// RegisterClient registers c, or replaces the client of the same ID: a test
// that learns its redirect URI late (the port of a server it starts) adds
// it then.
func (s *Server) RegisterClient(c Client) {
	if c.ID == "" {
		panic("oidctest: a client needs an ID")
	}
	for _, uri := range c.RedirectURIs {
		if _, err := origin(uri); err != nil {
			panic(fmt.Sprintf("oidctest: client %s: redirect URI %q: %v", c.ID, uri, err))
		}
	}
	if c.DefaultScopes == nil {
		c.DefaultScopes = []string{"User.Read"}
	}
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	s.mu.Lock()
	s.clients[c.ID] = c
	s.mu.Unlock()
}

// Authorizations returns the requests the authorization endpoint received,
// oldest first.
func (s *Server) Authorizations() []Authorization {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.authorizations)
}

// Exchanges returns the requests the token endpoint received, oldest first.
func (s *Server) Exchanges() []Exchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.exchanges)
}

// AccessToken signs a Graph access token for user with the Graph
// permissions scopes (such as "User.ReadWrite"), as the token endpoint does
// for clientID: for tests that need a token without the flow.
func (s *Server) AccessToken(user User, clientID string, scopes ...string) (string, error) {
	if user.TenantID == "" {
		user.TenantID = s.tenantID
	}
	now := s.now()
	claims := jwt.MapClaims{
		"iss": s.issuerOf(user.TenantID), "aud": graphAudience, "ver": "2.0",
		"tid": user.TenantID, "oid": user.ObjectID, "sub": user.ObjectID,
		"scp": strings.Join(scopes, " "), "azp": clientID, "appid": clientID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(s.tokenLifetime).Unix(),
	}
	if user.UserPrincipalName != "" {
		claims["upn"] = user.UserPrincipalName
		claims["preferred_username"] = user.UserPrincipalName
	}
	if user.DisplayName != "" {
		claims["name"] = user.DisplayName
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = signingKeyID
	return t.SignedString(s.key)
}

// issuerOf is the iss of a token of tenant.
func (s *Server) issuerOf(tenant string) string {
	return strings.Replace(s.Issuer, tenantPlaceholder, tenant, 1)
}

// signInTenants are the tenant segments of the endpoints' paths: the tenant
// id, or Entra ID's "organizations" and "common" for a multi-tenant issuer.
func (s *Server) signInTenants() []string {
	if s.multiTenant {
		return []string{"organizations", "common"}
	}
	return []string{s.tenantID}
}

// discovery serves the discovery document of the endpoints under tenant.
func (s *Server) discovery(tenant string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		base := s.URL + "/" + tenant + "/oauth2/v2.0"
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer":                                s.Issuer,
			"authorization_endpoint":                base + "/authorize",
			"token_endpoint":                        base + "/token",
			"jwks_uri":                              s.URL + "/discovery/v2.0/keys",
			"response_types_supported":              []string{"code"},
			"response_modes_supported":              []string{"query"},
			"grant_types_supported":                 []string{"authorization_code"},
			"code_challenge_methods_supported":      []string{"S256"},
			"token_endpoint_auth_methods_supported": []string{"none"},
			"scopes_supported":                      oidcScopes,
			"subject_types_supported":               []string{"pairwise"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	}
}

// keys serves the key set: the one RSA key.
func (s *Server) keys(w http.ResponseWriter, r *http.Request) {
	b64 := base64.RawURLEncoding.EncodeToString
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": signingKeyID,
		"n": b64(s.key.N.Bytes()), "e": b64(big.NewInt(int64(s.key.E)).Bytes()),
	}}})
}

// authorize serves the authorization endpoint (RFC 6749 section 4.1.1 with
// RFC 7636 section 4.3). A request whose client or redirect URI is not
// registered gets a 400 page, since redirecting it would send the user to a
// place nobody vouched for (section 4.1.2.1); any other error is redirected
// to the redirect URI with error= and the state.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writePage(w, http.StatusMethodNotAllowed, "Method not allowed", "The authorization endpoint answers GET.")
		return
	}
	q := r.URL.Query()
	req := Authorization{
		ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
		ResponseType: q.Get("response_type"), Scope: q.Get("scope"), State: q.Get("state"),
		CodeChallenge: q.Get("code_challenge"), CodeChallengeMethod: q.Get("code_challenge_method"),
	}
	record := func(code string) {
		req.Error = code
		s.mu.Lock()
		s.authorizations = append(s.authorizations, req)
		s.mu.Unlock()
	}
	s.mu.Lock()
	client, known := s.clients[req.ClientID]
	s.mu.Unlock()
	switch {
	case req.ClientID == "" || len(q["client_id"]) > 1:
		record("invalid_request")
		writePage(w, http.StatusBadRequest, "Sign-in failed", "The request names no client_id, or more than one.")
		return
	case !known:
		record("unauthorized_client")
		writePage(w, http.StatusBadRequest, "Sign-in failed", "The application "+req.ClientID+" is not registered with this issuer.")
		return
	case len(q["redirect_uri"]) != 1 || !slices.Contains(client.RedirectURIs, req.RedirectURI):
		record("invalid_request")
		writePage(w, http.StatusBadRequest, "Sign-in failed",
			"The redirect URI "+req.RedirectURI+" is not registered for the application "+req.ClientID+"; it must equal one of its redirect URIs exactly.")
		return
	}
	fail := func(code, description string) {
		record(code)
		redirect(w, r, req.RedirectURI, url.Values{"error": {code}, "error_description": {description}}, req.State)
	}
	for name, values := range q {
		if len(values) > 1 {
			fail("invalid_request", "The parameter "+name+" is given more than once.")
			return
		}
	}
	switch {
	case req.ResponseType != "code":
		fail("unsupported_response_type", "This issuer serves the authorization code flow only: response_type must be code.")
		return
	case q.Has("response_mode") && q.Get("response_mode") != "query":
		fail("invalid_request", "This issuer returns the code in the query only: response_mode must be query.")
		return
	case req.CodeChallenge == "":
		fail("invalid_request", "PKCE is required: the request has no code_challenge.")
		return
	case req.CodeChallengeMethod != "S256":
		fail("invalid_request", "The code_challenge_method must be S256 (plain is not supported).")
		return
	case !validChallenge(req.CodeChallenge):
		fail("invalid_request", "The code_challenge must be the base64url SHA-256 of the verifier: 43 characters.")
		return
	}
	scopes, granted, err := grantedScopes(req.Scope, client.DefaultScopes)
	if err != nil {
		fail("invalid_scope", err.Error())
		return
	}
	record("")
	g := grant{clientID: req.ClientID, redirectURI: req.RedirectURI, challenge: req.CodeChallenge, scopes: scopes, grantedScope: granted}
	if s.autoApprove != nil {
		g.user = *s.autoApprove
		s.redirectWithCode(w, r, g, req.State)
		return
	}
	id := randomString()
	s.mu.Lock()
	s.pending[id] = &pendingSignIn{grant: g, state: req.State, expires: s.now().Add(s.codeLifetime)}
	s.mu.Unlock()
	s.signInPage(w, id, req.ClientID)
}

// login serves the sign-in page's form: the user chosen, or cancel.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writePage(w, http.StatusMethodNotAllowed, "Method not allowed", "The sign-in page's form is posted.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseForm(); err != nil {
		writePage(w, http.StatusBadRequest, "Sign-in failed", "The form could not be read.")
		return
	}
	s.mu.Lock()
	p := s.pending[r.PostForm.Get("request")]
	delete(s.pending, r.PostForm.Get("request"))
	s.mu.Unlock()
	if p == nil || !s.now().Before(p.expires) {
		writePage(w, http.StatusBadRequest, "Sign-in failed", "This sign-in page has been used or has expired: start again from the application.")
		return
	}
	if r.PostForm.Has("cancel") {
		redirect(w, r, p.grant.redirectURI, url.Values{"error": {"access_denied"}, "error_description": {"The user cancelled the sign-in."}}, p.state)
		return
	}
	i := slices.IndexFunc(s.users, func(u User) bool { return u.ObjectID == r.PostForm.Get("user") })
	if i < 0 {
		writePage(w, http.StatusBadRequest, "Sign-in failed", "No such user.")
		return
	}
	p.grant.user = s.users[i]
	s.redirectWithCode(w, r, p.grant, p.state)
}

// redirectWithCode issues a code for g and sends the browser back with it.
func (s *Server) redirectWithCode(w http.ResponseWriter, r *http.Request, g grant, state string) {
	code := randomString()
	g.expires = s.now().Add(s.codeLifetime)
	s.mu.Lock()
	s.codes[code] = &g
	s.mu.Unlock()
	redirect(w, r, g.redirectURI, url.Values{"code": {code}}, state)
}

// token serves the token endpoint (RFC 6749 sections 4.1.3 and 5, RFC 7636
// section 4.5). A code is spent by the first exchange that names it, whether
// that succeeds or not, so that a wrong verifier cannot be retried.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		s.allowOrigin(w, r)
		w.Header().Set("Access-Control-Allow-Methods", http.MethodPost)
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.allowOrigin(w, r)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost+", "+http.MethodOptions)
		writeTokenError(w, http.StatusMethodNotAllowed, "invalid_request", "The token endpoint answers POST.")
		return
	}
	ex := Exchange{Origin: r.Header.Get("Origin")}
	fail := func(status int, code, description string) {
		ex.Error = code
		s.mu.Lock()
		s.exchanges = append(s.exchanges, ex)
		s.mu.Unlock()
		writeTokenError(w, status, code, description)
	}
	if mediaType, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); !strings.EqualFold(strings.TrimSpace(mediaType), "application/x-www-form-urlencoded") {
		fail(http.StatusBadRequest, "invalid_request", "The body must be application/x-www-form-urlencoded.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "invalid_request", "The form could not be read.")
		return
	}
	f := r.PostForm
	ex.GrantType, ex.Code, ex.ClientID = f.Get("grant_type"), f.Get("code"), f.Get("client_id")
	ex.RedirectURI, ex.CodeVerifier = f.Get("redirect_uri"), f.Get("code_verifier")
	for name, values := range f {
		if len(values) > 1 {
			fail(http.StatusBadRequest, "invalid_request", "The parameter "+name+" is given more than once.")
			return
		}
	}
	s.mu.Lock()
	client, known := s.clients[ex.ClientID]
	g := s.codes[ex.Code]
	wasSpent := s.spent[ex.Code]
	if ex.Code != "" {
		delete(s.codes, ex.Code)
		s.spent[ex.Code] = true
	}
	s.mu.Unlock()
	switch {
	case ex.GrantType == "":
		fail(http.StatusBadRequest, "invalid_request", "The request has no grant_type.")
	case ex.GrantType != "authorization_code":
		fail(http.StatusBadRequest, "unsupported_grant_type", "This issuer serves the authorization_code grant only.")
	case ex.ClientID == "":
		fail(http.StatusBadRequest, "invalid_request", "The request has no client_id.")
	case !known:
		fail(http.StatusBadRequest, "invalid_client", "The application "+ex.ClientID+" is not registered with this issuer.")
	case !slices.ContainsFunc(client.RedirectURIs, func(uri string) bool { o, _ := origin(uri); return o == ex.Origin }):
		// Entra ID's AADSTS9002327: a single-page application's code is
		// redeemed by the browser, cross-origin, from its own page.
		fail(http.StatusBadRequest, "invalid_request", "Tokens issued for a single-page application may only be redeemed by cross-origin requests from the origin of one of its redirect URIs.")
	case ex.Code == "":
		fail(http.StatusBadRequest, "invalid_request", "The request has no code.")
	case ex.CodeVerifier == "":
		fail(http.StatusBadRequest, "invalid_request", "The request has no code_verifier: PKCE is required.")
	case wasSpent:
		fail(http.StatusBadRequest, "invalid_grant", "The authorization code was already redeemed.")
	case g == nil:
		fail(http.StatusBadRequest, "invalid_grant", "The authorization code is not one this issuer issued.")
	case !s.now().Before(g.expires):
		fail(http.StatusBadRequest, "invalid_grant", "The authorization code has expired.")
	case ex.ClientID != g.clientID:
		fail(http.StatusBadRequest, "invalid_grant", "The authorization code was issued to another application.")
	case ex.RedirectURI != g.redirectURI:
		fail(http.StatusBadRequest, "invalid_grant", "The redirect_uri is not the one of the authorization request.")
	case !verifies(ex.CodeVerifier, g.challenge):
		fail(http.StatusBadRequest, "invalid_grant", "The code_verifier does not match the code_challenge.")
	default:
		accessToken, err := s.AccessToken(g.user, g.clientID, g.scopes...)
		if err != nil {
			fail(http.StatusInternalServerError, "server_error", "Signing the token failed.")
			return
		}
		s.mu.Lock()
		s.exchanges = append(s.exchanges, ex)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token": accessToken, "token_type": "Bearer",
			"expires_in": int(s.tokenLifetime / time.Second), "scope": g.grantedScope,
		})
	}
}

// allowOrigin answers a browser's cross-origin request from the origin of a
// registered redirect URI.
func (s *Server) allowOrigin(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Origin")
	o := r.Header.Get("Origin")
	if o == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		for _, uri := range c.RedirectURIs {
			if registered, _ := origin(uri); registered == o {
				w.Header().Set("Access-Control-Allow-Origin", o)
				return
			}
		}
	}
}

// signInPage shows a button for each user.
func (s *Server) signInPage(w http.ResponseWriter, request, clientID string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action *")
	_ = signInTemplate.Execute(w, map[string]any{"Request": request, "Client": clientID, "Users": s.users})
}

var signInTemplate = template.Must(template.New("sign-in").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Sign in (test issuer)</title>
<style>body{font:16px system-ui,sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem}button{display:block;width:100%;margin:.5rem 0;padding:.6rem;font:inherit;text-align:left}</style>
</head><body><main>
<h1>Sign in</h1>
<p>The application <code>{{.Client}}</code> asks you to sign in. Pick an account of this test issuer.</p>
<form method="post" action="/login">
<input type="hidden" name="request" value="{{.Request}}">
{{range .Users}}<button type="submit" name="user" value="{{.ObjectID}}">{{.DisplayName}} ({{.UserPrincipalName}})</button>
{{end}}<button type="submit" name="cancel" value="1">Cancel</button>
</form></main></body></html>
`))

// grantedScopes reads a request's scope: OpenID Connect's scopes, and Graph's
// permissions as Entra ID takes them (https://graph.microsoft.com/X, Graph's
// application id and /X, or a bare X). It returns Graph's permissions without
// the prefix (defaults when none is named, or .default) and the scope of
// the token response.
func grantedScopes(scope string, defaults []string) (permissions []string, granted string, err error) {
	var asked []string
	var defaulted bool
	for _, s := range strings.Fields(scope) {
		if slices.Contains(oidcScopes, s) {
			asked = append(asked, s)
			continue
		}
		permission := strings.TrimPrefix(strings.TrimPrefix(s, graphScopePrefix), graphAppIDPrefix)
		switch {
		case permission == ".default":
			defaulted = true
		case permission == "" || strings.Contains(permission, "/"):
			return nil, "", fmt.Errorf("The scope %s is not a permission of Microsoft Graph, the one resource of this issuer.", s)
		case !slices.Contains(permissions, permission):
			permissions = append(permissions, permission)
		}
	}
	if defaulted || len(permissions) == 0 {
		for _, p := range defaults {
			if !slices.Contains(permissions, p) {
				permissions = append(permissions, p)
			}
		}
	}
	for _, p := range permissions {
		asked = append(asked, graphScopePrefix+p)
	}
	return permissions, strings.Join(asked, " "), nil
}

// validChallenge reports whether c can be an S256 challenge: the unpadded
// base64url of 32 bytes.
func validChallenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// verifies reports whether verifier is a code verifier (RFC 7636 section
// 4.1: 43 to 128 unreserved characters) whose S256 transform is challenge.
func verifies(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for _, c := range verifier {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.ContainsRune("-._~", c)) {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// origin is the scheme://host[:port] of an absolute http(s) URL.
func origin(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	switch {
	case err != nil:
		return "", err
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "", fmt.Errorf("want an absolute http or https URL")
	case u.Fragment != "":
		return "", fmt.Errorf("a redirect URI has no fragment (RFC 6749 section 3.1.2)")
	}
	return u.Scheme + "://" + u.Host, nil
}

// redirect sends the browser to target with params and state added to its
// query (RFC 6749 section 4.1.2: the redirect URI's own query is kept).
func redirect(w http.ResponseWriter, r *http.Request, target string, params url.Values, state string) {
	u, err := url.Parse(target)
	if err != nil {
		writePage(w, http.StatusBadRequest, "Sign-in failed", "The redirect URI is not a URL.")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// writePage answers with a small HTML page saying what went wrong.
func writePage(w http.ResponseWriter, status int, title, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = errorTemplate.Execute(w, map[string]string{"Title": title, "Message": message})
}

var errorTemplate = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body><main><h1>{{.Title}}</h1><p role="alert">{{.Message}}</p></main></body></html>
`))

// writeTokenError answers with RFC 6749 section 5.2's error object.
func writeTokenError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// writeJSON answers with v as JSON, never cached: token responses must not
// be (RFC 6749 section 5.1), and nothing else here needs to be.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// randomString is 32 random bytes, base64url: codes and request ids.
func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// orDefault is s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
