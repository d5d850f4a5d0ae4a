package graphapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
)

// batchAnswer is a decoded $batch response.
type batchAnswer struct {
	Responses []struct {
		ID      string            `json:"id"`
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	} `json:"responses"`
}

// sendBatch posts body to path ($batch) with tok and decodes the 200.
func (s *testServer) sendBatch(t *testing.T, path, tok, body string) batchAnswer {
	t.Helper()
	resp := s.do(request{method: http.MethodPost, path: path, token: tok, body: body})
	if resp.status != http.StatusOK {
		t.Fatalf("batch: %d %s", resp.status, resp.body)
	}
	if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("batch Content-Type %q", ct)
	}
	var a batchAnswer
	if err := json.Unmarshal(resp.body, &a); err != nil {
		t.Fatalf("batch response: %v\n%s", err, resp.body)
	}
	return a
}

// item returns the response of id.
func (a batchAnswer) item(t *testing.T, id string) (int, map[string]string, map[string]any) {
	t.Helper()
	for _, r := range a.Responses {
		if r.ID == id {
			var body map[string]any
			if len(r.Body) > 0 && r.Body[0] == '{' {
				if err := json.Unmarshal(r.Body, &body); err != nil {
					t.Fatal(err)
				}
			}
			return r.Status, r.Headers, body
		}
	}
	t.Fatalf("no response for request %q", id)
	return 0, nil, nil
}

func TestBatchTwentyCreates(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	var items []string
	for i := range 20 {
		items = append(items, fmt.Sprintf(`{"id":"%d","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{"detail":{"jobTitle":"Job %d"}}}`, i, i))
	}
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[`+strings.Join(items, ",")+`]}`)
	if len(a.Responses) != 20 {
		t.Fatalf("%d responses, want 20", len(a.Responses))
	}
	var created []string
	for i := range 20 {
		status, headers, body := a.item(t, fmt.Sprint(i))
		if status != http.StatusCreated {
			t.Fatalf("item %d: %d %v", i, status, body)
		}
		id := body["id"].(string)
		created = append(created, id)
		if !strings.HasSuffix(headers["Location"], "/profile/positions/"+id) || headers["ETag"] == "" || !strings.HasPrefix(headers["Content-Type"], "application/json") {
			t.Errorf("item %d headers %v", i, headers)
		}
		if body["detail"].(map[string]any)["jobTitle"] != fmt.Sprintf("Job %d", i) || !strings.Contains(body["@odata.context"].(string), "/profile/positions/$entity") {
			t.Errorf("item %d body %v", i, body)
		}
	}
	listed := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: tok}))
	slices.Sort(listed)
	slices.Sort(created)
	if !slices.Equal(listed, created) {
		t.Errorf("the list holds %v, want exactly the 20 created %v", listed, created)
	}
}

func TestBatchDependsOn(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	existing := s.create(tok, "/me", `{"isCurrent":false,"detail":{"jobTitle":"Before"}}`)["id"].(string)
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"get","method":"GET","url":"me/profile/positions/`+existing+`","dependsOn":["PATCH"]},
		{"id":"patch","method":"PATCH","url":"/me/profile/positions/`+existing+`","dependsOn":["create"],
		 "headers":{"Content-Type":"application/json"},"body":{"isCurrent":true,"detail":{"jobTitle":"After"}}},
		{"id":"create","method":"POST","url":"/me/profile/positions","headers":{"content-type":"application/json"},"body":{}}
	]}`)
	status, _, created := a.item(t, "create")
	if id, _ := created["id"].(string); status != http.StatusCreated || !guidPattern.MatchString(id) || id == existing {
		t.Errorf("create: %d %v", status, created)
	}
	if ids := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: tok})); len(ids) != 2 || !slices.Contains(ids, created["id"].(string)) {
		t.Errorf("after the batch the list holds %v, want %s and %s", ids, existing, created["id"])
	}
	status, headers, patched := a.item(t, "patch")
	if status != http.StatusOK || patched["isCurrent"] != true {
		t.Errorf("patch: %d %v", status, patched)
	}
	status, _, got := a.item(t, "get")
	if status != http.StatusOK || got["isCurrent"] != true || got["detail"].(map[string]any)["jobTitle"] != "After" {
		t.Errorf("the get after the patch: %d %v", status, got)
	}
	if headers["ETag"] == "" || got["@odata.etag"] != headers["ETag"] {
		t.Errorf("the patch's ETag %q, the get's %v", headers["ETag"], got["@odata.etag"])
	}
	// An ETag from the batch works as If-Match in the next one.
	a = s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"1","method":"PATCH","url":"/me/profile/positions/`+existing+`","headers":{"Content-Type":"application/json","If-Match":"\"stale\""},"body":{"isCurrent":false}},
		{"id":"2","method":"DELETE","url":"/me/profile/positions/`+existing+`","headers":{"If-Match":`+strconvQuote(headers["ETag"])+`},"dependsOn":["1"]}
	]}`)
	if status, _, body := a.item(t, "1"); status != http.StatusPreconditionFailed || body["error"].(map[string]any)["code"] != "preconditionFailed" {
		t.Errorf("a stale If-Match in a batch: %d %v", status, body)
	}
	if status, _, body := a.item(t, "2"); status != http.StatusFailedDependency || get(body, "error", "code") != "FailedDependency" ||
		get(body, "error", "message") != "The request depends on request '1', which did not succeed." {
		t.Errorf("the delete depending on it: %d %v", status, body)
	}
	if resp := s.do(request{path: "/beta/me/profile/positions/" + existing, token: tok}); resp.status != http.StatusOK ||
		resp.json(t)["isCurrent"] != true || resp.header.Get("ETag") != headers["ETag"] {
		t.Errorf("a delete whose dependency failed, or a patch refused, ran: %d %s", resp.status, resp.body)
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestBatchFailedDependencyChain(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"1","method":"GET","url":"/me/profile/positions/00000000-0000-4000-8000-00000000dead"},
		{"id":"2","method":"POST","url":"/me/profile/positions","dependsOn":["1"],"headers":{"Content-Type":"application/json"},"body":{}},
		{"id":"3","method":"POST","url":"/me/profile/positions","dependsOn":["2"],"headers":{"Content-Type":"application/json"},"body":{}},
		{"id":"4","method":"GET","url":"/me/profile/positions"}
	]}`)
	if status, _, body := a.item(t, "1"); status != http.StatusNotFound || body["error"].(map[string]any)["code"] != "itemNotFound" {
		t.Errorf("1: %d %v", status, body)
	}
	for id, dependency := range map[string]string{"2": "1", "3": "2"} {
		if status, _, body := a.item(t, id); status != http.StatusFailedDependency || get(body, "error", "code") != "FailedDependency" ||
			get(body, "error", "message") != "The request depends on request '"+dependency+"', which did not succeed." {
			t.Errorf("%s: %d %v, want 424 naming %s", id, status, body, dependency)
		}
	}
	if status, _, body := a.item(t, "4"); status != http.StatusOK || fmt.Sprint(body["value"]) != "[]" ||
		!strings.HasSuffix(fmt.Sprint(body["@odata.context"]), "/beta/$metadata#users('"+userA1+"')/profile/positions") {
		t.Errorf("the independent item: %d %v, want the empty list", status, body)
	}
	if ids := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: tok})); len(ids) != 0 {
		t.Errorf("items that depended on a failure ran: %v", ids)
	}
}

func TestBatchRefused(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	create := func(id string, extra string) string {
		return `{"id":"` + id + `","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{}` + extra + `}`
	}
	var many []string
	for i := range 21 {
		many = append(many, create(fmt.Sprint(i), ""))
	}
	tests := []struct{ name, body, fragment string }{
		{"not JSON", `requests: 1`, "The request body is not valid JSON: unexpected character 'r' at offset 0."},
		{"not an object", `[1]`, "Invalid batch payload"},
		{"no requests", `{}`, "'requests' property is missing"},
		{"no item", `{"requests":[]}`, "no requests"},
		{"an item without id", `{"requests":[` + create("1", "") + `,{"method":"GET","url":"/me"}]}`, "has no id"},
		{"an item without method", `{"requests":[` + create("1", "") + `,{"id":"2","url":"/me"}]}`, "has no method"},
		{"an item without url", `{"requests":[` + create("1", "") + `,{"id":"2","method":"GET"}]}`, "has no url"},
		{"ids repeat, ignoring case", `{"requests":[` + create("a", "") + `,` + create("A", "") + `]}`, "more than one request with the id 'A'"},
		{"an absolute url", `{"requests":[` + create("1", "") + `,{"id":"2","method":"GET","url":"https://graph.microsoft.com/beta/me"}]}`, "not a URL relative"},
		{"a url naming another host", `{"requests":[` + create("1", "") + `,{"id":"2","method":"GET","url":"//example.com/me"}]}`, "not a URL relative"},
		{"a url with a one-letter scheme", `{"requests":[` + create("1", "") + `,{"id":"2","method":"GET","url":"x:me"}]}`, "not a URL relative"},
		{"a url naming a version", `{"requests":[` + create("1", "") + `,{"id":"2","method":"GET","url":"/beta/me"}]}`, "names a version"},
		{"a url naming another version", `{"requests":[` + create("1", "") + `,{"id":"2","method":"GET","url":"v1.0/me"}]}`, "names a version"},
		{"a url naming a version in another case", `{"requests":[` + create("1", "") + `,{"id":"2","method":"GET","url":"/V1.0/groups?$top=1"}]}`, "names a version"},
		{"a url naming a version, escaped", `{"requests":[` + create("1", "") + `,{"id":"2","method":"GET","url":"/%62eta/me"}]}`, "names a version"},
		{"a body without Content-Type", `{"requests":[{"id":"1","method":"POST","url":"/me/profile/positions","body":{}}]}`, "no Content-Type"},
		// Held to a request head's limit, as the URL of a request of its
		// own is: a 1 MiB $filter in a 1.6 KB gzipped batch was parsed.
		{"a url over the head's limit", `{"requests":[{"id":"1","method":"GET","url":"/me/profile/positions?$filter=` + strings.Repeat("true or ", graphapi.MaxHeaderBytes/8) + `true"}]}`,
			fmt.Sprintf("The url of request '1' is %d bytes, more than the %d a request's URL and headers may take.", len("/me/profile/positions?$filter=")+graphapi.MaxHeaderBytes+4, graphapi.MaxHeaderBytes)},
		// The headers count with the URL, as a request head's do.
		{"headers over the head's limit", `{"requests":[{"id":"1","method":"GET","url":"/me","headers":{"X-A":"` + strings.Repeat("a", graphapi.MaxHeaderBytes/2) + `","X-B":"` + strings.Repeat("b", graphapi.MaxHeaderBytes/2) + `"}}]}`,
			fmt.Sprintf("The url and headers of request '1' are %d bytes, more than the %d a request's URL and headers may take.", len("/me")+2*len("X-A: \r\n")+graphapi.MaxHeaderBytes, graphapi.MaxHeaderBytes)},
		// One byte over each limit (TestBatchItemHeadAtTheLimit has them
		// met exactly).
		{"a url one byte over the head's limit", `{"requests":[{"id":"1","method":"GET","url":"/me/profile/positions?$filter=id%20eq%20'` + strings.Repeat("a", graphapi.MaxHeaderBytes-len("/me/profile/positions?$filter=id%20eq%20'")) + `'"}]}`,
			fmt.Sprintf("The url of request '1' is %d bytes, more than the %d a request's URL and headers may take.", graphapi.MaxHeaderBytes+1, graphapi.MaxHeaderBytes)},
		{"headers one byte over the head's limit", `{"requests":[{"id":"1","method":"GET","url":"/me/profile/positions","headers":{"X-Pad":"` + strings.Repeat("p", graphapi.MaxHeaderBytes+1-len("/me/profile/positions")-len("X-Pad: \r\n")) + `"}}]}`,
			fmt.Sprintf("The url and headers of request '1' are %d bytes, more than the %d a request's URL and headers may take.", graphapi.MaxHeaderBytes+1, graphapi.MaxHeaderBytes)},
		{"21 items", `{"requests":[` + strings.Join(many, ",") + `]}`, "The batch holds 21 requests; at most 20 are allowed in one batch."},
		{"an unknown dependency", `{"requests":[` + create("1", `,"dependsOn":["9"]`) + `]}`, "depends on '9'"},
		{"a cycle", `{"requests":[` + create("1", `,"dependsOn":["2"]`) + `,` + create("2", `,"dependsOn":["1"]`) + `]}`, "cycle"},
		{"itself", `{"requests":[` + create("1", `,"dependsOn":["1"]`) + `]}`, "cycle"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: tc.body})
			msg := expectError(t, resp, http.StatusBadRequest, "BadRequest")
			if !strings.Contains(msg, tc.fragment) {
				t.Errorf("message %q does not say %q", msg, tc.fragment)
			}
		})
	}
	if ids := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: tok})); len(ids) != 0 {
		t.Errorf("a refused batch ran %d of its items", len(ids))
	}
	// The batch needs a token; a wrong method is Graph's 405.
	expectError(t, s.do(request{method: http.MethodPost, path: "/beta/$batch", body: `{"requests":[` + create("1", "") + `]}`}), http.StatusUnauthorized, "InvalidAuthenticationToken")
	expectError(t, s.do(request{path: "/beta/$batch", token: tok}), http.StatusMethodNotAllowed, "Request_BadRequest")
	expectError(t, s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: `{"requests":[]}`, header: map[string]string{"Content-Type": "text/plain"}}),
		http.StatusUnsupportedMediaType, "unsupportedMediaType")
}

// TestBatchDecodedStrictly: a batch's own structure (the batch object,
// its items, their headers and dependsOn) is read as strictly as any other
// body: a repeated property (ignoring case, as names are matched), an
// unknown one, or a value of the wrong JSON type is the whole batch's 400,
// in Graph's words, naming the problem and where, never Go's. An item's
// body is the item's business: its request decodes it, and answers for
// it. Nulls are absent values, and property names ignore case.
func TestBatchDecodedStrictly(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	const getMe = `{"id":"1","method":"GET","url":"/me"}`
	for _, tc := range []struct{ name, body, message string }{
		{"requests an object", `{"requests":{}}`,
			"Invalid batch payload format: the 'requests' property must be a JSON array of requests, found an object."},
		{"requests a string", `{"requests":"1"}`,
			"Invalid batch payload format: the 'requests' property must be a JSON array of requests, found a string."},
		{"the batch an array", `[` + getMe + `]`,
			"Invalid batch payload format: the body must be a JSON object with a 'requests' array, found an array."},
		{"requests twice", `{"requests":[],"requests":[` + getMe + `]}`,
			"The property 'requests' appears more than once in the batch."},
		{"requests twice, in another case", `{"requests":[` + getMe + `],"Requests":[` + getMe + `]}`,
			"The property 'Requests' appears more than once in the batch."},
		{"an unknown property of the batch", `{"requests":[` + getMe + `],"atomicityGroup":"g"}`,
			"Invalid batch payload format: the property 'atomicityGroup' does not exist on a batch; a batch has only 'requests'."},
		{"an annotation on the batch", `{"@odata.context":"x","requests":[` + getMe + `]}`,
			"Invalid batch payload format: the property '@odata.context' does not exist on a batch; a batch has only 'requests'."},
		{"an item a number", `{"requests":[` + getMe + `,2]}`,
			"Request 2 of the batch must be a JSON object, found a number."},
		{"id twice", `{"requests":[{"id":"1","id":"2","method":"GET","url":"/me"}]}`,
			"The property 'id' appears more than once in request 1 of the batch."},
		{"id twice, in another case", `{"requests":[{"id":"1","method":"GET","url":"/me","ID":"2"}]}`,
			"The property 'ID' appears more than once in request 1 of the batch."},
		{"url twice", `{"requests":[{"id":"1","method":"GET","url":"/me","url":"/me/profile"}]}`,
			"The property 'url' appears more than once in request 1 of the batch."},
		{"an unknown property of an item", `{"requests":[` + getMe + `,{"id":"2","method":"GET","url":"/me","priority":"g"}]}`,
			"Invalid batch payload format: the property 'priority' does not exist on request 2 of the batch; a request has only 'id', 'method', 'url', 'headers', 'body' and 'dependsOn'."},
		{"an id a number", `{"requests":[{"id":1,"method":"GET","url":"/me"}]}`,
			"Invalid batch payload format: the 'id' of request 1 of the batch must be a JSON string, found a number."},
		{"a method an array", `{"requests":[{"id":"1","method":["GET"],"url":"/me"}]}`,
			"Invalid batch payload format: the 'method' of request 1 of the batch must be a JSON string, found an array."},
		{"a url an object", `{"requests":[{"id":"1","method":"GET","url":{}}]}`,
			"Invalid batch payload format: the 'url' of request 1 of the batch must be a JSON string, found an object."},
		{"headers an array", `{"requests":[{"id":"1","method":"GET","url":"/me","headers":["a"]}]}`,
			"Invalid batch payload format: the 'headers' of request 1 of the batch must be a JSON object of strings, found an array."},
		{"a header a number", `{"requests":[{"id":"1","method":"GET","url":"/me","headers":{"ConsistencyLevel":1}}]}`,
			"Invalid batch payload format: the header 'ConsistencyLevel' of request 1 of the batch must be a JSON string, found a number."},
		{"a header twice, in another case", `{"requests":[{"id":"1","method":"GET","url":"/me","headers":{"Prefer":"a","prefer":"b"}}]}`,
			"The property 'prefer' appears more than once in the headers of request 1 of the batch."},
		{"dependsOn a string", `{"requests":[` + getMe + `,{"id":"2","method":"GET","url":"/me","dependsOn":"1"}]}`,
			"Invalid batch payload format: the 'dependsOn' of request 2 of the batch must be a JSON array of request ids, found a string."},
		{"dependsOn holding a number", `{"requests":[` + getMe + `,{"id":"2","method":"GET","url":"/me","dependsOn":[1]}]}`,
			"Invalid batch payload format: the 'dependsOn' of request 2 of the batch must be a JSON array of request ids, found a number in it."},
		{"data after the batch", `{"requests":[` + getMe + `]} {}`,
			"The request body is not valid JSON: unexpected data after the JSON value at offset 53."},
		{"not JSON in an item's body", `{"requests":[{"id":"1","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{"a":}}]}`,
			"The request body is not valid JSON: unexpected character '}' at offset 127."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: tc.body})
			if msg := expectError(t, resp, http.StatusBadRequest, "BadRequest"); msg != tc.message {
				t.Errorf("message %q,\nwant    %q", msg, tc.message)
			}
		})
	}
	if ids := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: tok})); len(ids) != 0 {
		t.Errorf("a refused batch ran %d of its items", len(ids))
	}

	// Accepted: nulls for what may be absent, names in any case, and an
	// item's body that its own request refuses (a property twice).
	a := s.sendBatch(t, "/beta/$batch", tok, `{"Requests":[
		{"ID":"nulls","Method":"GET","URL":"/me","headers":null,"body":null,"dependsOn":null},
		{"id":"twice in the body","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{"isCurrent":true,"isCurrent":false},"DependsOn":["nulls"]}
	]}`)
	if status, _, body := a.item(t, "nulls"); status != http.StatusOK || body["id"] != userA1 {
		t.Errorf("an item with nulls: %d %v", status, body)
	}
	status, _, body := a.item(t, "twice in the body")
	if msg, _ := get(body, "error", "message").(string); status != http.StatusBadRequest ||
		msg != "The property 'isCurrent' appears more than once in an object of type 'microsoft.graph.workPosition'." {
		t.Errorf("an item whose body has a property twice: %d %v", status, body)
	}
}

// TestBatchItemsAreRequests checks that an item runs as a request sent
// alone would: each caller's permissions per item, users and versions,
// errors, and bodies that are not JSON carried as base64.
func TestBatchItemsAreRequests(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	other := s.delegated(tenantA, userA2, "User.ReadWrite")
	s.create(other, "/me", `{"allowedAudiences":"everyone"}`)
	s.create(tok, "/me", `{}`)
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"mine","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{"isCurrent":true}},
		{"id":"theirs","method":"POST","url":"/users/`+userA2+`/profile/positions","headers":{"Content-Type":"application/json"},"body":{}},
		{"id":"their list","method":"GET","url":"/users/`+userA2+`/profile/positions"},
		{"id":"me","method":"GET","url":"/me"},
		{"id":"count","method":"GET","url":"/me/profile/positions/$count","dependsOn":["mine"]},
		{"id":"select","method":"GET","url":"/me/profile/positions?$select=isCurrent&$top=1"},
		{"id":"unknown","method":"GET","url":"/groups"},
		{"id":"bad body","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{"nope":1}},
		{"id":"base64","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"text/plain"},"body":"`+base64.StdEncoding.EncodeToString([]byte(`{}`))+`"},
		{"id":"nested","method":"POST","url":"/$batch","headers":{"Content-Type":"application/json"},"body":{"requests":[]}}
	]}`)
	want := map[string]int{"mine": 201, "theirs": 403, "their list": 403, "me": 200, "count": 200, "select": 200, "unknown": 400, "bad body": 400, "base64": 415, "nested": 400}
	// Each refused item answers the error a direct request gets, in its
	// words.
	refusals := map[string][2]string{
		"theirs":     {"Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
		"their list": {"Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
		"unknown":    {"BadRequest", "Resource not found for the segment 'groups'."},
		"bad body":   {"BadRequest", "The property 'nope' does not exist on type 'microsoft.graph.workPosition'. Make sure to only use property names that are defined by the type or mark the type as open type."},
		"base64":     {"unsupportedMediaType", "The content type 'text/plain' is not supported; this request needs 'application/json'."},
		"nested":     {"BadRequest", "Request 'nested' is a batch itself; a batch cannot hold a batch."},
	}
	for id, status := range want {
		got, headers, body := a.item(t, id)
		if got != status {
			t.Errorf("%s: %d, want %d (%v)", id, got, status, body)
		}
		if got >= 400 {
			e, _ := body["error"].(map[string]any)
			if e == nil || e["code"] == "" || e["message"] == "" {
				t.Errorf("%s: %d without Graph's error: %v %v", id, got, body, headers)
			}
			if r := refusals[id]; e["code"] != r[0] || e["message"] != r[1] {
				t.Errorf("%s: error %v, want %s %q", id, e, r[0], r[1])
			}
			if ct := headers["Content-Type"]; !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s: error's Content-Type %q", id, ct)
			}
		}
	}
	// The create answers its position, where it is, and is stored; the
	// refused create on A2's profile left it with its one position.
	_, headers, mine := a.item(t, "mine")
	id, _ := mine["id"].(string)
	if mine["isCurrent"] != true || !guidPattern.MatchString(id) ||
		headers["Location"] != s.url+"/beta/users/"+userA1+"/profile/positions/"+id || headers["ETag"] == "" || headers["ETag"] != mine["@odata.etag"] {
		t.Errorf("mine: %v %v", headers, mine)
	}
	if got := s.do(request{path: "/beta/me/profile/positions/" + id, token: tok}); got.status != http.StatusOK || got.json(t)["isCurrent"] != true {
		t.Errorf("mine does not read back: %d %s", got.status, got.body)
	}
	if ids := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: other})); len(ids) != 1 {
		t.Errorf("A2 has %d positions after a refused create, want 1", len(ids))
	}
	// $select answers the selected property only, under its context.
	_, _, selected := a.item(t, "select")
	if !strings.HasSuffix(fmt.Sprint(selected["@odata.context"]), "/beta/$metadata#users('"+userA1+"')/profile/positions(isCurrent)") {
		t.Errorf("select's context: %v", selected["@odata.context"])
	}
	for _, v := range selected["value"].([]any) {
		for k := range v.(map[string]any) {
			if k != "isCurrent" && k != "id" && k != "@odata.etag" {
				t.Errorf("select answered %q: %v", k, v)
			}
		}
	}
	for _, r := range a.Responses {
		if r.ID == "count" {
			var text string
			if err := json.Unmarshal(r.Body, &text); err != nil {
				t.Fatalf("the count's body %s is not a base64 string", r.Body)
			}
			if data, _ := base64.StdEncoding.DecodeString(text); string(data) != "2" || !strings.HasPrefix(r.Headers["Content-Type"], "text/plain") {
				t.Errorf("the count: %q %v", data, r.Headers)
			}
		}
	}
	if _, _, body := a.item(t, "me"); body["id"] != userA1 || !strings.HasSuffix(body["@odata.context"].(string), "/beta/$metadata#users/$entity") {
		t.Errorf("/me in the batch: %v", body)
	}
	// v1.0 batches address v1.0.
	admin := s.application(tenantA, "User.Read.All")
	a = s.sendBatch(t, "/v1.0/$batch", admin, `{"requests":[{"id":"1","method":"GET","url":"/users/`+userA1+`"},{"id":"2","method":"GET","url":"/users/`+userA1+`/profile/positions"}]}`)
	if status, _, body := a.item(t, "1"); status != http.StatusOK || !strings.Contains(body["@odata.context"].(string), "/v1.0/$metadata") {
		t.Errorf("v1.0 user: %d %v", status, body)
	}
	if status, _, body := a.item(t, "2"); status != http.StatusBadRequest || get(body, "error", "code") != "BadRequest" ||
		get(body, "error", "message") != "Resource not found for the segment 'profile'." {
		t.Errorf("positions in a v1.0 batch: %d %v, want 400 as v1.0 has none", status, body)
	}
}

// TestBatchNextLinkIsAURL: Graph's batching examples write item URLs with
// spaces ("$filter=city eq null"); the page's nextLink must still be a URL
// a client can follow as it is, and following it gives the next page.
func TestBatchNextLinkIsAURL(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	var want []string
	for range 3 {
		want = append(want, s.create(tok, "/me", `{"isCurrent":true,"detail":{"jobTitle":"A \"quoted\" <title>"}}`)["id"].(string))
	}
	s.create(tok, "/me", `{"isCurrent":false}`)
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"1","method":"GET","url":"/me/profile/positions?$filter=isCurrent eq true and detail/jobTitle eq 'A \"quoted\" <title>'&$select=id&$top=2"}
	]}`)
	status, _, body := a.item(t, "1")
	link, _ := body["@odata.nextLink"].(string)
	if status != http.StatusOK || link == "" {
		t.Fatalf("the batch's page: %d %v", status, body)
	}
	if i := strings.IndexFunc(link, func(r rune) bool { return r <= ' ' || r == '"' || r == '<' || r == '>' || r > '~' }); i >= 0 {
		t.Fatalf("nextLink %q has %q, which a URL may not hold as written", link, link[i])
	}
	var got []string
	for _, v := range body["value"].([]any) {
		got = append(got, v.(map[string]any)["id"].(string))
	}
	next := s.do(request{path: strings.TrimPrefix(link, s.url), token: tok})
	got = append(got, idsOf(t, next)...)
	if !slices.Equal(got, want) {
		t.Errorf("the batch's page and its nextLink's: %v, want %v", got, want)
	}
}

// TestBatchFailedDependencyEnvelope: an item that did not run answers in
// Graph's error envelope, innerError and all, with the headers of every
// other answer.
func TestBatchFailedDependencyEnvelope(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"a","method":"GET","url":"/me/profile/skills/nope"},
		{"id":"b","method":"GET","url":"/me","dependsOn":["a"],"headers":{"client-request-id":"0f0e0d0c-0b0a-4908-8706-050403020100"}}
	]}`)
	_, failedHeaders, _ := a.item(t, "a")
	status, headers, body := a.item(t, "b")
	e, _ := body["error"].(map[string]any)
	if status != http.StatusFailedDependency || e["code"] != "FailedDependency" || e["message"] != "The request depends on request 'a', which did not succeed." {
		t.Fatalf("b: %d %v", status, body)
	}
	inner, _ := e["innerError"].(map[string]any)
	if inner == nil || inner["date"] == nil || inner["request-id"] == nil || inner["request-id"] == "" ||
		inner["client-request-id"] != "0f0e0d0c-0b0a-4908-8706-050403020100" {
		t.Errorf("b's innerError: %v", inner)
	}
	for name := range failedHeaders {
		if _, ok := headers[name]; !ok {
			t.Errorf("b's headers %v lack %s, which the failed item's %v have", headers, name, failedHeaders)
		}
	}
	// Both failures, the item's own 404 and the 424 of the one that never
	// ran, are Graph's envelope exactly, with its headers (reference 6.6:
	// "per-item error bodies use the normal error shape").
	for _, r := range a.Responses {
		if keys := objectKeys(t, r.Body); strings.Join(keys, ",") != "error" {
			t.Errorf("%s: body keys %v, want [error]", r.ID, keys)
		}
		if keys := objectKeys(t, r.Body, "error"); strings.Join(keys, ",") != "code,message,innerError" {
			t.Errorf("%s: error keys %v, want [code message innerError]", r.ID, keys)
		}
		if keys := objectKeys(t, r.Body, "error", "innerError"); strings.Join(keys, ",") != "date,request-id,client-request-id" {
			t.Errorf("%s: innerError keys %v, want [date request-id client-request-id]", r.ID, keys)
		}
		var env struct {
			Error struct {
				InnerError struct {
					Date      string `json:"date"`
					RequestID string `json:"request-id"`
				} `json:"innerError"`
			} `json:"error"`
		}
		if err := json.Unmarshal(r.Body, &env); err != nil || !errorDatePattern.MatchString(env.Error.InnerError.Date) || !guidPattern.MatchString(env.Error.InnerError.RequestID) {
			t.Errorf("%s: innerError %s, want a date without fraction or zone and a GUID request-id", r.ID, r.Body)
		}
		if r.Headers["Content-Type"] != "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8" ||
			r.Headers["OData-Version"] != "4.0" || r.Headers["Cache-Control"] != "no-cache" {
			t.Errorf("%s: headers %v, want Graph's JSON Content-Type, OData-Version 4.0 and Cache-Control no-cache", r.ID, r.Headers)
		}
	}
}

// TestBatchItemAcceptEncoding: an item that asks for gzip (an SDK copies
// a request's headers into its item) still gets its JSON body as JSON:
// the item's headers leave Content-Encoding out, so a compressed body
// would reach the client as base64 of gzip under a JSON Content-Type. The
// batch's own answer is what is compressed.
func TestBatchItemAcceptEncoding(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	for range 3 {
		s.create(tok, "/me", `{"detail":{"jobTitle":"A title long enough to make the list worth compressing"}}`)
	}
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"1","method":"GET","url":"/me/profile/positions","headers":{"Accept-Encoding":"gzip"}}
	]}`)
	status, headers, body := a.item(t, "1")
	if value, _ := body["value"].([]any); status != http.StatusOK || len(value) != 3 || headers["Content-Encoding"] != "" {
		t.Fatalf("an item with Accept-Encoding gzip: %d %v %s", status, headers, a.Responses[0].Body)
	}
	if len(a.Responses[0].Body) < 1024 {
		t.Fatalf("the list is %d bytes, too small to be compressed: the test shows nothing", len(a.Responses[0].Body))
	}
}

// TestBatchItemNotRunIsJSON: an item answered without running (a failed
// dependency) is not compressed because the batch's request accepts gzip:
// its body, long when the ids are, is JSON in the batch's answer as any
// item's is.
func TestBatchItemNotRunIsJSON(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	long := strings.Repeat("x", 1100)
	resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, header: map[string]string{"Accept-Encoding": "gzip"}, body: `{"requests":[
		{"id":"` + long + `","method":"GET","url":"/me/profile/positions/nope"},
		{"id":"b","method":"GET","url":"/me","dependsOn":["` + long + `"]}
	]}`})
	if resp.status != http.StatusOK || resp.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("batch: %d %v", resp.status, resp.header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(resp.body))
	if err != nil {
		t.Fatal(err)
	}
	var a batchAnswer
	if err := json.NewDecoder(zr).Decode(&a); err != nil {
		t.Fatal(err)
	}
	status, headers, body := a.item(t, "b")
	if e, _ := body["error"].(map[string]any); status != http.StatusFailedDependency || e["code"] != "FailedDependency" || headers["Content-Encoding"] != "" {
		t.Fatalf("b: %d %v %s", status, headers, a.Responses[1].Body)
	}
}

// TestBatchItemMethodInvalid: an item whose method is no HTTP method (a
// space in it, a control character) is answered with a 400 that names its
// method, not its URL, which is fine.
func TestBatchItemMethodInvalid(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"space","method":"GE T","url":"/me"},
		{"id":"newline","method":"GET\n","url":"/me"},
		{"id":"ok","method":"get","url":"/me"}
	]}`)
	for id, method := range map[string]string{"space": "GE T", "newline": "GET\n"} {
		status, _, body := a.item(t, id)
		want := "The method '" + method + "' of request '" + id + "' is not a valid HTTP method."
		if msg, _ := get(body, "error", "message").(string); status != http.StatusBadRequest || msg != want {
			t.Errorf("%s: %d %q, want 400 %q", id, status, msg, want)
		}
	}
	if status, _, body := a.item(t, "ok"); status != http.StatusOK || body["id"] != userA1 {
		t.Errorf("ok: %d %v", status, body)
	}
}

// TestBatchItemURLInvalid: an item's url that is no URL (an escape that
// is not one) is refused as such, not as "not relative to the version
// root", which it is.
func TestBatchItemURLInvalid(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: `{"requests":[{"id":"1","method":"GET","url":"/me/profile/positions/%zz"}]}`})
	if msg := expectError(t, resp, http.StatusBadRequest, "BadRequest"); msg != "The url '/me/profile/positions/%zz' of request '1' is not a valid URL." {
		t.Errorf("an invalid escape: %q", msg)
	}
}

// TestBatchItemQueryPercent: an item's url is written as Graph's batching
// examples write it, unescaped ("$filter=city eq null"), so a "%" in its
// query that starts no escape is the character "%" its writer meant (a
// request sent alone cannot hold one: it is Graph's 400 there), and one
// that starts an escape is that escape, read once.
func TestBatchItemQueryPercent(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	literal := s.create(tok, "/me", `{"detail":{"jobTitle":"50%zz"}}`)["id"].(string)
	escaped := s.create(tok, "/me", `{"detail":{"jobTitle":"50A"}}`)["id"].(string)
	s.create(tok, "/me", `{"detail":{"jobTitle":"50%41"}}`)
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"1","method":"GET","url":"/me/profile/positions?$filter=detail/jobTitle eq '50%zz'&$select=id"},
		{"id":"2","method":"GET","url":"/me/profile/positions?$filter=detail/jobTitle eq '50%41'&$select=id"}
	]}`)
	for _, c := range []struct{ item, want string }{{"1", literal}, {"2", escaped}} {
		status, _, body := a.item(t, c.item)
		value, _ := body["value"].([]any)
		if status != http.StatusOK || len(value) != 1 || get(value[0], "id") != c.want {
			t.Errorf("item %s: %d %v, want %s alone", c.item, status, body, c.want)
		}
	}
	// Sent alone, the same "%" is no escape of a URL's query: Graph's 400.
	if resp := s.do(request{path: "/beta/me/profile/positions?$filter=detail/jobTitle%20eq%20'50%zz'", token: tok}); resp.status != http.StatusBadRequest {
		t.Errorf("sent alone: %d %s, want 400", resp.status, resp.body)
	}
}

// TestBatchItemBodyDepth: an item's body may be nested as deep as a body
// sent alone (64 levels), not 64 less the batch's own envelope: a body
// of 62 levels that a direct request takes made the whole batch a 400
// ("nested more than 64 levels deep"); 65 levels are still refused.
func TestBatchItemBodyDepth(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	// createdBy is server-managed, skipped, and of an open type: only the
	// depth bounds it.
	nested := func(levels int) string {
		v := "{}"
		for range levels - 3 {
			v = `{"a":` + v + `}`
		}
		return `{"createdBy":{"user":` + v + `}}`
	}
	body := nested(64)
	if resp := s.do(request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: body}); resp.status != http.StatusCreated {
		t.Fatalf("the body alone: %d %s", resp.status, resp.body)
	}
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[{"id":"1","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":`+body+`}]}`)
	if status, _, body := a.item(t, "1"); status != http.StatusCreated {
		t.Errorf("the body in a batch: %d %v", status, body)
	}
	resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok, body: `{"requests":[{"id":"1","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":` + nested(65) + `}]}`})
	if msg := expectError(t, resp, http.StatusBadRequest, "BadRequest"); msg != "The request body is nested more than 64 levels deep." {
		t.Errorf("65 levels: %q", msg)
	}
}

// TestBatchPythonSDKDependsOn: the official Python SDK
// (msgraph-sdk-python-core) writes an item's dependencies as
// "depends_on", a name Graph does not read: Graph runs such a batch, the
// items as if independent (msgraph-sdk-python-core pull request 996). The
// batch was refused whole as naming a property an item does not have.
func TestBatchPythonSDKDependsOn(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"1","method":"POST","url":"/me/profile/positions","depends_on":null,"headers":{"content-type":"application/json"},"body":{"detail":{"jobTitle":"Python"}}},
		{"id":"2","method":"GET","url":"/me/profile/positions","depends_on":["1"],"headers":{}},
		{"id":"3","method":"GET","url":"/me","depends_on":["no such request"],"headers":{}}
	]}`)
	if status, _, body := a.item(t, "1"); status != http.StatusCreated || get(body, "detail", "jobTitle") != "Python" {
		t.Errorf("1: %d %v, want 201 with the position", status, body)
	}
	for _, id := range []string{"2", "3"} {
		if status, _, body := a.item(t, id); status != http.StatusOK {
			t.Errorf("%s: %d %v, want 200: depends_on is not read", id, status, body)
		}
	}
	if _, _, body := a.item(t, "2"); body["value"] == nil {
		t.Errorf("2: %v, want the list", body)
	}
	if _, _, body := a.item(t, "3"); body["id"] != userA1 {
		t.Errorf("3: %v, want the signed-in user", body)
	}
}

// TestBatchAtomicityGroupIgnored: Graph's known issues say it does no
// transactions and ignores an item's atomicityGroup (OData 4.01's); the
// batch was refused whole as naming a property an item does not have, so
// an OData client that writes one got nothing run. Its items run, each on
// its own, the second's failure undoing nothing of the first.
func TestBatchAtomicityGroupIgnored(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"1","atomicityGroup":"g1","method":"POST","url":"/me/profile/positions","headers":{"content-type":"application/json"},"body":{"detail":{"jobTitle":"Grouped"}}},
		{"id":"2","atomicityGroup":"g1","method":"POST","url":"/me/profile/positions","headers":{"content-type":"application/json"},"body":{"nonsense":1}},
		{"id":"3","atomicityGroup":null,"method":"GET","url":"/me/profile/positions","dependsOn":["1"]}
	]}`)
	if status, _, body := a.item(t, "1"); status != http.StatusCreated || get(body, "detail", "jobTitle") != "Grouped" {
		t.Errorf("1: %d %v, want 201 with the position", status, body)
	}
	if status, _, _ := a.item(t, "2"); status != http.StatusBadRequest {
		t.Errorf("2: %d, want its own 400", status)
	}
	if status, _, body := a.item(t, "3"); status != http.StatusOK || len(body["value"].([]any)) != 1 {
		t.Errorf("3: %d %v, want the one position: the group's failure undid nothing", status, body)
	}
}

// unavailableStore answers every list as a store that has stopped
// answering does once its budget for the call is spent: ErrUnavailable,
// after a while; it counts the lists it was asked for.
type unavailableStore struct {
	graphprofile.Store
	lists *atomic.Int32
}

func (s unavailableStore) ScanItems(ctx context.Context, _ graphprofile.UserKey, _ graphprofile.Collection, _ graphprofile.ItemOrder, _ *graphprofile.ItemPosition, _ func(graphprofile.Item) (bool, error)) error {
	s.lists.Add(1)
	select {
	case <-time.After(100 * time.Millisecond):
	case <-ctx.Done():
	}
	return fmt.Errorf("postgres: listing items: %w", graphprofile.ErrUnavailable)
}

// TestBatchAnswersAtOnceWhenTheStoreIsDown: once an item of a batch finds
// the store unavailable, the items that have not started answer 503 at
// once rather than each wait out the store's budget in turn: a batch of
// 20 on a store that hangs took two budgets (8 s on PostgreSQL), where
// issue 5 has every request answered within 5 s.
func TestBatchAnswersAtOnceWhenTheStoreIsDown(t *testing.T) {
	var lists atomic.Int32
	s := newTestServer(t, func(srv *graphapi.Server) {
		srv.Service = &graphprofile.Service{Store: unavailableStore{Store: srv.Service.Store, lists: &lists}}
	})
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	items := make([]string, graphapi.MaxBatchItems)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":"%d","method":"GET","url":"/me/profile/positions"}`, i+1)
	}
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[`+strings.Join(items, ",")+`]}`)
	for i := range items {
		status, headers, b := a.item(t, fmt.Sprint(i+1))
		if status != http.StatusServiceUnavailable || get(b, "error", "code") != "serviceNotAvailable" || headers["Retry-After"] != "1" {
			t.Errorf("item %d: %d %v %v, want 503 serviceNotAvailable with Retry-After 1", i+1, status, headers, b)
		}
	}
	// The first items at once (10) met the store; the others did not wait for it.
	if n := lists.Load(); n > 10 {
		t.Errorf("the store was asked %d lists, want at most the 10 items that run at once", n)
	}
}

// TestBatchItemOfOneEscapedSegment: an item url whose first segment holds
// an escaped slash (/beta%2Fme) names no version: the router reads it as
// one segment, and the item fails alone, as any unknown segment does.
func TestBatchItemOfOneEscapedSegment(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"1","method":"GET","url":"/me"},
		{"id":"2","method":"GET","url":"/beta%2Fme"}]}`)
	if status, _, b := a.item(t, "1"); status != http.StatusOK || b["id"] != userA1 {
		t.Errorf("item 1: %d %v, want the user", status, b)
	}
	if status, _, b := a.item(t, "2"); status != http.StatusBadRequest || get(b, "error", "code") != "BadRequest" {
		t.Errorf("item 2: %d %v, want its own 400", status, b)
	}
}

// TestBatchItemIsABatch: an item whose url is the batch endpoint, in any
// case, is that item's 400 and runs nothing: a batch held in a batch would
// run more than the 20 requests a batch may hold, and nest without end.
func TestBatchItemIsABatch(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	inner := `{"requests":[{"id":"x","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{}}]}`
	for _, url := range []string{"/$batch", "/$BATCH", "/$Batch?x=1"} {
		t.Run(url, func(t *testing.T) {
			a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[{"id":"a","method":"POST","url":"`+url+`","headers":{"Content-Type":"application/json"},"body":`+inner+`}]}`)
			status, _, body := a.item(t, "a")
			e, _ := body["error"].(map[string]any)
			if status != http.StatusBadRequest || e["code"] != "BadRequest" || e["message"] != "Request 'a' is a batch itself; a batch cannot hold a batch." {
				t.Errorf("item a: %d %v", status, body)
			}
		})
	}
	if ids := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: tok})); len(ids) != 0 {
		t.Errorf("the batches in a batch created %d positions", len(ids))
	}
}

// TestBatchDependsOnANotModified: an item that depends on one answered 304
// Not Modified is 424 without running: anything but a 2xx fails a
// dependency, as Graph's batching has it.
func TestBatchDependsOnANotModified(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	id := s.create(tok, "/me", `{}`)["id"].(string)
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"2","method":"GET","url":"/me/profile/positions/`+id+`","headers":{"If-None-Match":"*"}},
		{"id":"3","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{},"dependsOn":["2"]}
	]}`)
	if status, _, _ := a.item(t, "2"); status != http.StatusNotModified {
		t.Fatalf("item 2: %d, want 304", status)
	}
	status, _, body := a.item(t, "3")
	if e, _ := body["error"].(map[string]any); status != http.StatusFailedDependency || e["code"] != "FailedDependency" {
		t.Errorf("item 3: %d %v, want 424 FailedDependency", status, body)
	}
	if ids := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: tok})); len(ids) != 1 {
		t.Errorf("the profile holds %d positions, want the 1 created before the batch", len(ids))
	}
}

// TestBatchItemHeadersAreTheItems: an item's headers are its own answer's:
// none of the batch's exchange (its length, encoding, Vary, request ids,
// Date) nor CORS's, which the batch's answer carries for the browser. And
// the answers come in the order of the requests (docs/decisions.md).
func TestBatchItemHeadersAreTheItems(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	id := s.create(tok, "/me", `{}`)["id"].(string)
	resp := s.do(request{method: http.MethodPost, path: "/beta/$batch", token: tok,
		header: map[string]string{"Origin": pageOrigin, "client-request-id": "0b7f3c4e-5a7d-4a3e-9d55-1f6c2b8e9a10"},
		body: `{"requests":[
			{"id":"c","method":"GET","url":"/me/profile/positions/` + id + `"},
			{"id":"a","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":{}},
			{"id":"b","method":"GET","url":"/me/profile/positions/nope"},
			{"id":"d","method":"GET","url":"/me/profile/positions"}
		]}`})
	if resp.status != http.StatusOK || resp.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("batch: %d %v", resp.status, resp.header)
	}
	var a batchAnswer
	if err := json.Unmarshal(resp.body, &a); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range a.Responses {
		order = append(order, r.ID)
		for name := range r.Headers {
			canonical := http.CanonicalHeaderKey(name)
			if strings.HasPrefix(canonical, "Access-Control-") || slices.Contains([]string{"Content-Length", "Content-Encoding", "Vary", "Request-Id", "Client-Request-Id", "Date", "Connection"}, canonical) {
				t.Errorf("item %s carries the batch's header %s: %v", r.ID, name, r.Headers)
			}
		}
		if r.Headers["Content-Type"] == "" && r.Status != http.StatusNoContent {
			t.Errorf("item %s has no Content-Type of its own: %v", r.ID, r.Headers)
		}
	}
	if want := []string{"c", "a", "b", "d"}; !slices.Equal(order, want) {
		t.Errorf("answers in the order %v, want the requests' %v", order, want)
	}
}

// TestBatchItemHeadAtTheLimit: an item's URL, and its URL and headers
// together, may take MaxHeaderBytes exactly, as a request head of its own
// may (TestBatchRefused has one byte more refused): the batch runs them,
// and each item answers as a request of its own would.
func TestBatchItemHeadAtTheLimit(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	// A $filter whose string literal pads the URL to the limit, to the byte.
	const filter = "/me/profile/positions?$filter=id%20eq%20'"
	url := filter + strings.Repeat("a", graphapi.MaxHeaderBytes-len(filter)-1) + "'"
	// A header that, with "/me/profile/positions", makes the limit.
	const path = "/me/profile/positions"
	pad := strings.Repeat("p", graphapi.MaxHeaderBytes-len(path)-len("X-Pad: \r\n"))
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[`+
		`{"id":"url","method":"GET","url":"`+url+`"},`+
		`{"id":"headers","method":"GET","url":"`+path+`","headers":{"X-Pad":"`+pad+`"}}]}`)
	if len(url) != graphapi.MaxHeaderBytes || len(path)+len("X-Pad: \r\n")+len(pad) != graphapi.MaxHeaderBytes {
		t.Fatalf("the items' heads are not MaxHeaderBytes: %d, %d", len(url), len(path)+len("X-Pad: \r\n")+len(pad))
	}
	for _, r := range a.Responses {
		if r.Status != http.StatusOK {
			t.Errorf("item %s: %d %s, want 200", r.ID, r.Status, r.Body)
			continue
		}
		var list struct{ Value []any }
		if err := json.Unmarshal(r.Body, &list); err != nil || list.Value == nil || len(list.Value) != 0 {
			t.Errorf("item %s: %s, want an empty list (%v)", r.ID, r.Body, err)
		}
	}
	if len(a.Responses) != 2 {
		t.Errorf("%d answers, want 2", len(a.Responses))
	}
}

// TestBatchItemBodyByContentType: an item's body is JSON as written when
// its Content-Type is JSON, even a JSON string that happens to be base64
// (the item's request then refuses it as any other non-object); for any
// other Content-Type it is a base64 string, and one that is not base64 is
// the item's 400, saying so.
func TestBatchItemBodyByContentType(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"json","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"application/json"},"body":"e30="},
		{"id":"text","method":"POST","url":"/me/profile/positions","headers":{"Content-Type":"text/plain"},"body":"!!not base64!!"}
	]}`)
	for _, tc := range []struct{ id, message string }{
		{"json", "The request body must be a JSON object of type 'microsoft.graph.workPosition'."},
		{"text", "The body of request 'text' is not valid base64 for its Content-Type 'text/plain'."},
	} {
		status, _, body := a.item(t, tc.id)
		if e, _ := body["error"].(map[string]any); status != http.StatusBadRequest || e["message"] != tc.message {
			t.Errorf("item %s: %d %v, want 400 saying %q", tc.id, status, body, tc.message)
		}
	}
	if ids := idsOf(t, s.do(request{path: "/beta/me/profile/positions", token: tok})); len(ids) != 0 {
		t.Errorf("the refused items created %d positions", len(ids))
	}
}

// TestBatchItemAnswersWithoutJSON: an item whose answer has no JSON body
// is carried as Graph carries it: a 204 (a DELETE) with no body and no
// Content-Type; a HEAD with GET's headers (its own Content-Type, no
// Content-Length, the exchange's) and no body; a 304 with its ETag and no
// body; $count's text as a base64 string under its text/plain type. And
// an item URL's fragment is no part of the request, as a browser sends
// none: the item answers as the URL without it.
func TestBatchItemAnswersWithoutJSON(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	kept := s.create(tok, "/me", `{}`)
	gone := s.create(tok, "/me", `{}`)["id"].(string)
	a := s.sendBatch(t, "/beta/$batch", tok, `{"requests":[
		{"id":"delete","method":"DELETE","url":"/me/profile/positions/`+gone+`"},
		{"id":"head","method":"HEAD","url":"/me/profile/positions","dependsOn":["delete"]},
		{"id":"304","method":"GET","url":"/me/profile/positions/`+kept["id"].(string)+`","headers":{"If-None-Match":`+strconvQuote(kept["@odata.etag"].(string))+`}},
		{"id":"count","method":"GET","url":"/me/profile/positions/$count","dependsOn":["delete"]},
		{"id":"fragment","method":"GET","url":"/me?$select=id#displayName"}
	]}`)
	raw := map[string]json.RawMessage{}
	headersOf := map[string]map[string]string{}
	statusOf := map[string]int{}
	for _, r := range a.Responses {
		raw[r.ID], headersOf[r.ID], statusOf[r.ID] = r.Body, r.Headers, r.Status
	}
	for _, tc := range []struct {
		id          string
		status      int
		contentType string // "" for none
	}{
		{"delete", http.StatusNoContent, ""},
		{"head", http.StatusOK, "application/json"},
		{"304", http.StatusNotModified, ""},
	} {
		if statusOf[tc.id] != tc.status || len(raw[tc.id]) != 0 {
			t.Errorf("%s: %d with body %s, want %d and no body", tc.id, statusOf[tc.id], raw[tc.id], tc.status)
		}
		if ct := headersOf[tc.id]["Content-Type"]; (tc.contentType == "") != (ct == "") || !strings.HasPrefix(ct, tc.contentType) {
			t.Errorf("%s: Content-Type %q, want %q", tc.id, ct, tc.contentType)
		}
		if cl, ok := headersOf[tc.id]["Content-Length"]; ok {
			t.Errorf("%s: carries the exchange's Content-Length %q", tc.id, cl)
		}
	}
	if etag := headersOf["304"]["ETag"]; etag != kept["@odata.etag"] {
		t.Errorf("304: ETag %q, want %v", etag, kept["@odata.etag"])
	}
	var text string
	if err := json.Unmarshal(raw["count"], &text); err != nil {
		t.Fatalf("count: body %s is not a string", raw["count"])
	}
	if data, err := base64.StdEncoding.DecodeString(text); err != nil || string(data) != "1" || !strings.HasPrefix(headersOf["count"]["Content-Type"], "text/plain") {
		t.Errorf("count: %q (%v) under %q, want base64 of \"1\" under text/plain", data, err, headersOf["count"]["Content-Type"])
	}
	status, _, me := a.item(t, "fragment")
	if _, named := me["displayName"]; status != http.StatusOK || me["id"] != userA1 || named {
		t.Errorf("fragment: %d %v, want /me?$select=id's answer", status, me)
	}
}
