package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// readRecords returns the records of an append log file, in order.
func readRecords(t testing.TB, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var records []string
	for len(data) > 0 {
		if len(data) < 4 {
			t.Fatalf("%s: a truncated record header after %d records", path, len(records))
		}
		n := int(binary.LittleEndian.Uint32(data))
		if len(data) < 4+n {
			t.Fatalf("%s: a truncated record after %d records", path, len(records))
		}
		records = append(records, string(data[4:4+n]))
		data = data[4+n:]
	}
	return records
}

// gatedSync replaces a log's fsync: each call reports itself on entered,
// then waits for release.
type gatedSync struct {
	entered chan struct{}
	release chan struct{}
}

func gate(l *appendLog) *gatedSync {
	g := &gatedSync{entered: make(chan struct{}, 100), release: make(chan struct{})}
	real := l.sync
	l.sync = func() error {
		g.entered <- struct{}{}
		<-g.release
		return real()
	}
	return g
}

// waitFor polls cond (not a timing assertion: only how long to wait before
// giving up on a condition that must come).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func newDurableServer(t *testing.T) (*httptest.Server, *appendLog, string) {
	t.Helper()
	h, err := newHandler(answerSizes{create: 1430, update: 1431, get: 1432, list: 14200, listItems: 10, profile: 60000, profileItems: 10})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "durable.log")
	if h.durable, err = openAppendLog(path); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		if err := h.durable.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv, h.durable, path
}

func send(url, method, body string) (int, string, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// A write is answered only after the fsync that covers it: while the
// fsync is held the answer has not come, and the body is already in the
// file when the fsync starts.
func TestDurableAnswersAfterSync(t *testing.T) {
	const id = "8d317c0b-9d96-4d2a-82ec-20305cfee5c8"
	tests := []struct {
		method, path, body string
		status             int
	}{
		{http.MethodPost, "/beta/me/profile/positions", `{"detail":{"jobTitle":"first"}}`, http.StatusCreated},
		{http.MethodPatch, "/beta/me/profile/positions/" + id, `{"isCurrent":true}`, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			srv, l, path := newDurableServer(t)
			g := gate(l)
			type answer struct {
				status int
				err    error
			}
			answered := make(chan answer, 1)
			go func() {
				status, _, err := send(srv.URL+tt.path, tt.method, tt.body)
				answered <- answer{status, err}
			}()
			<-g.entered
			if got := readRecords(t, path); !slices.Equal(got, []string{tt.body}) {
				t.Errorf("when the fsync began the file held %q, want the body", got)
			}
			select {
			case a := <-answered:
				t.Fatalf("answered %d (%v) before the fsync returned", a.status, a.err)
			default:
			}
			close(g.release)
			a := <-answered
			if a.err != nil || a.status != tt.status {
				t.Fatalf("answer %d, %v; want %d", a.status, a.err, tt.status)
			}
			if records, syncs := l.records.Load(), l.syncs.Load(); records != 1 || syncs != 1 {
				t.Errorf("%d records in %d fsyncs, want 1 in 1", records, syncs)
			}
		})
	}
}

// Reads are not logged, and bare mode logs nothing at all.
func TestDurableLogsOnlyWrites(t *testing.T) {
	srv, l, path := newDurableServer(t)
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/beta/me/profile/positions"},
		{http.MethodGet, "/beta/me/profile/positions/8d317c0b-9d96-4d2a-82ec-20305cfee5c8"},
		{http.MethodGet, "/healthz"},
		{http.MethodDelete, "/beta/me/profile/positions/8d317c0b-9d96-4d2a-82ec-20305cfee5c8"},
		{http.MethodPost, "/beta/$batch"},
	} {
		if _, _, err := send(srv.URL+r.path, r.method, `{"x":1}`); err != nil {
			t.Fatal(err)
		}
	}
	if got := readRecords(t, path); len(got) != 0 || l.syncs.Load() != 0 {
		t.Errorf("reads and refused requests logged %q in %d fsyncs", got, l.syncs.Load())
	}
}

// Concurrent writes through HTTP: every body is in the file exactly once,
// each answered after its fsync, with fewer fsyncs than writes or as many.
func TestDurableConcurrentWrites(t *testing.T) {
	srv, l, path := newDurableServer(t)
	const writers, each = 16, 25
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent []string
		errs []error
	)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				method, p, want := http.MethodPost, "/beta/me/profile/positions", http.StatusCreated
				if i%2 == 1 {
					method, p, want = http.MethodPatch, "/beta/me/profile/positions/8d317c0b-9d96-4d2a-82ec-20305cfee5c8", http.StatusOK
				}
				body := fmt.Sprintf(`{"writer":%d,"write":%d,"pad":"%s"}`, w, i, strings.Repeat("x", w*i))
				status, _, err := send(srv.URL+p, method, body)
				if err == nil && status != want {
					err = fmt.Errorf("%s: status %d, want %d", method, status, want)
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					sent = append(sent, body)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got := readRecords(t, path)
	slices.Sort(got)
	slices.Sort(sent)
	if !slices.Equal(got, sent) {
		t.Errorf("the file holds %d records, %d writes were answered; they differ", len(got), len(sent))
	}
	if records, syncs := l.records.Load(), l.syncs.Load(); records != writers*each || syncs < 1 || syncs > records {
		t.Errorf("%d records in %d fsyncs, want %d in 1…%[3]d", records, syncs, writers*each)
	}
}

// Appends that arrive while an fsync runs are written and fsynced together,
// once, when it returns.
func TestDurableGroupsWaitingAppends(t *testing.T) {
	l, err := openAppendLog(filepath.Join(t.TempDir(), "durable.log"))
	if err != nil {
		t.Fatal(err)
	}
	g := gate(l)
	const waiting = 10
	var wg sync.WaitGroup
	errs := make(chan error, waiting+1)
	wg.Go(func() { errs <- l.Append([]byte("first")) })
	<-g.entered // the first group's fsync is running
	for i := range waiting {
		wg.Go(func() { errs <- l.Append(fmt.Appendf(nil, "waiting %d", i)) })
	}
	waitFor(t, "the appends to queue", func() bool { return len(l.pending) == waiting })
	close(g.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if records, syncs := l.records.Load(), l.syncs.Load(); records != waiting+1 || syncs != 2 {
		t.Errorf("%d records in %d fsyncs, want %d in 2 (the first alone, then the waiting ones together)", records, syncs, waiting+1)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readRecords(t, l.f.Name()); len(got) != waiting+1 || got[0] != "first" {
		t.Errorf("records %q", got)
	}
	if !strings.HasPrefix(l.Stats(), "11 records in 2 fsyncs (5.5 per fsync)") {
		t.Errorf("Stats() = %q", l.Stats())
	}
}

// A failed write or fsync is every waiting writer's error, and the ceiling
// answers 500 rather than acknowledging.
func TestDurableSyncFailure(t *testing.T) {
	srv, l, _ := newDurableServer(t)
	l.sync = func() error { return errors.New("disk gone") }
	status, body, err := send(srv.URL+"/beta/me/profile/positions", http.MethodPost, `{}`)
	if err != nil || status != http.StatusInternalServerError || !strings.Contains(body, "disk gone") {
		t.Errorf("answer %d %q, %v; want 500 naming the failure", status, body, err)
	}
}

// BenchmarkDurableAppend shows group commit at work: concurrent appends
// share fsyncs (records/fsync well above 1) on a real file.
func BenchmarkDurableAppend(b *testing.B) {
	l, err := openAppendLog(filepath.Join(b.TempDir(), "durable.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	record := []byte(strings.Repeat("x", 500))
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Append(record); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if syncs := l.syncs.Load(); syncs > 0 {
		b.ReportMetric(float64(l.records.Load())/float64(syncs), "records/fsync")
	}
}
