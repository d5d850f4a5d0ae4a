//go:build unix

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const exposedWarning = "other users of this machine may read these files"

// TestServeWarnsOfSecretsOthersMayRead: serve makes its database and
// development key 0600 and says nothing of them; when either was given a
// group or others bit afterwards (a copy, a chmod, another umask), serve
// still starts but warns, naming each such file.
func TestServeWarnsOfSecretsOthersMayRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServe(t, dir, listenFlag())
	if stderr := s.stderr.String(); strings.Contains(stderr, exposedWarning) {
		t.Errorf("serve warned of its own new files:\n%s", stderr)
	}
	s.kill()

	for _, file := range []string{"graphprofile.db", "graphprofile.db-devkey.pem"} {
		if err := os.Chmod(filepath.Join(dir, file), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s = startServe(t, dir, listenFlag())
	var warning string
	for _, line := range strings.Split(s.stderr.String(), "\n") {
		if strings.Contains(line, exposedWarning) {
			warning = line
		}
	}
	if !strings.Contains(warning, "level=WARN") {
		t.Fatalf("no warning of the files made 0644; stderr:\n%s", s.stderr.String())
	}
	// serve names the files with links followed (macOS's /tmp is one).
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"graphprofile.db", "graphprofile.db-devkey.pem"} {
		if !strings.Contains(warning, filepath.Join(realDir, file)) {
			t.Errorf("the warning does not name %s: %s", file, warning)
		}
	}
}

// TestExposedFiles pins which modes count as readable or writable by others.
func TestExposedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		mode    os.FileMode
		exposed bool
	}{
		{0o600, false},
		{0o400, false},
		{0o700, false},
		{0o640, true},
		{0o620, true},
		{0o610, true},
		{0o604, true},
		{0o602, true},
		{0o601, true},
		{0o644, true},
	} {
		path := filepath.Join(dir, tc.mode.String())
		if err := os.WriteFile(path, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(exposedFiles(path), path); got != tc.exposed {
			t.Errorf("mode %v: exposed %v, want %v", tc.mode, got, tc.exposed)
		}
	}
	if got := exposedFiles(filepath.Join(dir, "missing"), dir); len(got) != 0 {
		t.Errorf("a missing file and a directory: %q, want none", got)
	}
}

// TestServeWarnsOfExposedTLSKeys: the keys --tls-self-signed keeps beside
// the database are secrets too (whoever reads the CA's key can sign a
// certificate clients trust); serve warns of each of them, and of one
// file alone, naming only the files others may read.
func TestServeWarnsOfExposedTLSKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "graphprofile.db-ca.pem")
	how := listenFlag("--tls-self-signed")
	s := startTLSServe(t, dir, how, ca)
	s.kill()
	if got := warnedFiles(t, s.stderr.String()); len(got) != 0 {
		t.Errorf("serve warned of its own new files: %q", got)
	}
	var want []string
	for _, file := range []string{"graphprofile.db-ca-key.pem", "graphprofile.db-tls-key.pem"} {
		if err := os.Chmod(filepath.Join(dir, file), 0o640); err != nil {
			t.Fatal(err)
		}
		want = append(want, filepath.Join(realDir, file))
		s = startTLSServe(t, dir, how, ca)
		s.kill()
		if got := warnedFiles(t, s.stderr.String()); !slices.Equal(got, want) {
			t.Errorf("%s made 0640: serve warned of %q, want %q; stderr:\n%s", file, got, want, s.stderr.String())
		}
	}
}

// warnedFiles returns the files of serve's warning of files others may
// read in stderr, none when it gave none.
func warnedFiles(t *testing.T, stderr string) []string {
	t.Helper()
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.Contains(line, exposedWarning) {
			continue
		}
		// files=[a] or, quoted when it holds a space, files="[a b]".
		_, files, ok := strings.Cut(line, " files=")
		files = strings.TrimPrefix(files, `"`)
		if !ok || !strings.HasPrefix(files, "[") {
			t.Fatalf("the warning names no files: %s", line)
		}
		files, _, _ = strings.Cut(files[1:], "]")
		return strings.Fields(files)
	}
	return nil
}
