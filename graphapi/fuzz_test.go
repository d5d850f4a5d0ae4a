package graphapi_test

import (
	"bytes"
	"context"
	"encoding/json"
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

// FuzzCreatePosition sends any body as a create, through the whole handler
// and the SQLite store: the answer is a 201 or a 4xx in Graph's envelope,
// never a 500; and what a successful create returns is exactly what a read
// of it returns (what is stored is what was acknowledged).
func FuzzCreatePosition(f *testing.F) {
	for _, name := range []string{"create-request.json", "update-request.json"} {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "seed", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"allowedAudiences":"contacts,everyone","source":{"type":"x"},"detail":{"layer":-2,"startMonthYear":"2020-02-29"},"inference":{"confidenceScore":1e-7},"colleagues":[{"relationship":"sponsor"}]}`))
	f.Add([]byte(`{"id":"mine","createdBy":{"user":{"id":"x"}},"@odata.type":"#microsoft.graph.workPosition","categories":["\u00e9","\ud800"]}`))
	f.Add([]byte(`{"detail":{"jobTitle":"` + string(bytes.Repeat([]byte("x"), 1025)) + `"}}`))

	dir := f.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		f.Fatal(err)
	}
	defer store.Close()
	dev, err := token.LoadOrCreateDevIssuer(filepath.Join(dir, "key.pem"))
	if err != nil {
		f.Fatal(err)
	}
	srv := &graphapi.Server{Service: &graphprofile.Service{Store: store}, Authenticator: token.NewValidator(nil, dev), Logger: discardLogger()}
	tok, err := dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: userA1, UserPrincipalName: upnOf(userA1), Scopes: []string{"User.ReadWrite"}})
	if err != nil {
		f.Fatal(err)
	}
	serve := func(method, path string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		created := serve(http.MethodPost, "/beta/me/profile/positions", body)
		switch {
		case created.Code == http.StatusCreated:
		case created.Code >= 400 && created.Code < 500:
			var env struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(created.Body.Bytes(), &env); err != nil || env.Error.Code == "" || env.Error.Message == "" {
				t.Fatalf("%d without Graph's envelope: %s", created.Code, created.Body)
			}
			return
		default:
			t.Fatalf("status %d for body %q: %s", created.Code, body, created.Body)
		}
		var p struct{ ID string }
		if err := json.Unmarshal(created.Body.Bytes(), &p); err != nil {
			t.Fatalf("201 body is not JSON: %v", err)
		}
		got := serve(http.MethodGet, "/beta/me/profile/positions/"+p.ID, nil)
		if got.Code != http.StatusOK || !bytes.Equal(got.Body.Bytes(), created.Body.Bytes()) {
			t.Fatalf("read back differs from the create's answer:\ncreate %s\nget    %d %s", created.Body, got.Code, got.Body)
		}
		if del := serve(http.MethodDelete, "/beta/me/profile/positions/"+p.ID, nil); del.Code != http.StatusNoContent {
			t.Fatalf("delete: %d", del.Code)
		}
	})
}
