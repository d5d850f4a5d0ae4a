package odata_test

import (
	"errors"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// TestParseErrorAnswersPageSizeWithTheCode: Restrictions.ParseError gives
// a $top that is no page size the resource's PageSizeCode (Graph's
// directory answers Request_UnsupportedQuery) with Parse's message; every
// other error, and the $top error of a resource without a PageSizeCode,
// is Parse's as it was.
func TestParseErrorAnswersPageSizeWithTheCode(t *testing.T) {
	directory := &odata.Restrictions{PageSizeCode: graphprofile.CodeUnsupportedQuery}
	for _, tc := range []struct {
		name     string
		r        *odata.Restrictions
		raw      string
		wantCode string
	}{
		{"$top too large, a code", directory, "$top=1000", graphprofile.CodeUnsupportedQuery},
		{"$top not a number, a code", directory, "$top=ten", graphprofile.CodeUnsupportedQuery},
		{"$top too large, no code", &odata.Restrictions{}, "$top=1000", graphprofile.CodeBadRequest},
		{"$skip, a code", directory, "$skip=-1", graphprofile.CodeBadRequest},
		{"$count, a code", directory, "$count=yes", graphprofile.CodeBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, parseErr := odata.Parse(tc.raw, graphprofile.WorkPositionType, listOptions...)
			if parseErr == nil {
				t.Fatalf("Parse(%q) took it", tc.raw)
			}
			var e *graphprofile.Error
			if err := tc.r.ParseError(parseErr); !errors.As(err, &e) || e.Code != tc.wantCode || e.Message != graphprofile.ErrorMessage(parseErr) {
				t.Errorf("ParseError(%v) = %v, want %s: %s", parseErr, err, tc.wantCode, graphprofile.ErrorMessage(parseErr))
			}
		})
	}
	if err := directory.ParseError(nil); err != nil {
		t.Errorf("ParseError(nil) = %v", err)
	}
}
