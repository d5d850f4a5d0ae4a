package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/graphprofile/graphprofile/sqlite"
)

// pgDumpAdvice is what backup and restore say of a PostgreSQL store:
// PostgreSQL's own tools back it up, online and consistent.
const pgDumpAdvice = "a PostgreSQL store is backed up with PostgreSQL's tools, online: pg_dump --format=custom --file=FILE 'postgres://…', and restored with pg_restore --clean --if-exists --dbname='postgres://…' FILE (docs/operations.md)"

func runBackup(ctx context.Context, env *environment, args []string) error {
	loc, file, err := backupArgs(env, "backup", args, "[flags] FILE\n\nWrites a consistent copy of the SQLite store to the new FILE, while a server serves it:\nevery write acknowledged before the backup began is in the copy. 'graphprofile restore' puts it back.")
	if err != nil {
		return err
	}
	if err := loc.existing(ctx, "backup"); err != nil {
		return err
	}
	if err := sqlite.Backup(ctx, loc.path, file); err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.stdout, "backed up %s to %s\n", loc, file)
	return err
}

func runRestore(ctx context.Context, env *environment, args []string) error {
	loc, file, err := backupArgs(env, "restore", args, "[flags] FILE\n\nReplaces the SQLite store with FILE, a copy 'graphprofile backup' made, once its server\nhas stopped (it refuses while the database is in use). What the store held is lost:\nback it up first.")
	if err != nil {
		return err
	}
	if err := sqlite.Restore(ctx, loc.path, file); err != nil {
		if errors.Is(err, sqlite.ErrInUse) {
			return fmt.Errorf("restore: %s is in use by another process: stop its server first", loc)
		}
		return err
	}
	_, err = fmt.Fprintf(env.stdout, "restored %s from %s\n", loc, file)
	return err
}

// backupArgs parses the flags and FILE of backup and restore (what), and
// refuses the stores they do not handle.
func backupArgs(env *environment, what string, args []string, synopsis string) (storeLocation, string, error) {
	fs := flag.NewFlagSet(what, flag.ContinueOnError)
	storeURL := fs.String("store", defaultStore, "the store `URL` (as given to serve): sqlite:PATH")
	var file string
	err := parseFlagsWithArgs(fs, env, args, synopsis, func(rest []string) error {
		if len(rest) != 1 {
			return fmt.Errorf("%s: give one FILE", what)
		}
		file = rest[0]
		return nil
	})
	if err != nil {
		return storeLocation{}, "", err
	}
	loc, err := env.parseStore(*storeURL, sqliteStore)
	if err != nil {
		return storeLocation{}, "", err
	}
	if err := loc.persistent(env, what, sqliteStore); err != nil {
		return storeLocation{}, "", err
	}
	if loc.kind == "postgres" {
		return storeLocation{}, "", fmt.Errorf("%s: %s", what, pgDumpAdvice)
	}
	if err := loc.refuseOwnFile(what, file); err != nil {
		return storeLocation{}, "", err
	}
	return loc, file, nil
}
