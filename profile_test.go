package graphprofile

import (
	"strings"
	"testing"
)

// TestEveryProfileCollectionIsServed: every navigation row of ProfileType is
// a collection of facet entities that the engine serves (FindCollection
// finds it, in any case), with the properties of itemFacet and entity that
// Item, the service and the stores rely on; and nothing else is a
// collection.
func TestEveryProfileCollectionIsServed(t *testing.T) {
	navigation := 0
	for _, p := range ProfileType.Properties {
		if !p.Navigation {
			continue
		}
		navigation++
		t.Run(p.Name, func(t *testing.T) {
			if !p.Collection {
				t.Fatalf("the profile's %q is not a collection", p.Name)
			}
			for _, name := range []string{p.Name, strings.ToUpper(p.Name)} {
				c, ok := FindCollection(name)
				if !ok || c.Name != p.Name || c.Type != p.Type {
					t.Errorf("FindCollection(%q) = %v, %v; want the row %q", name, c, ok, p.Name)
				}
			}
			for _, inherited := range []struct {
				name          string
				typ           *Type
				serverManaged bool
			}{
				{"id", StringType, true},
				{"allowedAudiences", AllowedAudiencesType, false},
				{"createdDateTime", DateTimeOffsetType, true},
				{"createdBy", IdentitySetType, true},
				{"lastModifiedDateTime", DateTimeOffsetType, true},
				{"lastModifiedBy", IdentitySetType, true},
			} {
				prop := p.Type.Property(inherited.name)
				if prop == nil || prop.Type != inherited.typ || prop.Collection || prop.ServerManaged != inherited.serverManaged {
					t.Errorf("%s.%s = %+v, want the itemFacet property (%s, server-managed %v)",
						p.Type.ShortName(), inherited.name, prop, inherited.typ.Name, inherited.serverManaged)
				}
			}
		})
	}
	if got := len(ProfileCollections()); got != navigation {
		t.Errorf("ProfileCollections has %d collections, ProfileType %d navigation rows", got, navigation)
	}
	if c, ok := FindCollection("profile"); ok {
		t.Errorf("FindCollection(profile) = %v, want none", c)
	}
}
