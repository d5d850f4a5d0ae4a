package odata

import "github.com/graphprofile/graphprofile"

// Filter is a compiled $filter: parsed and type-checked once, then evaluated
// per entity without re-parsing.
type Filter struct {
	text  string
	match evalFunc
	vars  int
}

// ParseFilter parses and type-checks a $filter expression over entities of
// type t. Errors are BadRequest and name the offending part and its
// position.
func ParseFilter(expr string, t *graphprofile.Type) (*Filter, error) {
	const option = "$filter"
	n, err := parseExpression(option, expr)
	if err != nil {
		return nil, err
	}
	c := &compiler{option: option, root: t}
	x, err := c.boolean(n, "$filter")
	if err != nil {
		return nil, err
	}
	return &Filter{text: expr, match: x.eval, vars: c.vars}, nil
}

// Match reports whether obj satisfies the filter (an unknown result, from
// nulls, does not).
func (f *Filter) Match(obj graphprofile.Object) bool {
	return f.matchIn(f.newEnv(), obj)
}

// newEnv returns an environment to evaluate the filter in; one may be
// reused for many entities, by one goroutine at a time.
func (f *Filter) newEnv() *env {
	e := &env{}
	if f.vars > 0 {
		e.vars = make([]any, f.vars)
	}
	return e
}

func (f *Filter) matchIn(e *env, obj graphprofile.Object) bool {
	e.root = obj
	return f.match(e) == true
}

// String returns the expression as given.
func (f *Filter) String() string { return f.text }
