package graphapi_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const newUserBody = `{"accountEnabled":true,"displayName":"Adele Vance","mailNickname":"AdeleV","userPrincipalName":"AdeleV@contoso.test",` +
	`"passwordProfile":{"forceChangePasswordNextSignIn":true,"password":"xWwvJ]6NMw+bWH-d"},` +
	`"givenName":"Adele","surname":"Vance","jobTitle":"Retail Manager","mail":"AdeleV@contoso.test"}`

func TestCreateAndReadUsers(t *testing.T) {
	s := newTestServer(t)
	admin := s.application(tenantA, "User.ReadWrite.All")
	for _, version := range []string{"beta", "v1.0"} {
		t.Run(version, func(t *testing.T) {
			body := strings.ReplaceAll(newUserBody, "AdeleV", "AdeleV-"+version)
			resp := s.do(request{method: http.MethodPost, path: "/" + version + "/users", token: admin, body: body})
			if resp.status != http.StatusCreated {
				t.Fatalf("POST /users: %d %s", resp.status, resp.body)
			}
			checkCommonHeaders(t, resp)
			u := resp.json(t)
			id, _ := u["id"].(string)
			if !guidPattern.MatchString(id) {
				t.Fatalf("id %q is not a GUID", id)
			}
			// Graph's default projection: v1.0 its documented default
			// properties, beta every property.
			want := map[string]any{
				"@odata.context": s.url + "/" + version + "/$metadata#users/$entity",
				"id":             id, "displayName": "Adele Vance", "userPrincipalName": "AdeleV-" + version + "@contoso.test",
				"givenName": "Adele", "surname": "Vance", "jobTitle": "Retail Manager", "mail": "AdeleV-" + version + "@contoso.test",
				// businessPhones is Collection(Edm.String) Nullable="false" in
				// Graph's CSDL: a user without one has [], never null.
				"businessPhones": []any{}, "mobilePhone": nil, "officeLocation": nil, "preferredLanguage": nil,
			}
			wantKeys := []string{"@odata.context", "id", "displayName", "userPrincipalName", "mail", "givenName", "surname", "jobTitle",
				"businessPhones", "mobilePhone", "officeLocation", "preferredLanguage"}
			if version == "beta" {
				for _, name := range []string{"city", "companyName", "country", "department", "employeeHireDate", "employeeId",
					"employeeType", "faxNumber", "postalCode", "state", "streetAddress", "usageLocation"} {
					want[name] = nil
				}
				want["mailNickname"], want["accountEnabled"] = "AdeleV-"+version, true
				wantKeys = []string{"@odata.context", "id", "displayName", "userPrincipalName", "mail", "mailNickname", "givenName", "surname",
					"jobTitle", "accountEnabled", "businessPhones", "city", "companyName", "country", "department", "employeeHireDate",
					"employeeId", "employeeType", "faxNumber", "mobilePhone", "officeLocation", "postalCode", "preferredLanguage", "state",
					"streetAddress", "usageLocation"}
			}
			if !reflect.DeepEqual(u, want) {
				t.Errorf("created user\n got %v\nwant %v", u, want)
			}
			if keys := objectKeys(t, resp.body); !slices.Equal(keys, wantKeys) {
				t.Errorf("keys %v, want %v (passwordProfile must never be returned)", keys, wantKeys)
			}
			if got := resp.header.Get("Location"); got != s.url+"/"+version+"/users/"+id {
				t.Errorf("Location %q", got)
			}
			for _, key := range []string{id, strings.ToUpper(id), "ADELEV-" + strings.ToUpper(version) + "@CONTOSO.TEST", "users('" + id + "')"} {
				path := "/" + version + "/users/" + key
				if strings.HasPrefix(key, "users(") {
					path = "/" + version + "/" + key
				}
				got := s.do(request{path: path, token: admin})
				if got.status != http.StatusOK || !reflect.DeepEqual(got.json(t), want) {
					t.Errorf("GET %s: %d %s", path, got.status, got.body)
				}
			}
		})
	}
	// A minimal user: accountEnabled defaults to true, businessPhones is
	// [], the rest is null.
	resp := s.do(request{method: http.MethodPost, path: "/beta/users", token: admin, body: `{"displayName":"Min","userPrincipalName":"min@contoso.test"}`})
	if resp.status != http.StatusCreated {
		t.Fatalf("POST minimal user: %d %s", resp.status, resp.body)
	}
	u := resp.json(t)
	if u["accountEnabled"] != true || u["mail"] != nil || u["jobTitle"] != nil || !reflect.DeepEqual(u["businessPhones"], []any{}) {
		t.Errorf("minimal user %v", u)
	}
	// A user may be created with its directory object id, to mirror a directory.
	resp = s.do(request{method: http.MethodPost, path: "/beta/users", token: admin,
		body: `{"id":"` + strings.ToUpper(userA2) + `","displayName":"Known","userPrincipalName":"known@contoso.test"}`})
	if resp.status != http.StatusCreated || resp.json(t)["id"] != userA2 {
		t.Fatalf("POST with id: %d %s", resp.status, resp.body)
	}
}

func TestBadUsers(t *testing.T) {
	s := newTestServer(t)
	admin := s.application(tenantA, "User.ReadWrite.All")
	s.do(request{method: http.MethodPost, path: "/beta/users", token: admin, body: newUserBody})
	tests := []struct {
		name, body, code, message string
	}{
		{"unknown property", `{"displayName":"X","userPrincipalName":"x@contoso.test","foo":1}`, "BadRequest",
			"The property 'foo' does not exist on type 'microsoft.graph.user'. Make sure to only use property names that are defined by the type or mark the type as open type."},
		{"unknown passwordProfile property", `{"displayName":"X","userPrincipalName":"x@contoso.test","passwordProfile":{"pwd":"x"}}`, "BadRequest",
			"The property 'pwd' does not exist on type 'microsoft.graph.passwordProfile'."},
		{"wrong type", `{"displayName":"X","userPrincipalName":"x@contoso.test","accountEnabled":"yes"}`, "BadRequest", "'accountEnabled'"},
		{"no displayName", `{"userPrincipalName":"x@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'displayName' of resource 'User'."},
		{"blank displayName", `{"displayName":" ","userPrincipalName":"x@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'displayName' of resource 'User'."},
		{"no userPrincipalName", `{"displayName":"X"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName without domain", `{"displayName":"X","userPrincipalName":"x"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a space", `{"displayName":"X","userPrincipalName":"a b@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a tab", `{"displayName":"X","userPrincipalName":"a\tb@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a line end", `{"displayName":"X","userPrincipalName":"x@contoso.test\n"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a carriage return", `{"displayName":"X","userPrincipalName":"x@contoso.test\r"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a bell", `{"displayName":"X","userPrincipalName":"a\u0007@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a no-break space", `{"displayName":"X","userPrincipalName":"a\u00a0b@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with an ideographic space", `{"displayName":"X","userPrincipalName":"a\u3000b@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a zero-width space", `{"displayName":"X","userPrincipalName":"x@contoso.test\u200b"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a byte-order mark", `{"displayName":"X","userPrincipalName":"\ufeffx@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a line separator", `{"displayName":"X","userPrincipalName":"a\u2028b@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		// Graph's user resource: a principal name "can't contain accent
		// characters", only A-Z a-z 0-9 ' . - _ ! # ^ ~ besides its '@',
		// so no two names that read alike (é and e + U+0301, K and the
		// Kelvin sign U+212A, which lower-cases to k) are two users.
		{"userPrincipalName with an accent", `{"displayName":"X","userPrincipalName":"ren\u00e9e@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a combining accent", `{"displayName":"X","userPrincipalName":"rene\u0301e@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with the Kelvin sign", `{"displayName":"X","userPrincipalName":"\u212aate@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a dotted capital I", `{"displayName":"X","userPrincipalName":"\u0130@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with an emoji", `{"displayName":"X","userPrincipalName":"\ud83d\ude00@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a plus", `{"displayName":"X","userPrincipalName":"a+b@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a slash", `{"displayName":"X","userPrincipalName":"a/b@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a domain not ASCII", `{"displayName":"X","userPrincipalName":"x@b\u00fccher.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with a domain holding '!'", `{"displayName":"X","userPrincipalName":"x@contoso!.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		// Entra ID's username policies, to which Graph's user resource
		// points for the complete rules (and Microsoft's KB 2439357): no
		// '.' right before the '@', at most 64 characters before it and
		// 48 after (113 in all, the schema's limit).
		{"userPrincipalName with a period before the @", `{"displayName":"X","userPrincipalName":"x.@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with 65 characters before the @", `{"displayName":"X","userPrincipalName":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		{"userPrincipalName with 49 characters after the @", `{"displayName":"X","userPrincipalName":"x@dddddddddddddddddddddddddddddddddddddddddddd.test"}`, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'."},
		// The directory takes no "" as a string property (null clears one).
		{"empty jobTitle", `{"displayName":"X","userPrincipalName":"x@contoso.test","jobTitle":""}`, "Request_BadRequest", "Invalid value specified for property 'jobTitle' of resource 'User'."},
		{"empty city", `{"displayName":"X","userPrincipalName":"x@contoso.test","city":""}`, "Request_BadRequest", "Invalid value specified for property 'city' of resource 'User'."},
		// usageLocation is "a two-letter country code (ISO standard 3166)".
		{"usageLocation not letters", `{"displayName":"X","userPrincipalName":"x@contoso.test","usageLocation":"\u00c4\u00d6"}`, "Request_BadRequest", "Invalid value specified for property 'usageLocation' of resource 'User'."},
		{"usageLocation an emoji", `{"displayName":"X","userPrincipalName":"x@contoso.test","usageLocation":"\ud83d\ude00"}`, "Request_BadRequest", "Invalid value specified for property 'usageLocation' of resource 'User'."},
		{"usageLocation digits", `{"displayName":"X","userPrincipalName":"x@contoso.test","usageLocation":"12"}`, "Request_BadRequest", "Invalid value specified for property 'usageLocation' of resource 'User'."},
		{"usageLocation one letter", `{"displayName":"X","userPrincipalName":"x@contoso.test","usageLocation":"U"}`, "Request_BadRequest", "Invalid value specified for property 'usageLocation' of resource 'User'."},
		{"id not a GUID", `{"id":"abc","displayName":"X","userPrincipalName":"x@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'id' of resource 'User'."},
		// Graph refuses an alias with a comma (its docs' own example body
		// "naveen.mills,.jr." fails so), an '@', white space, other
		// characters an address's local part cannot hold bare, and any
		// outside ASCII; and a mail that is no address, or not ASCII.
		{"mailNickname with a comma", `{"displayName":"X","userPrincipalName":"x@contoso.test","mailNickname":"naveen.mills,.jr."}`, "Request_BadRequest", "Invalid value specified for property 'mailNickname' of resource 'User'."},
		{"mailNickname with an @", `{"displayName":"X","userPrincipalName":"x@contoso.test","mailNickname":"has@at"}`, "Request_BadRequest", "Invalid value specified for property 'mailNickname' of resource 'User'."},
		{"mailNickname with a space", `{"displayName":"X","userPrincipalName":"x@contoso.test","mailNickname":"has space"}`, "Request_BadRequest", "Invalid value specified for property 'mailNickname' of resource 'User'."},
		{"mailNickname empty", `{"displayName":"X","userPrincipalName":"x@contoso.test","mailNickname":""}`, "Request_BadRequest", "Invalid value specified for property 'mailNickname' of resource 'User'."},
		{"mailNickname with an accent", `{"displayName":"X","userPrincipalName":"x@contoso.test","mailNickname":"jàhn"}`, "Request_BadRequest", "Invalid value specified for property 'mailNickname' of resource 'User'."},
		{"mailNickname with brackets", `{"displayName":"X","userPrincipalName":"x@contoso.test","mailNickname":"a[b]"}`, "Request_BadRequest", "Invalid value specified for property 'mailNickname' of resource 'User'."},
		{"mail not ASCII", `{"displayName":"X","userPrincipalName":"x@contoso.test","mail":"jàhn@mail.de"}`, "Request_BadRequest", "Invalid value specified for property 'mail' of resource 'User'."},
		{"mail no address", `{"displayName":"X","userPrincipalName":"x@contoso.test","mail":"not an address"}`, "Request_BadRequest", "Invalid value specified for property 'mail' of resource 'User'."},
		{"mail with two @", `{"displayName":"X","userPrincipalName":"x@contoso.test","mail":"a@b@contoso.test"}`, "Request_BadRequest", "Invalid value specified for property 'mail' of resource 'User'."},
		{"mail without a domain", `{"displayName":"X","userPrincipalName":"x@contoso.test","mail":"x@"}`, "Request_BadRequest", "Invalid value specified for property 'mail' of resource 'User'."},
		{"taken userPrincipalName", `{"displayName":"X","userPrincipalName":"ADELEV@contoso.test"}`, "Request_BadRequest",
			"Another object with the same value for property userPrincipalName already exists."},
		{"null businessPhones", `{"displayName":"X","userPrincipalName":"x@contoso.test","businessPhones":null}`, "BadRequest",
			"A null value was found for the property named 'businessPhones', which has the expected type 'Collection(Edm.String)[Nullable=False]'."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := expectError(t, s.do(request{method: http.MethodPost, path: "/beta/users", token: admin, body: tc.body}), http.StatusBadRequest, tc.code)
			if !strings.Contains(msg, tc.message) {
				t.Errorf("message %q, want it to contain %q", msg, tc.message)
			}
		})
	}
	list := s.do(request{path: "/beta/users", token: admin}).json(t)
	if n := len(list["value"].([]any)); n != 1 {
		t.Errorf("%d users after refused creates, want 1", n)
	}
}

func TestUpdateAndDeleteUsers(t *testing.T) {
	s := newTestServer(t)
	admin := s.delegated(tenantA, userA2, "User.ReadWrite.All")
	u := s.do(request{method: http.MethodPost, path: "/beta/users", token: admin, body: newUserBody}).json(t)
	id := u["id"].(string)
	userPath := "/beta/users/" + id

	resp := s.do(request{method: http.MethodPatch, path: userPath, token: admin, body: `{"jobTitle":"Buyer","surname":null,"passwordProfile":{"password":"new"}}`})
	if resp.status != http.StatusNoContent || len(resp.body) != 0 {
		t.Fatalf("PATCH user: %d %s", resp.status, resp.body)
	}
	got := s.do(request{path: userPath, token: admin}).json(t)
	if got["jobTitle"] != "Buyer" || got["surname"] != nil || got["displayName"] != "Adele Vance" {
		t.Errorf("after PATCH: %v", got)
	}
	// A user's id is the directory's, read-only: a PATCH naming another
	// changes the rest and leaves the id as it was.
	const otherID = "0f0f0f0f-1234-4234-8234-0f0f0f0f0f0f"
	if resp := s.do(request{method: http.MethodPatch, path: userPath, token: admin, body: `{"id":"` + otherID + `","department":"Sales"}`}); resp.status != http.StatusNoContent {
		t.Fatalf("PATCH user with an id: %d %s", resp.status, resp.body)
	}
	if got := s.do(request{path: userPath + "?$select=id,department", token: admin}).json(t); got["id"] != id || got["department"] != "Sales" {
		t.Errorf("after a PATCH naming another id: %v, want id %s and department Sales", got, id)
	}
	expectError(t, s.do(request{path: "/beta/users/" + otherID, token: admin}), http.StatusNotFound, "Request_ResourceNotFound")
	if msg := expectError(t, s.do(request{method: http.MethodPatch, path: userPath, token: admin, body: `{"displayName":null}`}), http.StatusBadRequest, "Request_BadRequest"); msg != "Invalid value specified for property 'displayName' of resource 'User'." {
		t.Errorf("clearing displayName: message %q", msg)
	}
	if msg := expectError(t, s.do(request{method: http.MethodPatch, path: "/beta/users/" + userA2, token: admin, body: `{"userPrincipalName":"adelev@contoso.test"}`}), http.StatusBadRequest, "Request_BadRequest"); msg != "Another object with the same value for property userPrincipalName already exists." {
		t.Errorf("a taken userPrincipalName: message %q", msg)
	}
	// A principal name with a character that cannot be seen (white space,
	// a control or format character) is refused on PATCH as on POST.
	for _, upn := range []string{`a\tb@contoso.test`, `x@contoso.test\r`, `x@contoso.test\u200b`} {
		if msg := expectError(t, s.do(request{method: http.MethodPatch, path: userPath, token: admin, body: `{"userPrincipalName":"` + upn + `"}`}), http.StatusBadRequest, "Request_BadRequest"); msg != "Invalid value specified for property 'userPrincipalName' of resource 'User'." {
			t.Errorf("PATCH userPrincipalName %s: message %q", upn, msg)
		}
	}
	for _, body := range []string{`{"mailNickname":"a,b"}`, `{"mailNickname":""}`, `{"mail":"not an address"}`, `{"mail":"jàhn@mail.de"}`} {
		name := strings.Split(body, `"`)[1]
		if msg := expectError(t, s.do(request{method: http.MethodPatch, path: userPath, token: admin, body: body}), http.StatusBadRequest, "Request_BadRequest"); msg != "Invalid value specified for property '"+name+"' of resource 'User'." {
			t.Errorf("PATCH %s: message %q", body, msg)
		}
	}
	// What Graph takes: an alias of letters, digits and ' . - _ ! # ^ ~,
	// an address; null clears either.
	resp = s.do(request{method: http.MethodPatch, path: userPath, token: admin, body: `{"mailNickname":"o'brien.x-y_z!#^~1","mail":"O'Brien+news@Contoso.test"}`})
	if resp.status != http.StatusNoContent {
		t.Fatalf("PATCH a good mailNickname and mail: %d %s", resp.status, resp.body)
	}
	if got := s.do(request{path: userPath + "?$select=mail,mailNickname", token: admin}).json(t); got["mailNickname"] != "o'brien.x-y_z!#^~1" || got["mail"] != "O'Brien+news@Contoso.test" {
		t.Errorf("after a good PATCH of mailNickname and mail: %v", got)
	}
	if resp := s.do(request{method: http.MethodPatch, path: userPath, token: admin, body: `{"mailNickname":null,"mail":null}`}); resp.status != http.StatusNoContent {
		t.Fatalf("PATCH mailNickname and mail to null: %d %s", resp.status, resp.body)
	}
	if got := s.do(request{path: userPath, token: admin}).json(t); got["displayName"] != "Adele Vance" || got["userPrincipalName"] != "AdeleV@contoso.test" {
		t.Errorf("after refused PATCHes: %v", got)
	}
	if got := s.do(request{path: "/beta/users/" + userA2, token: admin}).json(t); got["userPrincipalName"] != upnOf(userA2) {
		t.Errorf("a refused rename renamed %s: %v", userA2, got)
	}

	// The user's own profile, through /me with User.ReadWrite (the token's
	// oid is the user's id): names are the directory's to change.
	self := s.delegated(tenantA, id, "User.ReadWrite")
	expectError(t, s.do(request{method: http.MethodPatch, path: "/beta/me", token: self, body: `{"givenName":"Addie"}`}), http.StatusForbidden, "Authorization_RequestDenied")
	if got := s.do(request{path: userPath, token: admin}).json(t); got["givenName"] != "Adele" {
		t.Errorf("the refused PATCH of /me changed givenName: %v", got)
	}
	if resp := s.do(request{method: http.MethodPatch, path: userPath, token: admin, body: `{"givenName":"Addie"}`}); resp.status != http.StatusNoContent {
		t.Fatalf("PATCH as the administrator: %d %s", resp.status, resp.body)
	}
	me := s.do(request{path: "/beta/me", token: self})
	if me.status != http.StatusOK || me.json(t)["givenName"] != "Addie" || me.json(t)["displayName"] != "Adele Vance" {
		t.Errorf("GET /me: %d %s (the directory's values, not the token's)", me.status, me.body)
	}
	expectError(t, s.do(request{method: http.MethodDelete, path: "/beta/me", token: self}), http.StatusMethodNotAllowed, "Request_BadRequest")

	// Deleting a user deletes its profile.
	s.create(self, "/me", `{"detail":{"jobTitle":"Buyer"}}`)
	if resp := s.do(request{method: http.MethodDelete, path: userPath, token: admin}); resp.status != http.StatusNoContent || len(resp.body) != 0 {
		t.Fatalf("DELETE user: %d %s", resp.status, resp.body)
	}
	expectError(t, s.do(request{path: userPath, token: admin}), http.StatusNotFound, "Request_ResourceNotFound")
	expectError(t, s.do(request{path: userPath + "/profile/positions", token: admin}), http.StatusNotFound, "Request_ResourceNotFound")
	expectError(t, s.do(request{method: http.MethodDelete, path: userPath, token: admin}), http.StatusNotFound, "Request_ResourceNotFound")
	// Signing in again starts a new, empty profile.
	resp = s.do(request{path: "/beta/me/profile/positions", token: self})
	if resp.status != http.StatusOK || len(resp.json(t)["value"].([]any)) != 0 {
		t.Errorf("profile after the user was deleted: %d %s", resp.status, resp.body)
	}
}

func TestListUsersAndBasicProfile(t *testing.T) {
	s := newTestServer(t)
	admin := s.application(tenantA, "User.ReadWrite.All")
	s.do(request{method: http.MethodPost, path: "/beta/users", token: admin, body: newUserBody})
	s.delegated(tenantA, userA1, "User.Read") // tokens alone create nobody
	s.do(request{path: "/beta/me", token: s.delegated(tenantA, userA1, "User.Read")})
	s.do(request{method: http.MethodPost, path: "/beta/users", token: s.application(tenantB, "User.ReadWrite.All"), body: newUserBody})

	resp := s.do(request{path: "/v1.0/users", token: s.application(tenantA, "User.Read.All")})
	if resp.status != http.StatusOK {
		t.Fatalf("list: %d %s", resp.status, resp.body)
	}
	list := resp.json(t)
	if list["@odata.context"] != s.url+"/v1.0/$metadata#users" {
		t.Errorf("@odata.context %v", list["@odata.context"])
	}
	users := list["value"].([]any)
	if len(users) != 2 {
		t.Fatalf("tenant A lists %d users, want 2 (its own only): %s", len(users), resp.body)
	}
	if a, b := users[0].(map[string]any)["id"].(string), users[1].(map[string]any)["id"].(string); a > b {
		t.Errorf("users not ordered by id: %s, %s", a, b)
	}

	// User.ReadBasic.All reveals the basic profile only.
	reader := s.delegated(tenantA, userA1, "User.ReadBasic.All")
	adele := s.do(request{path: "/beta/users/adelev@contoso.test", token: reader}).json(t)
	if adele["displayName"] != "Adele Vance" || adele["mail"] != "AdeleV@contoso.test" || adele["jobTitle"] != nil || adele["accountEnabled"] != nil || adele["mailNickname"] != nil {
		t.Errorf("basic profile %v", adele)
	}
	full := s.do(request{path: "/beta/users/adelev@contoso.test", token: s.delegated(tenantA, userA1, "User.ReadBasic.All", "User.Read.All")}).json(t)
	if full["jobTitle"] != "Retail Manager" {
		t.Errorf("with User.Read.All too: %v", full)
	}
}

// TestUsersPermissionMatrix walks the users directory's permissions over HTTP.
func TestUsersPermissionMatrix(t *testing.T) {
	matrix := map[string]map[string]string{
		"list":   {"work": "User.ReadBasic.All User.Read.All User.ReadWrite.All", "app": "User.Read.All User.ReadWrite.All"},
		"get":    {"work": "User.Read User.ReadWrite User.ReadBasic.All User.Read.All User.ReadWrite.All", "app": "User.Read.All User.ReadWrite.All"},
		"create": {"work": "User.ReadWrite.All", "app": "User.ReadWrite.All"},
		"update": {"work": "User.ReadWrite User.ReadWrite.All", "app": "User.ReadWrite.All"},
		"delete": {"work": "User.ReadWrite.All", "app": "User.ReadWrite.All"},
	}
	permissions := []string{"User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Mail.Read"}
	s := newTestServer(t)
	admin := s.application(tenantA, "User.ReadWrite.All")
	n := 0
	for op, kinds := range matrix {
		for kind, allowedList := range kinds {
			for _, permission := range permissions {
				for _, own := range []bool{true, false} {
					if (kind == "app" && own) || ((op == "list" || op == "create") && own) {
						continue
					}
					t.Run(op+"/"+kind+"/"+permission+"/own="+map[bool]string{true: "yes", false: "no"}[own], func(t *testing.T) {
						n++
						target := s.do(request{method: http.MethodPost, path: "/beta/users", token: admin,
							body: `{"displayName":"T","userPrincipalName":"t` + strings.Repeat("x", n%60) + strconv.Itoa(n) + `@contoso.test"}`}).json(t)["id"].(string)
						// A user changing themself changes no identity property.
						updateBody := `{"jobTitle":"J"}`
						if own {
							updateBody = `{}`
						}
						caller := s.application(tenantA, permission)
						if kind == "work" {
							who := userA1
							if own {
								who = target
							}
							caller = s.delegated(tenantA, who, permission)
						}
						req, success := map[string]request{
							"list":   {path: "/beta/users", token: caller},
							"get":    {path: "/beta/users/" + target, token: caller},
							"create": {method: http.MethodPost, path: "/beta/users", token: caller, body: `{"displayName":"N","userPrincipalName":"n` + strings.Repeat("y", n%60) + strconv.Itoa(n) + `@contoso.test"}`},
							"update": {method: http.MethodPatch, path: "/beta/users/" + target, token: caller, body: updateBody},
							"delete": {method: http.MethodDelete, path: "/beta/users/" + target, token: caller},
						}[op], map[string]int{"list": 200, "get": 200, "create": 201, "update": 204, "delete": 204}[op]
						want := false
						for _, p := range strings.Fields(allowedList) {
							want = want || (p == permission && (own || strings.HasSuffix(p, ".All")))
						}
						resp := s.do(req)
						if want && resp.status != success {
							t.Fatalf("allowed: %d, want %d: %s", resp.status, success, resp.body)
						}
						if !want {
							if msg := expectError(t, resp, http.StatusForbidden, "Authorization_RequestDenied"); msg != "Insufficient privileges to complete the operation." {
								t.Errorf("message %q", msg)
							}
						}
						// What the request answered and left behind, read by
						// the administrator.
						reread := func(key string) *response { return s.do(request{path: "/beta/users/" + key, token: admin}) }
						switch op {
						case "list":
							if want && !slices.Contains(idsOf(t, resp), target) {
								t.Errorf("the list does not hold %s: %s", target, resp.body)
							}
						case "get":
							if want && resp.json(t)["id"] != target {
								t.Errorf("get answered %s, want %s", resp.body, target)
							}
						case "create":
							upn := "n" + strings.Repeat("y", n%60) + strconv.Itoa(n) + "@contoso.test"
							got := reread(upn)
							if want && (resp.json(t)["userPrincipalName"] != upn || got.status != http.StatusOK || got.json(t)["id"] != resp.json(t)["id"]) {
								t.Errorf("the created user %s reads back %d %s", resp.body, got.status, got.body)
							}
							if !want && got.status != http.StatusNotFound {
								t.Errorf("a refused create made %s: %d %s", upn, got.status, got.body)
							}
						case "update":
							got := reread(target).json(t)["jobTitle"]
							if wantTitle := map[bool]any{true: "J", false: nil}[want && !own]; got != wantTitle {
								t.Errorf("after the update (allowed %v), jobTitle is %v, want %v", want, got, wantTitle)
							}
						case "delete":
							if got, wantStatus := reread(target).status, map[bool]int{true: 404, false: 200}[want]; got != wantStatus {
								t.Errorf("after the delete (allowed %v), the user reads %d, want %d", want, got, wantStatus)
							}
						}
					})
				}
			}
		}
	}
}

// TestCallerListedOnFirstRequest: a delegated caller is in the directory
// from its first request, whatever that request is: a first GET /users
// lists the caller, and a first POST /users leaves the caller listed too.
func TestCallerListedOnFirstRequest(t *testing.T) {
	for _, first := range []string{"GET /v1.0/users", "GET /beta/users/$count", "POST /v1.0/users"} {
		t.Run(first, func(t *testing.T) {
			s := newTestServer(t)
			tok := s.delegated(tenantA, userA1, "User.ReadWrite.All")
			method, path, _ := strings.Cut(first, " ")
			req := request{method: method, path: path, token: tok, header: map[string]string{"ConsistencyLevel": "eventual"}}
			if method == http.MethodPost {
				req.body = `{"displayName":"New Person","userPrincipalName":"new@contoso.test","accountEnabled":true,"mailNickname":"new","passwordProfile":{"password":"xWwvJ]6NMw+bWH-d"}}`
			}
			if resp := s.do(req); resp.status >= 300 {
				t.Fatalf("%s: %d %s", first, resp.status, resp.body)
			}
			resp := s.do(request{path: "/v1.0/users?$select=id", token: tok})
			if resp.status != http.StatusOK {
				t.Fatalf("list: %d %s", resp.status, resp.body)
			}
			var ids []string
			for _, u := range resp.json(t)["value"].([]any) {
				ids = append(ids, u.(map[string]any)["id"].(string))
			}
			if !slices.Contains(ids, userA1) {
				t.Errorf("after %s the directory lists %v, without the caller %s", first, ids, userA1)
			}
		})
	}
}

// TestUserSelectIsExact: the directory answers only what $select names,
// as Graph's directory does (GET /me?$select=displayName has no id); the
// default projections keep id.
func TestUserSelectIsExact(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite", "User.Read.All")
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/v1.0/me?$select=displayName", []string{"@odata.context", "displayName"}},
		{"/beta/me?$select=displayName,id", []string{"@odata.context", "id", "displayName"}},
		{"/v1.0/me", []string{"@odata.context", "businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"}},
	} {
		got := s.do(request{path: tc.path, token: tok}).json(t)
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, slices.Sorted(slices.Values(tc.want))) {
			t.Errorf("GET %s: properties %v, want %v", tc.path, keys, tc.want)
		}
	}
	// passwordProfile is declared on user ($metadata) but write-only:
	// selected, it is null, as Graph's directory answers it.
	for _, path := range []string{"/beta/me?$select=passwordProfile,displayName", "/v1.0/users?$select=PasswordProfile,displayName&$top=1"} {
		got := s.do(request{path: path, token: tok}).json(t)
		if v, ok := got["value"].([]any); ok && len(v) > 0 {
			got = v[0].(map[string]any)
		}
		if pp, ok := got["passwordProfile"]; !ok || pp != nil || got["displayName"] == nil {
			t.Errorf("GET %s: %v, want passwordProfile null beside displayName", path, got)
		}
	}
	list := s.do(request{path: "/v1.0/users?$select=displayName", token: tok}).json(t)
	for _, u := range list["value"].([]any) {
		if keys := slices.Sorted(maps.Keys(u.(map[string]any))); !slices.Equal(keys, []string{"displayName"}) {
			t.Errorf("GET /v1.0/users?$select=displayName: a user with %v", keys)
		}
	}
}

// TestClearedAccountEnabledSurvivesExportAndLoad: a user whose
// accountEnabled is unset (a PATCH with null clears it; the callers that
// earlier releases recorded on first use have it unset, and an upgrade
// keeps them so) must stay unset through an export and a load of that
// export, not take a create's default of true.
func TestClearedAccountEnabledSurvivesExportAndLoad(t *testing.T) {
	s, _ := newAdminServer(t)
	app := s.application(tenantA, "User.ReadWrite.All")
	created := s.do(request{method: http.MethodPost, path: "/beta/users", token: app,
		body: `{"displayName":"Unset","userPrincipalName":"unset@contoso.com","accountEnabled":false}`})
	if created.status != http.StatusCreated {
		t.Fatalf("POST /users: %d %s", created.status, created.body)
	}
	id := created.json(t)["id"].(string)
	if resp := s.do(request{method: http.MethodPatch, path: "/beta/users/" + id, token: app, body: `{"accountEnabled":null}`}); resp.status != http.StatusNoContent {
		t.Fatalf("clearing accountEnabled: %d %s", resp.status, resp.body)
	}
	check := func(when string) {
		t.Helper()
		resp := s.do(request{path: "/beta/users/" + id + "?$select=accountEnabled", token: app})
		if v, set := resp.json(t)["accountEnabled"]; resp.status != http.StatusOK || !set || v != nil {
			t.Errorf("%s: GET the user: %d %s, want accountEnabled null", when, resp.status, resp.body)
		}
	}
	check("before the export")
	export := func() string {
		t.Helper()
		resp := s.do(request{path: "/_admin/fixtures?tenantId=" + tenantA, token: adminToken})
		if resp.status != http.StatusOK {
			t.Fatalf("export: %d %s", resp.status, resp.body)
		}
		return string(resp.body)
	}
	exported := export()
	if resp := s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: exported}); resp.status != http.StatusNoContent {
		t.Fatalf("loading the export: %d %s", resp.status, resp.body)
	}
	check("after a load of the export")
	if again := export(); again != exported {
		t.Errorf("export → load → export changed the file:\n%s\nthen\n%s", exported, again)
	}
}

// TestUserWritesHonourIfMatch: a user has no entity tag (users carry no
// ETag), so an If-Match on PATCH or DELETE of a user, /me included, is met
// only by "*", as on DELETE …/profile: any entity tag, or a field that
// lists none, is 412 preconditionFailed and nothing changes (RFC 9110
// 13.1.1: the method is not performed when the condition is false).
// Before, the header was ignored: a DELETE conditioned on a tag deleted the
// user and its whole profile.
func TestUserWritesHonourIfMatch(t *testing.T) {
	s := newTestServer(t)
	admin := s.delegated(tenantA, userA2, "User.ReadWrite.All")
	id := s.do(request{method: http.MethodPost, path: "/beta/users", token: admin, body: newUserBody}).json(t)["id"].(string)
	userPath := "/beta/users/" + id
	self := s.delegated(tenantA, id, "User.ReadWrite")
	s.create(self, "/me", `{"detail":{"jobTitle":"Buyer"}}`)

	refused := []struct {
		name    string
		method  string
		path    string
		token   string
		ifMatch string
	}{
		{"PATCH a user, a tag", http.MethodPatch, userPath, admin, `"x"`},
		{"PATCH a user, a weak tag", http.MethodPatch, userPath, admin, `W/"x"`},
		{"PATCH a user, an empty field", http.MethodPatch, userPath, admin, " "},
		{"PATCH /me, a tag", http.MethodPatch, "/beta/me", self, `"x"`},
		{"PATCH a user by principal name, a tag", http.MethodPatch, "/beta/users/AdeleV@contoso.test", admin, `"x", "y"`},
		{"DELETE a user, a tag", http.MethodDelete, userPath, admin, `"x"`},
		{"DELETE a user, an empty field", http.MethodDelete, userPath, admin, " "},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			req := request{method: tc.method, path: tc.path, token: tc.token, headerLines: http.Header{"If-Match": {tc.ifMatch}}}
			if tc.method == http.MethodPatch {
				req.body = `{"mobilePhone":"+1 555 0100"}`
			}
			if msg := expectError(t, s.do(req), http.StatusPreconditionFailed, "preconditionFailed"); msg != "The If-Match header does not match: a user has no ETag; send If-Match: * or none." {
				t.Errorf("message %q", msg)
			}
		})
	}
	got := s.do(request{path: userPath + "?$select=id,mobilePhone", token: admin})
	if got.status != http.StatusOK || got.json(t)["mobilePhone"] != nil {
		t.Fatalf("after the refused writes: %d %s, want the user, mobilePhone null", got.status, got.body)
	}
	if items := s.do(request{path: "/beta/me/profile/positions", token: self}).json(t)["value"].([]any); len(items) != 1 {
		t.Fatalf("after the refused writes the profile holds %d positions, want 1", len(items))
	}

	// "*" is met by any user that exists, as no If-Match is.
	for _, tc := range []struct {
		method, path, token, ifMatch string
	}{
		{http.MethodPatch, "/beta/me", self, "*"},
		{http.MethodPatch, userPath, admin, ""},
		{http.MethodDelete, userPath, admin, "*"},
	} {
		req := request{method: tc.method, path: tc.path, token: tc.token}
		if tc.ifMatch != "" {
			req.headerLines = http.Header{"If-Match": {tc.ifMatch}}
		}
		if tc.method == http.MethodPatch {
			req.body = `{"mobilePhone":"+1 555 0100"}`
		}
		if resp := s.do(req); resp.status != http.StatusNoContent {
			t.Errorf("%s %s with If-Match %q: %d %s, want 204", tc.method, tc.path, tc.ifMatch, resp.status, resp.body)
		}
	}
	expectError(t, s.do(request{path: userPath, token: admin}), http.StatusNotFound, "Request_ResourceNotFound")
}

// TestUserReadSentBack: a user as GET answers it, sent back whole in a
// PATCH (as a client that sends back the user it read does), changes
// nothing and is 204, on /beta and /v1.0, also for users whose display
// name or principal name is unset (a fixtures file's, a sign-in's whose
// token names neither): their GET shows null, and that null sent back is
// no clearing of a value. Sending null for a name that is set still is.
func TestUserReadSentBack(t *testing.T) {
	s, _ := newAdminServer(t)
	fixtures := `{"tenants":[{"id":"` + tenantA + `","users":[
		{"id":"00000000-0000-4000-8000-00000000aa01","displayName":"Named","userPrincipalName":"named@contoso.com"},
		{"id":"00000000-0000-4000-8000-00000000aa02","userPrincipalName":"nameless@contoso.com"},
		{"id":"00000000-0000-4000-8000-00000000aa03","displayName":"No principal name"},
		{"id":"00000000-0000-4000-8000-00000000aa04"}]}]}`
	if resp := s.do(request{method: http.MethodPost, path: "/_admin/fixtures", token: adminToken, body: fixtures}); resp.status != http.StatusNoContent {
		t.Fatalf("loading the fixtures: %d %s", resp.status, resp.body)
	}
	app := s.application(tenantA, "User.ReadWrite.All")
	for _, id := range []string{"00000000-0000-4000-8000-00000000aa01", "00000000-0000-4000-8000-00000000aa02",
		"00000000-0000-4000-8000-00000000aa03", "00000000-0000-4000-8000-00000000aa04"} {
		for _, version := range []string{"/beta", "/v1.0"} {
			path := version + "/users/" + id
			read := s.do(request{path: path, token: app})
			if read.status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, read.status, read.body)
			}
			if resp := s.do(request{method: http.MethodPatch, path: path, token: app, body: string(read.body)}); resp.status != http.StatusNoContent {
				t.Errorf("PATCH %s with the user GET answered: %d %s", path, resp.status, resp.body)
			}
			if again := s.do(request{path: path, token: app}); string(again.body) != string(read.body) {
				t.Errorf("%s after the PATCH:\n%s\nwant\n%s", path, again.body, read.body)
			}
			// The user read, with one change: the change is made.
			changed := read.json(t)
			changed["jobTitle"] = "Engineer " + version
			body, _ := json.Marshal(changed)
			if resp := s.do(request{method: http.MethodPatch, path: path, token: app, body: string(body)}); resp.status != http.StatusNoContent {
				t.Errorf("PATCH %s with the user read and a new jobTitle: %d %s", path, resp.status, resp.body)
			} else if got := s.do(request{path: path + "?$select=jobTitle", token: app}).json(t)["jobTitle"]; got != changed["jobTitle"] {
				t.Errorf("%s: jobTitle %v, want %v", path, got, changed["jobTitle"])
			}
		}
	}
	// A name that is set cannot be cleared.
	for _, name := range []string{"displayName", "userPrincipalName"} {
		resp := s.do(request{method: http.MethodPatch, path: "/beta/users/00000000-0000-4000-8000-00000000aa01", token: app, body: `{"` + name + `":null}`})
		if msg := expectError(t, resp, http.StatusBadRequest, "Request_BadRequest"); msg != "Invalid value specified for property '"+name+"' of resource 'User'." {
			t.Errorf("clearing %s: %q", name, msg)
		}
	}
}
