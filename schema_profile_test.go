package graphprofile

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// csdlExtract is testdata/csdl/profile-types.json: the types of the
// profile as the beta CSDL declares them (see testdata/csdl/README.md).
type csdlExtract struct {
	EnumTypes []struct {
		Name    string `json:"name"`
		IsFlags bool   `json:"isFlags"`
		Members []struct {
			Name  string `json:"name"`
			Value int64  `json:"value"`
		} `json:"members"`
	} `json:"enumTypes"`
	Types []csdlType `json:"types"`
}

type csdlType struct {
	Name       string   `json:"name"`
	Kind       string   `json:"kind"` // "entity" or "complex"
	BaseType   string   `json:"baseType"`
	Abstract   bool     `json:"abstract"`
	Key        []string `json:"key"`
	Properties []struct {
		Name       string `json:"name"`
		Type       string `json:"type"`
		Collection bool   `json:"collection"`
		Nullable   bool   `json:"nullable"`
	} `json:"properties"`
	NavigationProperties []struct {
		Name           string `json:"name"`
		Type           string `json:"type"`
		Collection     bool   `json:"collection"`
		ContainsTarget bool   `json:"containsTarget"`
	} `json:"navigationProperties"`
}

// csdlProperty is one property of a type as the test compares it, whether
// it comes from the extract or from the schema table.
type csdlProperty struct {
	Type       string // qualified: "Edm.String", "microsoft.graph.positionDetail"
	Collection bool
	Nullable   bool
	Navigation bool // a contained navigation property
}

func loadCSDLExtract(t *testing.T) csdlExtract {
	t.Helper()
	data, err := os.ReadFile("testdata/csdl/profile-types.json")
	if err != nil {
		t.Fatal(err)
	}
	var x csdlExtract
	if err := json.Unmarshal(data, &x); err != nil {
		t.Fatal(err)
	}
	return x
}

// flattened returns the properties of the extract's type name with those of
// its base types: the table declares each type whole, as $metadata does.
func (x csdlExtract) flattened(t *testing.T, name string) map[string]csdlProperty {
	t.Helper()
	props := map[string]csdlProperty{}
	for name != "" {
		i := slices.IndexFunc(x.Types, func(ct csdlType) bool { return ct.Name == name })
		if i < 0 {
			t.Fatalf("the extract has no type %s", name)
		}
		ct := x.Types[i]
		for _, p := range ct.Properties {
			// A key is never null, whatever the CSDL's Nullable says of it.
			nullable := p.Nullable && !slices.Contains(ct.Key, p.Name)
			props[p.Name] = csdlProperty{Type: p.Type, Collection: p.Collection, Nullable: nullable}
		}
		for _, n := range ct.NavigationProperties {
			if !n.ContainsTarget {
				t.Fatalf("%s/%s is a navigation property that does not contain its target: the table has no such rows", ct.Name, n.Name)
			}
			props[n.Name] = csdlProperty{Type: n.Type, Collection: n.Collection, Nullable: true, Navigation: true}
		}
		name = ct.BaseType
	}
	return props
}

// tableProperties returns the properties of the table's type t as the test
// compares them. isEntity says t is an entity type, whose id is its key.
func tableProperties(t *Type, isEntity bool) map[string]csdlProperty {
	props := map[string]csdlProperty{}
	for _, p := range t.Properties {
		nullable := !p.NotNull && !(isEntity && p.Name == "id")
		props[p.Name] = csdlProperty{Type: p.Type.Name, Collection: p.Collection, Nullable: nullable, Navigation: p.Navigation}
	}
	return props
}

// profileTable is microsoft.graph.profile as it is once every collection is
// served: ProfileType's id and every row of facetCollections.
func profileTable() *Type {
	rows := slices.Concat([]Property{*ProfileType.Property("id")}, facetCollections)
	return &Type{Name: ProfileType.Name, Kind: KindComplex, Properties: rows}
}

// tableTypes returns every non-primitive type the table reaches from
// microsoft.graph.profile, by name.
func tableTypes() map[string]*Type {
	types := map[string]*Type{}
	var walk func(t *Type)
	walk = func(t *Type) {
		if strings.HasPrefix(t.Name, "Edm.") || types[t.Name] != nil {
			return
		}
		types[t.Name] = t
		for _, p := range t.Properties {
			walk(p.Type)
		}
	}
	walk(profileTable())
	return types
}

// TestSchemaTableIsTheCSDL holds the schema table to the extract of the beta
// CSDL, both ways: every type, property (EDM type, collection, nullable),
// navigation property, enum member and value the CSDL declares for the
// profile is in the table, and the table declares nothing else for it.
func TestSchemaTableIsTheCSDL(t *testing.T) {
	x := loadCSDLExtract(t)
	table := tableTypes()

	// The table flattens entity and itemFacet into each facet (as $metadata
	// declares them); every other type of the extract is a type of the table.
	want := map[string]bool{}
	for _, ct := range x.Types {
		if !ct.Abstract {
			want[ct.Name] = true
		}
	}
	for _, e := range x.EnumTypes {
		want[e.Name] = true
	}
	for name := range want {
		if table[name] == nil {
			t.Errorf("the CSDL's %s is not in the schema table", name)
		}
	}
	for name := range table {
		if !want[name] {
			t.Errorf("the schema table's %s is not a type of the CSDL's profile", name)
		}
	}

	for _, ct := range x.Types {
		tt := table[ct.Name]
		if ct.Abstract || tt == nil {
			continue
		}
		t.Run(ct.Name, func(t *testing.T) {
			if tt.Kind != KindComplex {
				t.Errorf("kind %v, want a structured type (KindComplex)", tt.Kind)
			}
			csdl := x.flattened(t, ct.Name)
			ours := tableProperties(tt, ct.Kind == "entity")
			for name, p := range csdl {
				got, ok := ours[name]
				switch {
				case !ok:
					t.Errorf("%s: in the CSDL, not in the table", name)
				case got != p:
					t.Errorf("%s: the table has %+v, the CSDL %+v", name, got, p)
				}
			}
			for name := range ours {
				if _, ok := csdl[name]; !ok {
					t.Errorf("%s: in the table, not in the CSDL", name)
				}
			}
		})
	}

	for _, e := range x.EnumTypes {
		tt := table[e.Name]
		if tt == nil {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			if tt.Kind != KindEnum || tt.IsFlags != e.IsFlags {
				t.Errorf("kind %v, IsFlags %v; want an enum, IsFlags %v", tt.Kind, tt.IsFlags, e.IsFlags)
			}
			if len(tt.Members) != len(e.Members) {
				t.Errorf("members %v, want %d members", tt.Members, len(e.Members))
			}
			for i, m := range e.Members {
				if i >= len(tt.Members) || tt.Members[i] != m.Name {
					t.Errorf("member %d is not %s: %v", i, m.Name, tt.Members)
					continue
				}
				if v, _ := tt.MemberValue(m.Name); v != m.Value {
					t.Errorf("%s = %d, want %d", m.Name, v, m.Value)
				}
			}
		})
	}
}

// TestFacetPropertiesInCSDLOrder: after the properties every facet inherits
// (in the positions seed's order), a facet's own properties come in the
// CSDL's order; the collections of the profile too.
func TestFacetPropertiesInCSDLOrder(t *testing.T) {
	x := loadCSDLExtract(t)
	inherited := itemFacetProperties()
	for _, c := range facetCollections {
		if c.Name == "positions" {
			continue // the seed's order (decisions.md)
		}
		t.Run(c.Name, func(t *testing.T) {
			i := slices.IndexFunc(x.Types, func(ct csdlType) bool { return ct.Name == c.Type.Name })
			if i < 0 {
				t.Fatalf("the extract has no %s", c.Type.Name)
			}
			var want []string
			for _, p := range x.Types[i].Properties {
				want = append(want, p.Name)
			}
			var got []string
			for j, p := range c.Type.Properties {
				if j < len(inherited) {
					if p != inherited[j] {
						t.Errorf("inherited property %d is %+v, want %+v", j, p, inherited[j])
					}
					continue
				}
				got = append(got, p.Name)
			}
			if !slices.Equal(got, want) {
				t.Errorf("own properties %v, want the CSDL's %v", got, want)
			}
		})
	}
	var got, want []string
	for _, c := range facetCollections {
		got = append(got, c.Name)
	}
	profile := x.Types[slices.IndexFunc(x.Types, func(ct csdlType) bool { return ct.Name == ProfileType.Name })]
	for _, n := range profile.NavigationProperties {
		want = append(want, n.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("collections %v, want the CSDL's %v", got, want)
	}
}

// TestProfileTypeServesFacetCollections: until the engine serves every
// collection, ProfileType's navigation rows are rows of facetCollections, in
// its order, so wiring them in changes no row.
func TestProfileTypeServesFacetCollections(t *testing.T) {
	next := 0
	for _, p := range ProfileType.Properties {
		if !p.Navigation {
			continue
		}
		i := slices.IndexFunc(facetCollections, func(c Property) bool { return c.Name == p.Name })
		if i < next || facetCollections[i] != p {
			t.Errorf("ProfileType's %+v is not the next row of facetCollections", p)
			continue
		}
		next = i + 1
	}
}

// TestNotNullProperties: the properties the CSDL declares Nullable="false"
// take a default when a create leaves them out, and a body setting them to
// null is refused as Graph's OData reader refuses it.
func TestNotNullProperties(t *testing.T) {
	for _, tt := range tableTypes() {
		for i := range tt.Properties {
			if p := &tt.Properties[i]; p.NotNull {
				if _, ok := NotNullDefault(p); !ok {
					t.Errorf("%s/%s is NotNull and has no NotNullDefault", tt.Name, p.Name)
				}
			}
		}
	}

	defaults := []struct {
		facet *Type
		body  Object
		want  Object
	}{
		{ItemEmailType, Object{"address": "a@contoso.com"}, Object{"address": "a@contoso.com", "type": "unknown"}},
		{ItemEmailType, Object{"type": "work"}, Object{"type": "work"}},
		{ItemPhoneType, Object{"number": "+1 555 0100"}, Object{"number": "+1 555 0100", "type": "home"}},
		{ItemPhoneType, Object{"type": "mobile"}, Object{"type": "mobile"}},
		{SkillProficiencyType, Object{"displayName": "Go"}, Object{"displayName": "Go"}},
	}
	for _, tc := range defaults {
		FillNotNullDefaults(tc.facet, tc.body)
		if len(tc.body) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.facet.Name, tc.body, tc.want)
		}
		for k, v := range tc.want {
			if tc.body[k] != v {
				t.Errorf("%s: %s = %v, want %v", tc.facet.Name, k, tc.body[k], v)
			}
		}
	}

	checks := []struct {
		facet *Type
		body  string
		error string // "" for none
	}{
		{ItemEmailType, `{"type": null}`, "A null value was found for the property named 'type', which has the expected type 'microsoft.graph.emailType[Nullable=False]'. The expected type 'microsoft.graph.emailType[Nullable=False]' does not allow null values."},
		{ItemPhoneType, `{"number": "1", "type": null}`, "A null value was found for the property named 'type', which has the expected type 'microsoft.graph.phoneType[Nullable=False]'. The expected type 'microsoft.graph.phoneType[Nullable=False]' does not allow null values."},
		{ItemEmailType, `{"displayName": null, "type": "main"}`, ""},
		{ItemPhoneType, `{"displayName": "Car Phone"}`, ""},
		{EducationalActivityType, `{"institution": {"location": null}, "program": null}`, ""},
	}
	for _, tc := range checks {
		body, err := DecodeBody(tc.facet, []byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		err = CheckNotNull(tc.facet, body)
		var gerr *Error
		switch {
		case tc.error == "" && err != nil:
			t.Errorf("%s: %v", tc.body, err)
		case tc.error != "" && err == nil:
			t.Errorf("%s: no error, want %q", tc.body, tc.error)
		case tc.error != "" && (!errors.As(err, &gerr) || gerr.Code != CodeBadRequest || gerr.Message != tc.error):
			t.Errorf("%s: %v, want BadRequest %q", tc.body, err, tc.error)
		}
	}
}

// TestDocsCreateExamplesDecode decodes the request bodies of the Graph docs'
// create examples (testdata/docs) against their facet types: each decodes,
// or fails as testdata/docs/README.md says the documented example is wrong.
func TestDocsCreateExamplesDecode(t *testing.T) {
	tests := []struct {
		collection string
		error      string // what the README says of the example; "" when it is valid
	}{
		{"skills", ""},
		{"languages", ""},
		{"webAccounts", ""},
		{"phones", ""},
		{"emails", "expected a property name"}, // a trailing comma
		{"educationalActivities", "Invalid value 'Date' for property 'completionMonthYear'"}, // "Date" is a placeholder
	}
	for _, tc := range tests {
		t.Run(tc.collection, func(t *testing.T) {
			i := slices.IndexFunc(facetCollections, func(c Property) bool { return c.Name == tc.collection })
			body, err := os.ReadFile("testdata/docs/" + tc.collection + "/create-request.json")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat("testdata/docs/" + tc.collection + "/create-response.json"); err != nil {
				t.Error(err)
			}
			_, err = DecodeBody(facetCollections[i].Type, body)
			switch {
			case tc.error == "" && err != nil:
				t.Errorf("the documented request does not decode: %v", err)
			case tc.error != "" && (err == nil || !strings.Contains(err.Error(), tc.error)):
				t.Errorf("got %v, want an error containing %q", err, tc.error)
			}
		})
	}
}

// TestCheckNotNullAtAnyDepth: a NotNull property set to null is refused
// inside a complex value and inside the items of a collection of them, as
// at the top (no type of today's schema has one nested, so a type made
// here has).
func TestCheckNotNullAtAnyDepth(t *testing.T) {
	inner := &Type{Name: "graphprofile.inner", Kind: KindComplex, Properties: []Property{{Name: "kind", Type: StringType, NotNull: true}}}
	outer := &Type{Name: "graphprofile.outer", Kind: KindComplex, Properties: []Property{
		{Name: "one", Type: inner},
		{Name: "many", Type: inner, Collection: true},
	}}
	want := "A null value was found for the property named 'kind', which has the expected type 'Edm.String[Nullable=False]'. The expected type 'Edm.String[Nullable=False]' does not allow null values."
	for _, body := range []Object{
		{"one": Object{"kind": nil}},
		{"many": []any{Object{"kind": "a"}, Object{"kind": nil}}},
	} {
		if err := CheckNotNull(outer, body); err == nil || ErrorMessage(err) != want {
			t.Errorf("CheckNotNull(%v) = %v, want %q", body, err, want)
		}
	}
	if err := CheckNotNull(outer, Object{"one": Object{"kind": "a"}, "many": []any{Object{}}}); err != nil {
		t.Errorf("CheckNotNull of values without nulls: %v", err)
	}
}

// TestInheritedFacetProperty: the properties every facet inherits are
// itemFacetProperties' and no facet's own.
func TestInheritedFacetProperty(t *testing.T) {
	for name, want := range map[string]bool{
		"id": true, "allowedAudiences": true, "inference": true, "createdDateTime": true, "createdBy": true,
		"lastModifiedDateTime": true, "lastModifiedBy": true, "source": true, "sources": true, "isSearchable": true,
		"detail": false, "isCurrent": false, "colleagues": false, "displayName": false, "ID": false, "": false,
	} {
		if got := InheritedFacetProperty(name); got != want {
			t.Errorf("InheritedFacetProperty(%q) = %v, want %v", name, got, want)
		}
	}
}
