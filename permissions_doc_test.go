package graphprofile

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestPermissionsDocIsTheTable holds docs/permissions.md's matrices (the
// items and profile's, and the users directory's) to the table the code
// decides by (permissions): one row an operation, one column a kind of
// caller, the same permissions in each cell ("not supported" for none).
func TestPermissionsDocIsTheTable(t *testing.T) {
	data, err := os.ReadFile("docs/permissions.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]Operation{
		"list, get":          {ListItems, GetItem},
		"create":             {CreateItem},
		"update":             {UpdateItem},
		"delete":             {DeleteItem},
		"get the profile":    {GetProfile},
		"delete the profile": {DeleteProfile},
		"list users":         {ListUsers},
		"get a user":         {GetUser},
		"create a user":      {CreateUser},
		"update a user":      {UpdateUser},
		"delete a user":      {DeleteUser},
	}
	columns := []AccountKind{WorkOrSchoolAccount, PersonalAccount, Application}
	const header = "| delegated work/school | delegated personal | application |"
	seen := map[Operation]bool{}
	inMatrix := false
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "|") {
			inMatrix = false
			continue
		}
		if strings.HasSuffix(line, header) {
			inMatrix = true
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if !inMatrix || strings.HasPrefix(strings.TrimSpace(cells[0]), "---") {
			continue
		}
		label := strings.TrimSpace(cells[0])
		ops, ok := rows[label]
		if !ok {
			t.Errorf("docs/permissions.md: a matrix row %q names no operation this test knows", label)
			continue
		}
		if len(cells) != 1+len(columns) {
			t.Errorf("docs/permissions.md: row %q has %d cells, want %d", label, len(cells), 1+len(columns))
			continue
		}
		for i, kind := range columns {
			var doc []string
			if cell := strings.TrimSpace(cells[1+i]); !strings.HasPrefix(cell, "not supported") {
				for _, p := range strings.Split(cell, ",") {
					doc = append(doc, strings.TrimSpace(p))
				}
			}
			for _, op := range ops {
				code := permissions[op][kind]
				if !slices.Equal(slices.Sorted(slices.Values(doc)), slices.Sorted(slices.Values(code))) {
					t.Errorf("%s, caller %v: docs/permissions.md says %q, the code's table %q", op, kind, doc, code)
				}
				seen[op] = true
			}
		}
	}
	for op := range permissions {
		if !seen[op] {
			t.Errorf("docs/permissions.md's matrices have no row for %s", op)
		}
	}
}
