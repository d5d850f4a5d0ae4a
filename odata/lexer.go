// Package odata parses and evaluates the OData system query options that
// graphprofile serves on positions: $filter, $orderby, $select, $top, $skip,
// $count and $skiptoken. An expression is parsed, type-checked against the
// schema (graphprofile.Type) and compiled once into closures, so evaluating
// it per entity never re-parses or re-plans. Everything it cannot honour is a
// 400 BadRequest that names the offending part and its position, never a
// silently ignored option.
package odata

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/graphprofile/graphprofile"
)

// tokenKind is the kind of a lexical token of a $filter or $orderby expression.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokString
	tokNumber
	tokDate
	tokDateTime
	tokGUID
	tokEnum  // a qualified enum literal: microsoft.graph.allowedAudiences'organization'
	tokOpen  // (
	tokClose // )
	tokComma // ,
	tokSlash // /
	tokColon // :
)

type token struct {
	kind tokenKind
	text string // the token as written (for strings and enum literals: the decoded value)
	pos  int    // byte offset in the expression
	// typeName is an enum literal's qualified type name, as written.
	typeName string
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "the end of the expression"
	case tokString:
		return "'" + strings.ReplaceAll(t.text, "'", "''") + "'"
	case tokEnum:
		return "'" + t.typeName + "'" + strings.ReplaceAll(t.text, "'", "''") + "''"
	default:
		return "'" + t.text + "'"
	}
}

var (
	dateTimePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,12})?)?(Z|[+-]\d{2}:\d{2})`)
	datePattern     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
	guidPattern     = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)
	numberPattern   = regexp.MustCompile(`^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?`)
)

// punctuation is the kind of each one-character token (tokEOF: none).
var punctuation = [256]tokenKind{'(': tokOpen, ')': tokClose, ',': tokComma, '/': tokSlash, ':': tokColon}

// MaxFilterTokens bounds an expression's tokens ($filter's, $orderby's).
// Its parsing, compiling and the cost of evaluating it once are in
// proportion to them, and a chain of and's or or's, which no parenthesis
// nests, is a frame deep in each of those recursions per link: 131,000 of
// them (a $batch item's URL of 1 MiB, 1.6 KB gzipped) took 1 s of CPU and
// 260 MB. A URL within the request head's limit (128 KiB) holds fewer
// than this many in any filter a client writes.
const MaxFilterTokens = 10_000

// lex splits s[start:] into tokens; positions are byte offsets in s. option
// names the query option for error messages ("$filter").
func lex(option, s string, start int) ([]token, error) {
	var toks []token
	for i := start; i < len(s); {
		if len(toks) == MaxFilterTokens {
			return nil, syntaxError(option, i, fmt.Sprintf("the expression has more than %d tokens (names, values, operators and punctuation)", MaxFilterTokens))
		}
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case punctuation[c] != tokEOF:
			toks = append(toks, token{kind: punctuation[c], text: s[i : i+1], pos: i})
			i++
		case c == '\'':
			value, end, err := lexString(option, s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokString, text: value, pos: i})
			i = end
		case c >= '0' && c <= '9' || ((c == '-' || c == '+') && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9'):
			// A number may be signed, "-" or "+" (OData's SIGN; "+"
			// reaches here when the client escaped it as %2B).
			rest := s[i:]
			digit := c >= '0' && c <= '9'
			var kind tokenKind
			var m string
			switch {
			case digit && guidPattern.MatchString(rest):
				kind, m = tokGUID, guidPattern.FindString(rest)
			case digit && dateTimePattern.MatchString(rest):
				kind, m = tokDateTime, dateTimePattern.FindString(rest)
			case digit && datePattern.MatchString(rest):
				kind, m = tokDate, datePattern.FindString(rest)
			default:
				kind, m = tokNumber, numberPattern.FindString(rest)
			}
			if end := i + len(m); end < len(s) && isIdentRune(rune(s[end])) {
				return nil, syntaxError(option, i, fmt.Sprintf("'%s' is not a valid literal", identEnd(s, i)))
			}
			toks = append(toks, token{kind: kind, text: m, pos: i})
			i += len(m)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if !isIdentStart(r) {
				return nil, syntaxError(option, i, fmt.Sprintf("unexpected character %q", r))
			}
			start := i
			i += size
			for i < len(s) {
				r, size := utf8.DecodeRuneInString(s[i:])
				if !isIdentRune(r) {
					break
				}
				i += size
			}
			if name := s[start:i]; i < len(s) && s[i] == '\'' && strings.Contains(name, ".") {
				// A qualified name right before a quote is an enum
				// literal, OData's Namespace.EnumType'member'.
				value, end, err := lexString(option, s, i)
				if err != nil {
					return nil, err
				}
				toks = append(toks, token{kind: tokEnum, text: value, pos: start, typeName: name})
				i = end
				continue
			}
			toks = append(toks, token{kind: tokIdent, text: s[start:i], pos: start})
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(s)}), nil
}

// lexString reads the string literal that starts with the quote at s[i]:
// its value (” is a quote) and the offset just after its closing quote.
func lexString(option, s string, i int) (string, int, error) {
	start := i
	var b strings.Builder
	i++
	for i < len(s) {
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i += 2
				continue
			}
			if !utf8.ValidString(b.String()) {
				return "", 0, syntaxError(option, start, "the string literal is not valid UTF-8")
			}
			return b.String(), i + 1, nil
		}
		b.WriteByte(s[i])
		i++
	}
	return "", 0, syntaxError(option, start, "the string literal starting here is not closed with '")
}

func isIdentStart(r rune) bool { return r == '_' || r == '$' || unicode.IsLetter(r) }
func isIdentRune(r rune) bool {
	return r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// identEnd is the run of identifier characters from i, for messages.
func identEnd(s string, i int) string {
	j := i
	for j < len(s) && (s[j] == '-' || s[j] == ':' || isIdentRune(rune(s[j]))) {
		j++
	}
	return s[i:j]
}

func syntaxError(option string, pos int, problem string) error {
	return graphprofile.Errorf(graphprofile.CodeBadRequest, "Syntax error in %s at position %d: %s.", option, pos, problem)
}

func queryError(option string, pos int, format string, args ...any) error {
	return graphprofile.Errorf(graphprofile.CodeBadRequest, "Invalid %s at position %d: %s.", option, pos, fmt.Sprintf(format, args...))
}
