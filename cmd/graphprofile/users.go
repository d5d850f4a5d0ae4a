package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/postgres"
	"github.com/graphprofile/graphprofile/token"
)

// maxImportLine bounds one line of an import file, like a request body.
const maxImportLine = 1 << 20

func runUsers(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.stdout, "Usage: graphprofile users import [flags] FILE")
		fmt.Fprintln(env.stdout, "\n  import   load users (JSON lines, one user a line) into a tenant, all or nothing")
		if len(args) == 0 {
			return errors.New("users: no subcommand given; see the list above")
		}
		return nil
	}
	if args[0] != "import" {
		return fmt.Errorf("users: unknown subcommand %q; run 'graphprofile users --help'", args[0])
	}
	return runUsersImport(ctx, env, args[1:])
}

func runUsersImport(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("users import", flag.ContinueOnError)
	storeURL := fs.String("store", defaultStore, "where data lives, a `URL` as given to serve: sqlite:PATH or postgres://…")
	tenant := fs.String("tenant", defaultTenant, "tenant `id` the users belong to: 1 to 64 letters, digits and hyphens, as a token's tid")
	// A list read as serve reads it, so that the GRAPHPROFILE_ISSUERS a
	// server runs with means the same here; a tenant has one issuer, so
	// more than one is refused below.
	var issuers listFlag
	fs.Var(&issuers, "issuer", "the --issuer `URL` of serve that speaks for the tenant (default: the development issuer): a tenant id names a tenant only together with its issuer")
	var file string
	if err := parseFlagsWithArgs(fs, env, args, "[flags] FILE\n\nFILE holds one user a line, as the JSON body of POST /users (id, displayName, userPrincipalName,\nmail, mailNickname, givenName, surname, jobTitle, accountEnabled, and the people directory's\nbusinessPhones, mobilePhone, officeLocation, preferredLanguage, usageLocation, department,\ncompanyName, employeeId, employeeType, employeeHireDate, city, state, country, streetAddress,\npostalCode, faxNumber; passwordProfile is accepted and dropped); '-' reads standard input.\nUsers with an id already there are replaced. Any bad line imports nothing.", func(rest []string) error {
		if len(rest) != 1 {
			return errors.New("users import: give exactly one FILE (or - for standard input)")
		}
		file = rest[0]
		return nil
	}); err != nil {
		return err
	}
	// A tenant a token's tid can name, as a fixtures file's: users put
	// anywhere else no token would ever reach.
	if !graphprofile.ValidTenantID(*tenant) {
		return fmt.Errorf("%s: not a tenant id: 1 to 64 letters, digits and hyphens, as a token's tid", env.settingValue("tenant", quoteValue(*tenant)))
	}
	if len(issuers) > 1 {
		return fmt.Errorf("%s: users import takes one issuer, the tenant's; give the one of them that speaks for the tenant", env.settingValue("issuer", quoteValue(issuers.String())))
	}
	loc, err := env.parseStore(*storeURL, persistentStore)
	if err != nil {
		return err
	}
	if err := loc.persistent(env, "users import", persistentStore); err != nil {
		return err
	}
	in := io.Reader(os.Stdin)
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("users import: %w", err)
		}
		defer f.Close()
		// Found before the store is opened, which creates a database.
		if info, err := f.Stat(); err == nil && info.IsDir() {
			return fmt.Errorf("users import: %s is a directory; give a file of users", file)
		}
		in = f
	}
	principal := graphprofile.Principal{TenantID: *tenant}
	ofIssuer := "" // the success line's
	if len(issuers) == 1 {
		iss, err := token.NewOIDCIssuer(issuers[0], token.OIDCOptions{})
		if err != nil {
			return fmt.Errorf("%s: %w", env.settingValue("issuer", issuers[0]), err)
		}
		principal.Realm = iss.Realm()
		ofIssuer = " of issuer " + issuers[0]
	}
	tenantKey := principal.TenantKey()
	// No limit on PostgreSQL: the import is one transaction, which the
	// operator who started it may interrupt; a big file is not cut off
	// at the limit of a server's load.
	store, err := loc.openWith(ctx, []postgres.Option{postgres.WithBulkTimeout(0)})
	if err != nil {
		return err
	}
	defer store.Close()
	// The file is read as the store writes it, line by line, in the
	// import's one transaction: memory is a line's and the ids and
	// principal names read (graphprofile.ImportSeen), not the file's (it
	// held the whole file, decoded: 793 MiB at its peak for a file of 146
	// MiB on SQLite, 1.8 GiB on PostgreSQL). A bad line ends the writing,
	// the rest is read for the report, and the store rolls back.
	r := newImportReader(in, tenantKey)
	if err := store.ImportUserStream(ctx, tenantKey, r.users); err != nil {
		if r.err != nil && errors.Is(err, r.err) {
			return r.err
		}
		var conflict *graphprofile.ConflictError
		if errors.As(err, &conflict) {
			return fmt.Errorf("users import: line %d: another user of the tenant has %s %q; nothing imported",
				r.lineOf(conflict), conflict.Property, conflict.Value)
		}
		return fmt.Errorf("users import: %w", err)
	}
	_, err = fmt.Fprintf(env.stdout, "imported %d users into tenant %s%s\n", r.imported, *tenant, ofIssuer)
	return err
}

// importReader reads an import file: one POST /users body a line, blank
// lines skipped. It reports every bad line (by number, in order) in one
// error, so a file is fixed in one go; a line that repeats an earlier
// line's id or principal name (as graphprofile.ImportConflicts finds) is a
// bad line. It keeps the line of each id and principal name (a few dozen
// bytes a user), not the users.
type importReader struct {
	scanner  *bufio.Scanner
	tenantID string
	seen     *graphprofile.ImportSeen // the line of each id and principal name read
	imported int                      // the users yielded
	err      error                    // the error users yielded, if it did
}

func newImportReader(in io.Reader, tenantID string) *importReader {
	scanner := bufio.NewScanner(in)
	// Room for the line's end too ("\r\n"): a line of maxImportLine bytes
	// is one; longer ones are refused below, or by the scanner itself.
	scanner.Buffer(make([]byte, 64*1024), maxImportLine+2)
	return &importReader{scanner: scanner, tenantID: tenantID, seen: graphprofile.NewImportSeen(0)}
}

// users yields the users of the file, in order (a Store.ImportUserStream
// stream), until a bad line; then it reads on, to find every bad line,
// and yields the error that names them (r.err), as it does an error of
// reading the file.
func (r *importReader) users(yield func(graphprofile.User, error) bool) {
	fail := func(err error) {
		r.err = err
		yield(graphprofile.User{}, err)
	}
	tooLong := func(line int) {
		fail(fmt.Errorf("users import: line %d: longer than %d bytes (a line is at most 1 MiB, as a request body); nothing imported", line, maxImportLine))
	}
	const shown = 20
	var problems []string // the first shown bad lines
	bad := 0
	problem := func(line int, text string) {
		if bad++; bad <= shown {
			problems = append(problems, fmt.Sprintf("line %d: %s", line, text))
		}
	}
	n := 0
	for r.scanner.Scan() {
		n++
		if len(r.scanner.Bytes()) > maxImportLine {
			tooLong(n)
			return
		}
		line := r.scanner.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, graphprofile.ByteOrderMark)
		}
		text := strings.TrimSpace(line)
		if text == "" {
			continue
		}
		body, err := graphprofile.DecodeBody(graphprofile.UserType, []byte(text))
		if err != nil {
			problem(n, graphprofile.ErrorMessage(err))
			continue
		}
		u, err := graphprofile.NewUser(r.tenantID, body)
		if err != nil {
			problem(n, graphprofile.ErrorMessage(err))
			continue
		}
		if earlier, conflict := r.seen.Add(n, u); conflict != nil {
			problem(n, fmt.Sprintf("%s %s is also on line %d", conflict.Property, conflict.Value, earlier))
			continue
		}
		if bad > 0 {
			continue // nothing is imported: the rest is read for the report only
		}
		if !yield(u, nil) {
			return // the store failed: it says why
		}
		r.imported++
	}
	if err := r.scanner.Err(); errors.Is(err, bufio.ErrTooLong) {
		// The scanner stops at such a line: the ones after it are not read.
		tooLong(n + 1)
		return
	} else if err != nil {
		fail(fmt.Errorf("users import: after line %d: %w", n, err))
		return
	}
	if bad > 0 {
		more := ""
		if bad > shown {
			more = fmt.Sprintf("; and %d more", bad-shown)
		}
		lines := "lines"
		if bad == 1 {
			lines = "line"
		}
		fail(fmt.Errorf("users import: %d bad %s, nothing imported: %s%s", bad, lines, strings.Join(problems, "; "), more))
	}
}

// lineOf finds the line of the user a conflict names.
func (r *importReader) lineOf(conflict *graphprofile.ConflictError) int {
	line, _ := r.seen.Number(conflict)
	return line
}
