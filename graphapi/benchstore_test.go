package graphapi_test

import (
	"context"
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
