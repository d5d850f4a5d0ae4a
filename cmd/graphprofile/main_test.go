package main

// Black-box tests of the graphprofile command: TestMain builds the real binary
// once, and the tests run it as a subprocess in a temporary working directory,
// talking to `serve` over HTTP like the scripts that rely on the command-line
// contract do. When the tests run with -race, the binary is built with -race
// too, so a data race in the server fails the tests that stop it cleanly.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/internal/logtest"
)

// binary is the graphprofile executable under test, built by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "graphprofile-cli-test-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: creating a directory for the binary: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "graphprofile")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, driverTags()...)
	args = append(args, ".")
	build := exec.Command("go", args...)
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: go %s: %v\n%s", strings.Join(args, " "), err, out)
		return 1
	}
	return m.Run()
}

// driverTags are the go build flags that give the binary under test the
// SQLite driver the tests were built with.
func driverTags() []string {
	if puregoTag {
		return []string{"-tags", "purego"}
	}
	return nil
}

// Values the tests use in tokens and bodies.
const (
	testTenant = "2f1f7c5e-6b1a-4a4e-9a53-0c7d6d0b7a11"
	testUser   = "6e3b7f4a-1d2c-4b5a-8e9f-0a1b2c3d4e5f"
	testUPN    = "ada.lovelace@example.test"
	testName   = "Ada Lovelace"
	testApp    = "0c8d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f"

	createBody = `{"detail":{"jobTitle":"T"},"isCurrent":true}`
)

// delegatedArgs are the `token` flags of the test user's delegated token.
var delegatedArgs = []string{"--tenant", testTenant, "--user", testUser, "--upn", testUPN, "--name", testName, "--scopes", "User.ReadWrite"}

// appArgs are the `token` flags of an application token of the test tenant.
var appArgs = []string{"--tenant", testTenant, "--app", testApp, "--roles", "User.ReadWrite.All"}

// commandEnv is the environment of a subprocess: the test's own without any
// GRAPHPROFILE_ variable (so the caller's shell cannot change the outcome),
// plus extra ("NAME=value" each). A race-enabled binary is told not to sleep
// a second at exit (options in the caller's GORACE still win).
func commandEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GRAPHPROFILE_") && !strings.HasPrefix(kv, "GORACE=") {
			env = append(env, kv)
		}
	}
	if raceEnabled {
		env = append(env, strings.TrimSpace("GORACE=atexit_sleep_ms=0 "+os.Getenv("GORACE")))
	}
	return append(env, extra...)
}

// result is how a finished run of the binary ended.
type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs the binary to completion in dir with the extra environment
// variables env and fails the test if it does not finish within 20 s.
func runCLI(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = commandEnv(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("graphprofile %s: did not finish within 20 s; stderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
	default:
		t.Fatalf("graphprofile %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// mintToken runs `graphprofile token` in dir and returns the token, checking
// that stdout is exactly the token and one newline.
func mintToken(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	r := runCLI(t, dir, env, append([]string{"token"}, args...)...)
	if r.code != 0 {
		t.Fatalf("graphprofile token %s: exit status %d; stderr: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("graphprofile token %s: stderr = %q, want nothing", strings.Join(args, " "), r.stderr)
	}
	tok, ok := strings.CutSuffix(r.stdout, "\n")
	if !ok || strings.ContainsAny(tok, "\r\n") || tok == "" {
		t.Fatalf("graphprofile token %s: stdout = %q, want exactly one line", strings.Join(args, " "), r.stdout)
	}
	return tok
}

var base64URLPart = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// decodeJWT checks that tok is a compact JWS of three base64url parts and
// returns its header and payload.
func decodeJWT(t *testing.T, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d dot-separated parts, want 3", tok, len(parts))
	}
	for i, p := range parts {
		if !base64URLPart.MatchString(p) {
			t.Fatalf("part %d of the token, %q, is not unpadded base64url", i, p)
		}
	}
	decode := func(part string) map[string]any {
		raw, err := base64.RawURLEncoding.DecodeString(part)
		if err != nil {
			t.Fatalf("decoding token part %q: %v", part, err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("token part %s is not a JSON object: %v", raw, err)
		}
		return m
	}
	return decode(parts[0]), decode(parts[1])
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// server is a running `graphprofile serve`.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string // host:port it listens on
	url    string // http://addr
	stdout *logtest.Buffer
	stderr *logtest.Buffer
	client *http.Client

	done    chan struct{} // closed when the process has exited
	waitErr error         // cmd.Wait's result, once done is closed
}

// invocation says how serve is started when it is to listen on addr: its
// arguments after "serve" and extra environment variables.
type invocation func(addr string) (args, env []string)

// listenFlag starts serve with --listen addr and args.
func listenFlag(args ...string) invocation {
	return func(addr string) ([]string, []string) {
		return append([]string{"--listen", addr}, args...), nil
	}
}

var errPortClash = errors.New("the port was taken before serve could listen on it")

// startServe starts serve in dir and waits until it answers HTTP on the
// address it was given; it picks another port when the one it chose was
// taken meanwhile. The server is killed when the test ends.
func startServe(t *testing.T, dir string, how invocation) *server {
	t.Helper()
	return startServeBinary(t, binary, dir, how)
}

// startServeBinary is startServe with the executable bin.
func startServeBinary(t *testing.T, bin, dir string, how invocation) *server {
	t.Helper()
	for attempt := 1; ; attempt++ {
		addr := freeAddr(t)
		s, err := tryServe(t, bin, dir, addr, how)
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

func tryServe(t *testing.T, bin, dir, addr string, how invocation) (*server, error) {
	t.Helper()
	args, env := how(addr)
	s := &server{
		t:      t,
		addr:   addr,
		url:    "http://" + addr,
		stdout: new(logtest.Buffer),
		stderr: new(logtest.Buffer),
		client: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}},
		done:   make(chan struct{}),
	}
	s.cmd = exec.Command(bin, append([]string{"serve"}, args...)...)
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
		s.client.CloseIdleConnections()
		s.kill()
	})

	// Ready means: the process says it serves on addr (so whatever answers
	// there is this process, not another test's server that took the port)
	// and it answers HTTP.
	serving := `msg="graphprofile serving" url=` + s.url + "/beta"
	servingJSON := `"msg":"graphprofile serving","url":"` + s.url + `/beta"` // --log-format json
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
		if stderr := s.stderr.String(); strings.Contains(stderr, serving) || strings.Contains(stderr, servingJSON) {
			resp, err := s.client.Get(s.url + "/beta/me/profile/positions")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return s, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, fmt.Errorf("graphprofile serve %s: not serving on %s after 10 s; stderr:\n%s", strings.Join(args, " "), addr, s.stderr.String())
}

// kill ends the server with SIGKILL (if it still runs) and waits for it.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.t.Errorf("graphprofile serve did not exit 10 s after SIGKILL")
	}
}

// waitExit waits up to timeout for the server to exit and returns its exit
// status.
func (s *server) waitExit(timeout time.Duration) (int, bool) {
	select {
	case <-s.done:
	case <-time.After(timeout):
		return 0, false
	}
	var exitErr *exec.ExitError
	switch {
	case s.waitErr == nil:
		return 0, true
	case errors.As(s.waitErr, &exitErr):
		return exitErr.ExitCode(), true
	default:
		s.t.Fatalf("waiting for graphprofile serve: %v", s.waitErr)
		return 0, true
	}
}

// response is an HTTP response with its body read (and decoded when JSON).
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// request sends one request to the server; it does not touch the test, so
// goroutines may use it.
func (s *server) request(method, path, token, body string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		return response{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	r := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			return r, fmt.Errorf("%s %s: %d with a body that is not a JSON object: %v: %s", method, path, r.status, err, raw)
		}
	}
	return r, nil
}

// do is request for the test goroutine: it fails the test on a transport
// error and checks the status.
func (s *server) do(method, path, token, body string, wantStatus int) response {
	s.t.Helper()
	r, err := s.request(method, path, token, body)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	if r.status != wantStatus {
		s.t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, r.status, wantStatus, r.raw)
	}
	return r
}

// create creates a position from body through /me and returns the response.
func (s *server) create(token, body string) response {
	s.t.Helper()
	return s.do(http.MethodPost, "/beta/me/profile/positions", token, body, http.StatusCreated)
}

// listAll returns every position of a collection, following nextLinks.
func (s *server) listAll(path, token string) []map[string]any {
	s.t.Helper()
	var all []map[string]any
	for path != "" {
		r := s.do(http.MethodGet, path, token, "", http.StatusOK)
		values, _ := r.body["value"].([]any)
		for _, v := range values {
			all = append(all, v.(map[string]any))
		}
		next, _ := r.body["@odata.nextLink"].(string)
		path = strings.TrimPrefix(next, s.url)
	}
	return all
}

// list returns the value array of a positions collection.
func (s *server) list(path, token string) []map[string]any {
	s.t.Helper()
	r := s.do(http.MethodGet, path, token, "", http.StatusOK)
	values, ok := r.body["value"].([]any)
	if !ok {
		s.t.Fatalf("GET %s: no value array in %s", path, r.raw)
	}
	out := make([]map[string]any, len(values))
	for i, v := range values {
		if out[i], ok = v.(map[string]any); !ok {
			s.t.Fatalf("GET %s: value[%d] is not an object: %s", path, i, r.raw)
		}
	}
	return out
}

// field returns the value at a dotted path of a decoded JSON object, or nil.
func field(obj map[string]any, path string) any {
	var cur any = obj
	for _, name := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[name]
	}
	return cur
}

// checkPosition checks the values of a position created from createBody
// (with jobTitle title) by the test user.
func checkPosition(t *testing.T, where string, p map[string]any, id, title string) {
	t.Helper()
	want := map[string]any{
		"id":                         id,
		"detail.jobTitle":            title,
		"isCurrent":                  true,
		"allowedAudiences":           "organization",
		"createdBy.user.id":          testUser,
		"createdBy.user.displayName": testName,
	}
	for path, w := range want {
		if got := field(p, path); got != w {
			t.Errorf("%s: %s = %#v, want %#v", where, path, got, w)
		}
	}
	if s, _ := field(p, "createdDateTime").(string); s == "" {
		t.Errorf("%s: createdDateTime missing", where)
	}
}

// sendSignal sends sig to the server process.
func (s *server) sendSignal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("sending %v to graphprofile serve: %v", sig, err)
	}
}
