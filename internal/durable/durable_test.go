package durable

import (
	"os"
	"path/filepath"
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
}
