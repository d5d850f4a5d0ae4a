package gosdk_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/users"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// TestSDKConventions drives what an app calls around the positions through
// the official Go SDK, unchanged: /me with $select, /users with $filter and
// $top paged by the SDK's own page iterator, and the profile.
func TestSDKConventions(t *testing.T) {
	base, dev := startServer(t)
	ctx := context.Background()
	me := client(t, base, dev, "User.ReadWrite")
	admin := client(t, base, dev, "User.ReadWrite.All")

	// Me().Get() with $select: the selected properties, and nothing else.
	got, err := me.Me().Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"displayName", "userPrincipalName"}},
	})
	if err != nil {
		t.Fatalf("Me().Get with $select: %v", describe(err))
	}
	if str(got.GetDisplayName()) != name || str(got.GetUserPrincipalName()) != upn || got.GetJobTitle() != nil || got.GetMail() != nil {
		t.Errorf("Me().Get with $select: displayName %q, userPrincipalName %q, jobTitle %v, mail %v",
			str(got.GetDisplayName()), str(got.GetUserPrincipalName()), got.GetJobTitle(), got.GetMail())
	}

	// The Graph docs' self-update example, through the SDK.
	change := models.NewUser()
	change.SetBusinessPhones([]string{"+1 425 555 0109"})
	change.SetOfficeLocation(ptr("18/2111"))
	if _, err := me.Me().Patch(ctx, change, nil); err != nil {
		t.Fatalf("Me().Patch with businessPhones and officeLocation: %v", describe(err))
	}
	got, err = me.Me().Get(ctx, nil)
	if err != nil {
		t.Fatal(describe(err))
	}
	if !slices.Equal(got.GetBusinessPhones(), []string{"+1 425 555 0109"}) || str(got.GetOfficeLocation()) != "18/2111" {
		t.Errorf("after Me().Patch: businessPhones %v, officeLocation %q", got.GetBusinessPhones(), str(got.GetOfficeLocation()))
	}

	// Users().Get() with $filter and $top, every page through the SDK's
	// page iterator (it follows @odata.nextLink).
	var want []string
	for i := range 7 {
		u := models.NewUser()
		u.SetDisplayName(ptr(fmt.Sprintf("Paged User %d", i)))
		u.SetUserPrincipalName(ptr(fmt.Sprintf("paged%d@contoso.com", i)))
		u.SetAccountEnabled(ptr(true))
		created, err := admin.Users().Post(ctx, u, nil)
		if err != nil {
			t.Fatalf("Users().Post: %v", describe(err))
		}
		want = append(want, str(created.GetId()))
	}
	other := models.NewUser()
	other.SetDisplayName(ptr("Someone Else"))
	other.SetUserPrincipalName(ptr("else@contoso.com"))
	if _, err := admin.Users().Post(ctx, other, nil); err != nil {
		t.Fatal(describe(err))
	}
	// $filter with $orderby is an advanced query in Graph's directory:
	// ConsistencyLevel: eventual and $count=true, on every page.
	headers := abstractions.NewRequestHeaders()
	headers.Add("ConsistencyLevel", "eventual")
	page, err := admin.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		Headers: headers,
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{
			Filter: ptr("startswith(displayName,'Paged User')"), Top: ptr(int32(3)), Count: ptr(true),
			Orderby: []string{"displayName"}, Select: []string{"id", "displayName"},
		},
	})
	if err != nil {
		t.Fatalf("Users().Get with $filter and $top: %v", describe(err))
	}
	if n := len(page.GetValue()); n != 3 || page.GetOdataNextLink() == nil {
		t.Fatalf("the first page has %d users and nextLink %v, want 3 and a link", n, page.GetOdataNextLink())
	}
	if c := page.GetOdataCount(); c == nil || *c != 7 {
		t.Errorf("@odata.count %v, want 7", c)
	}
	it, err := msgraphcore.NewPageIterator[models.Userable](page, admin.GetAdapter(), models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	it.SetHeaders(headers)
	var seen []string
	if err := it.Iterate(ctx, func(u models.Userable) bool {
		seen = append(seen, str(u.GetId()))
		return true
	}); err != nil {
		t.Fatalf("iterating the pages: %v", describe(err))
	}
	if !slices.Equal(seen, want) {
		t.Errorf("the page iterator saw %v, want the 7 users in displayName order %v", seen, want)
	}

	// Me().Profile().Get(): the profile with its positions, typed.
	created, err := me.Me().Profile().Positions().Post(ctx, seedPosition(), nil)
	if err != nil {
		t.Fatalf("creating a position: %v", describe(err))
	}
	profile, err := me.Me().Profile().Get(ctx, nil)
	if err != nil {
		t.Fatalf("Me().Profile().Get: %v", describe(err))
	}
	positions := profile.GetPositions()
	if len(positions) != 1 {
		t.Fatalf("Me().Profile().Get: %d positions, want 1", len(positions))
	}
	checkSeed(t, "Me().Profile().Get", positions[0], str(created.GetId()))
}
