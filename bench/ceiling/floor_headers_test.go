package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/graphprofiletest"
)

// TestGraphFloorHeadersAreGraphprofiles: the floor's answers carry the
// values graphprofile's own answers carry, read from a real server, so that
// a header graphprofile changes cannot leave the floor measuring another
// answer than graphprofile's.
func TestGraphFloorHeadersAreGraphprofiles(t *testing.T) {
	gp := graphprofiletest.NewServer(t)
	token := gp.Token(graphprofiletest.Delegated("adele@contoso.com", "User.ReadWrite"))
	do := func(method, url, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	created := do("POST", gp.URL+"/beta/me/profile/positions", `{"detail":{"jobTitle":"Engineer"}}`)
	if created.StatusCode != http.StatusCreated {
		t.Fatalf("graphprofile's create: %d", created.StatusCode)
	}
	real := do("GET", created.Header.Get("Location"), "")
	if real.StatusCode != http.StatusOK {
		t.Fatalf("graphprofile's get: %d", real.StatusCode)
	}

	h, err := newHandler(answerSizes{create: 1430, update: 1430, get: 1430, list: 14200, listItems: 10, profile: 60000, profileItems: 10})
	if err != nil {
		t.Fatal(err)
	}
	h.floor = newGraphFloor(io.Discard)
	defer h.floor.Close()
	floor := httptest.NewServer(h)
	defer floor.Close()
	floorGet := do("GET", floor.URL+"/beta/me/profile/positions/8d317c0b-9d96-4d2a-82ec-20305cfee5c8", "")

	for _, name := range []string{"Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Cache-Control", "Content-Type", "OData-Version", "Vary"} {
		if got, want := floorGet.Header.Values(name), real.Header.Values(name); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("the floor's %s: %q, graphprofile's %q", name, got, want)
		}
	}
	for _, name := range []string{"request-id", "client-request-id", "ETag"} {
		if (floorGet.Header.Get(name) == "") != (real.Header.Get(name) == "") {
			t.Errorf("the floor's %s: %q, graphprofile's %q: one is missing", name, floorGet.Header.Get(name), real.Header.Get(name))
		}
	}
}
