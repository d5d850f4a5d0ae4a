package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/graphprofiletest"
)

// TestGraphFloorHeadersAreGraphprofiles: the floor's answers to a create, a
// get and a list carry the values graphprofile's own answers carry, read
// from a real server, so that
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

	location := regexp.MustCompile(`^http://[^/]+/beta/users/[^/]+/profile/positions/[^/]+$`)
	tests := []struct {
		name             string
		real, floorReply *http.Response
	}{
		{"a create", created, do("POST", floor.URL+"/beta/me/profile/positions", `{"detail":{"jobTitle":"Engineer"}}`)},
		{"a get", real, do("GET", floor.URL+"/beta/me/profile/positions/8d317c0b-9d96-4d2a-82ec-20305cfee5c8", "")},
		{"a list", do("GET", gp.URL+"/beta/me/profile/positions?$top=10", ""), do("GET", floor.URL+"/beta/me/profile/positions?$top=10", "")},
	}
	for _, tc := range tests {
		for _, name := range []string{"Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Cache-Control", "Content-Type", "OData-Version", "Vary"} {
			if got, want := tc.floorReply.Header.Values(name), tc.real.Header.Values(name); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: the floor's %s: %q, graphprofile's %q", tc.name, name, got, want)
			}
		}
		for _, name := range []string{"request-id", "client-request-id", "ETag", "Location"} {
			if (tc.floorReply.Header.Get(name) == "") != (tc.real.Header.Get(name) == "") {
				t.Errorf("%s: the floor's %s: %q, graphprofile's %q: one is missing", tc.name, name, tc.floorReply.Header.Get(name), tc.real.Header.Get(name))
			}
		}
		if l := tc.real.Header.Get("Location"); l != "" && (!location.MatchString(l) || !location.MatchString(tc.floorReply.Header.Get("Location"))) {
			t.Errorf("%s: Location %q, the floor's %q: not both of the form %s", tc.name, l, tc.floorReply.Header.Get("Location"), location)
		}
	}
}
