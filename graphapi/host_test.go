package graphapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/graphapi"
)

// absoluteURLs makes two positions as tok and returns every absolute URL
// the server wrote for a client that sent header (Host included): the
// Location of a create, the @odata.context of a get and the
// @odata.nextLink of a list.
func absoluteURLs(t *testing.T, s *testServer, tok string, header map[string]string) []string {
	t.Helper()
	send := func(method, path, body string) *http.Response {
		req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range header {
			if strings.EqualFold(k, "Host") {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	decode := func(resp *http.Response) map[string]any {
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("status %d, body %s", resp.StatusCode, data)
		}
		return v
	}
	var urls []string
	for range 2 {
		resp := send(http.MethodPost, "/beta/me/profile/positions", `{"detail":{"jobTitle":"x"}}`)
		urls = append(urls, resp.Header.Get("Location"))
		decode(resp)
	}
	created := decode(send(http.MethodGet, "/beta/me/profile/positions?$top=1", ""))
	urls = append(urls, created["@odata.context"].(string), created["@odata.nextLink"].(string))
	return urls
}

// everyInterfaceListener is a loopback listener that reports the address of
// a listener on every interface (0.0.0.0), as the server sees one.
type everyInterfaceListener struct{ net.Listener }

func (l everyInterfaceListener) Addr() net.Addr {
	addr := *l.Listener.Addr().(*net.TCPAddr)
	addr.IP = net.IPv4zero
	return &addr
}

// onEveryInterface listens on the loopback behind an everyInterfaceListener.
func onEveryInterface(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return everyInterfaceListener{ln}
}

// TestHostHeaderIsNotTrusted checks where absolute URLs come from: a
// client must not be able to make the server send other clients (or
// itself, following a nextLink with its token) to a host it names.
func TestHostHeaderIsNotTrusted(t *testing.T) {
	hostile := map[string]string{
		"Host":              "attacker.example",
		"X-Forwarded-Host":  "attacker.example",
		"X-Forwarded-Proto": "https",
		"Forwarded":         "proto=https;host=attacker.example",
	}
	tests := []struct {
		name   string
		opt    serverOption
		header map[string]string
		want   func(s *testServer) string // the prefix of every URL
	}{
		{"listen address, hostile headers", nil, hostile, func(s *testServer) string { return s.url + "/beta/" }},
		// On every interface the links name the address the client
		// connected to (s.url's 127.0.0.1), never 0.0.0.0 or [::]. The
		// listener only says it is on every interface: tests listen on
		// the loopback alone.
		{"unspecified listen address, hostile headers", func(srv *graphapi.Server) { srv.Listener = onEveryInterface(t) }, hostile,
			func(s *testServer) string { return s.url + "/beta/" }},
		{"public URL, hostile headers", func(srv *graphapi.Server) { srv.PublicURL = "https://graph.example.test/gp" }, hostile,
			func(*testServer) string { return "https://graph.example.test/gp/beta/" }},
		{"trusted proxy, X-Forwarded-*", func(srv *graphapi.Server) { srv.TrustProxy = true },
			map[string]string{"Host": "internal:8080", "X-Forwarded-Host": "graph.example.test", "X-Forwarded-Proto": "https"},
			func(*testServer) string { return "https://graph.example.test/beta/" }},
		{"trusted proxy, Forwarded", func(srv *graphapi.Server) { srv.TrustProxy = true },
			map[string]string{"Host": "internal:8080", "Forwarded": `for=10.0.0.1;proto=https;host="graph.example.test:8443"`},
			func(*testServer) string { return "https://graph.example.test:8443/beta/" }},
		{"trusted proxy, Host only", func(srv *graphapi.Server) { srv.TrustProxy = true },
			map[string]string{"Host": "graph.example.test:8080"},
			func(*testServer) string { return "http://graph.example.test:8080/beta/" }},
		{"trusted proxy, public URL wins", func(srv *graphapi.Server) { srv.TrustProxy = true; srv.PublicURL = "https://graph.example.test" }, hostile,
			func(*testServer) string { return "https://graph.example.test/beta/" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []serverOption
			if tt.opt != nil {
				opts = append(opts, tt.opt)
			}
			s := newTestServer(t, opts...)
			tok := s.delegated(tenantA, userA1, "User.ReadWrite")
			want := tt.want(s)
			for _, u := range absoluteURLs(t, s, tok, tt.header) {
				if !strings.HasPrefix(u, want) {
					t.Errorf("URL %q, want it under %q", u, want)
				}
			}
		})
	}
}

// TestForwardedHostNoURLHolds: behind a trusted proxy, a forwarded host
// that no URL can hold as its host (a stray %, a port that is not a
// number, no host name before the port) is not made the host of the
// absolute URLs, which no client could then parse: the request's Host is,
// as when the proxy forwards no host.
func TestForwardedHostNoURLHolds(t *testing.T) {
	s := newTestServer(t, func(srv *graphapi.Server) { srv.TrustProxy = true })
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	const want = "https://graph.example.test:8080/beta/"
	for _, tt := range []struct{ name, header, value string }{
		{"a stray %", "X-Forwarded-Host", "graph%example.test"},
		{"a port that is not a number", "X-Forwarded-Host", "graph.example.test:http"},
		{"two ports", "X-Forwarded-Host", "graph.example.test:1:2"},
		{"no host name", "X-Forwarded-Host", ":8443"},
		{"an unclosed IPv6 literal", "X-Forwarded-Host", "[2001:db8::1"},
		{"Forwarded, a stray %", "Forwarded", "proto=https;host=%zz"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			header := map[string]string{"Host": "graph.example.test:8080", "X-Forwarded-Proto": "https", tt.header: tt.value}
			if tt.header == "Forwarded" {
				delete(header, "X-Forwarded-Proto")
			}
			for _, u := range absoluteURLs(t, s, tok, header) {
				if _, err := url.Parse(u); err != nil || !strings.HasPrefix(u, want) {
					t.Errorf("%s %q: URL %q (%v), want it under %q", tt.header, tt.value, u, err, want)
				}
			}
		})
	}
}

// TestProxiedHostNoURLHolds: behind a trusted proxy that forwards no host
// header, the request's Host names the absolute URLs, and one that no URL
// can hold as its host is refused as a forwarded one is: the URLs name the
// server's own address, as without a proxy. Before, Host was taken as it
// came (a proxy passes the client's on), and "graph.example.test:http"
// made links no client could parse, where the same value forwarded in
// X-Forwarded-Host was ignored (TestForwardedHostNoURLHolds).
func TestProxiedHostNoURLHolds(t *testing.T) {
	s := newTestServer(t, func(srv *graphapi.Server) { srv.TrustProxy = true })
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	want := s.url + "/beta/"
	for _, tt := range []struct{ name, host string }{
		{"a port that is not a number", "graph.example.test:http"},
		{"two ports", "graph.example.test:1:2"},
		{"no host name", ":8443"},
		{"an unclosed IPv6 literal", "[2001:db8::1"},
		{"a quote", "graph.example.test'"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, u := range absoluteURLs(t, s, tok, map[string]string{"Host": tt.host}) {
				if _, err := url.Parse(u); err != nil || !strings.HasPrefix(u, want) {
					t.Errorf("Host %q: URL %q (%v), want it under %q", tt.host, u, err, want)
				}
			}
		})
	}
	// A Host a URL holds is still the proxy's word.
	for _, u := range absoluteURLs(t, s, tok, map[string]string{"Host": "graph.example.test:8080"}) {
		if !strings.HasPrefix(u, "http://graph.example.test:8080/beta/") {
			t.Errorf("Host graph.example.test:8080: URL %q", u)
		}
	}
}

// TestLocalhostIsTheHostCalled: a client on the server's machine that
// called it localhost on its port gets its absolute URLs on localhost too,
// as Graph's name the host that was called (the JavaScript client sends
// its token only to the hosts it was told of, so a nextLink on 127.0.0.1
// was followed without it). Any other name keeps the listen address.
func TestLocalhostIsTheHostCalled(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	u, err := url.Parse(s.url)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	tests := []struct{ host, want string }{
		{"localhost:" + port, "http://localhost:" + port + "/beta/"},
		{"LocalHost:" + port, "http://localhost:" + port + "/beta/"},
		{u.Host, s.url + "/beta/"},
		{"localhost:1", s.url + "/beta/"},                        // another port: not this listener
		{"localhost", s.url + "/beta/"},                          // port 80: not this listener
		{"localhost.attacker.example:" + port, s.url + "/beta/"}, // not localhost
		{"attacker.example:" + port, s.url + "/beta/"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			for _, got := range absoluteURLs(t, s, tok, map[string]string{"Host": tt.host}) {
				if !strings.HasPrefix(got, tt.want) {
					t.Errorf("Host %q: URL %q, want it under %q", tt.host, got, tt.want)
				}
			}
		})
	}
	// A $batch item's URLs are its batch's.
	req, err := http.NewRequest(http.MethodPost, s.url+"/beta/$batch", strings.NewReader(
		`{"requests":[{"id":"1","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "localhost:" + port
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if want := `"Location":"http://localhost:` + port + `/beta/users/`; !strings.Contains(string(body), want) {
		t.Errorf("batch item through localhost: %s, want %s", body, want)
	}
}

// TestBatchItemURLsBehindProxy: behind a trusted proxy, a $batch item's
// absolute URLs are a direct request's, from what the proxy forwarded with
// the batch; forwarding headers in an item's own headers, which are in
// the body and which no proxy sees, are not trusted.
func TestBatchItemURLsBehindProxy(t *testing.T) {
	s := newTestServer(t, func(srv *graphapi.Server) { srv.TrustProxy = true })
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok,
		header: map[string]string{"X-Forwarded-Host": "graph.example.test", "X-Forwarded-Proto": "https"},
		body: `{"requests":[
		{"id":"create","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{}},
		{"id":"plain","method":"GET","url":"/me"},
		{"id":"hostile","method":"GET","url":"/me","headers":{"X-Forwarded-Host":"attacker.example","X-Forwarded-Proto":"http","Forwarded":"proto=http;host=attacker.example"}}
	]}`})
	var a struct {
		Responses []struct {
			ID      string            `json:"id"`
			Headers map[string]string `json:"headers"`
			Body    map[string]any    `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(resp.body, &a); err != nil || resp.status != http.StatusOK {
		t.Fatalf("batch: %d %s", resp.status, resp.body)
	}
	const want = "https://graph.example.test/beta/"
	for _, r := range a.Responses {
		urls := []string{fmt.Sprint(r.Body["@odata.context"])}
		if r.ID == "create" {
			urls = append(urls, r.Headers["Location"])
		}
		for _, u := range urls {
			if !strings.HasPrefix(u, want) {
				t.Errorf("item %s: URL %q, want it under %q", r.ID, u, want)
			}
		}
	}
}

// TestBatchItemHeadersDoNotChooseTheHost checks that a $batch item's own
// headers, which travel in the body where no proxy sees them, cannot name
// the host of the absolute URLs its answer carries: behind a trusted proxy
// they come from what the proxy forwarded with the batch, and otherwise
// from the listen address, whatever an item says.
func TestBatchItemHeadersDoNotChooseTheHost(t *testing.T) {
	hostileItem := `"headers":{"Content-Type":"application/json","Host":"attacker.example",` +
		`"X-Forwarded-Host":"attacker.example","X-Forwarded-Proto":"http","Forwarded":"proto=http;host=attacker.example"}`
	body := `{"requests":[
		{"id":"1","method":"POST","url":"/me/profile/positions","body":{"detail":{"jobTitle":"x"}},` + hostileItem + `},
		{"id":"2","method":"POST","url":"/me/profile/positions","body":{"detail":{"jobTitle":"y"}},` + hostileItem + `,"dependsOn":["1"]},
		{"id":"3","method":"GET","url":"/me/profile/positions?$top=1",` + hostileItem + `,"dependsOn":["2"]}]}`
	tests := []struct {
		name   string
		opt    serverOption
		header map[string]string
		want   func(s *testServer) string
	}{
		{"listen address", nil, nil, func(s *testServer) string { return s.url + "/beta/" }},
		{"trusted proxy", func(srv *graphapi.Server) { srv.TrustProxy = true },
			map[string]string{"X-Forwarded-Host": "graph.example.test", "X-Forwarded-Proto": "https"},
			func(*testServer) string { return "https://graph.example.test/beta/" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []serverOption
			if tt.opt != nil {
				opts = append(opts, tt.opt)
			}
			s := newTestServer(t, opts...)
			tok := s.delegated(tenantA, userA1, "User.ReadWrite")
			resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: body, header: tt.header})
			if resp.status != http.StatusOK {
				t.Fatalf("batch: %d %s", resp.status, resp.body)
			}
			var a batchAnswer
			if err := json.Unmarshal(resp.body, &a); err != nil {
				t.Fatal(err)
			}
			var urls []string
			for _, id := range []string{"1", "2"} {
				status, headers, got := a.item(t, id)
				if status != http.StatusCreated {
					t.Fatalf("item %s: %d %v", id, status, got)
				}
				urls = append(urls, headers["Location"], got["@odata.context"].(string))
			}
			_, _, list := a.item(t, "3")
			next, _ := list["@odata.nextLink"].(string)
			urls = append(urls, list["@odata.context"].(string), next)
			want := tt.want(s)
			for _, u := range urls {
				if !strings.HasPrefix(u, want) {
					t.Errorf("URL %q, want it under %q", u, want)
				}
			}
		})
	}
}
