package main

import (
	"context"
	"fmt"
	"log/slog"
	neturl "net/url"
	"regexp"
	"slices"
	"strings"
)

// secretParameters are the store URL's query parameters that name who
// connects and how they prove it: never printed.
var secretParameters = []string{"user", "password", "sslpassword", "passfile"}

// isSecretParameter reports whether a store URL's query parameter of this
// name, as written, is one of secretParameters: in any case, and
// percent-encoded too (pass%77ord), as the drivers read it.
func isSecretParameter(name string) bool {
	if unescaped, err := neturl.QueryUnescape(name); err == nil {
		name = unescaped
	}
	for _, secret := range secretParameters {
		if strings.EqualFold(name, secret) {
			return true
		}
	}
	return false
}

// splitUserInfo splits a URL after its "scheme://" into the user info (the
// text before the '@' that ends it; empty when there is none) and the rest.
// A password may hold '@', '/' or '?' unescaped, so the user info ends at the
// first '@' whose host part (up to the next '/' or '?') holds no other '@'.
func splitUserInfo(rest string) (userinfo, after string) {
	for i := 0; i < len(rest); i++ {
		if rest[i] != '@' {
			continue
		}
		host := rest[i+1:]
		if end := strings.IndexAny(host, "/?"); end >= 0 {
			host = host[:end]
		}
		if !strings.Contains(host, "@") {
			return rest[:i], rest[i+1:]
		}
	}
	return "", rest
}

// secretKeywords matches a secretParameter written as libpq's keyword/value
// form writes it (password=x, password = 'x y'), with its value: a single-
// quoted one with its backslash escapes, or a run of non-spaces.
var secretKeywords = regexp.MustCompile(`(?i)\b(` + strings.Join(secretParameters, "|") + `)(\s*=\s*)('(?:[^'\\]|\\.)*'?|\S*)`)

// redact hides the credentials in a store URL before it is printed: the user
// info wholly, and the values of secretParameters. A value that is not a
// URL (one --store refuses, printed in the refusal) may still hold a
// password: in libpq's keyword/value form (password=…), or in user info
// after a scheme without its "//" (postgres:bob:pw@host); those are hidden
// too.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return redactNotURL(url)
	}
	userinfo, rest := splitUserInfo(rest)
	if base, _, _ := strings.Cut(rest, "?"); strings.Contains(userinfo, "?") || strings.Contains(base, "@") {
		// The URL reads two ways, and either side of an '@' may be the
		// secret: nothing is shown. A '?' before the user info's end is a
		// password holding '?' or a parameter's value holding '@'
		// (postgres://db?password=hun@ter2, which libpq reads as the user
		// "db?password=hun" on the host "ter2"; postgres://db/x?password=hun@q8).
		// An '@' left in the path is a password holding '@' and '/'
		// (postgres://alice:p@ss/word@db/x) or a database name holding '@'.
		return scheme + "://***"
	}
	if userinfo != "" || strings.HasPrefix(rest, "@") {
		rest = "***@" + rest
	}
	base, query, hasQuery := strings.Cut(rest, "?")
	if !hasQuery {
		return scheme + "://" + base
	}
	params := strings.Split(query, "&")
	for i, param := range params {
		if name, _, _ := strings.Cut(param, "="); isSecretParameter(name) {
			params[i] = name + "=***"
		}
	}
	return scheme + "://" + base + "?" + strings.Join(params, "&")
}

// redactNotURL is redact for a value without "://": the values of
// secretParameters written as keyword=value, and the text from the first
// ':' to the '@' that ends a user info (which may spell a scheme, a user
// and a password: nothing tells them apart).
func redactNotURL(value string) string {
	value = secretKeywords.ReplaceAllString(value, "${1}${2}***")
	before, after, ok := strings.Cut(value, ":")
	if !ok {
		return value
	}
	if userinfo, host := splitUserInfo(after); userinfo != "" {
		return before + ":***@" + host
	}
	return value
}

// secrets are the pieces of url that no output may show, as written and
// unescaped: the user name and password, and the values of
// secretParameters. Pieces under minSecretLength are left out: hiding every
// "u" of a message would garble it, and the driver already masks passwords
// in its own messages.
func secrets(url string) []string {
	const minSecretLength = 3
	_, afterScheme, ok := strings.Cut(url, "://")
	if !ok {
		return nil
	}
	userinfo, rest := splitUserInfo(afterScheme)
	user, password, _ := strings.Cut(userinfo, ":")
	found := []string{userinfo, user, password}
	// A driver may read an '@' in the password as the end of the user info,
	// and print the rest as part of the host name: hide every piece.
	pieces := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == '@' || r == ':' })
	}
	found = append(found, pieces(userinfo)...)
	// A password holding '@' and then '/' (alice:hun@ter2/x@db/x): the user
	// info ends at the first '@' to the drivers, which name what follows
	// as the host ("lookup ter2") and the database. The user info may end
	// at the last '@' before the query: hide its pieces too.
	if base, _, _ := strings.Cut(afterScheme, "?"); strings.Count(base, "@") > 1 {
		longest := base[:strings.LastIndex(base, "@")]
		found = append(found, longest)
		found = append(found, strings.FieldsFunc(longest, func(r rune) bool { return r == '@' || r == ':' || r == '/' })...)
	}
	// libpq (and pgx) end the user info at the first '@' before a '/': the
	// host they then read runs to the next ':', '/', '?' or ','. One holding
	// an '@' begins with the rest of the password, which their errors name
	// with it ("lookup z7@db"): hide that host whole, since a tail shorter
	// than minSecretLength is not hidden on its own.
	if at := strings.IndexAny(afterScheme, "@/"); at >= 0 && afterScheme[at] == '@' {
		host := afterScheme[at+1:]
		if end := strings.IndexAny(host, ":/?,"); end >= 0 {
			host = host[:end]
		}
		if strings.Contains(host, "@") {
			found = append(found, host)
		}
	}
	// The parameters after the user info, and as RFC 3986 reads them, from
	// the first '?': with no path, libpq takes an '@' in a parameter's value
	// for the end of the user info, and names what follows it as the host.
	var queries []string
	for _, s := range []string{rest, afterScheme} {
		if _, query, ok := strings.Cut(s, "?"); ok {
			queries = append(queries, query)
		}
	}
	for _, query := range queries {
		for param := range strings.SplitSeq(query, "&") {
			if name, value, _ := strings.Cut(param, "="); isSecretParameter(name) {
				found = append(found, value)
				found = append(found, pieces(value)...)
			}
		}
	}
	var out []string
	for _, s := range found {
		if unescaped, err := neturl.PathUnescape(s); err == nil && unescaped != s {
			found = append(found, unescaped)
		}
	}
	// Each as a one-line error writes it too (errorLine hides the secrets
	// again once it is one line): a secret holding white space or a control
	// character may be spelled with other spaces, which one line makes the
	// same.
	for _, s := range found {
		if written := oneLine(s); written != s {
			found = append(found, written)
		}
	}
	for _, s := range found {
		if len(s) >= minSecretLength && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	// Longest first, so that a password is hidden whole before a part of it
	// that is also the user name.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// hideSecretsOf makes everything env prints from now on (the error
// a command ends with, every log line) hide the secrets of the store URL
// url: the database driver's own messages repeat parts of it.
func (env *environment) hideSecretsOf(url string) {
	hidden := secrets(url)
	if len(hidden) == 0 {
		return
	}
	// The stores' schemes first, each replaced by itself: a replacer
	// matches in argument order, so a user named like a scheme (postgres,
	// PostgreSQL's default superuser) is hidden where a message names the
	// user, not in the scheme of every store URL the log shows.
	pairs := []string{"postgresql://", "postgresql://", "postgres://", "postgres://"}
	for _, s := range hidden {
		pairs = append(pairs, s, "***")
	}
	env.secrets = strings.NewReplacer(pairs...)
	env.storeShown = redact(url)
}

// quotedStoreURL is the database driver's quotation of the store URL in its
// errors (pgx: cannot parse `postgres://…`). The driver masks the password
// as it reads it, which is not where a password holding '@' ends, and
// pieces too short to be hidden on their own (secrets) show in it: the
// quotation is replaced whole by the URL as graphprofile prints it.
var quotedStoreURL = regexp.MustCompile("`postgres(?:ql)?://[^`]*`")

// scrub returns text with the store's secrets hidden.
func (env *environment) scrub(text string) string {
	if env.secrets == nil {
		return text
	}
	// Every string of every log line comes here (an access log line's
	// dozen attributes): the pattern is run only where it can match.
	if strings.Contains(text, "`postgres") {
		text = quotedStoreURL.ReplaceAllLiteralString(text, "`"+env.storeShown+"`")
	}
	return env.secrets.Replace(text)
}

// scrubbingHandler is a slog.Handler that hides the store's secrets in the
// message and in every string, error and other value of a record.
type scrubbingHandler struct {
	slog.Handler
	env *environment
}

func (h scrubbingHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.env.secrets == nil {
		return h.Handler.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, h.env.scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.scrubAttr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

// clientAttributes are the attributes of a request's lines that hold what
// the client sent, as it sent it (the server's "request failed" and
// "client went away" lines, as the access log's): never scrubbed, since
// hiding a secret a client spelled there would tell whoever reads the log
// beside the access log's line that the client guessed it.
var clientAttributes = []string{"method", "path", "client-request-id"}

func (h scrubbingHandler) scrubAttr(a slog.Attr) slog.Attr {
	if slices.Contains(clientAttributes, a.Key) {
		return a
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.env.scrub(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		scrubbed := make([]any, len(attrs))
		for i, ga := range attrs {
			scrubbed[i] = h.scrubAttr(ga)
		}
		return slog.Group(a.Key, scrubbed...)
	case slog.KindAny:
		return slog.String(a.Key, h.env.scrub(fmt.Sprint(v.Any())))
	}
	return a
}

func (h scrubbingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	scrubbed := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		scrubbed[i] = h.scrubAttr(a)
	}
	return scrubbingHandler{h.Handler.WithAttrs(scrubbed), h.env}
}

func (h scrubbingHandler) WithGroup(name string) slog.Handler {
	return scrubbingHandler{h.Handler.WithGroup(name), h.env}
}
