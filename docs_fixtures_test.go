package graphprofile_test

import (
	"os"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// TestFixturesDocExample: the example of docs/fixtures.md is a fixtures
// file that loads.
func TestFixturesDocExample(t *testing.T) {
	doc, err := os.ReadFile("docs/fixtures.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(doc), "```json\n")
	example, _, found := strings.Cut(rest, "```")
	if !found {
		t.Fatal("docs/fixtures.md has no JSON example")
	}
	f, err := graphprofile.ParseFixtures("docs/fixtures.md", []byte(example))
	if err != nil {
		t.Fatalf("the example: %v", err)
	}
	store := newMemStore()
	if err := (&graphprofile.Service{Store: store}).LoadFixtures(t.Context(), f); err != nil {
		t.Fatalf("loading the example: %v", err)
	}
	if got, _ := store.Tenants(t.Context()); len(got) != 2 {
		t.Errorf("the example loads %d tenants, want 2", len(got))
	}
}
