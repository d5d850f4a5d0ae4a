package graphapi_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
)

// stallingStore holds every list until the request's context ends, then
// fails with the context's error, as a store does when the client leaves.
type stallingStore struct {
	graphprofile.Store
	entered, returned chan struct{}
}

func (s stallingStore) ScanItems(ctx context.Context, _ graphprofile.UserKey, _ graphprofile.Collection, _ graphprofile.ItemOrder, _ *graphprofile.ItemPosition, _ func(graphprofile.Item) (bool, error)) error {
	s.entered <- struct{}{}
	<-ctx.Done()
	defer func() { s.returned <- struct{}{} }()
	return fmt.Errorf("sqlite: listing items: %w", ctx.Err())
}

// getAsync sends GET path with tok under ctx and reports how the
// client's request ended (nil: answered) on the returned channel.
func (s *testServer) getAsync(ctx context.Context, path, tok string) <-chan error {
	s.t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	done := make(chan error, 1)
	go func() {
		resp, err := s.client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	return done
}

// TestClientAbortIsNotAnError checks that a client that leaves mid-request
// costs one debug line, not an error: errors mean the server failed, and
// an attacker must not fill the log by hanging up.
func TestClientAbortIsNotAnError(t *testing.T) {
	logs := &logBuffer{}
	stall := stallingStore{entered: make(chan struct{}, 1), returned: make(chan struct{}, 1)}
	s := newTestServer(t, func(srv *graphapi.Server) {
		srv.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		stall.Store = srv.Service.Store
		srv.Service = &graphprofile.Service{Store: stall}
	})
	tok := s.delegated(tenantA, userA1, "User.Read")
	const aborts = 5
	for range aborts {
		ctx, cancel := context.WithCancel(context.Background())
		done := s.getAsync(ctx, "/beta/me/profile/positions", tok)
		<-stall.entered
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("the client's request ended with %v, want context.Canceled", err)
		}
		select {
		case <-stall.returned:
		case <-time.After(10 * time.Second):
			t.Fatal("the server did not see the client leave")
		}
	}
	// The handler logs after the store returns: wait for the last line.
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(logs.String(), "client went away") < aborts && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out := logs.String()
	if n := strings.Count(out, "level=ERROR"); n != 0 {
		t.Errorf("%d ERROR lines for client aborts:\n%s", n, out)
	}
	if n := strings.Count(out, "level=DEBUG msg=\"client went away\""); n != aborts {
		t.Errorf("%d debug lines for %d aborts, want one each:\n%s", n, aborts, out)
	}
	if n := strings.Count(out, "\n"); n != aborts {
		t.Errorf("%d log lines for %d aborts, want %d:\n%s", n, aborts, aborts, out)
	}
}

// holdingStore holds every list until the request's context ends, then
// fails with the context's error; entered is told of each list begun, when
// it has room.
type holdingStore struct {
	graphprofile.Store
	entered chan struct{}
}

func (s holdingStore) ScanItems(ctx context.Context, _ graphprofile.UserKey, _ graphprofile.Collection, _ graphprofile.ItemOrder, _ *graphprofile.ItemPosition, _ func(graphprofile.Item) (bool, error)) error {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return fmt.Errorf("sqlite: listing items: %w", ctx.Err())
}

// TestBatchAbortIsOneDebugLine checks that a client that leaves a $batch
// costs one debug line too, not one for each of its items, and that the
// items not yet begun do not run.
func TestBatchAbortIsOneDebugLine(t *testing.T) {
	logs := &logBuffer{}
	hold := holdingStore{entered: make(chan struct{}, 1)}
	s := newTestServer(t, func(srv *graphapi.Server) {
		srv.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		hold.Store = srv.Service.Store
		srv.Service = &graphprofile.Service{Store: hold}
	})
	tok := s.delegated(tenantA, userA1, "User.Read")
	items := make([]string, 20)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":"%d","method":"GET","url":"/me/profile/positions"}`, i+1)
	}
	req, err := http.NewRequest(http.MethodPost, s.url+"/beta/$batch", strings.NewReader(`{"requests":[`+strings.Join(items, ",")+`]}`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req = req.WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	done := make(chan error, 1)
	go func() {
		resp, err := s.client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-hold.entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the client's request ended with %v, want context.Canceled", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "client went away") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // room for any line more
	out := logs.String()
	if n := strings.Count(out, "level=ERROR"); n != 0 {
		t.Errorf("%d ERROR lines for a client abort:\n%s", n, out)
	}
	if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, `level=DEBUG msg="client went away"`) {
		t.Errorf("%d log lines for one abort of a batch, want one debug line:\n%s", n, out)
	}
}
