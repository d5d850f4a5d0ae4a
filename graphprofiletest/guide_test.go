package graphprofiletest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/graphprofiletest"
)

// TestGuide runs the first snippet of docs/testing-with-graphprofile.md,
// which cmd/graphprofile's TestTestingGuide finds here as it is there.
func TestGuide(t *testing.T) {
	fixtures := []byte(`{"tenants":[{"id":"` + graphprofiletest.DefaultTenant + `","users":[{"displayName":"Adele Vance","userPrincipalName":"adele@contoso.com"}]}]}`)

	srv := graphprofiletest.NewServer(t, // t is the test's *testing.T
		graphprofiletest.WithFixtures(fixtures), // optional: users and profiles to start with
		graphprofiletest.WithFaults("429=0.05"), // optional: Graph's failures at random
	)
	srv.SetClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) // deterministic timestamps (before Token)
	tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.ReadWrite"))
	// point the code under test at srv.URL + "/beta" with tok
	srv.FailNext(1, "429;retry-after=1", "GET", "/profile/positions") // its next GET fails once
	srv.Requests(graphprofiletest.RequestFilter{Status: "4xx"})       // what it sent that was refused
	srv.Reset()                                                       // empty again

	// What the snippet did, checked: the armed failure is still armed
	// (nothing called since), so the next GET is the 429.
	status, header, _ := call(t, srv, http.MethodGet, "/beta/me/profile/positions", tok, "")
	if status != http.StatusTooManyRequests || header.Get("Retry-After") != "1" {
		t.Errorf("the GET after FailNext: %d (Retry-After %q), want 429 (1)", status, header.Get("Retry-After"))
	}
	if now := srv.Now(); now.Year() != 2030 {
		t.Errorf("after SetClock the server's time is %v", now)
	}
	// The token works at the server's clock: a create is dated 2030 (a
	// token minted before SetClock would be expired by then). The random
	// 429s of WithFaults may come first.
	for attempt := 1; ; attempt++ {
		status, _, body := call(t, srv, http.MethodPost, "/beta/me/profile/positions", tok, `{}`)
		if status == http.StatusTooManyRequests && attempt < 10 {
			continue
		}
		if status != http.StatusCreated || !strings.HasPrefix(body["createdDateTime"].(string), "2030-01-01T") {
			t.Errorf("a create with the token: %d %v, want 201 dated 2030-01-01", status, body)
		}
		break
	}
}
