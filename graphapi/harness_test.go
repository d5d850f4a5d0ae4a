package graphapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/token"
)

// Tenants and users of the tests.
const (
	tenantA = "aaaaaaaa-0000-4000-8000-00000000000a"
	tenantB = "bbbbbbbb-0000-4000-8000-00000000000b"
	userA1  = "a1a1a1a1-0000-4000-8000-0000000000a1"
	userA2  = "a2a2a2a2-0000-4000-8000-0000000000a2"
	userB1  = "b1b1b1b1-0000-4000-8000-0000000000b1"
	appID   = "c0c0c0c0-0000-4000-8000-0000000000c0"
)

var guidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// errorDatePattern is the form of innerError.date: UTC, whole seconds, no zone.
var errorDatePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`)

// testServer is a real graphprofile server on a loopback port, with an
// SQLite store in a temporary directory and the development issuer.
type testServer struct {
	t          *testing.T
	url        string
	dev        *token.DevIssuer
	devKeyFile string // the development issuer's private key, for crafted tokens
	client     *http.Client
}

type serverOption func(*graphapi.Server)

func newTestServer(t *testing.T, opts ...serverOption) *testServer {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "graphprofile.db"))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "graphprofile.db-devkey.pem")
	dev, err := token.LoadOrCreateDevIssuer(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := &graphapi.Server{
		Service:       &graphprofile.Service{Store: store},
		Authenticator: token.NewValidator(nil, dev),
		Addr:          "127.0.0.1:0",
	}
	for _, opt := range opts {
		opt(srv)
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("closing the server: %v", err)
		}
		if err := store.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
	return &testServer{t: t, url: srv.URL(), dev: dev, devKeyFile: keyFile, client: &http.Client{Timeout: 30 * time.Second}}
}

// delegated mints a delegated token of tenant for user with scopes; the
// user's principal name is derived from the id.
func (s *testServer) delegated(tenant, user string, scopes ...string) string {
	s.t.Helper()
	tok, err := s.dev.Mint(token.MintRequest{
		TenantID: tenant, ObjectID: user, UserPrincipalName: upnOf(user), DisplayName: "User " + user[:4], Scopes: scopes,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// devKey is the development issuer's private key, for tokens its Mint
// would refuse to make.
func (s *testServer) devKey() *ecdsa.PrivateKey {
	s.t.Helper()
	data, err := os.ReadFile(s.devKeyFile)
	if err != nil {
		s.t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		s.t.Fatalf("%s holds no PEM block", s.devKeyFile)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		s.t.Fatal(err)
	}
	return parsed.(*ecdsa.PrivateKey)
}

// signDev signs claims as the development issuer does (ES256, its key id),
// whatever they hold.
func (s *testServer) signDev(claims jwt.MapClaims) string {
	s.t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = s.dev.KeyID()
	signed, err := tok.SignedString(s.devKey())
	if err != nil {
		s.t.Fatal(err)
	}
	return signed
}

// application mints an application token of tenant with roles.
func (s *testServer) application(tenant string, roles ...string) string {
	s.t.Helper()
	tok, err := s.dev.Mint(token.MintRequest{TenantID: tenant, AppID: appID, DisplayName: "Test App", Roles: roles})
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

func mintDelegated(tenant, user, upn string, scopes ...string) token.MintRequest {
	return token.MintRequest{TenantID: tenant, ObjectID: user, UserPrincipalName: upn, DisplayName: "User " + user[:4], Scopes: scopes}
}

func upnOf(user string) string { return "user-" + user[:4] + "@contoso.test" }

// response is a received response with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r *response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response body is not a JSON object: %v\n%s", err, r.body)
	}
	return v
}

// request is one request to send; the zero value is an anonymous GET.
type request struct {
	method string
	path   string
	token  string
	body   string
	header map[string]string
	// headerLines are sent after header, each value as a field line of
	// its own: a list split over several lines.
	headerLines http.Header
	gzipped     bool
}

func (s *testServer) do(req request) *response {
	s.t.Helper()
	var body io.Reader
	if req.body != "" || req.gzipped {
		data := []byte(req.body)
		if req.gzipped {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(data)
			_ = zw.Close()
			data = buf.Bytes()
		}
		body = bytes.NewReader(data)
	}
	method := req.method
	if method == "" {
		method = http.MethodGet
	}
	hr, err := http.NewRequest(method, s.url+req.path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if req.token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.token)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.gzipped {
		hr.Header.Set("Content-Encoding", "gzip")
	}
	for k, v := range req.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	for k, vs := range req.headerLines {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	resp, err := s.client.Do(hr)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, req.path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}
}

// create posts body to the positions of profile ("/me" or "/users/{key}")
// and returns the created position, failing the test unless it is a 201.
func (s *testServer) create(tok, profile, body string) map[string]any {
	s.t.Helper()
	resp := s.do(request{method: http.MethodPost, path: "/beta" + profile + "/profile/positions", token: tok, body: body})
	if resp.status != http.StatusCreated {
		s.t.Fatalf("create: status %d, want 201: %s", resp.status, resp.body)
	}
	return resp.json(s.t)
}

// createAt POSTs body to the positions at path (/beta/me/profile/positions,
// /beta/users/{key}/profile/positions) with tok and checks the answer: 201,
// and a Location at the owner's object id, however path named the owner. It
// returns the created position.
func (s *testServer) createAt(t *testing.T, path, tok, body, owner string) map[string]any {
	t.Helper()
	resp := s.do(request{method: http.MethodPost, path: path, token: tok, body: body})
	if resp.status != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.status, resp.body)
	}
	created := resp.json(t)
	id, _ := created["id"].(string)
	if want := s.url + "/beta/users/" + owner + "/profile/positions/" + id; resp.header.Get("Location") != want {
		t.Errorf("Location %q, want %q", resp.header.Get("Location"), want)
	}
	return created
}

// expectError checks that resp is a Graph error with status and code, and
// returns its message.
func expectError(t *testing.T, resp *response, status int, code string) string {
	t.Helper()
	if resp.status != status {
		t.Fatalf("status %d, want %d; body %s", resp.status, status, resp.body)
	}
	checkEnvelope(t, resp)
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(resp.body, &env)
	if env.Error.Code != code {
		t.Errorf("error code %q, want %q (message %q)", env.Error.Code, code, env.Error.Message)
	}
	return env.Error.Message
}

// checkEnvelope checks that resp carries Graph's error envelope and headers,
// exactly: {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
func checkEnvelope(t *testing.T, resp *response) {
	t.Helper()
	checkCommonHeaders(t, resp)
	if keys := objectKeys(t, resp.body); strings.Join(keys, ",") != "error" {
		t.Errorf("error body keys %v, want [error]: %s", keys, resp.body)
	}
	if keys := objectKeys(t, resp.body, "error"); strings.Join(keys, ",") != "code,message,innerError" {
		t.Errorf("error keys %v, want [code message innerError]", keys)
	}
	if keys := objectKeys(t, resp.body, "error", "innerError"); strings.Join(keys, ",") != "date,request-id,client-request-id" {
		t.Errorf("innerError keys %v, want [date request-id client-request-id]", keys)
	}
	inner := resp.json(t)["error"].(map[string]any)["innerError"].(map[string]any)
	if inner["request-id"] != resp.header.Get("request-id") || inner["client-request-id"] != resp.header.Get("client-request-id") {
		t.Errorf("innerError ids %v do not match the headers %v", inner, resp.header)
	}
	date, _ := inner["date"].(string)
	when, err := time.Parse("2006-01-02T15:04:05", date)
	// time.Parse takes a fraction the layout does not name: the pattern
	// holds Graph's form to whole seconds.
	if err != nil || !errorDatePattern.MatchString(date) || time.Since(when) > time.Minute || time.Until(when) > time.Minute {
		t.Errorf("innerError date %q is not the current UTC time without fraction or zone", date)
	}
	if msg, _ := resp.json(t)["error"].(map[string]any)["message"].(string); msg == "" {
		t.Error("error message is empty")
	}
}

// checkCommonHeaders checks the headers every response carries.
func checkCommonHeaders(t *testing.T, resp *response) {
	t.Helper()
	if !guidPattern.MatchString(resp.header.Get("request-id")) {
		t.Errorf("request-id %q is not a GUID", resp.header.Get("request-id"))
	}
	if resp.header.Get("client-request-id") == "" {
		t.Error("client-request-id is missing")
	}
	if _, err := http.ParseTime(resp.header.Get("Date")); err != nil {
		t.Errorf("Date header %q: %v", resp.header.Get("Date"), err)
	}
	// docs/decisions.md: "Cache-Control: no-cache on every response", as Graph sends it.
	if got := resp.header.Values("Cache-Control"); len(got) != 1 || got[0] != "no-cache" {
		t.Errorf("Cache-Control %q, want [no-cache]", got)
	}
	if len(resp.body) > 0 {
		if got := resp.header.Get("Content-Type"); got != "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8" {
			t.Errorf("Content-Type %q", got)
		}
		if got := resp.header.Get("OData-Version"); got != "4.0" {
			t.Errorf("OData-Version %q, want 4.0", got)
		}
	}
}

// objectKeys returns the keys, in order, of the JSON object at path in data.
func objectKeys(t *testing.T, data []byte, path ...string) []string {
	t.Helper()
	var raw json.RawMessage = data
	for _, p := range path {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("at %v: %v", path, err)
		}
		raw = m[p]
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		t.Fatalf("value at %v is not an object: %s", path, raw)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// get returns the value at a path of nested objects.
func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// TestCountHasODataVersion: /$count's text/plain answer carries
// OData-Version: 4.0, as every other Graph answer does.
func TestCountHasODataVersion(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	s.create(tok, "/me", `{}`)
	resp := s.do(request{path: "/beta/me/profile/positions/$count", token: tok})
	if resp.status != http.StatusOK || string(resp.body) != "1" {
		t.Fatalf("$count: %d %s", resp.status, resp.body)
	}
	if got := resp.header.Get("OData-Version"); got != "4.0" {
		t.Errorf("$count: OData-Version %q, want 4.0", got)
	}
}
