package graphapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/token"
)

// FuzzCreatePosition sends any body as a create, through the whole handler
// and the SQLite store: the answer is a 201 or a 400 in Graph's envelope
// (a 413 for a body over 1 MiB), never another status (issue 7: "every
// rejection a 400 with Graph's envelope"); and what a successful create
// returns is exactly what a read of it returns (what is stored is what was
// acknowledged).
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
		case created.Code == http.StatusBadRequest || created.Code == http.StatusRequestEntityTooLarge && len(body) > 1<<20:
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

// FuzzServeRequest sends any request (method, path, query string, body,
// Content-Type, Content-Encoding, Prefer, If-Match and the caller)
// through the whole handler and the SQLite store: never a 5xx (the store
// is healthy), and every error of a Graph route in Graph's full envelope:
// a JSON Content-Type, error.code and error.message, and an innerError with
// the request-id (the response's own) and the date.
func FuzzServeRequest(f *testing.F) {
	f.Add(uint8(0), "/beta/me/profile/positions", "$filter=isCurrent eq true&$top=2", []byte(nil), uint8(0), "", "")
	f.Add(uint8(1), "/beta/me/profile/skills", "", []byte(`{"displayName":"Go","proficiency":"expert"}`), uint8(0), "", "")
	f.Add(uint8(2), "/beta/users/"+userA1+"/profile/positions/x", "", []byte(`{"isCurrent":true}`), uint8(2), `W/"x"`, "odata.maxpagesize=1")
	f.Add(uint8(4), "/beta/$batch", "", []byte(`{"requests":[{"id":"1","method":"GET","url":"/me/profile/positions?$top=1"},{"id":"2","method":"POST","url":"/me/profile/languages","headers":{"Content-Type":"application/json"},"body":{"tag":"fr-FR"},"dependsOn":["1"]}]}`), uint8(1), "", "")
	f.Add(uint8(0), "/v1.0/users", "$filter=startswith(displayName,'A')&$count=true", []byte(nil), uint8(1), "*", "")
	f.Add(uint8(3), "/beta/me/profile", "$expand=positions($select=id)", []byte(nil), uint8(3), "", "")
	f.Add(uint8(5), "/beta/users('"+userA2+"')/profile/phones/$count", "", []byte("\x1f\x8b\x08\x00"), uint8(4), "", "")

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
	var tokens []string
	for _, req := range []token.MintRequest{
		{TenantID: tenantA, ObjectID: userA1, UserPrincipalName: upnOf(userA1), Scopes: []string{"User.ReadWrite", "User.ReadBasic.All"}},
		{TenantID: tenantA, AppID: appID, Roles: []string{"User.ReadWrite.All"}},
		{TenantID: tenantA, ObjectID: userA2, UserPrincipalName: upnOf(userA2), Scopes: []string{"User.Read"}},
	} {
		tok, err := dev.Mint(req)
		if err != nil {
			f.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodPut, http.MethodOptions}
	contentTypes := []string{"application/json", "application/json; charset=utf-8", "text/plain", ""}

	f.Fuzz(func(t *testing.T, method uint8, path, rawQuery string, body []byte, caller uint8, ifMatch, prefer string) {
		u, err := url.ParseRequestURI(path)
		if err != nil || u.RawQuery != "" || u.Host != "" || !strings.HasPrefix(path, "/") {
			return // net/http refuses it before any handler
		}
		if _, err := url.ParseQuery(rawQuery); err != nil && strings.ContainsAny(rawQuery, " #") {
			return // not a request line net/http reads
		}
		u.RawQuery = rawQuery
		req := httptest.NewRequest(http.MethodGet, "/", bytes.NewReader(body))
		req.Method, req.URL, req.RequestURI = methods[int(method)%len(methods)], u, u.RequestURI()
		if n := int(caller) % (len(tokens) + 1); n < len(tokens) {
			req.Header.Set("Authorization", "Bearer "+tokens[n])
		}
		if ct := contentTypes[int(caller>>2)%len(contentTypes)]; ct != "" && body != nil {
			req.Header.Set("Content-Type", ct)
		}
		if caller&0x40 != 0 {
			req.Header.Set("Content-Encoding", "gzip")
		}
		for name, v := range map[string]string{"If-Match": ifMatch, "Prefer": prefer} {
			if v != "" && !strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
				req.Header.Set(name, v)
			}
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s: %d %s", req.Method, path, rawQuery, rec.Code, rec.Body)
		}
		graph := strings.HasPrefix(strings.ToLower(u.Path), "/beta") || strings.HasPrefix(strings.ToLower(u.Path), "/v1.0")
		if rec.Code < 400 || req.Method == http.MethodHead || !graph {
			return
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s %s?%s: %d with Content-Type %q: %s", req.Method, path, rawQuery, rec.Code, ct, rec.Body)
		}
		var env struct {
			Error struct {
				Code, Message string
				InnerError    struct {
					Date      string
					RequestID string `json:"request-id"`
				}
			}
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error.Code == "" || env.Error.Message == "" ||
			env.Error.InnerError.Date == "" || env.Error.InnerError.RequestID == "" || !slices.Contains(rec.Header()["request-id"], env.Error.InnerError.RequestID) { // sent in lower case, as Graph does

			t.Fatalf("%s %s?%s: %d without Graph's envelope: %s", req.Method, path, rawQuery, rec.Code, rec.Body)
		}
	})
}
