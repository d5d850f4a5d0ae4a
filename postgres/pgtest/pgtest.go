// Package pgtest gives tests a real PostgreSQL server: the one the
// environment variable GRAPHPROFILE_TEST_POSTGRES names (a postgres:// URL of
// a role that may create databases), or else a throwaway cluster of its own,
// made with initdb in a temporary directory and started on a free loopback
// port, which it can stop, crash and restart for fault tests. The binaries
// are found in GRAPHPROFILE_TEST_POSTGRES_BIN, else the newest
// /usr/lib/postgresql/<version>/bin, else PATH; as root, PostgreSQL runs as
// the postgres user.
//
// Without either, Start fails with ErrNoServer, which says how to provide
// one: tests that need PostgreSQL fail, they never pass silently.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable with the URL of an external server.
const EnvURL = "GRAPHPROFILE_TEST_POSTGRES"

// EnvBin names the environment variable with the directory of the initdb
// and postgres to use (to pick a version); without it the newest found is.
const EnvBin = "GRAPHPROFILE_TEST_POSTGRES_BIN"

// ErrNoServer is returned by Start when there is no server to use.
var ErrNoServer = errors.New("the PostgreSQL tests need a PostgreSQL server: install PostgreSQL 15 or newer " +
	"(its initdb and postgres in /usr/lib/postgresql/<version>/bin or on PATH, e.g. apt-get install postgresql), " +
	"or set " + EnvURL + "=postgres://user:password@host:port/postgres?sslmode=disable (a role that may CREATE DATABASE)")

// Server is a PostgreSQL server for tests.
type Server struct {
	url string // a superuser's (or CREATEDB role's) URL, to the maintenance database

	// A local cluster; bin is "" for an external server.
	bin    string
	base   string // the temporary directory: data/, postgres.log
	data   string
	port   int
	cred   *credential // nil: run as ourselves
	logf   *os.File
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// Start returns the server of EnvURL when it is set, else starts a local
// cluster. Close it when done.
func Start(ctx context.Context) (*Server, error) {
	if u := os.Getenv(EnvURL); u != "" {
		s := &Server{url: u}
		if err := s.waitReady(ctx, 10*time.Second); err != nil {
			return nil, fmt.Errorf("pgtest: %s: %w", EnvURL, err)
		}
		return s, nil
	}
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	if err := s.initCluster(ctx); err != nil {
		s.Close()
		return nil, err
	}
	var startErr error
	for range 3 { // the free port may be taken by the time postgres binds it
		s.port, startErr = freePort()
		if startErr != nil {
			break
		}
		s.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
		if startErr = s.Restart(ctx); startErr == nil {
			return s, nil
		}
	}
	s.Close()
	return nil, startErr
}

// Available reports whether Start has a server to use, without starting
// one: nil when EnvURL names one or PostgreSQL's binaries are found, else
// an error (ErrNoServer) saying how to provide one. make test checks it
// first (pgcheck), so that a machine without PostgreSQL gets that message
// once instead of from every PostgreSQL test.
func Available() error {
	if os.Getenv(EnvURL) != "" {
		return nil
	}
	_, err := findBin()
	return err
}

// URL returns the URL of the maintenance database as a role that may
// create databases.
func (s *Server) URL() string { return s.url }

// Local reports whether s is a cluster of its own, which Stop, Crash and
// Restart control.
func (s *Server) Local() bool { return s.bin != "" }

// findBin returns the directory with initdb and postgres: the newest
// /usr/lib/postgresql/<version>/bin (Debian, Ubuntu), else PATH, else the
// other usual places.
func findBin() (string, error) {
	if err := localClusters(); err != nil {
		return "", err
	}
	has := func(dir string) bool {
		for _, name := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				return false
			}
		}
		return true
	}
	versionOf := func(dir string) float64 {
		for _, part := range strings.Split(dir, string(filepath.Separator)) {
			if v, err := strconv.ParseFloat(strings.TrimPrefix(part, "pgsql-"), 64); err == nil {
				return v
			}
		}
		return 0
	}
	if dir := os.Getenv(EnvBin); dir != "" {
		if has(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("pgtest: %s=%s has no initdb and postgres: %w", EnvBin, dir, ErrNoServer)
	}
	var dirs []string
	for _, pattern := range []string{"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin"} {
		m, _ := filepath.Glob(pattern)
		slices.SortFunc(m, func(a, b string) int { return int(versionOf(b)*100) - int(versionOf(a)*100) })
		dirs = append(dirs, m...)
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	dirs = append(dirs, "/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin")
	for _, d := range dirs {
		if has(d) {
			return d, nil
		}
	}
	return "", ErrNoServer
}

// initCluster makes a cluster in a new temporary directory. initdb and
// postgres refuse to run as root: then they run as the postgres user (or
// nobody), which owns the data directory.
func (s *Server) initCluster(ctx context.Context) error {
	root := os.TempDir()
	if os.Geteuid() == 0 {
		var u *user.User
		var err error
		for _, name := range []string{"postgres", "nobody"} {
			if u, err = user.Lookup(name); err == nil {
				break
			}
		}
		if err != nil {
			return fmt.Errorf("pgtest: running as root, and there is no postgres user to run PostgreSQL as: %w", ErrNoServer)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		s.cred = credentialOf(uint32(uid), uint32(gid))
		if !traversable(root) {
			root = "/tmp"
		}
	}
	base, err := os.MkdirTemp(root, "graphprofile-pg-")
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	s.base = base
	s.data = filepath.Join(base, "data")
	if err := os.Chmod(base, 0o755); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if err := os.Mkdir(s.data, 0o700); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if s.cred != nil {
		if err := os.Chown(s.data, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
	}
	if s.logf, err = os.Create(filepath.Join(base, "postgres.log")); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	// C: a locale every system has; tests that care about collations make
	// databases with an ICU locale (CreateDatabase). --no-sync: a
	// throwaway cluster need not be on disk before it starts; the server
	// itself runs with fsync on.
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "initdb"), "-D", s.data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = s.env()
	cmd.Dir = base
	cmd.SysProcAttr = procAttr(s.cred, false)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgtest: %s: %w\n%s", cmd, err, out.String())
	}
	return nil
}

// traversable reports whether every directory of dir may be entered by
// anyone.
func traversable(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func (s *Server) env() []string {
	return []string{"PATH=" + s.bin + ":/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Restart starts the local cluster (again: same data directory, same port)
// and waits until it accepts connections.
func (s *Server) Restart(ctx context.Context) error {
	if !s.Local() {
		return errors.New("pgtest: an external server cannot be restarted")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("pgtest: the cluster is running")
	}
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), "-D", s.data,
		"-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=", // TCP only: no socket directory to share
		// Durable, as in production: the tests check that acknowledged
		// writes survive.
		"-c", "fsync=on",
		"-c", "synchronous_commit=on",
		"-c", "full_page_writes=on",
		"-c", "shared_buffers=32MB",
		"-c", "max_connections=200",
		"-c", "logging_collector=off",
		"-c", "log_min_messages=warning",
		"-c", "log_line_prefix=%m [%p] ",
	)
	cmd.Stdout, cmd.Stderr = s.logf, s.logf
	cmd.Env = s.env()
	cmd.Dir = s.base
	// In a process group of its own; on Linux, should the test process
	// die, the cluster shuts down at once (see procAttr).
	cmd.SysProcAttr = procAttr(s.cred, true)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	if err := s.waitReady(ctx, time.Minute); err != nil {
		s.stopLocked(syscall.SIGQUIT)
		return fmt.Errorf("pgtest: starting PostgreSQL: %w\n%s", err, s.logTail())
	}
	return nil
}

// waitReady waits until the server accepts connections.
func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, s.url)
		ccancel()
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %v: %w", limit, err)
		case <-s.exitedChan():
			return errors.New("postgres exited")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) exitedChan() <-chan struct{} {
	if s.exited == nil {
		return nil // external: never
	}
	return s.exited
}

// Stop shuts the local cluster down as an administrator would (fast
// shutdown: sessions are ended, FATAL 57P01, and a checkpoint written).
func (s *Server) Stop() error { return s.stop(syscall.SIGINT) }

// Crash stops the local cluster as a crash would (immediate shutdown: no
// checkpoint, the next start recovers from the write-ahead log).
func (s *Server) Crash() error { return s.stop(syscall.SIGQUIT) }

func (s *Server) stop(sig syscall.Signal) error {
	if !s.Local() {
		return errors.New("pgtest: an external server cannot be stopped")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked(sig)
}

func (s *Server) stopLocked(sig syscall.Signal) error {
	if s.cmd == nil {
		return nil
	}
	defer func() { s.cmd, s.exited = nil, nil }()
	// The postmaster runs as another user when we are root; root may
	// signal it.
	if err := s.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pgtest: %w", err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(time.Minute):
	}
	killGroup(s.cmd.Process)
	<-s.exited
	return fmt.Errorf("pgtest: PostgreSQL did not stop on %v\n%s", sig, s.logTail())
}

// Close stops a local cluster and removes its directory.
func (s *Server) Close() error {
	if !s.Local() {
		return nil
	}
	err := s.Stop()
	if s.logf != nil {
		s.logf.Close()
	}
	if s.base != "" {
		if rerr := os.RemoveAll(s.base); err == nil {
			err = rerr
		}
	}
	return err
}

func (s *Server) logTail() string {
	if s.base == "" {
		return ""
	}
	b, _ := os.ReadFile(filepath.Join(s.base, "postgres.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// RandomName returns prefix with random hex digits appended: a name for a
// database or schema of a test run.
func RandomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// CreateDatabase creates database name and returns its URL. When the server
// has ICU, the database's default collation is en-US, not C, so that a
// query that sorts in the database's collation where it should sort by
// bytes shows.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	if !identifier.MatchString(name) {
		return "", fmt.Errorf("pgtest: %q is not a plain identifier", name)
	}
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE DATABASE `+name+` TEMPLATE template0 ENCODING 'UTF8'
		LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`)
	if err != nil {
		// No ICU, or PostgreSQL before 15.
		if _, err := conn.Exec(ctx, `CREATE DATABASE `+name+` TEMPLATE template0 ENCODING 'UTF8'`); err != nil {
			return "", fmt.Errorf("pgtest: %w", err)
		}
	}
	return WithDatabase(s.url, name)
}

// DropDatabase drops database name, ending its sessions.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	if !identifier.MatchString(name) {
		return fmt.Errorf("pgtest: %q is not a plain identifier", name)
	}
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// WithDatabase returns the URL u with database name.
func WithDatabase(u, name string) (string, error) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") {
		return "", fmt.Errorf("pgtest: %s must be a postgres:// URL", EnvURL)
	}
	p.Path = "/" + name
	p.RawPath = ""
	return p.String(), nil
}

// WithParams returns the URL u with the query parameters of kv (name,
// value, name, value…) set.
func WithParams(u string, kv ...string) string {
	p, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	q := p.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	p.RawQuery = q.Encode()
	return p.String()
}
