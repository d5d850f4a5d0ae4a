package graphprofiletest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/graphprofiletest"
)

// call sends body (JSON, "" for none) with tok and returns the status,
// headers and decoded JSON answer (nil when not JSON).
func call(t *testing.T, srv *graphprofiletest.Server, method, path, tok, body string, header ...string) (int, http.Header, map[string]any) {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var answer map[string]any
	_ = json.Unmarshal(data, &answer)
	return resp.StatusCode, resp.Header, answer
}

func positions(t *testing.T, srv *graphprofiletest.Server, tok string) []any {
	t.Helper()
	status, _, answer := call(t, srv, http.MethodGet, "/beta/me/profile/positions", tok, "")
	if status != http.StatusOK {
		t.Fatalf("list: %d %v", status, answer)
	}
	return answer["value"].([]any)
}

func TestTokensStateAndReset(t *testing.T) {
	srv := graphprofiletest.NewServer(t)
	adele := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.ReadWrite"))
	status, header, created := call(t, srv, http.MethodPost, "/beta/me/profile/positions", adele, `{"detail":{"jobTitle":"PM"}}`)
	if status != http.StatusCreated || header.Get("Location") == "" {
		t.Fatalf("create: %d %v", status, created)
	}
	if loc := header.Get("Location"); !strings.HasPrefix(loc, srv.URL+"/beta/users/") || !strings.HasSuffix(loc, fmt.Sprintf("/profile/positions/%v", created["id"])) {
		t.Errorf("Location %q is not the created position %v", loc, created["id"])
	}
	if detail, _ := created["detail"].(map[string]any); detail["jobTitle"] != "PM" {
		t.Errorf("the created position %v lacks its jobTitle", created)
	}
	// The same upn is the same user in a new token; an application reads
	// the user by principal name.
	again := srv.Token(graphprofiletest.Delegated("ADELE@contoso.com", "User.Read"))
	if got := positions(t, srv, again); len(got) != 1 {
		t.Fatalf("a second token of adele sees %d positions, want 1", len(got))
	}
	app := srv.Token(graphprofiletest.Application("User.Read.All"))
	status, _, list := call(t, srv, http.MethodGet, "/beta/users/adele@contoso.com/profile/positions", app, "")
	if status != http.StatusOK || len(list["value"].([]any)) != 1 {
		t.Fatalf("the application's list: %d %v", status, list)
	}
	if got := list["value"].([]any)[0].(map[string]any)["id"]; got != created["id"] {
		t.Errorf("the application read position %v, want %v", got, created["id"])
	}

	srv.Reset()
	if got := positions(t, srv, adele); len(got) != 0 {
		t.Errorf("after Reset adele has %d positions, want none", len(got))
	}
}

// fixtures has one user with a position of a known id and time.
const fixtures = `{"tenants":[{"id":"` + graphprofiletest.DefaultTenant + `","users":[
 {"id":"0d2a1e4c-1b5a-4f6e-9c3d-2e1f0a9b8c7d","displayName":"Megan Bowen","userPrincipalName":"megan@contoso.com",
  "profile":{"positions":[{"id":"5e0f6b8a-7c1d-4e2f-8a9b-0c1d2e3f4a5b","createdDateTime":"2021-03-04T05:06:07Z","detail":{"jobTitle":"Marketing Manager"}}]}}]}]}`

func TestFixtures(t *testing.T) {
	check := func(t *testing.T, srv *graphprofiletest.Server) {
		t.Helper()
		megan := srv.Token(graphprofiletest.Delegated("megan@contoso.com", "User.Read"))
		got := positions(t, srv, megan)
		if len(got) != 1 {
			t.Fatalf("megan has %d positions, want the fixture's 1", len(got))
		}
		p := got[0].(map[string]any)
		if p["id"] != "5e0f6b8a-7c1d-4e2f-8a9b-0c1d2e3f4a5b" || p["createdDateTime"] != "2021-03-04T05:06:07.0000000Z" {
			t.Errorf("the fixture's position came back as %v", p)
		}
	}
	t.Run("WithFixtures", func(t *testing.T) {
		check(t, graphprofiletest.NewServer(t, graphprofiletest.WithFixtures([]byte(fixtures))))
	})
	t.Run("LoadFixtures after a reset", func(t *testing.T) {
		srv := graphprofiletest.NewServer(t)
		srv.LoadFixtures([]byte(fixtures))
		check(t, srv)
		srv.Reset()
		srv.LoadFixtures([]byte(fixtures))
		check(t, srv)
	})
}

func TestJournal(t *testing.T) {
	srv := graphprofiletest.NewServer(t)
	tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.ReadWrite"))
	call(t, srv, http.MethodPost, "/beta/me/profile/positions", tok, `{"detail":{"jobTitle":"PM"}}`)
	call(t, srv, http.MethodPost, "/beta/me/profile/positions", tok, `{"detail":{"jobTitle":7}}`)
	call(t, srv, http.MethodGet, "/beta/me/profile/positions/nope", tok, "")

	bad := srv.Requests(graphprofiletest.RequestFilter{Status: "4xx"})
	if len(bad) != 2 {
		t.Fatalf("%d requests answered 4xx, want 2: %+v", len(bad), bad)
	}
	if bad[0].Request.Method != http.MethodGet || bad[0].Response.Status != http.StatusNotFound {
		t.Errorf("newest 4xx: %s %d, want the GET's 404", bad[0].Request.Method, bad[0].Response.Status)
	}
	if bad[1].Request.Body != `{"detail":{"jobTitle":7}}` || bad[1].Response.Status != http.StatusBadRequest {
		t.Errorf("the bad create: body %q status %d", bad[1].Request.Body, bad[1].Response.Status)
	}
	// A body that is not UTF-8 is in BodyBase64; one over 64 KiB is cut.
	call(t, srv, http.MethodPost, "/beta/me/profile/positions", tok, "\xff\xfe")
	call(t, srv, http.MethodPost, "/beta/me/profile/positions", tok, `{"detail":{"description":"`+strings.Repeat("d", 70<<10)+`"}}`)
	posts := srv.Requests(graphprofiletest.RequestFilter{Method: "POST"})
	if got := posts[1].Request; got.Body != "" || string(got.BodyBase64) != "\xff\xfe" {
		t.Errorf("a body of two bytes that are not UTF-8: body %q, base64 %q", got.Body, got.BodyBase64)
	}
	if got := posts[0].Request; !got.BodyTruncated || len(got.Body) != 64<<10 {
		t.Errorf("a body of 70 KiB: %d bytes, truncated %v; want 64 KiB, truncated", len(got.Body), got.BodyTruncated)
	}
	if auth := bad[1].Request.Headers["Authorization"]; len(auth) != 1 || strings.Contains(auth[0], tok) {
		t.Errorf("the journal shows the token: %v", auth)
	}
	if posts := srv.Requests(graphprofiletest.RequestFilter{Method: "POST", Path: "/positions"}); len(posts) != 4 {
		t.Errorf("%d POSTs to positions, want 4", len(posts))
	}
	srv.ClearRequests()
	if all := srv.Requests(graphprofiletest.RequestFilter{}); len(all) != 0 {
		t.Errorf("after ClearRequests the journal has %d requests", len(all))
	}
}

func TestClock(t *testing.T) {
	srv := graphprofiletest.NewServer(t)
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	srv.SetClock(at)
	tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.ReadWrite"))
	_, _, p := call(t, srv, http.MethodPost, "/beta/me/profile/positions", tok, `{}`)
	created, err := time.Parse(time.RFC3339Nano, p["createdDateTime"].(string))
	if err != nil || created.Before(at) || created.After(at.Add(time.Minute)) {
		t.Fatalf("createdDateTime %v, want just after %v", p["createdDateTime"], at)
	}
	srv.AdvanceClock(2 * time.Hour)
	// The token (an hour's life, five minutes' leeway) has expired.
	status, _, answer := call(t, srv, http.MethodGet, "/beta/me/profile/positions", tok, "")
	if status != http.StatusUnauthorized {
		t.Errorf("a token two hours old: %d %v, want 401", status, answer)
	}
	fresh := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.ReadWrite"))
	_, _, patched := call(t, srv, http.MethodPatch, "/beta/me/profile/positions/"+p["id"].(string), fresh, `{"isCurrent":true}`)
	modified, _ := time.Parse(time.RFC3339Nano, patched["lastModifiedDateTime"].(string))
	if modified.Before(at.Add(2 * time.Hour)) {
		t.Errorf("lastModifiedDateTime %v, want two hours after %v", patched["lastModifiedDateTime"], at)
	}
	srv.RealClock()
	if d := time.Since(srv.Now()); d < -time.Minute || d > time.Minute {
		t.Errorf("after RealClock the server's time is %v", srv.Now())
	}
}

func TestFaultsAndLimits(t *testing.T) {
	t.Run("one fault by header", func(t *testing.T) {
		srv := graphprofiletest.NewServer(t)
		tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.Read"))
		status, header, answer := call(t, srv, http.MethodGet, "/beta/me/profile/positions", tok, "", graphprofiletest.FaultHeader, "429;retry-after=3")
		if status != http.StatusTooManyRequests || header.Get("Retry-After") != "3" {
			t.Fatalf("%d Retry-After %q %v, want 429 with 3", status, header.Get("Retry-After"), answer)
		}
		if code, msg := errorOf(answer); code != "TooManyRequests" || msg != "Please retry again later." {
			t.Errorf("the 429's error: %v", answer)
		}
		if status, _, answer := call(t, srv, http.MethodGet, "/beta/me/profile/positions", tok, ""); status != http.StatusOK || answer["value"] == nil {
			t.Errorf("the next request: %d %v, want 200 with the list", status, answer)
		}
	})
	t.Run("FailNext", func(t *testing.T) {
		srv := graphprofiletest.NewServer(t)
		tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.Read"))
		srv.FailNext(1, "503;retry-after=1", "GET", "/profile/positions")
		first, header, answer := call(t, srv, http.MethodGet, "/beta/me/profile/positions", tok, "")
		second, _, _ := call(t, srv, http.MethodGet, "/beta/me/profile/positions", tok, "")
		if first != http.StatusServiceUnavailable || header.Get("Retry-After") != "1" || second != http.StatusOK {
			t.Errorf("statuses %d (Retry-After %q) then %d, want 503 (1) then 200", first, header.Get("Retry-After"), second)
		}
		if code, _ := errorOf(answer); code != "serviceNotAvailable" {
			t.Errorf("the 503's error: %v", answer)
		}
	})
	t.Run("ClearFaults", func(t *testing.T) {
		srv := graphprofiletest.NewServer(t)
		tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.Read"))
		srv.FailNext(3, "503", "", "")
		srv.Reset() // leaves armed faults alone
		if status, _, _ := call(t, srv, http.MethodGet, "/beta/me/profile/positions", tok, ""); status != http.StatusServiceUnavailable {
			t.Errorf("after Reset: %d, want the armed 503", status)
		}
		srv.ClearFaults()
		if status, _, _ := call(t, srv, http.MethodGet, "/beta/me/profile/positions", tok, ""); status != http.StatusOK {
			t.Errorf("after ClearFaults: %d, want 200", status)
		}
	})
	t.Run("WithFaults", func(t *testing.T) {
		srv := graphprofiletest.NewServer(t, graphprofiletest.WithFaults("503=1"))
		tok := srv.Token(graphprofiletest.TokenRequest{UserPrincipalName: "adele@contoso.com", ObjectID: "3f2504e0-4f89-41d3-9a0c-0305e82c3301", Scopes: []string{"User.Read"}})
		status, header, answer := call(t, srv, http.MethodGet, "/beta/me/profile/positions", tok, "")
		if status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" {
			t.Errorf("%d Retry-After %q, want 503 with Retry-After", status, header.Get("Retry-After"))
		}
		if code, _ := errorOf(answer); code != "serviceNotAvailable" {
			t.Errorf("the 503's error: %v", answer)
		}
	})
	t.Run("WithFaultsSeed", func(t *testing.T) {
		// The faults a server draws: one seed, one sequence on every run;
		// another seed, another.
		sequence := func(opts ...graphprofiletest.Option) string {
			srv := graphprofiletest.NewServer(t, append([]graphprofiletest.Option{graphprofiletest.WithFaults("503=0.5")}, opts...)...)
			tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.Read"))
			var b strings.Builder
			for range 40 {
				if status, _, _ := call(t, srv, http.MethodGet, "/beta/me/profile/positions", tok, ""); status == http.StatusOK {
					b.WriteByte('.')
				} else {
					b.WriteByte('X')
				}
			}
			return b.String()
		}
		first, again, other := sequence(), sequence(graphprofiletest.WithFaultsSeed(0)), sequence(graphprofiletest.WithFaultsSeed(42))
		if first != again {
			t.Errorf("the default seed drew %s, then %s; want one sequence", first, again)
		}
		if other == first || sequence(graphprofiletest.WithFaultsSeed(42)) != other {
			t.Errorf("seed 42 drew %s (the default seed %s); want its own sequence, every time", other, first)
		}
	})
	t.Run("WithThrottle", func(t *testing.T) {
		srv := graphprofiletest.NewServer(t, graphprofiletest.WithThrottle("2/1m"))
		tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.Read"))
		var statuses []int
		var last map[string]any
		var lastHeader http.Header
		for range 3 {
			status, header, answer := call(t, srv, http.MethodGet, "/beta/me/profile/positions", tok, "")
			statuses = append(statuses, status)
			last, lastHeader = answer, header
		}
		if statuses[0] != 200 || statuses[1] != 200 || statuses[2] != 429 {
			t.Errorf("statuses %v, want 200 200 429", statuses)
		}
		if code, msg := errorOf(last); code != "TooManyRequests" || msg != "Please retry again later." || lastHeader.Get("Retry-After") == "" {
			t.Errorf("the 429: Retry-After %q, %v", lastHeader.Get("Retry-After"), last)
		}
	})
	t.Run("WithMaxItems", func(t *testing.T) {
		srv := graphprofiletest.NewServer(t, graphprofiletest.WithMaxItems(1))
		tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.ReadWrite"))
		call(t, srv, http.MethodPost, "/beta/me/profile/positions", tok, `{}`)
		status, header, answer := call(t, srv, http.MethodPost, "/beta/me/profile/positions", tok, `{}`)
		if status != http.StatusInsufficientStorage {
			t.Errorf("a second position: %d %v, want 507", status, answer)
		}
		if code, msg := errorOf(answer); code != "quotaLimitReached" || msg != "The maximum storage quota has been reached." || header.Get("Location") != "" {
			t.Errorf("the 507: Location %q, %v", header.Get("Location"), answer)
		}
		if got := positions(t, srv, tok); len(got) != 1 {
			t.Errorf("after the refused create the profile holds %d positions, want 1", len(got))
		}
	})
}

// fatalTB records the first Fatalf of a control and ends the goroutine
// that called it, as testing.T's does.
type fatalTB struct {
	*testing.T
	fatal chan string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.fatal <- fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// loadFixturesFailure is the failure LoadFixtures reports of fixtures, ""
// when it loads them.
func loadFixturesFailure(t *testing.T, srv func(graphprofiletest.TB) *graphprofiletest.Server, fixtures string) string {
	t.Helper()
	tb := &fatalTB{T: t, fatal: make(chan string, 1)}
	s := srv(tb)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.LoadFixtures([]byte(fixtures))
	}()
	<-done
	select {
	case msg := <-tb.fatal:
		return msg
	default:
		return ""
	}
}

// LoadFixtures sends the file as it is: its errors name the file's own line
// and column (docs/fixtures.md), not those of a copy with its white space
// taken out, and a byte order mark is skipped as serve --fixtures skips it.
func TestLoadFixturesAsWritten(t *testing.T) {
	newServer := func(tb graphprofiletest.TB) *graphprofiletest.Server { return graphprofiletest.NewServer(tb) }
	bad := `{"tenants":[{"id":"` + graphprofiletest.DefaultTenant + `","users":[
  {"displayName":"Megan Bowen","userPrincipalName":"megan@contoso.com",
   "profile":{"positions":[{"detail":{"startMonthYear":"2020-13-01"}}]}}]}]}`
	msg := loadFixturesFailure(t, newServer, bad)
	if !strings.Contains(msg, "body:3:") || !strings.Contains(msg, "startMonthYear") {
		t.Errorf("a bad date on line 3: LoadFixtures failed with %q, want the error at body:3:…", msg)
	}
	if msg := loadFixturesFailure(t, newServer, "\ufeff"+fixtures); msg != "" {
		t.Errorf("fixtures saved with a byte order mark: LoadFixtures failed with %q", msg)
	}
}

// endingTB is a test that ends when finish runs its cleanups, as
// testing.T's end does; it records what the server reports instead of
// failing the test that holds it.
type endingTB struct {
	*testing.T
	errors   []string
	cleanups []func()
}

func (e *endingTB) Errorf(format string, args ...any) {
	e.errors = append(e.errors, fmt.Sprintf(format, args...))
}
func (e *endingTB) Cleanup(f func()) { e.cleanups = append(e.cleanups, f) }
func (e *endingTB) finish() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

// A test that ends with a request still in flight (its code under test
// still waiting on a slow answer) stops the server with it: once the drain
// runs out the request gets no answer, as serve's does (docs/decisions.md,
// "Shutdown"), instead of running on after the test against the closed
// store and answering 500 later; and the end reports it.
func TestEndWithRequestInFlight(t *testing.T) {
	tb := &endingTB{T: t}
	srv := graphprofiletest.NewServer(tb)
	tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.ReadWrite"))
	type result struct {
		status int
		err    error
	}
	answered := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/beta/me/profile/positions", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(graphprofiletest.FaultHeader, "latency=20s")
		resp, err := (&http.Client{}).Do(req)
		if err != nil {
			answered <- result{err: err}
			return
		}
		resp.Body.Close()
		answered <- result{status: resp.StatusCode}
	}()
	time.Sleep(200 * time.Millisecond) // the server has taken it in
	tb.finish()
	select {
	case r := <-answered:
		if r.err == nil {
			t.Errorf("the request in flight when the test ended was answered %d, want no answer", r.status)
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("the request in flight when the test ended still runs 2 s after the end")
	}
	if len(tb.errors) != 1 || !strings.Contains(tb.errors[0], "in flight") {
		t.Errorf("the end reported %q, want one error about the request in flight", tb.errors)
	}
}

// newServerFailure is the failure NewServer reports with opts, "" when it
// starts a server.
func newServerFailure(t *testing.T, opts ...graphprofiletest.Option) string {
	t.Helper()
	tb := &fatalTB{T: t, fatal: make(chan string, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		graphprofiletest.NewServer(tb, opts...)
	}()
	<-done
	select {
	case msg := <-tb.fatal:
		return msg
	default:
		return ""
	}
}

// An option that is not valid fails the test, as NewServer says, rather
// than serve with something the test did not ask for: WithMaxItems(0) is
// not "no items" nor the default of 1,000, as --max-items 0 is refused.
func TestInvalidOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  graphprofiletest.Option
		want string
	}{
		{"WithMaxItems(0)", graphprofiletest.WithMaxItems(0), "WithMaxItems"},
		{"WithMaxItems(-1)", graphprofiletest.WithMaxItems(-1), "WithMaxItems"},
		{"WithThrottle", graphprofiletest.WithThrottle("fast"), "WithThrottle"},
		{"WithFaults", graphprofiletest.WithFaults("429=2"), "WithFaults"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg := newServerFailure(t, tc.opt); !strings.Contains(msg, tc.want) {
				t.Errorf("NewServer with %s: failure %q, want one naming %s", tc.name, msg, tc.want)
			}
		})
	}
	if msg := newServerFailure(t, graphprofiletest.WithMaxItems(1)); msg != "" {
		t.Errorf("NewServer with WithMaxItems(1): %q", msg)
	}
}

// Token chooses a delegated token's user when it mints (Delegated): a
// token minted after the fixtures is of the fixture's user, one minted
// before them of another (docs/testing-with-graphprofile.md).
func TestTokenMintedBeforeFixtures(t *testing.T) {
	srv := graphprofiletest.NewServer(t)
	early := srv.Token(graphprofiletest.Delegated("megan@contoso.com", "User.Read"))
	srv.LoadFixtures([]byte(fixtures))
	late := srv.Token(graphprofiletest.Delegated("megan@contoso.com", "User.Read"))
	if got := positions(t, srv, late); len(got) != 1 {
		t.Errorf("a token minted after the fixtures sees %d positions, want the fixture's 1", len(got))
	}
	if got := positions(t, srv, early); len(got) != 0 {
		t.Errorf("a token minted before the fixtures sees %d positions, want none (another user)", len(got))
	}
}

// Token mints only what the server accepts: with the clock set before 1970
// (which the clock takes, docs/admin-api.md) a token's times would be
// before the NumericDates the validator reads (docs/decisions.md), and
// every request with it a 401 "not a well-formed JWT". Token fails the
// test saying why instead.
func TestTokenBefore1970(t *testing.T) {
	tb := &fatalTB{T: t, fatal: make(chan string, 1)}
	srv := graphprofiletest.NewServer(tb)
	srv.SetClock(time.Date(1965, 6, 1, 0, 0, 0, 0, time.UTC))
	done := make(chan string, 1)
	go func() {
		done <- srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.Read"))
	}()
	select {
	case msg := <-tb.fatal:
		if !strings.Contains(msg, "1970") {
			t.Errorf("Token at 1965 failed with %q, want the reason (1970)", msg)
		}
	case tok := <-done:
		status, _, answer := call(t, srv, http.MethodGet, "/beta/me/profile/positions", tok, "")
		t.Errorf("Token at 1965 gave a token, answered %d %v; want Token to fail the test", status, answer)
	}
}

// A test that ends with every request answered stops its server at once,
// also when a client holds a connection it has sent nothing on: a
// connection a client's pool dialled for a request that another
// connection served (as net/http's Transport does under concurrent
// requests), or one opened by a readiness probe. The server used to wait
// for such a connection to be 5 s old before closing it (net/http's
// Shutdown), so the test ended 5 s late, failing with a drain that ran out.
func TestEndWithUnusedConnection(t *testing.T) {
	end := func(t *testing.T, tb *endingTB) {
		t.Helper()
		start := time.Now()
		tb.finish()
		if took := time.Since(start); took > time.Second || len(tb.errors) > 0 {
			t.Errorf("the server stopped in %v, reporting %q; want it stopped at once, without an error", took, tb.errors)
		}
	}
	t.Run("a connection that sent nothing", func(t *testing.T) {
		tb := &endingTB{T: t}
		srv := graphprofiletest.NewServer(tb)
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		time.Sleep(50 * time.Millisecond) // the server has accepted it
		end(t, tb)
	})
	t.Run("concurrent requests, all answered", func(t *testing.T) {
		tb := &endingTB{T: t}
		srv := graphprofiletest.NewServer(tb)
		tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.Read"))
		client := &http.Client{Transport: &http.Transport{}}
		defer client.CloseIdleConnections()
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/beta/me/profile/positions", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
		wg.Wait()
		end(t, tb)
	})
}

// ResetTenant empties the tenant it names and no other; an empty tenant id
// fails the test instead of emptying every tenant.
func TestResetTenant(t *testing.T) {
	tb := &fatalTB{T: t, fatal: make(chan string, 1)}
	srv := graphprofiletest.NewServer(tb)
	const other = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
	adele := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.ReadWrite"))
	elsewhere := srv.Token(graphprofiletest.TokenRequest{TenantID: other, UserPrincipalName: "adele@fabrikam.com", Scopes: []string{"User.ReadWrite"}})
	for _, tok := range []string{adele, elsewhere} {
		if status, _, answer := call(t, srv, http.MethodPost, "/beta/me/profile/positions", tok, `{"detail":{"jobTitle":"PM"}}`); status != http.StatusCreated {
			t.Fatalf("create: %d %v", status, answer)
		}
	}

	srv.ResetTenant(other)
	if got := positions(t, srv, elsewhere); len(got) != 0 {
		t.Errorf("after ResetTenant the tenant's user has %d positions, want none", len(got))
	}
	if got := positions(t, srv, adele); len(got) != 1 {
		t.Errorf("after ResetTenant of another tenant adele has %d positions, want her 1", len(got))
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ResetTenant("")
	}()
	<-done
	select {
	case msg := <-tb.fatal:
		if msg == "" {
			t.Errorf("ResetTenant(\"\") failed the test with no message")
		}
	default:
		t.Errorf("ResetTenant(\"\") did not fail the test")
	}
	if got := positions(t, srv, adele); len(got) != 1 {
		t.Errorf("after ResetTenant(\"\") adele has %d positions, want her 1 (nothing emptied)", len(got))
	}
}

// errorOf returns the code and message of a Graph error answer.
func errorOf(answer map[string]any) (code, message string) {
	e, _ := answer["error"].(map[string]any)
	code, _ = e["code"].(string)
	message, _ = e["message"].(string)
	return code, message
}

// guidV8 is the form of the ids Token makes up: RFC 9562 version 8 GUIDs
// (the RFC's variant), which the server and a Graph client take as any id.
var guidV8 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// The users and apps Token's requests stand for: Delegated's user is named
// after the upn's local part and has a GUID of its own in each tenant; an
// ObjectID the request gives is the user's id; an application token has an
// app id and no user.
func TestTokenIdentities(t *testing.T) {
	srv := graphprofiletest.NewServer(t)
	me := func(tok string) map[string]any {
		t.Helper()
		status, _, answer := call(t, srv, http.MethodGet, "/beta/me", tok, "")
		if status != http.StatusOK {
			t.Fatalf("GET /beta/me: %d %v", status, answer)
		}
		return answer
	}
	adele := me(srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.Read")))
	if adele["displayName"] != "adele" || adele["userPrincipalName"] != "adele@contoso.com" {
		t.Errorf("Delegated(adele@contoso.com)'s user: displayName %v, userPrincipalName %v; want adele, adele@contoso.com", adele["displayName"], adele["userPrincipalName"])
	}
	id, _ := adele["id"].(string)
	if !guidV8.MatchString(id) {
		t.Errorf("Delegated(adele@contoso.com)'s user id %q is not a version 8 GUID", id)
	}
	const other = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
	elsewhere := me(srv.Token(graphprofiletest.TokenRequest{TenantID: other, UserPrincipalName: "adele@contoso.com", Scopes: []string{"User.Read"}}))
	if elsewhere["id"] == id {
		t.Errorf("adele@contoso.com has the id %v in two tenants, want one id in each", id)
	}
	const megan = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
	given := me(srv.Token(graphprofiletest.TokenRequest{UserPrincipalName: "megan@contoso.com", ObjectID: megan, Scopes: []string{"User.Read"}}))
	if given["id"] != megan {
		t.Errorf("a token request with ObjectID %s signed in the user %v", megan, given["id"])
	}

	srv.ClearRequests()
	app := srv.Token(graphprofiletest.Application("User.Read.All"))
	// No user, also in the token a client may read: no oid (it would be
	// the app's service principal, which Application names none of).
	var claims map[string]any
	if parts := strings.Split(app, "."); len(parts) != 3 {
		t.Fatalf("the application token %q is not a JWT", app)
	} else if payload, err := base64.RawURLEncoding.DecodeString(parts[1]); err != nil || json.Unmarshal(payload, &claims) != nil {
		t.Fatalf("the application token's payload: %v", err)
	}
	if _, ok := claims["oid"]; ok || claims["sub"] != claims["appid"] {
		t.Errorf("the application token's claims %v: want no oid, sub the app id", claims)
	}
	if status, _, answer := call(t, srv, http.MethodGet, "/beta/users/adele@contoso.com", app, ""); status != http.StatusOK {
		t.Fatalf("the application's GET: %d %v", status, answer)
	}
	got := srv.Requests(graphprofiletest.RequestFilter{})
	if len(got) != 1 {
		t.Fatalf("the journal holds %d requests, want the application's 1", len(got))
	}
	if c := got[0].Caller; c.OID != "" || !guidV8.MatchString(c.AppID) || c.TenantID != graphprofiletest.DefaultTenant {
		t.Errorf("the application token's caller: %+v; want no user, a version 8 GUID app id, the default tenant", c)
	}
}

// FailNext fails the requests it selects, as many as it is told: not a
// request of another method or of another path.
func TestFailNextSelects(t *testing.T) {
	srv := graphprofiletest.NewServer(t)
	tok := srv.Token(graphprofiletest.Delegated("adele@contoso.com", "User.ReadWrite"))
	srv.FailNext(2, "503", "GET", "/PROFILE/positions")
	var statuses []int
	for _, r := range []struct{ method, path, body string }{
		{http.MethodPost, "/beta/me/profile/positions", `{}`}, // another method
		{http.MethodGet, "/beta/me", ""},                      // another path
		{http.MethodGet, "/beta/me/profile/positions", ""},
		{http.MethodGet, "/beta/me/profile/positions", ""},
		{http.MethodGet, "/beta/me/profile/positions", ""}, // the two are spent
	} {
		status, _, _ := call(t, srv, r.method, r.path, tok, r.body)
		statuses = append(statuses, status)
	}
	if want := []int{201, 200, 503, 503, 200}; !slices.Equal(statuses, want) {
		t.Errorf("after FailNext(2, 503, GET, /PROFILE/positions): statuses %v, want %v", statuses, want)
	}
}

// SetClock sets the clock to the instant given, its fraction of a second
// included: the server's time is not before it.
func TestSetClockKeepsFraction(t *testing.T) {
	srv := graphprofiletest.NewServer(t)
	at := time.Date(2030, 1, 2, 3, 4, 5, 987654321, time.UTC)
	srv.SetClock(at)
	if now := srv.Now(); now.Before(at) || now.After(at.Add(time.Minute)) {
		t.Errorf("after SetClock(%v) the server's time is %v", at, now)
	}
}

// The server listens on 127.0.0.1 only (a loopback port, as the package
// says): a test's server is not reachable at the machine's other
// addresses, 127.0.0.2 or [::1] among them.
func TestListensOnLoopbackOnly(t *testing.T) {
	srv := graphprofiletest.NewServer(t)
	u, err := url.Parse(srv.URL)
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("URL %q, want http://127.0.0.1:PORT (%v)", srv.URL, err)
	}
	for _, host := range []string{"127.0.0.2", "::1"} {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, u.Port()), 2*time.Second)
		if err == nil {
			conn.Close()
			t.Errorf("the server accepted a connection at %s", net.JoinHostPort(host, u.Port()))
		}
	}
}
