package outage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/logtest"
)

// flakyStore is a store whose Ping and CreateUser fail as unavailable
// while down (and, with writesOnly, only CreateUser: a full disk), and
// whose FindUser answers not found.
type flakyStore struct {
	graphprofile.Store
	down, writesOnly bool
}

var errDown = fmt.Errorf("dial tcp: connection refused: %w", graphprofile.ErrUnavailable)

func (f *flakyStore) Ping(context.Context) error {
	if f.down && !f.writesOnly {
		return errDown
	}
	return nil
}

func (f *flakyStore) CreateUser(context.Context, graphprofile.User) error {
	if f.down {
		return errDown
	}
	return nil
}

func (f *flakyStore) FindUser(context.Context, string, string) (graphprofile.User, error) {
	return graphprofile.User{}, graphprofile.ErrNotFound
}

// TestStoreOutageLines: an outage of the store is one ERROR line, then at
// most one an Interval with the failures it stands for, and one INFO line
// when the kind of call that failed last answers again; a canceled call
// counts for nothing.
func TestStoreOutageLines(t *testing.T) {
	var log logtest.Buffer
	flaky := &flakyStore{}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := NewStore(flaky, slog.New(slog.NewJSONHandler(&log, nil)))
	s.now = func() time.Time { return now }
	ctx := context.Background()
	lines := func() []map[string]any {
		t.Helper()
		var got []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
			if line == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			got = append(got, m)
		}
		log.Reset()
		return got
	}
	want := func(what string, got []map[string]any, level, msg string, failures int) {
		t.Helper()
		if len(got) != 1 || got[0]["level"] != level || got[0]["msg"] != msg || got[0]["failures"] != float64(failures) {
			t.Errorf("%s: lines %v, want one %s %q with failures %d", what, got, level, msg, failures)
		}
	}

	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if got := lines(); len(got) != 0 {
		t.Errorf("a store that answers: lines %v, want none", got)
	}

	flaky.down = true
	for range 100 {
		if err := s.Ping(ctx); !errors.Is(err, errDown) {
			t.Fatalf("Ping: %v, want the store's error as it is", err)
		}
		if _, err := s.FindUser(ctx, "t", "u"); !errors.Is(err, graphprofile.ErrNotFound) {
			t.Fatalf("FindUser: %v, want ErrNotFound", err)
		}
	}
	got := lines()
	want("100 failed pings within a minute", got, "ERROR", "store unavailable", 1)
	if len(got) == 1 && !strings.Contains(got[0]["err"].(string), "connection refused") {
		t.Errorf("the outage's line %v does not say why", got[0])
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	now = now.Add(Interval)
	_ = s.Ping(canceled)
	if got := lines(); len(got) != 0 {
		t.Errorf("a canceled call: lines %v, want none", got)
	}
	_ = s.Ping(ctx)
	want("a failure a minute later", lines(), "ERROR", "store unavailable", 100)
	now = now.Add(-time.Second) // the clock set back
	_ = s.Ping(ctx)
	want("a failure with the clock set back", lines(), "ERROR", "store unavailable", 1)

	_ = s.Ping(ctx)
	_ = s.Ping(ctx)
	flaky.down = false
	if err := s.CreateUser(ctx, graphprofile.User{}); err != nil {
		t.Fatal(err)
	}
	if got := lines(); len(got) != 0 {
		t.Errorf("a call of another kind answered: lines %v, want none (Ping failed last)", got)
	}
	_ = s.Ping(ctx)
	want("the store back", lines(), "INFO", "store answers again", 2)
	_ = s.Ping(ctx)
	if got := lines(); len(got) != 0 {
		t.Errorf("a second answer: lines %v, want none", got)
	}

	// Down in part, within the minute of the last line: told once the
	// minute is over; a ping that works is no end of it.
	flaky.down, flaky.writesOnly = true, true
	for range 10 {
		_ = s.CreateUser(ctx, graphprofile.User{})
		_ = s.Ping(ctx)
	}
	if got := lines(); len(got) != 0 {
		t.Errorf("failures within a minute of the last line: lines %v, want none", got)
	}
	now = now.Add(Interval)
	_ = s.CreateUser(ctx, graphprofile.User{})
	_ = s.Ping(ctx)
	want("writes failing a minute after the last line", lines(), "ERROR", "store unavailable", 11)
	flaky.down = false
	_ = s.CreateUser(ctx, graphprofile.User{})
	want("writes back", lines(), "INFO", "store answers again", 0)
}

// fullDiskStore is a store on a full disk: UpdateItem reads the item
// (ErrNotFound for an unknown one, the caller's refusal of it as that
// refusal) and cannot write it.
type fullDiskStore struct{ graphprofile.Store }

var errFull = fmt.Errorf("sqlite: committing: %w: database or disk is full", graphprofile.ErrUnavailable)

func (fullDiskStore) UpdateItem(_ context.Context, _ graphprofile.UserKey, _ graphprofile.Collection, id string, update func(graphprofile.Item) (graphprofile.Item, error)) (graphprofile.Item, error) {
	if id == "unknown" {
		return nil, graphprofile.ErrNotFound
	}
	if _, err := update(nil); err != nil {
		return nil, err
	}
	return nil, errFull
}

// TestStoreWriteRefusedIsNoAnswer: while a store cannot write (a full
// disk), a write refused before it wrote (the item not found, the caller's
// precondition not met) says nothing of whether it writes: it is no end
// of the outage. Only a write that went through is.
func TestStoreWriteRefusedIsNoAnswer(t *testing.T) {
	var log logtest.Buffer
	s := NewStore(fullDiskStore{}, slog.New(slog.NewJSONHandler(&log, nil)))
	ctx := context.Background()
	owner, c := graphprofile.UserKey{TenantID: "t", UserID: "u"}, graphprofile.Collection{Name: "positions"}
	write := func(graphprofile.Item) (graphprofile.Item, error) { return nil, nil }
	if _, err := s.UpdateItem(ctx, owner, c, "known", write); !errors.Is(err, errFull) {
		t.Fatalf("UpdateItem: %v, want the full disk's error", err)
	}
	precondition := graphprofile.Errorf("PreconditionFailed", "The ETag does not match.")
	if _, err := s.UpdateItem(ctx, owner, c, "unknown", write); !errors.Is(err, graphprofile.ErrNotFound) {
		t.Fatalf("UpdateItem(unknown): %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateItem(ctx, owner, c, "known", func(graphprofile.Item) (graphprofile.Item, error) { return nil, precondition }); !errors.Is(err, precondition) {
		t.Fatalf("UpdateItem refused by its caller: %v", err)
	}
	if got := log.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, "store unavailable") || strings.Contains(got, "store answers again") {
		t.Errorf("a write that failed, then writes refused before writing while the disk is still full: log\n%s\nwant the outage's one line, and no end of it", got)
	}
}
