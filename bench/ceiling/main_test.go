package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The markers cmd/graphprofile-bench checks answers for.
const (
	contextPrefix = `{"@odata.context":`
	idKey         = `"id":"`
	itemMarker    = `"createdDateTime":`
)

func TestCannedSizesAndShapes(t *testing.T) {
	for _, size := range []int{400, 1430, 1431, 5000} {
		body, off, err := cannedEntity(size)
		if err != nil {
			t.Fatal(err)
		}
		if len(body) != size || !json.Valid(body) || !bytes.HasPrefix(body, []byte(contextPrefix)) {
			t.Errorf("cannedEntity(%d): %d bytes, valid %v: %s", size, len(body), json.Valid(body), body)
		}
		if first := bytes.Index(body, []byte(idKey)); first+len(idKey) != off || string(body[off:off+guidLen]) != cannedGUID {
			t.Errorf("cannedEntity(%d): id offset %d, first id key at %d", size, off, first)
		}
	}
	for _, tt := range []struct{ size, items int }{{14200, 10}, {3000, 10}, {500, 0}, {100000, 75}} {
		body, err := cannedList(tt.size, tt.items)
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Value []map[string]any `json:"value"`
		}
		if len(body) != tt.size || json.Unmarshal(body, &list) != nil || len(list.Value) != tt.items ||
			bytes.Count(body, []byte(itemMarker)) != tt.items || !bytes.HasSuffix(body, []byte("]}")) ||
			!bytes.HasPrefix(body, []byte(contextPrefix)) {
			t.Errorf("cannedList(%d, %d): %d bytes, %d items: %s", tt.size, tt.items, len(body), len(list.Value), body)
		}
	}
	if _, _, err := cannedEntity(50); err == nil {
		t.Error("cannedEntity(50) made a body")
	}
	if _, err := cannedList(100, 10); err == nil {
		t.Error("cannedList(100, 10) made a body")
	}
}

func TestHandler(t *testing.T) {
	h, err := newHandler(1430, 1431, 1432, 14200, 10)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	const id = "8d317c0b-9d96-4d2a-82ec-20305cfee5c8"
	tests := []struct {
		method, path, body string
		status, size       int
		contains           string
	}{
		{"POST", "/beta/me/profile/positions", `{"isCurrent":true}`, 201, 1430, `"id":"` + cannedGUID + `"`},
		{"PATCH", "/beta/me/profile/positions/" + id, `{"isCurrent":false}`, 200, 1431, `"id":"` + id + `"`},
		{"GET", "/beta/users/a@b.example/profile/positions/" + id, "", 200, 1432, `"id":"` + id + `"`},
		{"GET", "/beta/me/profile/positions", "", 200, 14200, `"value":[`},
		{"GET", "/healthz", "", 200, 3, "ok"},
		{"DELETE", "/beta/me/profile/positions/" + id, "", 404, -1, ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || (tt.size >= 0 && len(b) != tt.size) || !strings.Contains(string(b), tt.contains) {
			t.Errorf("%s %s: %d, %d bytes, want %d, %d bytes containing %s: %s", tt.method, tt.path, resp.StatusCode, len(b), tt.status, tt.size, tt.contains, b)
		}
	}
	// The echo does not leak into the canned body.
	if !bytes.Contains(h.get.body, []byte(cannedGUID)) {
		t.Error("the canned get body was changed")
	}
}
