package gosdk_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/graphprofiletest"
)

// TestGraphprofiletestWithSDK: the official SDK against a server of
// graphprofiletest, as an app's own test would run it; the SDK's retry
// handler recovers from a 429 armed for its first attempt, waiting the
// Retry-After the server asked for.
func TestGraphprofiletestWithSDK(t *testing.T) {
	srv := graphprofiletest.NewServer(t)
	c := clientWithToken(t, srv.URL, srv.Token(graphprofiletest.Delegated(upn, "User.ReadWrite")))
	ctx := t.Context()

	created, err := c.Me().Profile().Positions().Post(ctx, seedPosition(), nil)
	if err != nil {
		t.Fatalf("create: %v", describe(err))
	}
	srv.ClearRequests()
	srv.FailNext(1, "429;retry-after=1", http.MethodGet, "/profile/positions")
	list, err := c.Me().Profile().Positions().Get(ctx, nil)
	if err != nil {
		t.Fatalf("list after an armed 429: %v (the retry handler should have retried)", describe(err))
	}
	if got := list.GetValue(); len(got) != 1 || str(got[0].GetId()) != str(created.GetId()) {
		t.Fatalf("the list after the retry has %d positions, want the one created", len(got))
	}

	// The journal shows both attempts: the 429, then, at least Retry-After
	// later, the retry served.
	gets := srv.Requests(graphprofiletest.RequestFilter{Method: http.MethodGet, Path: "/profile/positions"})
	if len(gets) != 2 {
		t.Fatalf("the server saw %d GETs, want the refused one and the retry", len(gets))
	}
	retry, refused := gets[0], gets[1] // newest first
	if refused.Response.Status != http.StatusTooManyRequests || refused.Response.Headers["Retry-After"][0] != "1" || retry.Response.Status != http.StatusOK {
		t.Fatalf("attempts answered %d (Retry-After %v) then %d, want 429 (1) then 200", refused.Response.Status, refused.Response.Headers["Retry-After"], retry.Response.Status)
	}
	if waited := retry.Time.Sub(refused.Time); waited < 900*time.Millisecond {
		t.Errorf("the SDK retried %v after the 429, before its Retry-After of 1 s", waited)
	}
	// The SDK's retry handler numbers its attempts.
	if attempt := retry.Request.Headers["Retry-Attempt"]; len(attempt) != 1 || attempt[0] != "1" {
		t.Errorf("the retry's Retry-Attempt header is %v, want [1]: not the SDK's retry handler?", attempt)
	}
}
