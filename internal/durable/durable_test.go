package durable

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestSyncDir: a directory with a new file in it syncs without an error on
// every platform (on Windows, where a directory cannot be fsynced, too:
// that error made the development key, --tls-self-signed's files and
// backups fail there), and a missing one is an error where it is opened.
func TestSyncDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := SyncDir(dir); err != nil {
		t.Errorf("SyncDir(%s): %v", dir, err)
	}
	if runtime.GOOS == "windows" {
		return // nothing is opened there
	}
	missing := filepath.Join(dir, "no", "such")
	if err := SyncDir(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SyncDir(%s): %v, want ErrNotExist", missing, err)
	}
}

// TestCreateBeside: the new file is in path's directory, named after it;
// where it cannot be made, the error names path and its directory, not the
// temporary name.
func TestCreateBeside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "g.db")
	f, err := CreateBeside(path, "-backup")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := f.Name(); filepath.Dir(got) != dir || !strings.HasPrefix(filepath.Base(got), ".g.db-backup.") || !strings.HasSuffix(got, ".tmp") {
		t.Errorf("CreateBeside(%s) made %s", path, got)
	}
	missing := filepath.Join(dir, "no", "such", "g.db")
	_, err = CreateBeside(missing, "")
	if want := "cannot create " + missing + " in " + filepath.Dir(missing) + ": "; err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), ".tmp") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CreateBeside(%s): %v, want %q… wrapping ErrNotExist, without the temporary name", missing, err, want)
	}
}
