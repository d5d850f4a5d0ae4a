package integration_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
	"github.com/graphprofile/graphprofile/token"
)

// workPositions is the profile's positions collection.
var workPositions, _ = graphprofile.FindCollection("positions")

// The query data set: twelve positions of one user, with values chosen so
// that each expression of the tables below picks an exact, known set.
var (
	queryOwner = graphprofile.User{TenantID: tenantA, ID: "7a9e0c1d-0000-4000-8000-0000000000f1", UserPrincipalName: "query.owner@contoso.test", DisplayName: "Owner"}
	ownerBy    = graphprofile.Object{"user": graphprofile.Object{"id": "owner-id", "displayName": "Owner"}}
)

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func strs(v ...string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// queryDataset returns the positions the query tables run over, as a Store
// holds them (server-managed properties included).
func queryDataset() []graphprofile.Item {
	type O = graphprofile.Object
	position := func(id, created string, props O) graphprofile.Item {
		p := graphprofile.Item{"id": id, "createdDateTime": day(created), "lastModifiedDateTime": day(created),
			"createdBy": ownerBy, "lastModifiedBy": ownerBy}
		for k, v := range props {
			p[k] = v
		}
		return p
	}
	p11 := position("p11", "2024-03-02T00:00:00Z", O{"allowedAudiences": "family,contacts", "isCurrent": false, "categories": strs("engineering")})
	p11["lastModifiedDateTime"] = day("2024-06-01T00:00:00Z")
	p12 := position("p12", "2024-03-03T00:00:00Z", O{"allowedAudiences": "organization"})
	p12["createdBy"] = O{"application": O{"id": "app", "displayName": "Importer"}}
	return []graphprofile.Item{
		position("p01", "2024-01-01T00:00:00Z", O{
			"allowedAudiences": "organization", "isCurrent": true, "categories": strs("engineering", "remote"),
			"detail": O{"jobTitle": "Senior Engineer", "role": "engineering", "layer": int64(3), "level": "L63",
				"startMonthYear": graphprofile.Date("2019-06-01"),
				"company": O{"displayName": "Contoso", "department": "R&D",
					"address": O{"city": "Oslo", "countryOrRegion": "Norway", "type": "business"}}},
			"manager":    O{"displayName": "Ann", "relationship": "manager"},
			"colleagues": []any{O{"displayName": "Bob", "relationship": "colleague"}, O{"displayName": "Cleo", "relationship": "dotLineManager"}},
			"inference":  O{"confidenceScore": 0.9, "userHasVerifiedAccuracy": true},
		}),
		position("p02", "2024-01-02T00:00:00Z", O{
			"allowedAudiences": "everyone", "isCurrent": false, "categories": strs("design"),
			"detail": O{"jobTitle": "Designer", "layer": int64(2), "startMonthYear": graphprofile.Date("2015-03-01"),
				"endMonthYear": graphprofile.Date("2019-05-31"),
				"company":      O{"displayName": "Fabrikam", "address": O{"city": "Bergen", "countryOrRegion": "Norway"}}},
			"colleagues": []any{O{"displayName": "Ann", "relationship": "colleague"}},
		}),
		position("p03", "2024-01-03T00:00:00Z", O{
			"allowedAudiences": "contacts,organization",
			"detail":           O{"jobTitle": "O'Brien's Assistant", "company": O{"displayName": "contoso"}},
		}),
		position("p04", "2024-01-04T00:00:00Z", O{
			"allowedAudiences": "me", "isCurrent": true, "categories": []any{}, "source": O{"type": strs("HR")},
		}),
		position("p05", "2024-01-05T00:00:00Z", O{
			"allowedAudiences": "federatedOrganizations", "isCurrent": false,
			"detail": O{"jobTitle": "Engineering Manager", "layer": int64(5), "level": "M1", "startMonthYear": graphprofile.Date("2021-01-01"),
				"company": O{"displayName": "Contoso Ltd."}},
			"manager":   O{"displayName": "Dana", "userPrincipalName": "dana@contoso.test"},
			"inference": O{"confidenceScore": 0.25},
		}),
		position("p06", "2024-01-05T00:00:00Z", O{
			"allowedAudiences": "family", "isCurrent": true, "categories": strs("remote", "part-time"),
			"detail": O{"jobTitle": "engineer", "role": "Engineering"},
		}),
		position("p07", "2024-02-01T00:00:00Z", O{
			"allowedAudiences": "groupMembers,organization", "isCurrent": false, "colleagues": []any{},
			"detail": O{"jobTitle": "Intern", "layer": int64(0), "startMonthYear": graphprofile.Date("2010-07-01"),
				"endMonthYear": graphprofile.Date("2010-08-31"), "description": "Summer"},
		}),
		position("p08", "2024-02-02T00:00:00Z", O{
			"allowedAudiences": "unknownFutureValue",
			"detail":           O{"company": O{"address": O{"type": "home", "city": "Oslo"}}},
			"inference":        O{"confidenceScore": 1e-3},
		}),
		position("p09", "2023-12-31T23:59:59.9999999Z", O{
			"allowedAudiences": "everyone", "isCurrent": true, "categories": strs("ünïcode"),
			"detail": O{"jobTitle": "Chief Ünicode Officer", "layer": int64(-1)},
		}),
		position("p10", "2024-03-01T00:00:00Z", O{
			"allowedAudiences": "organization", "isCurrent": true,
			"detail":     O{"jobTitle": "Senior Engineer", "company": O{"displayName": "Fabrikam"}, "startMonthYear": graphprofile.Date("2022-02-28")},
			"colleagues": []any{O{"displayName": "Eve", "relationship": "sponsor", "userId": "u-eve"}},
		}),
		p11,
		p12,
	}
}

// queryCase is a query option's value and the ids of the data set the query
// selects, space-separated, in list order.
type queryCase struct {
	expr string
	ids  string
}

// filterCases are the $filter expressions every store answers alike, in the
// default order (createdDateTime, then id).
var filterCases = []queryCase{
	{"isCurrent eq true", "p09 p01 p04 p06 p10"},
	{"isCurrent eq false", "p02 p05 p07 p11"},
	{"isCurrent ne true", "p02 p03 p05 p07 p08 p11 p12"},
	{"isCurrent eq null", "p03 p08 p12"},
	{"isCurrent ne null", "p09 p01 p02 p04 p05 p06 p07 p10 p11"},
	{"isCurrent", "p09 p01 p04 p06 p10"},
	{"not isCurrent", "p02 p05 p07 p11"},
	{"not (isCurrent eq true)", "p02 p03 p05 p07 p08 p11 p12"},
	{"allowedAudiences eq 'organization'", "p01 p10 p12"},
	{"allowedAudiences eq 'organization,contacts'", "p03"},
	{"allowedAudiences has 'organization'", "p01 p03 p07 p10 p12"},
	{"allowedAudiences has 'contacts'", "p03 p11"},
	{"allowedAudiences has 'family'", "p06 p11"},
	{"allowedAudiences has 'contacts,organization'", "p03"},
	{"allowedAudiences in ('everyone','federatedOrganizations')", "p09 p02 p05"},
	{"allowedAudiences ne 'organization'", "p09 p02 p03 p04 p05 p06 p07 p08 p11"},
	{"detail/jobTitle eq 'Senior Engineer'", "p01 p10"},
	{"detail/jobTitle eq 'senior engineer'", ""},
	{"tolower(detail/jobTitle) eq 'senior engineer'", "p01 p10"},
	{"startswith(detail/jobTitle,'Engineer')", "p05"},
	{"startswith(tolower(detail/jobTitle),'engineer')", "p05 p06"},
	{"endswith(detail/jobTitle,'Engineer')", "p01 p10"},
	{"contains(detail/jobTitle,'ngineer')", "p01 p05 p06 p10"},
	{"contains(toupper(detail/jobTitle),'ENGINEER')", "p01 p05 p06 p10"},
	{"detail/jobTitle eq 'O''Brien''s Assistant'", "p03"},
	{"contains(detail/jobTitle,'''')", "p03"},
	{"detail/jobTitle eq null", "p04 p08 p11 p12"},
	{"detail eq null", "p04 p11 p12"},
	{"detail ne null", "p09 p01 p02 p03 p05 p06 p07 p08 p10"},
	{"detail/company/displayName eq 'Contoso'", "p01"},
	{"startswith(detail/company/displayName,'Contoso')", "p01 p05"},
	{"tolower(detail/company/displayName) eq 'contoso'", "p01 p03"},
	{"detail/company/address/city eq 'Oslo'", "p01 p08"},
	{"detail/company/address/countryOrRegion eq 'Norway'", "p01 p02"},
	{"detail/company/address/type eq 'home'", "p08"},
	{"detail/company/address/type eq 'business'", "p01"},
	{"detail/layer gt 2", "p01 p05"},
	{"detail/layer ge 2", "p01 p02 p05"},
	{"detail/layer lt 0", "p09"},
	{"detail/layer le 0", "p09 p07"},
	{"detail/layer eq 0", "p07"},
	{"detail/layer ne 3", "p09 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"detail/layer in (2, 3, 5)", "p01 p02 p05"},
	{"detail/layer eq 2.0", "p02"},
	{"detail/layer gt -1.5", "p09 p01 p02 p05 p07"},
	{"detail/startMonthYear ge 2019-01-01", "p01 p05 p10"},
	{"detail/startMonthYear lt 2015-03-01", "p07"},
	{"detail/startMonthYear eq 2015-03-01", "p02"},
	{"detail/endMonthYear ne null", "p02 p07"},
	{"detail/startMonthYear ge 2019-01-01 and detail/endMonthYear eq null", "p01 p05 p10"},
	{"detail/startMonthYear lt detail/endMonthYear", "p02 p07"},
	{"createdDateTime ge 2024-02-01T00:00:00Z", "p07 p08 p10 p11 p12"},
	{"createdDateTime lt 2024-01-01T00:00:00Z", "p09"},
	{"createdDateTime eq 2024-01-05T00:00:00Z", "p05 p06"},
	{"createdDateTime le 2023-12-31T23:59:59.9999999Z", "p09"},
	{"createdDateTime gt 2024-01-05T01:00:00+02:00", "p05 p06 p07 p08 p10 p11 p12"},
	{"lastModifiedDateTime gt createdDateTime", "p11"},
	{"categories/any(c: c eq 'remote')", "p01 p06"},
	{"categories/any(c: startswith(c,'eng'))", "p01 p11"},
	{"categories/any()", "p09 p01 p02 p06 p11"},
	{"not categories/any()", "p03 p04 p05 p07 p08 p10 p12"},
	{"categories/all(c: c ne 'design')", "p09 p01 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"categories/all(c: c eq 'remote' or c eq 'part-time')", "p03 p04 p05 p06 p07 p08 p10 p12"},
	{"categories/any(c: c eq 'ünïcode')", "p09"},
	{"colleagues/any(p: p/displayName eq 'Ann')", "p02"},
	{"colleagues/any(p: p/relationship eq 'colleague')", "p01 p02"},
	{"colleagues/any(p: p/relationship eq 'sponsor' and p/userId eq 'u-eve')", "p10"},
	{"colleagues/all(p: p/relationship eq 'colleague')", "p09 p02 p03 p04 p05 p06 p07 p08 p11 p12"},
	{"colleagues/any(p: categories/any(c: c eq 'remote') and p/displayName eq 'Bob')", "p01"},
	{"manager/displayName eq 'Ann'", "p01"},
	{"manager ne null", "p01 p05"},
	{"manager/userPrincipalName eq 'dana@contoso.test'", "p05"},
	{"inference/confidenceScore gt 0.5", "p01"},
	{"inference/confidenceScore lt 0.01", "p08"},
	{"inference/confidenceScore ge 1e-3", "p01 p05 p08"},
	{"inference/userHasVerifiedAccuracy eq true", "p01"},
	{"source/type/any(t: t eq 'HR')", "p04"},
	{"id eq 'p03'", "p03"},
	{"id in ('p01','p12','nope')", "p01 p12"},
	{"isCurrent eq true and allowedAudiences has 'organization'", "p01 p10"},
	{"isCurrent eq true or detail/layer gt 4", "p09 p01 p04 p05 p06 p10"},
	{"(isCurrent eq false or isCurrent eq null) and not (allowedAudiences has 'organization')", "p02 p05 p08 p11"},
	{"not (detail/layer gt 2)", "p09 p02 p03 p04 p06 p07 p08 p10 p11 p12"},
	// Comparisons chain as OData's precedence has them: gt, ge, lt and le
	// above eq and ne, each left to right.
	{"isCurrent eq true eq false", "p02 p03 p05 p07 p08 p11 p12"},
	{"detail/layer gt 2 eq false", "p09 p02 p03 p04 p06 p07 p08 p10 p11 p12"},
	{"detail/layer lt 0 ne detail/layer gt 4", "p09 p05"},
	{"isCurrent eq detail/layer ge 2", "p01 p07 p11"},
	{"detail/jobTitle eq 'Chief Ünicode Officer'", "p09"},
	{"detail/role in ('engineering','Engineering')", "p01 p06"},
	{"detail/description eq 'Summer'", "p07"},
	{"createdBy/application ne null", "p12"},
	{"createdBy/user/id eq 'owner-id'", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11"},
	{"true", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"false", ""},
	{"isCurrent eq true and (detail/layer eq null or detail/layer lt 0)", "p09 p04 p06 p10"},
}

// moreFilterCases cover what filterCases do not: literal forms, constant
// expressions, nested lambdas using the outer variable, and three-valued
// logic around nulls.
var moreFilterCases = []queryCase{
	{"null eq null", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"'a' eq 'a' and 1 lt 2.5", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"'b' lt 'a'", ""},
	{"createdDateTime eq 2024-01-05T00:00Z", "p05 p06"},
	{"createdDateTime eq 2024-01-05T02:00:00+02:00", "p05 p06"},
	{"createdDateTime gt 2023-12-31T23:59:59.9999998Z and createdDateTime lt 2024-01-01T00:00:00.0000001Z", "p09 p01"},
	{"createdDateTime gt 2023-12-31T23:59:59.9999999Z", "p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"detail/layer eq -1", "p09"},
	{"detail/layer eq -1.0e0", "p09"},
	{"detail/layer eq +3", "p01"},                 // OData's SIGN is "+" too
	{"detail/layer gt +1.5e+0", "p01 p02 p05"},    // in the exponent as well
	{"inference/confidenceScore eq +0.25", "p05"}, // and before a decimal
	{"inference/confidenceScore eq 0.25", "p05"},
	{"detail/startMonthYear gt 2019-06-01", "p05 p10"},
	{"detail/endMonthYear eq null and detail/startMonthYear ne null", "p01 p05 p10"},
	{"id eq 'P03'", ""},
	{"'p03' eq id", "p03"},
	{"'organization' eq allowedAudiences", "p01 p10 p12"},
	{"allowedAudiences has 'organization,contacts'", "p03"},
	{"allowedAudiences has 'me'", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"allowedAudiences in ('contacts,organization', 'family,contacts')", "p03 p11"},
	{"allowedAudiences eq null", ""},
	// Enum literals in OData's qualified form, Namespace.EnumType'member'.
	{"allowedAudiences eq microsoft.graph.allowedAudiences'organization'", "p01 p10 p12"},
	{"microsoft.graph.allowedAudiences'me' eq allowedAudiences", "p04"},
	{"allowedAudiences has microsoft.graph.allowedAudiences'organization'", "p01 p03 p07 p10 p12"},
	{"allowedAudiences has microsoft.graph.allowedAudiences'contacts,organization'", "p03"},
	{"allowedAudiences in (microsoft.graph.allowedAudiences'everyone', 'federatedOrganizations')", "p09 p02 p05"},
	{"colleagues/any(p: p/relationship eq microsoft.graph.personRelationship'colleague')", "p01 p02"},
	{"detail/company/address/type in ('home', 'business')", "p01 p08"},
	{"endswith(detail/jobTitle, '')", "p09 p01 p02 p03 p05 p06 p07 p10"},
	{"toupper(detail/jobTitle) eq 'ENGINEER'", "p06"},
	{"tolower(detail/jobTitle) eq null", "p04 p08 p11 p12"},
	{"contains(tolower(detail/company/displayName), tolower('CONTOSO'))", "p01 p03 p05"},
	{"startswith(detail/jobTitle, detail/jobTitle)", "p09 p01 p02 p03 p05 p06 p07 p10"},
	{"not (detail/layer eq null)", "p09 p01 p02 p05 p07"},
	{"not startswith(detail/jobTitle, 'S')", "p09 p02 p03 p05 p06 p07"},
	{"not (detail/jobTitle eq 'x' and detail/layer gt 0)", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"colleagues/any()", "p01 p02 p10"},
	{"colleagues/all(p: false)", "p09 p03 p04 p05 p06 p07 p08 p11 p12"},
	{"colleagues/any(p: p/displayName eq manager/displayName)", ""},
	{"colleagues/any(p: categories/any(c: startswith(c, 'eng') and p/relationship eq 'colleague'))", "p01"},
	{"colleagues/any(p: colleagues/any(q: q/displayName ne p/displayName))", "p01"},
	// any and all are true or false, never unknown (OData: all is true when
	// the body is true for every member), whatever nulls their body meets:
	// Bob, Cleo and Ann have no userId, so startswith is unknown for them.
	{"colleagues/all(p: startswith(p/userId, 'u'))", "p09 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"not colleagues/all(p: startswith(p/userId, 'u'))", "p01 p02"},
	{"colleagues/any(p: not startswith(p/userId, 'u'))", ""},
	{"sources/any(s: s/properties/any(x: x eq 'detail'))", ""},
	{"source/type/all(t: t eq 'HR')", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"categories/any(c: c in ('design', 'ünïcode'))", "p09 p02"},
	{"  isCurrent\teq\ntrue  ", "p09 p01 p04 p06 p10"},
	{"((isCurrent))", "p09 p01 p04 p06 p10"},
	{"isCurrent eq true and not isCurrent", ""},
	// not binds tighter than eq and ne (OData's operator precedence):
	// (not isCurrent) eq false, and null (not of null) ne true.
	{"not isCurrent eq false", "p09 p01 p04 p06 p10"},
	{"not isCurrent ne true", "p09 p01 p03 p04 p06 p08 p10 p12"},
	{"not not isCurrent eq true", "p09 p01 p04 p06 p10"},
	{"isCurrent eq not true", "p02 p05 p07 p11"},
	// has and in bind tighter than not (OData 4.01's Primary group).
	{"not allowedAudiences has 'organization'", "p09 p02 p04 p05 p06 p08 p11"},
	{"not detail/layer in (2, 3, 5)", "p09 p03 p04 p06 p07 p08 p10 p11 p12"},
	{"allowedAudiences has 'organization' eq isCurrent", "p01 p02 p05 p10 p11"},
	{"detail/jobTitle eq 'Chief Ünicode Officer' or detail/jobTitle eq 'O''Brien''s Assistant'", "p09 p03"},
	{"lastModifiedBy/user/displayName eq 'Owner'", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
}

// orderByCases are $orderby values and the exact order they give: nulls
// first ascending and last descending, ties broken by id ascending whatever
// the direction. "" is the default order.
var orderByCases = []queryCase{
	// Default and explicit createdDateTime; p05 and p06 were created at the same instant.
	{"", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"createdDateTime", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"createdDateTime asc", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"createdDateTime desc", "p12 p11 p10 p08 p07 p05 p06 p04 p03 p02 p01 p09"},
	{"id desc", "p12 p11 p10 p09 p08 p07 p06 p05 p04 p03 p02 p01"},
	{"lastModifiedDateTime desc", "p11 p12 p10 p08 p07 p05 p06 p04 p03 p02 p01 p09"},
	// Numbers, nulls first ascending.
	{"detail/layer", "p03 p04 p06 p08 p10 p11 p12 p09 p07 p02 p01 p05"},
	{"detail/layer asc", "p03 p04 p06 p08 p10 p11 p12 p09 p07 p02 p01 p05"},
	{"detail/layer desc", "p05 p01 p02 p07 p09 p03 p04 p06 p08 p10 p11 p12"},
	{"inference/confidenceScore desc", "p01 p05 p08 p02 p03 p04 p06 p07 p09 p10 p11 p12"},
	// Strings: ordinal, case-sensitive ('e' after every capital).
	{"detail/jobTitle", "p04 p08 p11 p12 p09 p02 p05 p07 p03 p01 p10 p06"},
	{"detail/jobTitle desc", "p06 p01 p10 p03 p07 p05 p02 p09 p04 p08 p11 p12"},
	{"detail/company/address/city", "p03 p04 p05 p06 p07 p09 p10 p11 p12 p02 p01 p08"},
	// Dates.
	{"detail/startMonthYear", "p03 p04 p06 p08 p09 p11 p12 p07 p02 p01 p05 p10"},
	// Enums: by the members' numeric (flags) values, not by name.
	{"allowedAudiences", "p04 p06 p11 p01 p10 p12 p03 p07 p05 p02 p09 p08"},
	{"allowedAudiences desc", "p08 p02 p09 p05 p07 p03 p01 p10 p12 p11 p06 p04"},
	{"manager/relationship desc", "p01 p02 p03 p04 p05 p06 p07 p08 p09 p10 p11 p12"},
	// Booleans: null, false, true.
	{"isCurrent", "p03 p08 p12 p02 p05 p07 p11 p01 p04 p06 p09 p10"},
	// Several keys.
	{"isCurrent desc, detail/layer", "p04 p06 p10 p09 p01 p11 p07 p02 p05 p03 p08 p12"},
	{"isCurrent desc,detail/layer desc", "p01 p09 p04 p06 p10 p05 p02 p07 p11 p03 p08 p12"},
	{"detail/company/displayName desc, createdDateTime", "p03 p02 p10 p05 p01 p09 p04 p06 p07 p08 p11 p12"},
	{" allowedAudiences  desc ,  id desc ", "p08 p09 p02 p05 p07 p03 p12 p10 p01 p11 p06 p04"},
	{"(detail/layer) desc", "p05 p01 p02 p07 p09 p03 p04 p06 p08 p10 p11 p12"},
	{"createdDateTime desc, id desc", "p12 p11 p10 p08 p07 p06 p05 p04 p03 p02 p01 p09"},
}

// listOptions are the options a positions list allows.
var listOptions = []odata.Option{odata.OptFilter, odata.OptOrderBy, odata.OptSelect, odata.OptTop, odata.OptSkip, odata.OptCount, odata.OptSkipToken}

// objects returns positions as the objects odata's Apply takes.
func objects(positions []graphprofile.Item) []graphprofile.Object {
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

// apply parses rawQuery as a positions list's query and applies it to items.
func apply(t *testing.T, items []graphprofile.Object, rawQuery string) []graphprofile.Object {
	t.Helper()
	q, err := odata.Parse(rawQuery, graphprofile.WorkPositionType, listOptions...)
	if err != nil {
		t.Fatalf("Parse(%q): %v", rawQuery, err)
	}
	res, err := q.Apply(context.Background(), items, "tenant/user")
	if err != nil {
		t.Fatalf("Apply(%q): %v", rawQuery, err)
	}
	if res.NextSkipToken != "" {
		t.Fatalf("%s: more than one page", rawQuery)
	}
	return res.Items
}

// escapeQuery escapes a query option value as a client would, no more.
func escapeQuery(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", "#", "%23", " ", "%20")
	return r.Replace(s)
}

// filterQuery and orderByQuery are the query strings of a list with one
// page of every match; escape escapes the option's value.
func filterQuery(expr string, escape func(string) string) string {
	return "$filter=" + escape(expr) + "&$top=999"
}

func orderByQuery(expr string, escape func(string) string) string {
	if expr == "" {
		return "$top=999"
	}
	return "$orderby=" + escape(expr) + "&$top=999"
}

// TestQueriesInMemory evaluates every expression of the tables directly
// over the data set: each is parsed back to its own text and selects the
// expected ids in the expected order, whatever the order of the input.
func TestQueriesInMemory(t *testing.T) {
	items := objects(queryDataset())
	reversed := slices.Clone(items)
	slices.Reverse(reversed)
	t.Run("Filter", func(t *testing.T) {
		for _, tc := range slices.Concat(filterCases, moreFilterCases) {
			f, err := odata.ParseFilter(tc.expr, graphprofile.WorkPositionType)
			if err != nil {
				t.Errorf("%s: %v", tc.expr, err)
				continue
			}
			if f.String() != tc.expr {
				t.Errorf("String() = %q, want %q", f.String(), tc.expr)
			}
			q, err := odata.Parse("$top=999", graphprofile.WorkPositionType, listOptions...)
			if err != nil {
				t.Fatal(err)
			}
			q.Filter = f
			res, err := q.Apply(context.Background(), items, "b")
			if err != nil {
				t.Fatal(err)
			}
			if got := idsOf(res.Items); got != tc.ids {
				t.Errorf("$filter=%s\n got %s\nwant %s", tc.expr, got, tc.ids)
			}
		}
	})
	t.Run("OrderBy", func(t *testing.T) {
		for _, tc := range orderByCases {
			q, err := odata.Parse(orderByQuery(tc.expr, escapeQuery), graphprofile.WorkPositionType, listOptions...)
			if err != nil {
				t.Errorf("$orderby=%s: %v", tc.expr, err)
				continue
			}
			want := tc.expr
			if want == "" {
				want = odata.DefaultOrderBy
			}
			if q.OrderBy.String() != want {
				t.Errorf("String() = %q, want %q", q.OrderBy.String(), want)
			}
			for _, input := range [][]graphprofile.Object{items, reversed} {
				res, err := q.Apply(context.Background(), input, "b")
				if err != nil {
					t.Fatal(err)
				}
				if got := idsOf(res.Items); got != tc.ids {
					t.Errorf("$orderby=%s over %s…\n got %s\nwant %s", tc.expr, input[0]["id"], got, tc.ids)
				}
			}
		}
	})
}

// TestQueries stores the data set in each backend and runs every
// expression of the tables over what the store returns, and over HTTP
// through a server on that store: each selects exactly the expected
// positions in list order.
func TestQueries(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			store := b.open(t, 1)[0]
			ctx := t.Context()
			if _, err := store.EnsureUser(ctx, queryOwner); err != nil {
				t.Fatal(err)
			}
			for _, p := range queryDataset() {
				if err := store.CreateItem(ctx, queryOwner.Key(), workPositions, p, 0); err != nil {
					t.Fatal(err)
				}
			}
			stored, err := graphprofile.AllItems(ctx, store, queryOwner.Key(), workPositions)
			if err != nil {
				t.Fatal(err)
			}
			items := objects(stored)
			t.Run("Store", func(t *testing.T) {
				for _, tc := range slices.Concat(filterCases, moreFilterCases) {
					t.Run(tc.expr, func(t *testing.T) {
						if got := idsOf(apply(t, items, filterQuery(tc.expr, escapeQuery))); got != tc.ids {
							t.Errorf("$filter=%s\n got %s\nwant %s", tc.expr, got, tc.ids)
						}
					})
				}
				for _, tc := range orderByCases {
					t.Run("$orderby="+tc.expr, func(t *testing.T) {
						if got := idsOf(apply(t, items, orderByQuery(tc.expr, escapeQuery))); got != tc.ids {
							t.Errorf("$orderby=%s\n got %s\nwant %s", tc.expr, got, tc.ids)
						}
					})
				}
			})

			base, c := serveOwnPositions(t, store)
			// walk lists rawQuery and follows its nextLinks (at most pages
			// pages), returning every id in order.
			walk := func(t *testing.T, rawQuery string, pages int) string {
				t.Helper()
				var ids []string
				next := base + rawQuery
				for n := 0; next != ""; n++ {
					if n == pages {
						t.Fatalf("%s: more than %d pages", rawQuery, pages)
					}
					r := c.with(t).must(http.MethodGet, next, "", http.StatusOK)
					var page struct {
						Value []struct {
							ID string `json:"id"`
						} `json:"value"`
						NextLink string `json:"@odata.nextLink"`
					}
					if err := json.Unmarshal(r.raw, &page); err != nil {
						t.Fatal(err)
					}
					for _, p := range page.Value {
						ids = append(ids, p.ID)
					}
					next = page.NextLink
				}
				return strings.Join(ids, " ")
			}
			list := func(t *testing.T, rawQuery string) string {
				t.Helper()
				return walk(t, rawQuery, 1)
			}
			t.Run("HTTP", func(t *testing.T) {
				for _, tc := range slices.Concat(filterCases, moreFilterCases) {
					t.Run(tc.expr, func(t *testing.T) {
						if got := list(t, filterQuery(tc.expr, url.QueryEscape)); got != tc.ids {
							t.Errorf("$filter=%s\n got %s\nwant %s", tc.expr, got, tc.ids)
						}
					})
				}
				for _, tc := range orderByCases {
					t.Run("$orderby="+tc.expr, func(t *testing.T) {
						if got := list(t, orderByQuery(tc.expr, url.QueryEscape)); got != tc.ids {
							t.Errorf("$orderby=%s\n got %s\nwant %s", tc.expr, got, tc.ids)
						}
						// In pages of two, by nextLinks: the same order (the
						// default one and its reverse read by the store's
						// keyset scans, the others sorted whole).
						paged := strings.Replace(orderByQuery(tc.expr, url.QueryEscape), "$top=999", "$top=2", 1)
						if got := walk(t, paged, 7); got != tc.ids {
							t.Errorf("$orderby=%s in pages of 2\n got %s\nwant %s", tc.expr, got, tc.ids)
						}
					})
				}
			})
		})
	}
}

// TestNullAudienceOverHTTP: a position whose allowedAudiences is null (a
// PATCH may set it so) is unknown to has, and so to not (… has …): neither
// selects it, as OData's three-valued logic says; eq null does.
func TestNullAudienceOverHTTP(t *testing.T) {
	store := openSQLite(t, 1)[0]
	ctx := t.Context()
	if _, err := store.EnsureUser(ctx, queryOwner); err != nil {
		t.Fatal(err)
	}
	for _, p := range []graphprofile.Item{
		{"id": "n1", "createdDateTime": day("2024-01-01T00:00:00Z"), "allowedAudiences": "organization"},
		{"id": "n2", "createdDateTime": day("2024-01-02T00:00:00Z"), "allowedAudiences": "family"},
		{"id": "n3", "createdDateTime": day("2024-01-03T00:00:00Z")},
	} {
		if err := store.CreateItem(ctx, queryOwner.Key(), workPositions, p, 0); err != nil {
			t.Fatal(err)
		}
	}
	base, c := serveOwnPositions(t, store)
	for _, tc := range []queryCase{
		{"allowedAudiences has 'organization'", "n1"},
		{"not (allowedAudiences has 'organization')", "n2"},
		{"not allowedAudiences has 'organization'", "n2"},
		{"allowedAudiences has 'me'", "n1 n2"},
		{"not (allowedAudiences has 'me')", ""},
		{"allowedAudiences eq null", "n3"},
		{"not (allowedAudiences eq 'family')", "n1 n3"},
	} {
		r := c.with(t).must(http.MethodGet, base+filterQuery(tc.expr, url.QueryEscape), "", http.StatusOK)
		var page struct {
			Value []graphprofile.Object `json:"value"`
		}
		if err := json.Unmarshal(r.raw, &page); err != nil {
			t.Fatal(err)
		}
		if got := idsOf(page.Value); got != tc.ids {
			t.Errorf("$filter=%s\n got %s\nwant %s", tc.expr, got, tc.ids)
		}
	}
}

// serveOwnPositions serves store over HTTP with a development issuer and
// returns the URL of queryOwner's positions, ending in "?" for a query,
// and a client with queryOwner's User.Read token.
func serveOwnPositions(t *testing.T, store graphprofile.Store) (string, *client) {
	t.Helper()
	dev := newDevIssuer(t)
	base := startServer(t, store, dev) + "/beta/me/profile/positions?"
	tok, err := dev.Mint(token.MintRequest{TenantID: queryOwner.TenantID, ObjectID: queryOwner.ID,
		UserPrincipalName: queryOwner.UserPrincipalName, DisplayName: queryOwner.DisplayName, Scopes: []string{"User.Read"}})
	if err != nil {
		t.Fatal(err)
	}
	return base, &client{token: tok, http: &http.Client{Timeout: 30 * time.Second}}
}

// TestStringOrderOverHTTP: strings order and compare by code point, which
// is UTF-8's byte order, case- and accent-sensitive, in every store and
// over HTTP (docs/decisions.md, "Strings compare by code point"): capitals
// before small letters, a precomposed é after e with a combining accent,
// U+FF21 before U+1F600 (UTF-16's order, .NET's ordinal, would put the
// emoji first, as a surrogate pair); nulls first ascending, last
// descending; the same in pages of two followed by nextLink.
func TestStringOrderOverHTTP(t *testing.T) {
	titles := []any{"a", "B", "\u00e9", "e\u0301", "\uff21", "\U0001f600", "Z", "", "10", "9", "\u65e5\u672c", nil}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			store := b.open(t, 1)[0]
			ctx := t.Context()
			if _, err := store.EnsureUser(ctx, queryOwner); err != nil {
				t.Fatal(err)
			}
			for i, title := range titles {
				p := graphprofile.Item{"id": fmt.Sprintf("s%02d", i), "createdDateTime": day("2024-01-01T00:00:00Z").Add(time.Duration(i) * time.Second)}
				if title != nil {
					p["detail"] = graphprofile.Object{"jobTitle": title}
				}
				if err := store.CreateItem(ctx, queryOwner.Key(), workPositions, p, 0); err != nil {
					t.Fatal(err)
				}
			}
			base, c := serveOwnPositions(t, store)
			walk := func(t *testing.T, rawQuery string) string {
				t.Helper()
				var ids []string
				for next, n := base+rawQuery, 0; next != ""; n++ {
					if n == len(titles) {
						t.Fatalf("%s: more than %d pages", rawQuery, n)
					}
					r := c.with(t).must(http.MethodGet, next, "", http.StatusOK)
					var page struct {
						Value    []graphprofile.Object `json:"value"`
						NextLink string                `json:"@odata.nextLink"`
					}
					if err := json.Unmarshal(r.raw, &page); err != nil {
						t.Fatal(err)
					}
					ids = append(ids, idsOf(page.Value))
					next = page.NextLink
				}
				return strings.TrimSpace(strings.Join(ids, " "))
			}
			for _, tc := range []queryCase{
				{"$orderby=detail/jobTitle", "s11 s07 s08 s09 s01 s06 s00 s03 s02 s10 s04 s05"},
				{"$orderby=detail/jobTitle desc", "s05 s04 s10 s02 s03 s00 s06 s01 s09 s08 s07 s11"},
				{"$filter=detail/jobTitle gt '\uff21'", "s05"},
				{"$filter=detail/jobTitle lt 'a' and detail/jobTitle ne ''&$orderby=detail/jobTitle", "s08 s09 s01 s06"},
				{"$filter=detail/jobTitle gt 'e' and detail/jobTitle lt 'f'", "s03"},
				{"$filter=detail/jobTitle eq 'e\u0301'", "s03"},
			} {
				for _, top := range []string{"999", "2"} {
					q := url.Values{}
					for _, kv := range strings.Split(tc.expr, "&") {
						k, v, _ := strings.Cut(kv, "=")
						q.Set(k, v)
					}
					q.Set("$top", top)
					if got := walk(t, q.Encode()); got != tc.ids {
						t.Errorf("%s&$top=%s\n got %s\nwant %s", tc.expr, top, got, tc.ids)
					}
				}
			}
		})
	}
}
