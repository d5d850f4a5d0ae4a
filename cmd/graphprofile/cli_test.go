package main

import (
	"encoding/json"
	"errors"
	"math"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/tlsdev"
)

func TestHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		mentions []string
	}{
		// What it serves is the whole user profile, not one of its collections.
		{[]string{"--help"}, []string{"Usage: graphprofile <command>", "serve", "token", "the Microsoft Graph beta user-profile API, self-hosted", "serve the Microsoft Graph beta user-profile API"}},
		{[]string{"-h"}, []string{"serve", "token"}},
		{[]string{"help"}, []string{"serve", "token"}},
		{[]string{"help", "serve"}, []string{"Usage: graphprofile serve", "-listen", "-store"}},
		{[]string{"help", "users", "import"}, []string{"Usage: graphprofile users import"}},
		{[]string{"serve", "--help"}, []string{"Usage: graphprofile serve", "-listen", "-store", "-public-url", "-cors-origins", "-log-level", "-drain-timeout", "127.0.0.1:8080", "sqlite:graphprofile.db", "GRAPHPROFILE_"}},
		{[]string{"serve", "-h"}, []string{"-listen", "-store", "-public-url"}},
		{[]string{"token", "--help"}, []string{"Usage: graphprofile token", "-tenant", "-user", "-upn", "-name", "-scopes", "-app", "-roles", "-expires", "-store"}},
		{[]string{"token", "-help"}, []string{"-tenant", "-scopes", "-roles"}},
		// What each flag takes, as the command checks it: token's ids are
		// GUIDs, users import's tenant a tid.
		{[]string{"token", "--help"}, []string{"tenant id (tid), a GUID", "object id (oid), a GUID", "application (client) id, a GUID", "at most 113 characters", "(at most 256 characters)"}},
		{[]string{"users", "import", "--help"}, []string{"tenant id the users belong to: 1 to 64 letters, digits and hyphens"}},
		// --store takes a URL (sqlite:PATH, memory:, postgres://…), never a
		// bare path, which every command refuses: its --help says so.
		{[]string{"serve", "--help"}, []string{"--store URL | GRAPHPROFILE_STORE=URL", "sqlite:PATH"}},
		{[]string{"token", "--help"}, []string{"--store URL | GRAPHPROFILE_STORE=URL"}},
		{[]string{"users", "import", "--help"}, []string{"--store URL | GRAPHPROFILE_STORE=URL"}},
		{[]string{"export", "--help"}, []string{"--store URL | GRAPHPROFILE_STORE=URL"}},
		{[]string{"backup", "--help"}, []string{"--store URL | GRAPHPROFILE_STORE=URL", "sqlite:PATH"}},
		{[]string{"restore", "--help"}, []string{"--store URL | GRAPHPROFILE_STORE=URL", "sqlite:PATH"}},
		// Each default as it is typed: a string quoted, a duration or a
		// number as it is; and that a flag wins, where there are flags.
		{[]string{"serve", "--help"}, []string{`(default "127.0.0.1:8080")`, `(default "sqlite:graphprofile.db")`, `(default "info")`, "(default 10s)", "(default 512)", "(default true)"}},
		{[]string{"token", "--help"}, []string{"(default 1h0m0s)"}},
		{[]string{"healthcheck", "--help"}, []string{"(default 5s)"}},
		// Where the development CA is, for every store; what the admin API does.
		{[]string{"serve", "--help"}, []string{"<database>-ca.pem", "graphprofile-ca.pem in the working directory", "reset, fixtures, request journal, clock, faults"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			// A bad environment value must not stop --help (flags win, and
			// --help is a flag).
			r := runCLI(t, dir, []string{"GRAPHPROFILE_EXPIRES=soon", "GRAPHPROFILE_DRAIN_TIMEOUT=soon"}, tt.args...)
			if r.code != 0 {
				t.Fatalf("exit status %d, want 0; stderr: %s", r.code, r.stderr)
			}
			if r.stderr != "" {
				t.Errorf("stderr = %q, want nothing", r.stderr)
			}
			for _, m := range tt.mentions {
				if !strings.Contains(r.stdout, m) {
					t.Errorf("stdout does not mention %q:\n%s", m, r.stdout)
				}
			}
			// --help only talks: no database, no key.
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("--help created files: %v", entries)
			}
		})
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	// A port in use: held for the whole test.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	fixturesFile, err := filepath.Abs("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		args      []string
		env       []string
		stderrHas []string // substrings of the one stderr line
		anyStdout bool     // stdout may carry something (the usage)
		noFiles   bool     // refused before the store is opened: nothing written (no database, key or CA)
	}{
		{name: "unknown subcommand", args: []string{"frobnicate"}, stderrHas: []string{"frobnicate"}},
		{name: "no subcommand", args: nil, stderrHas: []string{"no command"}, anyStdout: true},
		// Flags are named as they are written everywhere else (--name),
		// with the command whose --help lists them.
		{name: "unknown serve flag", args: []string{"serve", "--bogus"}, stderrHas: []string{"unknown flag --bogus", "graphprofile serve --help"}},
		{name: "unknown token flag", args: []string{"token", "--bogus=1"}, stderrHas: []string{"unknown flag --bogus", "graphprofile token --help"}},
		{name: "unknown flag after FILE", args: []string{"users", "import", "u.jsonl", "--bogus"}, stderrHas: []string{"unknown flag --bogus", "graphprofile users import --help"}},
		{name: "flag without value", args: []string{"serve", "--listen"}, stderrHas: []string{"--listen needs a value"}},
		{name: "flag without value after FILE", args: []string{"export", "out.json", "--store"}, stderrHas: []string{"--store needs a value"}},
		{name: "unknown users subcommand", args: []string{"users", "bogus"}, stderrHas: []string{`users: unknown subcommand "bogus"`, "graphprofile users --help"}, noFiles: true},
		// PostgreSQL is backed up with its own tools: said at once.
		{name: "backup of PostgreSQL", args: []string{"backup", "--store", "postgres://db.invalid/x", "b.db"}, stderrHas: []string{"backup: a PostgreSQL store", "pg_dump"}, noFiles: true},
		{name: "two FILEs", args: []string{"backup", "--store", "sqlite:g.db", "a.db", "b.db"}, stderrHas: []string{"one FILE"}},
		{name: "stray argument", args: []string{"token", "extra"}, stderrHas: []string{"extra"}},
		{name: "bad drain timeout", args: []string{"serve", "--drain-timeout", "soon"}, stderrHas: []string{"soon", "-drain-timeout"}},
		{name: "bad expires", args: []string{"token", "--expires", "1fortnight"}, stderrHas: []string{"1fortnight", "-expires"}},
		{name: "non-positive expires", args: []string{"token", "--expires", "-5m"}, stderrHas: []string{"-expires"}},
		{name: "bad log level", args: []string{"serve", "--log-level", "loud"}, stderrHas: []string{"loud"}},
		{name: "no room for items", args: []string{"serve", "--max-items", "0"}, stderrHas: []string{"--max-items 0", "1 or more"}},
		{name: "bad GRAPHPROFILE_MAX_ITEMS", args: []string{"serve"}, env: []string{"GRAPHPROFILE_MAX_ITEMS=many"}, stderrHas: []string{"many"}},
		{name: "serve unknown store scheme", args: []string{"serve", "--store", "mysql://x"}, stderrHas: []string{"mysql://x"}},
		{name: "token unknown store scheme", args: []string{"token", "--store", "mysql://x"}, stderrHas: []string{"mysql://x"}},
		{name: "unknown store scheme from env", args: []string{"serve"}, env: []string{"GRAPHPROFILE_STORE=mysql://x"}, stderrHas: []string{"mysql://x"}},
		{name: "empty sqlite path", args: []string{"serve", "--store", "sqlite:"}, stderrHas: []string{"sqlite:"}},
		{name: "store password redacted", args: []string{"serve", "--store", "postgres://u:hunter2@db/x"}, stderrHas: []string{"postgres://***@db/x"}},
		{name: "keyword/value store password redacted", args: []string{"serve", "--store", "host=127.0.0.1 port=5432 user=bob password=S3cr3tPw"}, stderrHas: []string{`"host=127.0.0.1 port=5432 user=*** password=***"`, "expected sqlite:PATH"}},
		{name: "store password without // redacted", args: []string{"serve", "--store", "postgres:bob:S3cr3tPw@127.0.0.1/db"}, stderrHas: []string{`"postgres:***@127.0.0.1/db"`, "expected sqlite:PATH"}},
		{name: "public url without scheme", args: []string{"serve", "--public-url", "graph.example.test"}, stderrHas: []string{"--public-url", "graph.example.test"}},
		{name: "public url with query", args: []string{"serve", "--public-url", "https://graph.example.test/?x=1"}, stderrHas: []string{"--public-url"}},
		{name: "public url with password", args: []string{"serve", "--public-url", "https://u:hunter2@graph.example.test"}, stderrHas: []string{"--public-url", "***@graph.example.test"}},
		{name: "bad GRAPHPROFILE_PUBLIC_URL", args: []string{"serve"}, env: []string{"GRAPHPROFILE_PUBLIC_URL=ftp://graph.example.test"}, stderrHas: []string{"ftp://graph.example.test"}},
		{name: "cors origin with a path", args: []string{"serve", "--cors-origins", "https://app.example.test,https://app.example.test/page"}, stderrHas: []string{"--cors-origins", "https://app.example.test/page"}},
		{name: "bad GRAPHPROFILE_CORS_ORIGINS", args: []string{"serve"}, env: []string{"GRAPHPROFILE_CORS_ORIGINS=app.example.test"}, stderrHas: []string{"GRAPHPROFILE_CORS_ORIGINS:", "app.example.test"}},
		{name: "port in use", args: []string{"serve", "--listen", busy.Addr().String()}, stderrHas: []string{`--listen "` + busy.Addr().String() + `"`, "in use"}, noFiles: true},
		{name: "port in use from env", args: []string{"serve"}, env: []string{"GRAPHPROFILE_LISTEN=" + busy.Addr().String()}, stderrHas: []string{`GRAPHPROFILE_LISTEN="` + busy.Addr().String() + `"`, "in use"}, noFiles: true},
		// What serve logs while it starts is held until it listens: a
		// start-up that fails says the reason alone, not a "metrics served"
		// or a CA to trust for a server that never ran.
		{name: "port in use with --tls-self-signed", args: []string{"serve", "--listen", busy.Addr().String(), "--tls-self-signed"}, stderrHas: []string{"--listen", "in use"}, noFiles: true},
		{name: "port in use with --metrics-listen", args: []string{"serve", "--listen", busy.Addr().String(), "--metrics-listen", "127.0.0.1:0"}, stderrHas: []string{"--listen", "in use"}, noFiles: true},
		{name: "port in use with --trust-proxy", args: []string{"serve", "--listen", busy.Addr().String(), "--trust-proxy"}, stderrHas: []string{"--listen", "in use"}, noFiles: true},
		{name: "port in use with --fixtures", args: []string{"serve", "--listen", busy.Addr().String(), "--fixtures", fixturesFile}, stderrHas: []string{"--listen", "in use"}, noFiles: true},
		{name: "metrics port in use", args: []string{"serve", "--listen", "127.0.0.1:0", "--metrics-listen", busy.Addr().String()}, stderrHas: []string{`--metrics-listen "` + busy.Addr().String() + `"`, "in use"}, noFiles: true},
		// An unset shell variable (--issuer "$OIDC_URL") is no issuer: taken
		// as none, it turned the development issuer on.
		{name: "empty issuer", args: []string{"serve", "--issuer", ""}, stderrHas: []string{"-issuer", "empty"}, noFiles: true},
		{name: "issuer of commas", args: []string{"serve", "--issuer", " , "}, stderrHas: []string{"-issuer", "empty"}, noFiles: true},
		{name: "empty cors origins", args: []string{"serve", "--cors-origins", ""}, stderrHas: []string{"-cors-origins", "empty"}, noFiles: true},
		{name: "users import with an empty issuer", args: []string{"users", "import", "--issuer", "", "users.jsonl"}, stderrHas: []string{"-issuer", "empty"}, noFiles: true},
		{name: "bad listen address", args: []string{"serve", "--listen", "bogus"}, stderrHas: []string{`--listen "bogus": `, "missing port"}, noFiles: true},
		{name: "listen port out of range", args: []string{"serve", "--listen", "127.0.0.1:99999"}, stderrHas: []string{`--listen "127.0.0.1:99999": `, "port"}, noFiles: true},
		{name: "listen port not a number", args: []string{"serve", "--listen", "127.0.0.1:eighty"}, stderrHas: []string{`--listen "127.0.0.1:eighty": `, "port"}, noFiles: true},
		// Empty is no address: net.Listen would take it as every
		// interface on a random port.
		{name: "empty listen address", args: []string{"serve", "--listen", ""}, stderrHas: []string{`--listen "": `, "HOST:PORT"}},
		{name: "bad GRAPHPROFILE_LISTEN", args: []string{"serve"}, env: []string{"GRAPHPROFILE_LISTEN=bogus"}, stderrHas: []string{`GRAPHPROFILE_LISTEN="bogus": `, "missing port"}},
		{name: "bad GRAPHPROFILE_EXPIRES", args: []string{"token"}, env: []string{"GRAPHPROFILE_EXPIRES=1fortnight"}, stderrHas: []string{"GRAPHPROFILE_EXPIRES"}},
		{name: "bad GRAPHPROFILE_DRAIN_TIMEOUT", args: []string{"serve"}, env: []string{"GRAPHPROFILE_DRAIN_TIMEOUT=soon"}, stderrHas: []string{"GRAPHPROFILE_DRAIN_TIMEOUT"}},
		{name: "roles without app", args: []string{"token", "--roles", "X"}, stderrHas: []string{"--roles", "--app"}},
		{name: "tenant not a GUID", args: []string{"token", "--tenant", "contoso"}, stderrHas: []string{`--tenant "contoso"`, "GUID"}},
		{name: "GRAPHPROFILE_TENANT not a GUID", args: []string{"token"}, env: []string{"GRAPHPROFILE_TENANT=contoso"}, stderrHas: []string{`GRAPHPROFILE_TENANT="contoso"`, "GUID"}},
		// Empty is no GUID either, and the error names the flag.
		{name: "empty tenant", args: []string{"token", "--tenant", ""}, stderrHas: []string{`--tenant ""`, "GUID"}},
		{name: "empty user of a delegated token", args: []string{"token", "--user", ""}, stderrHas: []string{`--user ""`, "GUID"}},
		{name: "user not a GUID", args: []string{"token", "--user", "adele"}, stderrHas: []string{`--user "adele"`, "GUID"}},
		{name: "app not a GUID", args: []string{"token", "--app", "nightly-sync", "--roles", "User.Read.All"}, stderrHas: []string{`--app "nightly-sync"`, "GUID"}},
		{name: "app of personal accounts", args: []string{"token", "--tenant", "9188040d-6c67-4c5b-b112-36a304b66dad", "--app", "11111111-0000-4000-8000-000000000001", "--roles", "User.ReadWrite.All"}, stderrHas: []string{`--tenant "9188040d-6c67-4c5b-b112-36a304b66dad"`, "personal Microsoft accounts", "no application token"}},
		// A token whose claims the directory cannot record is refused by
		// the server on every request (400): not minted.
		{name: "upn too long", args: []string{"token", "--upn", strings.Repeat("a", 120) + "@contoso.com"}, stderrHas: []string{"--upn", "longer than 113 characters"}},
		{name: "name too long", args: []string{"token", "--name", strings.Repeat("n", 257)}, stderrHas: []string{"--name", "longer than 256 characters"}},
		{name: "roles with app and scopes", args: []string{"token", "--app", testApp, "--scopes", "User.Read", "--roles", "X"}, stderrHas: []string{"--roles"}},
		{name: "roles with app and scopes from env", args: []string{"token", "--app", testApp, "--roles", "X"}, env: []string{"GRAPHPROFILE_SCOPES=User.Read"}, stderrHas: []string{"--roles", "GRAPHPROFILE_SCOPES", "no scopes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			r := runCLI(t, dir, tt.env, tt.args...)
			if r.code == 0 {
				t.Fatalf("exit status 0, want non-zero; stdout: %q; stderr: %q", r.stdout, r.stderr)
			}
			if entries, err := os.ReadDir(dir); tt.noFiles && (err != nil || len(entries) != 0) {
				t.Errorf("the working directory holds %v (%v), want nothing written", entries, err)
			}
			if r.stdout != "" && !tt.anyStdout {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			line, ok := strings.CutSuffix(r.stderr, "\n")
			if !ok || line == "" || strings.Contains(line, "\n") || strings.TrimSpace(line) == "" {
				t.Fatalf("stderr = %q, want exactly one non-empty line", r.stderr)
			}
			for _, s := range tt.stderrHas {
				if !strings.Contains(line, s) {
					t.Errorf("stderr %q does not mention %q", line, s)
				}
			}
			if strings.Contains(line, "hunter2") {
				t.Errorf("stderr %q shows the store password", line)
			}
		})
	}
}

// TestFlagsAfterArguments: a command's flags may come after its FILE too
// (users import FILE --store …), as they may before it; after "--"
// everything is an argument.
func TestFlagsAfterArguments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "u.jsonl"), []byte(`{"displayName":"Ada","userPrincipalName":"ada@contoso.test"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, "users", "import", "u.jsonl", "--store", "sqlite:g.db", "--tenant", "t1"); r.code != 0 {
		t.Fatalf("users import FILE --store …: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, dir, nil, "export", "out.json", "--store", "sqlite:g.db"); r.code != 0 {
		t.Fatalf("export FILE --store …: exit %d, stderr %q", r.code, r.stderr)
	}
	out, err := os.ReadFile(filepath.Join(dir, "out.json"))
	if err != nil || !strings.Contains(string(out), `"ada@contoso.test"`) {
		t.Fatalf("out.json: %v, %s; want the imported user", err, out)
	}
	if r := runCLI(t, dir, nil, "export", "--store", "sqlite:g.db", "--", "-out.json"); r.code != 0 {
		t.Fatalf("export --store … -- -out.json: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "-out.json")); err != nil {
		t.Errorf("after --, -out.json is the FILE: %v", err)
	}
	// After "--", what looks like a flag is an argument too: two FILEs.
	if r := runCLI(t, dir, nil, "export", "--store", "sqlite:g.db", "--", "out2.json", "--store", "sqlite:other.db"); r.code == 0 || !strings.Contains(r.stderr, "give at most one FILE") {
		t.Errorf("export --store … -- out2.json --store …: exit %d, stderr %q; want the arguments after -- refused as FILEs", r.code, r.stderr)
	}
}

func TestTokenClaims(t *testing.T) {
	t.Parallel()
	const absent = "<absent>"
	tests := []struct {
		name     string
		args     []string
		env      []string
		lifetime time.Duration
		want     map[string]any // claim: value, or absent
	}{
		{
			name:     "defaults",
			lifetime: time.Hour,
			want: map[string]any{
				"tid": "f8cdef31-a31e-4b4a-93e4-5f571e91255a", "oid": "db789417-4ccb-41d1-a0a9-47b01a09ea49",
				"upn": "innocenty.popov@contoso.com", "name": "Innocenty Popov", "scp": "User.ReadWrite",
				"roles": absent, "appid": absent, "aud": "https://graph.microsoft.com", "ver": "2.0",
				"iss": "https://graphprofile.invalid/f8cdef31-a31e-4b4a-93e4-5f571e91255a/v2.0",
			},
		},
		{
			name:     "delegated flags",
			args:     slices.Concat(delegatedArgs, []string{"--expires", "90m"}),
			lifetime: 90 * time.Minute,
			want: map[string]any{
				"tid": testTenant, "oid": testUser, "sub": testUser, "upn": testUPN, "name": testName,
				"scp": "User.ReadWrite", "roles": absent, "appid": absent, "idtyp": absent,
			},
		},
		{
			name:     "scope list with commas and spaces",
			args:     []string{"--scopes", "User.Read, User.ReadWrite", "--expires", "5m"},
			lifetime: 5 * time.Minute,
			want:     map[string]any{"scp": "User.Read User.ReadWrite"},
		},
		{
			name:     "application",
			args:     slices.Concat(appArgs, []string{"--name", "Nightly sync", "--expires", "10m"}),
			lifetime: 10 * time.Minute,
			want: map[string]any{
				"tid": testTenant, "appid": testApp, "azp": testApp, "sub": testApp, "idtyp": "app",
				"roles": []any{"User.ReadWrite.All"}, "app_displayname": "Nightly sync",
				"scp": absent, "upn": absent, "oid": absent, "name": absent,
			},
		},
		{
			name:     "application with service principal",
			args:     slices.Concat(appArgs, []string{"--user", testUser, "--roles", "User.Read.All,User.ReadWrite.All"}),
			lifetime: time.Hour,
			want:     map[string]any{"oid": testUser, "roles": []any{"User.Read.All", "User.ReadWrite.All"}},
		},
		{
			name:     "environment",
			env:      []string{"GRAPHPROFILE_TENANT=" + testTenant, "GRAPHPROFILE_USER=" + testUser, "GRAPHPROFILE_EXPIRES=2m", "GRAPHPROFILE_SCOPES=User.Read"},
			lifetime: 2 * time.Minute,
			want:     map[string]any{"tid": testTenant, "oid": testUser, "scp": "User.Read"},
		},
		{
			name:     "flags win over environment",
			args:     []string{"--tenant", testTenant, "--expires", "3m"},
			env:      []string{"GRAPHPROFILE_TENANT=env-tenant", "GRAPHPROFILE_EXPIRES=not-a-duration"},
			lifetime: 3 * time.Minute,
			want:     map[string]any{"tid": testTenant},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			before := time.Now().Unix()
			tok := mintToken(t, dir, tt.env, tt.args...)
			after := time.Now().Unix()
			header, claims := decodeJWT(t, tok)
			if header["alg"] != "ES256" || header["typ"] != "JWT" {
				t.Errorf("header = %v, want alg ES256 and typ JWT", header)
			}
			if kid, _ := header["kid"].(string); kid == "" {
				t.Errorf("header %v has no kid", header)
			}
			for name, want := range tt.want {
				got, present := claims[name]
				switch {
				case want == absent && present:
					t.Errorf("claim %s = %#v, want none", name, got)
				case want != absent && !reflect.DeepEqual(got, want):
					t.Errorf("claim %s = %#v, want %#v", name, got, want)
				}
			}
			iat, exp := number(t, claims, "iat"), number(t, claims, "exp")
			if iat < float64(before) || iat > float64(after) {
				t.Errorf("iat = %v, want between %d and %d", iat, before, after)
			}
			if d := exp - iat - tt.lifetime.Seconds(); math.Abs(d) > 1 {
				t.Errorf("exp - iat = %v s, want %v s", exp-iat, tt.lifetime.Seconds())
			}
			// The token named the default store: its key is beside it.
			if _, err := os.Stat(filepath.Join(dir, "graphprofile.db-devkey.pem")); err != nil {
				t.Errorf("token did not leave the development key beside the default store: %v", err)
			}
		})
	}
}

func number(t *testing.T, claims map[string]any, name string) float64 {
	t.Helper()
	n, ok := claims[name].(float64)
	if !ok {
		raw, _ := json.Marshal(claims)
		t.Fatalf("claim %s is not a number: %s", name, raw)
	}
	return n
}

// TestStorePathRefused: an SQLite store in a directory that does not exist,
// or a directory (or another file that is no regular file, or a loop of
// links) itself, is refused by every command alike (token as serve),
// in one line naming the setting, and nothing is created: not the missing
// directory, not a key or a lock file beside the directory.
func TestStorePathRefused(t *testing.T) {
	t.Parallel()
	for _, command := range [][]string{{"serve", "--listen", "127.0.0.1:0"}, {"token"}} {
		for _, tt := range []struct {
			name, store, problem string
		}{
			{"missing directory", "sqlite:nodir/x.db", "the directory nodir does not exist"},
			{"a directory", "sqlite:existing", "existing is a directory, not a database file"},
			// A device or a pipe: SQLite fails on it after making its lock
			// file beside it (sqlite:/dev/null, as root, wrote into /dev).
			{"a named pipe", "sqlite:pipe", "pipe is not a regular file"},
			// A link to itself names no file: SQLite failed on it after
			// making loop-lock beside it.
			{"a loop of links", "sqlite:loop", "stat loop: too many levels of symbolic links"},
		} {
			for _, source := range []string{"flag", "environment"} {
				t.Run(command[0]+" "+tt.name+" from the "+source, func(t *testing.T) {
					t.Parallel()
					dir := t.TempDir()
					if err := os.Mkdir(filepath.Join(dir, "existing"), 0o700); err != nil {
						t.Fatal(err)
					}
					if err := mkfifo(filepath.Join(dir, "pipe")); errors.Is(err, errors.ErrUnsupported) && tt.name == "a named pipe" {
						t.Skip("no named pipes in the file system on " + runtime.GOOS)
					} else if err != nil && !errors.Is(err, errors.ErrUnsupported) {
						t.Fatal(err)
					}
					if tt.name == "a loop of links" && runtime.GOOS == "windows" {
						t.Skip("Windows says otherwise that a loop of links names no file")
					}
					if err := os.Symlink("loop", filepath.Join(dir, "loop")); err != nil && tt.name == "a loop of links" {
						t.Skip("no links here:", err)
					}
					args, env := slices.Clone(command), []string(nil)
					want := "graphprofile: " + `--store "` + tt.store + `": ` + tt.problem + "\n"
					if source == "flag" {
						args = append(args, "--store", tt.store)
					} else {
						env = []string{"GRAPHPROFILE_STORE=" + tt.store}
						want = "graphprofile: " + `GRAPHPROFILE_STORE="` + tt.store + `": ` + tt.problem + "\n"
					}
					r := runCLI(t, dir, env, args...)
					if r.code == 0 || r.stderr != want || r.stdout != "" {
						t.Errorf("exit %d, stdout %q, stderr %q; want non-zero and stderr %q", r.code, r.stdout, r.stderr, want)
					}
					var made []string
					filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
						if rel, _ := filepath.Rel(dir, path); rel != "." && rel != "existing" && rel != "pipe" && rel != "loop" {
							made = append(made, rel)
						}
						return nil
					})
					if len(made) > 0 {
						t.Errorf("left behind %v", made)
					}
				})
			}
		}
	}
}

// TestMissingDatabaseRefused: export and backup read a database, so a
// missing one is refused with the same one line, and neither creates it.
func TestMissingDatabaseRefused(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"export", "--store", "sqlite:nonexist.db"},
		{"export", "--store", "sqlite:nonexist.db", "out.json"},
		{"backup", "--store", "sqlite:nonexist.db", "copy.db"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			r := runCLI(t, dir, nil, args...)
			want := "graphprofile: " + args[0] + ": there is no database at " + filepath.Join(dir, "nonexist.db") + "\n"
			if r.code == 0 || r.stdout != "" || r.stderr != want {
				t.Errorf("exit %d, stdout %q, stderr %q; want non-zero, no stdout and stderr %q", r.code, r.stdout, r.stderr, want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("left behind %v", entries)
			}
		})
	}
}

// TestNoGraphprofileDatabaseRefused: export and backup refuse a file that
// is no graphprofile database (empty, which SQLite reads as an empty
// database), in one line, and leave it as it was: export made it a
// migrated graphprofile database and exported nothing, backup copied it
// and restore refused the copy.
func TestNoGraphprofileDatabaseRefused(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"export", "--store", "sqlite:empty.db"},
		{"export", "--store", "sqlite:empty.db", "out.json"},
		{"backup", "--store", "sqlite:empty.db", "copy.db"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "empty.db")
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, dir, nil, args...)
			want := "graphprofile: " + args[0] + ": " + path + ": not a graphprofile database (no schema_migrations)\n"
			if r.code == 0 || r.stdout != "" || r.stderr != want {
				t.Errorf("exit %d, stdout %q, stderr %q; want non-zero, no stdout and stderr %q", r.code, r.stdout, r.stderr, want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("left behind %v, want empty.db alone", entries)
			}
			if info, err := os.Stat(path); err != nil || info.Size() != 0 {
				t.Errorf("empty.db after %s: %v, %v; want it empty still", args[0], info, err)
			}
		})
	}
}

// TestRestoreFailureLeavesNothing: a restore that fails on its FILE (there
// is none, or it is no database) fails in one line and writes nothing: no
// database, no lock file, no temporary copy.
func TestRestoreFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, file, problem string
	}{
		{"no such file", "/nonexist", "/nonexist: " + missingFileText(t)},
		{"not a database", "garbage.db", "garbage.db: not a readable SQLite database"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "garbage.db"), []byte("not SQLite at all, but long enough to be read as a header of one......................................................."), 0o600); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, dir, nil, "restore", tt.file)
			line, _ := strings.CutSuffix(r.stderr, "\n")
			if r.code == 0 || r.stdout != "" || strings.Contains(line, "\n") || !strings.Contains(line, tt.problem) {
				t.Errorf("exit %d, stdout %q, stderr %q; want non-zero and one line mentioning %q", r.code, r.stdout, r.stderr, tt.problem)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"garbage.db"}) {
				t.Errorf("the directory holds %v, want only garbage.db", names)
			}
		})
	}
}

// TestFailedStartLeavesNothing: a serve (or users import) that fails to
// start writes none of the files it would have written had it started: no
// development CA or TLS key (written before the store failed to open), no
// database (created before the development key was found broken), no CPU
// profile (begun before the port was found in use). Only an SQLite store's
// lock file may stay beside a database that was there: unlinking a lock
// file another process may be waiting on would give the database two
// owners.
func TestFailedStartLeavesNothing(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nobody := closed.Addr().String() // a port nothing listens on
	closed.Close()
	notADatabase := strings.Repeat("not a database ", 100)
	// A server certificate and key whose CA was deleted, as the error of a
	// damaged CA says to.
	made := tlsdev.FilesFor(filepath.Join(t.TempDir(), "made"))
	if _, err := tlsdev.LoadOrCreate(made); err != nil {
		t.Fatal(err)
	}
	serverCert, err := os.ReadFile(made.Cert)
	if err != nil {
		t.Fatal(err)
	}
	serverKey, err := os.ReadFile(made.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		files   map[string]string // the working directory's, before
		args    []string
		problem string
		stays   []string // besides files
	}{
		{name: "self-signed TLS, PostgreSQL down", args: []string{"serve", "--listen", "127.0.0.1:0", "--tls-self-signed", "--store", "postgres://u:pw@" + nobody + "/db?connect_timeout=5"}, problem: "store"},
		{name: "self-signed TLS, not a database", files: map[string]string{"bad.db": notADatabase}, args: []string{"serve", "--listen", "127.0.0.1:0", "--tls-self-signed", "--store", "sqlite:bad.db"}, problem: "bad.db", stays: []string{"bad.db-lock"}},
		{name: "self-signed TLS without its CA, not a database", files: map[string]string{"bad.db": notADatabase, "bad.db-tls.pem": string(serverCert), "bad.db-tls-key.pem": string(serverKey)},
			args: []string{"serve", "--listen", "127.0.0.1:0", "--tls-self-signed", "--store", "sqlite:bad.db"}, problem: "bad.db", stays: []string{"bad.db-lock"}},
		{name: "broken development key", files: map[string]string{"graphprofile.db-devkey.pem": "not a key"}, args: []string{"serve", "--listen", "127.0.0.1:0"}, problem: "dev issuer key"},
		{name: "CPU profile, port in use", args: []string{"serve", "--cpuprofile", "cpu.prof", "--listen", busy.Addr().String()}, problem: "in use"},
		{name: "CPU profile, not a database", files: map[string]string{"bad.db": notADatabase}, args: []string{"serve", "--cpuprofile", "cpu.prof", "--listen", "127.0.0.1:0", "--store", "sqlite:bad.db"}, problem: "bad.db", stays: []string{"bad.db-lock"}},
		{name: "CPU profile, broken development key", files: map[string]string{"graphprofile.db-devkey.pem": "not a key"}, args: []string{"serve", "--cpuprofile", "cpu.prof", "--listen", "127.0.0.1:0"}, problem: "dev issuer key"},
		{name: "CPU profile, bad fixtures", files: map[string]string{"bad.json": "{"}, args: []string{"serve", "--cpuprofile", "cpu.prof", "--listen", "127.0.0.1:0", "--fixtures", "bad.json"}, problem: "bad.json"},
		{name: "users import of a directory", files: map[string]string{"users/.keep": ""}, args: []string{"users", "import", "users"}, problem: "directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			want := slices.Clone(tt.stays)
			for name, content := range tt.files {
				path := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
				want = append(want, strings.Split(name, "/")[0])
			}
			r := runCLI(t, dir, nil, tt.args...)
			line, _ := strings.CutSuffix(r.stderr, "\n")
			if r.code == 0 || strings.Contains(line, "\n") || !strings.Contains(line, tt.problem) {
				t.Errorf("exit %d, stderr %q; want non-zero and one line mentioning %q", r.code, r.stderr, tt.problem)
			}
			slices.Sort(want)
			if names := dirNames(t, dir); !slices.Equal(names, want) {
				t.Errorf("the directory holds %v, want %v", names, want)
			}
		})
	}
}

// TestStoreThatIsNotADatabase: a command whose SQLite file is no database
// fails in one line that names the file once (the store's error names it;
// the command does not name it again).
func TestStoreThatIsNotADatabase(t *testing.T) {
	t.Parallel()
	user := `{"id":"11111111-1111-1111-1111-111111111111","displayName":"Ada","userPrincipalName":"ada@contoso.test","accountEnabled":true,"mailNickname":"ada","passwordProfile":{"password":"x"}}`
	for _, args := range [][]string{
		{"serve", "--listen", "127.0.0.1:0", "--store", "sqlite:bad.db"},
		{"users", "import", "--tenant", testTenant, "--store", "sqlite:bad.db", "users.jsonl"},
		{"export", "--store", "sqlite:bad.db"},
	} {
		t.Run(args[0], func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "bad.db"), []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "users.jsonl"), []byte(user+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, dir, nil, args...)
			line, ok := strings.CutSuffix(r.stderr, "\n")
			if r.code == 0 || !ok || strings.Contains(line, "\n") {
				t.Fatalf("exit %d, stderr %q; want non-zero and one line", r.code, r.stderr)
			}
			if n := strings.Count(line, "bad.db"); n != 1 || !strings.Contains(line, "not a database") {
				t.Errorf("stderr %q names bad.db %d times; want once, and that it is not a database", line, n)
			}
			if n := strings.Count(line, "opening"); n > 1 {
				t.Errorf("stderr %q says opening %d times", line, n)
			}
		})
	}
}

// dirNames returns the names of what dir holds, in order.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
