package graphapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/graphapi"
)

// TestEncodingsRememberReadsOnly: the JSON of items is remembered for the
// reads that answer them again (GET, list), not for the item a create or an
// update returns, whose map no read has been handed: those entries would
// only hold memory. What is answered is the same either way.
func TestEncodingsRememberReadsOnly(t *testing.T) {
	srv, tok := benchServer(t)
	body, err := os.ReadFile("../testdata/seed/create-request.json")
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, body string, want int) map[string]any {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, rec.Code, want, rec.Body)
		}
		var answer map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
		return answer
	}
	const positions = "/beta/me/profile/positions"
	do(http.MethodGet, positions, "", http.StatusOK) // the collection is read, so the store caches it whole
	var ids []string
	for range 3 {
		created := do(http.MethodPost, positions, string(body), http.StatusCreated)
		ids = append(ids, created["id"].(string))
	}
	if n := graphapi.EncodingsHeld(srv); n != 0 {
		t.Errorf("after 3 creates %d encodings are held, want 0", n)
	}
	updated := do(http.MethodPatch, positions+"/"+ids[0], `{"isCurrent":false}`, http.StatusOK)
	if updated["isCurrent"] != false {
		t.Errorf("update answered isCurrent %v, want false", updated["isCurrent"])
	}
	if n := graphapi.EncodingsHeld(srv); n != 0 {
		t.Errorf("after an update %d encodings are held, want 0", n)
	}

	got := do(http.MethodGet, positions+"/"+ids[0], "", http.StatusOK)
	if got["isCurrent"] != false || got["id"] != ids[0] {
		t.Errorf("GET answered id %v isCurrent %v, want %s false", got["id"], got["isCurrent"], ids[0])
	}
	if n := graphapi.EncodingsHeld(srv); n != 1 {
		t.Errorf("after a GET %d encodings are held, want 1", n)
	}
	list := do(http.MethodGet, positions, "", http.StatusOK)
	if values, _ := list["value"].([]any); len(values) != 3 {
		t.Fatalf("the list holds %d positions, want 3", len(values))
	}
	if n := graphapi.EncodingsHeld(srv); n != 3 {
		t.Errorf("after a list of 3 %d encodings are held, want 3", n)
	}
}
