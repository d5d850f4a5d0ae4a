package graphprofile

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// FuzzParseFixtures checks that any file is either refused with a
// *FixturesError that points into the file (a BadRequest for the admin
// API) or parsed into fixtures whose file (AppendFixturesJSON) parses
// into the same file again.
func FuzzParseFixtures(f *testing.F) {
	data, err := os.ReadFile("cmd/graphprofile/testdata/fixtures.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"tenants":[{"id":"t1","users":[{"displayName":"A","userPrincipalName":"a@b.c","profile":{"positions":[{"id":"p","createdDateTime":"2020-01-01T00:00:00Z"}]}}]}]}`))
	f.Add([]byte("{\"tenants\":[{\"id\":\"t\",\"users\":[{\"displayName\":\"\u00e9\",\"userPrincipalName\":\"x@y\",\n\"profile\":{\"skills\":[{\"proficiency\":\"nope\"}]}}]}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fixtures, err := ParseFixtures("f.json", data)
		if err != nil {
			var ferr *FixturesError
			var gerr *Error
			if !errors.As(err, &ferr) || !errors.As(err, &gerr) || gerr.Code != CodeBadRequest {
				t.Fatalf("refusal is not a *FixturesError and a BadRequest: %v", err)
			}
			lines := bytes.Count(data, []byte{'\n'}) + 1
			if ferr.Line < 1 || ferr.Line > lines || ferr.Column < 1 || ferr.Message == "" {
				t.Fatalf("refusal points outside the file (%d lines): %v", lines, err)
			}
			return
		}
		file := AppendFixturesJSON(nil, fixtures)
		again, err := ParseFixtures("again.json", file)
		if err != nil {
			t.Fatalf("the file of parsed fixtures does not parse: %v\n%s", err, file)
		}
		if second := AppendFixturesJSON(nil, again); !bytes.Equal(second, file) {
			t.Fatalf("the file of parsed fixtures changes when parsed again:\n%s\nthen\n%s", file, second)
		}
	})
}
