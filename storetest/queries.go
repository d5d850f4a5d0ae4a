package storetest

import (
	"time"

	"github.com/graphprofile/graphprofile"
)

// The query data set: twelve positions of one user, with values chosen so
// that each expression of QueryCases picks an exact, known set.
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

// QueryDataset returns the positions the query cases run over, as a Store
// holds them (server-managed properties included).
func QueryDataset() []graphprofile.WorkPosition {
	type O = graphprofile.Object
	position := func(id, created string, props O) graphprofile.WorkPosition {
		p := graphprofile.WorkPosition{"id": id, "createdDateTime": day(created), "lastModifiedDateTime": day(created),
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
	return []graphprofile.WorkPosition{
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

// QueryCase is a $filter expression and the ids of the data set it selects.
type QueryCase struct {
	Filter string
	IDs    string // space-separated, in list order (createdDateTime, then id)
}

// QueryCases are the filter expressions every store answers alike.
var QueryCases = []QueryCase{
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
	{"detail/jobTitle eq 'Chief Ünicode Officer'", "p09"},
	{"detail/role in ('engineering','Engineering')", "p01 p06"},
	{"detail/description eq 'Summer'", "p07"},
	{"createdBy/application ne null", "p12"},
	{"createdBy/user/id eq 'owner-id'", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11"},
	{"true", "p09 p01 p02 p03 p04 p05 p06 p07 p08 p10 p11 p12"},
	{"false", ""},
	{"isCurrent eq true and (detail/layer eq null or detail/layer lt 0)", "p09 p04 p06 p10"},
}
