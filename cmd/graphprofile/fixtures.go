package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/internal/dbpath"
	"github.com/graphprofile/graphprofile/internal/durable"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/token"
)

// maxFixturesFile bounds a fixtures file: it is read whole.
const maxFixturesFile = 1 << 30

// readFixtures reads and validates the fixtures file path. Its errors
// leave the flag to the caller, which names where the path came from.
func readFixtures(path string) (graphprofile.Fixtures, error) {
	f, err := os.Open(path)
	if err != nil {
		return graphprofile.Fixtures{}, err
	}
	defer f.Close()
	tooBig := fmt.Errorf("%s: larger than %d bytes", path, maxFixturesFile)
	// A regular file is refused from its size, unread (reading the first
	// GiB of one only to refuse it took seconds and twice that memory),
	// and read into a buffer of its size, not one grown as it is read.
	size := 512
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
		if info.Size() > maxFixturesFile {
			return graphprofile.Fixtures{}, tooBig
		}
		size = int(info.Size()) + 1 // the end is found by reading past it
	}
	data := make([]byte, 0, size)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // grown as append grows
		}
		n, err := f.Read(data[len(data):min(cap(data), maxFixturesFile+1)])
		data = data[:len(data)+n]
		if len(data) > maxFixturesFile {
			return graphprofile.Fixtures{}, tooBig
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return graphprofile.Fixtures{}, err
		}
	}
	fixtures, err := graphprofile.ParseFixtures(filepath.Base(path), data)
	if err != nil {
		return graphprofile.Fixtures{}, fmt.Errorf("nothing loaded: %w", err)
	}
	return fixtures, nil
}

// loadFixtures loads fixtures (of file) into the service's store when it
// has no users: a server restarted on its database keeps what it has. Its
// errors leave the flag to the caller, as readFixtures's do.
func loadFixtures(ctx context.Context, logger *slog.Logger, service *graphprofile.Service, file string, fixtures graphprofile.Fixtures) error {
	// The check and the load are one transaction: servers that share a
	// PostgreSQL database and start at once with the same file load it
	// once; each of the others finds the users of the one that did.
	loaded, err := service.LoadFixturesIntoEmpty(ctx, fixtures)
	if err != nil {
		return fmt.Errorf("%s: nothing loaded: %s", file, graphprofile.ErrorMessage(err))
	}
	if !loaded {
		tenants, err := service.Store.Tenants(ctx)
		if err != nil {
			return err
		}
		logger.Info("fixtures not loaded: the store has users already", "fixtures", file, "tenants", len(tenants))
		return nil
	}
	users, items := 0, 0
	for _, t := range fixtures.Tenants {
		users += len(t.Users)
		for _, up := range t.Users {
			for _, pc := range up.Profile {
				items += len(pc.Items)
			}
		}
	}
	logger.Info("fixtures loaded", "fixtures", file, "tenants", len(fixtures.Tenants), "users", users, "items", items)
	return nil
}

// openForExport opens the store export reads. An SQLite database is read
// from a copy (VACUUM INTO, as graphprofile backup makes one), which the
// store then opens and brings up to date: the database itself is not
// changed (opened as a server opens it, it was migrated, so that another
// version's backup became one that version refused, and left a lock file
// beside it), a read-only one is read, and a server may serve it
// meanwhile: the export is of one moment. done closes the store and
// removes the copy.
func openForExport(ctx context.Context, loc storeLocation) (graphprofile.Store, func(), error) {
	if loc.kind != "sqlite" {
		s, err := loc.open(ctx)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	}
	// In the temporary directory, or where the command runs when there
	// is none (the container image has no /tmp).
	dir, err := os.MkdirTemp("", "graphprofile-export-")
	if err != nil {
		if dir, err = os.MkdirTemp(".", ".graphprofile-export-"); err != nil {
			return nil, nil, fmt.Errorf("export: a directory for the copy it reads: %w", err)
		}
	}
	copied := filepath.Join(dir, "export.db")
	if err := sqlite.Backup(ctx, loc.file, copied); err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("export: %w", err)
	}
	s, err := sqlite.Open(ctx, copied)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("export: the copy of %s: %w", loc.file, err)
	}
	return s, func() {
		s.Close()
		os.RemoveAll(dir)
	}, nil
}

// memoryTokenLifetime is how long the tokens serve prints for a server in
// memory last: a working day of tests.
const memoryTokenLifetime = 24 * time.Hour

// printMemoryTokens writes to standard output, not to the log (tokens are
// secrets; the log may be kept), two tokens of the development issuer dev
// as shell assignments: a delegated one of graphprofile token's default
// user (User.ReadWrite), and an application one with User.ReadWrite.All,
// both of graphprofile token's default tenant.
func printMemoryTokens(env *environment, dev *token.DevIssuer) error {
	for _, t := range []struct {
		name string
		req  token.MintRequest
	}{
		{"GRAPHPROFILE_TOKEN", token.MintRequest{TenantID: defaultTenant, ObjectID: defaultUser, UserPrincipalName: defaultUPN,
			DisplayName: defaultName, Scopes: []string{"User.ReadWrite"}, Expires: memoryTokenLifetime}},
		{"GRAPHPROFILE_APP_TOKEN", token.MintRequest{TenantID: defaultTenant, DisplayName: "graphprofile tests",
			AppID: memoryAppID, Roles: []string{"User.ReadWrite.All"}, Expires: memoryTokenLifetime}},
	} {
		jwt, err := dev.Mint(t.req)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(env.stdout, "%s=%s\n", t.name, jwt); err != nil {
			return err
		}
	}
	return nil
}

// memoryAppID is the application (client) id of GRAPHPROFILE_APP_TOKEN.
const memoryAppID = "00000000-0000-4000-8000-0000000000a1"

func runExport(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	storeURL := fs.String("store", defaultStore, "the store to export, a `URL` as given to serve: sqlite:PATH or postgres://…")
	out := "-"
	if err := parseFlagsWithArgs(fs, env, args, "[flags] [FILE]\n\nWrites every user of every tenant of the store and their profiles as a fixtures file\n(docs/fixtures.md), which serve --fixtures loads again: to FILE, or standard output\nwithout FILE or with '-'. Export a store no server writes to.", func(rest []string) error {
		switch len(rest) {
		case 0:
		case 1:
			out = rest[0]
		default:
			return errors.New("export: give at most one FILE (or - for standard output)")
		}
		return nil
	}); err != nil {
		return err
	}
	loc, err := env.parseStore(*storeURL, persistentStore)
	if err != nil {
		return err
	}
	if err := loc.persistent(env, "export", persistentStore); err != nil {
		return err
	}
	if err := loc.existing(ctx, "export"); err != nil {
		return err
	}
	if err := loc.refuseOwnFile("export", out); err != nil {
		return err
	}
	store, done, err := openForExport(ctx, loc)
	if err != nil {
		return err
	}
	defer done()
	// Written as it is read, user by user: the store is never held whole.
	write := func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 256<<10)
		if err := graphprofile.WriteFixtures(ctx, store, bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	if out == "-" {
		failOnBrokenPipe()
		if err := write(env.stdout); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return nil
	}
	if info, err := os.Stat(out); err == nil && !info.Mode().IsRegular() {
		// A pipe, a device or /dev/stdout (a link to one): written into, not
		// replaced by a new file its reader never sees.
		f, err := os.OpenFile(out, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := write(f); err != nil {
			f.Close()
			return fmt.Errorf("export: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return nil
	}
	// A link is followed: the file it names is replaced, and the link
	// stays. A new file put in the link's place cut it off from its file,
	// and /dev/stdout (a link to /proc/self/fd/1) of `export /dev/stdout >
	// out.json` names a regular file: as root, /dev/stdout was replaced
	// and out.json left empty. A link to a file not made yet is followed
	// too: the file is made where it points (as a shell's `> link` makes
	// it).
	if target, err := dbpath.Real(out); err == nil {
		out = target
	}
	if err := writeAtomically(out, write); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// writeAtomically writes a new file beside path with write, syncs it and
// renames it to path, then syncs the directory: path is never
// half-written, and is there after a power cut once this returns. A
// failure (a full disk, or write's own) removes the new file, rather than
// leave a part of it on a disk with no room.
func writeAtomically(path string, write func(io.Writer) error) error {
	f, err := durable.CreateBeside(path, "")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return durable.SyncDir(filepath.Dir(path))
}
