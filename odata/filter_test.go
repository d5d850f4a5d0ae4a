package odata_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// TestParseFilterErrors: every refused $filter is a BadRequest whose message
// names the offending part and its byte offset in the expression.
func TestParseFilterErrors(t *testing.T) {
	guid := "7a9e0c1d-0000-4000-8000-0000000000f1"
	for _, tc := range []struct {
		name, expr string
		pos        int
		fragments  []string
	}{
		// Type mismatches.
		{"bool vs string", "isCurrent eq 'yes'", 10, []string{"'isCurrent' (Edm.Boolean)", "'yes'", "(Edm.String)", "'eq'"}},
		{"number vs string", "detail/layer eq '3'", 13, []string{"'detail/layer'", "'3'", "(Edm.String)"}},
		{"string vs number in list", "detail/jobTitle in (1,2)", 20, []string{"'detail/jobTitle' (Edm.String)", "'1' (a number)"}},
		{"date vs datetime", "detail/startMonthYear eq 2019-01-01T00:00:00Z", 22, []string{"(Edm.Date)", "'2019-01-01T00:00:00Z' (Edm.DateTimeOffset)"}},
		{"datetime vs date", "createdDateTime gt 2024-01-01", 16, []string{"'createdDateTime' (Edm.DateTimeOffset)", "'2024-01-01' (Edm.Date)", "'gt'"}},
		{"enum ordered with member", "allowedAudiences gt 'me'", 20, []string{"microsoft.graph.allowedAudiences cannot be ordered with 'gt'"}},
		{"enum ordered with enum", "allowedAudiences lt allowedAudiences", 17, []string{"cannot compare 'allowedAudiences'", "'lt'"}},
		{"enums of two types", "allowedAudiences eq detail/company/address/type", 17, []string{"cannot compare 'allowedAudiences' (microsoft.graph.allowedAudiences) with 'detail/company/address/type' (microsoft.graph.physicalAddressType) using 'eq'"}},
		{"enum in lambda ordered", "colleagues/any(p: p/relationship gt 'manager')", 36, []string{"microsoft.graph.personRelationship cannot be ordered with 'gt'"}},
		{"complex vs string", "detail eq 'x'", 7, []string{"'detail' (microsoft.graph.positionDetail)", "'x'"}},
		{"complex vs complex", "detail eq detail", 7, []string{"'detail' is microsoft.graph.positionDetail, which can only be compared with null"}},
		{"collection vs string", "categories eq 'remote'", 11, []string{"'categories' (Collection(Edm.String))", "'remote'"}},
		{"complex in list", "detail in (null)", 7, []string{"'in' needs a single value", "'detail'"}},
		{"null with gt", "detail/layer gt null", 13, []string{"'gt' cannot compare with null"}},
		{"null literal ordered", "null le 1", 5, []string{"'le' cannot compare with null"}},
		{"booleans ordered", "isCurrent gt false", 10, []string{"booleans cannot be ordered with 'gt'"}},
		{"lambda compared with number", "categories/any(c: c eq 'x') eq 1", 28, []string{"'categories/any(c: c eq 'x')' (Edm.Boolean)", "'1' (a number)"}},
		// Unknown properties and paths.
		{"unknown at root", "foo eq 1", 0, []string{"'foo'", "'microsoft.graph.workPosition'"}},
		{"unknown nested", "detail/company/foo eq 1", 0, []string{"'foo'", "'microsoft.graph.companyDetail'"}},
		{"unknown deep nested", "isCurrent and createdBy/user/nope eq 'x'", 14, []string{"'nope'", "'microsoft.graph.identity'"}},
		{"unknown inside lambda", "colleagues/any(p: p/nickname eq 'x')", 18, []string{"'nickname'", "'microsoft.graph.relatedPerson'"}},
		{"misspelt keyword is a property", "isCurrent eq tru", 13, []string{"'tru'"}},
		{"into a collection without any/all", "colleagues/displayName eq 'Ann'", 0, []string{"'colleagues/displayName'", "before 'displayName'", "any() or all()"}},
		{"into a primitive", "isCurrent/x eq 1", 0, []string{"'isCurrent/x' goes into Edm.Boolean"}},
		{"lambda over a non-collection", "detail/company/address/city/any(c: true)", 28, []string{"any() needs a collection", "'detail/company/address/city' is Edm.String"}},
		// Functions.
		{"length", "length(detail/jobTitle) eq 3", 0, []string{"'length' is not supported", "contains, endswith, startswith, tolower and toupper"}},
		{"substring", "isCurrent or substring(detail/jobTitle,1) eq 'a'", 13, []string{"'substring' is not supported"}},
		{"indexof", "indexof(detail/jobTitle,'a') eq 1", 0, []string{"'indexof' is not supported"}},
		{"now", "createdDateTime lt now()", 19, []string{"'now' is not supported"}},
		{"too few arguments", "startswith(detail/jobTitle)", 0, []string{"'startswith' takes 2 argument(s), not 1"}},
		{"too many arguments", "tolower(detail/jobTitle, 'x') eq 'a'", 0, []string{"'tolower' takes 1 argument(s), not 2"}},
		{"no arguments", "isCurrent and contains()", 14, []string{"'contains' takes 2 argument(s), not 0"}},
		{"number argument", "startswith(detail/layer,'1')", 11, []string{"arguments of 'startswith' must be strings", "'detail/layer' is a number"}},
		{"number literal argument", "contains(detail/jobTitle, 5)", 26, []string{"arguments of 'contains' must be strings", "'5' is a number"}},
		{"boolean argument", "endswith(detail/jobTitle, isCurrent)", 26, []string{"'isCurrent' is Edm.Boolean"}},
		// Operators.
		{"add", "detail/layer add 1 eq 3", 13, []string{"arithmetic operator 'add' is not supported"}},
		{"mod", "detail/layer mod 2 eq 0", 13, []string{"arithmetic operator 'mod'"}},
		{"sub", "detail/layer sub 1 eq 2", 13, []string{"arithmetic operator 'sub' is not supported"}},
		{"mul", "detail/layer mul 2 eq 6", 13, []string{"arithmetic operator 'mul' is not supported"}},
		{"div", "detail/layer div 2 eq 1", 13, []string{"arithmetic operator 'div' is not supported"}},
		{"divby", "detail/layer divby 2 eq 1.5", 13, []string{"arithmetic operator 'divby' is not supported"}},
		{"arithmetic after a relational operator", "detail/layer gt 1 add 1", 18, []string{"arithmetic operator 'add' is not supported"}},
		{"has on a non-flags enum", "detail/company/address/type has 'home'", 28, []string{"'has' needs a flags enumeration", "microsoft.graph.physicalAddressType"}},
		{"has on a string", "detail/jobTitle has 'x'", 16, []string{"'has' needs a flags enumeration", "'detail/jobTitle' is Edm.String"}},
		{"has with a non-member", "allowedAudiences has 'friends'", 21, []string{"'friends' is not a member of microsoft.graph.allowedAudiences", "members: me, family"}},
		{"has with a path", "allowedAudiences has detail/jobTitle", 21, []string{"'has' needs a string literal"}},
		{"enum literal not a member", "allowedAudiences eq 'world'", 20, []string{"'world' is not a member of microsoft.graph.allowedAudiences"}},
		{"enum literal not a member in lambda", "colleagues/any(p: p/relationship eq 'boss')", 36, []string{"'boss' is not a member of microsoft.graph.personRelationship"}},
		{"enum literal of another type", "allowedAudiences eq microsoft.graph.personRelationship'manager'", 20, []string{"microsoft.graph.personRelationship'manager' is a literal of microsoft.graph.personRelationship, not of microsoft.graph.allowedAudiences"}},
		{"enum literal vs string", "detail/jobTitle eq microsoft.graph.allowedAudiences'me'", 19, []string{"is a literal of microsoft.graph.allowedAudiences, which cannot be compared with 'detail/jobTitle' (Edm.String)"}},
		{"enum literal in a string list", "detail/jobTitle in ('a', microsoft.graph.allowedAudiences'me')", 25, []string{"is a literal of microsoft.graph.allowedAudiences"}},
		{"enum literal as function argument", "contains(detail/jobTitle, microsoft.graph.allowedAudiences'me')", 26, []string{"the arguments of 'contains' must be strings", "is a literal of microsoft.graph.allowedAudiences"}},
		{"enum literal not a member with has", "allowedAudiences has microsoft.graph.allowedAudiences'friends'", 21, []string{"'friends' is not a member of microsoft.graph.allowedAudiences"}},
		{"enum literal of another type with has", "allowedAudiences has microsoft.graph.physicalAddressType'home'", 21, []string{"is a literal of microsoft.graph.physicalAddressType, not of microsoft.graph.allowedAudiences"}},
		{"enum literal unclosed", "allowedAudiences eq microsoft.graph.allowedAudiences'me", 52, []string{"not closed"}},
		{"in list not literal", "detail/layer in (1, detail/layer)", 20, []string{"may hold literals only", "'detail/layer'"}},
		{"in without list", "isCurrent in 1", 13, []string{"expected '(' to start the list of 'in'", "'1'"}},
		// Syntax.
		{"unclosed paren", "(isCurrent eq true", 18, []string{"expected ')'", "the end of the expression"}},
		{"stray close paren", "isCurrent eq true)", 17, []string{"unexpected ')'"}},
		{"unterminated string", "detail/jobTitle eq 'abc", 19, []string{"string literal", "not closed"}},
		{"string not UTF-8", "detail/jobTitle eq 'a\xffb'", 19, []string{"the string literal is not valid UTF-8"}},
		{"trailing and", "isCurrent and", 13, []string{"ends where a value was expected"}},
		{"trailing or", "isCurrent eq true or", 20, []string{"ends where a value was expected"}},
		{"lone not", "not", 3, []string{"ends where a value was expected"}},
		{"empty", "", 0, []string{"the expression is empty"}},
		{"blank", "   ", 0, []string{"the expression is empty"}},
		{"semicolon", "isCurrent; eq true", 9, []string{"unexpected character ';'"}},
		{"double quote", `detail/jobTitle eq "x"`, 19, []string{`unexpected character '"'`}},
		// Comparisons chain, left to right (gt, ge, lt, le above eq, ne),
		// as OData's precedence has them; an ill-typed chain is refused.
		{"chained comparison of a condition with a string", "allowedAudiences eq 'organization' eq 'me'", 35, []string{"cannot compare 'allowedAudiences eq 'organization'' (Edm.Boolean) with 'me'"}},
		{"relational before equality", "isCurrent eq true gt false", 18, []string{"booleans cannot be ordered with 'gt'"}},
		{"chained relational", "detail/layer gt 1 gt 0", 18, []string{"cannot compare 'detail/layer gt 1' (Edm.Boolean) with '0'"}},
		{"trailing chained comparison", "isCurrent eq true eq", 20, []string{"ends where a value was expected"}},
		{"bad literal suffix", "detail/layer eq 1x", 16, []string{"'1x' is not a valid literal"}},
		{"unclosed call", "tolower(detail/jobTitle eq 'x'", 30, []string{"arguments of 'tolower'", "the end of the expression"}},
		{"lambda without colon", "categories/any(c c eq 'x')", 17, []string{"expected ':'", "'c'"}},
		{"lambda dotted variable", "categories/any(c.d: true)", 15, []string{"'c.d' is not a valid lambda variable name"}},
		{"unclosed lambda", "categories/any(c: true", 22, []string{"')' to close the lambda"}},
		// Literals.
		{"invalid date", "detail/startMonthYear eq 2019-13-01", 25, []string{"'2019-13-01' is not a valid Edm.Date"}},
		{"invalid datetime", "createdDateTime gt 2024-01-01T25:00:00Z", 19, []string{"'2024-01-01T25:00:00Z' is not a valid Edm.DateTimeOffset"}},
		{"date of year zero", "detail/startMonthYear eq 0000-01-01", 25, []string{"'0000-01-01' is not a valid Edm.Date"}},
		{"datetime past year 9999 in UTC", "createdDateTime lt 9999-12-31T23:59:59-05:00", 19, []string{"'9999-12-31T23:59:59-05:00' is not a valid Edm.DateTimeOffset"}},
		{"datetime before year 1 in UTC", "createdDateTime gt 0001-01-01T00:00:00+00:01", 19, []string{"'0001-01-01T00:00:00+00:01' is not a valid Edm.DateTimeOffset"}},
		{"datetime offset over 14 hours", "createdDateTime gt 2024-01-01T00:00:00+24:00", 19, []string{"'2024-01-01T00:00:00+24:00' is not a valid Edm.DateTimeOffset"}},
		{"datetime without zone", "createdDateTime gt 2024-01-01T10:00:00", 19, []string{"'2024-01-01T10:00:00' is not a valid literal"}},
		{"number out of range", "1e999 eq detail/layer", 0, []string{"'1e999' is not a number"}},
		{"unquoted GUID vs id", "id eq " + guid, 6, []string{"'" + guid + "' is an Edm.Guid literal", "quote it", "id eq '" + guid + "'"}},
		{"GUID vs boolean", "isCurrent eq " + guid, 10, []string{"(Edm.Guid)"}},
		// Booleans where a condition is needed.
		{"non-boolean filter", "detail/jobTitle", 0, []string{"$filter must be a boolean condition", "'detail/jobTitle' is Edm.String"}},
		{"non-boolean right of and", "isCurrent eq true and detail/jobTitle", 22, []string{"the right side of 'and' must be a boolean"}},
		{"non-boolean left of or", "detail/layer or isCurrent", 0, []string{"the left side of 'or' must be a boolean", "'detail/layer' is a number"}},
		{"non-boolean not", "not detail/jobTitle", 4, []string{"the operand of 'not' must be a boolean"}},
		{"not binds tighter than eq", "not detail/jobTitle eq 'x'", 4, []string{"the operand of 'not' must be a boolean", "'detail/jobTitle' is Edm.String"}},
		{"not binds tighter than gt", "not detail/layer gt 2", 4, []string{"the operand of 'not' must be a boolean", "'detail/layer' is a number"}},
		{"lambda body not boolean", "categories/any(c: c)", 18, []string{"the body of any() must be a boolean condition", "'c' is Edm.String"}},
		{"all body not boolean", "colleagues/all(p: p/displayName)", 18, []string{"the body of all() must be a boolean condition"}},
		{"all without lambda", "categories/all()", 11, []string{"all() needs a lambda expression"}},
		{"shadowing variable", "colleagues/any(p: categories/any(p: p eq 'x'))", 29, []string{"the lambda variable 'p' hides another name"}},
		{"variable hides a property", "categories/any(id: id eq 'x')", 11, []string{"the lambda variable 'id' hides another name"}},
		// Nesting.
		{"parens deeper than 100", strings.Repeat("(", 101) + "true" + strings.Repeat(")", 101), 100, []string{"nested more than 100 levels deep"}},
		{"not deeper than 100", strings.Repeat("not ", 101) + "true", 400, []string{"nested more than 100 levels deep"}},
		{"calls deeper than 100", strings.Repeat("tolower(", 101) + "'a'" + strings.Repeat(")", 101) + " eq 'a'", 800, []string{"nested more than 100 levels deep"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := odata.ParseFilter(tc.expr, graphprofile.WorkPositionType)
			if err == nil {
				t.Fatalf("ParseFilter(%q) = %v, want an error", tc.expr, f)
			}
			badRequest(t, err, tc.pos, tc.fragments...)
		})
	}
}

// TestParseFilterNestingLimit: 100 levels are fine, 101 are not.
func TestParseFilterNestingLimit(t *testing.T) {
	for _, expr := range []string{
		strings.Repeat("(", 100) + "isCurrent" + strings.Repeat(")", 100),
		strings.Repeat("not ", 100) + "isCurrent",
		strings.Repeat("categories/any(c: ", 1) + strings.Repeat("(", 99) + "c eq 'x'" + strings.Repeat(")", 99) + ")",
	} {
		if _, err := odata.ParseFilter(expr, graphprofile.WorkPositionType); err != nil {
			t.Errorf("%.40q…: %v", expr, err)
		}
	}
}

// TestLongChainsAreLinear: and/or chains are not nesting, so they are
// limited only as every filter is, by its tokens (MaxFilterTokens); a long
// one compiles in linear time and its messages quote only a bounded part
// of it.
func TestLongChainsAreLinear(t *testing.T) {
	chain := "isCurrent" + strings.Repeat(" or isCurrent", odata.MaxFilterTokens/2-10) // 65 kB
	start := time.Now()
	f, err := odata.ParseFilter(chain, graphprofile.WorkPositionType)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Match(graphprofile.Object{"isCurrent": true}) || f.Match(graphprofile.Object{"isCurrent": false}) {
		t.Error("the chain evaluates wrongly")
	}
	_, err = odata.ParseFilter("("+chain+") eq 1", graphprofile.WorkPositionType)
	badRequest(t, err, len(chain)+3, "cannot compare 'isCurrent or isCurrent", "…' (Edm.Boolean) with '1' (a number)")
	if len(graphprofile.ErrorMessage(err)) > 2*odata.MaxTextLen {
		t.Errorf("message of %d bytes", len(graphprofile.ErrorMessage(err)))
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a 65 kB chain took %v", d)
	}
}

// filterMatchCases are expressions of every kind (comparisons with each
// kind of value, null in three-valued logic, functions, has and in, lambdas,
// nesting) and the ids of dataset they select, in the default order. They
// also seed FuzzParseFilter.
var filterMatchCases = []struct{ filter, ids string }{
	{"isCurrent eq true", "f8 f1 f4 f6"},
	{"isCurrent eq null", "f3"},
	{"not isCurrent", "f2 f5 f7"},
	{"not isCurrent eq false", "f8 f1 f4 f6"},
	{"isCurrent ne true", "f2 f3 f5 f7"},
	{"allowedAudiences has 'organization'", "f1 f3 f7"},
	{"allowedAudiences has microsoft.graph.allowedAudiences'organization'", "f1 f3 f7"},
	// The schema's alias, graph, stands for its namespace, as in $metadata.
	{"allowedAudiences has graph.allowedAudiences'organization'", "f1 f3 f7"},
	{"allowedAudiences eq GRAPH.allowedAudiences'everyone'", "f8 f2"},
	{"allowedAudiences has 'contacts,organization'", "f3"},
	// A member by its value, as OData's enumValue allows.
	{"allowedAudiences has '8'", "f1 f3 f7"},
	{"allowedAudiences eq '32'", "f8 f2"},
	{"allowedAudiences has '2,organization'", "f3"},
	{"allowedAudiences eq 'everyone'", "f8 f2"},
	{"allowedAudiences in ('me','family')", "f4 f6"},
	{"detail/jobTitle eq 'O''Brien''s Assistant'", "f3"},
	{"tolower(detail/jobTitle) eq 'engineer'", "f6"},
	{"contains(toupper(detail/jobTitle),'ENGINEER')", "f1 f5 f6"},
	{"startswith(detail/jobTitle,'Engineer')", "f5"},
	{"endswith(detail/jobTitle,'er')", "f8 f1 f2 f5 f6"},
	// Graph's docs write startsWith and endsWith; Graph takes function names in any case.
	{"startsWith(detail/jobTitle,'Engineer')", "f5"},
	{"endsWith(detail/jobTitle,'er')", "f8 f1 f2 f5 f6"},
	{"CONTAINS(toUpper(detail/jobTitle),'ENGINEER')", "f1 f5 f6"},
	{"detail/jobTitle eq null", "f4"},
	{"detail eq null", "f4"},
	{"detail/company/displayName eq 'Contoso'", "f1"},
	{"tolower(detail/company/displayName) eq 'contoso'", "f1 f3"},
	{"detail/company/address/city eq 'Oslo'", "f1"},
	{"detail/layer gt 2", "f1 f5"},
	{"detail/layer le 0", "f8 f7"},
	{"detail/layer in (2, 3)", "f1 f2"},
	{"detail/layer ge 3", "f1 f5"},
	{"detail/layer lt 3", "f8 f2 f7"},
	// A decimal literal compares with an Edm.Int32 exactly (OData promotes
	// the Int32 to Edm.Decimal), though a float64 rounds it to 3.
	{"detail/layer gt 2.99999999999999999", "f1 f5"},
	{"2.99999999999999999 lt detail/layer", "f1 f5"},
	{"detail/layer eq 3.0000000000000001", ""},
	{"detail/layer ge 3.0000000000000001", "f5"},
	{"detail/layer lt 3.0000000000000001", "f8 f1 f2 f7"},
	{"detail/layer le 2.99999999999999999", "f8 f2 f7"},
	{"detail/layer in (2.99999999999999999, 2)", "f2"},
	{"detail/layer eq 2147483647.0000001", ""},
	{"detail/layer lt 3.000000000000000000000000000000000000000000000000000000000000000000001", "f8 f1 f2 f7"},
	{"detail/layer eq 3.00000000000000000000", "f1"},
	{"detail/layer eq 30000000000000000000e-19", "f1"},
	{"detail/layer gt 1e-99999999", "f1 f2 f5"},
	{"detail/layer ge -1e-99999999", "f1 f2 f5 f7"},
	{"detail/layer lt 1e-99999999", "f8 f7"},
	{"detail/layer eq 0e99999999", "f7"},
	{"detail/layer le 3", "f8 f1 f2 f7"},
	{"detail/layer ge -1.5", "f8 f1 f2 f5 f7"},
	{"not (detail/layer gt 2)", "f8 f2 f3 f4 f6 f7"},
	{"detail/startMonthYear ge 2019-01-01", "f1 f5"},
	{"detail/startMonthYear lt detail/endMonthYear", "f2"},
	{"createdDateTime eq 2024-01-05T00:00:00Z", "f5 f6"},
	{"createdDateTime lt 2024-01-01T00:00:00Z", "f8"},
	{"createdDateTime gt 2024-01-04T12:00:00+02:00", "f5 f6 f7"},
	{"createdDateTime gt 2024-01-04T12:00+02:00", "f5 f6 f7"},
	{"lastModifiedDateTime gt createdDateTime", "f7"},
	{"categories/any(c: c eq 'remote')", "f1 f6"},
	{"categories/any()", "f8 f1 f2 f6"},
	{"categories/all(c: c eq 'remote' or c eq 'part-time')", "f3 f4 f5 f6 f7"},
	{"colleagues/any(p: p/relationship eq 'colleague')", "f1 f2"},
	{"colleagues/any(p: categories/any(c: c eq 'remote') and p/displayName eq 'Bob')", "f1"},
	{"manager/displayName eq 'Ann'", "f1"},
	{"inference/confidenceScore lt 0.5", "f5"},
	{"inference/userHasVerifiedAccuracy eq true", "f1"},
	{"source/type/any(t: t eq 'HR')", "f4"},
	{"createdBy/application ne null", "f7"},
	{"id in ('f1','f7','nope')", "f1 f7"},
	{"(isCurrent eq false or isCurrent eq null) and not (allowedAudiences has 'organization')", "f2 f5"},
	{"true", "f8 f1 f2 f3 f4 f5 f6 f7"},
	{"false", ""},
}

// TestFilterMatch evaluates each of filterMatchCases over dataset: it
// parses back to its own text and selects exactly the expected ids.
func TestFilterMatch(t *testing.T) {
	items := dataset()
	for _, tc := range filterMatchCases {
		f, err := odata.ParseFilter(tc.filter, graphprofile.WorkPositionType)
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		if f.String() != tc.filter {
			t.Errorf("String() = %q, want %q", f.String(), tc.filter)
		}
		q := mustParse(t, "$top=999")
		q.Filter = f
		res, err := q.Apply(context.Background(), items, "b")
		if err != nil {
			t.Fatal(err)
		}
		if got := idsOf(res.Items); got != tc.ids {
			t.Errorf("$filter=%s\n got %s\nwant %s", tc.filter, got, tc.ids)
		}
	}
}

// TestFilterOtherType: a filter is checked against the type it is parsed
// for.
func TestFilterOtherType(t *testing.T) {
	f, err := odata.ParseFilter("startswith(displayName,'A') and accountEnabled", graphprofile.UserType)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Match(graphprofile.Object{"displayName": "Ann", "accountEnabled": true}) || f.Match(graphprofile.Object{"displayName": "Ann"}) {
		t.Error("wrong result")
	}
	_, err = odata.ParseFilter("passwordProfile/password eq 'x'", graphprofile.UserType)
	badRequest(t, err, 0, "could not find a property named 'passwordProfile' on type 'microsoft.graph.user'")
	_, err = odata.ParseFilter("isCurrent", graphprofile.UserType)
	badRequest(t, err, 0, "'isCurrent'")
}

// TestFilterMatchDoesNotChangeItems: matching reads, never writes.
func TestFilterMatchDoesNotChangeItems(t *testing.T) {
	f, err := odata.ParseFilter("colleagues/any(p: p/displayName eq 'Bob') and detail/layer eq 3 and categories/all(c: c ne '')", graphprofile.WorkPositionType)
	if err != nil {
		t.Fatal(err)
	}
	items := dataset()
	before := dataset()
	for i, p := range items {
		if got, want := f.Match(p), p["id"] == "f1"; got != want {
			t.Errorf("%s: %v", p["id"], got)
		}
		if !equalObjects(p, before[i]) {
			t.Errorf("Match changed %s", p["id"])
		}
	}
}

func equalObjects(a, b graphprofile.Object) bool { return reflect.DeepEqual(a, b) }

// TestNullOperands: OData's three-valued logic where an operand is null.
// A comparison with null is false (gt, lt, …) or decided (eq, ne); has and
// the string functions are null (unknown), and not of unknown stays unknown,
// so neither a term nor its negation selects the entity.
func TestNullOperands(t *testing.T) {
	unset := graphprofile.Object{"id": "x"}
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{"allowedAudiences has 'organization'", false},
		{"not (allowedAudiences has 'organization')", false},
		{"not allowedAudiences has 'me'", false},
		{"allowedAudiences eq null", true},
		{"not (allowedAudiences in ('me'))", true},
		{"not (detail/layer gt 1)", true},
		{"not contains(detail/jobTitle, 'a')", false},
		{"contains('abc', detail/jobTitle)", false},
		{"not endswith('abc', detail/jobTitle)", false},
		{"not (isCurrent eq true)", true},
		{"not isCurrent", false},
		// Unknown and true is unknown, unknown or false too: not of either
		// is unknown still.
		{"not (contains(detail/jobTitle, 'a') and true)", false},
		{"not (true and contains(detail/jobTitle, 'a'))", false},
		{"not (contains(detail/jobTitle, 'a') or false)", false},
		{"contains(detail/jobTitle, 'a') or true", true},
		{"contains(detail/jobTitle, 'a') and false", false},
		{"not (contains(detail/jobTitle, 'a') and false)", true},
	} {
		f, err := odata.ParseFilter(tc.filter, graphprofile.WorkPositionType)
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		if got := f.Match(unset); got != tc.want {
			t.Errorf("%s over an entity without the property: %v, want %v", tc.filter, got, tc.want)
		}
	}
}

// TestFilterKeys: Keys names the values one of which an entity's string
// property must have for a filter to hold, as the filter compares them
// (names in lower case, an id as /users/{id} finds it), and nothing a
// match need not have: a side of "or", a "not", a lambda's item, another
// type's literal.
func TestFilterKeys(t *testing.T) {
	guid := "7A9E0C1D-0000-4000-8000-0000000000F1"
	for _, tc := range []struct {
		expr, property string
		want           []string // nil: none
	}{
		{"userPrincipalName eq 'Adele@Contoso.test'", "userPrincipalName", []string{"adele@contoso.test"}},
		{"'Adele@Contoso.test' eq UserPrincipalName", "userPrincipalName", []string{"adele@contoso.test"}},
		{"id eq '" + guid + "'", "id", []string{strings.ToLower(guid)}},
		{"id eq 'Zed'", "id", []string{"Zed"}},
		{"id in ('Zed', '" + guid + "')", "id", []string{"Zed", strings.ToLower(guid)}},
		{"userPrincipalName in ('A@b.c')", "userPrincipalName", []string{"a@b.c"}},
		{"startswith(displayName,'A') and (id eq 'Zed' and mail eq 'X')", "id", []string{"Zed"}},
		{"startswith(displayName,'A') and (id eq 'Zed' and mail eq 'X')", "mail", []string{"x"}},
		{"id in ('a', 'b') and id eq 'c'", "id", []string{"c"}},
		{"id eq 'c' and id in ('a', 'b')", "id", []string{"c"}},
		{"id eq 'Zed' or displayName eq 'A'", "id", nil},
		{"not (id eq 'Zed')", "id", nil},
		{"id ne 'Zed'", "id", nil},
		{"businessPhones/any(p: p eq '1')", "businessPhones", nil},
		{"businessPhones/any(p: p in ('1'))", "businessPhones", nil},
		{"displayName eq 'A'", "id", nil},
		{"accountEnabled eq true", "accountEnabled", nil},
		{"accountEnabled in (true)", "accountEnabled", nil},
	} {
		f, err := odata.ParseFilter(tc.expr, graphprofile.UserType)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		got, ok := f.Keys(tc.property)
		if ok != (tc.want != nil) || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Keys(%s) = %q, %v; want %q", tc.expr, tc.property, got, ok, tc.want)
		}
	}
}

// TestFilterPrefixes: a filter over users gives, for the properties a
// source can find by prefix, the shortest list of conditions one of which
// every user it admits meets (its startswith, eq and in of a property and
// a literal, through "and" and "or"), the literals as compared (in lower
// case); none when a user it admits may meet none of them.
func TestFilterPrefixes(t *testing.T) {
	type kp = odata.KeyPrefix
	dn := func(p string) kp { return kp{Property: "displayName", Prefix: p} }
	upn := func(p string) kp { return kp{Property: "userPrincipalName", Prefix: p} }
	usable := func(p string) bool { return p == "displayName" || p == "userPrincipalName" }
	for _, tc := range []struct {
		expr string
		want []kp // nil: none
	}{
		{"startswith(displayName,'Ad')", []kp{dn("ad")}},
		{"startsWith(DisplayName,'ÉM')", []kp{dn("ém")}},
		{"startswith(displayName,'m') or startswith(userPrincipalName,'m')", []kp{dn("m"), upn("m")}},
		{"startswith(displayName,'m') and jobTitle eq 'x'", []kp{dn("m")}},
		{"jobTitle eq 'x' and startswith(displayName,'m')", []kp{dn("m")}},
		{"(startswith(displayName,'a') or startswith(displayName,'b')) and startswith(userPrincipalName,'c')", []kp{upn("c")}},
		{"startswith(userPrincipalName,'c') and (startswith(displayName,'a') or startswith(displayName,'b'))", []kp{upn("c")}},
		{"(startswith(displayName,'a') or jobTitle eq 'x') and startswith(userPrincipalName,'c')", []kp{upn("c")}},
		{"displayName eq 'Adele'", []kp{dn("adele")}},
		{"'Adele' eq displayName", []kp{dn("adele")}},
		{"displayName in ('A', 'B')", []kp{dn("a"), dn("b")}},
		{"displayName eq 'A' or userPrincipalName eq 'B@c.d'", []kp{dn("a"), upn("b@c.d")}},
		{"startswith(displayName,'')", []kp{dn("")}},
		{"jobTitle eq 'x'", nil},
		{"startswith(jobTitle,'x')", nil},
		{"not startswith(displayName,'m')", nil},
		{"not (not startswith(displayName,'m'))", nil},
		{"startswith(displayName,'m') or jobTitle eq 'x'", nil},
		{"startswith(displayName,'m') eq false", nil},
		{"startswith(tolower(displayName),'m')", nil},
		{"startswith(displayName,userPrincipalName)", nil},
		{"startswith('m',displayName)", nil},
		{"endswith(displayName,'m')", nil},
		{"contains(displayName,'m')", nil},
		{"displayName ne 'A'", nil},
		{"displayName gt 'A'", nil},
		{"businessPhones/any(p: startswith(p,'+1'))", nil},
		{"accountEnabled eq true", nil},
	} {
		f, err := odata.ParseFilter(tc.expr, graphprofile.UserType)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		got, ok := f.Prefixes(usable)
		if ok != (tc.want != nil) || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Prefixes = %q, %v; want %q", tc.expr, got, ok, tc.want)
		}
	}
	// An "or" of more conditions than a list holds, and an "and" of more
	// lists than are kept, still give one within the bounds.
	long := "startswith(displayName,'a0')"
	for i := 1; i < 100; i++ {
		long += fmt.Sprintf(" or startswith(displayName,'a%d')", i)
	}
	f, err := odata.ParseFilter(long, graphprofile.UserType)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := f.Prefixes(usable); ok {
		t.Errorf("an or of 100 startswith: Prefixes = %d conditions; want none (at most 64)", len(got))
	}
	wide := "startswith(userPrincipalName,'u')"
	for i := range 20 {
		wide = fmt.Sprintf("startswith(displayName,'a%d') and (%s)", i, wide)
	}
	if f, err = odata.ParseFilter(wide, graphprofile.UserType); err != nil {
		t.Fatal(err)
	}
	if got, ok := f.Prefixes(usable); !ok || len(got) != 1 {
		t.Errorf("an and of 21 startswith: Prefixes = %q, %v; want one condition", got, ok)
	}
}

// TestLambdaIgnoresCaseOfUserStrings: a user's strings compare
// ignoring case inside any()/all() too, as outside: the item a lambda
// variable takes is folded as the literal it is compared with is.
func TestLambdaIgnoresCaseOfUserStrings(t *testing.T) {
	u := graphprofile.Object{"id": "u", "businessPhones": []any{"+1 425 555 0109 Ext 12"}}
	for _, expr := range []string{
		"businessPhones/any(p: p eq '+1 425 555 0109 Ext 12')", // as stored
		"businessPhones/any(p: p eq '+1 425 555 0109 EXT 12')",
		"businessPhones/any(p: endswith(p, 'ext 12'))",
		"businessPhones/all(p: p eq '+1 425 555 0109 ext 12')",
	} {
		f, err := odata.ParseFilter(expr, graphprofile.UserType)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if !f.Match(u) {
			t.Errorf("%s does not match %v: a user's strings ignore case", expr, u)
		}
	}
}

// TestFilterPrecedenceAndLexing pins rules of OData's grammar that the
// table above leaves open, each against dataset (ids in the default order).
func TestFilterPrecedenceAndLexing(t *testing.T) {
	items := dataset()
	for _, tc := range []struct{ filter, ids string }{
		// "and" binds tighter than "or", on either side of it.
		{"isCurrent eq false or isCurrent eq true and detail/layer gt 2", "f1 f2 f5 f7"},
		{"isCurrent eq true and detail/layer gt 2 or isCurrent eq false", "f1 f2 f5 f7"},
		// "not" binds tighter than a comparison on its right too.
		{"isCurrent eq not true", "f2 f5 f7"},
		// A tab is whitespace between tokens, as a space is.
		{"isCurrent\teq\ttrue", "f8 f1 f4 f6"},
		// A DateTimeOffset literal takes up to 12 fractional digits.
		{"createdDateTime eq 2023-12-31T23:59:59.999999900000Z", "f8"},
		// A rounded decimal literal on the left of an Edm.Int32 compares
		// exactly too, with the operator mirrored.
		{"2.99999999999999999 ge detail/layer", "f8 f2 f7"},
		{"2.99999999999999999 le detail/layer", "f1 f5"},
		{"3.0000000000000001 gt detail/layer", "f8 f1 f2 f7"},
		// gt, ge, lt and le bind tighter than eq and ne, each group left
		// to right (OData's precedence): a condition may be compared
		// with a boolean, on either side.
		{"detail/layer gt 2 eq false", "f8 f2 f3 f4 f6 f7"},
		{"isCurrent eq detail/layer gt 2", "f1 f2 f7"},
		{"detail/layer lt 0 ne detail/layer gt 2", "f8 f1 f5"},
		{"isCurrent eq true eq false", "f2 f3 f5 f7"},
		{"isCurrent eq true ne isCurrent eq false", "f8 f1 f2 f4 f5 f6 f7"},
		// A number may carry a leading "+", OData's SIGN as "-" is (a URL
		// sends it as %2B: TestParsePlusSign).
		{"detail/layer eq +3", "f1"},
		{"detail/layer gt +2.5", "f1 f5"},
		{"detail/layer ge +1e0", "f1 f2 f5"},
		{"detail/layer in (+2, -1)", "f8 f2"},
		{"+3 eq detail/layer", "f1"},
		// tolower and toupper of null are null, not the empty string.
		{"tolower(detail/jobTitle) eq null", "f4"},
		{"toupper(detail/jobTitle) eq null", "f4"},
		{"tolower(detail/jobTitle) eq ''", ""},
	} {
		f, err := odata.ParseFilter(tc.filter, graphprofile.WorkPositionType)
		if err != nil {
			t.Errorf("%q: %v", tc.filter, err)
			continue
		}
		var got []graphprofile.Object
		for _, p := range items {
			if f.Match(p) {
				got = append(got, p)
			}
		}
		if idsOf(got) != tc.ids {
			t.Errorf("$filter=%q\n got %s\nwant %s", tc.filter, idsOf(got), tc.ids)
		}
	}
}

// TestParsePlusSign: a URL sends a number's "+" escaped, %2B (a bare "+"
// in a query string is a space): $filter=detail/layer eq %2B3 is the
// number 3, where it was 400 "unexpected character '+'". A "+" before
// anything but a digit is still no token.
func TestParsePlusSign(t *testing.T) {
	items := dataset()
	for _, tc := range []struct{ raw, ids string }{
		{"$filter=detail/layer%20eq%20%2B3", "f1"},
		{"$filter=detail/layer%20lt%20%2B0.5", "f8 f7"},
		{"$filter=detail/layer eq +3", "f1"}, // "eq  3"
	} {
		q := mustParse(t, tc.raw+"&$top=999")
		res, err := q.Apply(context.Background(), items, "b")
		if err != nil {
			t.Fatal(err)
		}
		if got := idsOf(res.Items); got != tc.ids {
			t.Errorf("%s: got %s, want %s", tc.raw, got, tc.ids)
		}
	}
	_, err := odata.Parse("$filter=detail/layer%20eq%20%2Bx", graphprofile.WorkPositionType, listOptions...)
	badRequest(t, err, 16, "unexpected character '+'")
}

// TestInt32LiteralsPastRange: a number literal beyond Edm.Int32's range
// equals no Int32 and orders past all of them, the extreme values included.
func TestInt32LiteralsPastRange(t *testing.T) {
	layer := func(id string, n int64) graphprofile.Object {
		return graphprofile.Object{"id": id, "detail": graphprofile.Object{"layer": n}}
	}
	items := []graphprofile.Object{layer("max", math.MaxInt32), layer("min", math.MinInt32), layer("zero", 0)}
	for _, tc := range []struct{ filter, ids string }{
		{"detail/layer eq 1e10", ""},
		{"detail/layer ge 1e10", ""},
		{"detail/layer lt 1e10", "max min zero"},
		{"detail/layer ne 1e10", "max min zero"},
		{"detail/layer eq -1e10", ""},
		{"detail/layer le -1e10", ""},
		{"detail/layer gt -1e10", "max min zero"},
		{"detail/layer in (1e10, -1e10)", ""},
	} {
		f, err := odata.ParseFilter(tc.filter, graphprofile.WorkPositionType)
		if err != nil {
			t.Fatalf("%q: %v", tc.filter, err)
		}
		var got []graphprofile.Object
		for _, p := range items {
			if f.Match(p) {
				got = append(got, p)
			}
		}
		if idsOf(got) != tc.ids {
			t.Errorf("$filter=%q: got %q, want %q", tc.filter, idsOf(got), tc.ids)
		}
	}
}

// TestDateTimeOffsetComparesInstants: Edm.DateTimeOffset values are equal
// when they are the same instant, whatever offset each is held in.
func TestDateTimeOffsetComparesInstants(t *testing.T) {
	instant := time.Date(2024, 1, 1, 2, 0, 0, 0, time.FixedZone("+02:00", 2*60*60)) // 2024-01-01T00:00:00Z
	p := graphprofile.Object{"id": "p", "createdDateTime": instant}
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{"createdDateTime eq 2024-01-01T00:00:00Z", true},
		{"createdDateTime eq 2024-01-01T02:00:00+02:00", true},
		{"createdDateTime eq 2023-12-31T19:00:00-05:00", true},
		{"createdDateTime ne 2024-01-01T00:00:00Z", false},
		{"createdDateTime in (2024-01-01T00:00:00Z)", true},
		{"createdDateTime ge 2024-01-01T00:00:00Z and createdDateTime le 2024-01-01T00:00:00Z", true},
	} {
		f, err := odata.ParseFilter(tc.filter, graphprofile.WorkPositionType)
		if err != nil {
			t.Fatalf("%q: %v", tc.filter, err)
		}
		if got := f.Match(p); got != tc.want {
			t.Errorf("%s over %v: %v, want %v", tc.filter, instant, got, tc.want)
		}
	}
}

// TestLambdaBodyUnknown: any() holds when its body is true for an item and
// all() when it is true for every item; a body that is unknown (null) for
// an item is not true for it.
func TestLambdaBodyUnknown(t *testing.T) {
	// The second colleague has no displayName: contains() over it is null.
	p := graphprofile.Object{"id": "p", "colleagues": []any{
		graphprofile.Object{"displayName": "Bob", "relationship": "colleague"},
		graphprofile.Object{"relationship": "colleague"},
	}}
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{"colleagues/any(c: contains(c/displayName, 'x'))", false},
		{"colleagues/any(c: contains(c/displayName, 'B'))", true},
		{"colleagues/all(c: contains(c/displayName, 'B'))", false},
		{"colleagues/all(c: c/relationship eq 'colleague')", true},
		{"not colleagues/any(c: contains(c/displayName, 'x'))", true},
	} {
		f, err := odata.ParseFilter(tc.filter, graphprofile.WorkPositionType)
		if err != nil {
			t.Fatalf("%q: %v", tc.filter, err)
		}
		if got := f.Match(p); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.filter, got, tc.want)
		}
	}
}

// TestUserIDFilterKeepsCase: a user's id is a key, not a name: "id eq"
// compares it exactly (a GUID-shaped one in any case), so users "Zed" and
// "zed" are two, as /users/{id} finds them.
func TestUserIDFilterKeepsCase(t *testing.T) {
	guid := "7a9e0c1d-0000-4000-8000-0000000000f1"
	users := []graphprofile.Object{{"id": "Zed"}, {"id": "zed"}, {"id": guid}}
	for _, tc := range []struct{ filter, ids string }{
		{"id eq 'Zed'", "Zed"},
		{"id eq 'zed'", "zed"},
		{"id in ('Zed')", "Zed"},
		{"id eq '" + strings.ToUpper(guid) + "'", guid},
	} {
		f, err := odata.ParseFilter(tc.filter, graphprofile.UserType)
		if err != nil {
			t.Fatalf("%q: %v", tc.filter, err)
		}
		var got []graphprofile.Object
		for _, u := range users {
			if f.Match(u) {
				got = append(got, u)
			}
		}
		if idsOf(got) != tc.ids {
			t.Errorf("%s: got %q, want %q", tc.filter, idsOf(got), tc.ids)
		}
	}
}
