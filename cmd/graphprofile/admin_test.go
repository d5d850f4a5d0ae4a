package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const testAdminToken = "admin-token-of-the-tests-0123"

// wantGraphError checks that r is Graph's error envelope with code and message.
func wantGraphError(t *testing.T, what string, r response, code, message string) {
	t.Helper()
	if got, msg := field(r.body, "error.code"), field(r.body, "error.message"); got != code || msg != message {
		t.Errorf("%s: error %v %q, want %s %q", what, got, msg, code, message)
	}
}

const adminTokenNeeded = "The admin API needs the server's admin token (serve --admin-token) as a bearer token."

// TestServeAdminAndAccessLog: serve --admin-token --log-format json
// --journal-size: the admin API answers with the token only, its journal
// keeps the last requests, its clock makes `graphprofile token`'s token
// expire, reset empties the store, and stderr has a JSON access line per
// request without the tokens.
func TestServeAdminAndAccessLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServe(t, dir, listenFlag("--admin-token", testAdminToken, "--log-format", "json", "--journal-size", "2"))
	token := mintToken(t, dir, nil, delegatedArgs...)

	wantGraphError(t, "reset without a token", s.do(http.MethodPost, "/_admin/reset", "", "", http.StatusUnauthorized), "InvalidAuthenticationToken", adminTokenNeeded)
	wantGraphError(t, "reset with a Graph token", s.do(http.MethodPost, "/_admin/reset", token, "", http.StatusUnauthorized), "InvalidAuthenticationToken", adminTokenNeeded)
	s.create(token, `{"detail":{"jobTitle":"Engineer"}}`)
	wantGraphError(t, "GET of a position not there", s.do(http.MethodGet, "/beta/me/profile/positions/nope", token, "", http.StatusNotFound),
		"itemNotFound", "The workPosition 'nope' does not exist in this profile.")
	if me := s.do(http.MethodGet, "/beta/me", token, "", http.StatusOK); me.body["id"] != testUser {
		t.Errorf("GET /beta/me answers %s, want user %s", me.raw, testUser)
	}

	journal := s.do(http.MethodGet, "/_admin/requests", testAdminToken, "", http.StatusOK)
	var urls []string
	for _, e := range journal.body["requests"].([]any) {
		urls = append(urls, field(e.(map[string]any), "request.url").(string))
	}
	if strings.Join(urls, " ") != "/beta/me /beta/me/profile/positions/nope" {
		t.Errorf("journal of 2: %v", urls)
	}

	// An hour's token, and five minutes' leeway: expired 2 h later.
	if clock := s.do(http.MethodPost, "/_admin/clock", testAdminToken, `{"advance":"2h"}`, http.StatusOK); clock.body["offset"] != "2h0m0s" || clock.body["realTime"] != false {
		t.Errorf("the clock advanced by 2h: %s", clock.raw)
	}
	wantGraphError(t, "a token 2 h later", s.do(http.MethodGet, "/beta/me", token, "", http.StatusUnauthorized), "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
	if clock := s.do(http.MethodDelete, "/_admin/clock", testAdminToken, "", http.StatusOK); clock.body["offset"] != "0s" || clock.body["realTime"] != true {
		t.Errorf("the clock back to real time: %s", clock.raw)
	}
	if got := s.list("/beta/me/profile/positions", token); len(got) != 1 {
		t.Fatalf("positions before reset: %v", got)
	}
	s.do(http.MethodPost, "/_admin/reset", testAdminToken, "", http.StatusNoContent)
	if got := s.list("/beta/me/profile/positions", token); len(got) != 0 {
		t.Errorf("positions after reset: %v", got)
	}

	waitStderr(t, s, `"path":"/beta/me/profile/positions/nope"`)
	var lines int
	for line := range strings.SplitSeq(strings.TrimSpace(s.stderr.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("a stderr line is not JSON: %v: %s", err, line)
		}
		if entry["msg"] != "request" {
			continue
		}
		lines++
		if entry["path"] == "/beta/me/profile/positions/nope" &&
			(entry["status"] != float64(404) || entry["tenant"] != testTenant || entry["oid"] != testUser || entry["route"] != "/beta/{owner}/profile/{facet}/{id}") {
			t.Errorf("the 404's access line: %v", entry)
		}
	}
	if lines < 10 {
		t.Errorf("%d access lines, want one per request:\n%s", lines, s.stderr)
	}
	for _, secret := range []string{token, testAdminToken} {
		if strings.Contains(s.stderr.String(), secret) {
			t.Error("stderr holds a token")
		}
	}
}

// TestServeAdminFromEnvironment: GRAPHPROFILE_ADMIN_TOKEN and
// GRAPHPROFILE_LOG_FORMAT as their flags; without a token /_admin/ is not
// served.
func TestServeAdminFromEnvironment(t *testing.T) {
	t.Parallel()
	on := startServe(t, t.TempDir(), func(addr string) ([]string, []string) {
		return []string{"--listen", addr}, []string{"GRAPHPROFILE_ADMIN_TOKEN=" + testAdminToken, "GRAPHPROFILE_LOG_FORMAT=text", "GRAPHPROFILE_JOURNAL_SIZE=5"}
	})
	if clock := on.do(http.MethodGet, "/_admin/clock", testAdminToken, "", http.StatusOK); clock.body["realTime"] != true || clock.body["offset"] != "0s" {
		t.Errorf("GET /_admin/clock: %s", clock.raw)
	}
	waitStderr(t, on, `msg=request method=GET path=/_admin/clock status=200`)

	off := startServe(t, t.TempDir(), listenFlag())
	wantGraphError(t, "/_admin/clock without an admin token", off.do(http.MethodGet, "/_admin/clock", testAdminToken, "", http.StatusBadRequest),
		"BadRequest", "Invalid version: '_admin'. The versions this service serves are 'beta' and 'v1.0'.")
}

// TestServeAdminJournalOff: --journal-size 0 keeps no request, where the
// server's own default would keep 1000.
func TestServeAdminJournalOff(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServe(t, dir, listenFlag("--admin-token", testAdminToken, "--journal-size", "0"))
	token := mintToken(t, dir, nil, delegatedArgs...)
	s.do(http.MethodGet, "/beta/me", token, "", http.StatusOK)
	journal := s.do(http.MethodGet, "/_admin/requests", testAdminToken, "", http.StatusOK)
	if requests, ok := journal.body["requests"].([]any); !ok || len(requests) != 0 {
		t.Errorf("GET /_admin/requests with --journal-size 0: %s, want no requests", journal.raw)
	}
}

// TestServeAdminFlagsRefused: bad values of the new flags end serve with
// one line naming the flag.
func TestServeAdminFlagsRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args, env []string
		stderrHas string
	}{
		{[]string{"serve", "--log-format", "xml"}, nil, "--log-format"},
		{[]string{"serve"}, []string{"GRAPHPROFILE_LOG_FORMAT=yaml"}, "yaml"},
		{[]string{"serve", "--journal-size", "-1"}, nil, "--journal-size"},
		{[]string{"serve", "--admin-token", " padded "}, nil, "--admin-token"},
	} {
		r := runCLI(t, t.TempDir(), tt.env, tt.args...)
		if r.code == 0 || !strings.Contains(r.stderr, tt.stderrHas) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v %v: exit %d, stderr %q; want a failure naming %s", tt.args, tt.env, r.code, r.stderr, tt.stderrHas)
		}
	}
}
