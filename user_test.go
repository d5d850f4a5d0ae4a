package graphprofile

import (
	"fmt"
	"slices"
	"testing"
)

func TestImportConflicts(t *testing.T) {
	u := func(id, upn string) User { return User{ID: id, UserPrincipalName: upn} }
	tests := []struct {
		name  string
		batch []User
		want  []string // index<earlier property value
	}{
		{"None", []User{u("a", "a@x"), u("b", "b@x"), u("c", "")}, nil},
		{"Empty", nil, nil},
		{"ID", []User{u("a", "a@x"), u("b", "b@x"), u("a", "c@x")}, []string{"2<0 id a"}},
		{"PrincipalNameIgnoringCase", []User{u("a", "Élodie@X"), u("b", "élodie@x")}, []string{"1<0 userPrincipalName élodie@x"}},
		{"NoPrincipalNameTwice", []User{u("a", ""), u("b", "")}, nil},
		// A repeating user is not compared further: c's name is a's, not
		// the second b's, which repeats b's id.
		{"RepeatingUsersAreNotRecorded", []User{u("a", "a@x"), u("b", "b@x"), u("b", "c@x"), u("c", "c@x"), u("d", "A@x")},
			[]string{"2<1 id b", "4<0 userPrincipalName A@x"}},
		{"IDBeforeName", []User{u("a", "a@x"), u("a", "a@x")}, []string{"1<0 id a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range ImportConflicts(tc.batch) {
				got = append(got, fmt.Sprintf("%d<%d %s %s", c.Index, c.Earlier, c.Conflict.Property, c.Conflict.Value))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ImportConflicts = %q, want %q", got, tc.want)
			}
		})
	}
}
