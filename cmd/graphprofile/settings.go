package main

import (
	"flag"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// setting names where the value of the flag name came from, for an error
// about it: its environment variable when parseFlags took it from there,
// else --name.
func (env *environment) setting(name string) string {
	if env.fromEnvironment[name] {
		return envName(name)
	}
	return "--" + name
}

// settingValue is setting with the value as the error shows it (shown:
// formatted, and redacted where it may hold a secret): GRAPHPROFILE_NAME=shown
// or --name shown.
func (env *environment) settingValue(name, shown string) string {
	if env.fromEnvironment[name] {
		return envName(name) + "=" + shown
	}
	return "--" + name + " " + shown
}

// otherVariables are the GRAPHPROFILE_ variables that are no flag's and yet
// no typing mistake: serve --store memory: prints GRAPHPROFILE_TOKEN and
// GRAPHPROFILE_APP_TOKEN for a shell to export, and the tests read the rest.
var otherVariables = []string{
	"GRAPHPROFILE_TOKEN", "GRAPHPROFILE_APP_TOKEN",
	"GRAPHPROFILE_TEST_POSTGRES", "GRAPHPROFILE_TEST_POSTGRES_BIN",
	"GRAPHPROFILE_WAL_LOAD", "GRAPHPROFILE_SQLITE_HELPER_DB", "GRAPHPROFILE_UPDATE_SCREENSHOTS",
}

// flagVariables are the variables of every command's flags: a variable of
// another command (GRAPHPROFILE_TENANT of token while serve runs) is no
// mistake either. TestEnvironmentWarnings keeps it equal to what the
// commands' --help lists.
var flagVariables = []string{
	// serve
	"GRAPHPROFILE_LISTEN", "GRAPHPROFILE_STORE", "GRAPHPROFILE_FIXTURES", "GRAPHPROFILE_PUBLIC_URL",
	"GRAPHPROFILE_MAX_CONNECTIONS", "GRAPHPROFILE_MAX_EVALUATIONS", "GRAPHPROFILE_MAX_ITEMS", "GRAPHPROFILE_TRUST_PROXY",
	"GRAPHPROFILE_LOG_LEVEL", "GRAPHPROFILE_LOG_FORMAT", "GRAPHPROFILE_ADMIN_TOKEN",
	"GRAPHPROFILE_JOURNAL_SIZE", "GRAPHPROFILE_DRAIN_TIMEOUT", "GRAPHPROFILE_CPUPROFILE",
	"GRAPHPROFILE_TLS_CERT", "GRAPHPROFILE_TLS_KEY", "GRAPHPROFILE_TLS_SELF_SIGNED",
	"GRAPHPROFILE_DEV_ISSUER", "GRAPHPROFILE_CORS_ORIGINS", "GRAPHPROFILE_ISSUERS",
	"GRAPHPROFILE_THROTTLE", "GRAPHPROFILE_THROTTLE_LIMIT", "GRAPHPROFILE_FAULTS", "GRAPHPROFILE_FAULTS_SEED",
	"GRAPHPROFILE_METRICS_LISTEN", "GRAPHPROFILE_UI",
	"GRAPHPROFILE_UI_CLIENT_ID", "GRAPHPROFILE_UI_SCOPE",
	// healthcheck
	"GRAPHPROFILE_URL", "GRAPHPROFILE_TIMEOUT",
	// token, users import and export (besides GRAPHPROFILE_STORE and GRAPHPROFILE_ISSUERS)
	"GRAPHPROFILE_TENANT", "GRAPHPROFILE_USER", "GRAPHPROFILE_UPN", "GRAPHPROFILE_NAME",
	"GRAPHPROFILE_SCOPES", "GRAPHPROFILE_APP", "GRAPHPROFILE_ROLES", "GRAPHPROFILE_EXPIRES",
}

// warnUnknownVariables warns on stderr of each GRAPHPROFILE_ variable of the
// environment (in any case) that graphprofile does not read, naming the
// known one nearest to it, since a misspelled setting would otherwise be
// ignored without a word. The variables of fs come first among equally
// near ones.
func (env *environment) warnUnknownVariables(fs *flag.FlagSet) {
	if env.environ == nil {
		return
	}
	var known []string
	fs.VisitAll(func(f *flag.Flag) { known = append(known, envName(f.Name)) })
	known = append(known, flagVariables...)
	known = append(known, otherVariables...)
	for _, kv := range env.environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(strings.ToUpper(name), "GRAPHPROFILE_") || slices.Contains(known, name) {
			continue
		}
		warning := fmt.Sprintf("%s is no setting of graphprofile and is ignored; did you mean %s?", name, nearest(name, known))
		if env.holdWarnings {
			env.warnings = append(env.warnings, warning)
			continue
		}
		fmt.Fprintf(env.stderr, "graphprofile: warning: %s\n", warning)
	}
}

// printHeldWarnings prints the warnings held for serve's log (holdWarnings)
// as other commands print them, when serve stops before it has a log.
func (env *environment) printHeldWarnings() {
	for _, warning := range env.warnings {
		fmt.Fprintf(env.stderr, "graphprofile: warning: %s\n", warning)
	}
	env.warnings = nil
}

// nearest is the one of candidates with the fewest single-letter edits from
// name, in any case; the first of them on a tie.
func nearest(name string, candidates []string) string {
	name = strings.ToUpper(name)
	best, bestDistance := "", -1
	for _, c := range candidates {
		if d := editDistance(name, c); bestDistance < 0 || d < bestDistance {
			best, bestDistance = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b: the fewest
// insertions, deletions and substitutions of a byte that turn a into b.
func editDistance(a, b string) int {
	previous := make([]int, len(b)+1)
	current := make([]int, len(b)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(a); i++ {
		current[0] = i
		for j := 1; j <= len(b); j++ {
			substitution := previous[j-1]
			if a[i-1] != b[j-1] {
				substitution++
			}
			current[j] = min(previous[j]+1, current[j-1]+1, substitution)
		}
		previous, current = current, previous
	}
	return previous[len(b)]
}

// printFlags writes the --help of fs's flags: each flag with its
// environment variable, its usage and its default.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		valueName, usage := flag.UnquoteUsage(f)
		value := valueName
		if value == "" { // a bool flag
			valueName, value = "", "true"
		} else {
			valueName = " " + valueName
		}
		fmt.Fprintf(w, "  --%s%s | %s=%s\n", f.Name, valueName, envName(f.Name), value)
		fmt.Fprintf(w, "    \t%s", strings.ReplaceAll(usage, "\n", "\n    \t"))
		if def := defaultOf(f); def != "" {
			fmt.Fprintf(w, " (default %s)", def)
		}
		fmt.Fprintln(w)
	})
	if hasFlags(fs) {
		fmt.Fprintln(w, "\nA flag wins over its environment variable.")
	}
}

// defaultOf is the default of f as --help shows it: quoted for a string,
// "" when it is the zero value of its type (as flag.PrintDefaults does).
func defaultOf(f *flag.Flag) string {
	getter, ok := f.Value.(flag.Getter)
	if !ok {
		return f.DefValue // a value type of ours, e.g. listFlag: "" when empty
	}
	zero := reflect.New(reflect.TypeOf(getter.Get())).Elem()
	if fmt.Sprint(zero.Interface()) == f.DefValue {
		return ""
	}
	if _, isString := getter.Get().(string); isString {
		return fmt.Sprintf("%q", f.DefValue)
	}
	return f.DefValue
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// quoteValue quotes a setting's value for a message: as Go quotes it when
// it holds a quote, a control character or bytes that are not UTF-8, else
// between plain double quotes, so that a Windows path reads as it was
// typed (Go's quoting doubles each backslash: "C:\\data\\g.db").
func quoteValue(v string) string {
	if utf8.ValidString(v) && !strings.ContainsFunc(v, func(r rune) bool { return r == '"' || !unicode.IsPrint(r) }) {
		return `"` + v + `"`
	}
	return strconv.Quote(v)
}
