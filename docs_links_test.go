package graphprofile_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// headingAnchors returns the anchors GitHub gives the headings of a
// markdown document: lower case, punctuation dropped but for hyphens and
// underscores, spaces made hyphens.
func headingAnchors(doc string) map[string]bool {
	anchors := map[string]bool{}
	inCode := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		heading := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(heading) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		anchors[b.String()] = true
	}
	return anchors
}

// TestDocsLinks: every relative link and image of the project's markdown
// documents (inline, with or without a title, or reference-style) names a
// file of the repository, and a link's #anchor a heading of the document it
// names.
func TestDocsLinks(t *testing.T) {
	docs, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, "README.md", "DEVELOPERS.md", "SECURITY.md", "BENCHMARKS.md", "CHANGELOG.md")
	// An inline link (its title, if any, after a space), an image, or a
	// reference-style link's definition ("[name]: target").
	link := regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)|<img src="([^"]+)"|(?m)^ {0,3}\[[^\]]+\]:\s*<?([^>\s]+)>?`)
	checked := 0
	for _, name := range docs {
		for _, m := range link.FindAllStringSubmatch(readRepoFile(t, name), -1) {
			target := m[1] + m[2] + m[3]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			path, anchor, _ := strings.Cut(target, "#")
			file := name
			if path != "" {
				file = filepath.Join(filepath.Dir(name), path)
				if _, err := os.Stat(file); err != nil {
					t.Errorf("%s links to %s: %v", name, target, err)
					continue
				}
			}
			if anchor != "" && strings.HasSuffix(file, ".md") && !headingAnchors(readRepoFile(t, file))[anchor] {
				t.Errorf("%s links to %s: %s has no heading whose anchor is #%s", name, target, file, anchor)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relative link found: the pattern no longer matches the documents")
	}
}

// TestDevelopersLayout: every directory of Go code is in DEVELOPERS.md's
// layout: named there, or its name in the entry of its top directory
// (internal/'s durable, postgres/'s pgtest); and so is every document of
// docs/.
func TestDevelopersLayout(t *testing.T) {
	doc, err := os.ReadFile("DEVELOPERS.md")
	if err != nil {
		t.Fatal(err)
	}
	// The layout is the fenced block that starts with the root's entry
	// (not merely the first: a block of commands may come before it).
	var layout string
	inBlock, found := false, false
	for _, line := range strings.SplitAfter(string(doc), "\n") {
		switch {
		case strings.HasPrefix(line, "```") && inBlock && strings.HasPrefix(layout, "graphprofile (root)"):
			found = true
		case strings.HasPrefix(line, "```"):
			inBlock, layout = !inBlock, ""
		case inBlock:
			layout += line
		}
		if found {
			break
		}
	}
	if !found {
		t.Fatal("DEVELOPERS.md has no layout block (a fenced block starting with 'graphprofile (root)')")
	}
	// entries by the first directory an entry's line starts with
	entries := map[string]string{}
	var top string
	for _, line := range strings.Split(layout, "\n") {
		if line != "" && line[0] != ' ' {
			top, _, _ = strings.Cut(line, "/")
		}
		entries[top] += line + "\n"
	}
	dirs := map[string]bool{}
	err = filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && path != ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && filepath.Dir(path) != "." {
			dirs[filepath.ToSlash(filepath.Dir(path))] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	word := func(text, w string) bool {
		return regexp.MustCompile(`(^|[^\w-])` + regexp.QuoteMeta(w) + `([^\w-]|$)`).MatchString(text)
	}
	for dir := range dirs {
		first, _, _ := strings.Cut(dir, "/")
		if !strings.Contains(layout, dir+"/") && !word(entries[first], filepath.Base(dir)) {
			t.Errorf("DEVELOPERS.md's layout does not name %s/", dir)
		}
	}
	docs, _ := filepath.Glob("docs/*.md")
	for _, name := range docs {
		if !word(entries["docs"], filepath.Base(name)) {
			t.Errorf("DEVELOPERS.md's layout does not list %s among docs/", name)
		}
	}
	if len(dirs) < 10 {
		t.Fatalf("found %d directories of Go code; the walk is wrong", len(dirs))
	}
}

// readRepoFile is the file at name (relative to the repository's root, the
// root package's directory), or the test's end.
func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
