package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/tlsdev"
)

// defaultStore is an SQLite database file in the working directory.
const defaultStore = "sqlite:graphprofile.db"

// storeLocation is a parsed --store URL.
type storeLocation struct {
	kind string // "sqlite"
	path string // the SQLite database file
}

// parseStore reads --store: sqlite:PATH (also sqlite://PATH and
// sqlite:///ABSOLUTE/PATH) or a postgres:// URL.
func parseStore(url string) (storeLocation, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return storeLocation{}, fmt.Errorf("--store %q names no database file", url)
		}
		return storeLocation{kind: "sqlite", path: path}, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return storeLocation{}, fmt.Errorf("--store %q: the PostgreSQL store is not available yet; use sqlite:PATH", redact(url))
	default:
		return storeLocation{}, fmt.Errorf("--store %q: expected sqlite:PATH or postgres://…", redact(url))
	}
}

// devKeyPath is where the development issuer's signing key lives: beside
// the database, named after it, as SQLite names its own -wal and -shm files.
func (l storeLocation) devKeyPath() string { return l.path + "-devkey.pem" }

// devTLSFiles are where --tls-self-signed keeps its CA and certificate:
// beside the database too, so one directory holds a server's whole state.
func (l storeLocation) devTLSFiles() tlsdev.Files { return tlsdev.FilesFor(l.path) }

func (l storeLocation) open(ctx context.Context) (graphprofile.Store, error) {
	return sqlite.Open(ctx, l.path)
}

// redact hides a password in a store URL before it is printed.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return url
	}
	if user, _, hasPassword := strings.Cut(userinfo, ":"); hasPassword {
		return scheme + "://" + user + ":***@" + host
	}
	return url
}
