package graphapi_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gunzip decompresses a gzip body, failing the test if it is not one.
func gunzip(t *testing.T, body []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("body is not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	return out
}

// TestGzipResponses: a client that accepts gzip gets bodies of a kilobyte
// or more compressed; smaller ones, and clients that do not accept it, get
// them plain. Either way the response says it varies by Accept-Encoding.
func TestGzipResponses(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	body := readTestdata(t, "seed/create-request.json")
	for range 4 {
		s.create(tok, "/me", body)
	}
	smallID := s.create(tok, "/me", `{}`)["id"].(string)
	const list = "/beta/me/profile/positions"
	plain := s.do(request{path: list, token: tok, header: map[string]string{"Accept-Encoding": "identity"}})
	if plain.status != http.StatusOK || len(plain.body) < 2048 || plain.header.Get("Content-Encoding") != "" {
		t.Fatalf("identity: %d, %d bytes, Content-Encoding %q", plain.status, len(plain.body), plain.header.Get("Content-Encoding"))
	}
	small := s.do(request{path: list + "?$select=id&$top=1", token: tok, header: map[string]string{"Accept-Encoding": "identity"}})
	if len(small.body) >= 1024 {
		t.Fatalf("the small answer is %d bytes", len(small.body))
	}

	tests := []struct {
		acceptEncoding string
		path           string
		gzipped        bool
	}{
		{"gzip", list, true},
		{"gzip, deflate, br, zstd", list, true}, // what browsers send
		{"GZIP", list, true},
		{"x-gzip", list, true},
		{"*", list, true},
		{"br;q=1.0, gzip;q=0.5", list, true},
		{"gzip;q=0", list, false},
		{"gzip;q=0.000", list, false},
		{"gzip; Q=0", list, false}, // a parameter's name is case-insensitive (RFC 9110 5.6.6)
		{"*, gzip;q=0", list, false},
		{"br", list, false},
		{"identity", list, false},
		{"*;q=0", list, false},
		{"gzip", list + "?$select=id&$top=1", false},             // under a kilobyte
		{"gzip", "/beta/me/profile/positions/nope", false},       // a small error
		{"gzip", "/beta/me/profile/positions/" + smallID, false}, // a small position
		{"gzip", "/beta/me/profile/positions/$count", false},     // a number
		{"gzip", list + "?$top=3&$format=json", true},            // with other options
		{"gzip", "/beta/users/" + userA1 + "/profile/positions", true},
	}
	for _, tc := range tests {
		t.Run(tc.acceptEncoding+" "+tc.path, func(t *testing.T) {
			resp := s.do(request{path: tc.path, token: tok, header: map[string]string{"Accept-Encoding": tc.acceptEncoding}})
			if got := resp.header.Get("Content-Length"); got != strconv.Itoa(len(resp.body)) {
				t.Errorf("Content-Length %q, body %d bytes", got, len(resp.body))
			}
			if !containsFold(headerList(resp.header, "Vary"), "Accept-Encoding") {
				t.Errorf("Vary %v lacks Accept-Encoding", resp.header.Values("Vary"))
			}
			got := resp.body
			if tc.gzipped {
				if resp.header.Get("Content-Encoding") != "gzip" {
					t.Fatalf("Content-Encoding %q, want gzip", resp.header.Get("Content-Encoding"))
				}
				got = gunzip(t, resp.body)
				if len(resp.body)*3 > len(got) {
					t.Errorf("gzip took %d bytes to %d only", len(got), len(resp.body))
				}
			} else if ce := resp.header.Get("Content-Encoding"); ce != "" {
				t.Fatalf("Content-Encoding %q, want none", ce)
			}
			want := s.do(request{path: tc.path, token: tok, header: map[string]string{"Accept-Encoding": "identity"}})
			if resp.status != want.status || (want.status == http.StatusOK && !bytes.Equal(got, want.body)) {
				t.Errorf("decoded answer differs from the plain one:\n%d %s\n%d %s", resp.status, got, want.status, want.body)
			}
		})
	}
}

// TestGzipFromOneKiB: a body of 1 KiB or more is gzipped, one a byte
// shorter is not (docs/decisions.md, Compression). The error's body echoes
// client-request-id, whose length sets the body's to the byte.
func TestGzipFromOneKiB(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	const path = "/beta/me/profile/positions/nope"
	get := func(clientRequestID, acceptEncoding string) *response {
		return s.do(request{path: path, token: tok, header: map[string]string{
			"Client-Request-Id": clientRequestID, "Accept-Encoding": acceptEncoding}})
	}
	base := len(get("x", "identity").body) - 1 // the body without the id
	for _, tc := range []struct {
		size    int
		gzipped bool
	}{{1023, false}, {1024, true}} {
		id := strings.Repeat("x", tc.size-base)
		if plain := get(id, "identity"); len(plain.body) != tc.size {
			t.Fatalf("the plain body is %d bytes, want %d", len(plain.body), tc.size)
		}
		resp := get(id, "gzip")
		if got := resp.header.Get("Content-Encoding") == "gzip"; got != tc.gzipped {
			t.Errorf("a body of %d bytes: Content-Encoding %q, gzipped %v, want %v", tc.size, resp.header.Get("Content-Encoding"), got, tc.gzipped)
		}
		if got := resp.header.Get("Content-Length"); got != strconv.Itoa(len(resp.body)) {
			t.Errorf("a body of %d bytes: Content-Length %q, sent %d", tc.size, got, len(resp.body))
		}
	}
}

// TestIfNoneMatch: a GET of a position whose If-None-Match holds its
// current ETag (or is *) is 304 Not Modified with the ETag and no body;
// anything else, and lists (which carry no ETag), get the whole answer.
func TestIfNoneMatch(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	created := s.create(tok, "/me", `{"detail":{"jobTitle":"Engineer"}}`)
	path := "/beta/me/profile/positions/" + created["id"].(string)
	etag := created["@odata.etag"].(string)
	bare := strings.Trim(etag, `"`)

	tests := []struct {
		name        string
		method      string
		path        string
		ifNoneMatch string
		status      int
	}{
		{"current", "", path, etag, http.StatusNotModified},
		{"weak", "", path, "W/" + etag, http.StatusNotModified},
		{"star", "", path, "*", http.StatusNotModified},
		{"in a list", "", path, `"other", ` + etag + `, "more"`, http.StatusNotModified},
		{"HEAD", http.MethodHead, path, etag, http.StatusNotModified},
		{"through users/{upn}", "", "/beta/users/" + upnOf(userA1) + "/profile/positions/" + created["id"].(string), etag, http.StatusNotModified},
		{"with $select", "", path + "?$select=id", etag, http.StatusNotModified},
		{"another tag", "", path, `"other"`, http.StatusOK},
		{"unquoted", "", path, bare, http.StatusOK},
		{"empty", "", path, "", http.StatusOK},
		{"list", "", "/beta/me/profile/positions", "*", http.StatusOK},
		{"user", "", "/beta/me", "*", http.StatusOK},
		{"unknown position", "", "/beta/me/profile/positions/nope", "*", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.do(request{method: tc.method, path: tc.path, token: tok, header: map[string]string{"If-None-Match": tc.ifNoneMatch, "Origin": pageOrigin}})
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			switch tc.status {
			case http.StatusNotModified:
				if len(resp.body) != 0 {
					t.Errorf("304 with a body: %q", resp.body)
				}
				if got := resp.header.Get("ETag"); got != etag {
					t.Errorf("304 ETag %q, want %q", got, etag)
				}
				if resp.header.Get("Access-Control-Allow-Origin") == "" || !guidPattern.MatchString(resp.header.Get("request-id")) {
					t.Errorf("304 headers %v", resp.header)
				}
			case http.StatusOK:
				if tc.path == path && resp.json(t)["@odata.etag"] != etag {
					t.Errorf("200 body %s", resp.body)
				}
			}
		})
	}

	// After an update the old tag no longer matches: the new state is sent.
	updated := s.do(request{method: http.MethodPatch, path: path, token: tok, body: `{"isCurrent":true}`, header: map[string]string{"If-None-Match": etag}})
	if updated.status != http.StatusOK {
		t.Fatalf("PATCH with If-None-Match: %d %s", updated.status, updated.body)
	}
	resp := s.do(request{path: path, token: tok, header: map[string]string{"If-None-Match": etag}})
	if resp.status != http.StatusOK || resp.json(t)["isCurrent"] != true || resp.header.Get("ETag") == etag {
		t.Errorf("after an update: %d %v %s", resp.status, resp.header.Get("ETag"), resp.body)
	}
	if resp := s.do(request{path: path, token: tok, header: map[string]string{"If-None-Match": updated.header.Get("ETag")}}); resp.status != http.StatusNotModified {
		t.Errorf("with the new tag: %d", resp.status)
	}
	// A caller who may not see a position learns nothing from its tag: it
	// is the 404 of a position that does not exist.
	hidden := s.create(tok, "/me", `{"allowedAudiences":"me"}`)
	other := s.delegated(tenantA, userA2, "User.Read.All")
	for _, tag := range []string{"*", hidden["@odata.etag"].(string)} {
		resp := s.do(request{path: "/beta/users/" + userA1 + "/profile/positions/" + hidden["id"].(string), token: other, header: map[string]string{"If-None-Match": tag}})
		if msg := expectError(t, resp, http.StatusNotFound, "itemNotFound"); msg != "The workPosition '"+hidden["id"].(string)+"' does not exist in this profile." {
			t.Errorf("a hidden position with If-None-Match %s: message %q", tag, msg)
		}
		if resp.header.Get("ETag") != "" {
			t.Errorf("a hidden position's 404 tells its ETag %q", resp.header.Get("ETag"))
		}
	}
}

// TestPreferMaxPageSize: Prefer: odata.maxpagesize pages as $top would
// (the smaller of the two wins), Preference-Applied says when it changed
// the page size, and @odata.nextLink carries on with that size.
func TestPreferMaxPageSize(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	var all []string
	for range 7 {
		all = append(all, s.create(tok, "/me", `{}`)["id"].(string))
	}
	const list = "/beta/me/profile/positions"
	tests := []struct {
		name    string
		query   string
		prefer  string
		pages   []int  // sizes of the pages followed through nextLink
		applied string // Preference-Applied of the first page
	}{
		{"alone", "", "odata.maxpagesize=3", []int{3, 3, 1}, "odata.maxpagesize=3"},
		{"without the prefix", "", "maxpagesize=2", []int{2, 2, 2, 1}, "odata.maxpagesize=2"},
		{"name in another case, quoted value", "", `Odata.MaxPageSize="4"`, []int{4, 3}, "odata.maxpagesize=4"},
		{"among other preferences", "", "return=representation, odata.maxpagesize=5; x=1, respond-async", []int{5, 2}, "odata.maxpagesize=5"},
		{"smaller than $top", "$top=5", "odata.maxpagesize=3", []int{3, 3, 1}, "odata.maxpagesize=3"},
		{"larger than $top", "$top=2", "odata.maxpagesize=3", []int{2, 2, 2, 1}, ""},
		{"equal to $top", "$top=3", "odata.maxpagesize=3", []int{3, 3, 1}, ""},
		{"with a filter", "$filter=" + url.QueryEscape("isCurrent eq null"), "odata.maxpagesize=4", []int{4, 3}, "odata.maxpagesize=4"},
		{"larger than Graph's limit", "", "odata.maxpagesize=5000", []int{7}, "odata.maxpagesize=999"},
		{"larger than an int", "", "odata.maxpagesize=99999999999999999999", []int{7}, "odata.maxpagesize=999"},
		{"negative, larger than an int: ignored", "", "odata.maxpagesize=-99999999999999999999", []int{7}, ""},
		{"the default size", "", "odata.maxpagesize=100", []int{7}, ""},
		{"zero: ignored", "", "odata.maxpagesize=0", []int{7}, ""},
		{"not a number: ignored", "", "odata.maxpagesize=many", []int{7}, ""},
		{"first instance wins", "", "odata.maxpagesize=6, odata.maxpagesize=2", []int{6, 1}, "odata.maxpagesize=6"},
		// RFC 7240: only the first instance of a preference counts, even
		// one the server ignores.
		{"a first instance ignored, the next too", "", "odata.maxpagesize=0, odata.maxpagesize=2", []int{7}, ""},
		{"a first instance not a number, the next too", "", "odata.maxpagesize=many, maxpagesize=2", []int{7}, ""},
		{"none", "", "", []int{7}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := list
			if tc.query != "" {
				path += "?" + tc.query
			}
			var got []string
			var sizes []int
			for page := 0; path != ""; page++ {
				if page > 10 {
					t.Fatal("nextLink does not end")
				}
				h := map[string]string{}
				if page == 0 { // later pages rely on nextLink alone
					h["Prefer"] = tc.prefer
				}
				resp := s.do(request{path: path, token: tok, header: h})
				if resp.status != http.StatusOK {
					t.Fatalf("page %d: %d %s", page, resp.status, resp.body)
				}
				if page == 0 && resp.header.Get("Preference-Applied") != tc.applied {
					t.Errorf("Preference-Applied %q, want %q", resp.header.Get("Preference-Applied"), tc.applied)
				}
				body := resp.json(t)
				values := body["value"].([]any)
				sizes = append(sizes, len(values))
				for _, v := range values {
					got = append(got, v.(map[string]any)["id"].(string))
				}
				path = ""
				if next, ok := body["@odata.nextLink"].(string); ok {
					path = strings.TrimPrefix(next, s.url)
				}
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tc.pages) {
				t.Errorf("page sizes %v, want %v", sizes, tc.pages)
			}
			if fmt.Sprint(got) != fmt.Sprint(all) {
				t.Errorf("walked %v, want %v", got, all)
			}
		})
	}

	// An error is no page: it says nothing of the preference.
	other := s.delegated(tenantA, userA2, "User.Read")
	for _, tc := range []struct {
		req     request
		status  int
		code    string
		message string
	}{
		{request{path: list + "?$skiptoken=forged", token: tok}, http.StatusBadRequest, "BadRequest", "The $skiptoken is not valid for this request; follow @odata.nextLink as it was given."},
		{request{path: "/beta/users/" + userA1 + "/profile/positions", token: other}, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
	} {
		tc.req.header = map[string]string{"Prefer": "odata.maxpagesize=2"}
		resp := s.do(tc.req)
		if msg := expectError(t, resp, tc.status, tc.code); msg != tc.message {
			t.Errorf("%s: message %q, want %q", tc.req.path, msg, tc.message)
		}
		if got := resp.header.Get("Preference-Applied"); got != "" {
			t.Errorf("%s: %d with Preference-Applied %q", tc.req.path, resp.status, got)
		}
	}

	// Where nothing is paged, the preference does nothing.
	for _, path := range []string{list + "/" + all[0], list + "/$count", "/beta/me"} {
		resp := s.do(request{path: path, token: tok, header: map[string]string{"Prefer": "odata.maxpagesize=1"}})
		if resp.status != http.StatusOK || resp.header.Get("Preference-Applied") != "" {
			t.Errorf("GET %s: %d, Preference-Applied %q", path, resp.status, resp.header.Get("Preference-Applied"))
		}
	}
}

// TestFormat: $format=json (or application/json, in OData's forms) is
// accepted on every operation and changes nothing; other formats are 400.
func TestFormat(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	admin := s.delegated(tenantA, userA2, "User.ReadWrite.All")
	id := s.create(tok, "/me", `{}`)["id"].(string)
	positions := "/beta/me/profile/positions"
	accepted := []string{"$format=json", "format=json", "$format=JSON", "$format=application/json", "$FORMAT=Application/Json",
		"$format=" + url.QueryEscape("application/json;odata.metadata=minimal")}
	for _, format := range accepted {
		for _, tc := range []struct {
			method, path, token, body string
			status                    int
		}{
			{"", positions + "?$top=1&", tok, "", http.StatusOK},
			{"", positions + "?", tok, "", http.StatusOK},
			{"", positions + "/" + id + "?", tok, "", http.StatusOK},
			{"", positions + "/$count?", tok, "", http.StatusOK},
			{http.MethodPost, positions + "?", tok, `{}`, http.StatusCreated},
			{http.MethodPatch, positions + "/" + id + "?", tok, `{}`, http.StatusOK},
			{"", "/beta/me?", tok, "", http.StatusOK},
			{"", "/v1.0/users?", admin, "", http.StatusOK},
			{http.MethodPatch, "/v1.0/me?", tok, `{}`, http.StatusNoContent},
		} {
			resp := s.do(request{method: tc.method, path: tc.path + format, token: tc.token, body: tc.body})
			if resp.status != tc.status {
				t.Errorf("%s %s%s: %d %s, want %d", tc.method, tc.path, format, resp.status, resp.body, tc.status)
			}
		}
	}
	for _, format := range []string{"$format=xml", "$format=atom", "format=text/csv", "$format=application/xml", "$format=" + url.QueryEscape("application/json;odata.metadata=full")} {
		for _, path := range []string{positions + "?", positions + "/" + id + "?", "/beta/me?"} {
			msg := expectError(t, s.do(request{path: path + format, token: tok}), http.StatusBadRequest, "BadRequest")
			if !strings.Contains(msg, "$format") || !strings.Contains(msg, "JSON") {
				t.Errorf("%s%s: message %q", path, format, msg)
			}
		}
	}
}

// TestMetadataFormat: $metadata answers XML, so $format=xml (or
// application/xml) asks for what it answers and is served, as json is
// everywhere; it was refused as "this service answers JSON only", while
// $format=json was served the XML. Other formats are 400, naming XML.
func TestMetadataFormat(t *testing.T) {
	s := newTestServer(t)
	for _, format := range []string{"$format=xml", "format=XML", "$format=application/xml", "$format=" + url.QueryEscape("application/xml;charset=utf-8"), "$format=json"} {
		resp := s.do(request{path: "/beta/$metadata?" + format})
		if resp.status != http.StatusOK || resp.header.Get("Content-Type") != "application/xml;charset=utf-8" || !strings.Contains(string(resp.body), "<edmx:Edmx") {
			t.Errorf("$metadata?%s: %d %q %.80q, want 200 and the CSDL", format, resp.status, resp.header.Get("Content-Type"), resp.body)
		}
	}
	for _, format := range []string{"$format=atom", "$format=text/csv", "$format=" + url.QueryEscape("text/xml")} {
		msg := expectError(t, s.do(request{path: "/v1.0/$metadata?" + format}), http.StatusBadRequest, "BadRequest")
		if !strings.Contains(msg, "$format") || !strings.Contains(msg, "XML") {
			t.Errorf("$metadata?%s: message %q", format, msg)
		}
	}
	msg := expectError(t, s.do(request{path: "/beta/$metadata?$top=1"}), http.StatusBadRequest, "BadRequest")
	if !strings.HasSuffix(msg, "it supports no query options.") {
		t.Errorf("$metadata?$top=1: message %q", msg)
	}
}

// TestAcceptIsNotNegotiated: the server answers Graph's JSON whatever
// Accept asks for, successes and errors alike, and never 406: Graph's
// reference lists 406 among its statuses without a case of the profile
// API's, its clients send Accept: application/json or none, and $format
// is the one way a request names another format here (docs/decisions.md,
// "Statuses never given").
func TestAcceptIsNotNegotiated(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	id := s.create(tok, "/me", `{}`)["id"].(string)
	for _, accept := range []string{"application/xml", "text/html", "application/json;q=0, text/plain", "image/png"} {
		for _, path := range []string{"/beta/me/profile/positions", "/beta/me/profile/positions/" + id, "/beta/me"} {
			resp := s.do(request{path: path, token: tok, header: map[string]string{"Accept": accept}})
			if resp.status != http.StatusOK {
				t.Errorf("GET %s with Accept %q: %d %s, want 200", path, accept, resp.status, resp.body)
				continue
			}
			checkCommonHeaders(t, resp)
			if _, ok := resp.json(t)["@odata.context"]; !ok {
				t.Errorf("GET %s with Accept %q: %s, want Graph's JSON", path, accept, resp.body)
			}
		}
		// An error is Graph's envelope in JSON too.
		expectError(t, s.do(request{path: "/beta/me/profile/positions/nope", token: tok, header: map[string]string{"Accept": accept}}), http.StatusNotFound, "itemNotFound")
	}
}

// TestChunkedBodyNeedsNoContentLength: a body sent chunked, without a
// Content-Length, is read as any other (HTTP/1.1 clients that stream a
// body do so); the server never answers 411 Length Required.
func TestChunkedBodyNeedsNoContentLength(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	addr := strings.TrimPrefix(s.url, "http://")
	// Two chunks, and no Content-Length: exactly what is on the wire.
	head := "POST /beta/me/profile/positions HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + tok +
		"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
		"a\r\n{\"detail\":\r\n17\r\n{\"jobTitle\":\"Chunked\"}}\r\n0\r\n\r\n"
	resp, body, err := tryExchangeWhole(addr, head)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"jobTitle":"Chunked"`) {
		t.Fatalf("chunked create: %d %s, want 201 with the position", resp.StatusCode, body)
	}
	if got := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: tok})); len(got) != 1 {
		t.Errorf("after the chunked create the list holds %d positions, want 1", len(got))
	}
}

// TestIDHeadersSpelledAsGraphSpellsThem: request-id and client-request-id
// go on the wire in lower case, as Graph sends them (reference 6.2;
// docs/decisions.md, "Response headers"), on a success and on an error
// alike. A Go client canonicalizes what it reads, so the answer is read
// as bytes.
func TestIDHeadersSpelledAsGraphSpellsThem(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	addr := strings.TrimPrefix(s.url, "http://")
	for _, path := range []string{"/beta/me/profile/positions", "/beta/me/profile/positions/nope", "/beta/nowhere"} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: "+addr+"\r\nAuthorization: Bearer "+tok+"\r\nclient-request-id: my-own-id\r\nConnection: close\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(conn)
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
		if !regexp.MustCompile(`\r\nrequest-id: [0-9a-f-]{36}\r\n`).MatchString(head) || !strings.Contains(head, "\r\nclient-request-id: my-own-id\r\n") ||
			!strings.Contains(head, "\r\nCache-Control: no-cache\r\n") {
			t.Errorf("GET %s: head\n%s\nwant request-id and client-request-id in lower case, and Cache-Control: no-cache", path, head)
		}
	}
}
