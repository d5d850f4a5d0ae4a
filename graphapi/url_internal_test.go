package graphapi

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The URL serve logs is the one a reader pastes into a browser or curl: a
// listener on every interface (0.0.0.0 is reported as [::] by Go's
// dual-stack socket) is reached on the loopback address.
func TestReachableURL(t *testing.T) {
	for _, tc := range []struct {
		addr *net.TCPAddr
		tls  bool
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, false, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 443}, true, "https://10.1.2.3:443"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, false, "http://[::1]:8080"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, false, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8443}, true, "https://127.0.0.1:8443"},
		{&net.TCPAddr{Port: 9000}, false, "http://127.0.0.1:9000"},
	} {
		if got := reachableURL(tc.addr, tc.tls); got != tc.want {
			t.Errorf("reachableURL(%v, tls %v) = %q, want %q", tc.addr, tc.tls, got, tc.want)
		}
	}
}

// TestLocalhostAliasOnDefaultPorts: "localhost" without a port names this
// listener only on the scheme's default port (443 under TLS, 80 without),
// which a test's listener cannot take; any other pairing keeps the listen
// address, so a link never points at a port the client did not call.
func TestLocalhostAliasOnDefaultPorts(t *testing.T) {
	for _, tc := range []struct {
		tls        bool
		host, want string
	}{
		{true, "127.0.0.1:443", "localhost"},
		{false, "127.0.0.1:80", "localhost"},
		{true, "[::1]:443", "localhost"},
		{false, "127.0.0.1:443", "127.0.0.1:443"},
		{true, "127.0.0.1:80", "127.0.0.1:80"},
		{true, "10.1.2.3:443", "10.1.2.3:443"}, // not a loopback address
	} {
		r := httptest.NewRequest(http.MethodGet, "/beta/me/profile/positions", nil)
		r.Host = "localhost"
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := localhostAlias(r, tc.host); got != tc.want {
			t.Errorf("Host localhost, TLS %v, listening on %s: %q, want %q", tc.tls, tc.host, got, tc.want)
		}
	}
}
