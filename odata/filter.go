package odata

import (
	"context"
	"errors"
	"slices"

	"github.com/graphprofile/graphprofile"
)

// Filter is a compiled $filter: parsed and type-checked once, then evaluated
// per entity without re-parsing.
type Filter struct {
	text    string
	match   evalFunc
	cost    int // the steps of one evaluation, its lambdas' items apart (exprCost)
	vars    int
	clauses []Clause
	keys    map[string][]string
	anyOf   [][]KeyPrefix
}

// Clause is one use of an operator or function in a $filter: what a
// resource that serves only some of them (Restrictions) checks.
type Clause struct {
	// Op is the operator or function: eq, ne, gt, ge, lt, le, in, has,
	// not, startswith, endswith, contains, tolower, toupper, any or all.
	Op string
	// Property is the property path it applies to (for a lambda
	// variable, its collection's); empty when none, or when it compares
	// two properties.
	Property string
	// Null: it compares with null.
	Null bool
}

// Keys returns the values one of which property (a string property of
// the entity, in the schema's spelling) must have for an entity to match,
// when the filter is "property eq 'literal'" or "property in ('literal',
// …)", or an "and" of one with anything: the literals as the filter
// compares them (in lower case when the type's strings ignore case; an id
// as graphprofile.Type.IgnoreCase's ids compare). A source may then look
// the matches up by those values instead of reading every entity, and still
// run the filter over what it finds.
func (f *Filter) Keys(property string) ([]string, bool) {
	vs, ok := f.keys[property]
	return vs, ok
}

// Prefixes returns conditions one of which holds for every entity the
// filter admits: each that the entity's property Property starts with
// Prefix (as the filter compares it, in lower case when the type's strings
// ignore case), the properties all ones usable accepts; the shortest such
// list the filter's "startswith(property,'literal')", "property eq
// 'literal'" and "property in (…)" conditions give, joined by its "and"s and
// "or"s. A source may then read the entities those conditions find (on an
// index of the property) instead of every one, and still run the filter
// over them. ok is false when the filter gives no such list.
func (f *Filter) Prefixes(usable func(property string) bool) (conditions []KeyPrefix, ok bool) {
	for _, list := range f.anyOf {
		if (!ok || len(list) < len(conditions)) && !slices.ContainsFunc(list, func(k KeyPrefix) bool { return !usable(k.Property) }) {
			conditions, ok = list, true
		}
	}
	return conditions, ok
}

// Clauses returns the filter's clauses, in the order they appear.
func (f *Filter) Clauses() []Clause { return f.clauses }

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
	return &Filter{text: expr, match: x.eval, cost: exprCost(n), vars: c.vars, clauses: c.clauses, keys: x.keys, anyOf: x.anyOf}, nil
}

// newEnv returns an environment to evaluate the filter in for ctx's
// request, with work steps to spend; one may be reused for many entities,
// by one goroutine at a time.
func (f *Filter) newEnv(ctx context.Context, work int) *env {
	e := &env{ctx: ctx, done: ctx.Done(), work: work}
	if shared, ok := ctx.Value(workBudgetKey{}).(*WorkBudget); ok {
		// The filter's own budget is drawn from the shared one as it
		// goes (spend).
		e.shared, e.own, e.work = shared, work, 0
	}
	if f.vars > 0 {
		e.vars = make([]any, f.vars)
	}
	return e
}

// matchIn reports whether obj satisfies the filter; false too when the
// evaluation stopped (e.stopped says why).
func (f *Filter) matchIn(e *env, obj graphprofile.Object) bool {
	if !e.spend(f.cost) {
		return false
	}
	e.root = obj
	return f.match(e) == true
}

// stopError turns why an evaluation stopped into the error to answer: a
// BadRequest for a filter over its budget, the context's error for a
// request that is over.
func stopError(stopped error) error {
	if errors.Is(stopped, errTooMuchWork) {
		return badRequest("The $filter needs more than %d evaluation steps over this collection; simplify it (fewer terms, fewer or less nested any() and all()).", MaxFilterWork)
	}
	if errors.Is(stopped, errTooMuchSharedWork) {
		return badRequest("The $filters of this $batch need more than %d evaluation steps together, the most one request's may take; send the costly ones in batches of their own, or simplify them.", MaxFilterWork)
	}
	return stopped
}

// String returns the expression as given.
func (f *Filter) String() string { return f.text }
