package odata_test

import (
	"errors"
	"net/url"
	"slices"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// TestParseDefaults: without options a list is the first 100 in the default
// order, unfiltered, every property.
func TestParseDefaults(t *testing.T) {
	for _, raw := range []string{"", "&", "&&custom=1&"} {
		q := mustParse(t, raw)
		if q.Filter != nil || q.Select != nil || q.Top != 100 || q.Skip != 0 || q.Count || q.SkipToken != "" {
			t.Errorf("%q: %+v", raw, q)
		}
		if q.OrderBy == nil || q.OrderBy.String() != "createdDateTime" {
			t.Errorf("%q: default order %v", raw, q.OrderBy)
		}
	}
	if odata.DefaultPageSize != 100 || odata.MaxPageSize != 999 {
		t.Errorf("page sizes %d, %d", odata.DefaultPageSize, odata.MaxPageSize)
	}
}

// TestParseOptions: what each accepted option sets.
func TestParseOptions(t *testing.T) {
	type want struct {
		filter, orderby string
		sel             []string
		top, skip       int
		count           bool
		skiptoken       string
	}
	def := func(w want) want {
		if w.orderby == "" {
			w.orderby = "createdDateTime"
		}
		if w.top == 0 {
			w.top = 100
		}
		return w
	}
	for _, tc := range []struct {
		raw  string
		want want
	}{
		{"$filter=isCurrent eq true", want{filter: "isCurrent eq true"}},
		// The "$" is optional and names ignore case, as on Graph's beta endpoint.
		{"filter=isCurrent eq true", want{filter: "isCurrent eq true"}},
		{"$FILTER=isCurrent", want{filter: "isCurrent"}},
		{"Filter=isCurrent", want{filter: "isCurrent"}},
		{"$Top=5&SKIP=2&$OrderBy=id desc", want{top: 5, skip: 2, orderby: "id desc"}},
		{"top=5", want{top: 5}},
		{"orderby=detail/layer desc,id", want{orderby: "detail/layer desc,id"}},
		{"count=true", want{count: true}},
		{"$count=false", want{}},
		// Spaces around the value are trimmed, as Graph's OData library
		// does (its $count parser trims, then compares case-sensitively).
		{"$count=%20true%20", want{count: true}},
		{"$count=+false", want{}},
		{"select=id,detail", want{sel: []string{"id", "detail"}}},
		// Custom options (no "$", not a system option's name) are ignored.
		{"foo=bar&id=p01&format=json&level=2&$top=3", want{top: 3}},
		{"custom&x=&=y&==", want{}},
		// Values: percent-encoding, and '+' is a space.
		{"$filter=detail%2FjobTitle%20eq%20%27O%27%27Brien%27", want{filter: "detail/jobTitle eq 'O''Brien'"}},
		{"$filter=detail/jobTitle+eq+'C%2B%2B'", want{filter: "detail/jobTitle eq 'C++'"}},
		{"%24filter=isCurrent", want{filter: "isCurrent"}},
		{"$filter=detail/jobTitle eq 'a&b'", want{}}, // placeholder, replaced below
		{"$filter=detail/jobTitle eq 'a%26b=c'", want{filter: "detail/jobTitle eq 'a&b=c'"}},
		{"$orderby=detail/layer%20desc,%20id", want{orderby: "detail/layer desc, id"}},
		// $top and $skip.
		{"$top=1", want{top: 1}},
		{"$top=999", want{top: 999}},
		{"$top=100&$skip=0", want{}},
		{"$skip=12345", want{skip: 12345}},
		// $select.
		{"$select=detail,id,detail, allowedAudiences", want{sel: []string{"detail", "id", "allowedAudiences"}}},
		{"$select=*", want{}},
		{"$select=isCurrent,*", want{}},
		{"$select=createdBy", want{sel: []string{"createdBy"}}},
		// $skiptoken is kept as given; Apply checks it.
		{"$skiptoken=abc.def", want{skiptoken: "abc.def"}},
		{"$skiptoken=a%2Bb", want{skiptoken: "a+b"}},
		// Everything at once.
		{"$filter=isCurrent&$orderby=id&$select=id&$top=7&$skip=1&$count=true&$skiptoken=t", want{filter: "isCurrent", orderby: "id", sel: []string{"id"}, top: 7, skip: 1, count: true, skiptoken: "t"}},
	} {
		if tc.raw == "$filter=detail/jobTitle eq 'a&b'" {
			// An unescaped '&' ends the value: the rest is a custom option.
			_, err := odata.Parse(tc.raw, graphprofile.WorkPositionType, listOptions...)
			badRequest(t, err, 19, "not closed")
			continue
		}
		t.Run(tc.raw, func(t *testing.T) {
			q := mustParse(t, tc.raw)
			w := def(tc.want)
			filter := ""
			if q.Filter != nil {
				filter = q.Filter.String()
			}
			if filter != w.filter || q.OrderBy.String() != w.orderby || !slices.Equal(q.Select, w.sel) || (q.Select == nil) != (w.sel == nil) ||
				q.Top != w.top || q.Skip != w.skip || q.Count != w.count || q.SkipToken != w.skiptoken {
				t.Errorf("got filter %q orderby %q select %q top %d skip %d count %v skiptoken %q\nwant %+v",
					filter, q.OrderBy, q.Select, q.Top, q.Skip, q.Count, q.SkipToken, w)
			}
		})
	}
}

// TestParseErrors: every option that cannot be honoured is a BadRequest
// with a message that says why.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		raw       string
		allowed   []odata.Option
		fragments []string
	}{
		// Unknown and unsupported system options.
		{"$foo=1", listOptions, []string{"'$foo' is not a known system query option", "this resource supports $filter, $orderby, $select, $top, $skip, $count, $skiptoken"}},
		{"$=1", listOptions, []string{"'$' is not a known system query option"}},
		{"$expand=manager", listOptions, []string{"'$expand' is not supported on this resource"}},
		{"expand=manager", listOptions, []string{"'$expand' is not supported on this resource"}},
		{"$EXPAND=*", listOptions, []string{"'$expand' is not supported on this resource"}},
		{"$search=\"x\"", listOptions, []string{"'$search' is not supported on this resource"}},
		{"search=x", listOptions, []string{"'$search' is not supported on this resource"}},
		// $format: JSON only, as every resource answers.
		{"$format=xml", listOptions, []string{"The $format 'xml' is not supported; this service answers JSON only"}},
		{"$format=atom", nil, []string{"The $format 'atom' is not supported"}},
		{"format=text/csv", listOptions, []string{"The $format 'text/csv' is not supported"}},
		{"$format=application/xml", listOptions, []string{"'application/xml'"}},
		{"$format=application/json;odata.metadata=full", listOptions, []string{"'application/json;odata.metadata=full'"}},
		{"$format=application/json;IEEE754Compatible=true", listOptions, []string{"IEEE754Compatible=true"}},
		{"$format=", listOptions, []string{"The $format '' is not supported"}},
		{"$format=json&$format=json", listOptions, []string{"'$format' is given more than once"}},
		{"$format=json&FORMAT=json", nil, []string{"'$format' is given more than once"}},
		{"$apply=x", listOptions, []string{"'$apply' is not supported"}},
		{"$deltatoken=x", listOptions, []string{"'$deltatoken' is not supported"}},
		// Options the resource does not allow.
		{"$top=5", []odata.Option{odata.OptSelect}, []string{"'$top' is not supported on this resource", "it supports $select"}},
		{"top=5", []odata.Option{odata.OptSelect}, []string{"'$top' is not supported on this resource"}},
		{"$filter=isCurrent&$orderby=id", []odata.Option{odata.OptFilter}, []string{"'$orderby' is not supported on this resource", "it supports $filter."}},
		{"$select=id", nil, []string{"'$select' is not supported on this resource", "no query options"}},
		// Duplicates.
		{"$filter=true&$filter=false", listOptions, []string{"'$filter' is given more than once"}},
		{"filter=true&$filter=true", listOptions, []string{"'$filter' is given more than once"}},
		{"$top=1&TOP=1", listOptions, []string{"'$top' is given more than once"}},
		{"$count=true&$count=true", listOptions, []string{"'$count' is given more than once"}},
		// $top: Graph's message.
		{"$top=0", listOptions, []string{"Invalid page size specified: '0'. Must be between 1 and 999 inclusive."}},
		{"$top=1000", listOptions, []string{"Invalid page size specified: '1000'"}},
		{"$top=-1", listOptions, []string{"Invalid page size specified: '-1'"}},
		{"$top=abc", listOptions, []string{"Invalid page size specified: 'abc'"}},
		{"$top=", listOptions, []string{"Invalid page size specified: ''"}},
		{"$top=1.5", listOptions, []string{"Invalid page size specified"}},
		{"$top=99999999999999999999", listOptions, []string{"Invalid page size specified"}},
		// $skip.
		{"$skip=-1", listOptions, []string{"Invalid value '-1' for $skip"}},
		{"$skip=abc", listOptions, []string{"Invalid value 'abc' for $skip"}},
		{"$skip", listOptions, []string{"Invalid value '' for $skip"}},
		// $count.
		{"$count=yes", listOptions, []string{"Invalid value 'yes' for $count: it must be true or false"}},
		{"$count=TRUE", listOptions, []string{"Invalid value 'TRUE' for $count"}},
		{"$count=True", listOptions, []string{"Invalid value 'True' for $count"}},
		{"$count=%20", listOptions, []string{"Invalid value ' ' for $count"}},
		{"$count", listOptions, []string{"Invalid value '' for $count"}},
		// $select.
		{"$select=foo", listOptions, []string{"Parsing OData Select and Expand failed: Could not find a property named 'foo' on type 'microsoft.graph.workPosition'."}},
		{"$select=id,detail/jobTitle", listOptions, []string{"'detail/jobTitle' selects inside a property"}},
		{"$select=id,,detail", listOptions, []string{"expected a property name between commas"}},
		{"$select=", listOptions, []string{"expected a property name"}},
		{"$select=*,bogus", listOptions, []string{"'bogus'"}},
		// $skiptoken.
		{"$skiptoken=", listOptions, []string{"The $skiptoken is empty"}},
		{"$skiptoken", listOptions, []string{"The $skiptoken is empty"}},
		// $filter and $orderby errors pass through.
		{"$filter=isCurrent eq 'yes'", listOptions, []string{"Invalid $filter at position 10"}},
		{"$filter=", listOptions, []string{"the expression is empty"}},
		{"$orderby=detail", listOptions, []string{"Invalid $orderby at position 0"}},
		// A key named again can change no order, and each costs every
		// comparison of tied entities: 95,000 of one key took 40 s.
		{"$orderby=isCurrent,isCurrent", listOptions, []string{"Invalid $orderby at position 10", "'isCurrent' is named more than once"}},
		{"$orderby=detail/jobTitle desc,id,DETAIL/JobTitle", listOptions, []string{"Invalid $orderby at position 24", "'detail/jobTitle' is named more than once"}},
		{"$orderby=id,id", listOptions, []string{"'id' is named more than once"}},
		// Bad escapes.
		{"$filter=%zz", listOptions, []string{"invalid escape in '$filter=%zz'"}},
		{"%2$top=1", listOptions, []string{"invalid escape"}},
		{"custom=%zz", listOptions, []string{"invalid escape in 'custom=%zz'"}},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			q, err := odata.Parse(tc.raw, graphprofile.WorkPositionType, tc.allowed...)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tc.raw, q)
			}
			badRequest(t, err, -1, tc.fragments...)
		})
	}
}

// TestParseFormat: $format may ask for JSON, in OData's forms and any case,
// on every resource, whatever else it allows.
func TestParseFormat(t *testing.T) {
	for _, raw := range []string{
		"$format=json", "$format=JSON", "format=json", "$FORMAT=Json",
		"$format=application/json", "$format=Application/JSON",
		"$format=" + url.QueryEscape("application/json;odata.metadata=minimal"),
		"$format=" + url.QueryEscape("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
		"$format=" + url.QueryEscape("application/json; charset=utf-8"),
	} {
		for _, allowed := range [][]odata.Option{nil, {odata.OptSelect}, listOptions} {
			q, err := odata.Parse(raw, graphprofile.WorkPositionType, allowed...)
			if err != nil {
				t.Errorf("Parse(%q) allowing %v: %v", raw, allowed, err)
				continue
			}
			if q.Filter != nil || q.Select != nil || q.Top != odata.DefaultPageSize {
				t.Errorf("Parse(%q) set more than $format: %+v", raw, q)
			}
		}
	}
	if q := mustParse(t, "$format=json&$top=5&$select=id"); q.Top != 5 || !slices.Equal(q.Select, []string{"id"}) {
		t.Errorf("$format beside other options: %+v", q)
	}
}

// TestPreferMaxPageSize: a client's odata.maxpagesize preference sets the
// page size as $top would, the smaller of the two winning; it reports
// whether the page size changed.
func TestPreferMaxPageSize(t *testing.T) {
	for _, tc := range []struct {
		raw      string
		prefer   int
		top      int
		modified bool
	}{
		{"", 5, 5, true},
		{"", 500, 500, true},
		{"", odata.DefaultPageSize, odata.DefaultPageSize, false},
		{"$top=10", 5, 5, true},
		{"$top=5", 10, 5, false},
		{"$top=5", 5, 5, false},
		{"$top=100", 500, 100, false},
		{"$top=999", 998, 998, true},
	} {
		q := mustParse(t, tc.raw)
		modified := q.PreferMaxPageSize(tc.prefer)
		if q.Top != tc.top || modified != tc.modified {
			t.Errorf("%q with odata.maxpagesize=%d: page size %d (changed %v), want %d (%v)", tc.raw, tc.prefer, q.Top, modified, tc.top, tc.modified)
		}
	}
}

// TestParseUserSelect: users allow $select of their readable properties.
func TestParseUserSelect(t *testing.T) {
	q, err := odata.Parse("$select=displayName,userPrincipalName", graphprofile.UserType, odata.OptSelect)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(q.Select, []string{"displayName", "userPrincipalName"}) || q.OrderBy != nil {
		t.Errorf("got %+v", q)
	}
}

// TestSelectPositions: $select's syntax errors name the offending part
// and its byte offset in the value; an unknown property is Graph's own
// message, which names the property and no position.
func TestSelectPositions(t *testing.T) {
	for _, tc := range []struct{ value, name string }{
		{"nope", "nope"},
		{"id, nope", "nope"},
		{"id,\tNope", "Nope"},
		{"*,bogus", "bogus"},
	} {
		_, err := odata.Parse("$select="+url.QueryEscape(tc.value), graphprofile.WorkPositionType, listOptions...)
		var gerr *graphprofile.Error
		want := "Parsing OData Select and Expand failed: Could not find a property named '" + tc.name + "' on type 'microsoft.graph.workPosition'."
		if !errors.As(err, &gerr) || gerr.Code != graphprofile.CodeBadRequest || gerr.Message != want {
			t.Errorf("$select=%s: %v; want BadRequest %q", tc.value, err, want)
		}
	}
	for _, tc := range []struct {
		value string
		pos   int
		frag  string
	}{
		{"id,detail,  detail/jobTitle", 12, "'detail/jobTitle' selects inside a property"},
		{"id,,detail", 3, "expected a property name between commas"},
		{"id,", 3, "expected a property name"},
	} {
		_, err := odata.Parse("$select="+url.QueryEscape(tc.value), graphprofile.WorkPositionType, listOptions...)
		if err == nil {
			t.Errorf("%q accepted", tc.value)
			continue
		}
		badRequest(t, err, tc.pos, tc.frag, "$select")
	}
}
