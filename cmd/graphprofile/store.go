package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/dbpath"
	"github.com/graphprofile/graphprofile/internal/stored"
	"github.com/graphprofile/graphprofile/postgres"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/tlsdev"
	"github.com/graphprofile/graphprofile/token"
)

// defaultStore is an SQLite database file in the working directory.
const defaultStore = "sqlite:graphprofile.db"

// defaultListen is the address serve listens on without --listen.
const defaultListen = "127.0.0.1:8080"

// storeLocation is a parsed --store URL.
type storeLocation struct {
	kind string // "sqlite", "memory" or "postgres"
	path string // the SQLite database file, as given
	// file is the database file that path names, links followed
	// (dbpath.Real): the file SQLite opens and keeps its -wal and -shm
	// beside, and so the one the server's own files are named after.
	file string
	url  string // the PostgreSQL URL
}

// postgresStatePrefix names the files of a server on PostgreSQL (the
// development TLS files of --tls-self-signed): in the working directory,
// since there is no database file to put them beside. The development
// signing key is not among them: it lives in the database, which every
// server on it shares (devIssuerOf).
const postgresStatePrefix = "graphprofile"

// memoryStore is the --store of the SQLite store in memory.
const memoryStore = "memory:"

// ownsFile reports whether path names the SQLite store's database, or a
// file SQLite or the server keeps beside it (<database>-wal, -shm,
// -journal, -lock, -devkey.pem, the development CA's and TLS files): a
// file no command may write over. Other names that begin with the
// database's (graphprofile.db-2026-12-06, a backup) are not the store's.
func (loc storeLocation) ownsFile(path string) bool {
	if loc.kind != "sqlite" {
		return false
	}
	real, err := dbpath.Real(path)
	if err != nil {
		return false
	}
	tls := loc.devTLSFiles()
	if slices.Contains([]string{loc.file, loc.file + "-wal", loc.file + "-shm", loc.file + "-journal", loc.file + "-lock",
		loc.devKeyPath(), tls.CA, tls.CAKey, tls.Cert, tls.Key}, real) {
		return true
	}
	// The same file by another name (a hard link).
	named, err := os.Stat(real)
	if err != nil {
		return false
	}
	db, err := os.Stat(loc.file)
	return err == nil && os.SameFile(named, db)
}

// refuseOwnFile refuses file as what a command (what) writes or reads in
// place of the store: export and backup writing over the database or a
// file kept beside it, restore putting the store back from one of them.
func (loc storeLocation) refuseOwnFile(what, file string) error {
	if file != "-" && loc.ownsFile(file) {
		return fmt.Errorf("%s: %s is the store's own file (its database, or one kept beside it); name another FILE", what, file)
	}
	return nil
}

// The stores a command takes, as its errors list them.
const (
	anyStore        = "sqlite:PATH, memory: or postgres://…"
	persistentStore = "sqlite:PATH or postgres://…"
	sqliteStore     = "sqlite:PATH"
)

// parseStore reads --store: sqlite:PATH (also sqlite://PATH and
// sqlite:///ABSOLUTE/PATH, on Windows sqlite:///C:/PATH), memory: or a
// postgres:// URL; a URL of none of them is refused as not one of takes,
// the stores the command takes (anyStore, persistentStore, sqliteStore).
// From now on env hides the URL's credentials in all it prints.
func (env *environment) parseStore(url, takes string) (storeLocation, error) {
	env.hideSecretsOf(url)
	switch {
	case url == memoryStore:
		return storeLocation{kind: "memory"}, nil
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		path = sqlitePath(strings.TrimPrefix(path, "//"), runtime.GOOS == "windows")
		if path == "" {
			return storeLocation{}, fmt.Errorf("%s names no database file", env.settingValue("store", quoteValue(url)))
		}
		if err := checkSQLitePath(path); err != nil {
			return storeLocation{}, fmt.Errorf("%s: %w", env.settingValue("store", quoteValue(url)), err)
		}
		file, err := dbpath.Real(path)
		if err == nil {
			// The same once path passed, unless path is a link (to a
			// file in a directory that does not exist, say).
			err = checkSQLitePath(file)
		}
		if err != nil {
			return storeLocation{}, fmt.Errorf("%s: %w", env.settingValue("store", quoteValue(url)), err)
		}
		return storeLocation{kind: "sqlite", path: path, file: file}, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return storeLocation{kind: "postgres", url: url}, nil
	default:
		return storeLocation{}, fmt.Errorf("%s: expected %s", env.settingValue("store", quoteValue(redact(url))), takes)
	}
}

// sqlitePath is the database path of an SQLite URL's path part (what
// follows sqlite: or sqlite://). On Windows an absolute path in a URL has a
// slash before its drive (sqlite:///C:/data/g.db, as file:///C:/… does),
// which is no path there (\C:\data\g.db): it is dropped. Elsewhere /C:/…
// is a path like any other.
func sqlitePath(p string, windows bool) string {
	if windows && len(p) >= 3 && p[0] == '/' && p[2] == ':' && ('a' <= p[1]|0x20 && p[1]|0x20 <= 'z') &&
		(len(p) == 3 || p[3] == '/' || p[3] == '\\') {
		return p[1:]
	}
	return p
}

// checkSQLitePath refuses a database path that no command can use, for
// every command alike before any of them writes a file: a directory (where
// SQLite fails, and the key would go beside it) or another file that is not
// a regular one, a path that names no file it can reach (a loop of links),
// or a path in a directory
// that does not exist (which nothing creates, so that a mistyped path fails
// instead of starting a new store somewhere unexpected).
func checkSQLitePath(path string) error {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return fmt.Errorf("%s is a directory, not a database file", path)
	} else if err == nil && !info.Mode().IsRegular() {
		// A device or a pipe (sqlite:/dev/null): SQLite fails on it, after
		// making its lock file beside it.
		return fmt.Errorf("%s is not a regular file", path)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		// A loop of links, say: SQLite fails on it too, after making its
		// lock file beside it.
		return err
	}
	dir := filepath.Dir(path)
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the directory %s does not exist", dir)
	case err != nil:
		return err
	case !info.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// statePrefix is what the server's own files are named after: the SQLite
// database file, as SQLite names its -wal and -shm files (the file a link
// names: one key whichever name a command is given), or
// postgresStatePrefix (also in memory, for --tls-self-signed's files).
func (l storeLocation) statePrefix() string {
	if l.kind != "sqlite" {
		return postgresStatePrefix
	}
	return l.file
}

// devKeyPath is where the development issuer's signing key lives for
// SQLite: beside the database.
func (l storeLocation) devKeyPath() string { return l.statePrefix() + "-devkey.pem" }

// devTLSFiles are where --tls-self-signed keeps its CA and certificate:
// beside the database too, so one directory holds a server's whole state.
func (l storeLocation) devTLSFiles() tlsdev.Files { return tlsdev.FilesFor(l.statePrefix()) }

// String names the store for logs, without a password.
func (l storeLocation) String() string {
	switch l.kind {
	case "postgres":
		return redact(l.url)
	case "memory":
		return memoryStore
	}
	return l.path
}

// open opens the store; sqliteOptions apply to an SQLite store. Its error
// names the store once: as the store's own error does (SQLite's names the
// database file it could not open), or else in front of it.
func (l storeLocation) open(ctx context.Context, sqliteOptions ...sqlite.Option) (graphprofile.Store, error) {
	return l.openWith(ctx, nil, sqliteOptions...)
}

// openWith opens the store as open does, with the options of a PostgreSQL
// store pgOptions.
func (l storeLocation) openWith(ctx context.Context, pgOptions []postgres.Option, sqliteOptions ...sqlite.Option) (graphprofile.Store, error) {
	var s graphprofile.Store
	var err error
	switch l.kind {
	case "postgres":
		s, err = postgres.Open(ctx, l.url, pgOptions...)
	case "memory":
		s, err = sqlite.OpenMemory(ctx, sqliteOptions...)
	default:
		s, err = sqlite.Open(ctx, l.path, sqliteOptions...)
	}
	if err != nil {
		if !names(err.Error(), l.String()) {
			err = openError{fmt.Sprintf("opening the store %s: %s", l, openCause(err)), err}
		}
		return nil, err
	}
	return s, nil
}

// names reports whether msg names the store called name: name whole, not
// the start of a longer name (the database's x.db-lock beside x.db).
func names(msg, name string) bool {
	for i := strings.Index(msg, name); i >= 0; {
		end := i + len(name)
		if r, _ := utf8.DecodeRuneInString(msg[end:]); end == len(msg) || !(r == '-' || r == '.' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return true
		}
		next := strings.Index(msg[end:], name)
		if next < 0 {
			break
		}
		i = end + next
	}
	return false
}

// openError is a store's failure to open, err, told as msg.
type openError struct {
	msg string
	err error
}

func (e openError) Error() string { return e.msg }
func (e openError) Unwrap() error { return e.err }

// openCause tells why a store did not open, each thing once: for a
// database that could not be reached or refused the connection, what the
// network or the server said, for each host tried (pgx's own error tells
// each address and refusal once per attempt, after the store's "postgres:
// connecting: store unavailable"); else err as it is.
func openCause(err error) string {
	var de *stored.DBError
	if !errors.As(err, &de) {
		return err.Error()
	}
	var causes []string
	walkErrors(de.Err, func(e error) bool {
		switch e.(type) {
		case *net.OpError, *net.DNSError, *pgconn.PgError:
			if msg := e.Error(); !slices.Contains(causes, msg) {
				causes = append(causes, msg)
			}
			return false // what it wraps, it says
		}
		return true
	})
	if len(causes) == 0 {
		return err.Error()
	}
	return de.Op + ": " + strings.Join(causes, "; ")
}

// walkErrors calls visit with err and, while visit reports true, with what
// each error wraps, depth first.
func walkErrors(err error, visit func(error) bool) {
	if err == nil || !visit(err) {
		return
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walkErrors(u.Unwrap(), visit)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walkErrors(e, visit)
		}
	}
}

// persistent refuses the store in memory to a command other than serve
// (what, e.g. "users import"), which takes the stores takes: it would
// start empty and vanish when the command ends.
func (l storeLocation) persistent(env *environment, what, takes string) error {
	if l.kind == "memory" {
		return fmt.Errorf("%s: %s is a store of the serving process alone (it starts empty and ends with it); give serve --fixtures FILE instead, or %s", what, env.settingValue("store", memoryStore), takes)
	}
	return nil
}

// existing refuses a missing SQLite database, or a file that is none, to a
// command that only reads it (what: "export", "backup"), which would
// otherwise create one, or migrate an empty file into one.
func (l storeLocation) existing(ctx context.Context, what string) error {
	if l.kind != "sqlite" {
		return nil
	}
	if err := sqlite.RequireDatabase(ctx, l.path); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// devIssuerOf returns the development issuer of store, opened at loc, and
// where its key is: for PostgreSQL, in the database (every server on it
// shares the key, and graphprofile token mints with it); for SQLite, a file
// beside the database; for the store in memory, a new key of this process
// alone (nothing of such a server outlives it, its tokens included).
func devIssuerOf(ctx context.Context, loc storeLocation, store graphprofile.Store) (*token.DevIssuer, string, error) {
	switch loc.kind {
	case "memory":
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, "", fmt.Errorf("dev issuer key: generating: %w", err)
		}
		dev, err := token.NewDevIssuer(key)
		return dev, "(in memory)", err
	case "postgres":
		pg, ok := store.(*postgres.Store)
		if !ok {
			return nil, "", fmt.Errorf("dev issuer key: the store of %s is not PostgreSQL's", loc)
		}
		data, err := pg.SharedSecret(ctx, devKeySecret, token.NewDevKeyPEM)
		if err != nil {
			return nil, "", fmt.Errorf("dev issuer key: %w", err)
		}
		dev, err := token.DevIssuerFromPEM(data)
		return dev, "(in the database, shared_secrets)", err
	}
	dev, err := token.LoadOrCreateDevIssuer(loc.devKeyPath())
	return dev, loc.devKeyPath(), err
}

// checkDevKey fails when an SQLite store's development key is there but
// broken, as devIssuerOf would once the store is open: serve checks it
// before, so that the failure creates no database.
func (loc storeLocation) checkDevKey() error {
	if loc.kind != "sqlite" {
		return nil
	}
	if _, err := token.LoadDevIssuer(loc.devKeyPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// devKeySecret names the development issuer's key among a PostgreSQL
// store's shared secrets.
const devKeySecret = "dev-issuer-key"
