package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/graphprofile/graphprofile"
)

// TestMigrateUserDocument: a database of version 3, whose users kept their
// properties in columns, opens with every value in the user's document:
// set ones kept, empty strings and NULLs unset, the principal name key as
// it was.
func TestMigrateUserDocument(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := openRawDBAt(t, path, 3,
		`INSERT INTO users (tenant_id, id, user_principal_name, upn_key, display_name, mail, mail_nickname, given_name, surname, job_title, account_enabled)
		 VALUES ('t', 'full', 'Zoë@Contoso.com', 'zoë@contoso.com', 'Zoë "Z" \ 日本', 'zoe@contoso.com', 'zoe', 'Zoë', 'Ñúñez', 'Dev', 0),
		        ('t', 'on', 'on@contoso.com', 'on@contoso.com', 'On', '', '', '', '', '', 1),
		        ('t', 'bare', '', NULL, '', '', '', '', '', '', NULL)`)
	db.Close()

	s := openAt(t, path)
	yes, no := true, false
	want := []graphprofile.User{
		{TenantID: "t", ID: "bare"},
		{TenantID: "t", ID: "full", UserPrincipalName: "Zoë@Contoso.com", DisplayName: `Zoë "Z" \ 日本`, Mail: "zoe@contoso.com",
			MailNickname: "zoe", GivenName: "Zoë", Surname: "Ñúñez", JobTitle: "Dev", AccountEnabled: &no},
		{TenantID: "t", ID: "on", UserPrincipalName: "on@contoso.com", DisplayName: "On", AccountEnabled: &yes},
	}
	got, err := graphprofile.AllUsers(t.Context(), s, "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("ListUsers = %d users, want %d", len(got), len(want))
	}
	for i := range want {
		if a, b := string(graphprofile.EncodeStoredUser(got[i])), string(graphprofile.EncodeStoredUser(want[i])); a != b || got[i].AccountEnabled == nil != (want[i].AccountEnabled == nil) {
			t.Errorf("user %s after the migration = %s, want %s", want[i].ID, a, b)
		}
	}
	if u, err := s.FindUser(t.Context(), "t", "ZOË@contoso.COM"); err != nil || u.ID != "full" {
		t.Errorf("FindUser by the principal name = %+v, %v", u, err)
	}
}
