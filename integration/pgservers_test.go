package integration_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/postgres"
	"github.com/graphprofile/graphprofile/postgres/pgtest"
	"github.com/graphprofile/graphprofile/token"
)

// A server on a PostgreSQL store whose database fails under it: stopped,
// unresponsive, refusing its role's logins.

// TestServerOutage stops PostgreSQL under a running server: requests answer
// 503 serviceNotAvailable with Retry-After within 5 s and /readyz says 503;
// when PostgreSQL is back the same server serves again, and every write it
// acknowledged before the outage is there.
func TestServerOutage(t *testing.T) {
	server := startedPostgres(t)
	if !server.Local() {
		t.Skip("the outage needs the test's own cluster; " + "GRAPHPROFILE_TEST_POSTGRES names a server the test cannot stop (TestNetworkFaults covers faults there)")
	}
	store := openPostgresAt(t, newPostgresDatabase(t))
	call := servedStore(t, store)
	send := func(method, path, body string) (int, http.Header, string) {
		status, header, text, err := call(method, path, body)
		if status == 0 {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return status, header, text // a body cut short by the outage is read as far as it came
	}

	// Writes acknowledged before the outage, some of them while it starts.
	var acked []string
	for range 20 {
		status, _, body := send(http.MethodPost, "/beta/me/profile/positions", `{"isCurrent":true}`)
		if status != http.StatusCreated {
			t.Fatalf("create before the outage: %d %s", status, body)
		}
		acked = append(acked, idOf(body))
	}
	var mu sync.Mutex
	stopLoad := make(chan struct{})
	var load sync.WaitGroup
	load.Go(func() {
		for {
			select {
			case <-stopLoad:
				return
			default:
			}
			status, _, body := send(http.MethodPost, "/beta/me/profile/positions", `{}`)
			if status == http.StatusCreated {
				mu.Lock()
				acked = append(acked, idOf(body))
				mu.Unlock()
			}
		}
	})
	time.Sleep(100 * time.Millisecond)
	if err := server.Stop(); err != nil {
		t.Fatal(err)
	}
	close(stopLoad)
	load.Wait()

	for _, req := range []struct{ method, path, body string }{
		{http.MethodGet, "/beta/me/profile/positions", ""},
		{http.MethodPost, "/beta/me/profile/positions", `{}`},
		{http.MethodGet, "/beta/me/profile/positions/" + acked[0], ""},
		{http.MethodPatch, "/beta/me/profile/positions/" + acked[0], `{"isCurrent":false}`},
		{http.MethodGet, "/readyz", ""},
	} {
		start := time.Now()
		status, header, body := send(req.method, req.path, req.body)
		took := time.Since(start)
		if status != http.StatusServiceUnavailable {
			t.Errorf("%s %s during the outage: %d %s, want 503", req.method, req.path, status, body)
			continue
		}
		if req.path != "/readyz" && !strings.Contains(body, `"code":"serviceNotAvailable"`) {
			t.Errorf("%s %s: body %s, want code serviceNotAvailable", req.method, req.path, body)
		}
		if header.Get("Retry-After") == "" {
			t.Errorf("%s %s: no Retry-After", req.method, req.path)
		}
		if took > 6*time.Second {
			t.Errorf("%s %s took %v during the outage, want an answer within 5 s", req.method, req.path, took)
		}
	}
	if status, _, _ := send(http.MethodGet, "/healthz", ""); status != http.StatusOK {
		t.Errorf("/healthz during the outage: %d, want 200 (the process is alive)", status)
	}

	if err := server.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The same server recovers without a restart of its own.
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, _, _ := send(http.MethodGet, "/readyz", "")
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d 20 s after PostgreSQL came back", status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	status, _, body := send(http.MethodPost, "/beta/me/profile/positions", `{}`)
	if status != http.StatusCreated {
		t.Fatalf("create after recovery: %d %s", status, body)
	}
	for _, id := range acked {
		if status, _, body := send(http.MethodGet, "/beta/me/profile/positions/"+id, ""); status != http.StatusOK {
			t.Errorf("acknowledged position %s lost across the outage: %d %s", id, status, body)
		}
	}
	t.Logf("%d writes acknowledged before and during the outage's start, all there after it", len(acked))
}

func idOf(body string) string {
	_, rest, _ := strings.Cut(body, `"id":"`)
	id, _, _ := strings.Cut(rest, `"`)
	return id
}

// quietLogger keeps the expected outage errors out of the test output.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestServerUnresponsiveDatabase: the database stops answering (packets
// vanish, as when its machine hangs or the network partitions) under a
// running server with the default store timeout. Every request that needs
// it answers 503 serviceNotAvailable with Retry-After within 5 s, the whole
// exchange included, not after 5 s; when the network is back the same server
// serves again.
func TestServerUnresponsiveDatabase(t *testing.T) {
	dbURL := newPostgresDatabase(t)
	p := pgtest.StartProxy(t, pgtest.HostOf(t, dbURL))
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.Addr()
	store := openPostgresAt(t, u.String())
	send := servedStore(t, store)
	status, _, body, err := send(http.MethodPost, "/beta/me/profile/positions", `{"isCurrent":true}`)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create before the fault: %d %s %v", status, body, err)
	}
	id := idOf(body)

	p.Set(true, false)
	var wg sync.WaitGroup
	for _, req := range []struct{ method, path, body string }{
		{http.MethodGet, "/beta/me/profile/positions", ""},
		{http.MethodPost, "/beta/me/profile/positions", `{}`},
		{http.MethodGet, "/beta/me/profile/positions/" + id, ""},
		{http.MethodPatch, "/beta/me/profile/positions/" + id, `{"isCurrent":false}`},
		{http.MethodGet, "/beta/me", ""},
		{http.MethodGet, "/readyz", ""},
	} {
		wg.Go(func() {
			start := time.Now()
			status, header, body, err := send(req.method, req.path, req.body)
			took := time.Since(start)
			switch {
			case err != nil:
				t.Errorf("%s %s with the database unresponsive: %v", req.method, req.path, err)
				return
			case status != http.StatusServiceUnavailable:
				t.Errorf("%s %s with the database unresponsive: %d %s, want 503", req.method, req.path, status, body)
			case !strings.Contains(body, `"code":"serviceNotAvailable"`):
				t.Errorf("%s %s: body %s, want code serviceNotAvailable", req.method, req.path, body)
			case header.Get("Retry-After") == "":
				t.Errorf("%s %s: no Retry-After", req.method, req.path)
			}
			if took >= 5*time.Second {
				t.Errorf("%s %s answered after %v with the database unresponsive, want within 5 s", req.method, req.path, took)
			}
		})
	}
	wg.Wait()

	p.Set(false, false)
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, _, body, err := send(http.MethodGet, "/beta/me/profile/positions/"+id, "")
		if err == nil && status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET still %d %s %v 20 s after the database answered again", status, body, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestServerLoginRefused: the database refuses the server's new connections
// for a reason of its own after the server started (its role may no longer
// log in, as when an operator rotates or revokes its credentials): requests
// answer 503 serviceNotAvailable with Retry-After, as /readyz says 503,
// not 500 InternalError, which clients do not retry; once the role may log
// in again the same server serves again.
func TestServerLoginRefused(t *testing.T) {
	ctx := t.Context()
	role, roleURL, admin := ownRole(t)
	store := openPostgresAt(t, roleURL)
	call := servedStore(t, store)
	send := func(method, path, body string) (int, http.Header, string) {
		status, header, text, err := call(method, path, body)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return status, header, text
	}
	status, _, body := send(http.MethodPost, "/beta/me/profile/positions", `{"isCurrent":true}`)
	if status != http.StatusCreated {
		t.Fatalf("create before the role was refused: %d %s", status, body)
	}
	id := idOf(body)

	for _, q := range []string{
		`ALTER ROLE ` + role + ` NOLOGIN`,
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '` + role + `'`,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, req := range []struct{ method, path, body string }{
		{http.MethodGet, "/beta/me/profile/positions", ""},
		{http.MethodPost, "/beta/me/profile/positions", `{}`},
		{http.MethodGet, "/beta/me/profile/positions/" + id, ""},
		{http.MethodPatch, "/beta/me/profile/positions/" + id, `{"isCurrent":false}`},
		{http.MethodGet, "/readyz", ""},
	} {
		status, header, body := send(req.method, req.path, req.body)
		switch {
		case status != http.StatusServiceUnavailable:
			t.Errorf("%s %s with the role's logins refused: %d %s, want 503", req.method, req.path, status, body)
		case !strings.Contains(body, `"code":"serviceNotAvailable"`):
			t.Errorf("%s %s: body %s, want code serviceNotAvailable", req.method, req.path, body)
		case header.Get("Retry-After") == "":
			t.Errorf("%s %s: no Retry-After", req.method, req.path)
		}
	}

	if _, err := admin.Exec(ctx, `ALTER ROLE `+role+` LOGIN`); err != nil {
		t.Fatal(err)
	}
	if status, _, body := send(http.MethodGet, "/beta/me/profile/positions/"+id, ""); status != http.StatusOK {
		t.Errorf("GET once the role may log in again: %d %s, want 200", status, body)
	}
}

// servedStore serves store on 127.0.0.1 (closed when the test ends), and
// returns how to send it a request as one user it accepts (a delegated
// token's), a JSON body when body is not empty: the answer's status,
// headers and body, as far as it was read before an error, if any.
func servedStore(t *testing.T, store graphprofile.Store) func(method, path, body string) (status int, header http.Header, text string, err error) {
	t.Helper()
	dev, err := token.LoadOrCreateDevIssuer(filepath.Join(t.TempDir(), "devkey.pem"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &graphapi.Server{Service: &graphprofile.Service{Store: store}, Authenticator: token.NewValidator(nil, dev), Addr: "127.0.0.1:0", Logger: quietLogger()}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	tok, err := dev.Mint(token.MintRequest{TenantID: "0d2c6b6e-0000-4000-8000-0000000000aa", ObjectID: "0d2c6b6e-0000-4000-8000-0000000000bb", Scopes: []string{"User.ReadWrite"}})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	return func(method, path, body string) (int, http.Header, string, error) {
		req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
		if err != nil {
			return 0, nil, "", err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b), err
	}
}

// openPostgresAt opens a store at dbURL, closed when the test ends.
func openPostgresAt(t *testing.T, dbURL string) graphprofile.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// ownRole makes a role of its own that may log in and use a new database
// (pgtest.OwnRole), and returns it, the database's URL as that role and a
// pool on it as the server's own role, for the test's SQL.
func ownRole(t *testing.T) (role, roleURL string, admin *pgxpool.Pool) {
	t.Helper()
	dbURL := newPostgresDatabase(t)
	admin, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	role, roleURL = pgtest.OwnRole(t, admin, dbURL)
	return role, roleURL, admin
}
