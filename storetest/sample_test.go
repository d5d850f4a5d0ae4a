package storetest_test

import (
	"slices"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/storetest"
)

// TestFullIsAValidBody: for every collection of the profile, what Full
// makes is a body the service accepts whole (every value valid, every
// settable property set), and what it decodes to is what Full made.
func TestFullIsAValidBody(t *testing.T) {
	for _, c := range graphprofile.ProfileCollections() {
		t.Run(c.Name, func(t *testing.T) {
			for n := range 3 {
				full := storetest.SampleObject(c.Type, n)
				body := graphprofile.AppendObjectJSON(nil, c.Type, full, graphprofile.EncodeOptions{})
				got, err := graphprofile.DecodeBody(c.Type, body)
				if err != nil {
					t.Fatalf("DecodeBody(%s): %v", body, err)
				}
				for _, p := range c.Type.Properties {
					if _, set := got[p.Name]; set != storetest.Settable(&p) {
						t.Errorf("%s set %v, settable %v", p.Name, set, storetest.Settable(&p))
					}
				}
				if a, b := string(graphprofile.AppendObjectJSON(nil, c.Type, got, graphprofile.EncodeOptions{})), string(body); a != b {
					t.Errorf("decoded\n  %s\nwant\n  %s", a, b)
				}
			}
		})
	}
}

// TestPaths holds the choices for workPosition to what its schema has.
func TestPaths(t *testing.T) {
	typ := graphprofile.WorkPositionType
	var enums []string
	for _, p := range storetest.EnumPaths(typ) {
		enums = append(enums, p.String())
	}
	if want := []string{"detail/company/address/type", "manager/relationship"}; !slices.Equal(enums, want) {
		t.Errorf("Enums = %v, want %v", enums, want)
	}
	if nested, a, b := storetest.NestedProperties(typ); nested.String() != "detail" || a != "description" || b != "employeeId" {
		t.Errorf("Nested = %s, %s, %s", nested, a, b)
	}
	if f := storetest.FilterablePath(typ); f.String() != "detail/description" {
		t.Errorf("Filterable = %s, want detail/description", f)
	}
	obj := graphprofile.Object{}
	path := storetest.PropertyPath{"detail", "company", "displayName"}
	path.Set(obj, "Contoso")
	if v, ok := path.Get(obj); !ok || v != "Contoso" || path.Property(typ) != graphprofile.CompanyDetailType.Property("displayName") {
		t.Errorf("Set then Get = %v, %v; Property = %v", v, ok, path.Property(typ))
	}
	if got := storetest.FilterLiteral("O'Brien"); got != "'O''Brien'" {
		t.Errorf("Literal = %s", got)
	}
}
