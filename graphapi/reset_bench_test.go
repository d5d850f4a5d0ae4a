package graphapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/storetest"
	"github.com/graphprofile/graphprofile/token"
)

// resetPositions is how many positions the reset benchmarks empty: 100
// users of 100 positions.
const resetPositions = 10000

// BenchmarkReset compares the two ways a test suite can start again from
// an empty server holding 10,000 positions (SQLite, durable): POST
// /_admin/reset over HTTP ("reset"), and what it had to do before, stop
// the server, delete its files and start a new one until it answers
// ("restart", in process: a restart of the binary adds the process's own
// start on top). Filling the store is not timed.
func BenchmarkReset(b *testing.B) {
	b.Run("reset", func(b *testing.B) {
		dir := b.TempDir()
		srv, store := startBenchServer(b, dir)
		defer closeBenchServer(b, srv, store)
		client := &http.Client{Timeout: time.Minute}
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			fillPositions(b, store)
			b.StartTimer()
			req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/_admin/reset", nil)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				b.Fatalf("reset: %d", resp.StatusCode)
			}
		}
		b.StopTimer()
		if users, err := graphprofile.AllUsers(context.Background(), store, tenantA); err != nil || len(users) != 0 {
			b.Fatalf("after reset: %d users, %v", len(users), err)
		}
	})
	b.Run("restart", func(b *testing.B) {
		client := &http.Client{Timeout: time.Minute}
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			dir := filepath.Join(b.TempDir(), "server")
			srv, store := startBenchServer(b, dir)
			fillPositions(b, store)
			b.StartTimer()
			closeBenchServer(b, srv, store)
			if err := os.RemoveAll(dir); err != nil {
				b.Fatal(err)
			}
			srv, store = startBenchServer(b, dir)
			resp, err := client.Get(srv.URL() + "/readyz")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("readyz after a restart: %d", resp.StatusCode)
			}
			b.StopTimer()
			closeBenchServer(b, srv, store)
			b.StartTimer()
		}
	})
}

// startBenchServer starts a server with the admin API on a new or
// existing SQLite database in dir.
func startBenchServer(b *testing.B, dir string) (*graphapi.Server, *sqlite.Store) {
	b.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "graphprofile.db"))
	if err != nil {
		b.Fatal(err)
	}
	dev, err := token.LoadOrCreateDevIssuer(filepath.Join(dir, "graphprofile.db-devkey.pem"))
	if err != nil {
		b.Fatal(err)
	}
	srv := &graphapi.Server{Service: &graphprofile.Service{Store: store}, Authenticator: token.NewValidator(nil, dev),
		Addr: "127.0.0.1:0", Logger: discardLogger(), AdminToken: adminToken}
	if err := srv.Open(); err != nil {
		b.Fatal(err)
	}
	return srv, store
}

func closeBenchServer(b *testing.B, srv *graphapi.Server, store *sqlite.Store) {
	b.Helper()
	if err := srv.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	if err := store.Close(); err != nil {
		b.Fatal(err)
	}
}

// fillPositions stores resetPositions positions of 100 users of tenantA,
// from 16 goroutines, so that the store's group commit makes it quick.
func fillPositions(b *testing.B, store graphprofile.Store) {
	b.Helper()
	ctx := context.Background()
	const users = 100
	var wg sync.WaitGroup
	errs := make(chan error, users)
	slots := make(chan struct{}, 16)
	for u := range users {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			owner, err := store.EnsureUser(ctx, graphprofile.User{TenantID: tenantA, ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", u)})
			if err != nil {
				errs <- err
				return
			}
			for p := range resetPositions / users {
				it := storetest.Position(fmt.Sprintf("p-%d", p), storetest.Created().Add(time.Duration(p)*time.Second))
				if err := store.CreateItem(ctx, owner.Key(), storetest.Positions(), it, 0); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
