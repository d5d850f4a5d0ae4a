package graphapi_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/storetest"
)

var dateTimePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$`)

// TestSeedCreateAndUpdate replays the two seed examples: the create request
// gives the create response's shape and values, the update request the
// update response's.
func TestSeedCreateAndUpdate(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	seedResponse := []byte(readTestdata(t, "seed/create-response.json"))

	before := time.Now().UTC()
	resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: readTestdata(t, "seed/create-request.json")})
	if resp.status != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.status, resp.body)
	}
	checkCommonHeaders(t, resp)
	created := resp.json(t)
	id, _ := created["id"].(string)
	if !guidPattern.MatchString(id) {
		t.Errorf("id %q is not GUID-shaped", id)
	}
	wantContext := s.url + "/beta/$metadata#users('" + userA1 + "')/profile/positions/$entity"
	if created["@odata.context"] != wantContext {
		t.Errorf("@odata.context %q, want %q", created["@odata.context"], wantContext)
	}
	if got, want := resp.header.Get("Location"), s.url+"/beta/users/"+userA1+"/profile/positions/"+id; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}

	// The seed response's values that the request set or that default.
	wantValues := map[string]any{
		"allowedAudiences": "organization",
		"inference":        nil,
		"source":           nil,
		"categories":       nil,
		"manager":          nil,
		"colleagues":       nil,
		"isCurrent":        true,
	}
	for k, want := range wantValues {
		if got, ok := created[k]; !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v (present %v), want %#v", k, got, ok, want)
		}
	}
	var seed map[string]any
	if err := json.Unmarshal(seedResponse, &seed); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(get(created, "detail", "company"), get(seed, "detail", "company")) &&
		!subsetOf(get(seed, "detail", "company"), get(created, "detail", "company")) {
		t.Errorf("detail.company = %#v, want the seed's %#v", get(created, "detail", "company"), get(seed, "detail", "company"))
	}
	for _, k := range []string{"jobTitle", "role", "description", "endMonthYear", "summary"} {
		if !reflect.DeepEqual(get(created, "detail", k), get(seed, "detail", k)) {
			t.Errorf("detail.%s = %#v, want %#v", k, get(created, "detail", k), get(seed, "detail", k))
		}
	}
	wantIdentity := map[string]any{"application": nil, "device": nil, "user": map[string]any{"displayName": "User " + userA1[:4], "id": userA1}}
	for _, k := range []string{"createdBy", "lastModifiedBy"} {
		if !reflect.DeepEqual(created[k], wantIdentity) {
			t.Errorf("%s = %#v, want %#v", k, created[k], wantIdentity)
		}
	}
	createdAt := checkDateTime(t, created, "createdDateTime", before)
	if created["lastModifiedDateTime"] != created["createdDateTime"] {
		t.Errorf("a new position's lastModifiedDateTime %v differs from createdDateTime %v", created["lastModifiedDateTime"], created["createdDateTime"])
	}

	// Key order: the seed's keys appear in the seed's order, at every level.
	for _, path := range [][]string{nil, {"createdBy"}, {"createdBy", "user"}, {"lastModifiedBy"}, {"detail"}, {"detail", "company"}, {"detail", "company", "address"}} {
		checkKeyOrder(t, resp.body, seedResponse, path...)
	}
	// Field by field: the seed's document, the caller's values in it.
	checkSeedDocument(t, created, seed, id, created["createdDateTime"], created["lastModifiedDateTime"], wantIdentity)

	// The seed's update.
	time.Sleep(2 * time.Millisecond)
	resp = s.do(request{method: http.MethodPatch, path: "/beta/me/profile/positions/" + id, token: tok, body: readTestdata(t, "seed/update-request.json")})
	if resp.status != http.StatusOK {
		t.Fatalf("update: %d %s", resp.status, resp.body)
	}
	checkCommonHeaders(t, resp)
	updated := resp.json(t)
	if updated["@odata.context"] != wantContext {
		t.Errorf("update @odata.context %q, want %q", updated["@odata.context"], wantContext)
	}
	for _, path := range [][]string{nil, {"detail"}, {"detail", "company"}, {"detail", "company", "address"}} {
		checkKeyOrder(t, resp.body, seedResponse, path...)
	}
	for _, k := range []string{"id", "createdDateTime", "createdBy", "detail", "allowedAudiences", "isCurrent", "lastModifiedBy"} {
		if !reflect.DeepEqual(updated[k], created[k]) {
			t.Errorf("update changed %s: %#v -> %#v", k, created[k], updated[k])
		}
	}
	if modifiedAt := checkDateTime(t, updated, "lastModifiedDateTime", before); !modifiedAt.After(createdAt) {
		t.Errorf("lastModifiedDateTime %v did not move past createdDateTime %v", modifiedAt, createdAt)
	}
	// The update's answer is the seed's document too ("the update example's
	// 200 response is the same document"), only its lastModifiedDateTime new.
	checkSeedDocument(t, updated, seed, id, created["createdDateTime"], updated["lastModifiedDateTime"], wantIdentity)

	// Read back: the same entity as the update answered.
	resp = s.do(request{path: "/beta/me/profile/positions/" + id, token: tok})
	if resp.status != http.StatusOK {
		t.Fatalf("get: %d %s", resp.status, resp.body)
	}
	if got := resp.json(t); !reflect.DeepEqual(got, updated) {
		t.Errorf("get after update:\n got %v\nwant %v", got, updated)
	}
}

// checkSeedDocument compares a position with the seed's response field by
// field: every property of the seed with the seed's value, but for the id,
// the times and the signed-in caller, which are the request's own, and the
// docs' placeholder "datetime-value" for startMonthYear, which the request
// did not set (null). Properties the seed does not show must be the ones the
// Prod schema adds (docs/decisions.md, "Every declared property is
// emitted"), all null, and the annotations.
func checkSeedDocument(t *testing.T, got, seed map[string]any, id string, created, modified, caller any) {
	t.Helper()
	data, err := json.Marshal(seed) // a copy to change
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	want["id"] = id
	want["createdDateTime"] = created
	want["lastModifiedDateTime"] = modified
	want["createdBy"] = caller
	want["lastModifiedBy"] = caller
	want["detail"].(map[string]any)["startMonthYear"] = nil
	extra := map[string]bool{
		"/@odata.context": true, "/@odata.etag": true, "/sources": true, "/isSearchable": true,
		"/detail/employeeId": true, "/detail/employeeType": true, "/detail/layer": true, "/detail/level": true,
		"/detail/secondaryJobTitle": true, "/detail/secondaryRole": true,
		"/detail/company/companyCode": true, "/detail/company/costCenter": true,
		"/detail/company/division": true, "/detail/company/secondaryDepartment": true,
	}
	var walk func(path string, got, want any)
	walk = func(path string, got, want any) {
		wm, ok := want.(map[string]any)
		if !ok {
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s = %#v, want the seed's %#v", path, got, want)
			}
			return
		}
		gm, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s = %#v, want an object", path, got)
			return
		}
		for k, v := range wm {
			g, present := gm[k]
			if !present {
				t.Errorf("%s/%s is missing, the seed has %#v", path, k, v)
				continue
			}
			walk(path+"/"+k, g, v)
		}
		for k, v := range gm {
			if _, inSeed := wm[k]; inSeed {
				continue
			}
			switch {
			case !extra[path+"/"+k]:
				t.Errorf("%s/%s = %#v is neither in the seed nor a property the Prod schema adds", path, k, v)
			case !strings.HasPrefix(k, "@odata.") && v != nil:
				t.Errorf("%s/%s = %#v, want null (the request did not set it)", path, k, v)
			}
		}
	}
	walk("", got, want)
}

func subsetOf(small, big any) bool {
	sm, ok1 := small.(map[string]any)
	bm, ok2 := big.(map[string]any)
	if !ok1 || !ok2 {
		return reflect.DeepEqual(small, big)
	}
	for k, v := range sm {
		if !subsetOf(v, bm[k]) {
			return false
		}
	}
	return true
}

// checkDateTime checks that obj[key] is a Graph DateTimeOffset (UTC, seven
// fractional digits, Z) not before notBefore and not in the future.
func checkDateTime(t *testing.T, obj map[string]any, key string, notBefore time.Time) time.Time {
	t.Helper()
	s, _ := obj[key].(string)
	if !dateTimePattern.MatchString(s) {
		t.Fatalf("%s %q is not of the form 2020-07-06T06:34:12.2294868Z", key, s)
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	if tm.Before(notBefore.Truncate(time.Microsecond)) || tm.After(time.Now().Add(time.Second)) {
		t.Errorf("%s %v is not the time of the request (after %v)", key, tm, notBefore)
	}
	return tm
}

// checkKeyOrder checks that the keys of the object at path in got include
// all keys of the same object in seed, in the seed's order.
func checkKeyOrder(t *testing.T, got, seed []byte, path ...string) {
	t.Helper()
	seedKeys := objectKeys(t, seed, path...)
	gotKeys := objectKeys(t, got, path...)
	var filtered []string
	for _, k := range gotKeys {
		if slices.Contains(seedKeys, k) {
			filtered = append(filtered, k)
		}
	}
	if !slices.Equal(filtered, seedKeys) {
		t.Errorf("keys at %v in order %v, want the seed's %v", path, filtered, seedKeys)
	}
}

// TestEveryPropertyIsPresent checks that every property of workPosition and
// of the nested types appears in a response, null when unset, in the order
// docs/decisions.md gives ("Property order": the seed's, the properties it
// does not show after the ones near them in the schema).
func TestEveryPropertyIsPresent(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	p := s.create(tok, "/me", `{"detail":{"company":{"address":{}}},"manager":{},"colleagues":[{}],"inference":{},"source":{},"sources":[{}]}`)
	want := map[string][]string{
		"":                       {"@odata.context", "@odata.etag", "id", "allowedAudiences", "inference", "createdDateTime", "createdBy", "lastModifiedDateTime", "lastModifiedBy", "source", "sources", "isSearchable", "categories", "detail", "manager", "colleagues", "isCurrent"},
		"detail":                 {"company", "description", "employeeId", "employeeType", "endMonthYear", "jobTitle", "layer", "level", "role", "secondaryJobTitle", "secondaryRole", "startMonthYear", "summary"},
		"detail/company":         {"displayName", "pronunciation", "department", "officeLocation", "address", "webUrl", "companyCode", "costCenter", "division", "secondaryDepartment"},
		"detail/company/address": {"type", "postOfficeBox", "street", "city", "state", "countryOrRegion", "postalCode"},
		"manager":                {"displayName", "relationship", "userId", "userPrincipalName"},
		"inference":              {"confidenceScore", "userHasVerifiedAccuracy"},
		"source":                 {"type"},
		"createdBy":              {"application", "device", "user"},
		"createdBy/user":         {"displayName", "id"},
	}
	body, _ := json.Marshal(p)
	read := s.do(request{path: "/beta/me/profile/positions/" + p["id"].(string), token: tok})
	if read.status != http.StatusOK {
		t.Fatalf("get: %d %s", read.status, read.body)
	}
	for path, keys := range want {
		var segments []string
		if path != "" {
			segments = strings.Split(path, "/")
		}
		if got := objectKeys(t, read.body, segments...); !slices.Equal(got, keys) {
			t.Errorf("%s: keys in order %v, want %v", path, got, keys)
		}
		got := map[string]bool{}
		for k, v := range get(p, segments...).(map[string]any) {
			got[k] = true
			if !strings.HasPrefix(k, "@odata.") && len(segments) > 0 && path != "createdBy" && path != "createdBy/user" && path != "detail" && path != "detail/company" && v != nil {
				t.Errorf("%s/%s = %v, want null", path, k, v)
			}
		}
		for _, k := range keys {
			if !got[k] {
				t.Errorf("%s: property %q missing in %s", path, k, body)
			}
		}
		if len(got) != len(keys) {
			t.Errorf("%s: %d properties, want %d: %v", path, len(got), len(keys), got)
		}
	}
	for _, path := range [][]string{{"colleagues"}, {"sources"}} {
		items, _ := get(p, path...).([]any)
		if len(items) != 1 {
			t.Fatalf("%v = %v, want one item", path, get(p, path...))
		}
		item := items[0].(map[string]any)
		for k, v := range item {
			if v != nil {
				t.Errorf("%v[0].%s = %v, want null", path, k, v)
			}
		}
		if wantLen := map[string]int{"colleagues": 4, "sources": 3}[path[0]]; len(item) != wantLen {
			t.Errorf("%v[0] has %d properties, want %d", path, len(item), wantLen)
		}
	}
}

// TestCRUDOnEveryRoot runs list, get, update and delete through every way of
// naming the same profile.
func TestCRUDOnEveryRoot(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	roots := []string{
		"/me",
		"/users/" + userA1,
		"/users/" + strings.ToUpper(userA1),
		"/users/" + upnOf(userA1),
		"/users/" + strings.ToUpper(upnOf(userA1)),
		"/users/me-token-to-replace",
		"/users('" + userA1 + "')",
	}
	for _, root := range roots {
		t.Run(root, func(t *testing.T) {
			base := "/beta" + root + "/profile/positions"
			created := s.create(tok, root, `{"detail":{"jobTitle":"Engineer"},"categories":["x"]}`)
			id := created["id"].(string)
			wantContext := s.url + "/beta/$metadata#users('" + userA1 + "')/profile/positions"
			if created["@odata.context"] != wantContext+"/$entity" {
				t.Errorf("create @odata.context %q, want %q", created["@odata.context"], wantContext+"/$entity")
			}

			resp := s.do(request{path: base, token: tok})
			if resp.status != http.StatusOK {
				t.Fatalf("list: %d %s", resp.status, resp.body)
			}
			checkCommonHeaders(t, resp)
			if keys := objectKeys(t, resp.body); !slices.Equal(keys, []string{"@odata.context", "value"}) {
				t.Errorf("list keys %v, want [@odata.context value]", keys)
			}
			list := resp.json(t)
			if list["@odata.context"] != wantContext {
				t.Errorf("list @odata.context %q, want %q", list["@odata.context"], wantContext)
			}
			if !containsID(list["value"], id) {
				t.Errorf("list does not contain %s: %s", id, resp.body)
			}

			for _, itemPath := range []string{base + "/" + id, "/beta" + root + "/profile/positions('" + id + "')"} {
				resp = s.do(request{path: itemPath, token: tok})
				if resp.status != http.StatusOK {
					t.Fatalf("get %s: %d %s", itemPath, resp.status, resp.body)
				}
				got := resp.json(t)
				if got["id"] != id || get(got, "detail", "jobTitle") != "Engineer" || got["@odata.context"] != wantContext+"/$entity" {
					t.Errorf("get %s = %s", itemPath, resp.body)
				}
			}

			resp = s.do(request{method: http.MethodPatch, path: base + "/" + id, token: tok, body: `{"detail":{"role":"lead"}}`})
			if resp.status != http.StatusOK {
				t.Fatalf("update: %d %s", resp.status, resp.body)
			}
			if got := resp.json(t); get(got, "detail", "role") != "lead" || get(got, "detail", "jobTitle") != "Engineer" {
				t.Errorf("update = %s", resp.body)
			}

			resp = s.do(request{method: http.MethodDelete, path: base + "/" + id, token: tok})
			if resp.status != http.StatusNoContent || len(resp.body) != 0 {
				t.Fatalf("delete: %d %q", resp.status, resp.body)
			}
			checkCommonHeaders(t, resp)
			gone := "The workPosition '" + id + "' does not exist in this profile."
			if msg := expectError(t, s.do(request{path: base + "/" + id, token: tok}), http.StatusNotFound, "itemNotFound"); msg != gone {
				t.Errorf("GET of the deleted position: message %q, want %q", msg, gone)
			}
			if msg := expectError(t, s.do(request{method: http.MethodDelete, path: base + "/" + id, token: tok}), http.StatusNotFound, "itemNotFound"); msg != gone {
				t.Errorf("DELETE of the deleted position: message %q, want %q", msg, gone)
			}
			if msg := expectError(t, s.do(request{method: http.MethodPatch, path: base + "/" + id, token: tok, body: `{}`}), http.StatusNotFound, "itemNotFound"); msg != gone {
				t.Errorf("PATCH of the deleted position: message %q, want %q", msg, gone)
			}
			// The PATCH did not bring it back.
			if list := s.do(request{path: base, token: tok}).json(t)["value"].([]any); slices.ContainsFunc(list, func(p any) bool { return get(p, "id") == id }) {
				t.Errorf("the deleted position is listed after a PATCH of it: %v", list)
			}
		})
	}
}

func containsID(value any, id string) bool {
	items, _ := value.([]any)
	for _, item := range items {
		if get(item, "id") == id {
			return true
		}
	}
	return false
}

// TestItemIDsStayExact: an item's id is matched as it is written, GUID or
// not, where a user's GUID and principal name ignore case (issue 12:
// "Position ids stay exact"). The id in another case is another item: none,
// 404 itemNotFound naming it, and GET, PATCH and DELETE leave the item as
// it was. A fixtures file's ids are kept as written, and found so.
func TestItemIDsStayExact(t *testing.T) {
	s, _ := newAdminServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	id := s.create(tok, "/me", `{"detail":{"jobTitle":"Engineer"}}`)["id"].(string)
	if id != strings.ToLower(id) {
		t.Fatalf("a new id %q is not in lower case", id)
	}
	upper := strings.ToUpper(id)
	base := "/beta/users/" + strings.ToUpper(userA1) + "/profile/positions/"
	for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
		resp := s.do(request{method: method, path: base + upper, token: tok, body: `{"detail":{"jobTitle":"Changed"}}`})
		want := "The workPosition '" + upper + "' does not exist in this profile."
		if msg := expectError(t, resp, http.StatusNotFound, "itemNotFound"); msg != want {
			t.Errorf("%s of the id in upper case: message %q, want %q", method, msg, want)
		}
	}
	if got := s.do(request{path: base + id, token: tok}).json(t); get(got, "detail", "jobTitle") != "Engineer" {
		t.Errorf("the item after the requests in upper case: %v", got)
	}

	// Fixtures keep the ids they give, as written.
	const given = "A1B2C3D4-0000-4000-8000-00000000000A"
	resp := s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: `{"tenants":[{"id":"` + tenantA + `","users":[{"id":"` + userA2 + `","displayName":"Two","userPrincipalName":"` + upnOf(userA2) + `","profile":{"positions":[{"id":"` + given + `","detail":{"jobTitle":"Given"}}]}}]}]}`})
	if resp.status != http.StatusNoContent {
		t.Fatalf("fixtures: %d %s", resp.status, resp.body)
	}
	two := s.delegated(tenantA, userA2, "User.ReadWrite")
	if got := s.do(request{path: "/beta/me/profile/positions/" + given, token: two}).json(t); got["id"] != given || get(got, "detail", "jobTitle") != "Given" {
		t.Errorf("the fixture's item by its id as written: %v", got)
	}
	expectError(t, s.do(request{path: "/beta/me/profile/positions/" + strings.ToLower(given), token: two}), http.StatusNotFound, "itemNotFound")
	list := s.do(request{path: "/beta/me/profile/positions?$select=id", token: two}).json(t)
	if !containsID(list["value"], given) {
		t.Errorf("the list does not hold the id as written: %v", list)
	}
}

// TestListOrder checks that a list is ordered by createdDateTime, then id,
// and that it holds only the profile's own positions.
func TestListOrder(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	other := s.delegated(tenantA, userA2, "User.ReadWrite")
	s.create(other, "/me", `{}`)

	resp := s.do(request{path: "/beta/me/profile/positions", token: tok})
	if resp.status != http.StatusOK {
		t.Fatalf("list: %d %s", resp.status, resp.body)
	}
	if v, ok := resp.json(t)["value"].([]any); !ok || len(v) != 0 {
		t.Errorf("an empty profile lists %s, want \"value\":[]", resp.body)
	}

	var ids []string
	for i := range 12 {
		p := s.create(tok, "/me", `{"categories":["`+string(rune('a'+i))+`"]}`)
		ids = append(ids, p["id"].(string))
	}
	resp = s.do(request{path: "/beta/me/profile/positions", token: tok})
	var list struct {
		Value []struct {
			ID      string `json:"id"`
			Created string `json:"createdDateTime"`
		} `json:"value"`
	}
	if err := json.Unmarshal(resp.body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Value) != len(ids) {
		t.Fatalf("list has %d positions, want %d (only the caller's)", len(list.Value), len(ids))
	}
	for i := 1; i < len(list.Value); i++ {
		a, b := list.Value[i-1], list.Value[i]
		if a.Created > b.Created || (a.Created == b.Created && a.ID > b.ID) {
			t.Errorf("positions %d and %d are out of order: %+v then %+v", i-1, i, a, b)
		}
	}
	var got []string
	for _, p := range list.Value {
		got = append(got, p.ID)
	}
	slices.Sort(got)
	slices.Sort(ids)
	if !slices.Equal(got, ids) {
		t.Errorf("listed ids %v, want %v", got, ids)
	}
}

func TestClientRequestID(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.Read")
	tests := []struct {
		name string
		req  request
	}{
		{"success", request{path: "/beta/me/profile/positions", token: tok}},
		{"error", request{path: "/beta/me/profile/positions"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.header = map[string]string{"client-request-id": "my-own-id-123"}
			resp := s.do(tc.req)
			checkCommonHeaders(t, resp)
			if got := resp.header.Get("client-request-id"); got != "my-own-id-123" {
				t.Errorf("client-request-id %q, want the caller's", got)
			}
			if resp.status >= 400 {
				// The error body's innerError echoes it too, beside the
				// server's own request-id (reference 6.1).
				checkEnvelope(t, resp)
				inner := resp.json(t)["error"].(map[string]any)["innerError"].(map[string]any)
				if inner["client-request-id"] != "my-own-id-123" || inner["request-id"] == "my-own-id-123" {
					t.Errorf("innerError %v, want the caller's client-request-id and the server's request-id", inner)
				}
			}
			tc.req.header = nil
			resp = s.do(tc.req)
			if resp.header.Get("client-request-id") != resp.header.Get("request-id") {
				t.Errorf("without the caller's, client-request-id %q should equal request-id %q", resp.header.Get("client-request-id"), resp.header.Get("request-id"))
			}
			if again := s.do(tc.req); again.header.Get("request-id") == resp.header.Get("request-id") {
				t.Error("request-id is not new for each request")
			}
			// An empty client-request-id is none: the request's own id
			// stands in for it, never an empty value.
			tc.req.headerLines = http.Header{"Client-Request-Id": {""}}
			resp = s.do(tc.req)
			if got := resp.header.Get("client-request-id"); got == "" || got != resp.header.Get("request-id") {
				t.Errorf("with an empty client-request-id, client-request-id %q, want request-id %q", got, resp.header.Get("request-id"))
			}
			if resp.status >= 400 {
				checkEnvelope(t, resp)
			}
		})
	}
}

func TestPublicURL(t *testing.T) {
	s := newTestServer(t, func(srv *graphapi.Server) { srv.PublicURL = "https://graph.example.test/" })
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	resp := s.do(request{method: http.MethodPost, path: "/beta/users/" + upnOf(userA1) + "/profile/positions", token: tok, body: `{}`})
	if resp.status != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.status, resp.body)
	}
	p := resp.json(t)
	if want := "https://graph.example.test/beta/$metadata#users('" + userA1 + "')/profile/positions/$entity"; p["@odata.context"] != want {
		t.Errorf("@odata.context %q, want %q", p["@odata.context"], want)
	}
	if want := "https://graph.example.test/beta/users/" + userA1 + "/profile/positions/" + p["id"].(string); resp.header.Get("Location") != want {
		t.Errorf("Location %q, want %q", resp.header.Get("Location"), want)
	}
}

// TestNextLinkOfLongOrderKeys: a list ordered by long strings (descriptions
// of 4,000 emoji) has nextLinks the server itself takes: each within
// kilobytes, where the $skiptoken carried every key whole and a nextLink
// of 160 KB passed the request head's bound (431). Following them gives
// every position once, in the order of one page of them all.
func TestNextLinkOfLongOrderKeys(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	for i := range 6 {
		last := string(rune('a' + i%3))
		detail, err := json.Marshal(map[string]any{
			"description": strings.Repeat("😀", 3999) + last,
			"summary":     strings.Repeat("<", 3999) + string(rune('a'+i%2)),
			"jobTitle":    strings.Repeat("é", 1023) + string(rune('a'+i)),
			"company":     map[string]any{"displayName": strings.Repeat("\"", 1024)},
		})
		if err != nil {
			t.Fatal(err)
		}
		s.create(tok, "/me", `{"detail":`+string(detail)+`}`)
	}
	const order = "$orderby=detail/description,detail/company/displayName,detail/summary%20desc,detail/jobTitle&$select=id"
	var want []string
	for _, v := range s.do(request{path: "/beta/me/profile/positions?$top=999&" + order, token: tok}).json(t)["value"].([]any) {
		want = append(want, v.(map[string]any)["id"].(string))
	}
	var got []string
	for next := "/beta/me/profile/positions?$top=1&" + order; next != ""; {
		resp := s.do(request{path: next, token: tok})
		if resp.status != http.StatusOK {
			t.Fatalf("GET %.200s… (%d bytes): %d %.200s", next, len(next), resp.status, resp.body)
		}
		body := resp.json(t)
		for _, v := range body["value"].([]any) {
			got = append(got, v.(map[string]any)["id"].(string))
		}
		link, _ := body["@odata.nextLink"].(string)
		if len(link) > 8<<10 {
			t.Fatalf("a nextLink of %d bytes", len(link))
		}
		next = strings.TrimPrefix(link, s.url)
	}
	if len(want) != 6 || !slices.Equal(got, want) {
		t.Errorf("the pages gave %v, want %v", got, want)
	}
}

// TestEveryPropertyTakesNull: every settable property of a position, at any
// depth but inside collections, is nullable (the reference: only id carries
// Nullable="false"), and a PATCH setting one to null clears that one alone
// (OData 4.01 11.4.9.2, 11.4.3): the answer and a read are the item as it
// was, that property null.
func TestEveryPropertyTakesNull(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	c := graphprofile.Collection{Name: "positions", Type: graphprofile.WorkPositionType}
	var paths []storetest.PropertyPath
	var walk func(typ *graphprofile.Type, prefix storetest.PropertyPath)
	walk = func(typ *graphprofile.Type, prefix storetest.PropertyPath) {
		for i := range typ.Properties {
			p := &typ.Properties[i]
			if !storetest.Settable(p) {
				continue
			}
			path := append(slices.Clone(prefix), p.Name)
			paths = append(paths, path)
			if p.Type.Kind == graphprofile.KindComplex && !p.Collection {
				walk(p.Type, path)
			}
		}
	}
	walk(c.Type, nil)
	if len(paths) < 40 {
		t.Fatalf("%d paths: the walk missed the nested types", len(paths))
	}
	full := bodyOf(c.Type, storetest.SampleObject(c.Type, 1))
	for _, path := range paths {
		t.Run(path.String(), func(t *testing.T) {
			resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: full})
			if resp.status != http.StatusCreated {
				t.Fatalf("create: %d %s", resp.status, resp.body)
			}
			want := graphprofile.Object(itemOf(t, c, resp))
			if v, _ := path.Get(want); v == nil {
				t.Fatalf("the sample leaves %s unset", path)
			}
			patch := graphprofile.Object{}
			path.Set(patch, nil)
			body, err := json.Marshal(patch)
			if err != nil {
				t.Fatal(err)
			}
			itemPath := "/beta/me/profile/positions/" + want["id"].(string)
			got := s.do(request{method: http.MethodPatch, path: itemPath, token: tok, body: string(body)})
			if got.status != http.StatusOK {
				t.Fatalf("PATCH %s: %d %s", body, got.status, got.body)
			}
			// An item as stored holds no nulls: the cleared property is
			// absent from it, null in the JSON answered.
			parent, _ := storetest.PropertyPath(path[:len(path)-1]).Get(want)
			if len(path) == 1 {
				parent = want
			}
			delete(parent.(graphprofile.Object), path[len(path)-1])
			for what, r := range map[string]*response{"the answer": got, "a read": s.do(request{path: itemPath, token: tok})} {
				last := r.json(t)
				if len(path) > 1 {
					last, _ = get(last, path[:len(path)-1]...).(map[string]any)
				}
				if v, present := last[path[len(path)-1]]; !present || v != nil {
					t.Errorf("%s: %s = %#v (present %v), want null", what, path, v, present)
				}
				it := itemOf(t, c, r)
				want["lastModifiedDateTime"] = it["lastModifiedDateTime"] // the PATCH's own
				if d := storetest.Diff(want, graphprofile.Object(it)); d != "" {
					t.Errorf("%s, apart from %s:\n%s", what, path, d)
				}
			}
		})
	}
}
