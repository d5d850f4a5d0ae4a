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
	srv, tok := servedStore(t, store)
	client := &http.Client{Timeout: 30 * time.Second}
	send := func(method, path, body string) (*http.Response, string) {
		req, _ := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp, b.String()
	}

	// Writes acknowledged before the outage, some of them while it starts.
	var acked []string
	for range 20 {
		resp, body := send(http.MethodPost, "/beta/me/profile/positions", `{"isCurrent":true}`)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create before the outage: %d %s", resp.StatusCode, body)
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
			resp, body := send(http.MethodPost, "/beta/me/profile/positions", `{}`)
			if resp.StatusCode == http.StatusCreated {
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
		resp, body := send(req.method, req.path, req.body)
		took := time.Since(start)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s %s during the outage: %d %s, want 503", req.method, req.path, resp.StatusCode, body)
			continue
		}
		if req.path != "/readyz" && !strings.Contains(body, `"code":"serviceNotAvailable"`) {
			t.Errorf("%s %s: body %s, want code serviceNotAvailable", req.method, req.path, body)
		}
		if resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s: no Retry-After", req.method, req.path)
		}
		if took > 6*time.Second {
			t.Errorf("%s %s took %v during the outage, want an answer within 5 s", req.method, req.path, took)
		}
	}
	if resp, _ := send(http.MethodGet, "/healthz", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz during the outage: %d, want 200 (the process is alive)", resp.StatusCode)
	}

	if err := server.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The same server recovers without a restart of its own.
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, _ := send(http.MethodGet, "/readyz", "")
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d 20 s after PostgreSQL came back", resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, body := send(http.MethodPost, "/beta/me/profile/positions", `{}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create after recovery: %d %s", resp.StatusCode, body)
	}
	for _, id := range acked {
		if resp, body := send(http.MethodGet, "/beta/me/profile/positions/"+id, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("acknowledged position %s lost across the outage: %d %s", id, resp.StatusCode, body)
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
	srv, tok := servedStore(t, store)
	client := &http.Client{Timeout: 30 * time.Second}
	send := func(method, path, body string) (int, http.Header, string, error) {
		req, _ := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
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
	srv, tok := servedStore(t, store)
	client := &http.Client{Timeout: 30 * time.Second}
	send := func(method, path, body string) (int, http.Header, string) {
		req, _ := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
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

// servedStore serves store on 127.0.0.1 (closed when the test ends) and
// returns the server and a delegated token of one user it accepts.
func servedStore(t *testing.T, store graphprofile.Store) (*graphapi.Server, string) {
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
	return srv, tok
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

// ownRole makes a role of its own that may log in and use a new database,
// for a test that changes a role's settings, and returns it, the
// database's URL as that role and a pool on it as the server's own role,
// for the test's SQL. It is dropped, with what it owns, when the test
// ends; the test is skipped where the server's role may not create roles.
func ownRole(t *testing.T) (role, roleURL string, admin *pgxpool.Pool) {
	t.Helper()
	dbURL := newPostgresDatabase(t)
	admin, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	role = pgtest.RandomName("gp_role_")
	if _, err := admin.Exec(t.Context(), `CREATE ROLE `+role+` LOGIN`); err != nil {
		t.Skipf("CREATE ROLE (the test needs a role that may create roles): %v", err)
	}
	t.Cleanup(func() {
		for _, q := range []string{`DROP OWNED BY ` + role, `DROP ROLE ` + role} {
			if _, err := admin.Exec(context.Background(), q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	if _, err := admin.Exec(t.Context(), `GRANT ALL ON SCHEMA public TO `+role); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return role, u.String(), admin
}
