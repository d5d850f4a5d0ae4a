package odata

import (
	"slices"
	"strings"
	"unicode"

	"github.com/graphprofile/graphprofile"
)

// Expansion is one item of $expand: a navigation property of the entity
// and the properties of its entities that a nested $select names (nil:
// every property).
type Expansion struct {
	Property string
	Select   []string
}

// parseExpand reads $expand: navigation properties of t (Property.Navigation),
// each optionally with a nested $select ("positions($select=id,isCurrent)"),
// or * for every navigation property of t. Other nested options are refused.
func parseExpand(value string, t *graphprofile.Type) ([]Expansion, error) {
	items, err := splitTopLevel(value)
	if err != nil {
		return nil, err
	}
	expansions := []Expansion{}
	add := func(e Expansion, pos int) error {
		if slices.ContainsFunc(expansions, func(x Expansion) bool { return x.Property == e.Property }) {
			return queryError("$expand", pos, "'%s' is expanded more than once", e.Property)
		}
		expansions = append(expansions, e)
		return nil
	}
	for _, item := range items {
		name, options, hasOptions := strings.Cut(item.text, "(")
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			return nil, syntaxError("$expand", item.pos, "expected a navigation property between commas")
		case hasOptions && !strings.HasSuffix(options, ")"):
			return nil, syntaxError("$expand", item.pos, "expected ')' after the options of '"+name+"'")
		case hasOptions && optionsEnd(options) < len(options)-1:
			// "positions($select=id)($select=detail)": the options end
			// before the item does.
			at := optionsEnd(options) + 1
			return nil, syntaxError("$expand", item.pos+strings.Index(item.text, "(")+1+at, "unexpected '"+options[at:at+1]+"' after the options of '"+name+"'")
		case name == "*" && hasOptions:
			return nil, queryError("$expand", item.pos, "'*' takes no nested options")
		case name == "*":
			for _, p := range t.Properties {
				if p.Navigation {
					if err := add(Expansion{Property: p.Name}, item.pos); err != nil {
						return nil, err
					}
				}
			}
			continue
		case strings.Contains(name, "/"):
			return nil, queryError("$expand", item.pos, "'%s' is a path; expand navigation properties of %s", name, t.Name)
		}
		p := t.Property(name)
		if p == nil || !p.Navigation {
			return nil, queryError("$expand", item.pos, "could not find a navigation property named '%s' on type '%s'", name, t.Name)
		}
		e := Expansion{Property: p.Name} // the schema's spelling, whatever the client's
		if hasOptions {
			e.Select, err = parseExpandOptions(strings.TrimSuffix(options, ")"), p.Type, item.pos+strings.Index(item.text, "(")+1)
			if err != nil {
				return nil, err
			}
		}
		if err := add(e, item.pos); err != nil {
			return nil, err
		}
	}
	return expansions, nil
}

// optionsEnd returns the index in options (what follows an expanded
// property's "(") of the ")" that closes them.
func optionsEnd(options string) int {
	depth := 0
	for i := 0; i < len(options); i++ {
		switch options[i] {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return len(options)
}

// parseExpandOptions reads the options in parentheses after an expanded
// property, separated by ";": only $select (with or without "$").
func parseExpandOptions(options string, t *graphprofile.Type, pos int) ([]string, error) {
	var selected []string
	seen := false
	for option := range strings.SplitSeq(options, ";") {
		key, value, _ := strings.Cut(option, "=")
		name := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(key), "$"))
		at := pos + len(option) - len(strings.TrimLeftFunc(option, unicode.IsSpace)) // the option's name, past spaces
		switch {
		case name != "select":
			return nil, queryError("$expand", at, "the nested option '%s' is not supported; only $select is", strings.TrimSpace(key))
		case seen:
			return nil, queryError("$expand", at, "the nested $select is given more than once")
		}
		seen = true
		var err error
		if selected, err = parseSelect(value, t); err != nil {
			return nil, err
		}
		pos += len(option) + 1
	}
	return selected, nil
}

// expandItem is one comma-separated item of $expand and its byte position.
type expandItem struct {
	text string
	pos  int
}

// splitTopLevel splits value at the commas outside parentheses.
func splitTopLevel(value string) ([]expandItem, error) {
	var items []expandItem
	depth, start := 0, 0
	for i, c := range value {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return nil, syntaxError("$expand", i, "unbalanced ')'")
			}
		case ',':
			if depth == 0 {
				items = append(items, trimmedItem(value[start:i], start))
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, syntaxError("$expand", len(value), "missing ')'")
	}
	return append(items, trimmedItem(value[start:], start)), nil
}

func trimmedItem(text string, pos int) expandItem {
	trimmed := strings.TrimLeftFunc(text, unicode.IsSpace)
	return expandItem{text: strings.TrimRightFunc(trimmed, unicode.IsSpace), pos: pos + len(text) - len(trimmed)}
}
