package main

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestSettingSources: an error about a value names where the value came
// from: --flag when it was given as a flag, GRAPHPROFILE_FLAG=… when it came
// from the environment, never a flag the user did not give.
func TestSettingSources(t *testing.T) {
	t.Parallel()
	tests := []struct {
		command  []string
		flag     string   // the flag under test, given as --flag value or as its variable
		value    string   // its bad value
		with     []string // other flags the case needs, given as flags
		fromFlag string   // what the one stderr line begins with (after "graphprofile: ")
		fromEnv  string
	}{
		{[]string{"serve"}, "log-level", "loud", nil, `--log-level "loud": want debug, info, warn or error`, `GRAPHPROFILE_LOG_LEVEL="loud": want debug, info, warn or error`},
		{[]string{"serve"}, "log-format", "yaml", nil, `--log-format "yaml": want text or json`, `GRAPHPROFILE_LOG_FORMAT="yaml": want text or json`},
		{[]string{"serve"}, "max-items", "0", nil, `--max-items 0: want 1 or more`, `GRAPHPROFILE_MAX_ITEMS=0: want 1 or more`},
		{[]string{"serve"}, "max-connections", "0", nil, `--max-connections 0: want 1 or more`, `GRAPHPROFILE_MAX_CONNECTIONS=0: want 1 or more`},
		{[]string{"serve"}, "max-evaluations", "0", nil, `--max-evaluations 0: want 1 or more`, `GRAPHPROFILE_MAX_EVALUATIONS=0: want 1 or more`},
		{[]string{"serve"}, "journal-size", "-1", nil, `--journal-size -1: want 0 or more`, `GRAPHPROFILE_JOURNAL_SIZE=-1: want 0 or more`},
		{[]string{"serve"}, "journal-size", "100", nil, `--journal-size needs --admin-token`, `GRAPHPROFILE_JOURNAL_SIZE needs --admin-token`},
		{[]string{"serve"}, "admin-token", " padded ", nil, `--admin-token: the token must not begin or end with spaces`, `GRAPHPROFILE_ADMIN_TOKEN: the token must not begin or end with spaces`},
		{[]string{"serve"}, "public-url", "ftp://graph.example.test", nil, `--public-url "ftp://graph.example.test": want an absolute`, `GRAPHPROFILE_PUBLIC_URL="ftp://graph.example.test": want an absolute`},
		{[]string{"serve"}, "cors-origins", "app.example.test", nil, `--cors-origins: `, `GRAPHPROFILE_CORS_ORIGINS: `},
		{[]string{"serve"}, "store", "mysql://x", nil, `--store "mysql://x": expected sqlite:PATH`, `GRAPHPROFILE_STORE="mysql://x": expected sqlite:PATH`},
		{[]string{"serve"}, "store", "sqlite:", nil, `--store "sqlite:" names no database file`, `GRAPHPROFILE_STORE="sqlite:" names no database file`},
		// A Windows path is shown as given, its backslashes not doubled
		// (as %q doubled them); a quote or a control character is escaped.
		{[]string{"serve"}, "store", `mysql:C:\data\g.db`, nil, `--store "mysql:C:\data\g.db": expected sqlite:PATH`, `GRAPHPROFILE_STORE="mysql:C:\data\g.db": expected sqlite:PATH`},
		{[]string{"serve"}, "log-level", "lo\"ud\t", nil, `--log-level "lo\"ud\t": want debug`, `GRAPHPROFILE_LOG_LEVEL="lo\"ud\t": want debug`},
		// A quote alone is escaped too, and bytes that are not UTF-8 are
		// written as escapes, not as they are.
		{[]string{"serve"}, "log-level", `lo"ud`, nil, `--log-level "lo\"ud": want debug`, `GRAPHPROFILE_LOG_LEVEL="lo\"ud": want debug`},
		{[]string{"serve"}, "log-level", "lo\xffud", nil, `--log-level "lo\xffud": want debug`, `GRAPHPROFILE_LOG_LEVEL="lo\xffud": want debug`},
		// A number too large for its flag says so.
		{[]string{"serve"}, "max-items", "99999999999999999999", nil, `--max-items "99999999999999999999": want a whole number (this one is out of range)` + "\n", `GRAPHPROFILE_MAX_ITEMS="99999999999999999999": want a whole number (this one is out of range)` + "\n"},
		// A public URL with no host, with an empty query or with a
		// fragment makes broken links.
		{[]string{"serve"}, "public-url", "https:///graph", nil, `--public-url "https:///graph": want an absolute`, `GRAPHPROFILE_PUBLIC_URL="https:///graph": want an absolute`},
		{[]string{"serve"}, "public-url", "https://graph.example.test/?", nil, `--public-url "https://graph.example.test/?": want an absolute`, `GRAPHPROFILE_PUBLIC_URL="https://graph.example.test/?": want an absolute`},
		// Characters no URL holds were taken, and each answer's
		// @odata.context, nextLink and Location held them as given. (On
		// a port of its own, should serve start.)
		{[]string{"serve"}, "public-url", "https://graph.example.test/my graph", []string{"--listen", "127.0.0.1:0"}, `--public-url "https://graph.example.test/my graph": holds " ", which no URL does: percent-encode it (%20)`, `GRAPHPROFILE_PUBLIC_URL="https://graph.example.test/my graph": holds " ", which no URL does: percent-encode it (%20)`},
		{[]string{"serve"}, "public-url", "https://graph.example.test/a|b", []string{"--listen", "127.0.0.1:0"}, `--public-url "https://graph.example.test/a|b": holds "|", which no URL does: percent-encode it (%7C)`, `GRAPHPROFILE_PUBLIC_URL="https://graph.example.test/a|b": holds "|", which no URL does: percent-encode it (%7C)`},
		{[]string{"serve"}, "public-url", "https://graph.example.test/#top", nil, `--public-url "https://graph.example.test/#top": want an absolute`, `GRAPHPROFILE_PUBLIC_URL="https://graph.example.test/#top": want an absolute`},
		{[]string{"serve"}, "drain-timeout", "soon", nil, `--drain-timeout "soon": want a duration such as 10s, 1m30s or 2h` + "\n", `GRAPHPROFILE_DRAIN_TIMEOUT="soon": want a duration such as 10s, 1m30s or 2h` + "\n"},
		{[]string{"serve"}, "drain-timeout", "-1s", nil, `--drain-timeout -1s: want 0 or more (0: no wait)` + "\n", `GRAPHPROFILE_DRAIN_TIMEOUT=-1s: want 0 or more (0: no wait)` + "\n"},
		{[]string{"serve"}, "max-items", "abc", nil, `--max-items "abc": want a whole number` + "\n", `GRAPHPROFILE_MAX_ITEMS="abc": want a whole number` + "\n"},
		{[]string{"serve"}, "faults-seed", "-1", nil, `--faults-seed "-1": want a whole number, 0 or more` + "\n", `GRAPHPROFILE_FAULTS_SEED="-1": want a whole number, 0 or more` + "\n"},
		{[]string{"serve"}, "trust-proxy", "maybe", nil, `--trust-proxy "maybe": want true or false` + "\n", `GRAPHPROFILE_TRUST_PROXY="maybe": want true or false` + "\n"},
		{[]string{"healthcheck"}, "timeout", "5", nil, `--timeout "5": want a duration such as 10s, 1m30s or 2h` + "\n", `GRAPHPROFILE_TIMEOUT="5": want a duration such as 10s, 1m30s or 2h` + "\n"},
		{[]string{"serve"}, "throttle-limit", "fast", []string{"--throttle"}, `--throttle-limit "fast": want REQUESTS/DURATION, e.g. 3500/10s` + "\n", `GRAPHPROFILE_THROTTLE_LIMIT="fast": want REQUESTS/DURATION, e.g. 3500/10s` + "\n"},
		{[]string{"serve"}, "throttle-limit", "0/s", []string{"--throttle"}, `--throttle-limit "0/s": the number of requests "0" is not a whole number`, `GRAPHPROFILE_THROTTLE_LIMIT="0/s": the number of requests "0" is not a whole number`},
		{[]string{"serve"}, "throttle-limit", "5/s", nil, `--throttle-limit needs --throttle`, `GRAPHPROFILE_THROTTLE_LIMIT needs --throttle`},
		{[]string{"serve"}, "faults", "500=0.1", nil, `--faults "500=0.1": unknown setting "500"; `, `GRAPHPROFILE_FAULTS="500=0.1": unknown setting "500"; `},
		// The spec once, then the part refused.
		{[]string{"serve"}, "faults", "429=1.5", nil, `--faults "429=1.5": 429: "1.5" is not a probability: want a decimal from 0 to 1, e.g. 0.05` + "\n", `GRAPHPROFILE_FAULTS="429=1.5": 429: "1.5" is not a probability: want a decimal from 0 to 1, e.g. 0.05` + "\n"},
		{[]string{"serve"}, "faults-seed", "3", nil, `--faults-seed needs --faults`, `GRAPHPROFILE_FAULTS_SEED needs --faults`},
		{[]string{"serve"}, "fixtures", "missing.json", nil, `--fixtures: open missing.json: `, `GRAPHPROFILE_FIXTURES: open missing.json: `},
		{[]string{"serve"}, "tls-key", "key.pem", nil, `--tls-key key.pem needs --tls-cert`, `GRAPHPROFILE_TLS_KEY=key.pem needs --tls-cert`},
		{[]string{"serve"}, "tls-self-signed", "true", []string{"--tls-cert", "cert.pem"}, `--tls-self-signed and --tls-cert exclude each other`, `GRAPHPROFILE_TLS_SELF_SIGNED and --tls-cert exclude each other`},
		{[]string{"serve"}, "tls-self-signed", "true", []string{"--tls-key", "key.pem"}, `--tls-self-signed and --tls-key exclude each other`, `GRAPHPROFILE_TLS_SELF_SIGNED and --tls-key exclude each other`},
		// On a port of its own: the profile is begun once serve listens,
		// and the default 127.0.0.1:8080 may be another process's.
		{[]string{"serve"}, "cpuprofile", "no/such/dir/cpu.pprof", []string{"--listen", "127.0.0.1:0"}, `--cpuprofile: open no/such/dir/cpu.pprof: `, `GRAPHPROFILE_CPUPROFILE: open no/such/dir/cpu.pprof: `},
		// One issuer twice, the second time with a slash at the end.
		{[]string{"serve"}, "issuer", "https://login.example.test/contoso/v2.0,https://login.example.test/contoso/v2.0/", []string{"--listen", "127.0.0.1:0"}, `--issuer: https://login.example.test/contoso/v2.0 is given twice` + "\n", `GRAPHPROFILE_ISSUERS: https://login.example.test/contoso/v2.0 is given twice` + "\n"},
		// A multi-tenant issuer and one of its tenants' own both vouch
		// for that tenant's tokens: its data was in the realm of the one
		// given first, and swapping them hid it.
		{[]string{"serve"}, "issuer", "https://login.example.test/{tenantid}/v2.0,https://login.example.test/contoso/v2.0", []string{"--listen", "127.0.0.1:0"}, `--issuer: both https://login.example.test/{tenantid}/v2.0 and https://login.example.test/contoso/v2.0 trust the tokens of tenant contoso (iss https://login.example.test/contoso/v2.0)`, `GRAPHPROFILE_ISSUERS: both https://login.example.test/{tenantid}/v2.0 and https://login.example.test/contoso/v2.0 trust the tokens of tenant contoso (iss https://login.example.test/contoso/v2.0)`},
		{[]string{"serve"}, "issuer", "https://login.example.test/contoso/v2.0/,https://login.example.test/{tenantid}/v2.0", []string{"--listen", "127.0.0.1:0"}, `--issuer: both https://login.example.test/contoso/v2.0 and https://login.example.test/{tenantid}/v2.0 trust the tokens of tenant contoso`, `GRAPHPROFILE_ISSUERS: both https://login.example.test/contoso/v2.0 and https://login.example.test/{tenantid}/v2.0 trust the tokens of tenant contoso`},
		{[]string{"serve"}, "issuer", "https://login.example.test/{tenantid}/{tenantid}", nil, `--issuer https://login.example.test/{tenantid}/{tenantid}: `, `GRAPHPROFILE_ISSUERS=https://login.example.test/{tenantid}/{tenantid}: `},
		// A combination error names each given setting by its source.
		{[]string{"serve"}, "trust-proxy", "true", []string{"--ui-client-id", testApp, "--issuer", "https://login.example.test/t/v2.0"}, `--ui-client-id "` + testApp + `" behind a proxy (--trust-proxy) needs --public-url`, `--ui-client-id "` + testApp + `" behind a proxy (GRAPHPROFILE_TRUST_PROXY) needs --public-url`},
		{[]string{"serve"}, "listen", "127.0.0.1:0", []string{"--ui-client-id", testApp, "--issuer", "https://login.example.test/t/v2.0"}, `--ui-client-id "` + testApp + `" needs --public-url when --listen "127.0.0.1:0" has port 0`, `--ui-client-id "` + testApp + `" needs --public-url when GRAPHPROFILE_LISTEN="127.0.0.1:0" has port 0`},
		// An address with no port is refused for itself, before what is
		// made of it (the redirect URI).
		{[]string{"serve"}, "listen", "nohost", []string{"--ui-client-id", testApp, "--issuer", "https://login.example.test/t/v2.0"}, `--listen "nohost": address nohost: missing port in address`, `GRAPHPROFILE_LISTEN="nohost": address nohost: missing port in address`},
		{[]string{"token"}, "expires", "-5m", nil, `--expires -5m0s: must be positive`, `GRAPHPROFILE_EXPIRES=-5m0s: must be positive`},
		{[]string{"token"}, "expires", "0s", nil, `--expires 0s: must be positive`, `GRAPHPROFILE_EXPIRES=0s: must be positive`},
		{[]string{"token"}, "store", "memory:", nil, `--store memory:: the development signing key`, `GRAPHPROFILE_STORE=memory:: the development signing key`},
		{[]string{"token"}, "roles", "User.Read.All", nil, `--roles needs --app`, `GRAPHPROFILE_ROLES needs --app`},
		// What a command says it takes is what it takes.
		{[]string{"token"}, "store", "bogus:x", nil, `--store "bogus:x": expected sqlite:PATH or postgres://…` + "\n", `GRAPHPROFILE_STORE="bogus:x": expected sqlite:PATH or postgres://…` + "\n"},
		{[]string{"backup"}, "store", "memory:", []string{"backup.db"}, `backup: --store memory: is a store of the serving process alone (it starts empty and ends with it); give serve --fixtures FILE instead, or sqlite:PATH` + "\n", `backup: GRAPHPROFILE_STORE=memory: is a store of the serving process alone (it starts empty and ends with it); give serve --fixtures FILE instead, or sqlite:PATH` + "\n"},
		{[]string{"backup"}, "store", "bogus:x", []string{"backup.db"}, `--store "bogus:x": expected sqlite:PATH` + "\n", `GRAPHPROFILE_STORE="bogus:x": expected sqlite:PATH` + "\n"},
		{[]string{"export"}, "store", "memory:", nil, `export: --store memory: is a store of the serving process alone`, `export: GRAPHPROFILE_STORE=memory: is a store of the serving process alone`},
		{[]string{"users", "import"}, "store", "memory:", []string{"users.jsonl"}, `users import: --store memory: is a store`, `users import: GRAPHPROFILE_STORE=memory: is a store`},
	}
	for _, tt := range tests {
		for _, source := range []string{"flag", "environment"} {
			name := strings.Join(tt.command, " ") + " " + tt.flag + " " + tt.value + " from the " + source
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				args := slices.Clone(tt.command)
				var env []string
				want := tt.fromFlag
				if source == "flag" {
					args = append(args, "--"+tt.flag+"="+tt.value)
				} else {
					env = []string{envName(tt.flag) + "=" + tt.value}
					want = tt.fromEnv
				}
				// Positional arguments (users import's FILE) go last.
				if len(tt.with) > 0 && !strings.HasPrefix(tt.with[0], "--") {
					args = append(args, tt.with...)
				} else {
					args = slices.Insert(args, len(tt.command), tt.with...)
				}
				r := runCLI(t, t.TempDir(), env, args...)
				if r.code == 0 {
					t.Fatalf("exit status 0, want non-zero; stderr: %q", r.stderr)
				}
				line, ok := strings.CutSuffix(r.stderr, "\n")
				if !ok || strings.Contains(line, "\n") {
					t.Fatalf("stderr = %q, want exactly one line", r.stderr)
				}
				// A want ending in a newline is the whole line.
				if !strings.HasPrefix(r.stderr, "graphprofile: "+want) {
					t.Errorf("stderr = %q, want it to begin with %q", line, "graphprofile: "+want)
				}
				if source == "environment" && strings.Contains(line, "-"+tt.flag) {
					t.Errorf("stderr = %q names -%s, which was not given", line, tt.flag)
				}
			})
		}
	}
}

// helpCommands are the commands `graphprofile --help` lists, users as its
// one subcommand, users import.
func helpCommands(t *testing.T) [][]string {
	t.Helper()
	r := runCLI(t, t.TempDir(), nil, "--help")
	if r.code != 0 {
		t.Fatalf("graphprofile --help: exit status %d; stderr: %s", r.code, r.stderr)
	}
	var commands [][]string
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z]+) `).FindAllStringSubmatch(r.stdout, -1) {
		if m[1] == "users" {
			commands = append(commands, []string{"users", "import"})
		} else {
			commands = append(commands, []string{m[1]})
		}
	}
	if len(commands) < 5 {
		t.Fatalf("graphprofile --help lists %d commands, want at least 5:\n%s", len(commands), r.stdout)
	}
	return commands
}

var variablePattern = regexp.MustCompile(`GRAPHPROFILE_[A-Z0-9_]+`)

// TestEnvironmentWarnings: every command's --help lists each of its flags
// with its variable; no variable of any command (nor GRAPHPROFILE_TOKEN of
// serve --store memory:) draws a warning from any command; any other
// GRAPHPROFILE_ variable is one line on stderr naming the nearest known
// one, and the command goes on.
func TestEnvironmentWarnings(t *testing.T) {
	t.Parallel()
	commands := helpCommands(t)
	known := []string{"GRAPHPROFILE_TOKEN=x", "GRAPHPROFILE_APP_TOKEN=x"}
	flagLine := regexp.MustCompile(`^  --([a-z-]+)(?: \S+)? \| (GRAPHPROFILE_[A-Z0-9_]+)=\S+$`)
	for _, command := range commands {
		r := runCLI(t, t.TempDir(), nil, append(command, "--help")...)
		if r.code != 0 {
			t.Fatalf("%s --help: exit status %d; stderr: %s", command, r.code, r.stderr)
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			if !strings.HasPrefix(line, "  -") {
				continue
			}
			m := flagLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s --help: the flag line %q does not name its variable as --flag VALUE | GRAPHPROFILE_FLAG=VALUE", command, line)
				continue
			}
			if m[2] != envName(m[1]) {
				t.Errorf("%s --help: --%s is listed with %s, want %s", command, m[1], m[2], envName(m[1]))
			}
			known = append(known, m[2]+"=x")
		}
	}
	for _, command := range commands {
		t.Run(strings.Join(command, " ")+" with every known variable", func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, t.TempDir(), known, append(command, "--help")...)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("exit status %d, stderr %q; want 0 and nothing: every variable of a command is known to every other (flagVariables in settings.go)", r.code, r.stderr)
			}
		})
	}

	tests := []struct {
		name    string
		args    []string
		env     []string
		warning string // the warning line, after "graphprofile: warning: "
		code    int
	}{
		{"token goes on", []string{"token"}, []string{"GRAPHPROFILE_EXPIRE=5m"}, "GRAPHPROFILE_EXPIRE is no setting of graphprofile and is ignored; did you mean GRAPHPROFILE_EXPIRES?", 0},
		{"serve", []string{"serve", "--log-level", "loud"}, []string{"GRAPHPROFILE_LISTN=127.0.0.1:1"}, "GRAPHPROFILE_LISTN is no setting of graphprofile and is ignored; did you mean GRAPHPROFILE_LISTEN?", 1},
		{"without an underscore", []string{"serve", "--log-level", "loud"}, []string{"GRAPHPROFILE_LOGLEVEL=debug"}, "GRAPHPROFILE_LOGLEVEL is no setting of graphprofile and is ignored; did you mean GRAPHPROFILE_LOG_LEVEL?", 1},
		{"the singular of a list", []string{"serve", "--log-level", "loud"}, []string{"GRAPHPROFILE_ISSUER=https://login.example.test"}, "GRAPHPROFILE_ISSUER is no setting of graphprofile and is ignored; did you mean GRAPHPROFILE_ISSUERS?", 1},
		{"in lower case", []string{"export", "--help"}, []string{"graphprofile_store=sqlite:x.db"}, "graphprofile_store is no setting of graphprofile and is ignored; did you mean GRAPHPROFILE_STORE?", 0},
		// In lower case, the nearest is found in upper case: not the
		// first of token's variables (GRAPHPROFILE_APP), equally far from
		// any name in lower case.
		{"in lower case, not the first", []string{"token", "--help"}, []string{"graphprofile_scopes=x"}, "graphprofile_scopes is no setting of graphprofile and is ignored; did you mean GRAPHPROFILE_SCOPES?", 0},
		// Of equally near ones (URL and UPN), the command's own comes first.
		{"healthcheck's own first", []string{"healthcheck", "--help"}, []string{"GRAPHPROFILE_UPL=x"}, "GRAPHPROFILE_UPL is no setting of graphprofile and is ignored; did you mean GRAPHPROFILE_URL?", 0},
		{"token's own first", []string{"token", "--help"}, []string{"GRAPHPROFILE_UPL=x"}, "GRAPHPROFILE_UPL is no setting of graphprofile and is ignored; did you mean GRAPHPROFILE_UPN?", 0},
		{"users import", []string{"users", "import", "--help"}, []string{"GRAPHPROFILE_TENANTS=x"}, "GRAPHPROFILE_TENANTS is no setting of graphprofile and is ignored; did you mean GRAPHPROFILE_TENANT?", 0},
		{"version", []string{"version"}, []string{"GRAPHPROFILE_STOER=x"}, "GRAPHPROFILE_STOER is no setting of graphprofile and is ignored; did you mean GRAPHPROFILE_STORE?", 0},
	}
	// Once serve has its log, the warning is a record of it, in its
	// format: every line of a JSON log is JSON; at the log's level when
	// that is above warnings, never left out.
	for _, level := range []string{"info", "error"} {
		t.Run("serve's JSON log at "+level, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, t.TempDir(), []string{"GRAPHPROFILE_LISTN=127.0.0.1:1"}, "serve", "--listen", "127.0.0.1:0", "--store", "memory:",
				"--log-format", "json", "--log-level", level, "--tls-cert", "no-such.pem", "--tls-key", "no-such-key.pem")
			if r.code != 1 {
				t.Fatalf("exit status %d, want 1; stderr: %s", r.code, r.stderr)
			}
			want := map[string]string{"info": "WARN", "error": "ERROR"}[level]
			warned := 0
			for line := range strings.Lines(r.stderr) {
				var record struct{ Level, Msg string }
				if err := json.Unmarshal([]byte(line), &record); err != nil {
					t.Errorf("a line of the JSON log is no JSON: %q", line)
				}
				if record.Level == want && record.Msg == "GRAPHPROFILE_LISTN is no setting of graphprofile and is ignored; did you mean GRAPHPROFILE_LISTEN?" {
					warned++
				}
			}
			if warned != 1 {
				t.Errorf("%d warning records at %s in %q, want 1", warned, want, r.stderr)
			}
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, t.TempDir(), tt.env, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit status %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			first, _, _ := strings.Cut(r.stderr, "\n")
			if want := "graphprofile: warning: " + tt.warning; first != want {
				t.Errorf("stderr begins with %q, want %q", first, want)
			}
			if tt.code == 0 && strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr = %q, want the warning alone", r.stderr)
			}
			if tt.code == 0 && r.stdout == "" {
				t.Errorf("stdout is empty: the command did not go on")
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "ab", 2},
		{"LISTEN", "LISTEN", 0},
		{"LISTN", "LISTEN", 1},
		{"LOGLEVEL", "LOG_LEVEL", 1},
		{"STOER", "STORE", 2},
		{"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
}

// TestHelpShowsEachDefaultOnce: a flag's usage in --help shows its default
// once: printFlags adds "(default …)", so a usage with a "(default: …)" of
// its own must be a flag whose default printFlags leaves out (an empty one).
func TestHelpShowsEachDefaultOnce(t *testing.T) {
	t.Parallel()
	defaultMention := regexp.MustCompile(`\(default`)
	for _, command := range helpCommands(t) {
		r := runCLI(t, t.TempDir(), nil, append(command, "--help")...)
		for _, line := range strings.Split(r.stdout, "\n") {
			if n := len(defaultMention.FindAllString(line, -1)); n > 1 {
				t.Errorf("%s --help says a default %d times: %s", strings.Join(command, " "), n, line)
			}
		}
	}
}

// TestHelpSaysFlagsWin: the --help of a command with flags ends by saying
// that a flag wins over its variable; one without flags (version) says
// nothing of flags or variables.
func TestHelpSaysFlagsWin(t *testing.T) {
	t.Parallel()
	const wins = "\nA flag wins over its environment variable.\n"
	for _, command := range helpCommands(t) {
		r := runCLI(t, t.TempDir(), nil, append(command, "--help")...)
		hasFlags := strings.Contains(r.stdout, "\n  --")
		if hasFlags && !strings.HasSuffix(r.stdout, wins) {
			t.Errorf("%s --help does not end with %q:\n%s", strings.Join(command, " "), wins, r.stdout)
		}
		if !hasFlags && (strings.Contains(r.stdout, "A flag wins") || strings.Contains(r.stdout, "GRAPHPROFILE_")) {
			t.Errorf("%s --help has no flags, yet speaks of them:\n%s", strings.Join(command, " "), r.stdout)
		}
	}
	// version is the command without flags.
	if r := runCLI(t, t.TempDir(), nil, "version", "--help"); strings.Contains(r.stdout, "\n  --") {
		t.Errorf("version --help lists flags; the test wants a command without any:\n%s", r.stdout)
	}
}

// TestOneLine: the error a command ends with is one line of text that a
// terminal shows as it is: line breaks become spaces, and the other
// control characters, which a fixtures file's bad value brings into the
// message, are written as escapes (an ESC recoloured the terminal).
func TestOneLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\nb\r\nc\td", "a b c d"},
		{"bad value '\x1b[31mred\x1b[0m'", `bad value '\x1b[31mred\x1b[0m'`},
		{"bell\a and backspace\b", `bell\x07 and backspace\x08`},
		{"next line\u0085, delete\x7f", `next line , delete\x7f`}, // NEL breaks a line
		{"écrivaine ✓", "écrivaine ✓"},
	} {
		if got := oneLine(tc.in); got != tc.want {
			t.Errorf("oneLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
