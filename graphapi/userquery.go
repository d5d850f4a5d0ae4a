package graphapi

import (
	"net/http"
	"strings"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/odata"
)

// userQueries is what Graph's directory serves of $filter and $orderby on
// users, as its docs' tables say ("Advanced query capabilities on Microsoft
// Entra ID objects"), for the properties graphprofile serves: eq and in
// (and, with an advanced query, ne and not) on the properties it indexes,
// some only in advanced queries; startsWith, ge and le where it says;
// endsWith on mail and userPrincipalName only in advanced queries; a
// comparison with null only in advanced queries; gt, lt, contains,
// tolower, toupper and all never. Lists order by displayName or
// userPrincipalName only, and $filter with $orderby needs an advanced query.
// A property of UserType not listed here is served in $select but not in
// $filter: a 400 rather than a wrong answer.
var userQueries = func() *odata.Restrictions {
	const (
		no  = odata.Unsupported
		yes = odata.Default
		adv = odata.Advanced
	)
	rows := []struct {
		property                     string
		eq, startsWith, geLe, isNull odata.Support
	}{
		{"id", yes, no, no, no},
		{"accountEnabled", yes, no, no, no},
		{"displayName", yes, yes, no, adv},
		{"userPrincipalName", yes, yes, yes, no},
		{"mail", yes, yes, yes, adv},
		{"mailNickname", yes, yes, yes, adv},
		{"givenName", yes, yes, yes, adv},
		{"surname", yes, yes, yes, adv},
		{"jobTitle", yes, yes, yes, adv},
		{"city", yes, yes, yes, adv},
		{"country", yes, yes, yes, adv},
		{"department", yes, yes, yes, adv},
		{"employeeId", yes, yes, adv, adv},
		{"state", yes, yes, yes, adv},
		{"usageLocation", yes, yes, yes, no},
		{"companyName", adv, adv, adv, adv},
		{"employeeType", adv, adv, adv, no},
		{"faxNumber", adv, adv, adv, adv},
		{"mobilePhone", adv, adv, adv, adv},
		{"officeLocation", adv, adv, adv, adv},
		{"postalCode", adv, adv, adv, adv},
		{"preferredLanguage", adv, adv, adv, adv},
		{"streetAddress", adv, adv, adv, adv},
		{"employeeHireDate", adv, no, adv, no},
	}
	r := &odata.Restrictions{
		Resource:          "User",
		Filter:            map[string]map[string]odata.Support{},
		AdvancedOperators: []string{"ne", "not", "endswith"},
		OrderBy:           map[string]odata.Support{"displayName": yes, "userPrincipalName": yes},
		FilterWithOrderBy: adv,
		// Graph's directory answers a $top out of range (1–999)
		// Request_UnsupportedQuery, with the message a profile's list gives.
		PageSizeCode: graphprofile.CodeUnsupportedQuery,
	}
	for _, row := range rows {
		r.Filter[row.property] = map[string]odata.Support{
			"eq": row.eq, "ne": row.eq, "in": row.eq, "startswith": row.startsWith,
			"ge": row.geLe, "le": row.geLe, "null": row.isNull,
		}
	}
	r.Filter["mail"]["endswith"] = adv
	r.Filter["userPrincipalName"]["endswith"] = adv
	// A collection: any(p: p eq '…'), as Graph's directory filters one.
	r.Filter["businessPhones"] = map[string]odata.Support{"any": yes, "eq": yes, "ne": yes, "in": yes}
	return r
}()

// consistencyEventual reports whether r asks for eventual consistency
// (ConsistencyLevel: eventual), which Graph's directory requires of
// advanced queries and of $count.
func consistencyEventual(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("ConsistencyLevel")), "eventual")
}
