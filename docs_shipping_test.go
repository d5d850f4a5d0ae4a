package graphprofile_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestShippingDocs: what issue 17 asks the repository to show a user who
// finds it: the MIT license in LICENSE and named in README.md's License
// section, README's docker run of the image publishing port 8080 with a
// volume at /data, and a CHANGELOG.md with its unreleased section.
func TestShippingDocs(t *testing.T) {
	license := readRepoFile(t, "LICENSE")
	if !strings.HasPrefix(license, "MIT License\n") || !strings.Contains(license, "Permission is hereby granted, free of charge") {
		t.Errorf("LICENSE is not the MIT license: %.80q", license)
	}
	readme := readRepoFile(t, "README.md")
	section := regexp.MustCompile(`(?ms)^## License\n(.*?)(?:^## |\z)`).FindStringSubmatch(readme)
	if section == nil || !strings.Contains(section[1], "MIT") || !strings.Contains(section[1], "(LICENSE)") {
		t.Errorf("README.md has no License section naming MIT and linking LICENSE")
	}
	run := regexp.MustCompile(`(?m)^docker run .*$`).FindAllString(readme, -1)
	shown := false
	for _, line := range run {
		if strings.Contains(line, " -p 8080:8080 ") && strings.Contains(line, " -v gp:/data ") && strings.Contains(line, "localhost/graphprofile") {
			shown = true
		}
	}
	if !shown {
		t.Errorf("README.md shows no `docker run -p 8080:8080 -v gp:/data … localhost/graphprofile`; its docker run lines: %q", run)
	}
	changelog := readRepoFile(t, "CHANGELOG.md")
	if !strings.HasPrefix(changelog, "# Changelog\n") || !strings.Contains(changelog, "\n## [Unreleased]\n") {
		t.Errorf("CHANGELOG.md does not start with its title and an [Unreleased] section")
	}
}
