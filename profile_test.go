package graphprofile

import "testing"

// TestEveryProfileCollectionIsRead: GET profile reads every collection
// ProfileType declares, and nothing else.
func TestEveryProfileCollectionIsRead(t *testing.T) {
	navigation := 0
	for _, p := range ProfileType.Properties {
		if !p.Navigation {
			continue
		}
		navigation++
		if profileCollections[p.Name] == nil {
			t.Errorf("the profile's collection %q has no reader in profileCollections", p.Name)
		}
		if !p.Collection || p.Type.Property("id") == nil {
			t.Errorf("the profile's %q is not a collection of entities", p.Name)
		}
	}
	if len(profileCollections) != navigation {
		t.Errorf("%d readers for %d collections", len(profileCollections), navigation)
	}
}
