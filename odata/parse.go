package odata

import (
	"fmt"
	"strings"
)

// node is a node of a parsed expression.
type node interface{ position() int }

type (
	// literalNode is a literal: string, number, date, dateTimeOffset, GUID,
	// true, false or null.
	literalNode struct {
		pos      int
		kind     tokenKind // tokString, tokNumber, tokDate, tokDateTime, tokGUID, tokEnum; tokIdent for true/false/null
		text     string
		typeName string // tokEnum: the enum type's qualified name, as written
	}
	// pathNode is a property path, possibly starting at a lambda variable.
	pathNode struct {
		pos      int
		segments []string
	}
	// callNode is a function call.
	callNode struct {
		pos  int
		name string
		args []node
	}
	// notNode is "not x".
	notNode struct {
		pos int
		x   node
	}
	// binaryNode is a logical, comparison or has expression.
	binaryNode struct {
		pos  int
		op   string
		l, r node
	}
	// inNode is "x in (a, b, …)".
	inNode struct {
		pos  int
		x    node
		list []node
	}
	// lambdaNode is "collection/any(v: body)" or all; body is nil for any().
	lambdaNode struct {
		pos        int
		collection *pathNode
		all        bool
		variable   string
		body       node
	}
)

func (n *literalNode) position() int { return n.pos }
func (n *pathNode) position() int    { return n.pos }
func (n *callNode) position() int    { return n.pos }
func (n *notNode) position() int     { return n.pos }
func (n *binaryNode) position() int  { return n.pos }
func (n *inNode) position() int      { return n.pos }
func (n *lambdaNode) position() int  { return n.pos }

// maxDepth bounds the nesting of an expression, so a hostile one cannot
// exhaust the stack.
const maxDepth = 100

// parser is a recursive-descent parser of OData's boolean expressions, with
// OData's precedence (URL Conventions, "Operator Precedence"): or < and <
// comparison < not (unary) < has, in and primary, so "not a eq b" is "(not
// a) eq b" and "not a has b" is "not (a has b)".
type parser struct {
	option string
	toks   []token
	i      int
	depth  int
}

func parseExpression(option, s string) (node, error) {
	return parseExpressionAt(option, s, 0)
}

// parseExpressionAt parses s[start:], naming positions as offsets in s (an
// $orderby key is parsed in place, so its errors name positions in the
// whole $orderby).
func parseExpressionAt(option, s string, start int) (node, error) {
	toks, err := lex(option, s, start)
	if err != nil {
		return nil, err
	}
	p := &parser{option: option, toks: toks}
	if p.peek().kind == tokEOF {
		return nil, syntaxError(option, start, "the expression is empty")
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, syntaxError(option, t.pos, fmt.Sprintf("unexpected %s after a complete expression", t.describe()))
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

// isKeyword reports whether the next token is the operator word, in any
// case: Graph reads "NOT", "OR" and "EQ" as "not", "or" and "eq" (its
// documentation's examples of advanced queries write them so).
func (p *parser) isKeyword(word string) bool {
	t := p.peek()
	return t.kind == tokIdent && strings.EqualFold(t.text, word)
}

func (p *parser) expect(kind tokenKind, what string) (token, error) {
	t := p.next()
	if t.kind != kind {
		return t, syntaxError(p.option, t.pos, fmt.Sprintf("expected %s but found %s", what, t.describe()))
	}
	return t, nil
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > maxDepth {
		return syntaxError(p.option, pos, fmt.Sprintf("the expression is nested more than %d levels deep", maxDepth))
	}
	return nil
}

func (p *parser) or() (node, error) { return p.binary("or", p.and) }

func (p *parser) and() (node, error) { return p.binary("and", p.comparison) }

// binary parses operands joined by the keyword op, left-associative; each
// operand is what operand parses (the next tighter precedence level).
func (p *parser) binary(op string, operand func() (node, error)) (node, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(op) {
		t := p.next()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = &binaryNode{pos: t.pos, op: op, l: l, r: r}
	}
	return l, nil
}

// unary parses "not x", x being a unary operand itself, or a primary: not
// is a unary operator and binds tighter than the comparisons, so that "not
// isCurrent eq false" is "(not isCurrent) eq false", as OData reads it.
func (p *parser) unary() (node, error) {
	if p.isKeyword("not") {
		t := p.next()
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		x, err := p.unary()
		p.depth--
		if err != nil {
			return nil, err
		}
		return &notNode{pos: t.pos, x: x}, nil
	}
	return p.member()
}

// member parses a primary and the has or in after it, if any: OData 4.01
// puts them in the Primary group, above not, so "not allowedAudiences has
// 'me'" is "not (allowedAudiences has 'me')". One at most: "a has b has
// c" is a syntax error (its second has would test a condition, not flags).
func (p *parser) member() (node, error) {
	l, err := p.primary()
	if err != nil {
		return nil, err
	}
	switch t := p.peek(); {
	case p.isKeyword("has"):
		p.next()
		r, err := p.primary()
		if err != nil {
			return nil, err
		}
		return &binaryNode{pos: t.pos, op: "has", l: l, r: r}, nil
	case p.isKeyword("in"):
		p.next()
		if _, err := p.expect(tokOpen, "'(' to start the list of 'in'"); err != nil {
			return nil, err
		}
		list, err := p.list(p.primary, "the list of 'in'")
		if err != nil {
			return nil, err
		}
		return &inNode{pos: t.pos, x: l, list: list}, nil
	}
	return l, nil
}

var (
	equalityOps   = map[string]bool{"eq": true, "ne": true}
	relationalOps = map[string]bool{"gt": true, "ge": true, "lt": true, "le": true}
	arithmeticOps = map[string]bool{"add": true, "sub": true, "mul": true, "div": true, "divby": true, "mod": true}
)

// comparison parses eq and ne over relational operands, and relational
// parses gt, ge, lt and le over unary ones: OData's precedence table puts
// the relational operators above eq and ne, each group evaluated left to
// right, so "detail/layer gt 2 eq false" is "(detail/layer gt 2) eq false"
// and "isCurrent eq true eq false" is "(isCurrent eq true) eq false".
func (p *parser) comparison() (node, error) { return p.comparisons(equalityOps, p.relational) }

func (p *parser) relational() (node, error) { return p.comparisons(relationalOps, p.unary) }

// comparisons parses operands joined by the operators ops, left-associative.
func (p *parser) comparisons(ops map[string]bool, operand func() (node, error)) (node, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != tokIdent {
			return l, nil
		}
		switch op := strings.ToLower(t.text); {
		case ops[op]:
			p.next()
			r, err := operand()
			if err != nil {
				return nil, err
			}
			l = &binaryNode{pos: t.pos, op: op, l: l, r: r}
		case arithmeticOps[op]:
			return nil, queryError(p.option, t.pos, "the arithmetic operator '%s' is not supported", t.text)
		default:
			return l, nil
		}
	}
}

func (p *parser) primary() (node, error) {
	t := p.next()
	switch t.kind {
	case tokOpen:
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		n, err := p.or()
		p.depth--
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokClose, "')'"); err != nil {
			return nil, err
		}
		return n, nil
	case tokString, tokNumber, tokDate, tokDateTime, tokGUID, tokEnum:
		return &literalNode{pos: t.pos, kind: t.kind, text: t.text, typeName: t.typeName}, nil
	case tokIdent:
		switch word := strings.ToLower(t.text); word {
		case "true", "false", "null":
			return &literalNode{pos: t.pos, kind: tokIdent, text: word}, nil
		}
		if p.peek().kind == tokOpen {
			return p.call(t)
		}
		return p.path(t)
	case tokEOF:
		return nil, syntaxError(p.option, t.pos, "the expression ends where a value was expected")
	default:
		return nil, syntaxError(p.option, t.pos, fmt.Sprintf("expected a value but found %s", t.describe()))
	}
}

func (p *parser) call(name token) (node, error) {
	p.next() // (
	if err := p.enter(name.pos); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &callNode{pos: name.pos, name: name.text}
	if p.peek().kind == tokClose {
		p.next()
		return n, nil
	}
	args, err := p.list(p.or, "the arguments of '"+name.text+"'")
	if err != nil {
		return nil, err
	}
	n.args = args
	return n, nil
}

// list parses the rest of a list whose '(' was read: items, each parsed by
// item, separated by ',' and ended by ')'. where names the list in an
// error ("the list of 'in'").
func (p *parser) list(item func() (node, error), where string) ([]node, error) {
	var items []node
	for {
		n, err := item()
		if err != nil {
			return nil, err
		}
		items = append(items, n)
		sep := p.next()
		if sep.kind == tokClose {
			return items, nil
		}
		if sep.kind != tokComma {
			return nil, syntaxError(p.option, sep.pos, fmt.Sprintf("expected ',' or ')' in %s but found %s", where, sep.describe()))
		}
	}
}

// path parses a/b/c, ending in an optional any(…) or all(…).
func (p *parser) path(first token) (node, error) {
	path := &pathNode{pos: first.pos, segments: []string{first.text}}
	for p.peek().kind == tokSlash {
		p.next()
		seg, err := p.expect(tokIdent, "a property name after '/'")
		if err != nil {
			return nil, err
		}
		if (strings.EqualFold(seg.text, "any") || strings.EqualFold(seg.text, "all")) && p.peek().kind == tokOpen {
			return p.lambda(path, seg)
		}
		path.segments = append(path.segments, seg.text)
	}
	return path, nil
}

func (p *parser) lambda(collection *pathNode, op token) (node, error) {
	p.next() // (
	if err := p.enter(op.pos); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &lambdaNode{pos: op.pos, collection: collection, all: strings.EqualFold(op.text, "all")}
	if p.peek().kind == tokClose {
		p.next()
		if n.all {
			return nil, syntaxError(p.option, op.pos, "all() needs a lambda expression, as in all(x: x eq 'a')")
		}
		return n, nil
	}
	v, err := p.expect(tokIdent, "a lambda variable name, as in any(x: x eq 'a')")
	if err != nil {
		return nil, err
	}
	if strings.Contains(v.text, ".") {
		return nil, syntaxError(p.option, v.pos, fmt.Sprintf("'%s' is not a valid lambda variable name", v.text))
	}
	if _, err := p.expect(tokColon, "':' after the lambda variable"); err != nil {
		return nil, err
	}
	n.variable = v.text
	if n.body, err = p.or(); err != nil {
		return nil, err
	}
	if _, err := p.expect(tokClose, "')' to close the lambda"); err != nil {
		return nil, err
	}
	return n, nil
}
