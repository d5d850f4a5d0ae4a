package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

// secretParts are what no redacted store URL may show: passwords, user
// names and the pieces of a password around an '@' in it.
var secretParts = []string{"hunter2", "hun@ter", "ter2", "alice", "s3cr3t"}

func TestRedactStoreURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ url, want string }{
		{"postgres://alice:hunter2@db/x", "postgres://***@db/x"},
		{"postgres://alice@db/x", "postgres://***@db/x"},
		{"postgres://alice:hun@ter2@db/x", "postgres://***@db/x"},
		{"postgres://alice:hun%40ter2@db:5432/x", "postgres://***@db:5432/x"},
		{"postgresql://alice:hunter2@db1:5432,db2:5433/x?sslmode=require", "postgresql://***@db1:5432,db2:5433/x?sslmode=require"},
		{"postgres://db/x?password=hunter2", "postgres://db/x?password=***"},
		{"postgres://db/x?sslmode=disable&PASSWORD=hunter2&application_name=gp", "postgres://db/x?sslmode=disable&PASSWORD=***&application_name=gp"},
		{"postgres://db/x?sslpassword=s3cr3t&user=alice", "postgres://db/x?sslpassword=***&user=***"},
		{"postgres://alice:hunter2@db/x?password=hunter2", "postgres://***@db/x?password=***"},
		{"postgres://db/x?sslmode=disable", "postgres://db/x?sslmode=disable"},
		{"postgres://db/x?passfile=/home/alice/.pgpass&sslmode=disable", "postgres://db/x?passfile=***&sslmode=disable"},
		// An '@' in a parameter's value after the user info's end is the
		// value's: the drivers end the user info at the first '@'.
		{"postgres://alice:hunter2@db?sslmode=require&application_name=a@b", "postgres://***@db?sslmode=require&application_name=a@b"},
		// A parameter's name percent-encoded is the parameter to the
		// drivers (pgx reads pass%77ord as password).
		{"postgres://db/x?pass%77ord=hunter2&connect_timeout=abc", "postgres://db/x?pass%77ord=***&connect_timeout=abc"},
		{"postgres://db/x?%75ser=alice", "postgres://db/x?%75ser=***"},
		{"postgres://alice:hun@ter2@db/x?password=hun@ter2", "postgres://***@db/x?password=***"},
		// libpq ends the user info at the first '@' before a '/', so a '?'
		// before it makes the URL read two ways: a parameter's value
		// holding '@' (what follows it taken for the host) or a password
		// holding '?'. Either may be the secret: nothing is shown.
		{"postgres://db:5432?password=hun@ter2", "postgres://***"},
		{"postgres://db?sslmode=disable&password=hun@ter2&user=alice", "postgres://***"},
		{"postgres://alice:hun?ter2@db/x", "postgres://***"},
		// An '@' after a path and a '?' is in a parameter's value to the
		// drivers, but could end a password holding '/' and '?'; one in
		// the path could end a password holding '@' and '/'. Printed as
		// the user info's end, it showed the tail of the value ("q8").
		{"postgres://db/x?password=hunter2@q8", "postgres://***"},
		{"postgres://db/x?sslmode=disable&user=alice@q8", "postgres://***"},
		{"postgres://alice:hun@ter2/x@db/x", "postgres://***"},
		{"mysql://alice:hunter2@db/x", "mysql://***@db/x"},
		{"sqlite:graphprofile.db", "sqlite:graphprofile.db"},
		{"not a url alice:hunter2", "not a url alice:hunter2"},
		// Not URLs, and not accepted, but printed in the refusal: libpq's
		// keyword/value form and a URL missing its "//".
		{"host=127.0.0.1 port=5432 user=alice password=hunter2", "host=127.0.0.1 port=5432 user=*** password=***"},
		{"host=db PASSWORD = 'hun ter2' dbname=x", "host=db PASSWORD = *** dbname=x"},
		{`password='hun\' ter2' sslpassword=s3cr3t`, "password=*** sslpassword=***"},
		{"postgres:alice:hunter2@127.0.0.1/db", "postgres:***@127.0.0.1/db"},
		{"postgres:alice:hun@ter2@127.0.0.1/db", "postgres:***@127.0.0.1/db"},
		{"alice:hunter2@db", "alice:***@db"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			if got := redact(tt.url); got != tt.want {
				t.Errorf("redact(%q) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}

// TestStoreSecretsNeverPrinted runs the binary with store URLs whose
// secrets the database driver's own messages could repeat, and reads
// everything it printed.
func TestStoreSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	urls := []string{
		"postgres://alice:hunter2@127.0.0.1:1/x?connect_timeout=1",
		"postgres://alice:hun@ter2@127.0.0.1:1/x?connect_timeout=1",
		"postgres://127.0.0.1:1/x?connect_timeout=1&password=hunter2&user=alice",
		"postgres://127.0.0.1:1/x?connect_timeout=1&sslpassword=s3cr3t&sslmode=disable",
		// No path: libpq takes the '@' in the password for the end of user
		// info, and what follows it for the host, which its errors name.
		"postgres://127.0.0.1:1?connect_timeout=1&password=hun@ter2",
		"postgres://alice:hunter2@[::1/x",
		// A password holding '@' and then '/': the drivers read the host
		// "ter2" and the database "x@127.0.0.1:1/x".
		"postgres://alice:hun@ter2/x@127.0.0.1:1/x?connect_timeout=1",
		"postgres://alice:hunter2@127.0.0.1:1/x?pool_max_conns=lots",
		"postgres://127.0.0.1:1/x?pass%77ord=hunter2&connect_timeout=abc",
		"mysql://alice:hunter2@db/x",
		"host=127.0.0.1 port=1 user=alice password=hunter2",
		"postgres:alice:hunter2@127.0.0.1/db",
	}
	for _, url := range urls {
		for _, cmd := range [][]string{{"serve", "--log-level", "debug", "--listen", "127.0.0.1:0"}, {"token"}} {
			t.Run(cmd[0]+" "+url, func(t *testing.T) {
				t.Parallel()
				r := runCLI(t, t.TempDir(), []string{"GRAPHPROFILE_STORE=" + url}, cmd...)
				if cmd[0] == "serve" && r.code == 0 {
					t.Fatalf("exit status 0 with an unreachable store; stderr: %s", r.stderr)
				}
				for _, secret := range secretParts {
					if strings.Contains(r.stderr, secret) {
						t.Errorf("the output shows %q:\n%s%s", secret, r.stdout, r.stderr)
					}
				}
			})
		}
	}
}

// TestShortPasswordTailNeverPrinted: libpq (and pgx) end the user info at
// the first '@', so the rest of a password holding one is read as the host,
// which the driver's error names ("lookup z7@127.0.0.1"). A tail too short
// to be hidden wherever it appears (the pieces of a password are hidden from
// three characters on) must not show in that host either.
func TestShortPasswordTailNeverPrinted(t *testing.T) {
	t.Parallel()
	urls := []string{
		"postgres://alice:hunter2@z7@127.0.0.1:1/x?connect_timeout=1",
		// libpq reads the port "q8@127.0.0.1", and pgx refuses it
		// repeating the URL with its own mask, which leaves "z7".
		"postgres://alice:hunter2@z7:q8@127.0.0.1:1/x?connect_timeout=1",
		// With a path, the '@' is in the parameter's value to the drivers;
		// the URL as printed took it for the user info's end, and showed
		// the tail as the host.
		"postgres://127.0.0.1:1/x?connect_timeout=1&password=hunter2@q8",
	}
	for _, url := range urls {
		for _, cmd := range [][]string{{"serve", "--log-level", "debug", "--listen", "127.0.0.1:0"}, {"token"}} {
			r := runCLI(t, t.TempDir(), []string{"GRAPHPROFILE_STORE=" + url}, cmd...)
			if r.code == 0 {
				t.Fatalf("%s %s: exit status 0 with an unreachable store; stderr: %s", cmd[0], url, r.stderr)
			}
			for _, secret := range []string{"hunter2", "z7", "q8"} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("%s %s: the output shows %q:\n%s%s", cmd[0], url, secret, r.stdout, r.stderr)
				}
			}
		}
	}
}

// TestLogsHideStoreSecrets checks every kind of log value: what the
// database driver says in an error during an outage reaches the log
// without the store's credentials.
func TestLogsHideStoreSecrets(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	env := &environment{stderr: &out}
	if _, err := env.parseStore("postgres://alice:hun@ter2@db/x?sslpassword=s3cr3t", anyStore); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(scrubbingHandler{slog.NewJSONHandler(&out, nil), env}).With("store", "user=alice")
	driverErr := errors.New("failed to connect to `user=alice database=x`: lookup ter2@db: no such host; sslpassword s3cr3t")
	logger.Error("request failed for alice", "err", driverErr, slog.Group("g", "inner", "hunter2 alice"), "n", 7)
	logger.WithGroup("grp").Info("again", "value", fmt.Stringer(stringer("hun@ter2")))
	for _, secret := range secretParts {
		if strings.Contains(out.String(), secret) {
			t.Errorf("the log shows %q:\n%s", secret, out.String())
		}
	}
	for _, kept := range []string{"request failed for ***", "database=x", `"n":7`, "no such host"} {
		if !strings.Contains(out.String(), kept) {
			t.Errorf("the log lost %q:\n%s", kept, out.String())
		}
	}
	if got := env.scrub("plain text"); got != "plain text" {
		t.Errorf("scrub changed text without secrets: %q", got)
	}
}

type stringer string

// TestScrubHidesWholeSecrets: a password is hidden whole, not as the user
// name it begins with and the rest of it, and a secret of three characters
// is hidden (one of two is not: hiding every "pw" of a message would
// garble it), and the driver's quotation of the URL is the URL as
// printed.
func TestScrubHidesWholeSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct{ url, in, want string }{
		{"postgres://alice:alice123@db/x", "password alice123 rejected for alice", "password *** rejected for ***"},
		{"postgres://bob:pw3@db/x", "password pw3 rejected for bob", "password *** rejected for ***"},
		{"postgres://db/x?user=al&password=pw", "password pw rejected for al", "password pw rejected for al"},
		// libpq ends the user info at the first '@': its password is "pw?x".
		{"postgres://alice:pw?x@y@db/x", "password pw?x rejected", "password *** rejected"},
		// The driver's quotation of the URL, masked where it thinks the
		// password ends, is replaced whole by the URL as printed: the tail
		// "z7" is too short to be hidden on its own.
		{"postgres://alice:hunter2@z7@db/x", "cannot parse `postgres://alice:xxxxx@z7@db/x`: failed", "cannot parse `postgres://***@db/x`: failed"},
		{"postgresql://alice:hunter2@z7@db/x", "cannot parse `postgresql://alice:xxxxx@z7@db/x`: failed", "cannot parse `postgresql://***@db/x`: failed"},
	}
	for _, tt := range tests {
		env := &environment{stderr: io.Discard}
		if _, err := env.parseStore(tt.url, anyStore); err != nil {
			t.Fatal(err)
		}
		if got := env.scrub(tt.in); got != tt.want {
			t.Errorf("%s: scrub(%q) = %q, want %q", tt.url, tt.in, got, tt.want)
		}
	}
}

func (s stringer) String() string { return string(s) }

// TestScrubKeepsTheScheme: a database user named like the scheme
// (postgres, the default superuser) is hidden where a message names the
// user, but the store URLs the log shows keep their scheme.
func TestScrubKeepsTheScheme(t *testing.T) {
	t.Parallel()
	for _, url := range []string{"postgres://postgres:hunter2@db/x", "postgresql://postgres:hunter2@db/x", "postgres://postgresql@db/x"} {
		env := &environment{stderr: io.Discard}
		if _, err := env.parseStore(url, anyStore); err != nil {
			t.Fatal(err)
		}
		for in, want := range map[string]string{
			"store postgres://***@db/x":                       "store postgres://***@db/x",
			"store postgresql://***@db/x":                     "store postgresql://***@db/x",
			"failed to connect to `user=postgres database=x`": "failed to connect to `user=*** database=x`",
		} {
			if strings.Contains(url, "postgresql@") {
				want = strings.ReplaceAll(want, "user=***", "user=postgres")
			}
			if got := env.scrub(in); got != want {
				t.Errorf("%s: scrub(%q) = %q, want %q", url, in, got, want)
			}
		}
	}
}

// FuzzRedactHidesThePassword: whatever the password of a store URL holds
// of '@', '/' and ':' (a parameter's value of '?' too), unescaped as users
// write them, and wherever
// it is (the user info, a password parameter), the URL as printed shows
// none of it: the fuzzed parts use no 'Z', with which every password
// begins and ends.
func FuzzRedactHidesThePassword(f *testing.F) {
	f.Add("db", "/x", "alice", "hun@ter", "hunter", 0)
	f.Add("db", "/x", "", "", "hun@q8", 1)
	f.Add("0", "/", "", "", "@", 1)
	f.Add("db", "/x", "alice", "@ss/word", "", 0)
	f.Add("db:5432,db2", "", "alice", "@q8:z7", "@", 2)
	f.Fuzz(func(t *testing.T, host, path, user, password, param string, form int) {
		only := func(s, chars string) bool {
			for _, r := range s {
				if !('a' <= r && r <= 'y' || '0' <= r && r <= '9' || strings.ContainsRune(chars, r)) {
					return false
				}
			}
			return true
		}
		if host == "" || !only(host, ".:,") || !only(path, "/") || path != "" && path[0] != '/' || !only(user, "") ||
			!only(password, "@/:") || !only(param, "@/:?") {
			return
		}
		password, param = "Z"+password+"Z", param+"Z"
		var url string
		switch form % 3 {
		case 0:
			url = "postgres://" + user + ":" + password + "@" + host + path
		case 1:
			url = "postgres://" + host + path + "?sslmode=disable&password=" + param
		default:
			url = "postgres://" + user + ":" + password + "@" + host + path + "?password=" + param
		}
		if got := redact(url); strings.Contains(got, "Z") {
			t.Errorf("redact(%q) = %q, shows some of the password", url, got)
		}
	})
}

// TestErrorLineHidesSecretsFirst: the line a command fails with hides the
// store's secrets before it is made one line: a password holding an
// escape character or a space was escaped or joined first, and then not
// found.
func TestErrorLineHidesSecretsFirst(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ password, spelled string }{
		{"s3cr\x1bet-pass", "s3cr\x1bet-pass"},
		{"s3cr et-pass", "s3cr et-pass"},
		{"s3cr\net-pass", "s3cr\net-pass"},
		// A message that spells a space of the password as other spaces
		// shows it once made one line.
		{"s3cr et-pass", "s3cr\net-pass"},
		{"s3cr et-pass", "s3cr\tet-pass"},
		{"s3cr et-pass", "s3cr  et-pass"},
		// And one holding other spaces or control characters, spelled
		// with others that one line makes the same.
		{"s3cr  et-pass", "s3cr \net-pass"},
		{"s3cr  et-pass", "s3cr\n\net-pass"},
		{"s3cr\tet-pass", "s3cr\net-pass"},
		{"s3cr\x1b et-pass", "s3cr\x1b\net-pass"},
	} {
		env := &environment{}
		if _, err := env.parseStore("postgres://alice:"+url.PathEscape(tc.password)+"@db/x", anyStore); err != nil {
			t.Fatal(err)
		}
		got := env.errorLine(errors.New("connect failed: password " + tc.spelled + " rejected"))
		if want := "connect failed: password *** rejected"; got != want {
			t.Errorf("errorLine with the password %q spelled %q = %q, want %q", tc.password, tc.spelled, got, want)
		}
	}
}

// TestLogsKeepWhatTheClientSent: a server line about a request keeps the
// request's method and path as the client sent them, a secret of the store
// spelled there too, as the access log does; what the server says of it
// (the error) is still scrubbed. The path was scrubbed, so that a right
// guess of the password showed as *** beside the access log's line of the
// same request, and a wrong one as sent.
func TestLogsKeepWhatTheClientSent(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	env := &environment{stderr: &out}
	if _, err := env.parseStore("postgres://alice:S3cretPGpw@db/x", anyStore); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(scrubbingHandler{slog.NewJSONHandler(&out, nil), env})
	logger.Error("request failed", "method", "GET", "path", "/beta/users/guess-S3cretPGpw/profile", "client-request-id", "S3cretPGpw",
		"err", errors.New("connecting as alice with S3cretPGpw: refused"))
	var line struct {
		Path, Err       string
		ClientRequestID string `json:"client-request-id"`
	}
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line.Path != "/beta/users/guess-S3cretPGpw/profile" || line.ClientRequestID != "S3cretPGpw" {
		t.Errorf("path %q, client-request-id %q: want them as the client sent them", line.Path, line.ClientRequestID)
	}
	if line.Err != "connecting as *** with ***: refused" {
		t.Errorf("err %q: want the secrets hidden", line.Err)
	}
}
