package graphapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/token"
)

// benchStore opens what the benchmarks' servers stand on: a durable SQLite
// store and a development issuer, in a directory of their own, closed when
// the benchmark ends.
func benchStore(b testing.TB) (*sqlite.Store, *token.DevIssuer) {
	b.Helper()
	dir := b.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	dev, err := token.LoadOrCreateDevIssuer(filepath.Join(dir, "key.pem"))
	if err != nil {
		b.Fatal(err)
	}
	return store, dev
}

// benchToken mints a delegated token of userA1 (tenantA) with scope.
func benchToken(b testing.TB, dev *token.DevIssuer, scope string) string {
	b.Helper()
	tok, err := dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: userA1, UserPrincipalName: upnOf(userA1), Scopes: []string{scope}})
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

// benchServer is a handler on a store of benchStore, with the defaults, and
// a token of userA1 with User.ReadWrite for it.
func benchServer(b testing.TB) (*graphapi.Server, string) {
	b.Helper()
	store, dev := benchStore(b)
	srv := &graphapi.Server{Service: &graphprofile.Service{Store: store}, Authenticator: token.NewValidator(nil, dev)}
	return srv, benchToken(b, dev, "User.ReadWrite")
}

// examplePosition is the docs' example position, as a create's body.
func examplePosition(b testing.TB) string {
	b.Helper()
	body, err := os.ReadFile(filepath.Join("..", "testdata", "seed", "create-request.json"))
	if err != nil {
		b.Fatal(err)
	}
	return string(body)
}

// benchCreate POSTs body to the positions of tok's user through srv's
// handler and returns the answer, failing the benchmark unless it is 201.
func benchCreate(b testing.TB, srv http.Handler, tok, body string) *httptest.ResponseRecorder {
	b.Helper()
	req := httptest.NewRequest(http.MethodPost, "/beta/me/profile/positions", stringsReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		b.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	return rec
}
