package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// TestHealthcheck: `graphprofile healthcheck` exits 0 when the server
// answers 200 and 1, saying why, when it answers anything else, does not
// answer in time or is not there: the container image's HEALTHCHECK relies
// on exactly that.
func TestHealthcheck(t *testing.T) {
	t.Parallel()
	s := startServe(t, t.TempDir(), listenFlag())
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "draining", http.StatusServiceUnavailable)
	}))
	t.Cleanup(unavailable.Close)
	hang := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(silent.Close)
	t.Cleanup(func() { close(hang) }) // before silent.Close, which waits for its handlers
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	// A server that answers by sending the probe to a healthy one.
	redirect := httptest.NewServer(http.RedirectHandler(s.url+"/healthz", http.StatusFound))
	t.Cleanup(redirect.Close)
	// A certificate the probe has no reason to trust.
	untrusted := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(untrusted.Close)

	tests := []struct {
		name     string
		args     []string
		env      []string
		code     int
		stdout   string // a line it prints, or "" for none
		stderrOf []string
	}{
		{"healthz", []string{"--url", s.url + "/healthz"}, nil, 0, "healthy: GET " + s.url + "/healthz answered 200 OK\n", nil},
		{"readyz", []string{"--url", s.url + "/readyz"}, nil, 0, "healthy: GET " + s.url + "/readyz answered 200 OK\n", nil},
		{"GRAPHPROFILE_URL", nil, []string{"GRAPHPROFILE_URL=" + s.url + "/readyz"}, 0, "healthy: GET " + s.url + "/readyz answered 200 OK\n", nil},
		{"503", []string{"--url", unavailable.URL + "/healthz"}, nil, 1, "", []string{"unhealthy", "answered 503 Service Unavailable"}},
		// Healthy is 200, not any answer below 500.
		{"404", []string{"--url", notFound.URL + "/healthz"}, nil, 1, "", []string{"unhealthy", "answered 404 Not Found"}},
		// Nor a redirect to a server that answers 200: the URL asked did
		// not answer 200 (serve's own / redirects to the web UI).
		{"redirect", []string{"--url", redirect.URL + "/healthz"}, nil, 1, "", []string{"unhealthy", "answered 302 Found"}},
		{"serve's / (a redirect to /ui/)", []string{"--url", s.url + "/"}, nil, 1, "", []string{"unhealthy", "answered 302 Found"}},
		// The certificate goes unchecked only for the probe of serve's
		// own GRAPHPROFILE_LISTEN: a --url is checked, TLS variables or not.
		{"--url with a certificate not trusted", []string{"--url", untrusted.URL + "/healthz"}, []string{"GRAPHPROFILE_TLS_SELF_SIGNED=true"}, 1, "", []string{"unhealthy", "certificate"}},
		{"no answer in time", []string{"--url", silent.URL + "/healthz", "--timeout", "200ms"}, nil, 1, "", []string{"unhealthy", "deadline exceeded"}},
		{"nobody there", []string{"--url", "http://" + freeAddr(t) + "/healthz"}, nil, 1, "", []string{"unhealthy", refusedText(t)}},
		{"bad URL", []string{"--url", "http://[::1/healthz"}, nil, 1, "", []string{`--url "http://[::1/healthz": `}},
		{"bad GRAPHPROFILE_URL", nil, []string{"GRAPHPROFILE_URL=http://[::1/healthz"}, 1, "", []string{`GRAPHPROFILE_URL="http://[::1/healthz": `}},
		// A URL the check could never GET is a bad value, named as one,
		// not an unhealthy server.
		{"empty URL", []string{"--url", ""}, nil, 1, "", []string{`--url "": want an http:// or https:// URL`}},
		{"ftp URL", []string{"--url", "ftp://127.0.0.1/healthz"}, nil, 1, "", []string{`--url "ftp://127.0.0.1/healthz": want an http:// or https:// URL`}},
		{"URL without host", nil, []string{"GRAPHPROFILE_URL=http:///healthz"}, 1, "", []string{`GRAPHPROFILE_URL="http:///healthz": want an http:// or https:// URL`}},
		// Without --url the probe is of serve's GRAPHPROFILE_LISTEN: a value
		// serve would refuse is named as a bad value, not looked up as a
		// host nor probed on port 80.
		{"bad GRAPHPROFILE_LISTEN", nil, []string{"GRAPHPROFILE_LISTEN=bad"}, 1, "", []string{`GRAPHPROFILE_LISTEN="bad": `, "missing port"}},
		{"GRAPHPROFILE_LISTEN without a port", nil, []string{"GRAPHPROFILE_LISTEN=localhost:"}, 1, "", []string{`GRAPHPROFILE_LISTEN="localhost:": `}},
		{"GRAPHPROFILE_LISTEN on port 00", nil, []string{"GRAPHPROFILE_LISTEN=127.0.0.1:00"}, 1, "", []string{`GRAPHPROFILE_LISTEN="127.0.0.1:00": serve listens on a port of its own choice`}},
		{"bad GRAPHPROFILE_LISTEN, another --url", []string{"--url", s.url + "/healthz"}, []string{"GRAPHPROFILE_LISTEN=bad"}, 0, "healthy: GET " + s.url + "/healthz answered 200 OK\n", nil},
		{"bad timeout", []string{"--url", s.url + "/healthz", "--timeout", "0s"}, nil, 1, "", []string{"--timeout 0s: must be positive"}},
		{"bad GRAPHPROFILE_TIMEOUT", []string{"--url", s.url + "/healthz"}, []string{"GRAPHPROFILE_TIMEOUT=-1s"}, 1, "", []string{"GRAPHPROFILE_TIMEOUT=-1s: must be positive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, t.TempDir(), tt.env, append([]string{"healthcheck"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("exit status %d, want %d; stdout %q, stderr %q", r.code, tt.code, r.stdout, r.stderr)
			}
			if r.stdout != tt.stdout {
				t.Errorf("stdout = %q, want %q", r.stdout, tt.stdout)
			}
			for _, m := range tt.stderrOf {
				if !strings.Contains(r.stderr, m) {
					t.Errorf("stderr = %q, want it to mention %q", r.stderr, m)
				}
			}
			if tt.code == 0 && r.stderr != "" {
				t.Errorf("stderr = %q, want nothing", r.stderr)
			}
		})
	}
}

// TestHealthcheckFollowsServeSettings: without --url, healthcheck asks the
// server that serve's own variables describe (GRAPHPROFILE_LISTEN, HTTPS
// with GRAPHPROFILE_TLS_SELF_SIGNED or GRAPHPROFILE_TLS_CERT). The image
// sets serve's defaults as those variables so that `docker run -e
// GRAPHPROFILE_LISTEN=…` changes them; a HEALTHCHECK probing a fixed
// http://127.0.0.1:8080 then marked every such container unhealthy.
func TestHealthcheckFollowsServeSettings(t *testing.T) {
	t.Parallel()
	t.Run("GRAPHPROFILE_LISTEN", func(t *testing.T) {
		t.Parallel()
		var env []string
		s := startServe(t, t.TempDir(), func(addr string) ([]string, []string) {
			env = []string{"GRAPHPROFILE_LISTEN=" + addr}
			return nil, env
		})
		r := runCLI(t, t.TempDir(), env, "healthcheck")
		if want := "healthy: GET " + s.url + "/healthz answered 200 OK\n"; r.code != 0 || r.stdout != want {
			t.Fatalf("exit status %d, stdout %q, stderr %q; want 0 and %q", r.code, r.stdout, r.stderr, want)
		}
	})
	t.Run("GRAPHPROFILE_TLS_SELF_SIGNED", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		var env []string
		s := startTLSServe(t, dir, func(addr string) ([]string, []string) {
			env = []string{"GRAPHPROFILE_LISTEN=" + addr, "GRAPHPROFILE_TLS_SELF_SIGNED=true"}
			return nil, env
		}, filepath.Join(dir, "graphprofile.db-ca.pem"))
		r := runCLI(t, t.TempDir(), env, "healthcheck")
		if want := "healthy: GET " + s.url + "/healthz answered 200 OK\n"; r.code != 0 || r.stdout != want {
			t.Fatalf("exit status %d, stdout %q, stderr %q; want 0 and %q", r.code, r.stdout, r.stderr, want)
		}
	})
	t.Run("serve's variables", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			env  map[string]string
			want string
		}{
			{nil, "http://127.0.0.1:8080/healthz"}, // serve's default
			{map[string]string{"GRAPHPROFILE_LISTEN": "127.0.0.1:9000"}, "http://127.0.0.1:9000/healthz"},
			{map[string]string{"GRAPHPROFILE_TLS_SELF_SIGNED": "true"}, "https://127.0.0.1:8080/healthz"},
			{map[string]string{"GRAPHPROFILE_TLS_SELF_SIGNED": "false"}, "http://127.0.0.1:8080/healthz"},
			{map[string]string{"GRAPHPROFILE_TLS_CERT": "cert.pem", "GRAPHPROFILE_TLS_KEY": "key.pem"}, "https://127.0.0.1:8080/healthz"},
		} {
			env := &environment{getenv: func(name string) string { return tt.env[name] }}
			got, tls, err := serveHealthURL(env)
			if got != tt.want || tls != strings.HasPrefix(tt.want, "https:") || err != nil {
				t.Errorf("serveHealthURL with %v = %q, %v, %v; want %q", tt.env, got, tls, err, tt.want)
			}
		}
	})
	t.Run("wildcard addresses", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct{ listen, want string }{
			{"0.0.0.0:8080", "http://127.0.0.1:8080/healthz"},
			{":9000", "http://127.0.0.1:9000/healthz"},
			// Go listens on [::] for IPv4 too (IPV6_V6ONLY off), and a
			// container may have no IPv6 loopback: asked on 127.0.0.1.
			{"[::]:8080", "http://127.0.0.1:8080/healthz"},
			{"localhost:8080", "http://localhost:8080/healthz"},
			{"192.0.2.7:8443", "http://192.0.2.7:8443/healthz"},
			// A port by its service's name, as serve takes it: a URL
			// takes only its number.
			{":http", "http://127.0.0.1:80/healthz"},
			{"127.0.0.1:https", "http://127.0.0.1:443/healthz"},
		} {
			if got := localHealthURL(tt.listen, false); got != tt.want {
				t.Errorf("localHealthURL(%q) = %q, want %q", tt.listen, got, tt.want)
			}
		}
		if got, want := localHealthURL("0.0.0.0:8443", true), "https://127.0.0.1:8443/healthz"; got != want {
			t.Errorf("localHealthURL with TLS = %q, want %q", got, want)
		}
	})
}
