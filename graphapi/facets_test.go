package graphapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/storetest"
)

// The contract of every collection of the profile, over HTTP: each test
// runs once per navigation row of ProfileType, with bodies generated from
// the collection's type (storetest's samples), so that a collection added to
// the schema table is tested here by itself. (positions_test.go and the
// tests beside it test the positions collection in depth.)

// bodyOf is obj as a JSON request body of type t.
func bodyOf(t *graphprofile.Type, obj graphprofile.Object) string {
	return string(graphprofile.AppendObjectJSON(nil, t, obj, graphprofile.EncodeOptions{OmitNulls: true}))
}

// itemOf decodes a response body holding one item of collection c.
func itemOf(t *testing.T, c graphprofile.Collection, resp *response) graphprofile.Item {
	t.Helper()
	it, err := graphprofile.DecodeStoredItem(c.Type, resp.body)
	if err != nil {
		t.Fatalf("the response is not a %s: %v\n%s", c.Type.ShortName(), err, resp.body)
	}
	return it
}

// wantValues checks that got holds every property of want, equal.
func wantValues(t *testing.T, what string, got graphprofile.Item, want graphprofile.Object) {
	t.Helper()
	picked := graphprofile.Object{}
	for k := range want {
		if v, ok := got[k]; ok {
			picked[k] = v
		}
	}
	if d := storetest.Diff(want, picked); d != "" {
		t.Errorf("%s:\n%s", what, d)
	}
}

func TestEveryCollection(t *testing.T) {
	for _, c := range graphprofile.ProfileCollections() {
		t.Run(c.Name, func(t *testing.T) {
			s := newTestServer(t)
			owner := s.delegated(tenantA, userA1, "User.ReadWrite")
			base := "/beta/me/profile/" + c.Name
			create := func(t *testing.T, obj graphprofile.Object) (graphprofile.Item, *response) {
				t.Helper()
				resp := s.do(request{method: http.MethodPost, path: base, token: owner, body: bodyOf(c.Type, obj)})
				if resp.status != http.StatusCreated {
					t.Fatalf("POST %s: %d %s", base, resp.status, resp.body)
				}
				return itemOf(t, c, resp), resp
			}

			t.Run("CreateEveryProperty", func(t *testing.T) {
				full := storetest.SampleObject(c.Type, 1)
				it, resp := create(t, full)
				wantValues(t, "the created item", it, full)
				id := it.ID()
				if !guidPattern.MatchString(id) {
					t.Errorf("id %q is not a GUID", id)
				}
				if want := s.url + "/beta/users/" + userA1 + "/profile/" + c.Name + "/" + id; resp.header.Get("Location") != want {
					t.Errorf("Location %q, want %q", resp.header.Get("Location"), want)
				}
				body := resp.json(t)
				if want := s.url + "/beta/$metadata#users('" + userA1 + "')/profile/" + c.Name + "/$entity"; body["@odata.context"] != want {
					t.Errorf("@odata.context %v, want %s", body["@odata.context"], want)
				}
				if etag := resp.header.Get("ETag"); etag == "" || body["@odata.etag"] != etag {
					t.Errorf("ETag %q, @odata.etag %v", etag, body["@odata.etag"])
				}
				if body["createdBy"] == nil || body["lastModifiedDateTime"] != body["createdDateTime"] {
					t.Errorf("server-managed properties: createdBy %v, created %v, modified %v", body["createdBy"], body["createdDateTime"], body["lastModifiedDateTime"])
				}
				// Read back: by id, by the key form, with the collection's
				// name in another case; and 304 for the ETag it has.
				for _, path := range []string{
					base + "/" + id,
					base + "('" + id + "')",
					"/beta/users/" + upnOf(userA1) + "/profile/" + strings.ToUpper(c.Name) + "/" + id,
				} {
					got := s.do(request{path: path, token: owner})
					if got.status != http.StatusOK {
						t.Fatalf("GET %s: %d %s", path, got.status, got.body)
					}
					wantValues(t, "GET "+path, itemOf(t, c, got), graphprofile.Object(it))
					if ctx := got.json(t)["@odata.context"]; ctx != body["@odata.context"] {
						t.Errorf("GET %s: @odata.context %v, want %v", path, ctx, body["@odata.context"])
					}
				}
				cond := s.do(request{path: base + "/" + id, token: owner, header: map[string]string{"If-None-Match": resp.header.Get("ETag")}})
				if cond.status != http.StatusNotModified {
					t.Errorf("GET with If-None-Match of the current ETag: %d, want 304", cond.status)
				}
			})

			t.Run("CreateWithNull", func(t *testing.T) {
				// inference, which every facet inherits: a property of a
				// type's own may be one the CSDL declares not nullable.
				full := storetest.SampleObject(c.Type, 2)
				const nulled = "inference"
				delete(full, nulled)
				body := strings.Replace(bodyOf(c.Type, full), `{`, `{"`+nulled+`":null,`, 1)
				resp := s.do(request{method: http.MethodPost, path: base, token: owner, body: body})
				if resp.status != http.StatusCreated {
					t.Fatalf("POST with %s null: %d %s", nulled, resp.status, resp.body)
				}
				if v, present := resp.json(t)[nulled]; !present || v != nil {
					t.Errorf("%s = %v (present %v), want null", nulled, v, present)
				}
				wantValues(t, "the created item", itemOf(t, c, resp), full)
			})

			t.Run("EnumMembers", func(t *testing.T) {
				paths := storetest.EnumPaths(c.Type)
				if len(paths) == 0 {
					t.Skipf("%s has no enum property of its own", c.Type.ShortName())
				}
				for _, path := range paths {
					for _, member := range path.Property(c.Type).Type.Members {
						obj := graphprofile.Object{}
						path.Set(obj, member)
						it, _ := create(t, obj)
						if v, _ := path.Get(graphprofile.Object(it)); v != member {
							t.Errorf("%s = %v, want %s", path, v, member)
						}
					}
				}
			})

			t.Run("PatchNested", func(t *testing.T) {
				it, resp := create(t, storetest.SampleObject(c.Type, 1))
				nested, first, second := storetest.NestedProperties(c.Type)
				changed := storetest.SampleValue(append(nested, first).Property(c.Type), 2)
				patch := graphprofile.Object{}
				append(nested, first).Set(patch, changed)
				path := base + "/" + it.ID()
				stale := s.do(request{method: http.MethodPatch, path: path, token: owner, body: bodyOf(c.Type, patch), header: map[string]string{"If-Match": `"stale"`}})
				msg := expectError(t, stale, http.StatusPreconditionFailed, graphprofile.CodePreconditionFailed)
				if !strings.Contains(msg, c.Type.ShortName()) {
					t.Errorf("412 message %q does not name the %s", msg, c.Type.ShortName())
				}
				got := s.do(request{method: http.MethodPatch, path: path, token: owner, body: bodyOf(c.Type, patch), header: map[string]string{"If-Match": resp.header.Get("ETag")}})
				if got.status != http.StatusOK {
					t.Fatalf("PATCH %s: %d %s", patch, got.status, got.body)
				}
				want := graphprofile.Object(it)
				append(nested, first).Set(want, changed)
				delete(want, "lastModifiedDateTime")
				delete(want, "lastModifiedBy")
				updated := itemOf(t, c, got)
				wantValues(t, "the patched item", updated, want)
				if v, _ := append(nested, second).Get(graphprofile.Object(updated)); v == nil {
					t.Errorf("%s/%s was lost by the PATCH of %s/%s", nested, second, nested, first)
				}
				if got.header.Get("ETag") == resp.header.Get("ETag") || !updated.LastModifiedDateTime().After(it.LastModifiedDateTime()) {
					t.Errorf("ETag %s and lastModifiedDateTime %v did not move", got.header.Get("ETag"), updated.LastModifiedDateTime())
				}
				read := itemOf(t, c, s.do(request{path: path, token: owner}))
				wantValues(t, "GET after PATCH", read, graphprofile.Object(updated))
			})

			t.Run("FilterOwnProperty", func(t *testing.T) {
				path := storetest.FilterablePath(c.Type)
				if path == nil {
					t.Skipf("%s has no primitive property of its own", c.Type.ShortName())
				}
				var ids []string
				for n := range 3 {
					obj := graphprofile.Object{}
					path.Set(obj, storetest.SampleValue(path.Property(c.Type), 10+n))
					it, _ := create(t, obj)
					ids = append(ids, it.ID())
				}
				want := storetest.SampleValue(path.Property(c.Type), 11)
				filter := url.QueryEscape(path.String() + " eq " + storetest.FilterLiteral(want))
				list := s.do(request{path: base + "?$filter=" + filter + "&$count=true", token: owner})
				if list.status != http.StatusOK {
					t.Fatalf("GET ?$filter=%s: %d %s", filter, list.status, list.body)
				}
				body := list.json(t)
				value, _ := body["value"].([]any)
				if len(value) != 1 || get(value[0], "id") != ids[1] || body["@odata.count"] != 1.0 {
					t.Errorf("$filter=%s: %s, want only %s", path, list.body, ids[1])
				}
				if want := s.url + "/beta/$metadata#users('" + userA1 + "')/profile/" + c.Name; body["@odata.context"] != want {
					t.Errorf("@odata.context %v, want %s", body["@odata.context"], want)
				}
				count := s.do(request{path: base + "/$count?$filter=" + filter, token: owner})
				if count.status != http.StatusOK || string(count.body) != "1" {
					t.Errorf("/$count?$filter: %d %s, want 1", count.status, count.body)
				}
				// Keyset paging walks the whole collection (the items of the
				// tests before this one too), in list order.
				var all []string
				for _, v := range s.do(request{path: base, token: owner}).json(t)["value"].([]any) {
					all = append(all, get(v, "id").(string))
				}
				if len(all) < len(ids) || fmt.Sprint(all[len(all)-len(ids):]) != fmt.Sprint(ids) {
					t.Errorf("list %v does not end with the new items %v", all, ids)
				}
				var seen []string
				next := base + "?$top=2"
				for next != "" {
					page := s.do(request{path: next, token: owner}).json(t)
					for _, v := range page["value"].([]any) {
						seen = append(seen, get(v, "id").(string))
					}
					link, _ := page["@odata.nextLink"].(string)
					next = strings.TrimPrefix(link, s.url)
				}
				if fmt.Sprint(seen) != fmt.Sprint(all) {
					t.Errorf("paged %v, want %v", seen, all)
				}
			})

			t.Run("Visibility", func(t *testing.T) {
				mine, _ := create(t, graphprofile.Object{"allowedAudiences": "me"})
				shared, _ := create(t, graphprofile.Object{"allowedAudiences": "organization"})
				other := s.delegated(tenantA, userA2, "User.ReadWrite.All")
				theirs := "/beta/users/" + userA1 + "/profile/" + c.Name
				list := s.do(request{path: theirs, token: other}).json(t)
				var listed []string
				for _, v := range list["value"].([]any) {
					listed = append(listed, get(v, "id").(string))
				}
				if strings.Contains(fmt.Sprint(listed), mine.ID()) || !strings.Contains(fmt.Sprint(listed), shared.ID()) {
					t.Errorf("another user lists %v: want %s, not %s", listed, shared.ID(), mine.ID())
				}
				for _, req := range []request{
					{path: theirs + "/" + mine.ID(), token: other},
					{method: http.MethodPatch, path: theirs + "/" + mine.ID(), token: other, body: `{}`},
					{method: http.MethodDelete, path: theirs + "/" + mine.ID(), token: other},
				} {
					msg := expectError(t, s.do(req), http.StatusNotFound, graphprofile.CodeItemNotFound)
					if want := fmt.Sprintf("The %s '%s' does not exist in this profile.", c.Type.ShortName(), mine.ID()); msg != want {
						t.Errorf("%s: message %q, want %q", req.method, msg, want)
					}
				}
				app := s.application(tenantA, "User.Read.All")
				if got := s.do(request{path: theirs + "/" + mine.ID(), token: app}); got.status != http.StatusOK || got.json(t)["id"] != mine.ID() {
					t.Errorf("an application reads the owner's own item: %d %s", got.status, got.body)
				}
				// The refused PATCH and DELETE left it as it was.
				if got := s.do(request{path: base + "/" + mine.ID(), token: owner}); got.status != http.StatusOK {
					t.Errorf("the owner reads its own item: %d %s", got.status, got.body)
				} else {
					wantValues(t, "the owner's own item", itemOf(t, c, got), graphprofile.Object(mine))
				}
			})

			t.Run("Permissions", func(t *testing.T) {
				personalOwner := s.delegated(graphprofile.PersonalAccountsTenantID, userB1, "User.ReadWrite")
				// Each caller's answers to list, get, update, delete and
				// create: Graph's matrix, the same for every facet.
				cells := []struct {
					name, tenant, profile, token string
					want                         [5]int
				}{
					{"owner User.Read", tenantA, "/me", s.delegated(tenantA, userA1, "User.Read"), [5]int{200, 200, 403, 403, 403}},
					{"owner User.ReadWrite", tenantA, "/me", owner, [5]int{200, 200, 200, 204, 201}},
					{"other User.ReadWrite", tenantA, "/users/" + userA1, s.delegated(tenantA, userA2, "User.ReadWrite"), [5]int{403, 403, 403, 403, 403}},
					{"other User.Read.All", tenantA, "/users/" + userA1, s.delegated(tenantA, userA2, "User.Read.All"), [5]int{200, 200, 403, 403, 403}},
					{"other User.ReadWrite.All", tenantA, "/users/" + userA1, s.delegated(tenantA, userA2, "User.ReadWrite.All"), [5]int{200, 200, 200, 204, 201}},
					{"app User.Read.All", tenantA, "/users/" + userA1, s.application(tenantA, "User.Read.All"), [5]int{200, 200, 403, 403, 403}},
					{"app User.ReadWrite.All", tenantA, "/users/" + userA1, s.application(tenantA, "User.ReadWrite.All"), [5]int{200, 200, 200, 204, 403}},
					{"personal owner User.ReadWrite", graphprofile.PersonalAccountsTenantID, "/me", personalOwner, [5]int{200, 200, 200, 204, 201}},
					{"personal other User.ReadWrite.All", graphprofile.PersonalAccountsTenantID, "/users/" + userB1,
						s.delegated(graphprofile.PersonalAccountsTenantID, userA2, "User.ReadWrite.All"), [5]int{403, 403, 403, 403, 403}},
				}
				for _, cell := range cells {
					t.Run(cell.name, func(t *testing.T) {
						itemOwner := owner
						if cell.tenant == graphprofile.PersonalAccountsTenantID {
							itemOwner = personalOwner
						}
						created := s.do(request{method: http.MethodPost, path: base, token: itemOwner, body: `{"allowedAudiences":"everyone"}`})
						if created.status != http.StatusCreated {
							t.Fatalf("setup: %d %s", created.status, created.body)
						}
						id := created.json(t)["id"].(string)
						path := "/beta" + cell.profile + "/profile/" + c.Name
						sample := storetest.SampleObject(c.Type, 3)
						patch := bodyOf(c.Type, sample)
						// reread is the item as its owner reads it.
						reread := func(id string) *response { return s.do(request{path: base + "/" + id, token: itemOwner}) }
						before := reread(id)
						for i, req := range []request{
							{path: path},
							{path: path + "/" + id},
							{method: http.MethodPatch, path: path + "/" + id, body: patch},
							{method: http.MethodDelete, path: path + "/" + id},
							{method: http.MethodPost, path: path, body: patch},
						} {
							req.token = cell.token
							resp := s.do(req)
							if resp.status != cell.want[i] {
								t.Errorf("%s %s: %d, want %d: %s", req.method, req.path, resp.status, cell.want[i], resp.body)
							}
							if cell.want[i] == http.StatusForbidden {
								if msg := expectError(t, resp, http.StatusForbidden, graphprofile.CodeAuthorizationDenied); msg != "Insufficient privileges to complete the operation." {
									t.Errorf("%s %s: message %q", req.method, req.path, msg)
								}
							}
							if resp.status != cell.want[i] {
								continue
							}
							// What each answered and left behind.
							allowed := resp.status < 300
							switch i {
							case 0:
								if allowed && !containsID(resp.json(t)["value"], id) {
									t.Errorf("the list does not hold %s: %s", id, resp.body)
								}
							case 1:
								if allowed && resp.json(t)["id"] != id {
									t.Errorf("GET answered %s, want %s", resp.body, id)
								}
							case 2:
								after := reread(id)
								if allowed {
									wantValues(t, "the PATCH's answer", itemOf(t, c, resp), sample)
									wantValues(t, "the item after the PATCH", itemOf(t, c, after), sample)
								} else if after.status != http.StatusOK || string(after.body) != string(before.body) {
									t.Errorf("a refused PATCH changed the item:\n%s\n%s", before.body, after.body)
								}
							case 3:
								if got, want := reread(id).status, map[bool]int{true: 404, false: 200}[allowed]; got != want {
									t.Errorf("after the DELETE (%d), the owner reads the item %d, want %d", resp.status, got, want)
								}
							case 4:
								if allowed {
									made := itemOf(t, c, resp)
									wantValues(t, "the created item", made, sample)
									wantValues(t, "the created item read back", itemOf(t, c, reread(made.ID())), sample)
								}
							}
						}
					})
				}
			})

			t.Run("NotFound", func(t *testing.T) {
				for _, req := range []request{
					{path: base + "/nope", token: owner},
					{method: http.MethodPatch, path: base + "/nope", token: owner, body: `{}`},
					{method: http.MethodDelete, path: base + "/nope", token: owner},
				} {
					msg := expectError(t, s.do(req), http.StatusNotFound, graphprofile.CodeItemNotFound)
					if want := "The " + c.Type.ShortName() + " 'nope' does not exist in this profile."; msg != want {
						t.Errorf("%s: message %q, want %q", req.method, msg, want)
					}
				}
				bad := s.do(request{method: http.MethodPost, path: base, token: owner, body: `{"noSuchProperty":1}`})
				msg := expectError(t, bad, http.StatusBadRequest, graphprofile.CodeBadRequest)
				if !strings.Contains(msg, c.Type.Name) {
					t.Errorf("400 message %q does not name %s", msg, c.Type.Name)
				}
			})
		})
	}
}

// TestUnknownCollection: a name that is no collection of the profile is
// Graph's unknown segment, in every place a collection may stand.
func TestUnknownCollection(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	for _, path := range []string{"/beta/me/profile/nonsense", "/beta/me/profile/nonsense/x", "/beta/me/profile/nonsense/$count", "/beta/me/profile/nonsense('x')"} {
		msg := expectError(t, s.do(request{path: path, token: tok}), http.StatusBadRequest, graphprofile.CodeBadRequest)
		if !strings.HasPrefix(msg, "Resource not found for the segment 'nonsense") {
			t.Errorf("%s: message %q", path, msg)
		}
	}
}

// TestProfileWithEveryCollection: GET …/profile returns every collection
// with its items ($select and $expand pick), and DELETE …/profile empties
// every one of them.
func TestProfileWithEveryCollection(t *testing.T) {
	s := newTestServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	collections := graphprofile.ProfileCollections()
	ids := map[string]string{}
	for i, c := range collections {
		resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/" + c.Name, token: owner, body: bodyOf(c.Type, storetest.SampleObject(c.Type, i))})
		if resp.status != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", c.Name, resp.status, resp.body)
		}
		ids[c.Name] = resp.json(t)["id"].(string)
	}
	profile := s.do(request{path: "/beta/me/profile", token: owner}).json(t)
	for _, c := range collections {
		items, _ := profile[c.Name].([]any)
		if len(items) != 1 || get(items[0], "id") != ids[c.Name] || get(items[0], "@odata.etag") == nil {
			t.Errorf("profile's %s = %v, want the item %s with its @odata.etag", c.Name, profile[c.Name], ids[c.Name])
		}
	}
	first := collections[0].Name
	for _, query := range []string{"$select=" + first, "$expand=" + first} {
		got := s.do(request{path: "/beta/me/profile?" + query, token: owner}).json(t)
		for _, c := range collections {
			if _, present := got[c.Name]; present != (c.Name == first) {
				t.Errorf("?%s: %s present %v", query, c.Name, present)
			}
		}
	}
	if resp := s.do(request{method: http.MethodDelete, path: "/beta/me/profile", token: owner}); resp.status != http.StatusNoContent {
		t.Fatalf("DELETE profile: %d %s", resp.status, resp.body)
	}
	after := s.do(request{path: "/beta/me/profile", token: owner}).json(t)
	for _, c := range collections {
		if items, _ := after[c.Name].([]any); items == nil || len(items) != 0 {
			t.Errorf("profile's %s after DELETE = %v, want []", c.Name, after[c.Name])
		}
		list := s.do(request{path: "/beta/me/profile/" + c.Name, token: owner}).json(t)
		if items, _ := list["value"].([]any); len(items) != 0 {
			t.Errorf("%s after DELETE profile = %v", c.Name, items)
		}
	}
}

// TestBatchOverEveryCollection: one $batch creates an item in each
// collection (20 requests at most: each batch takes the next 20), every
// item answered as its request alone would be.
func TestBatchOverEveryCollection(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	collections := graphprofile.ProfileCollections()
	for start := 0; start < len(collections); start += 20 {
		batch := collections[start:min(start+20, len(collections))]
		var items []string
		for i, c := range batch {
			items = append(items, fmt.Sprintf(`{"id":"%d","method":"POST","url":"/me/profile/%s","headers":{"Content-Type":"application/json"},"body":%s}`,
				i, c.Name, bodyOf(c.Type, storetest.SampleObject(c.Type, i))))
		}
		a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[`+strings.Join(items, ",")+`]}`)
		for i, c := range batch {
			status, headers, body := a.item(t, fmt.Sprint(i))
			if status != http.StatusCreated {
				t.Fatalf("%s: %d %v", c.Name, status, body)
			}
			id, _ := body["id"].(string)
			if !strings.HasSuffix(headers["Location"], "/profile/"+c.Name+"/"+id) || headers["ETag"] == "" ||
				!strings.HasSuffix(body["@odata.context"].(string), "/profile/"+c.Name+"/$entity") {
				t.Errorf("%s: headers %v, context %v", c.Name, headers, body["@odata.context"])
			}
			if got := s.do(request{path: "/beta/me/profile/" + c.Name + "/" + id, token: tok}); got.status != http.StatusOK {
				t.Errorf("%s: the batch's item reads %d", c.Name, got.status)
			} else {
				wantValues(t, c.Name+": the batch's item read back", itemOf(t, c, got), storetest.SampleObject(c.Type, i))
			}
		}
	}
}
