package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// fixtureUser is Ada of testdata/fixtures.json.
const fixtureUser = "6e3b7f4a-1d2c-4b5a-8e9f-0a1b2c3d4e5f"

// fixtureReads are the GETs whose answers a fixtures round trip keeps.
var fixtureReads = []string{
	"/beta/users/" + fixtureUser + "/profile",
	"/beta/users/" + fixtureUser + "/profile/positions",
	"/beta/users/" + fixtureUser + "/profile/positions/a1b2c3d4-0000-4000-8000-000000000001",
	"/beta/users/" + fixtureUser + "/profile/skills/skill-1",
	"/beta/users/" + fixtureUser + "/profile/languages",
	"/v1.0/users?$select=id,displayName,userPrincipalName,jobTitle,accountEnabled,businessPhones,employeeHireDate",
}

// readAll returns the answers of fixtureReads, with the server's own URL
// taken out of them.
func readAll(t *testing.T, s *server, token string) []string {
	t.Helper()
	var answers []string
	for _, path := range fixtureReads {
		r := s.do(http.MethodGet, path, token, "", http.StatusOK)
		answers = append(answers, strings.ReplaceAll(string(r.raw), s.url, "")+" ETag="+r.header.Get("ETag"))
	}
	return answers
}

// TestFixturesRoundTrip: serve --fixtures loads a file; export writes the
// store so that serve --fixtures of the export, into a fresh store, answers
// every GET the same (ids, timestamps and ETags included), and its export
// is the same file again.
func TestFixturesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	fixtures, err := filepath.Abs("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	first := startServe(t, dir, listenFlag("--store", "sqlite:first.db", "--fixtures", fixtures))
	if !strings.Contains(first.stderr.String(), `msg="fixtures loaded" fixtures=`+fixtures+" tenants=2 users=3 items=6") {
		t.Errorf("serve did not log the fixtures it loaded:\n%s", first.stderr.String())
	}
	app := mintToken(t, dir, nil, append(appArgs, "--store", "sqlite:first.db")...)
	readAll(t, first, app) // every read answers 200 before the round trip's reads below
	positions := first.list("/beta/users/"+fixtureUser+"/profile/positions", app)
	if got := []any{field(positions[0], "detail.jobTitle"), field(positions[1], "detail.jobTitle"), field(positions[2], "detail.jobTitle")}; !slices.Equal(got, []any{"Analyst", "Translator", "Correspondent"}) {
		t.Errorf("positions in list order: %v, want the file's order", got)
	}
	if p := positions[0]; p["createdDateTime"] != "2024-01-02T03:04:05.1234567Z" || p["lastModifiedDateTime"] != "2024-02-03T04:05:06.7654321Z" ||
		field(p, "createdBy.user.displayName") != "Ada Lovelace" || p["allowedAudiences"] != "everyone" {
		t.Errorf("the first position lost what the file gave it: %v", p)
	}
	if p := positions[1]; p["allowedAudiences"] != "organization" || p["lastModifiedDateTime"] != p["createdDateTime"] || p["createdBy"] != nil {
		t.Errorf("the second position was not made as a create makes it: %v", p)
	}
	// A user the directory recorded on its first request goes round too,
	// as it was: enabled, as every user Graph signs in is.
	firstUse := mintToken(t, dir, nil, "--store", "sqlite:first.db", "--tenant", testTenant, "--user", "33333333-3333-4333-8333-333333333333", "--upn", "bob@example.test")
	if me := first.do(http.MethodGet, "/beta/me", firstUse, "", http.StatusOK).body; me["accountEnabled"] != true {
		t.Errorf("a user recorded on its first request: accountEnabled %v, want true: %v", me["accountEnabled"], me)
	}
	want := readAll(t, first, app)
	first.kill()

	exported := filepath.Join(dir, "exported.json")
	if r := runCLI(t, dir, nil, "export", "--store", "sqlite:first.db", exported); r.code != 0 {
		t.Fatalf("export: exit %d, stderr %q", r.code, r.stderr)
	}
	second := startServe(t, dir, listenFlag("--store", "sqlite:second.db", "--fixtures", exported))
	app = mintToken(t, dir, nil, append(appArgs, "--store", "sqlite:second.db")...)
	got := readAll(t, second, app)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("GET %s after the round trip:\n got %s\nwant %s", fixtureReads[i], got[i], want[i])
		}
	}
	second.kill()
	again := runCLI(t, dir, nil, "export", "--store", "sqlite:second.db")
	if data, err := os.ReadFile(exported); err != nil || again.code != 0 || again.stdout != string(data) {
		t.Errorf("the export of the loaded export differs (exit %d, %v):\n%s\nwant\n%s", again.code, err, again.stdout, data)
	}
	// A server on a store with users leaves them be.
	third := startServe(t, dir, listenFlag("--store", "sqlite:second.db", "--fixtures", fixtures))
	if !strings.Contains(third.stderr.String(), "fixtures not loaded: the store has users already") {
		t.Errorf("serve on a store with users:\n%s", third.stderr.String())
	}
}

// TestServeMemory: serve --store memory: writes no file, loads fixtures,
// and prints the tokens its development issuer accepts (graphprofile token
// refuses to mint for it); the commands that would lose what they write
// refuse it.
func TestServeMemory(t *testing.T) {
	dir := t.TempDir()
	fixtures, err := filepath.Abs("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	s := startServe(t, dir, listenFlag("--store", "memory:", "--fixtures", fixtures))
	tokens := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(s.stdout.String()), "\n") {
		name, value, _ := strings.Cut(line, "=")
		tokens[name] = value
	}
	if len(tokens) != 2 || tokens["GRAPHPROFILE_TOKEN"] == "" || tokens["GRAPHPROFILE_APP_TOKEN"] == "" {
		t.Fatalf("serve --store memory: printed %q, want GRAPHPROFILE_TOKEN= and GRAPHPROFILE_APP_TOKEN= lines", s.stdout.String())
	}
	if strings.Contains(s.stderr.String(), tokens["GRAPHPROFILE_TOKEN"]) {
		t.Errorf("a token is in the log")
	}
	// What docs/fixtures.md says of them: valid 24 hours, the delegated one
	// with User.ReadWrite, the application one with User.ReadWrite.All.
	for name, want := range map[string]map[string]any{
		"GRAPHPROFILE_TOKEN":     {"scp": "User.ReadWrite", "roles": nil},
		"GRAPHPROFILE_APP_TOKEN": {"scp": nil, "roles": []any{"User.ReadWrite.All"}},
	} {
		_, claims := decodeJWT(t, tokens[name])
		for claim, v := range want {
			if got := claims[claim]; fmt.Sprint(got) != fmt.Sprint(v) {
				t.Errorf("%s: claim %s = %v, want %v", name, claim, got, v)
			}
		}
		if life := number(t, claims, "exp") - number(t, claims, "iat"); math.Abs(life-24*60*60) > 1 {
			t.Errorf("%s: valid %v s, want 24 hours", name, life)
		}
	}
	me := s.do(http.MethodGet, "/beta/me", tokens["GRAPHPROFILE_TOKEN"], "", http.StatusOK).body
	if me["id"] != defaultUser || me["userPrincipalName"] != defaultUPN {
		t.Errorf("GET /me with GRAPHPROFILE_TOKEN: %v", me)
	}
	// The application token is of graphprofile token's default tenant, not
	// the fixtures': it sees the user the delegated token recorded.
	users := s.list("/v1.0/users", tokens["GRAPHPROFILE_APP_TOKEN"])
	if len(users) != 1 || users[0]["id"] != defaultUser {
		t.Errorf("GET /users with GRAPHPROFILE_APP_TOKEN: %v", users)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("serve --store memory: left %v in its directory (%v)", entries, err)
	}
	for _, args := range [][]string{
		{"token", "--store", "memory:"},
		{"export", "--store", "memory:"},
		{"users", "import", "--store", "memory:", fixtures},
	} {
		if r := runCLI(t, dir, nil, args...); r.code == 0 || !strings.Contains(r.stderr, "memory:") {
			t.Errorf("%s: exit %d, stderr %q; want a refusal", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}

// TestServeRefusesBadFixtures: a bad fixtures file stops serve before it
// opens the store, with the line, column and path of the problem.
func TestServeRefusesBadFixtures(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	data := "{\"tenants\": [{\"id\": \"t1\", \"users\": [\n  {\"displayName\": \"A\", \"userPrincipalName\": \"a@example.test\",\n   \"profile\": {\"positions\": [{\"detail\": {\"startMonthYear\": \"2020-13-01\"}}]}}]}]}\n"
	if err := os.WriteFile(bad, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, dir, nil, "serve", "--store", "sqlite:x.db", "--fixtures", bad)
	want := "graphprofile: --fixtures: nothing loaded: bad.json:3:60: tenants[0].users[0].profile.positions[0].detail.startMonthYear: Invalid value '2020-13-01' for property 'startMonthYear' of type 'microsoft.graph.positionDetail': expected an Edm.Date in the form YYYY-MM-DD.\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("serve --fixtures of a bad file: exit %d, stderr\n%q\nwant\n%q", r.code, r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err == nil {
		t.Errorf("serve made the database of a bad fixtures file")
	}
}

// importAda imports one user, Ada (ada@contoso.com), with users import and
// storeArgs (none: the default store) in dir.
func importAda(t *testing.T, dir string, storeArgs ...string) {
	t.Helper()
	users := filepath.Join(dir, "users.jsonl")
	if err := os.WriteFile(users, []byte(`{"id":"11111111-2222-4333-8444-555555555555","displayName":"Ada","userPrincipalName":"ada@contoso.com"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, append(append([]string{"users", "import"}, storeArgs...), users)...); r.code != 0 {
		t.Fatalf("users import: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestWritersRefuseTheStoresOwnFiles: export FILE, backup FILE and restore
// FILE where FILE is the store's database (`graphprofile export
// graphprofile.db`, with the default store), or a file SQLite or the
// server keeps beside it, are refused and leave it as it was. Export
// replaced the database with its JSON, exit status 0, and the next serve
// failed on "file is not a database"; backup wrote its copy as
// graphprofile.db-wal (exit status 0), which the next command that opened
// the store deleted, or as graphprofile.db-devkey.pem, after which no token
// could be minted.
func TestWritersRefuseTheStoresOwnFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	importAda(t, dir)
	before, err := os.ReadFile(filepath.Join(dir, "graphprofile.db"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"graphprofile.db", "./graphprofile.db", filepath.Join(dir, "graphprofile.db"),
		"graphprofile.db-wal", "graphprofile.db-shm", "graphprofile.db-journal", "graphprofile.db-lock", "graphprofile.db-devkey.pem",
		"graphprofile.db-ca.pem", "graphprofile.db-ca-key.pem", "graphprofile.db-tls.pem", "graphprofile.db-tls-key.pem"}
	for _, command := range []string{"export", "backup", "restore"} {
		for _, file := range files {
			r := runCLI(t, dir, nil, command, file)
			if r.code == 0 || !strings.Contains(r.stderr, "the store's own") || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("%s %s: exit %d, stderr %q; want a one-line refusal naming it the store's own file", command, file, r.code, r.stderr)
			}
		}
	}
	after, err := os.ReadFile(filepath.Join(dir, "graphprofile.db"))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the database changed: %v", err)
	}
	// A name that only begins with the database's is no file of the store:
	// a backup's, say.
	if r := runCLI(t, dir, nil, "backup", "graphprofile.db-2026-12-06"); r.code != 0 {
		t.Errorf("backup graphprofile.db-2026-12-06: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, dir, nil, "restore", "graphprofile.db-2026-12-06"); r.code != 0 {
		t.Errorf("restore graphprofile.db-2026-12-06: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, dir, nil, "export", "graphprofile.db-export.json"); r.code != 0 {
		t.Errorf("export graphprofile.db-export.json: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, beside := range []string{"-wal", "-shm", "-journal", "-devkey.pem"} {
		if _, err := os.Stat(filepath.Join(dir, "graphprofile.db"+beside)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("graphprofile.db%s is there after the refusals: %v", beside, err)
		}
	}
	if r := runCLI(t, dir, nil, "export"); r.code != 0 || !strings.Contains(r.stdout, "ada@contoso.com") {
		t.Errorf("export after the refusals: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, dir, nil, "token"); r.code != 0 {
		t.Errorf("token after the refusals: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestExportChangesNothing: export reads an SQLite database without
// changing it: a backup (a database in SQLite's rollback-journal mode)
// stays byte for byte what it was, with nothing beside it, so that it can
// still be restored by the version that made it. Export opened it as a
// server does: it migrated it (another version's backup became one that
// version refused), turned it to write-ahead logging and left a lock file.
// The copy it reads instead is removed once read.
func TestExportChangesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	importAda(t, dir)
	backups := filepath.Join(dir, "backups")
	if err := os.Mkdir(backups, 0o700); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(backups, "b.db")
	if r := runCLI(t, dir, nil, "backup", backup); r.code != 0 {
		t.Fatalf("backup: exit %d, stderr %q", r.code, r.stderr)
	}
	before, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	// The copy export reads, made in the temporary directory (TMPDIR, or
	// Windows' TMP and TEMP), is gone.
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, dir, []string{"TMPDIR=" + tmp, "TMP=" + tmp, "TEMP=" + tmp}, "export", "--store", "sqlite:"+backup)
	if r.code != 0 || !strings.Contains(r.stdout, "ada@contoso.com") {
		t.Fatalf("export of the backup: exit %d, stderr %q", r.code, r.stderr)
	}
	if names := dirNames(t, tmp); len(names) != 0 {
		t.Errorf("in the temporary directory after export: %v; want nothing", names)
	}
	after, err := os.ReadFile(backup)
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("export changed the database it read (%v)", err)
	}
	if names := dirNames(t, backups); len(names) != 1 {
		t.Errorf("beside the backup after export: %v; want b.db alone", names)
	}
}

// importUsers imports n users into store with `users import` run in dir.
func importUsers(t *testing.T, dir, store string, n int) {
	t.Helper()
	var lines strings.Builder
	for i := range n {
		fmt.Fprintf(&lines, `{"id":"11111111-2222-4333-8444-%012d","displayName":"User %d","userPrincipalName":"user%d@contoso.com","jobTitle":"Engineer"}`+"\n", i, i, i)
	}
	users := filepath.Join(dir, "users.jsonl")
	if err := os.WriteFile(users, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, "users", "import", "--store", store, users); r.code != 0 {
		t.Fatalf("users import: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestExportToAPipeClosedEarly: `graphprofile export | head` whose reader
// stops before the end fails (exit 1, "broken pipe") and removes the copy
// of the database it read from: the broken pipe killed it (SIGPIPE, on
// standard output), which left that copy, every profile, in the temporary
// directory for good.
func TestExportToAPipeClosedEarly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	importUsers(t, dir, "sqlite:s.db", 2000) // an export of some 600 KB, more than a pipe holds
	tmp := t.TempDir()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd := exec.Command(binary, "export", "--store", "sqlite:s.db")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, pw, &stderr
	cmd.Env = commandEnv("TMPDIR="+tmp, "TMP="+tmp, "TEMP="+tmp)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if _, err := io.ReadFull(pr, make([]byte, 100)); err != nil {
		t.Errorf("reading the start of the export: %v", err)
	}
	pr.Close() // what head -c 100 does next
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 || !strings.Contains(stderr.String(), "export: ") {
		t.Errorf("export to a pipe closed early: %v, stderr %q; want exit status 1 and an export error", err, stderr.String())
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("export left %s in the temporary directory", e.Name())
	}
}

// TestExportToStream: export FILE where FILE is no regular file (a pipe, or
// /dev/stdout, a link to the process's standard output) writes into it, as
// `graphprofile export /dev/stdout | jq` expects: it does not put a new file
// in its place, which left the reader nothing and, as root, replaced
// /dev/stdout.
func TestExportToStream(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	importAda(t, dir, "--store", "sqlite:s.db")
	want := runCLI(t, dir, nil, "export", "--store", "sqlite:s.db")
	if want.code != 0 || !strings.Contains(want.stdout, "ada@contoso.com") {
		t.Fatalf("export to standard output: exit %d, stdout %q, stderr %q", want.code, want.stdout, want.stderr)
	}

	t.Run("a link to standard output", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("/proc/self/fd/1 is Linux's")
		}
		// What /dev/stdout is, in a directory of the test's own.
		link := filepath.Join(dir, "stdout")
		if err := os.Symlink("/proc/self/fd/1", link); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, dir, nil, "export", "--store", "sqlite:s.db", link)
		if r.code != 0 || r.stdout != want.stdout {
			t.Errorf("export %s: exit %d, stderr %q, stdout %q, want %q", link, r.code, r.stderr, r.stdout, want.stdout)
		}
		if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Errorf("export replaced the link %s: %v, %v", link, info.Mode(), err)
		}
	})
	t.Run("a link to standard output that is a file", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("/proc/self/fd/1 is Linux's")
		}
		// `graphprofile export /dev/stdout > out.json`: /dev/stdout names
		// a regular file then, and a new file put in the link's place
		// (as root, in /dev) left out.json empty, exit status 0.
		link := filepath.Join(dir, "stdout-file")
		if err := os.Symlink("/proc/self/fd/1", link); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out.json")
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var stderr strings.Builder
		cmd := exec.Command(binary, "export", "--store", "sqlite:s.db", link)
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, commandEnv(), f, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("export %s > %s: %v, stderr %q", link, out, err, stderr.String())
		}
		if got, _ := os.ReadFile(out); string(got) != want.stdout {
			t.Errorf("export %s > %s wrote %q, want %q", link, out, got, want.stdout)
		}
		if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Errorf("export replaced the link %s: %v, %v", link, info.Mode(), err)
		}
	})
	t.Run("a link to a file", func(t *testing.T) {
		// A link is followed: the file it names gets the export, the link
		// stays (a new file put in its place cut it off from its file).
		if err := os.Mkdir(filepath.Join(dir, "snapshots"), 0o700); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dir, "snapshots", "today.json")
		if err := os.WriteFile(target, []byte("yesterday"), 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "current.json")
		if err := os.Symlink(filepath.Join("snapshots", "today.json"), link); err != nil {
			t.Skip("no links here:", err)
		}
		if r := runCLI(t, dir, nil, "export", "--store", "sqlite:s.db", link); r.code != 0 {
			t.Fatalf("export %s: exit %d, stderr %q", link, r.code, r.stderr)
		}
		if got, _ := os.ReadFile(target); string(got) != want.stdout {
			t.Errorf("export %s: %s holds %q, want %q", link, target, got, want.stdout)
		}
		if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Errorf("export replaced the link %s: %v, %v", link, info.Mode(), err)
		}
	})
	t.Run("a link to a file not made yet", func(t *testing.T) {
		// The first export through a link made ahead (as `> link` of a
		// shell does): the file it names is made, the link stays. It was
		// replaced by a file of its own, cut off from the file it named.
		if err := os.Mkdir(filepath.Join(dir, "later"), 0o700); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dir, "later", "first.json")
		link := filepath.Join(dir, "first.json")
		if err := os.Symlink(filepath.Join("later", "first.json"), link); err != nil {
			t.Skip("no links here:", err)
		}
		if r := runCLI(t, dir, nil, "export", "--store", "sqlite:s.db", link); r.code != 0 {
			t.Fatalf("export %s: exit %d, stderr %q", link, r.code, r.stderr)
		}
		if got, err := os.ReadFile(target); err != nil || string(got) != want.stdout {
			t.Errorf("export %s: %s holds %q (%v), want %q", link, target, got, err, want.stdout)
		}
		if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Errorf("export replaced the link %s: %v, %v", link, info.Mode(), err)
		}
	})
	t.Run("a named pipe", func(t *testing.T) {
		pipe := filepath.Join(dir, "pipe")
		if err := mkfifo(pipe); errors.Is(err, errors.ErrUnsupported) {
			t.Skip("no named pipes in the file system on " + runtime.GOOS)
		} else if err != nil {
			t.Fatal(err)
		}
		// Its reader, open before export runs (without waiting for a
		// writer): what export writes waits in the pipe until read.
		reader, err := os.OpenFile(pipe, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer reader.Close()
		r := runCLI(t, dir, nil, "export", "--store", "sqlite:s.db", pipe)
		got, _ := io.ReadAll(reader)
		if r.code != 0 || string(got) != want.stdout {
			t.Errorf("export %s: exit %d, stderr %q; the pipe's reader got %q, want %q", pipe, r.code, r.stderr, got, want.stdout)
		}
		if info, err := os.Lstat(pipe); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("export replaced the pipe %s: %v, %v", pipe, info.Mode(), err)
		}
	})
}

// TestWriteAtomicallyFailureLeavesNothing: a write that fails (a full disk,
// or the export's own error) leaves neither the new file beside path nor
// anything at path, and a file already at path as it was.
func TestWriteAtomicallyFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	failing := func(w io.Writer) error {
		if _, err := io.WriteString(w, `{"tenants":`); err != nil {
			return err
		}
		return errors.New("no room")
	}
	for _, existing := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "export.json")
		if existing {
			if err := os.WriteFile(path, []byte("before"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := writeAtomically(path, failing); err == nil || err.Error() != "no room" {
			t.Errorf("writeAtomically: %v, want the write's error", err)
		}
		want := []string(nil)
		if existing {
			want = []string{"export.json"}
			if got, err := os.ReadFile(path); err != nil || string(got) != "before" {
				t.Errorf("the file already there: %q (%v), want it as it was", got, err)
			}
		}
		if names := dirNames(t, dir); !slices.Equal(names, want) {
			t.Errorf("after a failed write (a file there before: %v): %v, want %v", existing, names, want)
		}
	}
}
