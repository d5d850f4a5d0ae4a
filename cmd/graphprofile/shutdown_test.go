package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMUnderLoad sends SIGTERM while several clients create
// positions as fast as they can: serve exits 0, and every request either got
// its 201 and is stored, or got no answer or a 503. Nothing acknowledged is
// lost.
func TestSIGTERMUnderLoad(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM to send on Windows")
	}
	dir := t.TempDir()
	// As many creates as the clients make: none refused for room
	// (--max-items), which this test is not about.
	s := startServe(t, dir, listenFlag("--drain-timeout", "10s", "--max-items", "1000000"))
	token := mintToken(t, dir, nil, delegatedArgs...)

	var (
		mu           sync.Mutex
		acknowledged []string
		unanswered   int
		unavailable  int
		wrong        []string
	)
	client := &http.Client{Timeout: 15 * time.Second}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodPost, s.url+"/beta/me/profile/positions", strings.NewReader(createBody))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					unanswered++
					mu.Unlock()
					select {
					case <-stop:
						return
					case <-time.After(10 * time.Millisecond):
						continue
					}
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				switch resp.StatusCode {
				case http.StatusCreated:
					var p struct{ ID string }
					if json.Unmarshal(body, &p) != nil || p.ID == "" {
						wrong = append(wrong, "201 without an id: "+string(body))
					} else {
						acknowledged = append(acknowledged, p.ID)
					}
				case http.StatusServiceUnavailable:
					var e struct{ Error struct{ Code string } }
					if json.Unmarshal(body, &e) != nil || e.Error.Code != "serviceNotAvailable" || resp.Header.Get("Retry-After") == "" {
						wrong = append(wrong, "503 without serviceNotAvailable and Retry-After: "+string(body))
					}
					unavailable++
				default:
					wrong = append(wrong, resp.Status+": "+string(body))
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	s.sendSignal(syscall.SIGTERM)
	code, exited := s.waitExit(15 * time.Second)
	close(stop)
	wg.Wait()
	if !exited {
		t.Fatalf("serve still runs 15 s after SIGTERM under load; stderr:\n%s", s.stderr.String())
	}
	if code != 0 {
		t.Fatalf("serve exited %d after SIGTERM, want 0; stderr:\n%s", code, s.stderr.String())
	}
	for _, w := range wrong {
		t.Errorf("answer neither a 201 nor a 503: %s", w)
	}
	if len(acknowledged) == 0 {
		t.Fatal("no create was acknowledged before the shutdown")
	}

	again := startServe(t, dir, listenFlag("--max-items", "1000000"))
	for _, id := range acknowledged {
		if r, err := again.request(http.MethodGet, "/beta/me/profile/positions/"+id, token, ""); err != nil || r.status != http.StatusOK || r.body["id"] != id {
			t.Errorf("acknowledged position %s lost across the shutdown: %v %d %s", id, err, r.status, r.raw)
		}
	}
	total := len(again.listAll("/beta/me/profile/positions", token))
	if total < len(acknowledged) || total > len(acknowledged)+unanswered {
		t.Errorf("%d positions stored, want between %d (acknowledged) and %d (plus unanswered)", total, len(acknowledged), len(acknowledged)+unanswered)
	}
	t.Logf("%d creates acknowledged, %d unanswered, %d answered 503; all acknowledged ones stored", len(acknowledged), unanswered, unavailable)
}

// TestSIGTERMDrainsExpensiveFilters sends SIGTERM while clients read a
// profile with the costliest filters the server accepts (two nested
// lambdas over 100 categories, near the work budget) and clients that give
// up mid-request: every request ends within the drain, and serve exits 0.
func TestSIGTERMDrainsExpensiveFilters(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM to send on Windows")
	}
	dir := t.TempDir()
	s := startServe(t, dir, listenFlag("--drain-timeout", "5s"))
	token := mintToken(t, dir, nil, delegatedArgs...)
	categories := make([]string, 100)
	for i := range categories {
		categories[i] = fmt.Sprintf(`"c%02d"`, i)
	}
	body := `{"categories":[` + strings.Join(categories, ",") + `]}`
	for range 99 {
		s.do(http.MethodPost, "/beta/me/profile/positions", token, body, http.StatusCreated)
	}
	filter := "/beta/me/profile/positions/$count?$filter=" + url.QueryEscape("categories/any(a:categories/any(b:b eq a and a eq 'none'))")
	stop := make(chan struct{})
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		answered int
		wrong    []string
	)
	for i := range 8 {
		wg.Go(func() {
			// Half the clients give up after 5 ms, mid-evaluation.
			timeout := 15 * time.Second
			if i%2 == 1 {
				timeout = 5 * time.Millisecond
			}
			client := &http.Client{Timeout: timeout}
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodGet, s.url+filter, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					select {
					case <-stop:
						return
					case <-time.After(time.Millisecond):
						continue
					}
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				if resp.StatusCode == http.StatusOK && string(got) == "0" {
					answered++
				} else if resp.StatusCode != http.StatusServiceUnavailable {
					wrong = append(wrong, resp.Status+": "+string(got))
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(time.Second)
	s.sendSignal(syscall.SIGTERM)
	code, exited := s.waitExit(10 * time.Second)
	close(stop)
	wg.Wait()
	if !exited {
		t.Fatalf("serve still runs 10 s after SIGTERM with a drain timeout of 5 s; stderr:\n%s", s.stderr.String())
	}
	if code != 0 {
		t.Fatalf("serve exited %d after SIGTERM, want 0; stderr:\n%s", code, s.stderr.String())
	}
	for _, w := range wrong {
		t.Errorf("unexpected answer: %s", w)
	}
	if answered == 0 {
		t.Error("no filtered count was answered before the shutdown")
	}
	if n := strings.Count(s.stderr.String(), "level=ERROR"); n != 0 {
		t.Errorf("%d ERROR lines for clients that gave up:\n%s", n, s.stderr.String())
	}
	t.Logf("%d filtered counts answered before SIGTERM", answered)
}
