package main

import (
	"bytes"
	"strings"
	"testing"
	"unicode"

	"github.com/graphprofile/graphprofile"
)

// FuzzImportReader reads any file as users import does: it yields the
// users of a file without a bad line, all in the tenant, no id or
// principal name (ignoring case) twice, at most one a line; or it ends
// with one error (as printed, one line without a control character),
// after which nothing is yielded and nothing counted imported.
func FuzzImportReader(f *testing.F) {
	for _, seed := range []string{
		`{"id":"2ed03dfd-7f7c-4ec1-b8a7-1c2a45eff5d5","displayName":"Adele Vance","userPrincipalName":"AdeleV@contoso.com","accountEnabled":true}` + "\n" +
			`{"displayName":"Alex Wilber","userPrincipalName":"alexw@contoso.com","businessPhones":["+1 425 555 0109"],"employeeHireDate":"2020-01-31T00:00:00Z"}`,
		graphprofile.ByteOrderMark + `{"userPrincipalName":"a@contoso.com"}` + "\r\n\r\n" + `{"userPrincipalName":"A@CONTOSO.COM"}`,
		`{"userPrincipalName":"a@contoso.com","passwordProfile":{"password":"x"}}` + "\n" + `{bad` + "\n" + `[]`,
		`{"id":"x","id":"y"}`,
		"id,displayName\n1,a\n",
		"\n\n",
		`{"0000000\r":`,     // a carriage return in a name, from its escape
		`{"xx\u001b[0m":1}`, // an escape sequence, from its escape
	} {
		f.Add([]byte(seed))
	}
	const tenant = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newImportReader(bytes.NewReader(data), tenant)
		var (
			users  []graphprofile.User
			errs   []error
			ids    = map[string]bool{}
			upns   = map[string]bool{}
			failed bool
		)
		for u, err := range r.users {
			if err != nil {
				errs = append(errs, err)
				failed = true
				continue
			}
			if failed {
				t.Fatalf("a user yielded after the error %v", errs[0])
			}
			if u.TenantID != tenant || u.ID == "" {
				t.Fatalf("user %+v: want an id, in tenant %s", u, tenant)
			}
			if ids[u.ID] {
				t.Fatalf("id %q yielded twice", u.ID)
			}
			ids[u.ID] = true
			if upn := strings.ToLower(u.UserPrincipalName); upn != "" {
				if upns[upn] {
					t.Fatalf("userPrincipalName %q yielded twice", u.UserPrincipalName)
				}
				upns[upn] = true
			}
			users = append(users, u)
		}
		if lines := bytes.Count(data, []byte("\n")) + 1; len(users) > lines {
			t.Fatalf("%d users from %d lines", len(users), lines)
		}
		switch {
		case len(errs) > 1:
			t.Fatalf("%d errors yielded: %v", len(errs), errs)
		case len(errs) == 1:
			if r.err != errs[0] {
				t.Fatalf("the reader's error %v, yielded %v", r.err, errs[0])
			}
			// As printed: one line, no control character (a name decoded
			// from a JSON escape, "\r" or "\u001b", is in the message).
			if line := oneLine(errs[0].Error()); strings.ContainsFunc(line, unicode.IsControl) {
				t.Fatalf("the error as printed holds a control character: %q", line)
			}
		case r.imported != len(users):
			t.Fatalf("%d users yielded, %d counted", len(users), r.imported)
		}
	})
}

// FuzzParseStore reads any --store value: a store of one of the three
// kinds, or a one-line refusal that names the flag and shows no password
// the value holds (the fuzzed values hold "Zsecret" as a URL's password).
func FuzzParseStore(f *testing.F) {
	for _, seed := range []string{"sqlite:graphprofile.db", "sqlite://g.db", "sqlite:///tmp/g.db", "sqlite:", "sqlite:/nonexistent/dir/g.db", "memory:", "memory:x",
		"postgres://alice:Zsecret@db:5432/graphprofile?sslmode=disable", "postgresql://db/x", "mysql://u:Zsecret@h/db", "", "sqlite:/dev/null", "sqlite:."} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		var stderr bytes.Buffer
		env := &environment{stderr: &stderr, getenv: func(string) string { return "" }, environ: func() []string { return nil }}
		loc, err := env.parseStore(value, anyStore)
		if err != nil {
			msg := env.scrub(err.Error())
			if !strings.HasPrefix(msg, "--store ") || strings.ContainsAny(msg, "\r\n") && !strings.ContainsAny(value, "\r\n") {
				t.Fatalf("parseStore(%q): %q, want one line naming --store", value, msg)
			}
			if strings.Contains(value, ":Zsecret@") && strings.Contains(msg, "Zsecret") {
				t.Fatalf("parseStore(%q): %q shows the password", value, msg)
			}
			return
		}
		switch loc.kind {
		case "memory":
			if value != memoryStore {
				t.Fatalf("parseStore(%q) = the store in memory", value)
			}
		case "sqlite":
			if loc.path == "" || loc.file == "" || !strings.HasPrefix(value, "sqlite:") {
				t.Fatalf("parseStore(%q) = %+v", value, loc)
			}
		case "postgres":
			if loc.url != value {
				t.Fatalf("parseStore(%q) = %+v", value, loc)
			}
		default:
			t.Fatalf("parseStore(%q): kind %q", value, loc.kind)
		}
	})
}
