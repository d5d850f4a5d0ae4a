package graphapi_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestCreateBodies posts bodies and checks what is stored and returned.
func TestCreateBodies(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	tests := []struct {
		name string
		body string
		path []string
		want any
	}{
		{"allowedAudiences defaults to organization", `{}`, []string{"allowedAudiences"}, "organization"},
		{"allowedAudiences null defaults too", `{"allowedAudiences":null}`, []string{"allowedAudiences"}, "organization"},
		{"allowedAudiences single", `{"allowedAudiences":"everyone"}`, []string{"allowedAudiences"}, "everyone"},
		{"allowedAudiences combination", `{"allowedAudiences":"groupMembers,contacts"}`, []string{"allowedAudiences"}, "contacts,groupMembers"},
		{"allowedAudiences combination with me, the value 0", `{"allowedAudiences":"organization,me"}`, []string{"allowedAudiences"}, "organization"},
		{"source single form emitted as a collection", `{"source":{"type":"Contoso HR"}}`, []string{"source"}, map[string]any{"type": []any{"Contoso HR"}}},
		{"source collection form", `{"source":{"type":["a","b"]}}`, []string{"source"}, map[string]any{"type": []any{"a", "b"}}},
		{"dates in and out", `{"detail":{"startMonthYear":"2019-06-01","endMonthYear":"2021-12-31"}}`, []string{"detail", "startMonthYear"}, "2019-06-01"},
		// Edm.Date is stored and returned as sent: a MonthYear day is not
		// moved to the month's first (docs/decisions.md, "Edm.Date").
		{"a date keeps its day", `{"detail":{"startMonthYear":"2019-06-15"}}`, []string{"detail", "startMonthYear"}, "2019-06-15"},
		{"endMonthYear keeps its day", `{"detail":{"startMonthYear":"2019-06-15","endMonthYear":"2021-12-31"}}`, []string{"detail", "endMonthYear"}, "2021-12-31"},
		{"a leap day", `{"detail":{"endMonthYear":"2000-02-29"}}`, []string{"detail", "endMonthYear"}, "2000-02-29"},
		{"the first date", `{"detail":{"startMonthYear":"0001-01-01"}}`, []string{"detail", "startMonthYear"}, "0001-01-01"},
		{"the last date", `{"detail":{"endMonthYear":"9999-12-31"}}`, []string{"detail", "endMonthYear"}, "9999-12-31"},
		{"int32", `{"detail":{"layer":4}}`, []string{"detail", "layer"}, 4.0},
		{"int32 lowest", `{"detail":{"layer":-2147483648}}`, []string{"detail", "layer"}, -2147483648.0},
		{"physicalAddress type by its value", `{"detail":{"company":{"address":{"type":"0"}}}}`, []string{"detail", "company", "address", "type"}, "unknown"},
		{"allowedAudiences by its value", `{"allowedAudiences":"10"}`, []string{"allowedAudiences"}, "contacts,organization"},
		{"isSearchable", `{"isSearchable":false}`, []string{"isSearchable"}, false},
		{"sources, the CSDL's sourceId", `{"sources":[{"sourceId":"4ce763dd-9214-4eff-af7c-da491cc3782d","isDefaultSource":true,"properties":["detail"]}]}`,
			[]string{"sources"}, []any{map[string]any{"isDefaultSource": true, "properties": []any{"detail"}, "sourceId": "4ce763dd-9214-4eff-af7c-da491cc3782d"}}},
		{"relationship unknownFutureValue", `{"manager":{"relationship":"unknownFutureValue"}}`, []string{"manager", "relationship"}, "unknownFutureValue"},
		// docs/decisions.md: "An empty object for a complex property".
		{"an empty complex value is an object of nulls", `{"inference":{}}`, []string{"inference"}, map[string]any{"confidenceScore": nil, "userHasVerifiedAccuracy": nil}},
		{"null complex value", `{"detail":null}`, []string{"detail"}, nil},
		{"double", `{"inference":{"confidenceScore":0.75,"userHasVerifiedAccuracy":true}}`, []string{"inference"}, map[string]any{"confidenceScore": 0.75, "userHasVerifiedAccuracy": true}},
		{"relationship enum", `{"manager":{"displayName":"Boss","relationship":"manager","userPrincipalName":"boss@contoso.test"}}`, []string{"manager", "relationship"}, "manager"},
		{"colleagues", `{"colleagues":[{"displayName":"Ann","relationship":"colleague"},{"displayName":"Bob","relationship":"dotLineManager"}]}`,
			[]string{"colleagues"}, []any{
				map[string]any{"displayName": "Ann", "relationship": "colleague", "userId": nil, "userPrincipalName": nil},
				map[string]any{"displayName": "Bob", "relationship": "dotLineManager", "userId": nil, "userPrincipalName": nil}}},
		{"categories", `{"categories":["a","ü"]}`, []string{"categories"}, []any{"a", "ü"}},
		{"empty categories", `{"categories":[]}`, []string{"categories"}, []any{}},
		{"server-managed values are ignored", `{"id":"mine","createdDateTime":"2001-01-01T00:00:00Z","createdBy":{"user":{"id":"someone","displayName":"Else"}},"lastModifiedBy":{"application":{"id":"x"}}}`,
			[]string{"createdBy", "user", "id"}, userA1},
		{"@odata.type of the entity and nested", `{"@odata.type":"#microsoft.graph.workPosition","detail":{"@odata.type":"#microsoft.graph.positionDetail","jobTitle":"X"}}`, []string{"detail", "jobTitle"}, "X"},
		{"other annotations are ignored", `{"@odata.context":"x","@odata.etag":"y","isCurrent":false}`, []string{"isCurrent"}, false},
		// JSON's RFC lets a parser skip a byte order mark, and Graph's
		// (a .NET text reader) does: what a file saved as "UTF-8 with BOM"
		// and sent as the body starts with.
		{"a UTF-8 byte order mark is skipped", "\ufeff" + `{"detail":{"jobTitle":"BOM"}}`, []string{"detail", "jobTitle"}, "BOM"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := s.create(tok, "/me", tc.body)
			if got := get(p, tc.path...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%v = %#v, want %#v", tc.path, got, tc.want)
			}
			if id := p["id"].(string); id == "mine" || !guidPattern.MatchString(id) {
				t.Errorf("id %q is not a new GUID", id)
			}
			read := s.do(request{path: "/beta/me/profile/positions/" + p["id"].(string), token: tok}).json(t)
			if got := get(read, tc.path...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("read back %v = %#v, want %#v", tc.path, got, tc.want)
			}
		})
	}
}

// TestBadBodies checks that bad input is a Graph error and writes nothing.
func TestBadBodies(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	existing := s.create(tok, "/me", `{"detail":{"jobTitle":"Keep"}}`)
	itemPath := "/beta/me/profile/positions/" + existing["id"].(string)

	tests := []struct {
		name    string
		body    string
		header  map[string]string
		status  int
		code    string
		message string // a fragment the message must contain
	}{
		{"unknown property", `{"foo":1}`, nil, 400, "BadRequest",
			"The property 'foo' does not exist on type 'microsoft.graph.workPosition'. Make sure to only use property names that are defined by the type or mark the type as open type."},
		{"unknown nested property", `{"detail":{"company":{"bar":1}}}`, nil, 400, "BadRequest",
			"The property 'bar' does not exist on type 'microsoft.graph.companyDetail'. Make sure to only use property names that are defined by the type or mark the type as open type."},
		{"number for jobTitle", `{"detail":{"jobTitle":5}}`, nil, 400, "BadRequest", "'jobTitle'"},
		{"string for isCurrent", `{"isCurrent":"yes"}`, nil, 400, "BadRequest", "'isCurrent'"},
		{"bad allowedAudiences", `{"allowedAudiences":"world"}`, nil, 400, "BadRequest", "'allowedAudiences'"},
		{"bad relationship", `{"manager":{"relationship":"boss"}}`, nil, 400, "BadRequest", "'relationship'"},
		{"bad address type", `{"detail":{"company":{"address":{"type":"work"}}}}`, nil, 400, "BadRequest", "'type'"},
		{"date with time", `{"detail":{"startMonthYear":"2019-06-01T00:00:00Z"}}`, nil, 400, "BadRequest", "'startMonthYear'"},
		{"not a date", `{"detail":{"endMonthYear":"June 2019"}}`, nil, 400, "BadRequest", "'endMonthYear'"},
		// The reference's Edm.Date and nested types, each refusal in full.
		{"the docs' date placeholder", `{"detail":{"startMonthYear":"datetime-value"}}`, nil, 400, "BadRequest",
			"Invalid value 'datetime-value' for property 'startMonthYear' of type 'microsoft.graph.positionDetail': expected an Edm.Date in the form YYYY-MM-DD."},
		{"a month without its day", `{"detail":{"endMonthYear":"2019-06"}}`, nil, 400, "BadRequest",
			"Invalid value '2019-06' for property 'endMonthYear' of type 'microsoft.graph.positionDetail': expected an Edm.Date in the form YYYY-MM-DD."},
		{"a day the calendar lacks", `{"detail":{"endMonthYear":"1900-02-29"}}`, nil, 400, "BadRequest",
			"Invalid value '1900-02-29' for property 'endMonthYear' of type 'microsoft.graph.positionDetail': expected an Edm.Date in the form YYYY-MM-DD."},
		{"year zero", `{"detail":{"startMonthYear":"0000-12-31"}}`, nil, 400, "BadRequest",
			"Invalid value '0000-12-31' for property 'startMonthYear' of type 'microsoft.graph.positionDetail': expected an Edm.Date in the form YYYY-MM-DD."},
		{"a date as a number", `{"detail":{"startMonthYear":20190601}}`, nil, 400, "BadRequest",
			"Invalid value for property 'startMonthYear' of type 'microsoft.graph.positionDetail': expected a JSON string (Edm.Date), found a number."},
		{"int32 past its range", `{"detail":{"layer":2147483648}}`, nil, 400, "BadRequest",
			"Invalid value 2147483648 for property 'layer' of type 'microsoft.graph.positionDetail': expected an Edm.Int32, a whole number from -2147483648 to 2147483647."},
		{"int32 as a string", `{"detail":{"layer":"3"}}`, nil, 400, "BadRequest",
			"Invalid value for property 'layer' of type 'microsoft.graph.positionDetail': expected a JSON number (Edm.Int32), found a string."},
		{"double as a string", `{"inference":{"confidenceScore":"0.5"}}`, nil, 400, "BadRequest",
			"Invalid value for property 'confidenceScore' of type 'microsoft.graph.inferenceData': expected a JSON number (Edm.Double), found a string."},
		{"allowedAudiences in full", `{"allowedAudiences":"Organization"}`, nil, 400, "BadRequest",
			"Invalid value 'Organization' for property 'allowedAudiences' of type 'microsoft.graph.workPosition': expected one of me, family, contacts, groupMembers, organization, federatedOrganizations, everyone, unknownFutureValue, or a comma-separated combination of them."},
		{"relationship in full", `{"colleagues":[{"relationship":"boss"}]}`, nil, 400, "BadRequest",
			"Invalid value 'boss' for property 'relationship' of type 'microsoft.graph.relatedPerson': expected one of manager, colleague, directReport, dotLineReport, assistant, dotLineManager, alternateContact, friend, spouse, sibling, child, parent, sponsor, emergencyContact, other, unknownFutureValue."},
		{"address type in full", `{"detail":{"company":{"address":{"type":"Home"}}}}`, nil, 400, "BadRequest",
			"Invalid value 'Home' for property 'type' of type 'microsoft.graph.physicalAddress': expected one of unknown, home, business, other."},
		{"unknown positionDetail property", `{"detail":{"title":"x"}}`, nil, 400, "BadRequest",
			"The property 'title' does not exist on type 'microsoft.graph.positionDetail'. Make sure to only use property names that are defined by the type or mark the type as open type."},
		// The docs name profileSourceAnnotation's first field id; the CSDL
		// (which wins) names it sourceId.
		{"the docs' id of a source annotation", `{"sources":[{"id":"4ce763dd-9214-4eff-af7c-da491cc3782d"}]}`, nil, 400, "BadRequest",
			"The property 'id' does not exist on type 'microsoft.graph.profileSourceAnnotation'. Make sure to only use property names that are defined by the type or mark the type as open type."},
		{"null among colleagues", `{"colleagues":[{"displayName":"Ann"},null]}`, nil, 400, "BadRequest",
			"The collection property 'colleagues' of type 'microsoft.graph.workPosition' cannot contain null."},
		{"null in source's type", `{"source":{"type":["a",null]}}`, nil, 400, "BadRequest",
			"The collection property 'type' of type 'microsoft.graph.personDataSources' cannot contain null."},
		{"an object for a collection", `{"colleagues":{"displayName":"Ann"}}`, nil, 400, "BadRequest",
			"Invalid value for property 'colleagues' of type 'microsoft.graph.workPosition': expected a JSON array (Collection(microsoft.graph.relatedPerson)), found an object."},
		{"an array for a complex value", `{"manager":[]}`, nil, 400, "BadRequest",
			"Invalid value for property 'manager' of type 'microsoft.graph.workPosition': expected a JSON object (microsoft.graph.relatedPerson), found an array."},
		{"wrong @odata.type", `{"@odata.type":"#microsoft.graph.educationalActivity"}`, nil, 400, "BadRequest", "microsoft.graph.educationalActivity"},
		{"wrong nested @odata.type", `{"manager":{"@odata.type":"#microsoft.graph.user"}}`, nil, 400, "BadRequest", "microsoft.graph.relatedPerson"},
		{"malformed JSON", `{"isCurrent":`, nil, 400, "BadRequest", "not valid JSON"},
		{"empty body", ``, map[string]string{"Content-Type": "application/json"}, 400, "BadRequest", "empty"},
		{"array body", `[]`, nil, 400, "BadRequest", "JSON object"},
		{"no Content-Type", `{}`, map[string]string{"Content-Type": ""}, 415, "unsupportedMediaType", "Content-Type"},
		{"text/plain", `{}`, map[string]string{"Content-Type": "text/plain"}, 415, "unsupportedMediaType", "text/plain"},
		{"form", `a=b`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupportedMediaType", "application/x-www-form-urlencoded"},
		{"unknown Content-Encoding", `{}`, map[string]string{"Content-Encoding": "br"}, 415, "unsupportedMediaType", "br"},
		{"gzip header but plain body", `{}`, map[string]string{"Content-Encoding": "gzip"}, 400, "BadRequest", "gzip"},
		{"gzip header, empty body", ``, map[string]string{"Content-Encoding": "gzip", "Content-Type": "application/json"}, 400, "BadRequest", "empty"},
		// gzip's header, then bytes that are no deflate data: the same
		// refusal as any broken gzip body, in the same words, never Go's.
		{"gzip header then corrupt data", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff", map[string]string{"Content-Encoding": "gzip"}, 400, "BadRequest",
			"The request body is not valid gzip data, or it ended early."},
		{"over 1 MiB", `{"categories":["` + strings.Repeat("x", 1<<20) + `"]}`, nil, 413, "requestEntityTooLarge", "1048576"},
	}
	for _, tc := range tests {
		for _, method := range []string{http.MethodPost, http.MethodPatch} {
			t.Run(tc.name+"/"+method, func(t *testing.T) {
				path := "/beta/me/profile/positions"
				if method == http.MethodPatch {
					path = itemPath
				}
				resp := s.do(request{method: method, path: path, token: tok, body: tc.body, header: tc.header})
				msg := expectError(t, resp, tc.status, tc.code)
				if !strings.Contains(msg, tc.message) {
					t.Errorf("message %q does not contain %q", msg, tc.message)
				}
			})
		}
	}
	// Nothing was written: one position, unchanged.
	list := s.do(request{path: "/beta/me/profile/positions", token: tok}).json(t)
	if items := list["value"].([]any); len(items) != 1 || !reflect.DeepEqual(items[0].(map[string]any)["lastModifiedDateTime"], existing["lastModifiedDateTime"]) ||
		get(items[0], "detail", "jobTitle") != "Keep" {
		t.Errorf("a refused request changed the profile: %v", list)
	}
}

func TestBodyEncodingsAndLimits(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	path := "/beta/me/profile/positions"

	t.Run("Content-Type with parameters", func(t *testing.T) {
		resp := s.do(request{method: http.MethodPost, path: path, token: tok, body: `{"isCurrent":true}`,
			header: map[string]string{"Content-Type": "Application/JSON; charset=utf-8; odata.metadata=minimal"}})
		if resp.status != http.StatusCreated {
			t.Fatalf("status %d: %s", resp.status, resp.body)
		}
	})
	// RFC 9110 15.5.16: a 415 for a content coding the server does not
	// take says, in Accept-Encoding, which it takes (gzip; x-gzip is its
	// alias and identity is always taken); a 415 for the media type does
	// not.
	t.Run("unknown Content-Encoding names gzip in Accept-Encoding", func(t *testing.T) {
		for _, req := range []request{
			{method: http.MethodPost, path: path, token: tok, body: `{}`, header: map[string]string{"Content-Encoding": "br"}},
			{method: http.MethodPost, path: "/beta/$batch", token: tok, body: `{"requests":[]}`, header: map[string]string{"Content-Encoding": "deflate"}},
			{method: http.MethodPatch, path: "/beta/me", token: tok, body: `{}`, header: map[string]string{"Content-Encoding": "zstd"}},
		} {
			resp := s.do(req)
			msg := expectError(t, resp, http.StatusUnsupportedMediaType, "unsupportedMediaType")
			if want := "The content encoding '" + req.header["Content-Encoding"] + "' is not supported; send the body plain or gzip-compressed."; msg != want {
				t.Errorf("%s %s: message %q, want %q", req.method, req.path, msg, want)
			}
			if got := resp.header.Values("Accept-Encoding"); len(got) != 1 || got[0] != "gzip" {
				t.Errorf("%s %s with Content-Encoding %s: Accept-Encoding %q, want \"gzip\"", req.method, req.path, req.header["Content-Encoding"], got)
			}
		}
		resp := s.do(request{method: http.MethodPost, path: path, token: tok, body: `{}`, header: map[string]string{"Content-Type": "text/plain"}})
		if msg := expectError(t, resp, http.StatusUnsupportedMediaType, "unsupportedMediaType"); msg != "The content type 'text/plain' is not supported; this request needs 'application/json'." {
			t.Errorf("a text/plain body: message %q", msg)
		}
		if got := resp.header.Get("Accept-Encoding"); got != "" {
			t.Errorf("a 415 for the media type: Accept-Encoding %q, want none", got)
		}
	})
	// RFC 9110 5.3: field lines of one name are one list. Content-Encoding
	// split over two lines was read from its first alone (gzip, then br:
	// stored), and of two Content-Types the first counted.
	t.Run("headers over several lines", func(t *testing.T) {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write([]byte(`{"isCurrent":true}`))
		zw.Close()
		for _, tt := range []struct {
			name  string
			lines http.Header
			code  string
			msg   string
		}{
			{"gzip then br", http.Header{"Content-Encoding": {"gzip", "br"}}, "unsupportedMediaType", "The content encoding 'gzip, br' is not supported; send the body plain or gzip-compressed."},
			{"identity then gzip", http.Header{"Content-Encoding": {"identity", "gzip"}}, "unsupportedMediaType", "The content encoding 'identity, gzip' is not supported; send the body plain or gzip-compressed."},
			{"two Content-Types", http.Header{"Content-Type": {"application/json", "text/plain"}}, "unsupportedMediaType", "The Content-Type header is given more than once; this request needs one, 'application/json'."},
		} {
			before := len(s.do(request{path: path, token: tok}).json(t)["value"].([]any))
			req := request{method: http.MethodPost, path: path, token: tok, body: gz.String(), headerLines: tt.lines}
			if tt.lines.Get("Content-Type") != "" {
				// Only the lines given: not the harness's own Content-Type
				// besides them.
				req.body = `{"isCurrent":true}`
				req.header = map[string]string{"Content-Type": ""}
			}
			resp := s.do(req)
			if msg := expectError(t, resp, http.StatusUnsupportedMediaType, tt.code); msg != tt.msg {
				t.Errorf("%s: message %q, want %q", tt.name, msg, tt.msg)
			}
			if after := len(s.do(request{path: path, token: tok}).json(t)["value"].([]any)); after != before {
				t.Errorf("%s: %d positions after the refusal, %d before", tt.name, after, before)
			}
		}
		// identity alone is no encoding at all: the body is taken as sent.
		resp := s.do(request{method: http.MethodPost, path: path, token: tok, body: `{"isCurrent":true}`, header: map[string]string{"Content-Encoding": "identity"}})
		if resp.status != http.StatusCreated || resp.json(t)["isCurrent"] != true {
			t.Errorf("Content-Encoding: identity: %d %s, want 201", resp.status, resp.body)
		}
	})
	t.Run("gzip body", func(t *testing.T) {
		resp := s.do(request{method: http.MethodPost, path: path, token: tok, body: readTestdata(t, "seed/create-request.json"), gzipped: true})
		if resp.status != http.StatusCreated {
			t.Fatalf("status %d: %s", resp.status, resp.body)
		}
		if got := get(resp.json(t), "detail", "jobTitle"); got != "Senior Product Branding Manager II" {
			t.Errorf("jobTitle %v", got)
		}
		id := resp.json(t)["id"].(string)
		resp = s.do(request{method: http.MethodPatch, path: path + "/" + id, token: tok, body: `{"isCurrent":false}`, gzipped: true})
		if resp.status != http.StatusOK || resp.json(t)["isCurrent"] != false {
			t.Fatalf("gzipped PATCH: %d %s", resp.status, resp.body)
		}
	})
	// x-gzip is gzip's alias (RFC 9110 8.4.1.3), taken as gzip is.
	t.Run("x-gzip body", func(t *testing.T) {
		resp := s.do(request{method: http.MethodPost, path: path, token: tok, body: `{"detail":{"jobTitle":"Zipped"}}`, gzipped: true,
			header: map[string]string{"Content-Encoding": "X-GZIP"}})
		if resp.status != http.StatusCreated || get(resp.json(t), "detail", "jobTitle") != "Zipped" {
			t.Fatalf("status %d: %s", resp.status, resp.body)
		}
	})
	t.Run("exactly 1 MiB is accepted", func(t *testing.T) {
		// Valid values are far smaller (each has its limit): JSON whitespace fills the rest.
		body := `{"isCurrent":true}`
		body += strings.Repeat(" ", 1<<20-len(body))
		resp := s.do(request{method: http.MethodPost, path: path, token: tok, body: body})
		if resp.status != http.StatusCreated {
			t.Fatalf("status %d: %.200s", resp.status, resp.body)
		}
		before := len(s.do(request{path: path, token: tok}).json(t)["value"].([]any))
		if msg := expectError(t, s.do(request{method: http.MethodPost, path: path, token: tok, body: body + " "}), http.StatusRequestEntityTooLarge, "requestEntityTooLarge"); msg != "The request body is larger than the limit of 1048576 bytes." {
			t.Errorf("a body of 1 MiB and a byte: message %q", msg)
		}
		if after := len(s.do(request{path: path, token: tok}).json(t)["value"].([]any)); after != before {
			t.Errorf("%d positions after a refused body, were %d", after, before)
		}
	})
	t.Run("gzip bomb over 1 MiB decompressed", func(t *testing.T) {
		body := `{"categories":["` + strings.Repeat("x", 8<<20) + `"]}`
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte(body))
		_ = zw.Close()
		if buf.Len() > 1<<16 {
			t.Fatalf("compressed bomb is %d bytes", buf.Len())
		}
		before := len(s.do(request{path: path, token: tok}).json(t)["value"].([]any))
		resp := s.do(request{method: http.MethodPost, path: path, token: tok, body: body, gzipped: true})
		if msg := expectError(t, resp, http.StatusRequestEntityTooLarge, "requestEntityTooLarge"); msg != "The request body is larger than the limit of 1048576 bytes." {
			t.Errorf("a gzip bomb: message %q", msg)
		}
		if after := len(s.do(request{path: path, token: tok}).json(t)["value"].([]any)); after != before {
			t.Errorf("%d positions after a refused bomb, were %d", after, before)
		}
	})
}

// TestPatchMerges checks OData 4.01 §11.4.3 merge semantics end to end.
func TestPatchMerges(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	initial := `{"detail":{"jobTitle":"Old","role":"dev","company":{"displayName":"Contoso","address":{"city":"Oslo","street":"Main 1"}}},` +
		`"categories":["a","b"],"manager":{"displayName":"Boss"},"isCurrent":true,"allowedAudiences":"everyone",` +
		`"colleagues":[{"displayName":"Ann","relationship":"colleague"},{"displayName":"Bob"}]}`
	tests := []struct {
		name  string
		patch string
		check map[string]any // path "a/b" -> value after the patch
	}{
		{"absent properties keep their values", `{"isCurrent":false}`, map[string]any{
			"isCurrent": false, "detail/jobTitle": "Old", "categories": []any{"a", "b"}, "manager/displayName": "Boss", "allowedAudiences": "everyone"}},
		{"nested merge keeps detail.company", `{"detail":{"jobTitle":"X"}}`, map[string]any{
			"detail/jobTitle": "X", "detail/role": "dev", "detail/company/displayName": "Contoso", "detail/company/address/city": "Oslo"}},
		{"deep merge", `{"detail":{"company":{"address":{"city":"Bergen"}}}}`, map[string]any{
			"detail/company/address/city": "Bergen", "detail/company/address/street": "Main 1", "detail/company/displayName": "Contoso", "detail/jobTitle": "Old"}},
		{"collection replaced whole", `{"categories":["c"]}`, map[string]any{"categories": []any{"c"}}},
		{"null clears a property", `{"isCurrent":null,"categories":null}`, map[string]any{"isCurrent": nil, "categories": nil, "detail/jobTitle": "Old"}},
		{"null clears a whole complex value", `{"detail":null}`, map[string]any{"detail": nil, "manager/displayName": "Boss"}},
		{"null inside a complex value", `{"detail":{"company":{"address":null}}}`, map[string]any{
			"detail/company/address": nil, "detail/company/displayName": "Contoso", "detail/jobTitle": "Old"}},
		{"set a complex value that was unset", `{"inference":{"confidenceScore":0.5}}`, map[string]any{
			"inference/confidenceScore": 0.5, "inference/userHasVerifiedAccuracy": nil}},
		// OData 4.01 11.4.9.4: a collection of complex values has no item
		// identity; what is sent replaces it whole, never merged item by item.
		// docs/decisions.md: "An empty object for a complex property".
		{"an empty complex value merges nothing", `{"detail":{"company":{}}}`, map[string]any{
			"detail/jobTitle": "Old", "detail/company/displayName": "Contoso", "detail/company/address/city": "Oslo"}},
		{"an empty complex value sets one that was null", `{"inference":{}}`, map[string]any{
			"inference": map[string]any{"confidenceScore": nil, "userHasVerifiedAccuracy": nil}}},
		{"collection of complex values replaced whole", `{"colleagues":[{"relationship":"manager"}]}`, map[string]any{
			"colleagues": []any{map[string]any{"displayName": nil, "relationship": "manager", "userId": nil, "userPrincipalName": nil}},
			"categories": []any{"a", "b"}}},
		{"empty collections stay empty, not null", `{"categories":[],"colleagues":[]}`, map[string]any{
			"categories": []any{}, "colleagues": []any{}, "manager/displayName": "Boss"}},
		{"a single complex value merges", `{"manager":{"relationship":"manager"}}`, map[string]any{
			"manager/displayName": "Boss", "manager/relationship": "manager", "manager/userId": nil}},
		{"null for one nested property", `{"detail":{"jobTitle":null}}`, map[string]any{
			"detail/jobTitle": nil, "detail/role": "dev", "detail/company/displayName": "Contoso"}},
		{"a date merges as sent", `{"detail":{"startMonthYear":"2020-03-17"}}`, map[string]any{
			"detail/startMonthYear": "2020-03-17", "detail/endMonthYear": nil, "detail/jobTitle": "Old"}},
		// docs/decisions.md: "A PATCH with null clears it" (the create's
		// default is not applied again).
		{"null clears allowedAudiences", `{"allowedAudiences":null}`, map[string]any{"allowedAudiences": nil, "isCurrent": true}},
		{"the older source form converts", `{"source":{"type":"Contoso HR"}}`, map[string]any{"source/type": []any{"Contoso HR"}}},
		{"an empty body changes nothing", `{}`, map[string]any{
			"isCurrent": true, "allowedAudiences": "everyone", "categories": []any{"a", "b"}, "detail/jobTitle": "Old",
			"detail/company/address/street": "Main 1", "manager/displayName": "Boss", "inference": nil,
			"colleagues": []any{
				map[string]any{"displayName": "Ann", "relationship": "colleague", "userId": nil, "userPrincipalName": nil},
				map[string]any{"displayName": "Bob", "relationship": nil, "userId": nil, "userPrincipalName": nil}}}},
		{"annotations change nothing", `{"@odata.type":"#microsoft.graph.workPosition","detail":{"@odata.type":"#microsoft.graph.positionDetail"},"isCurrent@odata.type":"#Boolean"}`, map[string]any{
			"isCurrent": true, "detail/jobTitle": "Old", "detail/company/displayName": "Contoso"}},
		{"server-managed values are ignored", `{"id":"x","createdDateTime":"2000-01-01T00:00:00Z","createdBy":null}`, map[string]any{
			"createdBy/user/id": userA1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			created := s.create(tok, "/me", initial)
			id := created["id"].(string)
			resp := s.do(request{method: http.MethodPatch, path: "/beta/me/profile/positions/" + id, token: tok, body: tc.patch})
			if resp.status != http.StatusOK {
				t.Fatalf("PATCH: %d %s", resp.status, resp.body)
			}
			for _, got := range []map[string]any{resp.json(t), s.do(request{path: "/beta/me/profile/positions/" + id, token: tok}).json(t)} {
				for path, want := range tc.check {
					if v := get(got, strings.Split(path, "/")...); !reflect.DeepEqual(v, want) {
						t.Errorf("%s = %#v, want %#v", path, v, want)
					}
				}
				if got["id"] != id || got["createdDateTime"] != created["createdDateTime"] || !reflect.DeepEqual(got["createdBy"], created["createdBy"]) {
					t.Errorf("PATCH changed id, createdDateTime or createdBy: %v", got)
				}
			}
		})
	}
}

// TestLastModifiedBy checks that an update by another caller changes
// lastModifiedBy (to an application's identity here) but not createdBy.
func TestLastModifiedBy(t *testing.T) {
	s := newTestServer(t)
	owner := s.delegated(tenantA, userA1, "User.ReadWrite")
	created := s.create(owner, "/me", `{}`)
	app := s.application(tenantA, "User.ReadWrite.All")
	resp := s.do(request{method: http.MethodPatch, path: "/beta/users/" + userA1 + "/profile/positions/" + created["id"].(string), token: app, body: `{"isCurrent":true}`})
	if resp.status != http.StatusOK {
		t.Fatalf("PATCH by app: %d %s", resp.status, resp.body)
	}
	got := resp.json(t)
	want := map[string]any{"application": map[string]any{"id": appID, "displayName": "Test App"}, "device": nil, "user": nil}
	if !reflect.DeepEqual(got["lastModifiedBy"], want) {
		t.Errorf("lastModifiedBy = %v, want %v", got["lastModifiedBy"], want)
	}
	if !reflect.DeepEqual(got["createdBy"], created["createdBy"]) {
		t.Errorf("createdBy changed: %v", got["createdBy"])
	}
}
