package odata

import (
	"errors"
	"slices"

	"github.com/graphprofile/graphprofile"
)

// Support is how a resource serves one query feature.
type Support int8

// The ways a resource serves a query feature.
const (
	Unsupported Support = iota
	// Default: in every query.
	Default
	// Advanced: only in advanced queries, which Graph's directory
	// objects (users) serve with the ConsistencyLevel: eventual header and
	// $count=true.
	Advanced
)

// Restrictions is what a resource serves of the queries this package
// compiles, where it serves less: Graph's directory (users) filters only
// some properties, with some operators, and orders by few. The parser
// accepts every query it can evaluate; Check then refuses, with Graph's
// own errors, what the resource does not serve.
type Restrictions struct {
	// Resource is the resource's name in Graph's messages ("User").
	Resource string
	// Filter says, per property path and per Clause.Op (and "null" for a
	// comparison with null), how the resource serves it; what it does
	// not name is Unsupported.
	Filter map[string]map[string]Support
	// AdvancedOperators are served, where Filter serves them, only in
	// advanced queries, whatever the property.
	AdvancedOperators []string
	// OrderBy says how the resource orders by each property path.
	OrderBy map[string]Support
	// FilterWithOrderBy is how the resource serves $filter and $orderby
	// in one query.
	FilterWithOrderBy Support
	// Skip is how the resource serves $skip: Graph's directory does not
	// (it pages with $skiptoken only) and answers any $skip with its own
	// error.
	Skip Support
	// PageSizeCode, when set, is the code of the error of a $top that is no
	// page size, in place of BadRequest: Graph's directory answers it
	// Request_UnsupportedQuery (ParseError).
	PageSizeCode string
}

// ParseError is err, an error of Parse, as r's resource answers it: a $top
// that is no page size with PageSizeCode, when set, and the same message.
func (r *Restrictions) ParseError(err error) error {
	var pe pageSizeError
	if r.PageSizeCode == "" || !errors.As(err, &pe) {
		return err
	}
	return graphprofile.Errorf(r.PageSizeCode, "%s", graphprofile.ErrorMessage(pe.err))
}

// operatorNames are the spellings of Graph's messages where they are not
// the operator's own.
var operatorNames = map[string]string{"startswith": "startsWith", "endswith": "endsWith"}

// Check refuses what q asks that r does not serve; advanced says whether the
// request is an advanced query. The errors are Graph's directory errors:
// Request_BadRequest for a $skip, and Request_UnsupportedQuery, naming the
// operator that needs an advanced query, the property a clause is not
// served on, or the property a list cannot be ordered by.
func (r *Restrictions) Check(q Query, advanced bool) error {
	if q.skipGiven && !r.serves(r.Skip, advanced) {
		return graphprofile.Errorf(graphprofile.CodeDirectoryBadRequest, "'$skip' is not supported by the service.")
	}
	if q.Filter != nil {
		for _, cl := range q.Filter.Clauses() {
			if slices.Contains(r.AdvancedOperators, cl.Op) && !advanced {
				name := cl.Op
				if n, ok := operatorNames[name]; ok {
					name = n
				}
				return unsupportedQuery("Operator '%s' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information", name)
			}
			if cl.Op == "not" {
				continue // on no property itself: the clauses it negates are checked
			}
			if !r.serves(r.Filter[cl.Property][cl.Op], advanced) || (cl.Null && !r.serves(r.Filter[cl.Property]["null"], advanced)) {
				if cl.Property == "" {
					return unsupportedQuery("Unsupported Query.")
				}
				return unsupportedQuery("Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", cl.Property, r.Resource)
			}
		}
	}
	if q.OrderBy == nil {
		return nil
	}
	for _, name := range q.OrderBy.Properties() {
		switch support := r.OrderBy[name]; {
		case support == Unsupported:
			return unsupportedQuery("Unsupported sort property '%s' for '%s'.", name, r.Resource)
		case !r.serves(support, advanced):
			return unsupportedQuery("Sorting not supported for current query.")
		}
	}
	if q.Filter != nil && len(q.OrderBy.Properties()) > 0 && !r.serves(r.FilterWithOrderBy, advanced) {
		return unsupportedQuery("Sorting not supported for current query.")
	}
	return nil
}

// serves reports whether a feature of support s is served in a query that is
// advanced or not.
func (r *Restrictions) serves(s Support, advanced bool) bool {
	return s == Default || (s == Advanced && advanced)
}

func unsupportedQuery(format string, args ...any) error {
	return graphprofile.Errorf(graphprofile.CodeUnsupportedQuery, format, args...)
}
