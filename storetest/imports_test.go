package storetest_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsOnlyTheContract: storetest is the Store contract, and like
// nettest.TestConn, which depends only on net.Conn, it depends only on the
// root package (the Store interface and its types) and the standard
// library, never on a store, the HTTP layer or another of the module's
// packages, so that any store can run it.
func TestImportsOnlyTheContract(t *testing.T) {
	const module = "github.com/graphprofile/graphprofile"
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			if path != module && strings.Contains(first, ".") {
				t.Errorf("%s imports %s: storetest may import only %s and the standard library", name, path, module)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no source file of storetest found")
	}
}
