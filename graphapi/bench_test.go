package graphapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/token"
)

// BenchmarkListPositionsQuery is one whole list request, handler to body,
// for a user with 1,000 positions, with $filter and $orderby: the store
// read, decoding, visibility, the query and the encoding of a 100-position
// page.
func BenchmarkListPositionsQuery(b *testing.B) {
	dir := b.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	dev, err := token.LoadOrCreateDevIssuer(filepath.Join(dir, "key.pem"))
	if err != nil {
		b.Fatal(err)
	}
	srv := &graphapi.Server{Service: &graphprofile.Service{Store: store}, Authenticator: token.NewValidator(nil, dev)}
	tok, err := dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: userA1, UserPrincipalName: upnOf(userA1), Scopes: []string{"User.ReadWrite"}})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		body := fmt.Sprintf(`{"isCurrent":%v,"categories":["c%d"],"detail":{"jobTitle":"Engineer %d","layer":%d,"company":{"displayName":"Company %d"}}}`,
			i%2 == 0, i%7, i, i%10, i%13)
		req := httptest.NewRequest(http.MethodPost, "/beta/me/profile/positions", stringsReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
	}
	query := "$filter=" + url.QueryEscape("isCurrent eq true and startswith(detail/jobTitle,'Engineer') or categories/any(c: c eq 'c3')") +
		"&$orderby=" + url.QueryEscape("detail/company/displayName desc,createdDateTime")
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/beta/me/profile/positions?"+query, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("list: %d %s", rec.Code, rec.Body)
		}
	}
}
