package odata_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// listOptions are the options a positions list allows.
var listOptions = []odata.Option{odata.OptFilter, odata.OptOrderBy, odata.OptSelect, odata.OptTop, odata.OptSkip, odata.OptCount, odata.OptSkipToken}

// dataset is odata's own fixture: eight positions of one user, as a store
// returns them, with every kind of value a query meets (strings differing
// in case, numbers, dates, times with all seven digits, flags, booleans and
// nulls, collections, nested values) and two positions created at the same
// instant. Default order: f8 f1 f2 f3 f4 f5 f6 f7. (The twelve-position
// query table, run against every store, is in the integration package.)
func dataset() []graphprofile.Object {
	type O = graphprofile.Object
	owner := O{"user": O{"id": "owner-id", "displayName": "Owner"}}
	position := func(id, created string, props O) graphprofile.Object {
		at, err := time.Parse(time.RFC3339Nano, created)
		if err != nil {
			panic(err)
		}
		p := O{"id": id, "createdDateTime": at, "lastModifiedDateTime": at, "createdBy": owner, "lastModifiedBy": owner}
		for k, v := range props {
			p[k] = v
		}
		return p
	}
	f7 := position("f7", "2024-02-01T00:00:00Z", O{
		"allowedAudiences": "groupMembers,organization", "isCurrent": false,
		"detail":    O{"jobTitle": "Intern", "layer": int64(0), "startMonthYear": graphprofile.Date("2010-07-01")},
		"createdBy": O{"application": O{"id": "app", "displayName": "Importer"}},
	})
	f7["lastModifiedDateTime"] = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	return []graphprofile.Object{
		position("f8", "2023-12-31T23:59:59.9999999Z", O{
			"allowedAudiences": "everyone", "isCurrent": true, "categories": []any{"ünïcode"},
			"detail": O{"jobTitle": "Chief Officer", "layer": int64(-1)},
		}),
		position("f1", "2024-01-01T00:00:00Z", O{
			"allowedAudiences": "organization", "isCurrent": true, "categories": []any{"engineering", "remote"},
			"detail": O{"jobTitle": "Senior Engineer", "layer": int64(3), "startMonthYear": graphprofile.Date("2019-06-01"),
				"company": O{"displayName": "Contoso", "address": O{"city": "Oslo", "type": "business"}}},
			"manager":    O{"displayName": "Ann", "relationship": "manager"},
			"colleagues": []any{O{"displayName": "Bob", "relationship": "colleague"}, O{"displayName": "Cleo", "relationship": "dotLineManager"}},
			"inference":  O{"confidenceScore": 0.9, "userHasVerifiedAccuracy": true},
		}),
		position("f2", "2024-01-02T00:00:00Z", O{
			"allowedAudiences": "everyone", "isCurrent": false, "categories": []any{"design"},
			"detail": O{"jobTitle": "Designer", "layer": int64(2), "startMonthYear": graphprofile.Date("2015-03-01"),
				"endMonthYear": graphprofile.Date("2019-05-31"), "company": O{"displayName": "Fabrikam"}},
			"colleagues": []any{O{"displayName": "Ann", "relationship": "colleague"}},
		}),
		position("f3", "2024-01-03T00:00:00Z", O{
			"allowedAudiences": "contacts,organization",
			"detail":           O{"jobTitle": "O'Brien's Assistant", "company": O{"displayName": "contoso"}},
		}),
		position("f4", "2024-01-04T00:00:00Z", O{
			"allowedAudiences": "me", "isCurrent": true, "categories": []any{}, "source": O{"type": []any{"HR"}},
		}),
		position("f5", "2024-01-05T00:00:00Z", O{
			"allowedAudiences": "federatedOrganizations", "isCurrent": false,
			"detail":    O{"jobTitle": "Engineering Manager", "layer": int64(5), "startMonthYear": graphprofile.Date("2021-01-01")},
			"inference": O{"confidenceScore": 0.25},
		}),
		position("f6", "2024-01-05T00:00:00Z", O{
			"allowedAudiences": "family", "isCurrent": true, "categories": []any{"remote", "part-time"},
			"detail": O{"jobTitle": "engineer"},
		}),
		f7,
	}
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
