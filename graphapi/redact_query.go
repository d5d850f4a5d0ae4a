package graphapi

import (
	"net/url"
	"strings"
)

// credentialQueryParameters are query parameters whose values are
// credentials: OAuth's and OpenID Connect's (RFC 6750 allows a bearer token
// as access_token in the query; RFC 7523's client_assertion stands for a
// client secret, assertion for a grant; PKCE's code_verifier redeems a
// code; id_token_hint is an ID token) and the generic names clients use.
// Graph reads none of them, but a client may send them anyway, and the
// access log and the journal must not repeat them.
var credentialQueryParameters = []string{
	"access_token", "id_token", "refresh_token", "code", "client_secret", "token", "password",
	"client_assertion", "assertion", "code_verifier", "id_token_hint",
}

// redactedQueryValue is what is shown in place of a credential's value.
const redactedQueryValue = "[redacted]"

// loggedRequestURI is u's request URI as the access log and the journal
// show it: redactQueryCredentials of it. Without a query it is
// u.RequestURI and costs no more, the common case of every request's log
// line.
func loggedRequestURI(u *url.URL) string {
	if u.RawQuery == "" {
		return u.RequestURI()
	}
	return redactQueryCredentials(u.RequestURI())
}

// redactQueryCredentials returns uri (a request URI or a URL, as sent) with
// the value of each credential-like query parameter
// (credentialQueryParameters, in any case, its name percent-decoded)
// replaced by [redacted], and the rest as it was.
func redactQueryCredentials(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok {
		return uri
	}
	redacted, ok := redactQuery(query)
	if !ok {
		return uri
	}
	return path + "?" + redacted
}

// redactFormCredentials returns a form-encoded body
// (application/x-www-form-urlencoded, where RFC 6750 lets a client send
// its bearer token as access_token) with its credential-like parameters
// redacted as a query's are.
func redactFormCredentials(body []byte) []byte {
	if redacted, ok := redactQuery(string(body)); ok {
		return []byte(redacted)
	}
	return body
}

// redactQuery returns query (as sent, without its "?") with the value of
// each credential-like parameter replaced by [redacted], and whether there
// was any.
func redactQuery(query string) (string, bool) {
	var out strings.Builder // empty until a value is redacted
	redacted := false
	copied := 0 // query[:copied] is in out
	for start := 0; start < len(query); {
		// '&' ends a parameter, and so does ';' (HTML 4's advice, which
		// some servers still follow): a credential after it is one.
		end := strings.IndexAny(query[start:], "&;")
		if end < 0 {
			end = len(query)
		} else {
			end += start
		}
		name, value, hasValue := strings.Cut(query[start:end], "=")
		if hasValue && value != "" && isCredentialParameter(name) {
			if !redacted {
				redacted = true
				out.Grow(len(query))
			}
			out.WriteString(query[copied : start+len(name)+1])
			out.WriteString(redactedQueryValue)
			copied = end
		}
		start = end + 1
	}
	if !redacted {
		return query, false
	}
	out.WriteString(query[copied:])
	return out.String(), true
}

// isCredentialParameter reports whether the query parameter named name (as
// sent, percent-encoded) is one of credentialQueryParameters, also as an
// array's name (client_secret[], as PHP reads it), with trailing NULs or
// spaces, which a reader may drop, with leading spaces (PHP drops them), or
// with a space or a dot for an '_' (PHP's access.token).
func isCredentialParameter(name string) bool {
	if strings.ContainsAny(name, "%+") {
		if unescaped, err := url.QueryUnescape(name); err == nil {
			name = unescaped
		}
	}
	name = strings.TrimSuffix(strings.TrimRight(strings.TrimLeft(name, " "), "\x00 "), "[]")
	// PHP also reads a space or a dot within a name as '_' (client.secret
	// is its client_secret).
	name = strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' {
			return '_'
		}
		return r
	}, name)
	for _, credential := range credentialQueryParameters {
		if strings.EqualFold(name, credential) {
			return true
		}
	}
	return false
}
