package graphprofile_test

import (
	"os"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// TestDocsListEveryCollection: README.md and docs/permissions.md list what
// is served, every collection of the profile by its name, so a facet added
// to the schema table is added to them too.
func TestDocsListEveryCollection(t *testing.T) {
	for _, doc := range []string{"README.md", "docs/permissions.md"} {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range graphprofile.ProfileCollections() {
			if !strings.Contains(string(text), "`"+c.Name+"`") {
				t.Errorf("%s does not list the collection `%s`", doc, c.Name)
			}
		}
	}
}
