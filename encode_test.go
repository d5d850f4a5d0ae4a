package graphprofile

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestAppendObjectJSONEmitsEveryPropertyAsNull(t *testing.T) {
	got := string(AppendObjectJSON(nil, WorkPositionType, Object{"id": "x", "detail": Object{"company": Object{}}}, EncodeOptions{
		Annotations: []Annotation{{Name: "@odata.context", Value: "ctx"}},
	}))
	want := `{"@odata.context":"ctx","id":"x","allowedAudiences":null,"inference":null,"createdDateTime":null,"createdBy":null,` +
		`"lastModifiedDateTime":null,"lastModifiedBy":null,"source":null,"sources":null,"isSearchable":null,"categories":null,` +
		`"detail":{"company":{"displayName":null,"pronunciation":null,"department":null,"officeLocation":null,"address":null,"webUrl":null,` +
		`"companyCode":null,"costCenter":null,"division":null,"secondaryDepartment":null},"description":null,"employeeId":null,` +
		`"employeeType":null,"endMonthYear":null,"jobTitle":null,"layer":null,"level":null,"role":null,"secondaryJobTitle":null,` +
		`"secondaryRole":null,"startMonthYear":null,"summary":null},"manager":null,"colleagues":null,"isCurrent":null}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestAppendObjectJSONValues(t *testing.T) {
	tests := []struct {
		name string
		obj  Object
		want string
	}{
		{"time with seven digits", Object{"createdDateTime": time.Date(2020, 7, 6, 6, 34, 12, 229486800, time.UTC)}, `{"createdDateTime":"2020-07-06T06:34:12.2294868Z"}`},
		{"whole second time", Object{"createdDateTime": time.Date(2020, 7, 6, 6, 34, 12, 0, time.FixedZone("x", 3600))}, `{"createdDateTime":"2020-07-06T05:34:12.0000000Z"}`},
		{"double", Object{"inference": Object{"confidenceScore": 0.5}}, `{"inference":{"confidenceScore":0.5}}`},
		{"whole double", Object{"inference": Object{"confidenceScore": 2.0}}, `{"inference":{"confidenceScore":2}}`},
		{"tiny double", Object{"inference": Object{"confidenceScore": 1e-9}}, `{"inference":{"confidenceScore":1e-9}}`},
		{"huge double", Object{"inference": Object{"confidenceScore": math.MaxFloat64}}, `{"inference":{"confidenceScore":1.7976931348623157e+308}}`},
		{"int32", Object{"detail": Object{"layer": int64(-2)}}, `{"detail":{"layer":-2}}`},
		{"date", Object{"detail": Object{"startMonthYear": Date("2019-06-01")}}, `{"detail":{"startMonthYear":"2019-06-01"}}`},
		{"escaping", Object{"categories": []any{"\"\\\n\r\t\x01<>&\u2028\u2029é"}}, `{"categories":["\"\\\n\r\t\u0001<>&\u2028\u2029é"]}`},
		{"empty collection", Object{"categories": []any{}}, `{"categories":[]}`},
		{"collection of objects", Object{"colleagues": []any{Object{"displayName": "A"}, Object{"userId": "b"}}}, `{"colleagues":[{"displayName":"A"},{"userId":"b"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(AppendObjectJSON(nil, WorkPositionType, tc.obj, EncodeOptions{OmitNulls: true}))
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("output is not valid JSON: %s", got)
			}
		})
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "\x00\x1f\x7f", "😀 ü", "\xff bad utf8"} {
		var decoded string
		if err := json.Unmarshal(AppendJSONString(nil, s), &decoded); err != nil {
			t.Fatalf("AppendJSONString(%q) is not JSON: %v", s, err)
		}
		want := s
		if s == "\xff bad utf8" {
			want = "\uFFFD bad utf8"
		}
		if decoded != want {
			t.Errorf("AppendJSONString(%q) decodes to %q", s, decoded)
		}
	}
}

// TestAppendObjectJSONOptions: what each of EncodeOptions changes. A
// write-only property (passwordProfile) is written only when selected, as
// null whatever the object holds; $select keeps id
// unless SelectExactly; NullWhenUnset writes null where OmitNulls would
// leave a property out; a NotNull collection that is unset is [].
func TestAppendObjectJSONOptions(t *testing.T) {
	position := Object{"id": "x", "isCurrent": true, "detail": Object{"jobTitle": "t"}}
	user := Object{"id": "u", "displayName": "U", "passwordProfile": Object{"password": "secret"}}
	for _, tc := range []struct {
		name string
		t    *Type
		obj  Object
		opts EncodeOptions
		want string
	}{
		{"select keeps id", WorkPositionType, position, EncodeOptions{Select: []string{"isCurrent"}}, `{"id":"x","isCurrent":true}`},
		{"select exactly", WorkPositionType, position, EncodeOptions{Select: []string{"isCurrent"}, SelectExactly: true}, `{"isCurrent":true}`},
		{"select exactly id", WorkPositionType, position, EncodeOptions{Select: []string{"id"}, SelectExactly: true}, `{"id":"x"}`},
		{"null when unset", WorkPositionType, Object{"id": "x"}, EncodeOptions{OmitNulls: true, NullWhenUnset: []string{"allowedAudiences"}}, `{"id":"x","allowedAudiences":null}`},
		{"write-only left out", UserType, user, EncodeOptions{OmitNulls: true}, `{"id":"u","displayName":"U"}`},
		{"write-only selected is null", UserType, user, EncodeOptions{Select: []string{"passwordProfile", "businessPhones"}, SelectExactly: true}, `{"businessPhones":[],"passwordProfile":null}`},
		{"write-only selected is null without nulls", UserType, user, EncodeOptions{Select: []string{"passwordProfile"}, SelectExactly: true, OmitNulls: true}, `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(AppendObjectJSON(nil, tc.t, tc.obj, tc.opts)); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestAppendFloatMatchesEncodingJSON: a double is written as encoding/json
// writes it, in exponent form from 1e21 and below 1e-6 only.
func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, -1e-6, 1e20, 9.99e20, 1e21, -1e21, 1.5e300, 5e-324} {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendFloat(nil, f); string(got) != string(want) {
			t.Errorf("appendFloat(%g) = %s, want %s", f, got, want)
		}
	}
}

// TestAppendJSONStringInvalidUTF8: a byte that is not UTF-8 is written as
// the escape of U+FFFD, so the output is UTF-8 whatever a string holds.
func TestAppendJSONStringInvalidUTF8(t *testing.T) {
	if got, want := string(AppendJSONString(nil, "a\xffb\xc3")), `"a\ufffdb\ufffd"`; got != want {
		t.Errorf("AppendJSONString = %s, want %s", got, want)
	}
}

// TestApproxEncodedSize: the size estimate of an item as an answer writes
// it (every property, nulls included) is within a tenth of the bytes
// AppendObjectJSON writes, for a sparse item (mostly nulls, which
// ApproxJSONSize leaves out), a full one, a collection of complex values,
// and a $select; never under four fifths of them, so a bound on estimates
// bounds what is written.
func TestApproxEncodedSize(t *testing.T) {
	now := time.Date(2020, 7, 6, 6, 34, 12, 229486800, time.UTC)
	full := Object{"id": "0fb4c1e3-c1e3-0fb4-e3c1-b40fe3c1b40f", "allowedAudiences": "organization", "createdDateTime": now, "lastModifiedDateTime": now,
		"categories": []any{"a", "b"}, "isCurrent": true,
		"detail": Object{"jobTitle": "Senior Engineer", "description": "Builds things and more things", "layer": int64(3), "startMonthYear": Date("2020-01-01"),
			"company": Object{"displayName": "Contoso", "address": Object{"city": "Redmond", "countryOrRegion": "US"}}},
		"colleagues": []any{Object{"displayName": "Ada", "userPrincipalName": "ada@contoso.com"}, Object{"displayName": "Grace"}},
		"createdBy":  Object{"user": Object{"id": "u1", "displayName": "Ada"}}}
	for _, tc := range []struct {
		name string
		obj  Object
		sel  []string
	}{
		{"sparse", Object{"id": "p1", "createdDateTime": now}, nil},
		{"empty detail", Object{"id": "p1", "detail": Object{}}, nil},
		{"full", full, nil},
		{"selected", full, []string{"id", "detail", "isCurrent"}},
		// Strings whose characters are escaped: a control character is
		// six bytes written (\u0001), a quote or backslash two, U+2028
		// six of its three. Counted as one byte each, a page bounded at
		// 4 MiB of estimates wrote 23 MB of positions of control
		// characters.
		{"control characters", Object{"id": "p1", "detail": Object{"description": strings.Repeat("\x01", 4000), "jobTitle": strings.Repeat("\x1f\n", 512)}}, nil},
		{"quotes and backslashes", Object{"id": "p1", "detail": Object{"description": strings.Repeat(`"\\`, 2000)}}, nil},
		{"line separators", Object{"id": "p1", "categories": []any{strings.Repeat("\u2028\u2029", 1000), "\xff\xfe"}}, nil},
	} {
		written := len(AppendObjectJSON(nil, WorkPositionType, tc.obj, EncodeOptions{Select: tc.sel, SelectExactly: tc.sel != nil}))
		got := ApproxEncodedSize(WorkPositionType, tc.obj, tc.sel)
		if got < written*4/5 || got > written*11/10 {
			t.Errorf("%s: estimate %d, written %d", tc.name, got, written)
		}
		if tc.sel == nil && ApproxJSONSize(tc.obj) >= written*4/5 && tc.name == "sparse" {
			t.Errorf("%s: ApproxJSONSize %d of %d written: no sparse item to show the difference", tc.name, ApproxJSONSize(tc.obj), written)
		}
	}
}
