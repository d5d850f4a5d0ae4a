package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestNextLinkPath(t *testing.T) {
	page := func(link string) string {
		return `{"@odata.context":"http://h/beta/$metadata#users('x')/profile/positions","value":[{"id":"1","createdDateTime":"x"}],"@odata.nextLink":` + link + `}`
	}
	tests := []struct {
		name, body, want string
	}{
		{"plain", page(`"http://127.0.0.1:8080/beta/me/profile/positions?$top=10&$skiptoken=abc%3D%3D"`), "/beta/me/profile/positions?$top=10&$skiptoken=abc%3D%3D"},
		{"JSON escapes", page(`"http:\/\/127.0.0.1:8080\/beta\/me\/profile\/positions?$top=10\u0026$skiptoken=a\"b"`), `/beta/me/profile/positions?$top=10&$skiptoken=a"b`},
		{"another host: its path", page(`"https://graph.example.com/beta/users/a%40b.example/profile/positions?$skiptoken=x"`), "/beta/users/a%40b.example/profile/positions?$skiptoken=x"},
		{"no link", `{"@odata.context":"x","value":[]}`, ""},
		{"not a string", page(`42`), ""},
		{"unterminated", `{"value":[],"@odata.nextLink":"http://h/beta/x`, ""},
		{"relative", page(`"/beta/me/profile/positions?$skiptoken=x"`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := nextLinkPath([]byte(tt.body))
			if got != tt.want || (err == nil) != (tt.want != "") {
				t.Errorf("nextLinkPath = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestBatchOfCreates(t *testing.T) {
	body := batchOfCreates("/me/profile/positions", 3)
	var batch struct {
		Requests []struct {
			ID, Method, URL string
			Headers         map[string]string
			Body            map[string]any
		}
	}
	if err := json.Unmarshal(body, &batch); err != nil || len(batch.Requests) != 3 {
		t.Fatalf("batchOfCreates: %v: %s", err, body)
	}
	for i, r := range batch.Requests {
		if r.ID != []string{"1", "2", "3"}[i] || r.Method != "POST" || r.URL != "/me/profile/positions" ||
			r.Headers["Content-Type"] != "application/json" || r.Body["isCurrent"] != true {
			t.Errorf("request %d: %+v", i, r)
		}
	}

	const id1, id2 = "8d317c0b-9d96-4d2a-82ec-20305cfee5c8", "00000000-9d96-4d2a-82ec-20305cfee5c8"
	item := func(id string, status int, body string) string {
		return `{"id":"` + id + `","status":` + strconv.Itoa(status) + `,"headers":{"Content-Type":"application/json"},"body":` + body + `}`
	}
	answer := func(items ...string) string { return `{"responses":[` + strings.Join(items, ",") + `]}` }
	created := func(id string) string { return `{"@odata.context":"x","id":"` + id + `","isCurrent":true}` }
	tests := []struct {
		name   string
		status int
		body   string
		n      int
		want   []string
	}{
		{"two created", 200, answer(item("2", 201, created(id2)), item("1", 201, created(id1))), 2, []string{id2, id1}},
		{"batch refused", 400, `{"error":{"code":"BadRequest"}}`, 2, nil},
		{"an item refused", 200, answer(item("1", 201, created(id1)), item("2", 429, `{"error":{"code":"TooManyRequests"}}`)), 2, nil},
		{"too few answers", 200, answer(item("1", 201, created(id1))), 2, nil},
		{"no id", 200, answer(item("1", 201, `{"isCurrent":true}`)), 1, nil},
		{"not JSON", 200, `<html>`, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checkBatchOfCreates(tt.status, []byte(tt.body), tt.n)
			if strings.Join(got, ",") != strings.Join(tt.want, ",") || (err == nil) != (tt.want != nil) {
				t.Errorf("checkBatchOfCreates = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	// A server holding fewer items a collection than the setup creates
	// refuses the rest 507: the error says what to start it with.
	_, err := checkBatchOfCreates(200, []byte(answer(item("1", 201, created(id1)), item("2", 507, `{"error":{"code":"quotaLimitReached"}}`))), 2)
	if err == nil || !strings.Contains(err.Error(), "quotaLimitReached") || !strings.Contains(err.Error(), "serve --max-items") {
		t.Errorf("an item refused for the quota: %v; want the answer and a hint at serve --max-items", err)
	}
}

func TestParseConfig(t *testing.T) {
	base := []string{"--url", "http://127.0.0.1:8080", "--key", "k.pem"}
	// A database named through a link: serve keeps its key beside the
	// file the link names, and so must the key's path be.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "real"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "real", "gp.db"), filepath.Join(dir, "link.db")); err != nil {
		t.Fatal(err)
	}
	realDir, err := filepath.EvalSymlinks(filepath.Join(dir, "real"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(config) bool
	}{
		{"defaults", nil, "", func(c config) bool {
			return c.workload == "get" && c.connections == 32 && c.interval == 0 && c.sampleEvery == time.Second && c.lopsidedItems == 100000
		}},
		{"lopsided: a quarter as many writers as readers", []string{"--workload", "lopsided"}, "", func(c config) bool { return c.lopsidedWriters == 8 && c.connections == 32 }},
		{"lopsided: one reader", []string{"--workload", "lopsided", "-c", "1"}, "", func(c config) bool { return c.lopsidedWriters == 1 }},
		{"lopsided: writers given", []string{"--workload", "lopsided", "--lopsided-writers", "3", "--lopsided-items", "50"}, "", func(c config) bool {
			return c.lopsidedWriters == 3 && c.lopsidedItems == 50
		}},
		{"store names the key", []string{"--store", "sqlite:/tmp/x.db", "--key", ""}, "", func(c config) bool { return c.keyFile == "/tmp/x.db-devkey.pem" }},
		{"store through a link names the key beside its file", []string{"--store", "sqlite:" + filepath.Join(dir, "link.db"), "--key", ""}, "", func(c config) bool {
			return c.keyFile == filepath.Join(realDir, "gp.db-devkey.pem")
		}},
		{"durable ceiling", []string{"--ceiling", "--durable", "--workload", "create"}, "", func(c config) bool { return c.ceiling && c.durable }},
		{"long run", []string{"--interval", "1m", "--wal", "x.db-wal", "--sample-every", "5s", "--acked", "a.jsonl", "--duration", "10m"}, "", func(c config) bool {
			return c.interval == time.Minute && c.wal == "x.db-wal" && c.sampleEvery == 5*time.Second && c.acked == "a.jsonl"
		}},
		{"durable alone", []string{"--durable"}, "--durable and --graph-floor describe a ceiling", nil},
		{"graph floor", []string{"--ceiling", "--graph-floor", "--workload", "list"}, "", func(c config) bool { return c.ceiling && c.graphFloor && !c.durable }},
		{"graph floor alone", []string{"--graph-floor"}, "--durable and --graph-floor describe a ceiling", nil},
		{"durable graph floor", []string{"--ceiling", "--graph-floor", "--durable", "--workload", "create"}, "", func(c config) bool { return c.ceiling && c.graphFloor && c.durable }},
		{"acked of a ceiling", []string{"--ceiling", "--acked", "a.jsonl"}, "the ceiling stores nothing", nil},
		{"lopsided against a ceiling", []string{"--ceiling", "--workload", "lopsided"}, "lopsided has no ceiling", nil},
		{"lopsided: no writer", []string{"--workload", "lopsided", "--lopsided-writers", "-1"}, "want at least 1", nil},
		{"lopsided: too few items", []string{"--workload", "lopsided", "--lopsided-items", "49"}, "want at least 50", nil},
		{"negative interval", []string{"--interval", "-1s"}, "--interval must not be negative", nil},
		{"no sampling period", []string{"--sample-every", "0"}, "--sample-every must be positive", nil},
		{"profile", []string{"--workload", "profile", "--positions-per-user", "3", "--via", "upn"}, "", func(c config) bool {
			return c.workload == "profile" && c.positionsPerUser == 3 && c.via == "upn"
		}},
		{"profile against a ceiling", []string{"--ceiling", "--workload", "profile"}, "", func(c config) bool { return c.ceiling }},
		{"acked of profile", []string{"--workload", "profile", "--acked", "a.jsonl"}, "verify reads back", nil},
		// A pid whose /proc cannot be read reported nothing, silently, and
		// counted the server's CPU as other processes'.
		{"server pid negative", []string{"--server-pid", "-5"}, "--server-pid -5: want the pid of the running server", nil},
		{"server pid of no process", []string{"--server-pid", "999999999"}, "--server-pid 999999999: no such process", nil},
		{"server pid of this process", []string{"--server-pid", strconv.Itoa(os.Getpid())}, "", func(c config) bool { return c.serverPID == os.Getpid() }},
		{"unknown workload", []string{"--workload", "soak"}, "want one of create, update, get, list, mixed, lopsided, profile", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(append(append([]string{}, base...), tt.args...), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(c) {
				t.Errorf("parseConfig = %+v, %v", c, err)
			}
		})
	}
}

func TestSummarizeSamples(t *testing.T) {
	s := func(at time.Duration, rss, wal int64) serverSample {
		return serverSample{at: at, rssKB: rss, walBytes: wal}
	}
	samples := []serverSample{s(-time.Second, 90, 0), s(0, 10, 100), s(30*time.Second, 50, 400), s(59*time.Second, 20, 300), s(60*time.Second, 30, 0)}
	tests := []struct {
		from, to time.Duration
		want     sampleSummary
	}{
		{0, time.Minute, sampleSummary{rssMaxKB: 50, rssLastKB: 20, walMax: 400, walLast: 300}},
		{time.Minute, 2 * time.Minute, sampleSummary{rssMaxKB: 30, rssLastKB: 30, walMax: 0, walLast: 0}},
		{-time.Hour, time.Hour, sampleSummary{rssMaxKB: 90, rssLastKB: 30, walMax: 400, walLast: 0}},
		{time.Hour, 2 * time.Hour, sampleSummary{}},
	}
	for _, tt := range tests {
		if got := summarizeSamples(samples, tt.from, tt.to); got != tt.want {
			t.Errorf("summarizeSamples(%v, %v) = %+v, want %+v", tt.from, tt.to, got, tt.want)
		}
	}
	// Two intervals of 30 s: the sample taken as sampling stopped (60 s,
	// after the measured minute) is the last interval's.
	lo, hi := sampleWindow(1, 2, 30*time.Second, 30*time.Second)
	if got, want := summarizeSamples(samples, lo, hi), (sampleSummary{rssMaxKB: 50, rssLastKB: 30, walMax: 400, walLast: 0}); got != want {
		t.Errorf("the last interval's samples: %+v, want %+v", got, want)
	}
	lo, hi = sampleWindow(0, 2, 0, 30*time.Second)
	if got, want := summarizeSamples(samples, lo, hi), (sampleSummary{rssMaxKB: 10, rssLastKB: 10, walMax: 100, walLast: 100}); got != want {
		t.Errorf("the first interval's samples: %+v, want %+v", got, want)
	}
}
