package graphprofile_test

import (
	"testing"

	"github.com/graphprofile/graphprofile"
)

// TestETagListed: the one reading of If-Match and If-None-Match, RFC 9110's
// list of entity tags (8.8.3, 5.6.1): "*" alone names any tag; otherwise
// some element must be the tag, a weak one's W/ ignored; commas inside a
// quoted tag are the tag's; empty elements are allowed; an element that is
// not an entity tag names nothing, and the elements after it still count.
func TestETagListed(t *testing.T) {
	const etag = `"abc"`
	for _, tc := range []struct {
		list string
		want bool
	}{
		{`"abc"`, true},
		{`*`, true},
		{` * `, true},
		{`W/"abc"`, true},
		{`"x", "abc"`, true},
		{`"abc", "x"`, true},
		{`"x","abc"`, true},
		{"\"x\"\t,\t\"abc\"", true},
		{`, ,"x",,"abc",`, true},
		{`"a,b", "abc"`, true},
		{`not-a-tag, "abc"`, true},
		{`"x" junk, "abc"`, true},
		{``, false},
		{` , `, false},
		{`"x"`, false},
		{`"x", W/"y"`, false},
		{`abc`, false},
		{`w/"abc"`, false},
		{`"x", *`, false},
		{`*, "abc"`, true},
		{`"x, "abc"`, false},
		{`"abc`, false},
		{`"abc" junk`, false},
		{`W/"abc"x, "y"`, false},
		{`""abc""`, false},
	} {
		if got := graphprofile.ETagListed(tc.list, etag); got != tc.want {
			t.Errorf("ETagListed(%q, %s) = %v, want %v", tc.list, etag, got, tc.want)
		}
	}
	// A profile has no ETag: only "*" names it.
	for list, want := range map[string]bool{`*`: true, `""`: false, `"x"`: false} {
		if got := graphprofile.ETagListed(list, ""); got != want {
			t.Errorf("ETagListed(%q, no tag) = %v, want %v", list, got, want)
		}
	}
}
