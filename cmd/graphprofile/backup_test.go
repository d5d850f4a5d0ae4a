package main

import (
	"context"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/sqlite"
)

// TestBackupUnderLoad: graphprofile backup copies the store of a running
// server while clients create positions. Every create acknowledged before
// the backup began is in the copy, which opens cleanly as a store; restore
// refuses while the server runs, and once it has stopped puts the copy
// back, so that the server started again serves exactly the copy's
// positions.
func TestBackupUnderLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Room for every create of the load in one collection.
	serveArgs := listenFlag("--max-items", "1000000")
	s := startServe(t, dir, serveArgs)
	tok := mintToken(t, dir, nil, delegatedArgs...)
	s.create(tok, createBody) // the user exists before the load

	// The load: creates from several clients until told to stop, each
	// acknowledged id recorded.
	var (
		mu    sync.Mutex
		acked []string
		fails []string
	)
	stop := make(chan struct{})
	var load sync.WaitGroup
	for range 4 {
		load.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := s.request(http.MethodPost, "/beta/me/profile/positions", tok, createBody)
				mu.Lock()
				if err != nil || r.status != http.StatusCreated {
					fails = append(fails, string(r.raw)+errString(err))
				} else {
					acked = append(acked, r.body["id"].(string))
				}
				mu.Unlock()
			}
		})
	}
	waitFor := func(n int) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			got := len(acked)
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d creates acknowledged in 20 s", got)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(50)
	mu.Lock()
	before := append([]string(nil), acked...) // acknowledged before the backup began
	mu.Unlock()
	backup := filepath.Join(t.TempDir(), "copy.db")
	r := runCLI(t, dir, nil, "backup", backup)
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	waitFor(len(before) + during + 20) // the server goes on writing after the copy
	close(stop)
	load.Wait()
	if r.code != 0 || !strings.Contains(r.stdout, "backed up") {
		t.Fatalf("graphprofile backup: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if len(fails) > 0 {
		t.Fatalf("%d creates failed during the backup, the first: %s", len(fails), fails[0])
	}

	// The copy opens as a store and holds every create acknowledged before.
	copied := positionsInStore(t, backup)
	for _, id := range before {
		if !copied[id] {
			t.Fatalf("position %s, acknowledged before the backup began, is not in the copy (%d of %d there)", id, len(copied), len(before))
		}
	}
	if len(copied) > len(acked)+1 {
		t.Errorf("the copy holds %d positions, more than the %d created", len(copied), len(acked)+1)
	}
	t.Logf("%d creates acknowledged before the backup, %d while it ran; the copy holds %d positions", len(before), during, len(copied))

	// restore: refused while the server runs, then the copy is back.
	if r := runCLI(t, dir, nil, "restore", backup); r.code == 0 || !strings.Contains(r.stderr, "in use") {
		t.Errorf("restore while the server runs: exit %d, stderr %q; want a refusal naming the database in use", r.code, r.stderr)
	}
	if runtime.GOOS == "windows" {
		s.kill() // no SIGTERM to send there; the lock goes with the process
	} else {
		s.sendSignal(syscall.SIGTERM)
		if code, ok := s.waitExit(15 * time.Second); !ok || code != 0 {
			t.Fatalf("serve did not stop cleanly after SIGTERM: exit %d, exited %v", code, ok)
		}
	}
	if r := runCLI(t, dir, nil, "restore", backup); r.code != 0 {
		t.Fatalf("restore: exit %d, stderr %s", r.code, r.stderr)
	}
	again := startServe(t, dir, serveArgs)
	served := again.listAll("/beta/me/profile/positions?$top=999", tok)
	if len(served) != len(copied) {
		t.Errorf("after restore the server serves %d positions, the copy holds %d", len(served), len(copied))
	}
	for _, p := range served {
		if !copied[p["id"].(string)] {
			t.Errorf("after restore the server serves %s, which is not in the copy", p["id"])
		}
	}
}

// positionsInStore opens the SQLite store at path and returns the ids of
// the positions of the test user.
func positionsInStore(t *testing.T, path string) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("opening the copy: %v", err)
	}
	defer store.Close()
	positions, _ := graphprofile.FindCollection("positions")
	ids := map[string]bool{}
	err = store.ScanItems(ctx, graphprofile.UserKey{TenantID: testTenant, UserID: testUser}, positions, graphprofile.OldestFirst, nil, func(it graphprofile.Item) (bool, error) {
		ids[it.ID()] = true
		return true, nil
	})
	if err != nil {
		t.Fatalf("reading the copy: %v", err)
	}
	return ids
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
