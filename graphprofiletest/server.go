// Package graphprofiletest runs graphprofile inside a Go test: the real
// server (the same HTTP handlers, permission rules and SQLite store as
// `graphprofile serve`) on a free loopback port, with its store in memory,
// closed when the test ends.
//
// Point the code under test at Server.URL+"/beta" (or "/v1.0"), give it a
// token from Server.Token, and use the server's test controls: Reset,
// LoadFixtures, Requests (the journal of what the code sent), the clock,
// and faults (WithFaults, or FaultHeader on one request) to test retries.
//
//	srv := graphprofiletest.NewServer(t)
//	tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.ReadWrite"))
//	// … call srv.URL + "/beta/me/profile/positions" with "Authorization: Bearer " + tok
//
// The controls are the admin API's (docs/admin-api.md), called over HTTP
// with an admin token the package makes up, so a test sees what any client
// would; only Token reads the store, to find a user's id.
package graphprofiletest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/internal/outage"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/token"
)

// DefaultTenant is the tenant (tid) of the tokens Token mints when the
// request names none.
const DefaultTenant = "11111111-1111-4111-8111-111111111111"

// FaultHeader, set on one request (or one $batch item), makes the server
// answer it with a fault: "429" (optionally "429;retry-after=2"), "503",
// "504" or "latency=200ms" (docs/throttling-and-faults.md). The server
// honours it because NewServer turns its admin API on.
const FaultHeader = "X-GraphProfile-Fault"

// Server is a graphprofile server running for one test.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT: Graph's paths
	// follow it (URL + "/beta/me/profile/positions").
	URL string

	t      TB
	dev    *token.DevIssuer
	clock  *graphprofile.Clock
	store  graphprofile.Store
	admin  string // the admin API's bearer token
	client *http.Client
}

// TB is what a Server needs of its test: *testing.T, *testing.B and
// testing.TB have it. A failure of the server or of a control fails the
// test (Fatalf), and the server stops with it (Cleanup).
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// options are what Options set.
type options struct {
	faults     string
	faultsSeed uint64
	throttle   string
	maxItems   int // 0: not given
	fixtures   []byte
}

// Option configures NewServer.
type Option func(*options)

// WithFaults makes the server fail and delay requests at random, as
// `serve --faults SPEC` does, e.g. "429=0.1,503=0.05,latency=20ms@0.2"
// (docs/throttling-and-faults.md).
//
// Its draws come from a source seeded with 0 (WithFaultsSeed chooses
// another seed), so that a test meets the same faults on every run, in
// the order its requests arrive: a failure it shows can be replayed.
func WithFaults(spec string) Option { return func(o *options) { o.faults = spec } }

// WithFaultsSeed seeds WithFaults' random draws, as `serve --faults-seed`
// does: another seed, another sequence of faults.
func WithFaultsSeed(seed uint64) Option { return func(o *options) { o.faultsSeed = seed } }

// WithThrottle throttles each caller to limit requests, as `serve
// --throttle --throttle-limit LIMIT` does, e.g. "5/1s"; "" is Graph's
// default limit.
func WithThrottle(limit string) Option {
	return func(o *options) {
		if limit == "" {
			limit = graphapi.DefaultThrottleLimit().String()
		}
		o.throttle = limit
	}
}

// WithMaxItems bounds each collection of a profile to n items (1 or more),
// as `serve --max-items` does.
func WithMaxItems(n int) Option {
	return func(o *options) {
		if n < 1 {
			n = -1 // not valid: NewServer fails the test
		}
		o.maxItems = n
	}
}

// WithFixtures loads users and their profiles from fixtures (the JSON of
// docs/fixtures.md, what `graphprofile export` writes) before the server
// answers its first request.
func WithFixtures(fixtures []byte) Option { return func(o *options) { o.fixtures = fixtures } }

// NewServer starts a graphprofile server for t, with its store in memory,
// the development issuer (Token mints for it) and the admin API on; the
// server stops when t ends. An option or a fixture that is not valid fails
// t.
func NewServer(t TB, opts ...Option) *Server {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxItems < 0 {
		t.Fatalf("graphprofiletest: WithMaxItems: want 1 or more")
	}
	ctx := context.Background()
	store, err := sqlite.OpenMemory(ctx)
	if err != nil {
		t.Fatalf("graphprofiletest: opening the store: %v", err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("graphprofiletest: closing the store: %v", err)
		}
	})
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("graphprofiletest: the development key: %v", err)
	}
	dev, err := token.NewDevIssuer(key)
	if err != nil {
		t.Fatalf("graphprofiletest: the development issuer: %v", err)
	}
	clock := &graphprofile.Clock{}
	dev.Now = clock.Now
	// As serve: an outage of the store is told once (internal/outage).
	service := &graphprofile.Service{Store: outage.NewStore(store, nil), Now: clock.Now, MaxItems: o.maxItems}
	if o.fixtures != nil {
		f, err := graphprofile.ParseFixtures("fixtures", o.fixtures)
		if err != nil {
			t.Fatalf("graphprofiletest: %v", err)
		}
		if err := service.LoadFixtures(ctx, f); err != nil {
			t.Fatalf("graphprofiletest: loading the fixtures: %v", err)
		}
	}
	validator := token.NewValidator(nil, dev)
	validator.Now = clock.Now
	srv := &graphapi.Server{
		Service:       service,
		Authenticator: validator,
		Addr:          "127.0.0.1:0",
		AdminToken:    randomToken(t),
		Clock:         clock,
	}
	if o.faults != "" {
		if srv.Faults, err = graphapi.ParseFaults(o.faults); err != nil {
			t.Fatalf("graphprofiletest: WithFaults(%q): %v", o.faults, err)
		}
		srv.Faults.Seed = o.faultsSeed
	}
	if o.throttle != "" {
		if srv.Throttle, err = graphapi.ParseThrottleLimit(o.throttle); err != nil {
			t.Fatalf("graphprofiletest: WithThrottle(%q): %v", o.throttle, err)
		}
	}
	if err := srv.Open(); err != nil {
		t.Fatalf("graphprofiletest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("graphprofiletest: the test ended with requests in flight: they were cut off after 5 s without an answer (%v)", err)
		}
	})
	return &Server{URL: srv.URL(), t: t, dev: dev, clock: clock, store: store, admin: srv.AdminToken, client: &http.Client{Timeout: 30 * time.Second}}
}

func randomToken(t TB) string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("graphprofiletest: %v", err)
	}
	return hex.EncodeToString(b)
}

// TokenRequest describes a token to mint: a delegated token (a signed-in
// user: ObjectID, UserPrincipalName, Scopes) or an application token
// (AppID, Roles, no user). TenantID "" is DefaultTenant.
type TokenRequest = token.MintRequest

// Delegated is the request of a delegated token of DefaultTenant for the
// user upn with scopes (e.g. "User.ReadWrite"). Token gives it the id of
// the server's user of that principal name (one loaded from fixtures, say),
// or an id derived from upn when there is none yet (the server then
// records the user on its first request), so one upn is one user. The id
// is chosen when Token mints: mint after loading the fixtures that hold
// the user. A token minted before them is of another user, whom the
// server records without a principal name, since the fixture's user has it.
func Delegated(upn string, scopes ...string) TokenRequest {
	name := upn
	if at := strings.IndexByte(upn, '@'); at > 0 {
		name = upn[:at]
	}
	return TokenRequest{TenantID: DefaultTenant, UserPrincipalName: upn, DisplayName: name, Scopes: scopes}
}

// Application is the request of an application token of DefaultTenant
// with roles (e.g. "User.ReadWrite.All").
func Application(roles ...string) TokenRequest {
	return TokenRequest{TenantID: DefaultTenant, AppID: nameGUID("graphprofiletest app"), DisplayName: "graphprofiletest", Roles: roles}
}

// nameGUID is a GUID made from name (an RFC 9562 version 8 UUID of its
// SHA-256): one name, one GUID, in every test run.
func nameGUID(name string) string {
	sum := sha256.Sum256([]byte(name))
	sum[6] = sum[6]&0x0f | 0x80 // version 8
	sum[8] = sum[8]&0x3f | 0x80 // the RFC's variant
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Token mints an access token the server accepts, issued at the server's
// clock. A delegated request without ObjectID gets the id of the tenant's
// user whose principal name is UserPrincipalName, or one derived from it.
func (s *Server) Token(req TokenRequest) string {
	s.t.Helper()
	if req.TenantID == "" {
		req.TenantID = DefaultTenant
	}
	if req.ObjectID == "" && req.UserPrincipalName != "" {
		req.ObjectID = s.userID(req.TenantID, req.UserPrincipalName)
	}
	tok, err := s.dev.Mint(req)
	if err != nil {
		s.t.Fatalf("graphprofiletest: minting a token: %v", err)
	}
	return tok
}

// userID returns the id of tenantID's user whose principal name is upn,
// read from the store (not over HTTP: a lookup must not show in the
// journal, meet an injected fault or spend the throttle), or one derived
// from upn when the tenant has no such user.
func (s *Server) userID(tenantID, upn string) string {
	s.t.Helper()
	u, err := s.store.FindUser(context.Background(), tenantID, upn)
	switch {
	case errors.Is(err, graphprofile.ErrNotFound):
		return nameGUID(tenantID + "/" + graphprofile.PrincipalNameKey(upn))
	case err != nil:
		s.t.Fatalf("graphprofiletest: looking up the user %s: %v", upn, err)
	}
	return u.ID
}

// Reset empties the server: every user and profile of every tenant. The
// journal, the clock and faults armed with FailNext stay as they are
// (ClearRequests, RealClock, ClearFaults).
func (s *Server) Reset() {
	s.t.Helper()
	s.adminCall(http.MethodPost, "/_admin/reset", nil, nil)
}

// ResetTenant empties one tenant. An empty tenantID fails the test (the
// server refuses it rather than empty every tenant); Reset empties them all.
func (s *Server) ResetTenant(tenantID string) {
	s.t.Helper()
	s.adminCall(http.MethodPost, "/_admin/reset", map[string]string{"tenantId": tenantID}, nil)
}

// LoadFixtures loads users and their profiles from fixtures (docs/fixtures.md),
// all or nothing.
func (s *Server) LoadFixtures(fixtures []byte) {
	s.t.Helper()
	s.adminCall(http.MethodPost, "/_admin/fixtures", json.RawMessage(fixtures), nil)
}

// FailNext makes the next count (at least 1) requests of method ("" any) whose path
// contains path ("" any; ignoring case) fail with fault, in FaultHeader's
// syntax ("429;retry-after=1", "503", "504"): a test of a client's retries
// arms one failure and sees the retry served. Items of a $batch count one
// by one.
func (s *Server) FailNext(count int, fault, method, path string) {
	s.t.Helper()
	s.adminCall(http.MethodPost, "/_admin/faults", map[string]any{"fault": fault, "count": count, "method": method, "path": path}, nil)
}

// ClearFaults disarms every fault FailNext armed and no request spent yet.
func (s *Server) ClearFaults() {
	s.t.Helper()
	s.adminCall(http.MethodDelete, "/_admin/faults", nil, nil)
}

// Request is one request of the journal, as GET /_admin/requests lists it.
type Request struct {
	Seq        int64     `json:"seq"`
	Time       time.Time `json:"time"`
	DurationMs float64   `json:"durationMs"`
	RequestID  string    `json:"requestId"`
	Route      string    `json:"route"`
	Caller     struct {
		TenantID string `json:"tenantId"`
		OID      string `json:"oid"`
		AppID    string `json:"appId"`
	} `json:"caller"`
	Request struct {
		Method  string              `json:"method"`
		URL     string              `json:"url"`
		Headers map[string][]string `json:"headers"`
		RequestBody
	} `json:"request"`
	Response struct {
		Status  int                 `json:"status"`
		Headers map[string][]string `json:"headers"`
		RequestBody
	} `json:"response"`
}

// RequestBody is a body of the journal (docs/admin-api.md): text, or
// BodyBase64 when it is not UTF-8; cut at 64 KiB (BodyTruncated); or
// withheld, BodyWithheld saying why (compressed in a way the journal does
// not read, so that it cannot be redacted).
type RequestBody struct {
	Body          string `json:"body"`
	BodyBase64    []byte `json:"bodyBase64,omitempty"`
	BodyTruncated bool   `json:"bodyTruncated,omitempty"`
	BodyWithheld  string `json:"bodyWithheld,omitempty"`
}

// RequestFilter selects requests of the journal; a zero field selects any.
type RequestFilter struct {
	Path   string // the path contains it, ignoring case
	Method string
	Status string // "404" or a class, "4xx"
}

// Requests returns the journal's requests that filter selects, newest
// first (tokens redacted).
func (s *Server) Requests(filter RequestFilter) []Request {
	s.t.Helper()
	q := url.Values{}
	for name, v := range map[string]string{"path": filter.Path, "method": filter.Method, "status": filter.Status} {
		if v != "" {
			q.Set(name, v)
		}
	}
	path := "/_admin/requests"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var answer struct {
		Requests []Request `json:"requests"`
	}
	s.adminCall(http.MethodGet, path, nil, &answer)
	return answer.Requests
}

// ClearRequests empties the journal.
func (s *Server) ClearRequests() {
	s.t.Helper()
	s.adminCall(http.MethodDelete, "/_admin/requests", nil, nil)
}

// SetClock sets the server's clock to now; it ticks on from there. Tokens
// are checked by this clock too: one minted before a jump of more than its
// lifetime is expired (or not yet valid) after it, so mint after SetClock.
func (s *Server) SetClock(now time.Time) {
	s.t.Helper()
	s.adminCall(http.MethodPut, "/_admin/clock", map[string]string{"now": now.Format(time.RFC3339Nano)}, nil)
}

// AdvanceClock moves the server's clock by d.
func (s *Server) AdvanceClock(d time.Duration) {
	s.t.Helper()
	s.adminCall(http.MethodPost, "/_admin/clock", map[string]string{"advance": d.String()}, nil)
}

// RealClock returns the server's clock to real time.
func (s *Server) RealClock() {
	s.t.Helper()
	s.adminCall(http.MethodDelete, "/_admin/clock", nil, nil)
}

// Now returns the time on the server's clock.
func (s *Server) Now() time.Time { return s.clock.Now() }

// adminCall sends body (JSON, when not nil) to the admin API and decodes
// the answer into out (when not nil); any answer but a 2xx fails the test.
// A json.RawMessage is sent as it is, not through json.Marshal, which
// would compact it (an error's line and column would no longer be the
// file's) and refuse what the server takes (a byte order mark).
func (s *Server) adminCall(method, path string, body, out any) {
	s.t.Helper()
	var reader io.Reader
	if raw, ok := body.(json.RawMessage); ok {
		reader = bytes.NewReader(raw)
	} else if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			s.t.Fatalf("graphprofiletest: %v", err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL+path, reader)
	if err != nil {
		s.t.Fatalf("graphprofiletest: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+s.admin)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("graphprofiletest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("graphprofiletest: %s %s: %v", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		s.t.Fatalf("graphprofiletest: %s %s: %s", method, path, firstLine(resp.Status, data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("graphprofiletest: %s %s: %v", method, path, err)
		}
	}
}

// firstLine is an error answer, short enough for a test's failure line.
func firstLine(status string, body []byte) string {
	var env struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error.Code != "" {
		return fmt.Sprintf("%s: %s: %s", status, env.Error.Code, env.Error.Message)
	}
	return fmt.Sprintf("%s: %.200s", status, body)
}
