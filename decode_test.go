package graphprofile

import (
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeBodySeed(t *testing.T) {
	data, err := os.ReadFile("testdata/seed/create-request.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBody(WorkPositionType, data)
	if err != nil {
		t.Fatal(err)
	}
	want := Object{
		"detail": Object{
			"company": Object{
				"displayName":    "Adventureworks Ltd.",
				"department":     "Consulting",
				"officeLocation": "AW23/344",
				"address": Object{
					"type":            "business",
					"street":          "123 Patriachy Ponds",
					"city":            "Moscow",
					"countryOrRegion": "Russian Federation",
					"postalCode":      "RU-34621",
				},
				"webUrl": "https://www.adventureworks.com",
			},
			"jobTitle": "Senior Product Branding Manager II",
			"role":     "consulting",
		},
		"isCurrent": true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded seed request:\n got %#v\nwant %#v", got, want)
	}
}

func TestDecodeBodyValues(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Object
	}{
		{"empty object", `{}`, Object{}},
		{"null clears", `{"detail":null,"isCurrent":null}`, Object{"detail": nil, "isCurrent": nil}},
		{"flags enum single", `{"allowedAudiences":"everyone"}`, Object{"allowedAudiences": "everyone"}},
		{"flags enum combination canonical order", `{"allowedAudiences":"groupMembers,contacts,contacts"}`, Object{"allowedAudiences": "contacts,groupMembers"}},
		// me is the member of value 0: with others it adds nothing, alone it is the value 0.
		{"flags enum zero member in a combination", `{"allowedAudiences":"everyone,me,family"}`, Object{"allowedAudiences": "family,everyone"}},
		{"flags enum zero member alone", `{"allowedAudiences":"me,me"}`, Object{"allowedAudiences": "me"}},
		// OData's enumValue: a member's name or its value, written as the
		// integer in a string ("4", as Graph's own facet service answered).
		{"enum by its value", `{"colleagues":[{"relationship":"2"}],"detail":{"company":{"address":{"type":"+2"}}}}`,
			Object{"colleagues": []any{Object{"relationship": "directReport"}}, "detail": Object{"company": Object{"address": Object{"type": "business"}}}}},
		{"flags enum by its value", `{"allowedAudiences":"10"}`, Object{"allowedAudiences": "contacts,organization"}},
		{"flags enum value 0", `{"allowedAudiences":"0"}`, Object{"allowedAudiences": "me"}},
		{"flags enum names and values mixed", `{"allowedAudiences":"32,family,1"}`, Object{"allowedAudiences": "family,everyone"}},
		{"enum in collection", `{"colleagues":[{"displayName":"Ann","relationship":"colleague"}]}`,
			Object{"colleagues": []any{Object{"displayName": "Ann", "relationship": "colleague"}}}},
		{"dates", `{"detail":{"startMonthYear":"2019-06-01","endMonthYear":"2024-02-29"}}`,
			Object{"detail": Object{"startMonthYear": Date("2019-06-01"), "endMonthYear": Date("2024-02-29")}}},
		{"int32 and double", `{"detail":{"layer":-3},"inference":{"confidenceScore":0.25,"userHasVerifiedAccuracy":false}}`,
			Object{"detail": Object{"layer": int64(-3)}, "inference": Object{"confidenceScore": 0.25, "userHasVerifiedAccuracy": false}}},
		{"double from integer literal", `{"inference":{"confidenceScore":1}}`, Object{"inference": Object{"confidenceScore": 1.0}}},
		{"int32 bounds", `{"detail":{"layer":2147483647}}`, Object{"detail": Object{"layer": int64(math.MaxInt32)}}},
		{"source in the schema's form", `{"source":{"type":["User"]}}`, Object{"source": Object{"type": []any{"User"}}}},
		{"source in the older single form", `{"source":{"type":"User"}}`, Object{"source": Object{"type": []any{"User"}}}},
		{"source in the older form with its own @odata.type", `{"source":{"@odata.type":"#microsoft.graph.personDataSource","type":"User"}}`, Object{"source": Object{"type": []any{"User"}}}},
		{"source with the older type's short name", `{"source":{"@odata.type":"#graph.personDataSource","type":["User"]}}`, Object{"source": Object{"type": []any{"User"}}}},
		{"source with its Prod type", `{"source":{"@odata.type":"#microsoft.graph.personDataSources","type":["User"]}}`, Object{"source": Object{"type": []any{"User"}}}},
		{"empty collection", `{"categories":[]}`, Object{"categories": []any{}}},
		{"string escapes", `{"categories":["a\"b\\c\/d\n\u00e9\ud83d\ude00"]}`, Object{"categories": []any{"a\"b\\c/d\né😀"}}},
		{"lone surrogate becomes U+FFFD", `{"categories":["\ud800x"]}`, Object{"categories": []any{"\uFFFDx"}}},
		{"server-managed properties are ignored", `{"id":"mine","createdDateTime":"2001-01-01T00:00:00Z","createdBy":{"user":{"id":"x"}},"lastModifiedDateTime":5,"lastModifiedBy":null,"isCurrent":false}`,
			Object{"isCurrent": false}},
		{"@odata.type of the entity", `{"@odata.type":"#microsoft.graph.workPosition","isCurrent":true}`, Object{"isCurrent": true}},
		{"@odata.type alias form", `{"@odata.type":"#graph.workPosition"}`, Object{}},
		{"@odata.type of nested types", `{"detail":{"@odata.type":"#microsoft.graph.positionDetail","company":{"@odata.type":"microsoft.graph.companyDetail","address":{"@odata.type":"#microsoft.graph.physicalAddress","city":"Oslo"}}}}`,
			Object{"detail": Object{"company": Object{"address": Object{"city": "Oslo"}}}}},
		{"other annotations are ignored", `{"@odata.context":"x","@odata.etag":"W/1","isCurrent@odata.type":"#Boolean","@custom.note":{"a":[1,2]},"isCurrent":true}`,
			Object{"isCurrent": true}},
		{"whitespace everywhere", " \n\t{ \"isCurrent\" :\ttrue\r\n } \n", Object{"isCurrent": true}},
		{"short escapes", `{"categories":["\b\f\r\t"]}`, Object{"categories": []any{"\b\f\r\t"}}},
		{"high surrogate before a non-surrogate escape", `{"categories":["\ud800\u0041"]}`, Object{"categories": []any{"\uFFFDA"}}},
		// Each empty object's level ends with it: seventy of them in a row
		// are one level deep, not seventy.
		{"seventy empty objects", `{"colleagues":[` + strings.TrimSuffix(strings.Repeat(`{},`, 70), ",") + `]}`,
			Object{"colleagues": func() []any {
				objects := make([]any, 70)
				for i := range objects {
					objects[i] = Object{}
				}
				return objects
			}()}},
		{"isSearchable and sources", `{"isSearchable":true,"sources":[{"sourceId":"s1","isDefaultSource":true,"properties":["detail"]}]}`,
			Object{"isSearchable": true, "sources": []any{Object{"sourceId": "s1", "isDefaultSource": true, "properties": []any{"detail"}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeBody(WorkPositionType, []byte(tc.body))
			if err != nil {
				t.Fatalf("DecodeBody(%s): %v", tc.body, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("DecodeBody(%s)\n got %#v\nwant %#v", tc.body, got, tc.want)
			}
		})
	}
}

func TestDecodeBodyErrors(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantMessage string // the whole message when exact, else a fragment
		exact       bool
	}{
		{"unknown property", `{"foo":1}`,
			"The property 'foo' does not exist on type 'microsoft.graph.workPosition'. Make sure to only use property names that are defined by the type or mark the type as open type.", true},
		{"unknown nested property", `{"detail":{"company":{"address":{"zip":"1"}}}}`,
			"The property 'zip' does not exist on type 'microsoft.graph.physicalAddress'. Make sure to only use property names that are defined by the type or mark the type as open type.", true},
		{"unknown property in a collection item", `{"colleagues":[{"name":"x"}]}`,
			"The property 'name' does not exist on type 'microsoft.graph.relatedPerson'.", false},
		{"number for a string", `{"detail":{"jobTitle":5}}`, "'jobTitle' of type 'microsoft.graph.positionDetail': expected a JSON string (Edm.String), found a number", false},
		{"string for a boolean", `{"isCurrent":"true"}`, "'isCurrent'", false},
		{"object for a string", `{"detail":{"role":{}}}`, "'role'", false},
		{"array for a complex", `{"detail":[]}`, "'detail'", false},
		{"string for a collection", `{"categories":"a"}`,
			"Invalid value for property 'categories' of type 'microsoft.graph.workPosition': expected a JSON array (Collection(Edm.String)), found a string.", true},
		{"number in a string collection", `{"categories":["a",1]}`, "'categories'", false},
		{"null in a collection", `{"categories":[null]}`, "'categories'", false},
		{"bad enum", `{"allowedAudiences":"organisation"}`, "Invalid value 'organisation' for property 'allowedAudiences'", false},
		{"bad flags enum names its combinations", `{"allowedAudiences":"organisation"}`, "expected one of me, family, contacts, groupMembers, organization, federatedOrganizations, everyone, unknownFutureValue, or a comma-separated combination of them.", false},
		{"enum case matters", `{"allowedAudiences":"Organization"}`, "'allowedAudiences'", false},
		{"enum case matters, not flags", `{"colleagues":[{"relationship":"Manager"}]}`, "Invalid value 'Manager' for property 'relationship'", false},
		{"empty enum", `{"allowedAudiences":""}`, "'allowedAudiences'", false},
		{"enum combination with a bad member", `{"allowedAudiences":"contacts,nobody"}`, "'allowedAudiences'", false},
		{"enum combination with spaces", `{"allowedAudiences":"contacts, family"}`, "'allowedAudiences'", false},
		{"flags only for flags enums", `{"colleagues":[{"relationship":"manager,colleague"}]}`, "'relationship'", false},
		{"bad address type", `{"detail":{"company":{"address":{"type":"office"}}}}`, "'type' of type 'microsoft.graph.physicalAddress'", false},
		{"enum as number", `{"allowedAudiences":8}`, "'allowedAudiences'", false},
		{"enum value no member has", `{"colleagues":[{"relationship":"16"}]}`, "Invalid value '16' for property 'relationship'", false},
		{"negative enum value", `{"colleagues":[{"relationship":"-1"}]}`, "Invalid value '-1' for property 'relationship'", false},
		{"flags enum value with an undeclared bit", `{"allowedAudiences":"136"}`, "Invalid value '136' for property 'allowedAudiences'", false},
		{"enum value with a space", `{"allowedAudiences":" 8"}`, "'allowedAudiences'", false},
		{"enum value past int64", `{"allowedAudiences":"99999999999999999999"}`, "'allowedAudiences'", false},
		{"date with time", `{"detail":{"startMonthYear":"2019-06-01T00:00:00Z"}}`, "'startMonthYear'", false},
		{"date placeholder of the docs", `{"detail":{"startMonthYear":"datetime-value"}}`, "'startMonthYear'", false},
		{"impossible date", `{"detail":{"endMonthYear":"2023-02-29"}}`, "'endMonthYear'", false},
		{"month 13", `{"detail":{"endMonthYear":"2023-13-01"}}`, "'endMonthYear'", false},
		{"year zero", `{"detail":{"endMonthYear":"0000-01-01"}}`, "'endMonthYear'", false},
		{"short date", `{"detail":{"endMonthYear":"2023-1-01"}}`, "'endMonthYear'", false},
		{"fraction for int32", `{"detail":{"layer":1.5}}`, "'layer'", false},
		{"int32 overflow", `{"detail":{"layer":2147483648}}`, "'layer'", false},
		{"double overflow", `{"inference":{"confidenceScore":1e400}}`, "'confidenceScore'", false},
		{"wrong @odata.type", `{"@odata.type":"#microsoft.graph.user"}`, "'microsoft.graph.user'", false},
		{"wrong nested @odata.type", `{"detail":{"@odata.type":"#microsoft.graph.companyDetail"}}`, "'microsoft.graph.positionDetail'", false},
		{"@odata.type not a string", `{"@odata.type":1}`, "@odata.type", false},
		{"duplicate key", `{"isCurrent":true,"isCurrent":false}`, "'isCurrent' appears more than once", false},
		{"duplicate ignored key", `{"id":"a","id":"b"}`, "'id' appears more than once", false},
		{"duplicate annotation", `{"@custom.note":1,"@custom.note":2}`, "'@custom.note' appears more than once", false},
		{"duplicate nested key", `{"detail":{"role":"a","role":"b"}}`, "'role' appears more than once", false},
		{"empty body", ``, "empty", false},
		{"whitespace body", "  \n", "empty", false},
		{"null body", `null`, "must be a JSON object", false},
		{"array body", `[]`, "must be a JSON object", false},
		{"string body", `"x"`, "must be a JSON object", false},
		{"number body", `12`, "must be a JSON object", false},
		{"truncated", `{"isCurrent":tr`, "not valid JSON", false},
		{"trailing comma", `{"isCurrent":true,}`, "not valid JSON", false},
		{"missing colon", `{"isCurrent" true}`, "not valid JSON", false},
		{"single quotes", `{'isCurrent':true}`, "not valid JSON", false},
		{"trailing data", `{"isCurrent":true}{}`, "not valid JSON", false},
		{"unterminated string", `{"categories":["abc`, "not valid JSON", false},
		{"control character in a string", "{\"categories\":[\"a\x01\"]}", "not valid JSON", false},
		{"unit separator in a string", "{\"categories\":[\"a\x1f\"]}", "not valid JSON: control character in a string", false},
		{"control character after an escape", "{\"categories\":[\"\\n\x01\"]}", "not valid JSON: control character in a string", false},
		{"invalid UTF-8", "{\"categories\":[\"\xff\xfe\"]}", "UTF-8", false},
		{"invalid UTF-8 after an escape", "{\"categories\":[\"\\n\xff\"]}", "UTF-8", false},
		{"bad escape", `{"categories":["\x"]}`, "not valid JSON", false},
		{"bad unicode escape", `{"categories":["\u12G4"]}`, "not valid JSON", false},
		{"leading zero", `{"detail":{"layer":01}}`, "not valid JSON: invalid number", false},
		{"letter after a number", `{"detail":{"layer":1x}}`, "not valid JSON: invalid number", false},
		{"point without digits", `{"inference":{"confidenceScore":1.}}`, "not valid JSON: invalid number", false},
		{"exponent without digits", `{"inference":{"confidenceScore":1e}}`, "not valid JSON: invalid number", false},
		{"signed exponent without digits", `{"inference":{"confidenceScore":1e+}}`, "not valid JSON: invalid number", false},
		{"bare minus", `{"detail":{"layer":-}}`, "not valid JSON", false},
		{"NaN literal", `{"inference":{"confidenceScore":NaN}}`, "not valid JSON", false},
		{"NaN string", `{"inference":{"confidenceScore":"NaN"}}`, "'confidenceScore'", false},
		{"misspelled literal", `{"isCurrent":truth}`, "not valid JSON: unexpected character 't'", false},
		{"literal run on", `{"isCurrent":trueish}`, "not valid JSON: unexpected character 't'", false},
		{"null run on", `{"detail":null0}`, "not valid JSON: unexpected character 'n'", false},
		// A character outside ASCII is named whole, not by its first byte
		// ('ï' for a byte-order mark's 0xEF, 'Ã' for an 'é').
		{"an accented letter for a value", `{"isCurrent":é}`, "not valid JSON: unexpected character 'é'", false},
		{"a byte-order mark for a value", "{\"isCurrent\":\ufefftrue}", "not valid JSON: unexpected byte-order mark (U+FEFF)", false},
		{"deeply nested annotation", `{"@x.y":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, "nested more than", false},
		{"bad JSON inside an ignored property", `{"createdBy":{"user":}}`, "not valid JSON", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeBody(WorkPositionType, []byte(tc.body))
			var gerr *Error
			if !errors.As(err, &gerr) {
				t.Fatalf("DecodeBody(%q) = %v, want an *Error", tc.body, err)
			}
			if gerr.Code != CodeBadRequest {
				t.Errorf("code = %q, want %q", gerr.Code, CodeBadRequest)
			}
			if tc.exact && gerr.Message != tc.wantMessage {
				t.Errorf("message = %q\nwant %q", gerr.Message, tc.wantMessage)
			}
			if !tc.exact && !strings.Contains(gerr.Message, tc.wantMessage) {
				t.Errorf("message = %q, want it to contain %q", gerr.Message, tc.wantMessage)
			}
		})
	}
}

// TestDecodeDateTimeOffset: an Edm.DateTimeOffset of a body is read in
// UTC, and refused past what .NET's DateTimeOffset holds (an offset of more
// than 14 hours, an instant outside the years 0001-9999 in UTC), as is a NUL
// in a string; what a store was given before those checks still reads back.
func TestDecodeDateTimeOffset(t *testing.T) {
	at := &Type{Name: "graphprofile.test", Kind: KindComplex, Properties: []Property{
		{Name: "at", Type: DateTimeOffsetType},
		{Name: "name", Type: StringType},
	}}
	for _, tc := range []struct {
		value string
		want  time.Time
		ok    bool // false: refused
	}{
		{"2024-01-01T10:00:00+14:00", time.Date(2023, 12, 31, 20, 0, 0, 0, time.UTC), true},
		{"2024-01-01T10:00:00-14:00", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), true},
		{"2024-01-01T10:00:00+14:01", time.Time{}, false},
		{"2024-01-01T10:00:00-14:01", time.Time{}, false},
		{"9999-12-31T23:59:59.9999999Z", time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.UTC), true},
		{"9999-12-31T23:59:59-00:01", time.Time{}, false}, // the year 10000 in UTC
		{"0001-01-01T00:00:00Z", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"0001-01-01T00:00:00+00:01", time.Time{}, false}, // the year 0 in UTC
		// OData's dateTimeOffsetValue leaves the seconds out, as Graph's
		// OData library reads it (in a $filter literal too).
		{"2024-01-01T10:00Z", time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC), true},
		{"2024-01-01T10:00+02:00", time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC), true},
	} {
		body := `{"at":"` + tc.value + `"}`
		got, err := DecodeBody(at, []byte(body))
		if !tc.ok {
			if want := "Invalid value '" + tc.value + "' for property 'at' of type 'graphprofile.test': expected an Edm.DateTimeOffset."; err == nil || ErrorMessage(err) != want {
				t.Errorf("DecodeBody(%s) = %v, %v; want %q", body, got, err, want)
			}
			// A store's document is read as it was written.
			if stored, err := DecodeStoredItem(at, []byte(body)); err != nil || stored["at"] == nil {
				t.Errorf("DecodeStoredItem(%s) = %v, %v; want it read", body, stored, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("DecodeBody(%s): %v", body, err)
			continue
		}
		if v, ok := got["at"].(time.Time); !ok || !v.Equal(tc.want) || v.Location() != time.UTC {
			t.Errorf("DecodeBody(%s) = %#v, want %v in UTC", body, got["at"], tc.want)
		}
	}
	body := `{"name":"a\u0000b"}`
	if _, err := DecodeBody(at, []byte(body)); err == nil || ErrorMessage(err) != "The value of property 'name' of type 'graphprofile.test' contains a NUL character (U+0000), which is not allowed." {
		t.Errorf("DecodeBody(%s): %v, want the NUL refused", body, err)
	}
	if stored, err := DecodeStoredItem(at, []byte(body)); err != nil || stored["name"] != "a\x00b" {
		t.Errorf("DecodeStoredItem(%s) = %v, %v; want the NUL read", body, stored, err)
	}
}

// TestDecodePlainBody: a body of plain JSON decodes as a Graph body does,
// except that a key with '@' is no annotation to skip but a property, one
// the type does not have.
func TestDecodePlainBody(t *testing.T) {
	plainType := &Type{Name: "graphprofile.test", Kind: KindComplex, Properties: []Property{
		{Name: "name", Type: StringType},
		{Name: "count", Type: Int32Type},
	}}
	got, err := DecodePlainBody(plainType, []byte(`{"name":"x","COUNT":2}`))
	if want := (Object{"name": "x", "count": int64(2)}); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("DecodePlainBody = %#v, %v; want %#v", got, err, want)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"name@odata.note":"y"}`, "The property 'name@odata.note' does not exist on type 'graphprofile.test'."},
		{`{"@odata.type":"#graphprofile.test"}`, "The property '@odata.type' does not exist on type 'graphprofile.test'."},
		{`{"name":"x","Name":"y"}`, "The property 'Name' appears more than once in an object of type 'graphprofile.test'."},
		{`[]`, "The request body must be a JSON object of type 'graphprofile.test'."},
		{`{"count":1.5}`, "Invalid value 1.5 for property 'count' of type 'graphprofile.test'"},
	} {
		_, err := DecodePlainBody(plainType, []byte(tc.body))
		var gerr *Error
		if !errors.As(err, &gerr) || gerr.Code != CodeBadRequest || !strings.HasPrefix(gerr.Message, tc.want) {
			t.Errorf("DecodePlainBody(%s) = %v, want a BadRequest %q", tc.body, err, tc.want)
		}
	}
	// The same annotation in a Graph body is skipped.
	if got, err := DecodeBody(plainType, []byte(`{"name@odata.note":"y"}`)); err != nil || len(got) != 0 {
		t.Errorf("DecodeBody of an annotation = %v, %v; want it skipped", got, err)
	}
}

func TestStoredPositionRoundTrip(t *testing.T) {
	created := time.Date(2020, 7, 6, 6, 34, 12, 229486800, time.UTC)
	p := Item{
		"id":                   "0fb4c1e3-c1e3-0fb4-e3c1-b40fe3c1b40f",
		"allowedAudiences":     "contacts,organization",
		"createdDateTime":      created,
		"lastModifiedDateTime": created.Add(time.Second),
		"createdBy":            Object{"user": Object{"id": "u1", "displayName": "Innocenty Popov"}},
		"lastModifiedBy":       Object{"application": Object{"id": "a1", "displayName": "App"}},
		"inference":            Object{"confidenceScore": 0.1, "userHasVerifiedAccuracy": true},
		"source":               Object{"type": []any{"User", "Sync"}},
		"categories":           []any{"x", "ü\u2028\"<>&"},
		"detail": Object{
			"layer": int64(-7), "startMonthYear": Date("2019-06-01"),
			"company": Object{"displayName": "Adventureworks", "address": Object{"type": "business"}},
		},
		"colleagues": []any{Object{"displayName": "Ann", "relationship": "colleague"}},
		"isCurrent":  false,
	}
	for _, omit := range []bool{true, false} {
		data := AppendObjectJSON(nil, WorkPositionType, Object(p), EncodeOptions{OmitNulls: omit})
		got, err := DecodeStoredItem(WorkPositionType, data)
		if err != nil {
			t.Fatalf("DecodeStoredItem(WorkPositionType, %s): %v", data, err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Errorf("OmitNulls=%v round trip:\n got %#v\nwant %#v", omit, got, p)
		}
	}
	// A null dropped while decoding still counts for the duplicate check.
	for _, doc := range []string{`{"id":"x","isCurrent":null,"isCurrent":true}`, `{"id":"x","detail":{"layer":null,"layer":1}}`} {
		if got, err := DecodeStoredItem(WorkPositionType, []byte(doc)); err == nil {
			t.Errorf("DecodeStoredItem(%s) = %v, want a duplicate property's error", doc, got)
		}
	}
}

// TestJSONReader: a document walked by its reader gives each value's kind
// and value in order; a member name twice, ignoring case, is refused in
// the decoder's words, as are malformed JSON, invalid UTF-8, nesting past
// the bound and data after the document.
func TestJSONReader(t *testing.T) {
	r := NewJSONReader([]byte(` {"a": [1, "x", null, true, {"k": "v"}], "B": "y"} `))
	var walked []string
	var read func() error
	read = func() error {
		kind := r.Next()
		walked = append(walked, kind)
		switch kind {
		case "an object":
			return r.Object("the test's object", func(name string) error {
				walked = append(walked, name+":")
				return read()
			})
		case "an array":
			return r.Array(func(i int) error { return read() })
		case "a string":
			s, err := r.String()
			walked = append(walked, s)
			return err
		}
		raw, err := r.Raw()
		walked = append(walked, string(raw))
		return err
	}
	if err := read(); err != nil {
		t.Fatal(err)
	}
	if err := r.End(); err != nil {
		t.Fatal(err)
	}
	want := "an object|a:|an array|a number|1|a string|x|null|null|a boolean|true|an object|k:|a string|v|B:|a string|y"
	if got := strings.Join(walked, "|"); got != want {
		t.Errorf("walked %s,\nwant   %s", got, want)
	}

	object := func(data string) error {
		r := NewJSONReader([]byte(data))
		err := r.Object("the test's object", func(string) error { _, err := r.Raw(); return err })
		if err == nil {
			err = r.End()
		}
		return err
	}
	for _, tc := range []struct{ data, message string }{
		{`{"a":1,"b":{"a":1,"a":2}}`, ""}, // a value read raw is the caller's business
		{`{"a":1,"A":2}`, "The property 'A' appears more than once in the test's object."},
		{`{"a":1,}`, "The request body is not valid JSON: expected a property name at offset 7."},
		{`{"a" 1}`, "The request body is not valid JSON: expected ':' after a property name at offset 5."},
		// The offset of an invalid byte is its own, not the string's end.
		{"{\"\xff\":1}", "The request body is not valid JSON: invalid UTF-8 in a string at offset 2."},
		{"{\"ab\xffcdefgh\":1}", "The request body is not valid JSON: invalid UTF-8 in a string at offset 4."},
		{"{\"a\\n\xc3\":1}", "The request body is not valid JSON: invalid UTF-8 in a string at offset 5."},
		{"{\"a\\n\xc3\\n\":1}", "The request body is not valid JSON: invalid UTF-8 in a string at offset 5."},
		{`{"a":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`, "The request body is nested more than 64 levels deep."},
		{`{"a":1} x`, "The request body is not valid JSON: unexpected data after the JSON value at offset 8."},
		{`[]`, "The request body is not valid JSON: expected an object at offset 0."},
	} {
		got := ""
		if err := object(tc.data); err != nil {
			got = ErrorMessage(err)
		}
		if got != tc.message {
			t.Errorf("%s: %q, want %q", tc.data, got, tc.message)
		}
	}
	// Body bounds a value's nesting from the value, as a body sent alone:
	// 64 levels inside an object are taken, 65 are not.
	for levels, message := range map[int]string{64: "", 65: "The request body is nested more than 64 levels deep."} {
		r := NewJSONReader([]byte(`{"a":` + strings.Repeat("[", levels) + strings.Repeat("]", levels) + `}`))
		err := r.Object("the test's object", func(string) error { _, err := r.Body(); return err })
		got := ""
		if err != nil {
			got = ErrorMessage(err)
		}
		if got != message {
			t.Errorf("Body of %d levels: %q, want %q", levels, got, message)
		}
	}
	if kind := NewJSONReader([]byte(`tru`)).Next(); kind != "" {
		t.Errorf("Next of a malformed literal: %q", kind)
	}
}

// TestParseDateTimeOffset: the one reading of an Edm.DateTimeOffset, a
// body's and a $filter literal's: RFC 3339 with an offset, the seconds
// optional (OData's dateTimeOffsetValue, as Graph's OData library pads
// them), 'T' and 'Z' in upper case (XML Schema's dateTime, which that
// library parses with); the offset kept.
func TestParseDateTimeOffset(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // RFC 3339 with the offset parsed; "" refused
	}{
		{"2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z"},
		{"2024-01-01T10:00:00.1234567+02:00", "2024-01-01T10:00:00.1234567+02:00"},
		{"2024-01-01T10:00Z", "2024-01-01T10:00:00Z"},
		{"2024-01-01T10:00-05:30", "2024-01-01T10:00:00-05:30"},
		{"2024-01-01T10Z", ""},
		{"2024-01-01T10:00", ""},
		{"2024-01-01T10:00:00", ""},
		{"2024-01-01t10:00:00Z", ""},
		{"2024-01-01T10:00:00z", ""},
		{"2024-01-01 10:00:00Z", ""},
		{"2024-01-01T10:00.5Z", ""},
		{"2024-01-01T1:00Z", ""},
		{"2024-01-01T1:00:00Z", ""},
		{"2024-01-01T9:05+01:00", ""},
		{"2024-01-01T10:00:00,5Z", ""},
		{"2024-01-01T10:00:00.Z", ""},
		{"2024-01-01T10:00:00+0100", ""},
		{"2024-01-01T10:00:00+01:00:00", ""},
		{"2024-1-01T10:00:00Z", ""},
		{"2024-01-01T10:00:60Z", ""},
		{"2024-01-01T24:00:00Z", ""},
		{"2024-02-30T10:00:00Z", ""},
		{"2024-01-01", ""},
	} {
		got, err := ParseDateTimeOffset(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("ParseDateTimeOffset(%q) = %v; want it refused", tc.in, got)
		case tc.want != "" && (err != nil || got.Format(time.RFC3339Nano) != tc.want):
			t.Errorf("ParseDateTimeOffset(%q) = %v, %v; want %s", tc.in, got.Format(time.RFC3339Nano), err, tc.want)
		}
	}
}

// TestURLLimit: a URL property (a company's webUrl) takes 2,048
// characters, the limit of Graph's URLs, and refuses 2,049.
func TestURLLimit(t *testing.T) {
	for _, tc := range []struct {
		length int
		ok     bool
	}{{2048, true}, {2049, false}} {
		url := "https://x/" + strings.Repeat("a", tc.length-len("https://x/"))
		_, err := DecodeBody(WorkPositionType, []byte(`{"detail":{"company":{"webUrl":"`+url+`"}}}`))
		if tc.ok && err != nil {
			t.Errorf("a webUrl of %d characters: %v", tc.length, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "longer than its limit of 2048 characters")) {
			t.Errorf("a webUrl of %d characters: %v, want the limit of 2048", tc.length, err)
		}
	}
}

// TestDecodeDoubleEdges: an Edm.Double too small for a float64 is 0 with
// the literal's sign, as float64 (and .NET's double) round it, and a
// negative zero keeps its sign; each is answered as it is held.
func TestDecodeDoubleEdges(t *testing.T) {
	tests := []struct {
		literal  string
		negative bool
		answered string
	}{
		{"1e-400", false, "0"},
		{"-1e-400", true, "-0"},
		{"-0", true, "-0"},
		{"-0.0e5", true, "-0"},
		{"0", false, "0"},
		{"4.9e-324", false, "5e-324"},
		{"2.4e-324", false, "0"}, // under half the least double
	}
	for _, tc := range tests {
		got, err := DecodeBody(WorkPositionType, []byte(`{"inference":{"confidenceScore":`+tc.literal+`}}`))
		if err != nil {
			t.Errorf("%s: %v", tc.literal, err)
			continue
		}
		score, ok := got["inference"].(Object)["confidenceScore"].(float64)
		if !ok || math.Signbit(score) != tc.negative {
			t.Errorf("%s decoded as %#v, want %s with sign bit %v", tc.literal, got["inference"], tc.answered, tc.negative)
		}
		if text := string(appendFloat(nil, score)); text != tc.answered {
			t.Errorf("%s answered as %s, want %s", tc.literal, text, tc.answered)
		}
	}
}
