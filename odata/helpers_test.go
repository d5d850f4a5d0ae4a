package odata_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
	"github.com/graphprofile/graphprofile/storetest"
)

// listOptions are the options a positions list allows.
var listOptions = []odata.Option{odata.OptFilter, odata.OptOrderBy, odata.OptSelect, odata.OptTop, odata.OptSkip, odata.OptCount, odata.OptSkipToken}

// dataset is storetest.QueryDataset as the objects Apply takes.
func dataset() []graphprofile.Object {
	positions := storetest.QueryDataset()
	items := make([]graphprofile.Object, len(positions))
	for i, p := range positions {
		items[i] = graphprofile.Object(p)
	}
	return items
}

// idsOf is the ids of items, space-separated.
func idsOf(items []graphprofile.Object) string {
	ids := make([]string, len(items))
	for i, p := range items {
		ids[i], _ = p["id"].(string)
	}
	return strings.Join(ids, " ")
}

var positionPattern = regexp.MustCompile(`position \d`)

// badRequest checks that err is a BadRequest *graphprofile.Error whose
// message names position pos (pos < 0: any) and contains every fragment.
func badRequest(t *testing.T, err error, pos int, fragments ...string) {
	t.Helper()
	var e *graphprofile.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want a BadRequest *graphprofile.Error", err, err)
	}
	if e.Code != graphprofile.CodeBadRequest {
		t.Errorf("code %q, want %q (message %q)", e.Code, graphprofile.CodeBadRequest, e.Message)
	}
	if pos >= 0 {
		if want := fmt.Sprintf("at position %d:", pos); !strings.Contains(e.Message, want) {
			t.Errorf("message %q does not name %q", e.Message, want)
		}
		if n := len(positionPattern.FindAllString(e.Message, -1)); n != 1 {
			t.Errorf("message %q names %d positions, want 1", e.Message, n)
		}
	}
	for _, f := range fragments {
		if !strings.Contains(e.Message, f) {
			t.Errorf("message %q lacks %q", e.Message, f)
		}
	}
}

// mustParse parses rawQuery for a positions list.
func mustParse(t testing.TB, rawQuery string) odata.Query {
	t.Helper()
	q, err := odata.Parse(rawQuery, graphprofile.WorkPositionType, listOptions...)
	if err != nil {
		t.Fatalf("Parse(%q): %v", rawQuery, err)
	}
	return q
}
