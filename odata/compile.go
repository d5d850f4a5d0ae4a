package odata

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/graphprofile/graphprofile"
)

// Bounds on the cost of a $filter, so that no filter can make a request
// expensive: lambda operators (any, all) multiply the work by the size of
// their collection at each level of nesting.
const (
	// MaxLambdaNesting is how many lambda operators may be nested in one
	// another (any(a: a/x/any(b: …)) is two).
	MaxLambdaNesting = 2
	// MaxFilterWork is the most steps evaluating one request's filter may
	// take: a step is a term of the expression evaluated (an operator, a
	// function, a property, a literal), for each entity and for each item
	// a lambda operator visits, and a string function takes one more for
	// each stringStepBytes bytes it reads. More is a 400, never a slow
	// answer: at 37–45 ns a step for the costliest kinds of terms, the
	// budget is about half a second of one CPU (BenchmarkFilterBudget).
	MaxFilterWork = 10_000_000
	// stringStepBytes is how many bytes of a string a function reads in
	// the time of one step (tolower copies them, contains scans them).
	stringStepBytes = 32
)

// exprCost is the steps one evaluation of n takes without what its lambda
// operators' bodies take per item, which the lambda spends as it visits
// the items (and without what string functions take for their bytes).
func exprCost(n node) int {
	switch n := n.(type) {
	case *notNode:
		return 1 + exprCost(n.x)
	case *binaryNode:
		return 1 + exprCost(n.l) + exprCost(n.r)
	case *inNode:
		cost := 1 + exprCost(n.x)
		for _, item := range n.list {
			cost += exprCost(item)
		}
		return cost
	case *callNode:
		cost := 1
		for _, a := range n.args {
			cost += exprCost(a)
		}
		return cost
	case *lambdaNode:
		return 2 // the operator and its collection
	}
	return 1 // a literal or a property path
}

// errTooMuchWork stops an evaluation that would take more than its budget,
// errTooMuchSharedWork one that would take more than what the filters of
// its WorkBudget have left.
var (
	errTooMuchWork       = errors.New("odata: the filter takes more work than its budget")
	errTooMuchSharedWork = errors.New("odata: the filters take more work together than their shared budget")
)

// A WorkBudget is the evaluation work that the filters of several
// requests share: the items of one $batch, which is one request of its
// client's, so that together they do no more than one request's filter
// may (MaxFilterWork), rather than twenty times that. Each filter is still
// bounded by MaxFilterWork on its own. Safe for concurrent use: a batch's
// items run at once.
type WorkBudget struct {
	left atomic.Int64
}

// NewWorkBudget returns a budget of MaxFilterWork steps.
func NewWorkBudget() *WorkBudget {
	b := &WorkBudget{}
	b.left.Store(MaxFilterWork)
	return b
}

// take draws up to n steps from b and returns how many it drew: fewer
// when b has fewer left, 0 when it is spent.
func (b *WorkBudget) take(n int) int {
	for {
		left := b.left.Load()
		if left <= 0 {
			return 0
		}
		got := min(int64(n), left)
		if b.left.CompareAndSwap(left, left-got) {
			return int(got)
		}
	}
}

type workBudgetKey struct{}

// WithWorkBudget returns ctx with b as the budget the filters evaluated
// under it share (besides each one's own).
func WithWorkBudget(ctx context.Context, b *WorkBudget) context.Context {
	return context.WithValue(ctx, workBudgetKey{}, b)
}

// sharedWorkDraw is how many steps an evaluation draws from a shared
// budget at a time: few enough that filters running at once share it
// fairly, enough that drawing costs nothing measurable.
const sharedWorkDraw = 1 << 16

// kind is the static type of an expression.
type kind int

const (
	kNull kind = iota
	kBool
	kString
	kNumber
	kDate
	kDateTime
	kEnum
	kComplex
	kCollection
	kGUID
)

var kindNames = map[kind]string{
	kNull: "null", kBool: "Edm.Boolean", kString: "Edm.String", kNumber: "a number", kDate: "Edm.Date",
	kDateTime: "Edm.DateTimeOffset", kEnum: "an enumeration", kComplex: "a complex value", kCollection: "a collection", kGUID: "Edm.Guid",
}

// valueType is the static type of an expression: its kind and, for enums,
// complex values and collections, the schema type (of the elements).
type valueType struct {
	kind kind
	edm  *graphprofile.Type
	elem kind // for collections: the elements' kind
}

func (t valueType) String() string {
	switch t.kind {
	case kEnum, kComplex:
		return t.edm.Name
	case kCollection:
		if t.edm.Kind == graphprofile.KindComplex || t.edm.Kind == graphprofile.KindEnum {
			return "Collection(" + t.edm.Name + ")"
		}
		return "Collection(" + t.edm.Name + ")"
	}
	return kindNames[t.kind]
}

// env is what an expression is evaluated against: the entity and the values
// of the enclosing lambda variables; and the evaluation's bounds: the work
// it may still do and the request it is for.
type env struct {
	root graphprofile.Object
	vars []any

	work     int             // steps left; each entity and each lambda item is one
	shared   *WorkBudget     // what work is drawn from, when not nil
	own      int             // with shared: the steps this filter may still draw
	done     <-chan struct{} // closed when the request is over (nil: never)
	ctx      context.Context
	sinceCtx int   // steps since done was last looked at
	stopped  error // why evaluation stopped early, or nil
}

// ctxCheckSteps is how many steps pass between looks at the request's
// context: often enough to stop within a millisecond, rarely enough to cost
// nothing measurable.
const ctxCheckSteps = 1024

// spend takes n steps from the evaluation's budget and reports whether it
// may go on: not when the budget is spent or the request is over, and then
// stopped says why. A stopped evaluation answers null (unknown) everywhere,
// so it unwinds at once.
func (e *env) spend(n int) bool {
	if e.stopped != nil {
		return false
	}
	e.work -= n
	for e.work < 0 {
		if e.shared == nil || e.own <= 0 {
			e.stopped = errTooMuchWork
			return false
		}
		got := e.shared.take(min(sharedWorkDraw, e.own))
		if got == 0 {
			e.stopped = errTooMuchSharedWork
			return false
		}
		e.work += got
		e.own -= got
	}
	if e.sinceCtx += n; e.sinceCtx >= ctxCheckSteps && e.done != nil {
		e.sinceCtx = 0
		select {
		case <-e.done:
			e.stopped = e.ctx.Err()
			return false
		default:
		}
	}
	return true
}

// evalFunc evaluates a compiled expression. Booleans follow OData's
// three-valued logic: true, false or nil (unknown).
type evalFunc func(e *env) any

// compiled is a type-checked expression ready to evaluate.
type compiled struct {
	t       valueType
	eval    evalFunc
	literal *literalNode // set when the expression is a literal
	pos     int
	text    string // how the expression reads, for messages
	// property is the entity's property path the expression is, when it
	// is one (for a lambda variable, its collection's): what a Clause names.
	property string
	// keys are, for properties of the entity, the string values (as
	// compared) one of which the property must have for the expression,
	// a condition, to be true: its "property eq 'literal'" and "property
	// in ('literal', …)" conjuncts (Filter.Keys).
	keys map[string][]string
	// anyOf are lists of conditions on the entity's string properties
	// (startswith, eq, in, of a property and a literal), in each of which
	// one condition holds whenever the expression, a condition, is true:
	// another way each to find the entities it may admit (Filter.Prefixes).
	anyOf [][]KeyPrefix
}

// KeyPrefix is a condition on an entity: the value of its string property
// Property (as the filter compares it: in lower case when the type's
// strings ignore case, as a user's keys are) starts with Prefix.
type KeyPrefix = graphprofile.KeyPrefix

// maxAlternatives and maxAlternative bound a condition's anyOf: how many
// lists are kept (an "and" adds its sides', an "or" multiplies them), and
// how many conditions one may hold (an "or" adds its sides'). A list past
// them is dropped; a source then reads as it would without it.
const (
	maxAlternatives = 8
	maxAlternative  = 64
)

// bothOf is anyOf of an "and" of l and r: either side's lists hold for it.
func bothOf(l, r [][]KeyPrefix) [][]KeyPrefix {
	out := append(slices.Clip(l), r...)
	return out[:min(len(out), maxAlternatives)]
}

// eitherOf is anyOf of an "or" of l and r: when it is true one side is, so
// a list of each side, joined, holds; none when a side has none.
func eitherOf(l, r [][]KeyPrefix) [][]KeyPrefix {
	var out [][]KeyPrefix
	for _, a := range l {
		for _, b := range r {
			if len(a)+len(b) <= maxAlternative && len(out) < maxAlternatives {
				out = append(out, append(slices.Clip(a), b...))
			}
		}
	}
	return out
}

// shown is how a message quotes the expression: a string literal already
// carries its quotes.
func (x *compiled) shown() string {
	if x.literal != nil && (x.literal.kind == tokString || x.literal.kind == tokEnum) {
		return x.text
	}
	return "'" + x.text + "'"
}

// enumLiteral reports whether x is a qualified enum literal
// (microsoft.graph.allowedAudiences'organization'): a member name, like a
// string literal, that only an enum of its type takes.
func (x *compiled) enumLiteral() bool { return x.literal != nil && x.literal.kind == tokEnum }

// scope is a lambda variable in scope.
type scope struct {
	name       string
	t          valueType
	index      int
	parent     *scope
	collection string // the property path of the collection it ranges over
}

// compiler type-checks a parsed expression against the schema and turns it
// into closures.
type compiler struct {
	option  string
	root    *graphprofile.Type
	scope   *scope
	vars    int
	lambdas int // lambda operators around what is being compiled
	clauses []Clause
}

// clause records that the expression uses op on x's property (and on
// other's, when it is one too, as in "a eq b": then Property is empty).
func (c *compiler) clause(op string, x, other *compiled) {
	cl := Clause{Op: op, Property: x.property}
	if other != nil {
		switch {
		case x.property == "" && other.property != "":
			cl.Property = other.property
			cl.Null = x.t.kind == kNull
		case x.property != "" && other.property != "":
			cl.Property = ""
		default:
			cl.Null = other.t.kind == kNull
		}
	}
	c.clauses = append(c.clauses, cl)
}

// propertyType is the static type of a schema property.
func propertyType(p *graphprofile.Property) valueType {
	t := valueType{kind: kindOf(p.Type), edm: p.Type}
	if p.Collection {
		return valueType{kind: kCollection, edm: p.Type, elem: t.kind}
	}
	return t
}

func kindOf(t *graphprofile.Type) kind {
	switch t.Kind {
	case graphprofile.KindString:
		return kString
	case graphprofile.KindBoolean:
		return kBool
	case graphprofile.KindInt32, graphprofile.KindDouble:
		return kNumber
	case graphprofile.KindDate:
		return kDate
	case graphprofile.KindDateTimeOffset:
		return kDateTime
	case graphprofile.KindEnum:
		return kEnum
	default:
		return kComplex
	}
}

// normalize turns a stored value into the form expressions compare: numbers
// as float64.
func normalize(v any) any {
	if n, ok := v.(int64); ok {
		return float64(n)
	}
	return v
}

func (c *compiler) compile(n node) (*compiled, error) {
	switch n := n.(type) {
	case *literalNode:
		return c.literal(n)
	case *pathNode:
		return c.path(n)
	case *notNode:
		x, err := c.boolean(n.x, "the operand of 'not'")
		if err != nil {
			return nil, err
		}
		c.clause("not", x, nil)
		return &compiled{t: valueType{kind: kBool}, pos: n.pos, text: clip("not " + x.text), eval: func(e *env) any {
			switch x.eval(e) {
			case true:
				return false
			case false:
				return true
			}
			return nil
		}}, nil
	case *binaryNode:
		if n.op == "and" || n.op == "or" {
			return c.logical(n)
		}
		if n.op == "has" {
			return c.has(n)
		}
		return c.comparison(n)
	case *inNode:
		return c.in(n)
	case *callNode:
		return c.call(n)
	case *lambdaNode:
		return c.lambda(n)
	}
	return nil, fmt.Errorf("odata: unexpected node %T", n)
}

// boolean compiles n and checks that it is a condition.
func (c *compiler) boolean(n node, what string) (*compiled, error) {
	x, err := c.compile(n)
	if err != nil {
		return nil, err
	}
	if x.t.kind != kBool {
		return nil, queryError(c.option, x.pos, "%s must be a boolean condition, but %s is %s", what, x.shown(), x.t)
	}
	return x, nil
}

func (c *compiler) literal(n *literalNode) (*compiled, error) {
	out := &compiled{literal: n, pos: n.pos, text: clip(n.text)}
	switch n.kind {
	case tokString:
		out.t = valueType{kind: kString}
		out.text = "'" + strings.ReplaceAll(n.text, "'", "''") + "'"
		out.eval = constant(c.fold(n.text))
	case tokEnum:
		// Typed as a string literal until it meets the enum it is
		// compared with (resolveEnum), which must be of its type.
		out.t = valueType{kind: kString}
		out.text = n.typeName + "'" + strings.ReplaceAll(n.text, "'", "''") + "'"
		out.eval = constant(n.text)
	case tokNumber:
		f, err := strconv.ParseFloat(n.text, 64)
		if err != nil {
			return nil, queryError(c.option, n.pos, "'%s' is not a number this service can represent", n.text)
		}
		out.t = valueType{kind: kNumber}
		out.eval = constant(f)
	case tokDate:
		if !graphprofile.ValidDate(n.text) {
			return nil, queryError(c.option, n.pos, "'%s' is not a valid Edm.Date", n.text)
		}
		d := graphprofile.Date(n.text)
		out.t = valueType{kind: kDate}
		out.eval = constant(d)
	case tokDateTime:
		tm, err := parseDateTime(n.text)
		if err != nil {
			return nil, queryError(c.option, n.pos, "'%s' is not a valid Edm.DateTimeOffset", n.text)
		}
		out.t = valueType{kind: kDateTime}
		out.eval = constant(tm)
	case tokGUID:
		out.t = valueType{kind: kGUID}
		v := strings.ToLower(n.text)
		out.eval = constant(v)
	default:
		switch n.text {
		case "true", "false":
			b := n.text == "true"
			out.t = valueType{kind: kBool}
			out.eval = constant(b)
		default:
			out.t = valueType{kind: kNull}
			out.eval = constant(nil)
		}
	}
	return out, nil
}

// constant evaluates to v, boxed once here rather than on every evaluation.
func constant(v any) evalFunc { return func(*env) any { return v } }

// parseDateTime reads a DateTimeOffset literal as a body's value is read:
// in UTC, to the 100 ns that Graph's seven fractional digits carry (as
// graphprofile keeps every time), so that a filter with the value a client
// wrote (Go's time.RFC3339Nano writes nine digits) finds what was kept of it.
func parseDateTime(s string) (time.Time, error) {
	if t, err := graphprofile.ParseDateTimeOffset(s); err == nil && graphprofile.ValidDateTimeOffset(t) {
		return t.UTC().Truncate(100 * time.Nanosecond), nil
	}
	return time.Time{}, fmt.Errorf("not a DateTimeOffset: %s", s)
}

// path compiles a property path from the entity or from a lambda variable.
func (c *compiler) path(n *pathNode) (*compiled, error) {
	var t valueType
	var get evalFunc
	segments := n.segments
	property := strings.Join(segments, "/")
	if v := c.lookup(segments[0]); v != nil {
		index := v.index
		t, get = v.t, func(e *env) any { return e.vars[index] }
		segments = segments[1:]
		property = v.collection
	} else {
		t, get = valueType{kind: kComplex, edm: c.root}, func(e *env) any { return e.root }
	}
	text := strings.Join(n.segments, "/")
	// The path in the schema's spelling, whatever the request's: what a
	// Clause names, so that a resource's Restrictions (keyed by the
	// schema's names) apply to DisplayName as to displayName.
	var canonical []string
	for _, name := range segments {
		if t.kind == kCollection {
			return nil, queryError(c.option, n.pos, "'%s' goes into the collection before '%s'; use any() or all() to look into a collection", text, name)
		}
		if t.kind != kComplex {
			return nil, queryError(c.option, n.pos, "'%s' goes into %s, which has no properties", text, t)
		}
		prop := t.edm.Property(name) // ignoring case, as Graph does
		if prop == nil || prop.WriteOnly {
			return nil, queryError(c.option, n.pos, "could not find a property named '%s' on type '%s'", name, t.edm.Name)
		}
		name := prop.Name
		canonical = append(canonical, name)
		parent := get
		get = func(e *env) any {
			obj, ok := parent(e).(graphprofile.Object)
			if !ok {
				return nil
			}
			return normalize(obj[name])
		}
		t = propertyType(prop)
	}
	if c.root.IgnoreCase && t.kind == kString && len(segments) > 0 && !c.isID(n, canonical) {
		// Values of the entity compare in lower case, as the literals do;
		// a lambda variable's items are lowered as they are taken. Its id
		// is a key, not a name: it keeps its case (idLiteral).
		exact := get
		get = func(e *env) any { return c.fold(exact(e)) }
	}
	if len(canonical) == len(n.segments) { // from the entity, not a lambda variable
		property = strings.Join(canonical, "/")
	}
	return &compiled{t: t, eval: get, pos: n.pos, text: clip(text), property: property}, nil
}

// isID reports whether the path n, resolved to canonical, is the entity's
// own id (not a lambda variable's property, nor a complex value's).
func (c *compiler) isID(n *pathNode, canonical []string) bool {
	return len(n.segments) == 1 && len(canonical) == 1 && canonical[0] == "id"
}

// idLiteral makes a string literal compared with the entity's id of a type
// whose strings ignore case (users) compare as /users/{id} finds a user: a
// GUID-shaped id in any case (ids are stored in lower case), another id (an
// issuer's object id need not be a GUID) exactly, so that "Zed" and "zed",
// two users, are not both id eq 'Zed'. Without it the literal was lowered,
// and the id with it, as a name is.
func (c *compiler) idLiteral(x, lit *compiled) {
	if !c.root.IgnoreCase || x.literal != nil || x.property != "id" || lit.literal == nil || lit.literal.kind != tokString {
		return
	}
	v := lit.literal.text
	if graphprofile.IsGUID(v) {
		v = strings.ToLower(v)
	}
	lit.eval = constant(v)
}

// fold returns v in lower case (graphprofile.NameKey, the form the stores
// order users' names by) when it is a string and the entity type's
// strings compare ignoring case (graphprofile.Type.IgnoreCase); else v.
func (c *compiler) fold(v any) any {
	if s, ok := v.(string); ok && c.root.IgnoreCase {
		return graphprofile.NameKey(s)
	}
	return v
}

func (c *compiler) lookup(name string) *scope {
	for s := c.scope; s != nil; s = s.parent {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (c *compiler) logical(n *binaryNode) (*compiled, error) {
	l, err := c.boolean(n.l, "the left side of '"+n.op+"'")
	if err != nil {
		return nil, err
	}
	r, err := c.boolean(n.r, "the right side of '"+n.op+"'")
	if err != nil {
		return nil, err
	}
	out := &compiled{t: valueType{kind: kBool}, pos: n.pos, text: clip(l.text + " " + n.op + " " + r.text)}
	// OData's three-valued logic: "and" is decided by a false operand, "or"
	// by a true one; otherwise null (unknown) wins over the other value.
	decisive := n.op == "or"
	if n.op == "and" {
		out.anyOf = bothOf(l.anyOf, r.anyOf)
	} else {
		out.anyOf = eitherOf(l.anyOf, r.anyOf)
	}
	if n.op == "and" && (l.keys != nil || r.keys != nil) {
		// Both sides must be true: what each requires, the whole does
		// (of two lists of a property, either; the shorter is kept).
		out.keys = make(map[string][]string, len(l.keys)+len(r.keys))
		for _, side := range []map[string][]string{l.keys, r.keys} {
			for p, vs := range side {
				if have, ok := out.keys[p]; !ok || len(vs) < len(have) {
					out.keys[p] = vs
				}
			}
		}
	}
	out.eval = func(e *env) any {
		a := l.eval(e)
		if a == decisive {
			return decisive
		}
		b := r.eval(e)
		switch {
		case b == decisive:
			return decisive
		case a == nil || b == nil:
			return nil
		}
		return !decisive
	}
	return out, nil
}

// maxTextLen bounds the text of an and/or chain kept for messages. A chain
// is not nested (the parser builds it in a loop), so it can be as long as the
// query string; without the bound, each link would copy the text of all
// links before it and compiling would take quadratic time and memory.
const maxTextLen = 200

// clip shortens text to at most maxTextLen bytes (at a rune boundary) plus "…".
func clip(text string) string {
	if len(text) <= maxTextLen {
		return text
	}
	end := maxTextLen
	for end > 0 && !utf8.RuneStart(text[end]) {
		end--
	}
	return text[:end] + "…"
}

// operands compiles both sides of a binary operator.
func (c *compiler) operands(n *binaryNode) (l, r *compiled, err error) {
	if l, err = c.compile(n.l); err != nil {
		return nil, nil, err
	}
	if r, err = c.compile(n.r); err != nil {
		return nil, nil, err
	}
	return l, r, nil
}

// comparison compiles eq, ne, gt, ge, lt, le.
func (c *compiler) comparison(n *binaryNode) (*compiled, error) {
	l, r, err := c.operands(n)
	if err != nil {
		return nil, err
	}
	if err := c.unify(n.op, n.pos, l, r); err != nil {
		return nil, err
	}
	c.idLiteral(l, r)
	c.idLiteral(r, l)
	c.clause(n.op, l, r)
	out := &compiled{t: valueType{kind: kBool}, pos: n.pos, text: clip(l.text + " " + n.op + " " + r.text)}
	if n.op == "eq" {
		x, lit := l, r
		if x.literal != nil {
			x, lit = r, l
		}
		if c.keyProperty(x) {
			if v, ok := stringLiteral(lit); ok {
				out.keys = map[string][]string{x.property: {v}}
				out.anyOf = [][]KeyPrefix{{{Property: x.property, Prefix: v}}}
			}
		}
	}
	le, re, op := l.eval, r.eval, n.op
	if x, bound, compared, rounded := int32Comparison(l, r, n.op); rounded {
		le, re, op = x.eval, constant(bound), compared
	}
	switch op {
	case "never":
		out.eval = constant(false)
	case "always":
		out.eval = constant(true)
	case "eq":
		out.eval = func(e *env) any { return equal(le(e), re(e)) }
	case "ne":
		out.eval = func(e *env) any { return !equal(le(e), re(e)) }
	default:
		out.eval = func(e *env) any {
			a, b := le(e), re(e)
			if a == nil || b == nil {
				return false // null is neither greater nor less than anything
			}
			cmp := compareValues(a, b)
			switch op {
			case "gt":
				return cmp > 0
			case "ge":
				return cmp >= 0
			case "lt":
				return cmp < 0
			default:
				return cmp <= 0
			}
		}
	}
	return out, nil
}

// int32Comparison compares an Edm.Int32 value with a number literal
// exactly, as OData does (it promotes the Int32 to the literal's
// Edm.Decimal), where the literal as a float64 is rounded
// (2.99999999999999999 is 3.0) or out of Int32's range: "x op lit" (or
// "lit op x") becomes "x compared bound", bound an integer a float64 holds
// exactly, compared "never" or "always" when no integer can meet it (eq
// or ne with a fraction). rounded is false when the literal compares as
// it is.
func int32Comparison(l, r *compiled, op string) (x *compiled, bound float64, compared string, rounded bool) {
	x, lit := l, r
	if l.literal != nil {
		x, lit = r, l
		op = map[string]string{"gt": "lt", "ge": "le", "lt": "gt", "le": "ge", "eq": "eq", "ne": "ne"}[op]
	}
	if x.literal != nil || x.t.edm == nil || x.t.edm.Kind != graphprofile.KindInt32 || lit.literal == nil || lit.literal.kind != tokNumber {
		return nil, 0, "", false
	}
	bound, integral, rounded := int32Bound(lit.literal.text)
	if !rounded {
		return nil, 0, "", false
	}
	if integral {
		return x, bound, op, true
	}
	// bound is the literal's floor: an integer is above the literal when
	// above its floor, and below it when not.
	switch op {
	case "eq":
		return x, 0, "never", true
	case "ne":
		return x, 0, "always", true
	case "gt", "ge":
		return x, bound, "gt", true
	}
	return x, bound, "le", true
}

// int32Bound reads a number literal as an Edm.Decimal, exactly: rounded
// reports whether a float64 misses it (its value rounded, or past Int32's
// range); then bound is its floor, within one past Int32's range (which
// orders every Int32 as the literal does), and integral whether it has no
// fraction.
func int32Bound(text string) (bound float64, integral, rounded bool) {
	// The exponent is taken within the mantissa's length and 64 more,
	// which changes no answer (past it the value is as far from any Int32,
	// or as near zero, either way) but keeps 10^exponent small: "1e-99999999"
	// is a float64 (0), and its powers of ten would take seconds.
	mantissa, exponent, _ := strings.Cut(strings.ToLower(text), "e")
	var r big.Rat
	if _, ok := r.SetString(mantissa); !ok {
		return 0, false, false
	}
	if exponent != "" {
		e, err := strconv.ParseInt(exponent, 10, 32) // past int32 it is clamped, with an error
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, false, false
		}
		limit := int64(len(mantissa) + 64)
		e = max(-limit, min(e, limit))
		scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(max(e, -e)), nil))
		if e >= 0 {
			r.Mul(&r, scale)
		} else {
			r.Quo(&r, scale)
		}
	}
	if f, exact := r.Float64(); exact && f >= math.MinInt32 && f <= math.MaxInt32 {
		return 0, false, false
	}
	floor := new(big.Int).Div(r.Num(), r.Denom()) // Euclidean: the floor, as Denom > 0
	switch {
	case floor.Cmp(big.NewInt(math.MinInt32-1)) < 0:
		bound = math.MinInt32 - 1
	case floor.Cmp(big.NewInt(math.MaxInt32+1)) > 0:
		bound = math.MaxInt32 + 1
	default:
		bound = float64(floor.Int64())
	}
	return bound, r.IsInt(), true
}

// keyProperty reports whether x is a string property of the entity itself
// (not of a lambda variable, nor a property of a complex value), whose
// values a filter's keys name.
func (c *compiler) keyProperty(x *compiled) bool {
	return c.lambdas == 0 && c.scope == nil && x.literal == nil && x.property != "" &&
		!strings.Contains(x.property, "/") && x.t.kind == kString
}

// stringLiteral returns the value of lit, a string literal, as it is
// compared (in lower case for a type whose strings ignore case, an id as
// idLiteral keeps it).
func stringLiteral(lit *compiled) (string, bool) {
	if lit.literal == nil || lit.literal.kind != tokString {
		return "", false
	}
	v, ok := lit.eval(nil).(string)
	return v, ok
}

// unify checks that l and r can be compared with op, resolving enum member
// names in string literals against the enum they are compared with.
func (c *compiler) unify(op string, pos int, l, r *compiled) error {
	ordering := op != "eq" && op != "ne"
	mismatch := func() error {
		return queryError(c.option, pos, "cannot compare %s (%s) with %s (%s) using '%s'", l.shown(), l.t, r.shown(), r.t, op)
	}
	switch {
	case l.t.kind == kNull || r.t.kind == kNull:
		if ordering {
			return queryError(c.option, pos, "'%s' cannot compare with null; use eq or ne", op)
		}
		return nil
	case l.t.kind == kEnum && r.t.kind == kString && r.literal != nil:
		return c.resolveEnum(l.t.edm, r, ordering, op)
	case r.t.kind == kEnum && l.t.kind == kString && l.literal != nil:
		return c.resolveEnum(r.t.edm, l, ordering, op)
	case l.enumLiteral() || r.enumLiteral():
		lit, other := l, r
		if r.enumLiteral() {
			lit, other = r, l
		}
		return queryError(c.option, lit.pos, "%s is a literal of %s, which cannot be compared with %s (%s)", lit.shown(), lit.literal.typeName, other.shown(), other.t)
	case l.t.kind == kGUID || r.t.kind == kGUID:
		guid := l
		if r.t.kind == kGUID {
			guid = r
		}
		if l.t.kind == kString || r.t.kind == kString {
			return queryError(c.option, guid.pos, "'%s' is an Edm.Guid literal, but ids are strings here: quote it, as in id eq '%s'", guid.text, guid.text)
		}
		return mismatch()
	case l.t.kind != r.t.kind:
		return mismatch()
	case l.t.kind == kEnum:
		if l.t.edm != r.t.edm || ordering {
			return mismatch()
		}
	case l.t.kind == kComplex || l.t.kind == kCollection:
		return queryError(c.option, pos, "%s is %s, which can only be compared with null", l.shown(), l.t)
	case l.t.kind == kBool && ordering:
		return queryError(c.option, pos, "booleans cannot be ordered with '%s'; use eq or ne", op)
	}
	return nil
}

// resolveEnum checks that the string literal lit names a value of enum t and
// makes it evaluate to the canonical form the stored values have.
func (c *compiler) resolveEnum(t *graphprofile.Type, lit *compiled, ordering bool, op string) error {
	if ordering {
		return queryError(c.option, lit.pos, "values of %s cannot be ordered with '%s'; use eq, ne, in or has", t.Name, op)
	}
	if err := c.checkEnumType(t, lit); err != nil {
		return err
	}
	v, ok := graphprofile.EnumValue(t, lit.literal.text)
	if !ok {
		return queryError(c.option, lit.pos, "'%s' is not a member of %s (members: %s)", lit.literal.text, t.Name, strings.Join(t.Members, ", "))
	}
	lit.t = valueType{kind: kEnum, edm: t}
	lit.eval = constant(v)
	return nil
}

// checkEnumType checks that lit, a member name compared with a value of
// enum t, is a string literal or an enum literal of t (its type name in any
// case, as names are everywhere, and with the schema's alias, graph, for
// its namespace, as $metadata declares it).
func (c *compiler) checkEnumType(t *graphprofile.Type, lit *compiled) error {
	if lit.enumLiteral() && !strings.EqualFold(lit.literal.typeName, t.Name) && !strings.EqualFold(lit.literal.typeName, "graph."+t.ShortName()) {
		return queryError(c.option, lit.pos, "%s is a literal of %s, not of %s", lit.shown(), lit.literal.typeName, t.Name)
	}
	return nil
}

// has compiles "flags has 'member'" for a flags enum.
func (c *compiler) has(n *binaryNode) (*compiled, error) {
	l, r, err := c.operands(n)
	if err != nil {
		return nil, err
	}
	if l.t.kind != kEnum || !l.t.edm.IsFlags {
		return nil, queryError(c.option, n.pos, "'has' needs a flags enumeration on its left, but %s is %s", l.shown(), l.t)
	}
	if r.literal == nil || r.t.kind != kString {
		return nil, queryError(c.option, r.pos, "'has' needs a string literal naming members of %s on its right", l.t.edm.Name)
	}
	c.clause("has", l, r)
	t := l.t.edm
	if err := c.checkEnumType(t, r); err != nil {
		return nil, err
	}
	canonical, ok := graphprofile.EnumValue(t, r.literal.text)
	if !ok {
		return nil, queryError(c.option, r.pos, "'%s' is not a member of %s (members: %s)", r.literal.text, t.Name, strings.Join(t.Members, ", "))
	}
	mask := flagsValue(t, canonical)
	le := l.eval
	return &compiled{t: valueType{kind: kBool}, pos: n.pos, text: clip(l.text + " has " + r.text), eval: func(e *env) any {
		s, ok := le(e).(string)
		if !ok {
			return nil // has with a null operand is null (unknown), as OData says
		}
		return flagsValue(t, s)&mask == mask
	}}, nil
}

// flagsValue is the numeric value of a (canonical) enum value.
func flagsValue(t *graphprofile.Type, s string) int64 {
	var v int64
	for name := range strings.SplitSeq(s, ",") {
		n, _ := t.MemberValue(name)
		v |= n
	}
	return v
}

func (c *compiler) in(n *inNode) (*compiled, error) {
	x, err := c.compile(n.x)
	if err != nil {
		return nil, err
	}
	if x.t.kind == kComplex || x.t.kind == kCollection {
		return nil, queryError(c.option, n.pos, "'in' needs a single value on its left, but %s is %s", x.shown(), x.t)
	}
	items := make([]evalFunc, len(n.list))
	keys := []string{}
	if !c.keyProperty(x) {
		keys = nil
	}
	for i, itemNode := range n.list {
		item, err := c.compile(itemNode)
		if err != nil {
			return nil, err
		}
		if item.literal == nil {
			return nil, queryError(c.option, item.pos, "the list of 'in' may hold literals only, but %s is not one", item.shown())
		}
		if err := c.unify("eq", item.pos, x, item); err != nil {
			return nil, err
		}
		c.idLiteral(x, item)
		items[i] = item.eval
		if _, bound, compared, rounded := int32Comparison(x, item, "eq"); rounded {
			// No Int32 equals a fraction, nor the bound of an integer
			// past Int32's range.
			items[i] = constant(math.NaN()) // equal to nothing
			if compared == "eq" {
				items[i] = constant(bound)
			}
		}
		if v, ok := stringLiteral(item); ok && keys != nil {
			keys = append(keys, v)
		} else {
			keys = nil
		}
	}
	c.clause("in", x, nil)
	xe := x.eval
	out := &compiled{t: valueType{kind: kBool}, pos: n.pos, text: clip(x.text + " in (…)")}
	if keys != nil {
		out.keys = map[string][]string{x.property: keys}
		if len(keys) <= maxAlternative {
			conditions := make([]KeyPrefix, len(keys))
			for i, v := range keys {
				conditions[i] = KeyPrefix{Property: x.property, Prefix: v}
			}
			out.anyOf = [][]KeyPrefix{conditions}
		}
	}
	out.eval = func(e *env) any {
		v := xe(e)
		for _, item := range items {
			if equal(v, item(e)) {
				return true
			}
		}
		return false
	}
	return out, nil
}

// functions are the functions $filter supports, with their arity.
var functions = map[string]int{"startswith": 2, "endswith": 2, "contains": 2, "tolower": 1, "toupper": 1}

func (c *compiler) call(n *callNode) (*compiled, error) {
	// Graph takes function names in any case: its docs write startsWith and
	// endsWith, OData startswith and endswith.
	name := n.name
	if _, ok := functions[strings.ToLower(name)]; ok {
		name = strings.ToLower(name)
	}
	arity, ok := functions[name]
	if !ok {
		return nil, queryError(c.option, n.pos, "the function '%s' is not supported; the supported functions are contains, endswith, startswith, tolower and toupper", name)
	}
	if len(n.args) != arity {
		return nil, queryError(c.option, n.pos, "'%s' takes %d argument(s), not %d", name, arity, len(n.args))
	}
	args := make([]*compiled, arity)
	texts := make([]string, arity)
	for i, a := range n.args {
		arg, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		if arg.t.kind != kString {
			return nil, queryError(c.option, arg.pos, "the arguments of '%s' must be strings, but %s is %s", name, arg.shown(), arg.t)
		}
		if arg.enumLiteral() {
			return nil, queryError(c.option, arg.pos, "the arguments of '%s' must be strings, but %s is a literal of %s", name, arg.shown(), arg.literal.typeName)
		}
		args[i], texts[i] = arg, arg.text
	}
	var other *compiled
	if arity == 2 {
		other = args[1]
	}
	c.clause(name, args[0], other)
	out := &compiled{pos: n.pos, text: clip(name + "(" + strings.Join(texts, ",") + ")")}
	if arity == 1 {
		change := strings.ToLower
		if name == "toupper" {
			change = strings.ToUpper
		}
		a := args[0].eval
		out.t = valueType{kind: kString}
		out.eval = func(e *env) any {
			s, ok := a(e).(string)
			if !ok || (len(s) >= stringStepBytes && !e.spend(len(s)/stringStepBytes)) {
				return nil
			}
			return c.fold(change(s))
		}
		return out, nil
	}
	test := map[string]func(s, sub string) bool{"startswith": strings.HasPrefix, "endswith": strings.HasSuffix, "contains": strings.Contains}[name]
	if name == "startswith" && c.keyProperty(args[0]) {
		if v, ok := stringLiteral(args[1]); ok {
			out.anyOf = [][]KeyPrefix{{{Property: args[0].property, Prefix: v}}}
		}
	}
	a, b := args[0].eval, args[1].eval
	out.t = valueType{kind: kBool}
	out.eval = func(e *env) any {
		s, ok1 := a(e).(string)
		sub, ok2 := b(e).(string)
		if !ok1 || !ok2 || (len(s)+len(sub) >= stringStepBytes && !e.spend((len(s)+len(sub))/stringStepBytes)) {
			return nil
		}
		return test(s, sub)
	}
	return out, nil
}

func (c *compiler) lambda(n *lambdaNode) (*compiled, error) {
	coll, err := c.path(n.collection)
	if err != nil {
		return nil, err
	}
	name := "any"
	if n.all {
		name = "all"
	}
	if coll.t.kind != kCollection {
		return nil, queryError(c.option, n.pos, "%s() needs a collection, but %s is %s", name, coll.shown(), coll.t)
	}
	get := coll.eval
	c.clause(name, coll, nil)
	if c.lambdas >= MaxLambdaNesting {
		return nil, queryError(c.option, n.pos, "%s() is nested in %d other lambda operators; at most %d may be nested", name, c.lambdas, MaxLambdaNesting-1)
	}
	if n.body == nil { // any(): is the collection non-empty?
		return &compiled{t: valueType{kind: kBool}, pos: n.pos, text: clip(coll.text + "/any()"), eval: func(e *env) any {
			items, _ := get(e).([]any)
			return len(items) > 0
		}}, nil
	}
	if c.lookup(n.variable) != nil || c.root.Property(n.variable) != nil {
		return nil, queryError(c.option, n.pos, "the lambda variable '%s' hides another name; choose another", n.variable)
	}
	elem := valueType{kind: coll.t.elem, edm: coll.t.edm}
	fold := func(v any) any { return v }
	if elem.kind == kString {
		fold = c.fold
	}
	index := c.vars
	c.vars++
	c.scope = &scope{name: n.variable, t: elem, index: index, parent: c.scope, collection: coll.property}
	c.lambdas++
	body, err := c.boolean(n.body, "the body of "+name+"()")
	c.lambdas--
	c.scope = c.scope.parent
	if err != nil {
		return nil, err
	}
	all := n.all
	bodyCost := exprCost(n.body)
	out := &compiled{t: valueType{kind: kBool}, pos: n.pos, text: clip(coll.text + "/" + name + "(" + n.variable + ": " + body.text + ")")}
	out.eval = func(e *env) any {
		items, _ := get(e).([]any)
		if !e.spend(len(items) * bodyCost) {
			return nil
		}
		for _, item := range items {
			e.vars[index] = fold(normalize(item))
			matched := body.eval(e) == true
			if all && !matched {
				return false
			}
			if !all && matched {
				return true
			}
		}
		return all
	}
	return out, nil
}

// equal is OData's eq: null equals null only.
func equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return a == b
}

// compareValues orders two non-null values of the same kind.
func compareValues(a, b any) int {
	switch a := a.(type) {
	case string:
		return strings.Compare(a, b.(string))
	case graphprofile.Date:
		return strings.Compare(string(a), string(b.(graphprofile.Date)))
	case float64:
		bf := b.(float64)
		switch {
		case a < bf:
			return -1
		case a > bf:
			return 1
		}
		return 0
	case time.Time:
		return a.Compare(b.(time.Time))
	case bool:
		bb := b.(bool)
		switch {
		case a == bb:
			return 0
		case !a:
			return -1
		}
		return 1
	}
	return 0
}
