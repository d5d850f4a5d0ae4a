package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const importFile = `{"id":"11111111-1111-4111-8111-111111111111","displayName":"Ada Lovelace","userPrincipalName":"ada.lovelace@example.test","mail":"ada@example.test","jobTitle":"Analyst","businessPhones":["+44 20 7946 0000"],"officeLocation":"Marylebone","department":"Analytical Engines","employeeHireDate":"1843-07-01T00:00:00Z","usageLocation":"GB","passwordProfile":{"password":"never stored"}}

{"id":"22222222-2222-4222-8222-222222222222","displayName":"Alan Turing","userPrincipalName":"alan@example.test","accountEnabled":false}
{"displayName":"Grace Hopper","userPrincipalName":"grace@example.test"}
`

func TestUsersImport(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "users.jsonl")
	if err := os.WriteFile(file, []byte(importFile), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, dir, nil, "users", "import", "--tenant", testTenant, file)
	if r.code != 0 || r.stdout != "imported 3 users into tenant "+testTenant+"\n" {
		t.Fatalf("import: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// Re-running the import replaces the users by id; Grace has no id and
	// would come twice, so she is left out of the second file.
	second := strings.Replace(importFile, `"Analyst"`, `"Countess"`, 1)
	second = second[:strings.Index(second, `{"displayName":"Grace`)]
	if err := os.WriteFile(file, []byte(second), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, "users", "import", "--tenant", testTenant, file); r.code != 0 {
		t.Fatalf("second import: exit %d, stderr %q", r.code, r.stderr)
	}

	// The users are known before they sign in: an application reads them by
	// id and UPN, and Ada's first sign-in finds the directory's values.
	s := startServe(t, dir, listenFlag())
	app := mintToken(t, dir, nil, appArgs...)
	list := s.do(http.MethodGet, "/v1.0/users", app, "", http.StatusOK)
	users, _ := list.body["value"].([]any)
	if len(users) != 3 {
		t.Fatalf("%d users after import, want 3: %s", len(users), list.raw)
	}
	ada := s.do(http.MethodGet, "/beta/users/ADA.LOVELACE@example.test", app, "", http.StatusOK).body
	if ada["id"] != "11111111-1111-4111-8111-111111111111" || ada["jobTitle"] != "Countess" || ada["mail"] != "ada@example.test" || ada["accountEnabled"] != true ||
		ada["officeLocation"] != "Marylebone" || ada["department"] != "Analytical Engines" || ada["employeeHireDate"] != "1843-07-01T00:00:00.0000000Z" || ada["usageLocation"] != "GB" {
		t.Errorf("imported Ada: %v", ada)
	}
	if phones, _ := ada["businessPhones"].([]any); len(phones) != 1 || phones[0] != "+44 20 7946 0000" {
		t.Errorf("imported Ada's businessPhones: %v", ada["businessPhones"])
	}
	if strings.Contains(string(list.raw), "never stored") || strings.Contains(string(list.raw), "passwordProfile") {
		t.Errorf("the password was stored: %s", list.raw)
	}
	alan := s.do(http.MethodGet, "/beta/users/22222222-2222-4222-8222-222222222222", app, "", http.StatusOK).body
	if alan["accountEnabled"] != false {
		t.Errorf("imported Alan: %v", alan)
	}
	adaToken := mintToken(t, dir, nil, "--tenant", testTenant, "--user", "11111111-1111-4111-8111-111111111111", "--upn", "ada.lovelace@example.test", "--name", "Someone Else", "--scopes", "User.Read")
	me := s.do(http.MethodGet, "/beta/me", adaToken, "", http.StatusOK).body
	if me["displayName"] != "Ada Lovelace" || me["jobTitle"] != "Countess" {
		t.Errorf("Ada's /me after import: %v", me)
	}
}

func TestUsersImportRefusesBadFiles(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		wants []string // fragments of the one-line error
	}{
		{"one bad line",
			"{\"displayName\":\"A\",\"userPrincipalName\":\"a@example.test\"}\nnot json\n",
			[]string{"users import: 1 bad line, nothing imported", "line 2:"}},
		{"bad lines are all reported by number",
			"{\"displayName\":\"A\",\"userPrincipalName\":\"a@example.test\"}\nnot json\n{\"displayName\":\"B\"}\n{\"displayName\":\"C\",\"userPrincipalName\":\"c@example.test\",\"foo\":1}\n",
			[]string{"3 bad lines", "line 2:", "line 3:", "'userPrincipalName'", "line 4:", "'foo'"}},
		{"a repeated id", `{"id":"11111111-1111-4111-8111-111111111111","displayName":"A","userPrincipalName":"a@example.test"}` + "\n" +
			`{"id":"11111111-1111-4111-8111-111111111111","displayName":"B","userPrincipalName":"b@example.test"}` + "\n",
			[]string{"line 2:", "also on line 1"}},
		// The scanner's own "bufio.Scanner: token too long", "after line 1",
		// named neither the line nor the limit.
		{"a line over 1 MiB", `{"displayName":"A","userPrincipalName":"a@example.test"}` + "\n" +
			`{"displayName":"B","userPrincipalName":"b@example.test","jobTitle":"` + strings.Repeat("x", 1<<20) + `"}` + "\n",
			[]string{"line 2:", "longer than 1048576 bytes"}},
		// The first 20 bad lines are named, and how many more there are.
		{"23 bad lines", strings.Repeat("not json\n", 23),
			[]string{"users import: 23 bad lines, nothing imported: line 1:", "line 20:", "; and 3 more"}},
		{"a repeated UPN in another case", `{"displayName":"A","userPrincipalName":"a@example.test"}` + "\n" + `{"displayName":"B","userPrincipalName":"A@EXAMPLE.TEST"}` + "\n",
			[]string{"line 2:", "also on line 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "users.jsonl")
			if err := os.WriteFile(file, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, dir, nil, "users", "import", "--tenant", testTenant, file)
			if r.code == 0 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("exit %d, stdout %q, stderr %q: want a failure with one line on stderr", r.code, r.stdout, r.stderr)
			}
			for _, want := range append(tc.wants, "nothing imported") {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr %q does not contain %q", r.stderr, want)
				}
			}
			// Nothing was imported: the store has no users.
			s := startServe(t, dir, listenFlag())
			list := s.do(http.MethodGet, "/beta/users", mintToken(t, dir, nil, appArgs...), "", http.StatusOK)
			if users, _ := list.body["value"].([]any); len(users) != 0 {
				t.Errorf("a refused import wrote users: %s", list.raw)
			}
		})
	}

	t.Run("a UPN another user holds", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "users.jsonl")
		if err := os.WriteFile(file, []byte(`{"displayName":"A","userPrincipalName":"a@example.test"}`+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := runCLI(t, dir, nil, "users", "import", "--tenant", testTenant, file); r.code != 0 {
			t.Fatalf("first import: %q", r.stderr)
		}
		if err := os.WriteFile(file, []byte(`{"displayName":"B","userPrincipalName":"b@example.test"}`+"\n"+`{"displayName":"A2","userPrincipalName":"A@example.test"}`+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, dir, nil, "users", "import", "--tenant", testTenant, file)
		if r.code == 0 || !strings.Contains(r.stderr, "line 2:") || !strings.Contains(r.stderr, "nothing imported") {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
		s := startServe(t, dir, listenFlag())
		list := s.do(http.MethodGet, "/beta/users", mintToken(t, dir, nil, appArgs...), "", http.StatusOK)
		if users, _ := list.body["value"].([]any); len(users) != 1 {
			t.Errorf("want only the first import's user: %s", list.raw)
		}
	})
}

// TestUsersImportIssuerSettings: users import reads --issuer and
// GRAPHPROFILE_ISSUERS as serve does (a list, commas separating), and since
// a tenant belongs to one issuer it refuses more than one, naming where
// they came from and importing nothing; one issuer from the environment is
// the tenant's issuer, which the success line names.
func TestUsersImportIssuerSettings(t *testing.T) {
	t.Parallel()
	const line = `{"id":"11111111-1111-4111-8111-111111111111","displayName":"Ada","userPrincipalName":"ada@example.test"}` + "\n"
	tests := []struct {
		name      string
		args      []string
		env       []string
		code      int
		stdout    string
		stderrHas []string
	}{
		{name: "two in GRAPHPROFILE_ISSUERS", env: []string{"GRAPHPROFILE_ISSUERS=https://a.example.test/v2.0,https://b.example.test/v2.0"},
			code: 1, stderrHas: []string{`GRAPHPROFILE_ISSUERS="https://a.example.test/v2.0,https://b.example.test/v2.0"`, "one issuer", "speaks for the tenant"}},
		// Spaces are no separator: the list was one issuer, a URL with a
		// space that no token names, and the users went into its tenant.
		{name: "two in GRAPHPROFILE_ISSUERS separated by a space", env: []string{"GRAPHPROFILE_ISSUERS=https://a.example.test/v2.0 https://b.example.test/v2.0"},
			code: 1, stderrHas: []string{`GRAPHPROFILE_ISSUERS=https://a.example.test/v2.0 https://b.example.test/v2.0`, "holds a space", "separated by commas"}},
		{name: "--issuer twice", args: []string{"--issuer", "https://a.example.test/v2.0", "--issuer", "https://b.example.test/v2.0"},
			code: 1, stderrHas: []string{`--issuer "https://a.example.test/v2.0,https://b.example.test/v2.0"`, "one issuer"}},
		{name: "one in GRAPHPROFILE_ISSUERS", env: []string{"GRAPHPROFILE_ISSUERS=https://a.example.test/v2.0"},
			stdout: "imported 1 users into tenant " + testTenant + " of issuer https://a.example.test/v2.0\n"},
		{name: "--issuer beats GRAPHPROFILE_ISSUERS", args: []string{"--issuer", "https://b.example.test/v2.0"}, env: []string{"GRAPHPROFILE_ISSUERS=https://a.example.test/v2.0,https://c.example.test/v2.0"},
			stdout: "imported 1 users into tenant " + testTenant + " of issuer https://b.example.test/v2.0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := filepath.Join(dir, "users.jsonl")
			if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"users", "import", "--store", "sqlite:iss.db", "--tenant", testTenant}, tt.args...)
			r := runCLI(t, dir, tt.env, append(args, file)...)
			if r.code != tt.code || r.stdout != tt.stdout {
				t.Fatalf("exit %d, stdout %q (want %d, %q); stderr %q", r.code, r.stdout, tt.code, tt.stdout, r.stderr)
			}
			for _, s := range tt.stderrHas {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr %q does not mention %s", r.stderr, s)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "iss.db")); tt.code != 0 && err == nil {
				t.Errorf("a refused import created iss.db")
			}
		})
	}
}

// TestUsersImportByteOrderMark: a file saved as "UTF-8 with BOM" (Windows
// PowerShell's Out-File -Encoding utf8, Notepad) imports as the same file
// without it, as POST /users reads a body that starts with one; a BOM
// anywhere else is still a bad line.
func TestUsersImportByteOrderMark(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "users.jsonl")
	if err := os.WriteFile(file, []byte("\uFEFF"+strings.ReplaceAll(importFile, "\n", "\r\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, "users", "import", "--tenant", testTenant, file); r.code != 0 || r.stdout != "imported 3 users into tenant "+testTenant+"\n" {
		t.Fatalf("import: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if err := os.WriteFile(file, []byte(`{"displayName":"A","userPrincipalName":"a@example.test"}`+"\n\uFEFF"+`{"displayName":"B","userPrincipalName":"b@example.test"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, "users", "import", "--tenant", testTenant, file); r.code == 0 || !strings.Contains(r.stderr, "line 2:") {
		t.Errorf("a BOM on line 2: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestUsersImportLineOfTheLimit: a line is at most 1 MiB, as a request
// body: a line (the same user each time, by its id) of exactly 1,048,576 bytes (ended by "\n" or "\r\n", or
// the file's last) imports, and one byte more is refused by its number and
// the limit. The scanner's buffer held the line's end too, so a line of
// exactly the limit was refused as "longer than 1048576 bytes".
func TestUsersImportLineOfTheLimit(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "users.jsonl")
	head := `{"id":"11111111-1111-4111-8111-111111111111","displayName":"A","userPrincipalName":"a@example.test"`
	line := head + strings.Repeat(" ", maxImportLine-len(head)-1) + "}"
	for _, end := range []string{"\n", "\r\n", ""} {
		if err := os.WriteFile(file, []byte(line+end), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := runCLI(t, dir, nil, "users", "import", "--tenant", testTenant, file); r.code != 0 || r.stdout != "imported 1 users into tenant "+testTenant+"\n" {
			t.Errorf("a line of %d bytes ended by %q: exit %d, stdout %q, stderr %q", len(line), end, r.code, r.stdout, r.stderr)
		}
	}
	longer := head + strings.Repeat(" ", maxImportLine-len(head)) + "}"
	for _, end := range []string{"\n", "\r\n", ""} {
		if err := os.WriteFile(file, []byte(`{"displayName":"B","userPrincipalName":"b@example.test"}`+"\n"+longer+end), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := runCLI(t, dir, nil, "users", "import", "--tenant", testTenant, file); r.code == 0 || !strings.Contains(r.stderr, "line 2: longer than 1048576 bytes") {
			t.Errorf("a line of %d bytes ended by %q: exit %d, stderr %q", len(longer), end, r.code, r.stderr)
		}
	}
}

// TestUsersImportTenant: --tenant (or GRAPHPROFILE_TENANT) must be a
// tenant id a token's tid can name (1 to 64 letters, digits and hyphens,
// as a fixtures file's tenant): anything else is refused before the store
// is opened, naming the setting, rather than imported into a tenant no
// token would ever reach ("a|b" would even spell another issuer's tenant
// key). A tenant id that is not a GUID is a tenant of an issuer other than
// Entra ID's, and imports.
func TestUsersImportTenant(t *testing.T) {
	const line = `{"displayName":"Ada","userPrincipalName":"ada@example.test"}` + "\n"
	for _, tc := range []struct {
		name, flag string
		env        []string
		stderrHas  string
	}{
		{"a bar", "a|b", nil, `--tenant "a|b"`},
		{"a space", "contoso tenant", nil, `--tenant "contoso tenant"`},
		{"empty", "", nil, `--tenant ""`},
		{"from the environment", "-", []string{"GRAPHPROFILE_TENANT=x/y"}, `GRAPHPROFILE_TENANT="x/y"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "users.jsonl")
			if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"users", "import", "--store", "sqlite:t.db"}
			if tc.flag != "-" {
				args = append(args, "--tenant", tc.flag)
			}
			r := runCLI(t, dir, tc.env, append(args, file)...)
			if r.code == 0 || !strings.Contains(r.stderr, tc.stderrHas) || !strings.Contains(r.stderr, "letters, digits and hyphens") {
				t.Errorf("exit %d, stdout %q, stderr %q; want a refusal naming %s", r.code, r.stdout, r.stderr, tc.stderrHas)
			}
			if _, err := os.Stat(filepath.Join(dir, "t.db")); err == nil {
				t.Errorf("the refused import created the store")
			}
		})
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "users.jsonl")
	if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, "users", "import", "--store", "sqlite:t.db", "--tenant", "contoso-dev", file); r.code != 0 || r.stdout != "imported 1 users into tenant contoso-dev\n" {
		t.Errorf("--tenant contoso-dev: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestPasswordProfileNeverStored pins the users directory's promise that a
// passwordProfile is accepted and never stored: the passwords sent by POST
// /users, PATCH /users and users import appear in no file of the store
// (the database, its WAL and every file beside it), while the rest of each
// body is stored. A check of the answers alone would pass for a server that
// kept the password and left it out of its JSON.
func TestPasswordProfileNeverStored(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const (
		posted   = "posted-Pa55word-7f3a9c"
		patched  = "patched-Pa55word-2b8e41"
		imported = "imported-Pa55word-c0d9e5"
	)
	s := startServe(t, dir, listenFlag())
	admin := mintToken(t, dir, nil, "--tenant", testTenant, "--user", testUser, "--upn", testUPN, "--name", testName, "--scopes", "User.ReadWrite.All")
	created := s.do(http.MethodPost, "/beta/users", admin,
		`{"displayName":"Pat Word","userPrincipalName":"pat.word@example.test","accountEnabled":true,"mailNickname":"pat",`+
			`"passwordProfile":{"forceChangePasswordNextSignIn":true,"password":"`+posted+`"}}`, http.StatusCreated)
	id, _ := created.body["id"].(string)
	if id == "" {
		t.Fatalf("POST /beta/users: no id in %s", created.raw)
	}
	s.do(http.MethodPatch, "/beta/users/"+id, admin, `{"jobTitle":"Keeper","passwordProfile":{"password":"`+patched+`"}}`, http.StatusNoContent)
	got := s.do(http.MethodGet, "/beta/users/"+id, admin, "", http.StatusOK)
	if got.body["displayName"] != "Pat Word" || got.body["jobTitle"] != "Keeper" {
		t.Fatalf("the user as stored: %s", got.raw)
	}
	s.kill() // one process a database: users import needs it stopped

	file := filepath.Join(t.TempDir(), "users.jsonl")
	line := `{"displayName":"Imp Ort","userPrincipalName":"imp.ort@example.test","passwordProfile":{"password":"` + imported + `"}}` + "\n"
	if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, "users", "import", "--tenant", testTenant, file); r.code != 0 {
		t.Fatalf("users import: exit %d, stderr %q", r.code, r.stderr)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var stored []byte
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, data...)
		for _, password := range []string{posted, patched, imported} {
			if bytes.Contains(data, []byte(password)) {
				t.Errorf("%s holds the password %q", e.Name(), password)
			}
		}
	}
	// The files do hold what was sent beside the passwords, so the search
	// above looked where the users are.
	for _, kept := range []string{"pat.word@example.test", "Keeper", "imp.ort@example.test"} {
		if !bytes.Contains(stored, []byte(kept)) {
			t.Errorf("no file of the store holds %q: the search looked in the wrong place", kept)
		}
	}
}
