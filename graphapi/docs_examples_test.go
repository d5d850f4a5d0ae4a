package graphapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/graphprofile/graphprofile/token"
)

// The Graph docs' user of the examples: a token for them makes createdBy
// what the documented answers show.
const (
	docsUser     = "db789417-4ccb-41d1-a0a9-47b01a09ea49"
	docsUserName = "Innocenty Popov"
)

// docsDeviation is a property of a documented answer graphprofile answers
// otherwise, on purpose (testdata/docs/README.md says why).
type docsDeviation struct {
	property string
	ours     any // what graphprofile answers instead
}

// TestDocsCreateExamples replays the Graph docs' create examples of the
// profile's facets (testdata/docs) verbatim and compares graphprofile's
// answer with the documented one field by field: every property the docs
// show has the documented value, except the server's own (id, times) and the
// documented mistakes listed here. An example that is not a valid request
// is refused as Graph refuses it, and then replayed with the mistake
// mended, so that its answer is compared too.
func TestDocsCreateExamples(t *testing.T) {
	examples := []struct {
		collection string
		// mend turns an invalid documented request into the valid one it
		// means; nil when the request is valid as documented.
		mend func(string) string
		// refused is the status the verbatim request gets, when it is
		// invalid; 0 for a valid one.
		refused int
		// message is the refusal's message, when refused.
		message    string
		deviations []docsDeviation
	}{
		{collection: "skills", deviations: []docsDeviation{{"proficiency", "generalProfessional"}}},
		{collection: "languages"},
		{collection: "webAccounts", deviations: []docsDeviation{{"webUrl", nil}}},
		{collection: "phones", deviations: []docsDeviation{{"type", "home"}}},
		{collection: "emails", refused: http.StatusBadRequest,
			message:    "The request body is not valid JSON: expected a property name at offset 53.",
			mend:       func(s string) string { return strings.Replace(s, `",`+"\n}", `"`+"\n}", 1) },
			deviations: []docsDeviation{{"type", "unknown"}}},
		{collection: "educationalActivities", refused: http.StatusBadRequest,
			message: "Invalid value 'Date' for property 'completionMonthYear' of type 'microsoft.graph.educationalActivity': expected an Edm.Date in the form YYYY-MM-DD.",
			mend:    func(s string) string { return strings.ReplaceAll(s, `"Date"`, `"2019-06-01"`) },
			deviations: []docsDeviation{
				{"completionMonthYear", "2019-06-01"}, {"endMonthYear", "2019-06-01"}, {"startMonthYear", "2019-06-01"},
			}},
	}
	s := newTestServer(t)
	tok, err := s.dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: docsUser, UserPrincipalName: "innocenty.popov@contoso.test",
		DisplayName: docsUserName, Scopes: []string{"User.ReadWrite"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range examples {
		t.Run(ex.collection, func(t *testing.T) {
			dir := filepath.Join("..", "testdata", "docs", ex.collection)
			documentedRequest, err := os.ReadFile(filepath.Join(dir, "create-request.json"))
			if err != nil {
				t.Fatal(err)
			}
			documented := readJSON(t, filepath.Join(dir, "create-response.json"))
			path := "/beta/me/profile/" + ex.collection
			body := string(documentedRequest)
			resp := s.do(request{method: http.MethodPost, path: path, token: tok, body: body})
			if ex.refused != 0 {
				if msg := expectError(t, resp, ex.refused, "BadRequest"); msg != ex.message {
					t.Errorf("the documented request refused with message %q, want %q", msg, ex.message)
				}
				body = ex.mend(body)
				resp = s.do(request{method: http.MethodPost, path: path, token: tok, body: body})
			}
			if resp.status != http.StatusCreated {
				t.Fatalf("create: %d %s", resp.status, resp.body)
			}
			ours := resp.json(t)
			if want := "/beta/$metadata#users('" + docsUser + "')/profile/" + ex.collection + "/$entity"; !strings.HasSuffix(ours["@odata.context"].(string), want) {
				t.Errorf("@odata.context %v, want …%s", ours["@odata.context"], want)
			}
			deviating := map[string]any{}
			for _, d := range ex.deviations {
				deviating[d.property] = d.ours
			}
			compared := 0
			keys := make([]string, 0, len(documented))
			for k := range documented {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, name := range keys {
				want := documented[name]
				switch name {
				case "id", "createdDateTime", "lastModifiedDateTime", "@odata.context":
					continue // the server's own values
				}
				if d, ok := deviating[name]; ok {
					want = d
				}
				got, present := ours[name]
				if !present {
					t.Errorf("%s: the documented property is missing from the answer", name)
					continue
				}
				if !reflect.DeepEqual(normalizeJSON(got), normalizeJSON(want)) {
					t.Errorf("%s = %s, documented %s", name, jsonOf(got), jsonOf(want))
				}
				compared++
			}
			if compared < 5 {
				t.Errorf("only %d properties compared", compared)
			}
			// What was created reads back as answered.
			got := s.do(request{path: path + "/" + ours["id"].(string), token: tok}).json(t)
			delete(got, "@odata.context")
			delete(ours, "@odata.context")
			if !reflect.DeepEqual(got, ours) {
				t.Errorf("read back\n%v\nanswered\n%v", got, ours)
			}
		})
	}
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// normalizeJSON makes values decoded from two JSON texts comparable.
func normalizeJSON(v any) any {
	data, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(data, &out)
	return out
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return fmt.Sprintf("%s", b) }

// TestNotNullProperties checks the CSDL's Nullable="false" properties of
// the facets (itemEmail/type, itemPhone/type): a null is refused on create
// and update, and a create that leaves one out gets the enum's zero member.
func TestNotNullProperties(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	for _, tc := range []struct{ collection, body, zero string }{
		{"emails", `{"address":"a@contoso.test"}`, "unknown"},
		{"phones", `{"number":"+1 425 555 0100"}`, "home"},
	} {
		t.Run(tc.collection, func(t *testing.T) {
			path := "/beta/me/profile/" + tc.collection
			enum := map[string]string{"emails": "emailType", "phones": "phoneType"}[tc.collection]
			nullRefused := "A null value was found for the property named 'type', which has the expected type 'microsoft.graph." + enum + "[Nullable=False]'. " +
				"The expected type 'microsoft.graph." + enum + "[Nullable=False]' does not allow null values."
			if msg := expectError(t, s.do(request{method: http.MethodPost, path: path, token: tok, body: `{"type":null}`}), http.StatusBadRequest, "BadRequest"); msg != nullRefused {
				t.Errorf("create with a null type: message %q, want %q", msg, nullRefused)
			}
			resp := s.do(request{method: http.MethodPost, path: path, token: tok, body: tc.body})
			if resp.status != http.StatusCreated || resp.json(t)["type"] != tc.zero {
				t.Fatalf("create without type: %d %s, want type %q", resp.status, resp.body, tc.zero)
			}
			id := resp.json(t)["id"].(string)
			if list := s.do(request{path: path, token: tok}).json(t)["value"].([]any); len(list) != 1 || get(list[0], "id") != id {
				t.Errorf("%s after a refused create and a create: %v, want the one created", tc.collection, list)
			}
			if msg := expectError(t, s.do(request{method: http.MethodPatch, path: path + "/" + id, token: tok, body: `{"type":null}`}), http.StatusBadRequest, "BadRequest"); msg != nullRefused {
				t.Errorf("update to a null type: message %q, want %q", msg, nullRefused)
			}
			if got := s.do(request{path: path + "/" + id, token: tok}).json(t)["type"]; got != tc.zero {
				t.Errorf("after a refused null: type %v", got)
			}
		})
	}
}
