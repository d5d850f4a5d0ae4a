package graphapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The people directory of the query tests: four users of tenant A, and
// one of tenant B who must never show.
var directoryUsers = []string{
	`{"displayName":"Adele Vance","userPrincipalName":"AdeleV@contoso.test","mail":"AdeleV@contoso.test","mailNickname":"AdeleV",
	  "givenName":"Adele","surname":"Vance","jobTitle":"Retail Manager","accountEnabled":true,
	  "businessPhones":["+1 425 555 0109"],"mobilePhone":"+1 425 555 0101","officeLocation":"18/2111","preferredLanguage":"en-US",
	  "department":"Retail","companyName":"Contoso","city":"Seattle","state":"WA","country":"United States","usageLocation":"US",
	  "employeeId":"1001","employeeType":"Employee","employeeHireDate":"2019-06-01T00:00:00Z"}`,
	`{"displayName":"Alex Wilber","userPrincipalName":"AlexW@contoso.test","mail":"AlexW@contoso.test","accountEnabled":false,
	  "jobTitle":"Marketing Assistant","department":"Marketing","city":"Redmond","officeLocation":"131/1104","businessPhones":["+1 858 555 0110"]}`,
	`{"displayName":"megan Bowen","userPrincipalName":"MeganB@contoso.test","mail":"MeganB@contoso.test","accountEnabled":true,
	  "jobTitle":"Marketing Manager","department":"Marketing","businessPhones":[]}`,
	`{"displayName":"Diego Siciliani","userPrincipalName":"DiegoS@fabrikam.test","accountEnabled":true,"jobTitle":"HR Manager"}`,
}

// newDirectory starts a server with directoryUsers and returns it with a
// token that may read the directory.
func newDirectory(t *testing.T) (*testServer, string) {
	t.Helper()
	s := newTestServer(t)
	admin := s.application(tenantA, "User.ReadWrite.All")
	for _, body := range directoryUsers {
		if resp := s.do(request{method: http.MethodPost, path: "/beta/users", token: admin, body: body}); resp.status != http.StatusCreated {
			t.Fatalf("POST /users: %d %s", resp.status, resp.body)
		}
	}
	if resp := s.do(request{method: http.MethodPost, path: "/beta/users", token: s.application(tenantB, "User.ReadWrite.All"), body: directoryUsers[0]}); resp.status != http.StatusCreated {
		t.Fatalf("POST /users in tenant B: %d %s", resp.status, resp.body)
	}
	return s, s.application(tenantA, "User.Read.All")
}

// displayNames returns the displayName of each user of a list, in order.
func displayNames(t *testing.T, resp *response) []string {
	t.Helper()
	var names []string
	for _, u := range resp.json(t)["value"].([]any) {
		name, _ := u.(map[string]any)["displayName"].(string)
		names = append(names, name)
	}
	return names
}

var eventual = map[string]string{"ConsistencyLevel": "eventual"}

func TestUsersFilterOrderAndCount(t *testing.T) {
	s, reader := newDirectory(t)
	all := []string{"Adele Vance", "Alex Wilber", "Diego Siciliani", "megan Bowen"}
	tests := []struct {
		name     string
		query    string
		advanced bool     // ConsistencyLevel: eventual
		want     []string // in order when ordered is set, else as a set
		ordered  bool
		count    float64 // @odata.count expected; 0: none
	}{
		{"no query", "", false, all, false, 0},
		{"eq", "$filter=displayName eq 'Adele Vance'", false, []string{"Adele Vance"}, false, 0},
		{"eq ignores case", "$filter=userPrincipalName eq 'ADELEV@CONTOSO.TEST'", false, []string{"Adele Vance"}, false, 0},
		{"startsWith ignores case", "$filter=startswith(displayName,'a')", false, []string{"Adele Vance", "Alex Wilber"}, false, 0},
		{"Graph's name search", "$filter=startswith(displayName,'mega') or startswith(givenName,'mega') or startswith(mail,'mega')", false, []string{"megan Bowen"}, false, 0},
		{"in", "$filter=department in ('Retail', 'Sales')", false, []string{"Adele Vance"}, false, 0},
		{"and", "$filter=department eq 'Marketing' and accountEnabled eq true", false, []string{"megan Bowen"}, false, 0},
		{"or", "$filter=startswith(displayName,'Ad') or city eq 'redmond'", false, []string{"Adele Vance", "Alex Wilber"}, false, 0},
		{"boolean", "$filter=accountEnabled eq false", false, []string{"Alex Wilber"}, false, 0},
		{"collection any", "$filter=businessPhones/any(p:p eq '+1 425 555 0109')", false, []string{"Adele Vance"}, false, 0},
		{"id", "$filter=id in ('nobody')", false, nil, false, 0},
		{"ne advanced", "$filter=department ne 'Marketing'&$count=true", true, []string{"Adele Vance", "Diego Siciliani"}, false, 2},
		{"not advanced", "$filter=not startswith(displayName,'A')&$count=true", true, []string{"Diego Siciliani", "megan Bowen"}, false, 2},
		{"endsWith advanced", "$filter=endswith(mail,'@CONTOSO.test')&$count=true", true, []string{"Adele Vance", "Alex Wilber", "megan Bowen"}, false, 3},
		{"endsWith as Graph's docs spell it", "$filter=endsWith(mail,'@CONTOSO.test')&$count=true", true, []string{"Adele Vance", "Alex Wilber", "megan Bowen"}, false, 3},
		{"advanced-only property", "$filter=officeLocation eq '18/2111'&$count=true", true, []string{"Adele Vance"}, false, 1},
		{"null advanced", "$filter=city eq null&$count=true", true, []string{"Diego Siciliani", "megan Bowen"}, false, 2},
		{"date advanced", "$filter=employeeHireDate ge 2019-01-01T00:00:00Z&$count=true", true, []string{"Adele Vance"}, false, 1},
		{"orderby displayName ignores case", "$orderby=displayName", false, all, true, 0},
		{"orderby desc", "$orderby=displayName desc", false, []string{"megan Bowen", "Diego Siciliani", "Alex Wilber", "Adele Vance"}, true, 0},
		{"orderby userPrincipalName", "$orderby=userPrincipalName", false, []string{"Adele Vance", "Alex Wilber", "Diego Siciliani", "megan Bowen"}, true, 0},
		// Two keys: no index serves the order, the directory is read.
		{"orderby two names", "$orderby=userPrincipalName desc,displayName", false, []string{"megan Bowen", "Diego Siciliani", "Alex Wilber", "Adele Vance"}, true, 0},
		{"filter and orderby advanced", "$filter=department eq 'Marketing'&$orderby=displayName desc&$count=true", true, []string{"megan Bowen", "Alex Wilber"}, true, 2},
		{"count advanced", "$count=true", true, all, false, 4},
		{"count without ConsistencyLevel is ignored", "$count=true", false, all, false, 0},
		{"ConsistencyLevel without count", "$filter=displayName eq 'Alex Wilber'", true, []string{"Alex Wilber"}, false, 0},
	}
	for _, version := range []string{"beta", "v1.0"} {
		for _, tc := range tests {
			t.Run(version+"/"+tc.name, func(t *testing.T) {
				req := request{path: "/" + version + "/users?" + escapeQuery(tc.query), token: reader}
				if tc.advanced {
					req.header = eventual
				}
				resp := s.do(req)
				if resp.status != http.StatusOK {
					t.Fatalf("status %d: %s", resp.status, resp.body)
				}
				got := displayNames(t, resp)
				want := slices.Clone(tc.want)
				if !tc.ordered {
					sort.Strings(got)
					sort.Strings(want)
				}
				if !slices.Equal(got, want) {
					t.Errorf("users %q, want %q", got, want)
				}
				count, hasCount := resp.json(t)["@odata.count"]
				if tc.count == 0 && hasCount {
					t.Errorf("@odata.count %v, want none", count)
				}
				if tc.count != 0 && count != tc.count {
					t.Errorf("@odata.count %v, want %v", count, tc.count)
				}
			})
		}
	}
}

// escapeQuery escapes the values of a query string as a client would.
func escapeQuery(q string) string {
	if q == "" {
		return ""
	}
	var parts []string
	for part := range strings.SplitSeq(q, "&") {
		k, v, _ := strings.Cut(part, "=")
		parts = append(parts, k+"="+url.QueryEscape(v))
	}
	return strings.Join(parts, "&")
}

// TestUsersQueryErrors: what Graph's directory does not serve is its own
// 400, and so is an advanced query's operator without the advanced query
// parameters.
func TestUsersQueryErrors(t *testing.T) {
	s, reader := newDirectory(t)
	needsAdvanced := func(op string) string {
		return "Operator '" + op + "' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
	}
	clause := func(property string) string {
		return "Unsupported or invalid query filter clause specified for property '" + property + "' of resource 'User'."
	}
	tests := []struct {
		name     string
		query    string
		advanced bool
		code     string
		message  string
	}{
		{"ne", "$filter=department ne 'Retail'", false, "Request_UnsupportedQuery", needsAdvanced("ne")},
		{"ne with ConsistencyLevel but no $count", "$filter=department ne 'Retail'", true, "Request_UnsupportedQuery", needsAdvanced("ne")},
		{"ne with $count but no ConsistencyLevel", "$filter=department ne 'Retail'&$count=true", false, "Request_UnsupportedQuery", needsAdvanced("ne")},
		{"not", "$filter=not(accountEnabled eq true)", false, "Request_UnsupportedQuery", needsAdvanced("not")},
		{"endsWith", "$filter=endswith(mail,'@contoso.test')", false, "Request_UnsupportedQuery", needsAdvanced("endsWith")},
		{"endsWith in camel case", "$filter=endsWith(mail,'@contoso.test')", false, "Request_UnsupportedQuery", needsAdvanced("endsWith")},
		{"endsWith on a property without it", "$filter=endswith(displayName,'Vance')&$count=true", true, "Request_UnsupportedQuery", clause("displayName")},
		{"gt", "$filter=displayName gt 'A'", false, "Request_UnsupportedQuery", clause("displayName")},
		{"gt advanced", "$filter=displayName gt 'A'&$count=true", true, "Request_UnsupportedQuery", clause("displayName")},
		{"lt", "$filter=employeeHireDate lt 2020-01-01T00:00:00Z&$count=true", true, "Request_UnsupportedQuery", clause("employeeHireDate")},
		{"contains", "$filter=contains(displayName,'Van')", false, "Request_UnsupportedQuery", clause("displayName")},
		{"tolower", "$filter=tolower(displayName) eq 'adele vance'", false, "Request_UnsupportedQuery", clause("displayName")},
		{"advanced-only property", "$filter=officeLocation eq '18/2111'", false, "Request_UnsupportedQuery", clause("officeLocation")},
		{"null without advanced", "$filter=city eq null", false, "Request_UnsupportedQuery", clause("city")},
		{"null on the left without advanced", "$filter=null eq city", false, "Request_UnsupportedQuery", clause("city")},
		{"not filterable", "$filter=businessPhones/all(p:p eq 'x')", false, "Request_UnsupportedQuery", clause("businessPhones")},
		// A clause of two properties is on no property of the table:
		// Graph's directory answers it without naming one.
		{"two properties compared", "$filter=givenName eq surname&$count=true", true, "Request_UnsupportedQuery", "Unsupported Query."},
		{"orderby another property", "$orderby=jobTitle", false, "Request_UnsupportedQuery", "Unsupported sort property 'jobTitle' for 'User'."},
		{"orderby another property advanced", "$orderby=department&$count=true", true, "Request_UnsupportedQuery", "Unsupported sort property 'department' for 'User'."},
		{"filter with orderby", "$filter=department eq 'Marketing'&$orderby=displayName", false, "Request_UnsupportedQuery", "Sorting not supported for current query."},
		// Graph's directory, as observed (msgraph-metadata #135,
		// microsoft-graph-docs #9279): it pages with $skiptoken only.
		{"skip", "$skip=1", false, "Request_BadRequest", "'$skip' is not supported by the service."},
		{"skip 0", "$top=1&$skip=0", false, "Request_BadRequest", "'$skip' is not supported by the service."},
		{"skip advanced", "skip=2&$count=true", true, "Request_BadRequest", "'$skip' is not supported by the service."},
		// Graph's directory answers a page size out of range with its own
		// code (Steampipe's azuread_user table quotes it: "Request_UnsupportedQuery:
		// Invalid page size specified: '1000'. …"), a profile's list BadRequest.
		{"top too large", "$top=1000", false, "Request_UnsupportedQuery", "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."},
		{"top zero", "$top=0", false, "Request_UnsupportedQuery", "Invalid page size specified: '0'. Must be between 1 and 999 inclusive."},
		{"top too large advanced", "$top=1000&$count=true", true, "Request_UnsupportedQuery", "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."},
		{"top not a number", "$top=ten", false, "Request_UnsupportedQuery", "Invalid page size specified: 'ten'. Must be between 1 and 999 inclusive."},
		{"unknown property", "$filter=nickname eq 'x'", false, "BadRequest", "Invalid $filter at position 0: could not find a property named 'nickname' on type 'microsoft.graph.user'."},
		{"passwordProfile in $filter", "$filter=passwordProfile eq null", false, "BadRequest", "Invalid $filter at position 0: could not find a property named 'passwordProfile' on type 'microsoft.graph.user'."},
		{"an unknown property in $select", "$select=nickname", false, "BadRequest", "Parsing OData Select and Expand failed: Could not find a property named 'nickname' on type 'microsoft.graph.user'."},
		{"search", "$search=\"displayName:adele\"", true, "BadRequest", "The query option '$search' is not supported on this resource."},
		// The options it supports, as an error lists them: not $skip.
		{"expand", "$expand=manager", false, "BadRequest", "The query option '$expand' is not supported on this resource; it supports $filter, $orderby, $select, $top, $count, $skiptoken."},
		{"unknown option", "$foo=1", false, "BadRequest", "The query option '$foo' is not a known system query option; this resource supports $filter, $orderby, $select, $top, $count, $skiptoken."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := request{path: "/v1.0/users?" + escapeQuery(tc.query), token: reader}
			if tc.advanced {
				req.header = eventual
			}
			if msg := expectError(t, s.do(req), http.StatusBadRequest, tc.code); msg != tc.message {
				t.Errorf("message %q, want %q", msg, tc.message)
			}
		})
	}
}

func TestUsersCountSegment(t *testing.T) {
	s, reader := newDirectory(t)
	msg := expectError(t, s.do(request{path: "/beta/users/$count", token: reader}), http.StatusBadRequest, "Request_BadRequest")
	if msg != "$count is not currently supported." {
		t.Errorf("message %q", msg)
	}
	tests := []struct{ query, want string }{
		{"", "4"},
		{"?$filter=" + url.QueryEscape("department eq 'Marketing'"), "2"},
		{"?$filter=" + url.QueryEscape("department ne 'Marketing'"), "2"}, // the segment makes it an advanced query
		{"?$filter=" + url.QueryEscape("endswith(userPrincipalName,'@fabrikam.test')"), "1"},
	}
	for _, tc := range tests {
		resp := s.do(request{path: "/v1.0/users/$count" + tc.query, token: reader, header: eventual})
		if resp.status != http.StatusOK || string(resp.body) != tc.want || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/plain") {
			t.Errorf("/users/$count%s: %d %q %q, want %s as text/plain", tc.query, resp.status, resp.body, resp.header.Get("Content-Type"), tc.want)
		}
	}
	if msg := expectError(t, s.do(request{path: "/v1.0/users/$count?$filter=" + url.QueryEscape("displayName gt 'A'"), token: reader, header: eventual}),
		http.StatusBadRequest, "Request_UnsupportedQuery"); msg != "Unsupported or invalid query filter clause specified for property 'displayName' of resource 'User'." {
		t.Errorf("/users/$count with displayName gt: message %q", msg)
	}
	if msg := expectError(t, s.do(request{path: "/v1.0/users/$count?$top=1", token: reader, header: eventual}), http.StatusBadRequest, "BadRequest"); msg != "The query option '$top' is not supported on this resource; it supports $filter." {
		t.Errorf("/users/$count?$top=1: message %q", msg)
	}
	if msg := expectError(t, s.do(request{path: "/v1.0/users/$count", token: s.delegated(tenantA, userA1, "User.Read"), header: eventual}),
		http.StatusForbidden, "Authorization_RequestDenied"); msg != "Insufficient privileges to complete the operation." {
		t.Errorf("/users/$count with User.Read: message %q", msg)
	}
}

// TestUsersPaging walks the list two at a time: every user once, in order,
// each page's nextLink the request's own with a $skiptoken, which only this
// tenant's list takes.
func TestUsersPaging(t *testing.T) {
	s, reader := newDirectory(t)
	var got []string
	next := "/v1.0/users?$top=2&$orderby=displayName&$select=displayName"
	var links []string
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatalf("more than 3 pages: %v", links)
		}
		resp := s.do(request{path: next, token: reader})
		if resp.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, resp.status, resp.body)
		}
		body := resp.json(t)
		if n := len(body["value"].([]any)); n > 2 {
			t.Errorf("page of %d users, want at most 2", n)
		}
		got = append(got, displayNames(t, resp)...)
		link, _ := body["@odata.nextLink"].(string)
		next = ""
		if link != "" {
			links = append(links, link)
			if !strings.HasPrefix(link, s.url+"/v1.0/users?") || !strings.Contains(link, "$top=2") || !strings.Contains(link, "$skiptoken=") {
				t.Fatalf("nextLink %q", link)
			}
			next = strings.TrimPrefix(link, s.url)
		}
	}
	if want := []string{"Adele Vance", "Alex Wilber", "Diego Siciliani", "megan Bowen"}; !slices.Equal(got, want) {
		t.Errorf("walked %q, want %q", got, want)
	}
	if len(links) != 1 {
		t.Fatalf("nextLinks %q, want 1", links)
	}
	// Another tenant's list, or another order, refuses the token.
	foreign := s.application(tenantB, "User.Read.All")
	const refused = "The $skiptoken is not valid for this request; follow @odata.nextLink as it was given."
	if msg := expectError(t, s.do(request{path: strings.TrimPrefix(links[0], s.url), token: foreign}), http.StatusBadRequest, "BadRequest"); msg != refused {
		t.Errorf("another tenant's $skiptoken: message %q, want %q", msg, refused)
	}
	if msg := expectError(t, s.do(request{path: strings.Replace(strings.TrimPrefix(links[0], s.url), "$orderby=displayName", "$orderby=userPrincipalName", 1), token: reader}),
		http.StatusBadRequest, "BadRequest"); msg != refused {
		t.Errorf("a $skiptoken of another order: message %q, want %q", msg, refused)
	}
}

// TestUsersSelect: $select brings any served property, on the list and on
// one user, with Graph's context URL, and nothing else: not even id unless
// named, as Graph's directory answers; without it each version has its
// default projection.
func TestUsersSelect(t *testing.T) {
	s, reader := newDirectory(t)
	resp := s.do(request{path: "/v1.0/users?$filter=" + url.QueryEscape("displayName eq 'Adele Vance'") + "&$select=displayName,department,employeeHireDate,businessPhones", token: reader})
	if resp.status != http.StatusOK {
		t.Fatalf("%d %s", resp.status, resp.body)
	}
	body := resp.json(t)
	if got := body["@odata.context"]; got != s.url+"/v1.0/$metadata#users(displayName,department,employeeHireDate,businessPhones)" {
		t.Errorf("@odata.context %v", got)
	}
	adele := body["value"].([]any)[0].(map[string]any)
	if adele["displayName"] != "Adele Vance" || adele["department"] != "Retail" ||
		adele["employeeHireDate"] != "2019-06-01T00:00:00.0000000Z" || len(adele) != 4 {
		t.Errorf("selected user %v", adele)
	}
	ids := s.do(request{path: "/v1.0/users?$filter=" + url.QueryEscape("displayName eq 'Adele Vance'") + "&$select=id", token: reader}).json(t)
	id, _ := ids["value"].([]any)[0].(map[string]any)["id"].(string)
	if !guidPattern.MatchString(id) {
		t.Fatalf("$select=id: %v", ids)
	}
	if phones, _ := adele["businessPhones"].([]any); len(phones) != 1 || phones[0] != "+1 425 555 0109" {
		t.Errorf("businessPhones %v", adele["businessPhones"])
	}

	one := s.do(request{path: "/beta/users/" + id + "?$select=officeLocation,mobilePhone,usageLocation", token: reader})
	if one.status != http.StatusOK {
		t.Fatalf("%d %s", one.status, one.body)
	}
	if keys := objectKeys(t, one.body); !slices.Equal(keys, []string{"@odata.context", "mobilePhone", "officeLocation", "usageLocation"}) {
		t.Errorf("keys %v", keys)
	}
	if u := one.json(t); u["@odata.context"] != s.url+"/beta/$metadata#users(officeLocation,mobilePhone,usageLocation)/$entity" ||
		u["officeLocation"] != "18/2111" || u["mobilePhone"] != "+1 425 555 0101" || u["usageLocation"] != "US" {
		t.Errorf("selected user %v", u)
	}

	// Without $select: v1.0's default properties, beta's every property.
	v1 := s.do(request{path: "/v1.0/users/" + id, token: reader})
	if keys := objectKeys(t, v1.body); !slices.Equal(keys, []string{"@odata.context", "id", "displayName", "userPrincipalName", "mail", "givenName",
		"surname", "jobTitle", "businessPhones", "mobilePhone", "officeLocation", "preferredLanguage"}) {
		t.Errorf("v1.0 default keys %v", keys)
	}
	beta := s.do(request{path: "/beta/users/" + id, token: reader}).json(t)
	want := map[string]any{
		"mailNickname": "AdeleV", "accountEnabled": true, "city": "Seattle", "state": "WA", "country": "United States", "companyName": "Contoso",
		"employeeId": "1001", "employeeType": "Employee", "faxNumber": nil, "postalCode": nil, "streetAddress": nil, "preferredLanguage": "en-US",
	}
	for k, v := range want {
		if beta[k] != v {
			t.Errorf("beta %s = %v, want %v", k, beta[k], v)
		}
	}
	list := s.do(request{path: "/v1.0/users?$filter=" + url.QueryEscape("displayName eq 'megan Bowen'"), token: reader}).json(t)
	megan := list["value"].([]any)[0].(map[string]any)
	if len(megan) != 11 || megan["officeLocation"] != nil || megan["mailNickname"] != nil {
		t.Errorf("v1.0 list default projection %v", megan)
	}
	if phones, ok := megan["businessPhones"].([]any); !ok || len(phones) != 0 {
		t.Errorf("an empty businessPhones is [], got %v", megan["businessPhones"])
	}
}

// TestUpdatePeopleDirectoryProperties: the Graph docs' own update example
// (PATCH /me with businessPhones and officeLocation) is 204 with
// User.ReadWrite; the directory's properties need the directory's
// permission; values are checked as Graph checks them.
func TestUpdatePeopleDirectoryProperties(t *testing.T) {
	s := newTestServer(t)
	self := s.delegated(tenantA, userA1, "User.ReadWrite")
	resp := s.do(request{method: http.MethodPatch, path: "/v1.0/me", token: self,
		body: `{"businessPhones":["+1 425 555 0109"],"officeLocation":"18/2111"}`})
	if resp.status != http.StatusNoContent || len(resp.body) != 0 {
		t.Fatalf("PATCH /me (the Graph docs' example): %d %s", resp.status, resp.body)
	}
	me := s.do(request{path: "/v1.0/me", token: self}).json(t)
	if phones, _ := me["businessPhones"].([]any); len(phones) != 1 || phones[0] != "+1 425 555 0109" || me["officeLocation"] != "18/2111" {
		t.Errorf("GET /me after the update %v", me)
	}
	if resp := s.do(request{method: http.MethodPatch, path: "/beta/me", token: self,
		body: `{"mobilePhone":"+1 425 555 0101","preferredLanguage":"en-GB","businessPhones":[]}`}); resp.status != http.StatusNoContent {
		t.Fatalf("PATCH /me with the other self-service properties: %d %s", resp.status, resp.body)
	}
	me = s.do(request{path: "/beta/me", token: self}).json(t)
	if phones, ok := me["businessPhones"].([]any); !ok || len(phones) != 0 || me["mobilePhone"] != "+1 425 555 0101" || me["preferredLanguage"] != "en-GB" || me["officeLocation"] != "18/2111" {
		t.Errorf("GET /me after clearing businessPhones %v", me)
	}
	// businessPhones is cleared with [], as Graph's CSDL declares it
	// Nullable="false": null is the OData reader's 400, and nothing of the
	// body is applied.
	msg := expectError(t, s.do(request{method: http.MethodPatch, path: "/beta/me", token: self,
		body: `{"officeLocation":"Nowhere","businessPhones":null}`}), http.StatusBadRequest, "BadRequest")
	if want := "A null value was found for the property named 'businessPhones', which has the expected type 'Collection(Edm.String)[Nullable=False]'."; !strings.Contains(msg, want) {
		t.Errorf("PATCH businessPhones null: message %q, want it to contain %q", msg, want)
	}
	if me := s.do(request{path: "/beta/me", token: self}).json(t); me["officeLocation"] != "18/2111" {
		t.Errorf("a refused PATCH changed officeLocation: %v", me["officeLocation"])
	}
	for _, body := range []string{`{"department":"Sales"}`, `{"officeLocation":"1","employeeId":"7"}`, `{"employeeHireDate":"2020-01-01T00:00:00Z"}`} {
		if msg := expectError(t, s.do(request{method: http.MethodPatch, path: "/beta/me", token: self, body: body}), http.StatusForbidden, "Authorization_RequestDenied"); msg != "Insufficient privileges to complete the operation." {
			t.Errorf("PATCH /me %s: message %q", body, msg)
		}
	}
	if me := s.do(request{path: "/beta/me?$select=department,officeLocation,employeeId,employeeHireDate", token: self}).json(t); me["department"] != nil || me["officeLocation"] != "18/2111" || me["employeeId"] != nil || me["employeeHireDate"] != nil {
		t.Errorf("the refused self-service PATCHes changed the user: %v", me)
	}

	admin := s.delegated(tenantA, userA2, "User.ReadWrite.All")
	every := `{"businessPhones":["+1 425 555 0100"],"city":"Redmond","companyName":"Contoso","country":"US","department":"Sales",` +
		`"employeeHireDate":"2020-01-02T03:04:05.1234567+02:00","employeeId":"E-7","employeeType":"Contractor","faxNumber":"+1 425 555 0199",` +
		`"mobilePhone":"+1 425 555 0198","officeLocation":"Building 4","postalCode":"98052","preferredLanguage":"fr-FR","state":"WA",` +
		`"streetAddress":"1 Microsoft Way","usageLocation":"US"}`
	if resp := s.do(request{method: http.MethodPatch, path: "/beta/users/" + userA1, token: admin, body: every}); resp.status != http.StatusNoContent {
		t.Fatalf("PATCH every property: %d %s", resp.status, resp.body)
	}
	got := s.do(request{path: "/v1.0/users/" + userA1 + "?$select=businessPhones,city,companyName,country,department,employeeHireDate,employeeId," +
		"employeeType,faxNumber,mobilePhone,officeLocation,postalCode,preferredLanguage,state,streetAddress,usageLocation", token: admin}).json(t)
	want := map[string]any{
		"city": "Redmond", "companyName": "Contoso", "country": "US", "department": "Sales", "employeeHireDate": "2020-01-02T01:04:05.1234567Z",
		"employeeId": "E-7", "employeeType": "Contractor", "faxNumber": "+1 425 555 0199", "mobilePhone": "+1 425 555 0198",
		"officeLocation": "Building 4", "postalCode": "98052", "preferredLanguage": "fr-FR", "state": "WA", "streetAddress": "1 Microsoft Way", "usageLocation": "US",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}

	bad := []struct{ name, body, fragment string }{
		{"two business phones", `{"businessPhones":["1","2"]}`, "The collection property 'businessPhones' of type 'microsoft.graph.user' has more than 1 items."},
		{"usageLocation of three letters", `{"usageLocation":"USA"}`, "The value of property 'usageLocation' of type 'microsoft.graph.user' is longer than its limit of 2 characters."},
		{"employeeId too long", `{"employeeId":"12345678901234567"}`, "The value of property 'employeeId' of type 'microsoft.graph.user' is longer than its limit of 16 characters."},
		{"hire date not a date", `{"employeeHireDate":"2020-13-01"}`, "Invalid value '2020-13-01' for property 'employeeHireDate' of type 'microsoft.graph.user': expected an Edm.DateTimeOffset."},
		{"phone not a string", `{"mobilePhone":425}`, "Invalid value for property 'mobilePhone' of type 'microsoft.graph.user': expected a JSON string (Edm.String), found a number."},
		{"businessPhones not a collection", `{"businessPhones":"1"}`, "Invalid value for property 'businessPhones' of type 'microsoft.graph.user': expected a JSON array (Collection(Edm.String)), found a string."},
		{"unknown property", `{"officeLocations":"1"}`, "The property 'officeLocations' does not exist on type 'microsoft.graph.user'. Make sure to only use property names that are defined by the type or mark the type as open type."},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			msg := expectError(t, s.do(request{method: http.MethodPatch, path: "/beta/users/" + userA1, token: admin, body: tc.body}), http.StatusBadRequest, "BadRequest")
			if msg != tc.fragment {
				t.Errorf("message %q, want %q", msg, tc.fragment)
			}
		})
	}
	// Nothing of a refused PATCH is applied.
	after := s.do(request{path: "/v1.0/users/" + userA1 + "?$select=businessPhones,usageLocation,employeeId,employeeHireDate,mobilePhone,officeLocation", token: admin}).json(t)
	if phones, _ := after["businessPhones"].([]any); len(phones) != 1 || phones[0] != "+1 425 555 0100" || after["usageLocation"] != "US" || after["employeeId"] != "E-7" ||
		after["employeeHireDate"] != "2020-01-02T01:04:05.1234567Z" || after["mobilePhone"] != "+1 425 555 0198" || after["officeLocation"] != "Building 4" {
		t.Errorf("the refused PATCHes changed the user: %v", after)
	}
}

// TestHireDateOutOfRange: an Edm.DateTimeOffset is an instant of the years
// 0001 to 9999 in UTC, with an offset of at most 14 hours, as .NET's
// DateTimeOffset holds it. A value whose offset moves it past either end
// (9999-12-31T23:59:59-05:00 is year 10000 in UTC) is refused with 400:
// kept, it was written as a five-digit year that no read could decode, and
// every request of the user, and every list of the tenant's users, was a
// 500 from then on.
func TestHireDateOutOfRange(t *testing.T) {
	s := newTestServer(t)
	s.do(request{path: "/beta/me", token: s.delegated(tenantA, userA1, "User.Read")}) // the directory records the caller
	admin := s.delegated(tenantA, userA2, "User.ReadWrite.All")
	for _, v := range []string{"9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00", "0000-06-01T00:00:00Z",
		"2020-01-01T00:00:00+14:01", "2020-01-01T00:00:00-15:00", "2020-01-01T00:00:00+24:00"} {
		resp := s.do(request{method: http.MethodPatch, path: "/beta/users/" + userA1, token: admin, body: `{"employeeHireDate":"` + v + `"}`})
		if msg := expectError(t, resp, http.StatusBadRequest, "BadRequest"); !strings.Contains(msg, "Edm.DateTimeOffset") {
			t.Errorf("%s: message %q", v, msg)
		}
		resp = s.do(request{path: "/beta/users/" + userA1, token: admin})
		if resp.status != http.StatusOK {
			t.Fatalf("GET the user after a hire date of %s: %d %s", v, resp.status, resp.body)
		}
		if got, ok := resp.json(t)["employeeHireDate"]; !ok || got != nil {
			t.Errorf("employeeHireDate after a refused %s: %v (present %v), want null", v, got, ok)
		}
	}
	var last string // the hire date kept last
	for v, want := range map[string]string{
		"9999-12-31T23:59:59.9999999Z": "9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59+14:00": "9999-12-31T09:59:59.0000000Z",
		"0001-01-01T00:00:00Z": "0001-01-01T00:00:00.0000000Z", "0001-01-01T00:00:00-14:00": "0001-01-01T14:00:00.0000000Z",
	} {
		last = want
		if resp := s.do(request{method: http.MethodPatch, path: "/beta/users/" + userA1, token: admin, body: `{"employeeHireDate":"` + v + `"}`}); resp.status != http.StatusNoContent {
			t.Fatalf("PATCH a hire date of %s: %d %s", v, resp.status, resp.body)
		}
		if got := s.do(request{path: "/beta/users/" + userA1, token: admin}).json(t)["employeeHireDate"]; got != want {
			t.Errorf("hire date %s reads back %v, want %s", v, got, want)
		}
	}
	resp := s.do(request{path: "/beta/users?$filter=" + url.QueryEscape("id eq '"+userA1+"'"), token: admin})
	if resp.status != http.StatusOK {
		t.Fatalf("GET /users: %d %s", resp.status, resp.body)
	}
	if users := resp.json(t)["value"].([]any); len(users) != 1 || get(users[0], "employeeHireDate") != last {
		t.Errorf("GET /users lists %v, want the user with the last hire date kept", users)
	}
}

// TestBasicProfileQueries: with User.ReadBasic.All the directory shows the
// basic profile only, and a filter cannot see past it.
func TestBasicProfileQueries(t *testing.T) {
	s, _ := newDirectory(t)
	basic := s.delegated(tenantA, userA1, "User.ReadBasic.All")
	resp := s.do(request{path: "/beta/users?$filter=" + url.QueryEscape("jobTitle eq 'Retail Manager'"), token: basic})
	if resp.status != http.StatusOK || len(resp.json(t)["value"].([]any)) != 0 {
		t.Errorf("a basic reader filtering on jobTitle: %d %s", resp.status, resp.body)
	}
	resp = s.do(request{path: "/beta/users?$filter=" + url.QueryEscape("displayName eq 'Adele Vance'") + "&$select=displayName,officeLocation,mail", token: basic})
	u := resp.json(t)["value"].([]any)[0].(map[string]any)
	if u["displayName"] != "Adele Vance" || u["mail"] != "AdeleV@contoso.test" || u["officeLocation"] != nil {
		t.Errorf("basic profile %v", u)
	}
}

// TestUsersSelectUnknownProperty: a $select naming a property the user
// does not have is Graph's 400, with the message Graph's OData parser
// gives ("Parsing OData Select and Expand failed: Could not find a
// property named 'x' on type 'microsoft.graph.user'.", as users of
// Get-MgUser and Graph's beta endpoint report it), on /me, one user and
// the list, in both versions.
func TestUsersSelectUnknownProperty(t *testing.T) {
	s, reader := newDirectory(t)
	me := s.delegated(tenantA, "44444444-4444-4444-4444-444444444444", "User.Read")
	for _, tc := range []struct{ path, token, name string }{
		{"/v1.0/me?$select=nickname", me, "nickname"},
		{"/beta/me?$select=displayName,Nickname", me, "Nickname"},
		{"/v1.0/users?$select=id,foo", reader, "foo"},
		{"/beta/users/AdeleV@contoso.test?$select=createdDateTime", reader, "createdDateTime"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			msg := expectError(t, s.do(request{path: tc.path, token: tc.token}), http.StatusBadRequest, "BadRequest")
			if want := "Parsing OData Select and Expand failed: Could not find a property named '" + tc.name + "' on type 'microsoft.graph.user'."; msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
		})
	}
}

// TestUsersIDFilterKeepsCase: a user's id compares in $filter as
// /users/{id} finds it. A GUID-shaped id ignores case (ids are stored in
// lower case), any other id (an issuer's object id need not be a GUID)
// keeps its case: "Zed" and "zed" are two users, and id eq 'Zed' is one of
// them, while the directory's other strings (names) still ignore case.
func TestUsersIDFilterKeepsCase(t *testing.T) {
	s, _ := newAdminServer(t)
	doc := `{"tenants":[{"id":"` + tenantA + `","users":[
    {"id":"Zed","displayName":"Zed Upper","userPrincipalName":"zed.upper@a.test"},
    {"id":"zed","displayName":"zed lower","userPrincipalName":"zed.lower@a.test"},
    {"id":"A1A1A1A1-0000-4000-8000-0000000000A1","displayName":"Guid User","userPrincipalName":"guid@a.test"}]}]}`
	if resp := s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: doc}); resp.status != http.StatusNoContent {
		t.Fatalf("loading: %d %s", resp.status, resp.body)
	}
	reader := s.application(tenantA, "User.Read.All")
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"id eq 'Zed'", []string{"Zed Upper"}},
		{"id eq 'zed'", []string{"zed lower"}},
		{"id eq 'ZED'", nil},
		{"id in ('zed', 'nobody')", []string{"zed lower"}},
		{"id eq 'Zed' or displayName eq 'ZED LOWER'", []string{"zed lower", "Zed Upper"}},
		{"id eq 'A1A1A1A1-0000-4000-8000-0000000000A1'", []string{"Guid User"}},
		{"id in ('a1a1a1a1-0000-4000-8000-0000000000a1')", []string{"Guid User"}},
	} {
		resp := s.do(request{path: "/v1.0/users?" + escapeQuery("$filter="+tc.filter+"&$orderby=displayName&$count=true"), token: reader, header: eventual})
		if resp.status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", tc.filter, resp.status, resp.body)
		}
		if got := displayNames(t, resp); !slices.Equal(got, tc.want) {
			t.Errorf("%s: users %q, want %q", tc.filter, got, tc.want)
		}
	}
	for key, want := range map[string]string{"Zed": "Zed Upper", "zed": "zed lower"} {
		resp := s.do(request{path: "/v1.0/users/" + key, token: reader})
		if resp.status != http.StatusOK {
			t.Fatalf("GET /users/%s: %d %s", key, resp.status, resp.body)
		}
		if u := resp.json(t); u["id"] != key || u["displayName"] != want {
			t.Errorf("GET /users/%s answers %v %v, want %s %q", key, u["id"], u["displayName"], key, want)
		}
	}
	if msg := expectError(t, s.do(request{path: "/v1.0/users/ZED", token: reader}), http.StatusNotFound, "Request_ResourceNotFound"); msg != "Resource 'ZED' does not exist or one of its queried reference-property objects are not present." {
		t.Errorf("GET /users/ZED: message %q", msg)
	}
}

// TestUserStringLimits: each string property of a user that Graph limits
// takes a value of its limit's length (in characters, not bytes) and
// refuses one more with Graph's 400 naming the limit. The limits are
// Graph's documented ones, written here, not read from the schema table:
// a limit changed there by mistake fails this test.
func TestUserStringLimits(t *testing.T) {
	s := newTestServer(t)
	admin := s.delegated(tenantA, userA2, "User.ReadWrite.All")
	// The user is recorded by its first request.
	if resp := s.do(request{path: "/beta/me", token: s.delegated(tenantA, userA1, "User.Read")}); resp.status != http.StatusOK {
		t.Fatalf("GET /me: %d %s", resp.status, resp.body)
	}
	path := "/beta/users/" + userA1
	// value is a string of n characters (two bytes each) valid for name.
	value := func(name string, n int) string {
		switch name {
		case "mail":
			// An address: a local part of 64, the rest a domain of
			// labels of at most 63 ASCII letters.
			domain := strings.Repeat("d", n-64-1-len(".test"))
			var labels []string
			for len(domain) > 63 {
				labels, domain = append(labels, domain[:62]), domain[63:]
			}
			return strings.Repeat("m", 64) + "@" + strings.Join(append(labels, domain), ".") + ".test"
		case "mailNickname":
			return strings.Repeat("n", n)
		}
		return strings.Repeat("é", n)
	}
	for name, limit := range map[string]int{
		"displayName": 256, "mail": 254, "mailNickname": 64, "givenName": 64, "surname": 64, "jobTitle": 128,
		"city": 128, "companyName": 64, "country": 128, "department": 64, "employeeId": 16, "mobilePhone": 64,
		"postalCode": 40, "state": 128, "streetAddress": 1024,
	} {
		t.Run(name, func(t *testing.T) {
			at := value(name, limit)
			if resp := s.do(request{method: http.MethodPatch, path: path, token: admin, body: `{"` + name + `":"` + at + `"}`}); resp.status != http.StatusNoContent {
				t.Fatalf("%s of %d characters: %d %s", name, limit, resp.status, resp.body)
			}
			if got := s.do(request{path: path + "?$select=" + name, token: admin}).json(t)[name]; got != at {
				t.Errorf("%s reads back %v", name, got)
			}
			over := value(name, limit+1)
			msg := expectError(t, s.do(request{method: http.MethodPatch, path: path, token: admin, body: `{"` + name + `":"` + over + `"}`}), http.StatusBadRequest, "BadRequest")
			if want := fmt.Sprintf("The value of property '%s' of type 'microsoft.graph.user' is longer than its limit of %d characters.", name, limit); msg != want {
				t.Errorf("%s of %d characters: message %q, want %q", name, limit+1, msg, want)
			}
		})
	}
}

// TestUsersFilterSupportTable: each property's operators are served as
// Graph's table of advanced query capabilities on users says: in any
// query (Y), only in an advanced one ($count=true and ConsistencyLevel:
// eventual, A), or never (-), each refusal Request_UnsupportedQuery. ("":
// the operator does not apply to the property's type, a 400 of its own.)
func TestUsersFilterSupportTable(t *testing.T) {
	s, reader := newDirectory(t)
	// eq and in, startsWith, ge and le, eq null.
	rows := []struct{ property, literal, eqIn, startsWith, geLe, null string }{
		{"id", "'x'", "Y", "-", "-", "-"},
		{"accountEnabled", "true", "Y", "", "", "-"},
		{"displayName", "'x'", "Y", "Y", "-", "A"},
		{"userPrincipalName", "'x'", "Y", "Y", "Y", "-"},
		{"mail", "'x'", "Y", "Y", "Y", "A"},
		{"mailNickname", "'x'", "Y", "Y", "Y", "A"},
		{"givenName", "'x'", "Y", "Y", "Y", "A"},
		{"surname", "'x'", "Y", "Y", "Y", "A"},
		{"jobTitle", "'x'", "Y", "Y", "Y", "A"},
		{"city", "'x'", "Y", "Y", "Y", "A"},
		{"country", "'x'", "Y", "Y", "Y", "A"},
		{"department", "'x'", "Y", "Y", "Y", "A"},
		{"employeeId", "'x'", "Y", "Y", "A", "A"},
		{"state", "'x'", "Y", "Y", "Y", "A"},
		{"usageLocation", "'x'", "Y", "Y", "Y", "-"},
		{"companyName", "'x'", "A", "A", "A", "A"},
		{"employeeType", "'x'", "A", "A", "A", "-"},
		{"faxNumber", "'x'", "A", "A", "A", "A"},
		{"mobilePhone", "'x'", "A", "A", "A", "A"},
		{"officeLocation", "'x'", "A", "A", "A", "A"},
		{"postalCode", "'x'", "A", "A", "A", "A"},
		{"preferredLanguage", "'x'", "A", "A", "A", "A"},
		{"streetAddress", "'x'", "A", "A", "A", "A"},
		{"employeeHireDate", "2020-01-01T00:00:00Z", "A", "", "A", "-"},
		{"businessPhones", "", "Y", "-", "-", "-"}, // a collection: any and in
	}
	for _, row := range rows {
		filters := map[string]string{
			"eq":         row.property + " eq " + row.literal,
			"in":         row.property + " in (" + row.literal + ")",
			"startsWith": "startswith(" + row.property + "," + row.literal + ")",
			"ge":         row.property + " ge " + row.literal,
			"le":         row.property + " le " + row.literal,
			"null":       row.property + " eq null",
		}
		want := map[string]string{"eq": row.eqIn, "in": row.eqIn, "startsWith": row.startsWith, "ge": row.geLe, "le": row.geLe, "null": row.null}
		if row.property == "businessPhones" {
			filters = map[string]string{"any": "businessPhones/any(p:p eq '1')", "in": "businessPhones/any(p:p in ('1'))"}
			want = map[string]string{"any": "Y", "in": "Y"}
		}
		for op, filter := range filters {
			if want[op] == "" {
				continue
			}
			for _, advanced := range []bool{false, true} {
				req := request{path: "/v1.0/users?" + escapeQuery("$filter="+filter), token: reader}
				served := want[op] == "Y"
				if advanced {
					req.path += "&$count=true"
					req.header = eventual
					served = want[op] != "-"
				}
				resp := s.do(req)
				if !served {
					if resp.status != http.StatusBadRequest || !strings.Contains(string(resp.body), `"Request_UnsupportedQuery"`) {
						t.Errorf("%s %s (advanced %v): %d %s, want 400 Request_UnsupportedQuery", row.property, op, advanced, resp.status, resp.body)
					}
					continue
				}
				if _, ok := resp.json(t)["value"].([]any); resp.status != http.StatusOK || !ok {
					t.Errorf("%s %s (advanced %v): %d %s, want 200 with a list", row.property, op, advanced, resp.status, resp.body)
				}
			}
		}
	}
}

// TestHireDateFilteredAsWritten: a time in a $filter is read as the same
// time in a body is, to the 100 ns that Graph's seven fractional digits
// carry, so a filter with the value a client wrote finds the user it wrote
// it to. Written with nine digits (as Go's time.RFC3339Nano writes one) the
// hire date is kept as .1234567; the same text in a filter was compared to
// the nanosecond, so eq and ge found no one.
func TestHireDateFilteredAsWritten(t *testing.T) {
	s := newTestServer(t)
	s.do(request{path: "/beta/me", token: s.delegated(tenantA, userA1, "User.Read")}) // the directory records the caller
	admin := s.delegated(tenantA, userA2, "User.ReadWrite.All")
	const written = "2020-02-29T23:59:59.123456789Z"
	if resp := s.do(request{method: http.MethodPatch, path: "/beta/users/" + userA1, token: admin, body: `{"employeeHireDate":"` + written + `"}`}); resp.status != http.StatusNoContent {
		t.Fatalf("PATCH the hire date: %d %s", resp.status, resp.body)
	}
	if got := s.do(request{path: "/beta/users/" + userA1, token: admin}).json(t)["employeeHireDate"]; got != "2020-02-29T23:59:59.1234567Z" {
		t.Fatalf("the hire date reads back %v", got)
	}
	for _, tc := range []struct {
		filter string
		found  bool
	}{
		{"employeeHireDate eq " + written, true},
		{"employeeHireDate ge " + written, true},
		{"employeeHireDate le " + written, true},
		{"employeeHireDate in (" + written + ")", true},
		{"employeeHireDate eq 2020-02-29T23:59:59.1234567Z", true},
		{"employeeHireDate eq 2020-02-29T23:59:59.12345679Z", true},
		{"employeeHireDate ge 2020-02-29T23:59:59.1234568Z", false},
		{"employeeHireDate le 2020-02-29T23:59:59.1234566999Z", false},
		{"employeeHireDate eq 2020-03-01T00:59:59.123456789+01:00", true},
	} {
		resp := s.do(request{path: "/beta/users?$count=true&$select=id&$filter=" + url.QueryEscape(tc.filter), token: admin, header: eventual})
		if resp.status != http.StatusOK {
			t.Errorf("%s: %d %s", tc.filter, resp.status, resp.body)
			continue
		}
		users := resp.json(t)["value"].([]any)
		if found := len(users) == 1 && get(users[0], "id") == userA1; found != tc.found || len(users) > 1 {
			t.Errorf("$filter=%s: %v, want the user found %v", tc.filter, users, tc.found)
		}
	}
}
