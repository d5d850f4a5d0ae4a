package integration_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/token"
)

// vanishingStore is a store whose users vanish right after a request has
// found them: EnsureUser records (or finds) the caller, then deletes it, as
// a reset or a DELETE /users through another server on the same database
// may do between a request's Authorize and its store call.
type vanishingStore struct {
	graphprofile.Store
}

func (s vanishingStore) EnsureUser(ctx context.Context, u graphprofile.User) (graphprofile.User, error) {
	got, err := s.Store.EnsureUser(ctx, u)
	if err != nil {
		return got, err
	}
	if err := s.Store.DeleteUser(ctx, got.Key()); err != nil {
		return graphprofile.User{}, err
	}
	return got, nil
}

// TestUserGoneMidRequest: a caller's user deleted (through another server)
// after the request found it and before it reads or writes the profile is a
// 404 Request_ResourceNotFound, as GET …/profile answers then, never a 500.
func TestUserGoneMidRequest(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			store := b.open(t, 1)[0]
			dev := newDevIssuer(t)
			url := startServer(t, vanishingStore{store}, dev)
			tok, err := dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: "5e7f0000-0000-4000-8000-0000000000e2",
				UserPrincipalName: "gone@contoso.test", DisplayName: "Gone", Scopes: []string{"User.ReadWrite"}})
			if err != nil {
				t.Fatal(err)
			}
			c := &client{t: t, token: tok, http: &http.Client{Timeout: 30 * time.Second}}
			for _, req := range []struct{ method, path, body string }{
				{http.MethodPost, positionsPath, `{"detail":{"jobTitle":"Gone"}}`},
				{http.MethodGet, positionsPath, ""},
				{http.MethodGet, positionsPath + "/$count", ""},
				{http.MethodGet, positionsPath + "?$filter=isCurrent%20eq%20true", ""},
				{http.MethodGet, "/beta/me/profile", ""},
				{http.MethodDelete, "/beta/me/profile", ""},
			} {
				r, err := c.do(req.method, url+req.path, req.body, nil)
				if err != nil && r.status != http.StatusNotFound {
					t.Errorf("%s %s: %v", req.method, req.path, err)
					continue
				}
				if r.status != http.StatusNotFound {
					t.Errorf("%s %s: %d, want 404: %s", req.method, req.path, r.status, r.raw)
					continue
				}
				if req.path == positionsPath+"/$count" {
					continue // an error of $count is JSON too, checked below for the others
				}
				e, _ := r.body["error"].(map[string]any)
				if e["code"] != "Request_ResourceNotFound" {
					t.Errorf("%s %s: error %v, want Request_ResourceNotFound", req.method, req.path, e)
				}
			}
		})
	}
}
