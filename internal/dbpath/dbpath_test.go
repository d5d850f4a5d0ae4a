package dbpath

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestReal: a database's file by every name it may be given: the file, a
// file not made yet (in a directory named through a link too), a link to
// it, a link to a file not made yet (relative to the link's directory, and
// through a chain of such links), a loop of links and a path in a
// directory that does not exist.
func TestReal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the links are symbolic links, which Windows makes only with a privilege")
	}
	dir := t.TempDir()
	real, err := filepath.EvalSymlinks(dir) // macOS's /var is a link
	if err != nil {
		t.Fatal(err)
	}
	in := func(names ...string) string { return filepath.Join(append([]string{real}, names...)...) }
	if err := os.Mkdir(in("data"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in("data", "g.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"linked":     "data",                        // a directory
		"link.db":    filepath.Join("data", "g.db"), // a file, relative
		"abs.db":     in("data", "g.db"),            // a file, absolute
		"later.db":   filepath.Join("data", "new.db"),
		"chain1.db":  "chain2.db",
		"chain2.db":  filepath.Join("linked", "chain3.db"),
		"chain3.db":  "never.db", // not followed: chain2.db names linked/chain3.db
		"loop1.db":   "loop2.db",
		"loop2.db":   "loop1.db",
		"nowhere.db": filepath.Join("none", "x.db"),
	} {
		if err := os.Symlink(target, in(link)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ name, path, want string }{
		{"the file", in("data", "g.db"), in("data", "g.db")},
		{"the file, not clean", in("data", ".", "..", "data", "g.db"), in("data", "g.db")},
		{"a file not made yet", in("data", "new.db"), in("data", "new.db")},
		{"a file not made yet, in a linked directory", in("linked", "new.db"), in("data", "new.db")},
		{"the file, in a linked directory", in("linked", "g.db"), in("data", "g.db")},
		{"a link to the file", in("link.db"), in("data", "g.db")},
		{"an absolute link to the file", in("abs.db"), in("data", "g.db")},
		{"a link to a file not made yet", in("later.db"), in("data", "new.db")},
		{"a chain of links to a file not made yet", in("chain1.db"), in("data", "chain3.db")},
		{"a loop of links", in("loop1.db"), in("loop1.db")},
		{"a link into a directory that does not exist", in("nowhere.db"), in("none", "x.db")},
		{"a directory that does not exist", in("none", "y.db"), in("none", "y.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := Real(tc.path); err != nil || got != tc.want {
				t.Errorf("Real(%s) = %s, %v; want %s", tc.path, got, err, tc.want)
			}
		})
	}
	t.Run("a relative path", func(t *testing.T) {
		t.Chdir(in("linked"))
		if got, err := Real("g.db"); err != nil || got != in("data", "g.db") {
			t.Errorf("Real(g.db) in %s = %s, %v; want %s", in("linked"), got, err, in("data", "g.db"))
		}
	})
}
