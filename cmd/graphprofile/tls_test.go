package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/internal/logtest"
)

// startTLSServe is startServe for a server that speaks HTTPS: its client
// trusts the PEM certificates in caFile, read once serve says it serves
// (so serve may create the file), and attempts HTTP/2.
func startTLSServe(t *testing.T, dir string, how invocation, caFile string) *server {
	t.Helper()
	for attempt := 1; ; attempt++ {
		addr := freeAddr(t)
		s, err := tryTLSServe(t, dir, addr, how, caFile)
		if err == nil {
			return s
		}
		if errors.Is(err, errPortClash) && attempt < 5 {
			t.Logf("port clash on %s, retrying", addr)
			continue
		}
		t.Fatal(err)
	}
}

func tryTLSServe(t *testing.T, dir, addr string, how invocation, caFile string) (*server, error) {
	t.Helper()
	args, env := how(addr)
	s := &server{
		t:      t,
		addr:   addr,
		url:    "https://" + addr,
		stdout: new(logtest.Buffer),
		stderr: new(logtest.Buffer),
		done:   make(chan struct{}),
	}
	s.cmd = exec.Command(binary, append([]string{"serve"}, args...)...)
	s.cmd.Dir = dir
	s.cmd.Env = commandEnv(env...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting graphprofile serve: %v", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		if s.client != nil {
			s.client.CloseIdleConnections()
		}
		s.kill()
	})

	serving := `msg="graphprofile serving" url=` + s.url + "/beta"
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			stderr := s.stderr.String()
			if strings.Contains(stderr, addr) && strings.Contains(stderr, "address already in use") {
				return nil, errPortClash
			}
			return nil, fmt.Errorf("graphprofile serve %s exited before serving (%v); stderr:\n%s", strings.Join(args, " "), s.waitErr, stderr)
		default:
		}
		if strings.Contains(s.stderr.String(), serving) {
			if s.client == nil {
				s.client = tlsClient(t, caFile)
			}
			resp, err := s.client.Get(s.url + "/beta/me/profile/positions")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return s, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, fmt.Errorf("graphprofile serve %s: not serving HTTPS on %s after 10 s; stderr:\n%s", strings.Join(args, " "), addr, s.stderr.String())
}

// tlsClient trusts only the certificates in caFile and attempts HTTP/2 (a
// Transport with its own TLS config does not, unless told to).
func tlsClient(t *testing.T, caFile string) *http.Client {
	t.Helper()
	data, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("reading the CA to trust: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(data) {
		t.Fatalf("%s holds no PEM certificate", caFile)
	}
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: roots},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 16,
	}}
}

// checkHTTP2 checks that s answers over HTTP/2, negotiated by ALPN.
func checkHTTP2(t *testing.T, s *server) {
	t.Helper()
	resp, err := s.client.Get(s.url + "/beta/me/profile/positions")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.TLS == nil {
		t.Fatalf("response over %s without TLS", resp.Proto)
	}
	if resp.ProtoMajor != 2 || resp.TLS.NegotiatedProtocol != "h2" {
		t.Errorf("response over %s (ALPN %q), want HTTP/2 (h2)", resp.Proto, resp.TLS.NegotiatedProtocol)
	}
}

// testCert is a certificate and key the tests make themselves, as an
// operator would bring them to --tls-cert and --tls-key.
type testCert struct {
	certFile, keyFile string
}

// writeTestCert writes a self-signed server certificate for 127.0.0.1 and
// localhost to dir/name.pem and its key, in the SEC 1 form openssl writes,
// to dir/name-key.pem.
func writeTestCert(t *testing.T, dir, name string) testCert {
	t.Helper()
	return writeTestCertValid(t, dir, name, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
}

// writeTestCertValid is writeTestCert for a certificate valid from
// notBefore to notAfter.
func writeTestCertValid(t *testing.T, dir, name string, notBefore, notAfter time.Time) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := testCert{certFile: filepath.Join(dir, name+".pem"), keyFile: filepath.Join(dir, name+"-key.pem")}
	if err := os.WriteFile(c.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// devTLSFiles are the names --tls-self-signed uses beside the database db.
func devTLSFiles(db string) []string {
	return []string{db + "-ca.pem", db + "-ca-key.pem", db + "-tls.pem", db + "-tls-key.pem"}
}

func TestTLSServe(t *testing.T) {
	t.Parallel()
	certs := writeTestCert(t, t.TempDir(), "operator")
	tests := []struct {
		name      string
		how       invocation
		ca        func(dir string) string // the CA file the client trusts
		tokenArgs []string                // the --store of `token`
		present   []string                // files serve must have made in its directory
		absent    []string                // files it must not have made
	}{
		{
			name:    "--tls-self-signed",
			how:     listenFlag("--tls-self-signed"),
			ca:      func(dir string) string { return filepath.Join(dir, "graphprofile.db-ca.pem") },
			present: devTLSFiles("graphprofile.db"),
		},
		{
			name: "GRAPHPROFILE_TLS_SELF_SIGNED",
			how: func(addr string) ([]string, []string) {
				return []string{"--listen", addr}, []string{"GRAPHPROFILE_TLS_SELF_SIGNED=true"}
			},
			ca:      func(dir string) string { return filepath.Join(dir, "graphprofile.db-ca.pem") },
			present: devTLSFiles("graphprofile.db"),
		},
		{
			name:      "--tls-self-signed beside another database",
			how:       listenFlag("--tls-self-signed", "--store", "sqlite:custom.db"),
			ca:        func(dir string) string { return filepath.Join(dir, "custom.db-ca.pem") },
			tokenArgs: []string{"--store", "sqlite:custom.db"},
			present:   devTLSFiles("custom.db"),
			absent:    devTLSFiles("graphprofile.db"),
		},
		{
			name:   "--tls-cert and --tls-key",
			how:    listenFlag("--tls-cert", certs.certFile, "--tls-key", certs.keyFile),
			ca:     func(string) string { return certs.certFile },
			absent: devTLSFiles("graphprofile.db"),
		},
		{
			name: "GRAPHPROFILE_TLS_CERT and GRAPHPROFILE_TLS_KEY",
			how: func(addr string) ([]string, []string) {
				return []string{"--listen", addr}, []string{"GRAPHPROFILE_TLS_CERT=" + certs.certFile, "GRAPHPROFILE_TLS_KEY=" + certs.keyFile}
			},
			ca:     func(string) string { return certs.certFile },
			absent: devTLSFiles("graphprofile.db"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := startTLSServe(t, dir, tt.how, tt.ca(dir))
			checkHTTP2(t, s)
			// @odata.context and Location say https, as the client asked.
			createAndList(t, s, mintToken(t, dir, nil, slices.Concat(tt.tokenArgs, delegatedArgs)...), s.url)

			for _, f := range tt.present {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("%s missing: %v", f, err)
				}
			}
			for _, f := range tt.absent {
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					t.Errorf("%s exists, want it not created", f)
				}
			}

			// Plain HTTP on the HTTPS port is refused, not served.
			resp, err := http.Get("http://" + s.addr + "/beta/me/profile/positions")
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(body, []byte("HTTPS")) {
					t.Errorf("plain HTTP to the HTTPS port: %d %s, want Go's 400 about HTTPS", resp.StatusCode, body)
				}
			}
		})
	}
}

func TestTLSSelfSignedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := filepath.Join(dir, "graphprofile.db-ca.pem")
	s := startTLSServe(t, dir, listenFlag("--tls-self-signed"), ca)

	// The log names the CA to trust, absolutely, in a pasteable form.
	stderr := s.stderr.String()
	for _, want := range []string{"ca=" + ca, "NODE_EXTRA_CA_CERTS=" + ca} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the log does not say %q:\n%s", want, stderr)
		}
	}
	if runtime.GOOS != "windows" {
		for _, f := range devTLSFiles("graphprofile.db") {
			want := os.FileMode(0o644)
			if strings.HasSuffix(f, "-key.pem") {
				want = 0o600 // a secret
			}
			fi, err := os.Stat(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, want %v", f, fi.Mode().Perm(), want)
			}
		}
	}
	token := mintToken(t, dir, nil, delegatedArgs...)
	id := createAndList(t, s, token, s.url)

	// A restart reuses the files: clients that trust the CA (and hold its
	// connections' certificate) go on working.
	read := func() map[string][]byte {
		out := make(map[string][]byte)
		for _, f := range devTLSFiles("graphprofile.db") {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			out[f] = data
		}
		return out
	}
	before := read()
	s.client.CloseIdleConnections()
	s.kill()
	again := startTLSServe(t, dir, listenFlag("--tls-self-signed"), ca)
	for f, data := range read() {
		if !bytes.Equal(data, before[f]) {
			t.Errorf("a restart changed %s", f)
		}
	}
	got := again.do(http.MethodGet, "/beta/me/profile/positions/"+id, token, "", http.StatusOK)
	checkPosition(t, "after a restart", got.body, id, "T")
}

func TestTLSFlagFailures(t *testing.T) {
	t.Parallel()
	certDir := t.TempDir()
	good := writeTestCert(t, certDir, "good")
	other := writeTestCert(t, certDir, "other")
	garbage := filepath.Join(certDir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not PEM\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(certDir, "missing.pem")

	tests := []struct {
		name      string
		args      []string
		env       []string
		setup     func(t *testing.T, dir string) // prepares serve's directory
		stderrHas []string
	}{
		{name: "--tls-cert without --tls-key", args: []string{"--tls-cert", good.certFile}, stderrHas: []string{"--tls-cert", "needs --tls-key"}},
		{name: "--tls-key without --tls-cert", args: []string{"--tls-key", good.keyFile}, stderrHas: []string{"--tls-key", "needs --tls-cert"}},
		{name: "GRAPHPROFILE_TLS_CERT without a key", env: []string{"GRAPHPROFILE_TLS_CERT=" + good.certFile}, stderrHas: []string{"GRAPHPROFILE_TLS_CERT=" + good.certFile + " needs --tls-key"}},
		{name: "--tls-self-signed with --tls-cert and --tls-key", args: []string{"--tls-self-signed", "--tls-cert", good.certFile, "--tls-key", good.keyFile}, stderrHas: []string{"--tls-self-signed", "--tls-cert"}},
		{name: "--tls-self-signed with --tls-cert", args: []string{"--tls-self-signed", "--tls-cert", good.certFile}, stderrHas: []string{"--tls-self-signed", "--tls-cert"}},
		{name: "GRAPHPROFILE_TLS_SELF_SIGNED with --tls-cert and --tls-key", args: []string{"--tls-cert", good.certFile, "--tls-key", good.keyFile}, env: []string{"GRAPHPROFILE_TLS_SELF_SIGNED=1"}, stderrHas: []string{"GRAPHPROFILE_TLS_SELF_SIGNED and --tls-cert"}},
		{name: "bad GRAPHPROFILE_TLS_SELF_SIGNED", env: []string{"GRAPHPROFILE_TLS_SELF_SIGNED=maybe"}, stderrHas: []string{"GRAPHPROFILE_TLS_SELF_SIGNED", "maybe"}},
		{name: "missing certificate file", args: []string{"--tls-cert", missing, "--tls-key", good.keyFile}, stderrHas: []string{"--tls-cert", missing}},
		{name: "missing key file", args: []string{"--tls-cert", good.certFile, "--tls-key", missing}, stderrHas: []string{"--tls-key", missing}},
		{name: "key file is a directory", args: []string{"--tls-cert", good.certFile, "--tls-key", certDir}, stderrHas: []string{"--tls-key", certDir}},
		{name: "certificate not PEM", args: []string{"--tls-cert", garbage, "--tls-key", good.keyFile}, stderrHas: []string{"--tls-cert", garbage, "PEM"}},
		{name: "key of another certificate", args: []string{"--tls-cert", good.certFile, "--tls-key", other.keyFile}, stderrHas: []string{"--tls-key", other.keyFile, "does not match"}},
		{
			name: "damaged development CA",
			args: []string{"--tls-self-signed"},
			setup: func(t *testing.T, dir string) {
				if err := os.WriteFile(filepath.Join(dir, "graphprofile.db-ca.pem"), []byte("garbage"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			stderrHas: []string{"--tls-self-signed", "graphprofile.db-ca.pem", "delete"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			before, _ := os.ReadDir(dir)
			r := runCLI(t, dir, tt.env, append([]string{"serve", "--listen", "127.0.0.1:0"}, tt.args...)...)
			if r.code == 0 {
				t.Fatalf("exit status 0, want non-zero; stderr: %q", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			line, ok := strings.CutSuffix(r.stderr, "\n")
			if !ok || strings.TrimSpace(line) == "" || strings.Contains(line, "\n") {
				t.Fatalf("stderr = %q, want exactly one non-empty line", r.stderr)
			}
			for _, s := range tt.stderrHas {
				if !strings.Contains(line, s) {
					t.Errorf("stderr %q does not mention %q", line, s)
				}
			}
			// Bad TLS input fails before anything is created: no database,
			// no key.
			if after, _ := os.ReadDir(dir); len(after) != len(before) {
				t.Errorf("serve created files before failing: %v", after)
			}
		})
	}
}

// TestTLSCertificateNotValidNow: --tls-cert's certificate is loaded
// whatever its dates (the operator may be about to replace it), with a
// warning when it has expired or is not valid yet: clients will refuse
// it. A certificate valid now is loaded without one.
func TestTLSCertificateNotValidNow(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		name                string
		notBefore, notAfter time.Time
		warned              bool
	}{
		{"valid now", now.Add(-time.Hour), now.Add(time.Hour), false},
		{"expired", now.Add(-48 * time.Hour), now.Add(-24 * time.Hour), true},
		{"not valid yet", now.Add(24 * time.Hour), now.Add(48 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := writeTestCertValid(t, t.TempDir(), "operator", tt.notBefore, tt.notAfter)
			var log bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&log, nil))
			config, err := loadTLSFlags(&environment{stderr: io.Discard}, logger, c.certFile, c.keyFile, false)
			if err != nil || config == nil || len(config.Certificates) != 1 {
				t.Fatalf("loadTLSFlags: %v, %v; want the certificate loaded", config, err)
			}
			warned := strings.Contains(log.String(), "level=WARN") && strings.Contains(log.String(), "the TLS certificate is not valid now")
			if warned != tt.warned || tt.warned && !strings.Contains(log.String(), c.certFile) {
				t.Errorf("log %q: warned %v, want %v, naming %s", log.String(), warned, tt.warned, c.certFile)
			}
		})
	}
}

func TestTLSHelp(t *testing.T) {
	t.Parallel()
	r := runCLI(t, t.TempDir(), nil, "serve", "--help")
	if r.code != 0 {
		t.Fatalf("exit status %d; stderr: %s", r.code, r.stderr)
	}
	for _, want := range []string{"-tls-cert file", "-tls-key file", "-tls-self-signed", "NODE_EXTRA_CA_CERTS"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("serve --help does not mention %q:\n%s", want, r.stdout)
		}
	}
}

// TestGraphJavaScriptClient runs compat/js/graph-client.test.mjs: the
// official Microsoft Graph JavaScript client replays the docs' example
// against serve --tls-self-signed, trusting the development CA the way a
// developer would, with NODE_EXTRA_CA_CERTS.
func TestGraphJavaScriptClient(t *testing.T) {
	t.Parallel()
	jsDir, node := jsCompat(t, graphClient)
	dir := t.TempDir()
	ca := filepath.Join(dir, "graphprofile.db-ca.pem")
	s := startTLSServe(t, dir, listenFlag("--tls-self-signed"), ca)
	// The default token: the docs' user, as in the seed.
	token := mintToken(t, dir, nil)
	out := runJS(t, jsDir, 60*time.Second, s.stderr.String,
		[]string{"NODE_EXTRA_CA_CERTS=" + ca, "GRAPH_BASE_URL=" + s.url + "/", "GRAPH_TOKEN=" + token},
		node, "graph-client.test.mjs")
	t.Logf("node graph-client.test.mjs:\n%s", out)

	// What the client did is what the server holds: after the delete, the
	// three positions of its batch alone.
	if got := s.list("/beta/me/profile/positions", token); len(got) != 3 {
		t.Errorf("after the client's delete and batch: %d positions, want 3", len(got))
	}
	if log := s.stderr.String(); strings.Contains(log, "level=ERROR") || strings.Contains(log, "level=WARN") {
		t.Errorf("serve logged a problem while the client ran:\n%s", log)
	}
}

// TestTLSHeadsBudget: under TLS, the heads' budget counts HTTP/1.1 heads
// and not HTTP/2's frames, which are read ahead of the handlers: many
// big uploads at once on one HTTP/2 connection are all answered, and a
// big head over HTTP/1.1 is served.
func TestTLSHeadsBudget(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certs := writeTestCert(t, dir, "operator")
	s := startTLSServe(t, dir, listenFlag("--tls-cert", certs.certFile, "--tls-key", certs.keyFile), certs.certFile)
	token := mintToken(t, dir, nil, delegatedArgs...)

	// 24 bodies of 200 KB at once: 4.8 MB, more than the heads' budget
	// (4 MiB), which bodies do not draw on; within the bodies' own (8 MiB
	// beyond 16 KiB each, a buffer growing by doubling: body.go), so none
	// is refused for room.
	body := `{"detail":{"jobTitle":"` + strings.Repeat("x", 200_000) + `"}}`
	statuses := make([]string, 24)
	done := make(chan struct{})
	for i := range statuses {
		go func() {
			defer func() { done <- struct{}{} }()
			req, _ := http.NewRequest(http.MethodPost, s.url+"/beta/me/profile/positions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := s.client.Do(req)
			if err != nil {
				statuses[i] = err.Error()
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = fmt.Sprintf("%s %d", resp.Proto, resp.StatusCode)
		}()
	}
	for range statuses {
		<-done
	}
	for i, got := range statuses {
		// jobTitle is longer than its limit: Graph's 400, over HTTP/2.
		if got != "HTTP/2.0 400" {
			t.Errorf("upload %d: %s, want HTTP/2.0 400", i, got)
		}
	}

	h1 := tlsClient(t, certs.certFile)
	h1.Transport.(*http.Transport).ForceAttemptHTTP2 = false
	h1.Transport.(*http.Transport).TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	req, _ := http.NewRequest(http.MethodGet, s.url+"/beta/me/profile/positions", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Padding", strings.Repeat("a", 100<<10))
	resp, err := h1.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Proto != "HTTP/1.1" || resp.StatusCode != http.StatusOK {
		t.Errorf("a 100 KiB head over HTTPS: %s %d, want HTTP/1.1 200", resp.Proto, resp.StatusCode)
	}

	// 100 HTTP/1.1 connections stalling with 100 KiB heads: those past
	// the budget (16 KiB each, 4 MiB shared: SECURITY.md) are closed at
	// once without an answer, as no plain 431 can be written into TLS.
	caPEM, err := os.ReadFile(certs.certFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	const connections, padding = 100, 100 << 10
	head := "GET /beta/me/profile/positions HTTP/1.1\r\nHost: " + s.addr + "\r\nX-Padding: " + strings.Repeat("a", padding)
	outcomes := make([]string, connections)
	var stalled sync.WaitGroup
	for i := range outcomes {
		stalled.Go(func() {
			conn, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: roots, NextProtos: []string{"http/1.1"}})
			if err != nil {
				outcomes[i] = "no handshake: " + err.Error()
				return
			}
			defer conn.Close()
			go func() { _, _ = io.WriteString(conn, head) }() // never ends the head
			_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			line, err := bufio.NewReader(conn).ReadString('\n')
			var netErr net.Error
			switch {
			case errors.As(err, &netErr) && netErr.Timeout():
				outcomes[i] = "waiting"
			case err != nil:
				outcomes[i] = "closed"
			default:
				outcomes[i] = strings.TrimSpace(line)
			}
		})
	}
	stalled.Wait()
	counts := map[string]int{}
	for _, o := range outcomes {
		counts[o]++
	}
	if most := (connections*16<<10 + 4<<20) / padding; counts["waiting"] > most || counts["closed"] == 0 || counts["waiting"]+counts["closed"] != connections {
		t.Errorf("outcomes %v: want at most %d waiting and the rest closed without an answer", counts, most)
	}
	checkHTTP2(t, s)
}

// TestHTTP2StreamBounds: what one HTTP/2 connection can make the server
// hold is bounded as an HTTP/1.1 connection's is. The server allows 16
// streams at once (not net/http's 250), reads frames of 16 KiB (not
// 1 MiB, a buffer each connection keeps) and reads at most 64 KiB of
// bodies ahead of its handlers (not 1 MiB); and the heads of its streams
// share the heads' budget: each holds 16 KiB of its head alone, and the
// rest only while the budget has room, else it is refused with a 431.
// (Without these, 16 connections of 250 streams with 120 KB heads and
// no window to answer in held 600 MB: SECURITY.md.)
func TestHTTP2StreamBounds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certs := writeTestCert(t, dir, "operator")
	s := startTLSServe(t, dir, listenFlag("--tls-cert", certs.certFile, "--tls-key", certs.keyFile), certs.certFile)
	token := mintToken(t, dir, nil, delegatedArgs...)

	// The server's settings, and the window it opens on the connection.
	conn, err := tls.Dial("tcp", s.addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN %q, want h2", p)
	}
	// The preface and an empty SETTINGS frame.
	if _, err := io.WriteString(conn, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"); err != nil {
		t.Fatal(err)
	}
	settings := map[uint16]uint32{0x3: 1<<32 - 1, 0x4: 65535, 0x5: 16384} // RFC 9113's initial values
	connWindow := int64(65535)
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	fr := bufio.NewReader(conn)
	for {
		var h [9]byte
		if _, err := io.ReadFull(fr, h[:]); err != nil {
			break // the server has said what it says at the start
		}
		length := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
		payload := make([]byte, length)
		if _, err := io.ReadFull(fr, payload); err != nil {
			t.Fatal(err)
		}
		stream := uint32(h[5]&0x7f)<<24 | uint32(h[6])<<16 | uint32(h[7])<<8 | uint32(h[8])
		switch {
		case h[3] == 0x4 && h[4]&1 == 0: // SETTINGS
			for p := payload; len(p) >= 6; p = p[6:] {
				settings[uint16(p[0])<<8|uint16(p[1])] = uint32(p[2])<<24 | uint32(p[3])<<16 | uint32(p[4])<<8 | uint32(p[5])
			}
		case h[3] == 0x8 && stream == 0 && length == 4: // WINDOW_UPDATE of the connection
			connWindow += int64(uint32(payload[0]&0x7f)<<24 | uint32(payload[1])<<16 | uint32(payload[2])<<8 | uint32(payload[3]))
		}
	}
	if got := settings[0x3]; got > 16 {
		t.Errorf("SETTINGS_MAX_CONCURRENT_STREAMS %d, want at most 16", got)
	}
	if got := settings[0x5]; got != 16384 {
		t.Errorf("SETTINGS_MAX_FRAME_SIZE %d, want 16384", got)
	}
	if got := settings[0x4]; got > 64<<10 {
		t.Errorf("SETTINGS_INITIAL_WINDOW_SIZE %d, want at most 64 KiB", got)
	}
	if connWindow > 64<<10 {
		t.Errorf("connection window %d, want at most 64 KiB", connWindow)
	}

	// 80 uploads with 100 KB heads whose bodies never come, 16 on each of
	// 5 connections: their heads are over the budget (4 MiB beyond 16 KiB
	// each) together, so some are refused at once while the others wait
	// for their bodies.
	//
	// The connections are the test's own, each sent its 16 streams only
	// once the server's settings have come (the answer to a first request
	// follows them), so that every upload reaches the server. Through a
	// Transport's pool they did not: it sends up to 100 streams on a new
	// connection before the server's settings come, the server refuses
	// those past 16 (REFUSED_STREAM), and the client retries a refused
	// stream only once it has sent its body, which here never comes; so
	// under load some uploads never reached the server and fewer were
	// refused with a 431 than the budget must refuse.
	const conns, streams = 5, 16
	const uploads = conns * streams
	tr := s.client.Transport.(*http.Transport)
	ccs := make([]*http.ClientConn, conns)
	for i := range ccs {
		cc, err := tr.NewClientConn(t.Context(), "https", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		req, _ := http.NewRequest(http.MethodGet, s.url+"/beta/me/profile/positions", nil)
		resp, err := cc.RoundTrip(req)
		if err != nil {
			t.Fatalf("connection %d: the first request: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("connection %d: %s, want HTTP/2", i, resp.Proto)
		}
		// The first stream is forgotten once its answer is read.
		for deadline := time.Now().Add(5 * time.Second); cc.Available() != streams && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if n := cc.Available(); n != streams {
			t.Fatalf("connection %d: %d streams available after the server's settings, want %d", i, n, streams)
		}
		ccs[i] = cc
	}
	statuses := make(chan int, uploads)
	failures := make(chan error, uploads)
	over := make(chan struct{})
	for i := range uploads {
		go func() {
			req, _ := http.NewRequest(http.MethodPost, s.url+"/beta/me/profile/positions", stalledBody(over))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Padding", strings.Repeat("a", 100_000))
			resp, err := ccs[i%conns].RoundTrip(req)
			if err != nil {
				failures <- err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	most := (4 << 20) / (88 << 10) // what the budget holds of 100 KB heads, in its 8 KiB steps
	refused := 0
	timeout := time.After(10 * time.Second)
wait:
	for refused < uploads-most {
		select {
		case code := <-statuses:
			if code != http.StatusRequestHeaderFieldsTooLarge {
				t.Errorf("an upload whose body never came: %d, want 431 or to wait", code)
				break wait
			}
			refused++
		case err := <-failures:
			t.Errorf("an upload whose body never came: %v, want 431 or to wait", err)
			break wait
		case <-timeout:
			break wait
		}
	}
	if refused < uploads-most {
		t.Errorf("%d of %d uploads with 100 KB heads refused, want at least %d (the heads' budget holds %d)", refused, uploads, uploads-most, most)
	}
	close(over)

	// 5 connections of 16 streams with 100 KB heads that never open a
	// window for the answers (401s: no token): a head is held until its
	// answer is sent, not only until the handler returns, so those past
	// the budget are refused (431, the stream ended by its HEADERS).
	refused = 0
	for range 5 {
		refused += stallAnswers(t, s.addr, 16, 100_000)
	}
	if refused < uploads-most {
		t.Errorf("%d of 80 streams with 100 KB heads and no window refused, want at least %d", refused, uploads-most)
	}
	checkHTTP2(t, s)
}

// stallAnswers opens an HTTP/2 connection to addr whose window for
// answers is 0, sends GETs with heads of padding bytes on n streams, and
// returns how many were answered at once with no body (HEADERS ending the
// stream) in a second. The connection stays open until the test ends.
func stallAnswers(t *testing.T, addr string, n, padding int) int {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	frame := func(typ, flags byte, stream uint32, payload []byte) []byte {
		l := len(payload)
		return append([]byte{byte(l >> 16), byte(l >> 8), byte(l), typ, flags, byte(stream >> 24), byte(stream >> 16), byte(stream >> 8), byte(stream)}, payload...)
	}
	// HPACK: literal fields without indexing nor Huffman coding.
	hpackInt := func(b []byte, v int) []byte {
		if v < 127 {
			return append(b, byte(v))
		}
		b = append(b, 127)
		for v -= 127; v >= 128; v >>= 7 {
			b = append(b, byte(v%128+128))
		}
		return append(b, byte(v))
	}
	field := func(b []byte, name, value string) []byte {
		b = hpackInt(append(b, 0), len(name))
		b = append(b, name...)
		b = hpackInt(b, len(value))
		return append(b, value...)
	}
	out := []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
	out = append(out, frame(0x4, 0, 0, []byte{0, 4, 0, 0, 0, 0})...) // SETTINGS_INITIAL_WINDOW_SIZE 0
	for i := range n {
		var block []byte
		block = field(block, ":method", "GET")
		block = field(block, ":scheme", "https")
		block = field(block, ":authority", addr)
		block = field(block, ":path", "/beta/me/profile/positions")
		block = field(block, "x-padding", strings.Repeat("a", padding))
		id := uint32(2*i + 1)
		for first := true; first || len(block) > 0; first = false {
			part := block[:min(len(block), 16<<10)]
			block = block[len(part):]
			var flags byte
			if len(block) == 0 {
				flags |= 0x4 // END_HEADERS
			}
			if first {
				out = append(out, frame(0x1, flags|0x1, id, part)...) // HEADERS, END_STREAM
			} else {
				out = append(out, frame(0x9, flags, id, part)...) // CONTINUATION
			}
		}
	}
	go func() { _, _ = conn.Write(out) }()
	ended := 0
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	r := bufio.NewReader(conn)
	for {
		var h [9]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return ended
		}
		if _, err := io.CopyN(io.Discard, r, int64(h[0])<<16|int64(h[1])<<8|int64(h[2])); err != nil {
			return ended
		}
		if h[3] == 0x1 && h[4]&0x1 != 0 {
			ended++
		}
	}
}

// stalledBody is a request body that sends nothing until over is closed,
// or it is: the client closes it when its stream ends first (refused, or
// reset), and RoundTrip returns only once the body's Read has.
func stalledBody(over chan struct{}) io.ReadCloser {
	closed := make(chan struct{})
	return struct {
		io.Reader
		io.Closer
	}{
		readerFunc(func([]byte) (int, error) {
			select {
			case <-over:
				return 0, errors.New("test over")
			case <-closed:
				return 0, errors.New("body closed")
			}
		}),
		closerFunc(sync.OnceValue(func() error { close(closed); return nil })),
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// TestIdleHTTP2ConnectionsGiveWay: an HTTP/2 connection with no request
// open is idle too, and gives way to a new client at --max-connections
// as an idle HTTP/1.1 connection does (TestIdleConnectionsGiveWay); its
// client opens another for its next request.
func TestIdleHTTP2ConnectionsGiveWay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certs := writeTestCert(t, dir, "operator")
	s := startTLSServe(t, dir, listenFlag("--tls-cert", certs.certFile, "--tls-key", certs.keyFile, "--max-connections", "3"), certs.certFile)
	s.client.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond) // the readiness probe's connection closes

	type client struct {
		http  *http.Client
		dials *int
	}
	var mu sync.Mutex
	newClient := func() client {
		dials := new(int)
		dialer := &net.Dialer{}
		tr := &http.Transport{
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
			ForceAttemptHTTP2: true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				mu.Lock()
				*dials++
				mu.Unlock()
				return dialer.DialContext(ctx, network, addr)
			},
		}
		t.Cleanup(tr.CloseIdleConnections)
		return client{&http.Client{Transport: tr, Timeout: 3 * time.Second}, dials}
	}
	get := func(c client) (*http.Response, error) {
		resp, err := c.http.Get(s.url + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	clients := []client{newClient(), newClient(), newClient()}
	for i, c := range clients {
		resp, err := get(c)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		if resp.ProtoMajor != 2 || resp.StatusCode != http.StatusOK {
			t.Fatalf("client %d: %s %d, want HTTP/2 200", i, resp.Proto, resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp, err := get(newClient()); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("a fourth client while three HTTP/2 connections were idle: %v, want served within a few hundred ms", err)
	}
	time.Sleep(100 * time.Millisecond) // the first client sees its connection closed
	if resp, err := get(clients[0]); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the first client after the fourth: %v", err)
	}
	mu.Lock()
	dials := []int{*clients[0].dials, *clients[1].dials, *clients[2].dials}
	mu.Unlock()
	if !slices.Equal(dials, []int{2, 1, 1}) {
		t.Errorf("connections dialled: %v, want [2 1 1] (the longest idle closed for the fourth client)", dials)
	}
	// The others are served too (each new connection closing another's).
	for i, c := range clients[1:] {
		if resp, err := get(c); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("client %d after the fourth: %v", i+1, err)
		}
	}
}

// TestNewHTTP2ConnectionsAreNotClosedForAnother: a new HTTP/2 connection
// is idle (net/http's state) as soon as its preface is read, though its
// client sent its first request with the preface and the server has read
// that request already (into the TLS layer's buffer). At
// --max-connections such a connection must not be the idle one closed for
// the next client: each of many clients, each on a connection of its own
// for one request, must get its answer.
func TestNewHTTP2ConnectionsAreNotClosedForAnother(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certs := writeTestCert(t, dir, "operator")
	s := startTLSServe(t, dir, listenFlag("--tls-cert", certs.certFile, "--tls-key", certs.keyFile, "--max-connections", "2"), certs.certFile)
	s.client.CloseIdleConnections()

	var failed atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
				c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
				resp, err := c.Get(s.url + "/healthz")
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				} else if failed.Add(1) <= 3 {
					t.Errorf("a request on a new connection of its own: %v", err)
				}
				tr.CloseIdleConnections()
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of 300 requests, each on a new HTTP/2 connection, failed: a new connection's first request was closed for another connection", n)
	}
}
