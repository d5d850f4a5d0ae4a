// Command graphprofile runs the graphprofile server and its tools.
//
//	graphprofile serve   serve the Graph API (embedded SQLite by default)
//	graphprofile token   mint a development access token that serve accepts
//	graphprofile version print the version, the Go version and the store drivers
//	graphprofile healthcheck   exit 0 when a running server answers /healthz
//
// Every flag can also be given as an environment variable GRAPHPROFILE_<NAME>
// (e.g. --public-url as GRAPHPROFILE_PUBLIC_URL); a flag wins over the
// environment. An error about a value names where it came from (the flag or
// the variable), and an unknown GRAPHPROFILE_ variable is a warning.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// command is one subcommand: its flags are set up by flags, then run does the work.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

// environment is what a command may touch of the process: no globals.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// environ lists the variables of the environment ("NAME=value" each),
	// for the warning about unknown GRAPHPROFILE_ variables.
	environ func() []string
	// secrets hides the store URL's credentials in what is printed (see
	// hideSecretsOf); nil while there are none.
	secrets *strings.Replacer
	// storeShown is the store URL as printed (redact), which the database
	// driver's own quotation of it is replaced by (see scrub).
	storeShown string
	// fromEnvironment holds the flags whose value parseFlags took from
	// their environment variable, so that an error about a value names what
	// the user set (GRAPHPROFILE_LOG_LEVEL, not a --log-level never given).
	fromEnvironment map[string]bool
	// holdWarnings: the warnings about the environment are gathered in
	// warnings instead of printed, for serve to log in its log's format
	// once it has one (and to print, as others do, when it stops before).
	holdWarnings bool
	warnings     []string
}

var commands = []command{
	{name: "serve", summary: "serve the Microsoft Graph beta user-profile API: every collection of the profile, and the users directory", run: runServe},
	{name: "token", summary: "mint a development access token that serve accepts", run: runToken},
	{name: "users", summary: "manage the users directory: users import FILE", run: runUsers},
	{name: "export", summary: "write the users and profiles of a store as a fixtures file (serve --fixtures)", run: runExport},
	{name: "backup", summary: "copy an SQLite store while it serves: backup --store sqlite:PATH FILE", run: runBackup},
	{name: "restore", summary: "put a backup back once the server has stopped: restore --store sqlite:PATH FILE", run: runRestore},
	{name: "version", summary: "print the version, the Go version and the store drivers (also --version)", run: runVersion},
	{name: "healthcheck", summary: "exit 0 when a running server answers /healthz (a container's HEALTHCHECK)", run: runHealthcheck},
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	// SIGHUP too: a terminal that closes (or a supervisor that sends it)
	// stops the server as Ctrl-C would, the store closed, not killed. Not
	// when it was ignored at start (nohup): asking for it would undo that.
	if !signal.Ignored(syscall.SIGHUP) {
		signal.Notify(signals, syscall.SIGHUP)
	}
	go func() {
		// The first signal starts a graceful shutdown; a second one ends
		// the process at once instead of waiting out the drain timeout.
		<-signals
		cancel()
		endBySignal((<-signals).(syscall.Signal))
	}()
	env := &environment{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, environ: os.Environ}
	if err := run(ctx, env, os.Args[1:]); err != nil {
		if !errors.As(err, new(loggedError)) {
			fmt.Fprintf(os.Stderr, "graphprofile: %s\n", env.errorLine(err))
		}
		os.Exit(1)
	}
}

// loggedError is an error a command has already written to its log (serve
// --log-format json): main exits 1 without printing it again.
type loggedError struct{ err error }

func (e loggedError) Error() string { return e.err.Error() }
func (e loggedError) Unwrap() error { return e.err }

func run(ctx context.Context, env *environment, args []string) error {
	if len(args) > 1 && args[0] == "help" { // help serve: serve --help
		return run(ctx, env, append(slices.Clone(args[1:]), "--help"))
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stdout)
		if len(args) == 0 {
			return errors.New("no command given; see the list above")
		}
		return nil
	}
	if args[0] == "--version" || args[0] == "-version" {
		return helpShown(runVersion(ctx, env, args[1:]))
	}
	for _, c := range commands {
		if c.name == args[0] {
			return helpShown(c.run(ctx, env, args[1:]))
		}
	}
	return fmt.Errorf("unknown command %q; run 'graphprofile --help' for the list", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "graphprofile: the Microsoft Graph beta user-profile API, self-hosted.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: graphprofile <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'graphprofile <command> --help' for a command's flags.")
}

// parseFlags parses args into fs, then fills the flags the command line left
// unset from the environment (GRAPHPROFILE_<FLAG_NAME>), so that flags win:
// an environment variable a flag overrides is not even read, and a bad value
// in it does no harm. It first warns of GRAPHPROFILE_ variables no command
// reads. --help prints the flags and their variables to stdout and returns
// errHelp.
func parseFlags(fs *flag.FlagSet, env *environment, args []string, synopsis string) error {
	return parseFlagsWithArgs(fs, env, args, synopsis, nil)
}

// parseInterleaved parses args as fs's flags wherever they are among the
// command's arguments (FILE --store …, as --store … FILE: the flag package
// stops at the first argument), and returns the arguments in order; after
// "--" everything is an argument.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		consumed := args[:len(args)-fs.NArg()]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(rest, fs.Args()...), nil
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// flagError is the flag package's error about a flag, naming it as the
// commands' other errors and their --help do (--name, not -name), and the
// --help that lists the command's flags.
func flagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Errorf("unknown flag --%s; see 'graphprofile %s --help'", name, fs.Name())
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Errorf("--%s needs a value; see 'graphprofile %s --help'", name, fs.Name())
	}
	return err
}

// parseFlagsWithArgs is parseFlags for a command that takes arguments after
// its flags: positional receives them (nil: the command takes none).
func parseFlagsWithArgs(fs *flag.FlagSet, env *environment, args []string, synopsis string, positional func([]string) error) error {
	env.warnUnknownVariables(fs)
	fs.SetOutput(io.Discard)
	var bad badValue
	unwrap := wrapValues(fs, &bad)
	defer unwrap()
	rest, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		unwrap() // --help names the values by their own types
		fmt.Fprintf(env.stdout, "Usage: graphprofile %s %s\n\n", fs.Name(), synopsis)
		printFlags(env.stdout, fs)
		return errHelp
	}
	if err != nil && bad.flag != "" {
		return fmt.Errorf("%s: %s", env.settingValue(bad.flag, quoteValue(bad.value)), bad.want)
	}
	if err != nil {
		return flagError(fs, err)
	}
	if positional != nil {
		if err := positional(rest); err != nil {
			return err
		}
	} else if len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q", rest[0])
	}
	onCommandLine := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if envErr != nil || onCommandLine[f.Name] {
			return
		}
		if v := env.getenv(envName(f.Name)); v != "" {
			if env.fromEnvironment == nil {
				env.fromEnvironment = make(map[string]bool)
			}
			env.fromEnvironment[f.Name] = true
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s: %s", env.settingValue(f.Name, quoteValue(v)), bad.want)
				return
			}
		}
	})
	return envErr
}

// badValue is the value of a flag that did not parse, and what the flag
// wants instead, as wantedValue records it.
type badValue struct {
	flag, value, want string
}

// wantedValue is a flag's value while parseFlags sets it: a value that does
// not parse is recorded in bad, so that the error names the flag with two
// dashes (or its variable) and says what was wanted, where the flag
// package says `invalid value "abc" for flag -max-items: parse error`.
type wantedValue struct {
	flag.Value
	name string
	bad  *badValue
}

func (v wantedValue) Set(s string) error {
	err := v.Value.Set(s)
	if err != nil {
		*v.bad = badValue{flag: v.name, value: s, want: wanted(v.Value, err)}
	}
	return err
}

// IsBoolFlag keeps a bool flag one that takes no value on the command line.
func (v wantedValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// wrapValues puts a wantedValue around each value of fs until the returned
// unwrap (which may be called more than once) puts the values back: --help
// and flag.UnquoteUsage tell a value's kind by its own type.
func wrapValues(fs *flag.FlagSet, bad *badValue) (unwrap func()) {
	own := make(map[*flag.Flag]flag.Value)
	fs.VisitAll(func(f *flag.Flag) {
		own[f] = f.Value
		f.Value = wantedValue{Value: f.Value, name: f.Name, bad: bad}
	})
	return func() {
		for f, v := range own {
			f.Value = v
		}
	}
}

// wanted says what a flag of value's type takes, for an error about a value
// it refused with err.
func wanted(value flag.Value, err error) string {
	getter, ok := value.(flag.Getter)
	if !ok {
		return err.Error() // a value type of ours, whose errors say it
	}
	switch getter.Get().(type) {
	case bool:
		return "want true or false"
	case int, int64:
		return "want a whole number" + outOfRange(err)
	case uint, uint64:
		return "want a whole number, 0 or more" + outOfRange(err)
	case float64:
		return "want a number" + outOfRange(err)
	case time.Duration:
		return "want a duration such as 10s, 1m30s or 2h"
	}
	return err.Error()
}

// outOfRange is what wanted adds for a number too large for its flag: the
// flag package's error then says "value out of range".
func outOfRange(err error) string {
	if strings.Contains(err.Error(), "out of range") {
		return " (this one is out of range)"
	}
	return ""
}

// errHelp ends a command after --help: parseFlags returns it, each command
// returns it as any error, and run (helpShown) makes it a success.
var errHelp = errors.New("help shown")

// helpShown is a command's error, except that errHelp is success.
func helpShown(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// envName is the environment variable of a flag: GRAPHPROFILE_ and the
// flag's name in upper case, with the plural for the repeatable --issuer.
func envName(flagName string) string {
	if flagName == "issuer" {
		return "GRAPHPROFILE_ISSUERS"
	}
	return "GRAPHPROFILE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// errorLine is the line that says why a command failed: err's message with
// the store's secrets hidden, made one line, and the secrets hidden again.
// Both times: a secret holding a control character or a line break is
// found as the message writes it, and one holding a space also where the
// message spelled that space as other spaces, which one line makes a space.
func (env *environment) errorLine(err error) string {
	return env.scrub(oneLine(env.scrub(err.Error())))
}

// oneLine keeps an error message to one line of plain text for stderr: its
// line breaks and other spaces become one space, and the other control
// characters, which a bad value of a file may bring into it, are written
// as escapes (\x1b), so that the message cannot move the terminal's
// cursor or change its colours.
func oneLine(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if !strings.ContainsFunc(text, unicode.IsControl) {
		return text
	}
	var b strings.Builder
	for _, r := range text {
		if unicode.IsControl(r) { // C0, DEL and C1: all below U+0100
			fmt.Fprintf(&b, `\x%02x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
