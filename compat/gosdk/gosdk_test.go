package gosdk_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/token"
	"github.com/microsoft/kiota-abstractions-go/authentication"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	msgraph "github.com/microsoftgraph/msgraph-beta-sdk-go"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models/odataerrors"
)

const (
	tenant = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
	userID = "db789417-4ccb-41d1-a0a9-47b01a09ea49"
	upn    = "innocenty.popov@contoso.com"
	name   = "Innocenty Popov"
)

// staticToken is an access token provider that always gives one token, as
// a test or a daemon with a token of its own would use the SDK.
type staticToken struct {
	token string
	hosts authentication.AllowedHostsValidator
}

func (s *staticToken) GetAuthorizationToken(context.Context, *url.URL, map[string]any) (string, error) {
	return s.token, nil
}

func (s *staticToken) GetAllowedHostsValidator() *authentication.AllowedHostsValidator {
	return &s.hosts
}

// startServer starts graphprofile on a loopback port with an SQLite store
// and returns its base URL and development issuer.
func startServer(t *testing.T) (string, *token.DevIssuer) {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "graphprofile.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	dev, err := token.LoadOrCreateDevIssuer(filepath.Join(dir, "graphprofile.db-devkey.pem"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &graphapi.Server{Service: &graphprofile.Service{Store: store}, Authenticator: token.NewValidator(nil, dev), Addr: "127.0.0.1:0"}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	return srv.URL(), dev
}

// client is the SDK's client, unchanged but for its base URL and a static
// token, pointed at the server.
func client(t *testing.T, baseURL string, dev *token.DevIssuer, scopes ...string) *msgraph.GraphServiceClient {
	t.Helper()
	tok, err := dev.Mint(token.MintRequest{TenantID: tenant, ObjectID: userID, UserPrincipalName: upn, DisplayName: name, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return clientWithToken(t, baseURL, tok)
}

// clientWithToken is the SDK's client, with its default middleware (the
// retry handler among them), pointed at baseURL with the token tok.
func clientWithToken(t *testing.T, baseURL, tok string) *msgraph.GraphServiceClient {
	t.Helper()
	auth := authentication.NewBaseBearerTokenAuthenticationProvider(&staticToken{
		token: tok, hosts: authentication.NewAllowedHostsValidator([]string{"127.0.0.1"}),
	})
	adapter, err := msgraph.NewGraphRequestAdapter(auth)
	if err != nil {
		t.Fatal(err)
	}
	adapter.SetBaseUrl(baseURL + "/beta")
	return msgraph.NewGraphServiceClient(adapter)
}

func ptr[T any](v T) *T { return &v }

// seedPosition is the Create workPosition example's body, through the SDK's
// typed models.
func seedPosition() models.WorkPositionable {
	address := models.NewPhysicalAddress()
	address.SetTypeEscaped(ptr(models.BUSINESS_PHYSICALADDRESSTYPE))
	address.SetStreet(ptr("123 Patriachy Ponds"))
	address.SetCity(ptr("Moscow"))
	address.SetCountryOrRegion(ptr("Russian Federation"))
	address.SetPostalCode(ptr("RU-34621"))
	company := models.NewCompanyDetail()
	company.SetDisplayName(ptr("Adventureworks Ltd."))
	company.SetDepartment(ptr("Consulting"))
	company.SetOfficeLocation(ptr("AW23/344"))
	company.SetAddress(address)
	company.SetWebUrl(ptr("https://www.adventureworks.com"))
	detail := models.NewPositionDetail()
	detail.SetCompany(company)
	detail.SetJobTitle(ptr("Senior Product Branding Manager II"))
	detail.SetRole(ptr("consulting"))
	p := models.NewWorkPosition()
	p.SetDetail(detail)
	p.SetIsCurrent(ptr(true))
	return p
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// checkSeed checks the typed values the SDK read back for the seed position.
func checkSeed(t *testing.T, what string, p models.WorkPositionable, id string) {
	t.Helper()
	if got := str(p.GetId()); got != id {
		t.Errorf("%s: id %q, want %q", what, got, id)
	}
	if a := p.GetAllowedAudiences(); a == nil || *a != models.ORGANIZATION_ALLOWEDAUDIENCES {
		t.Errorf("%s: allowedAudiences %v, want organization (a typed enum)", what, a)
	}
	if c := p.GetCreatedDateTime(); c == nil || time.Since(*c) > time.Hour || time.Until(*c) > time.Minute {
		t.Errorf("%s: createdDateTime %v is not a time of now", what, c)
	}
	by := p.GetCreatedBy()
	if by == nil || by.GetUser() == nil || str(by.GetUser().GetId()) != userID || str(by.GetUser().GetDisplayName()) != name ||
		by.GetApplication() != nil || by.GetDevice() != nil {
		t.Errorf("%s: createdBy %+v, want the user only", what, by)
	}
	d := p.GetDetail()
	if d == nil || str(d.GetJobTitle()) != "Senior Product Branding Manager II" || str(d.GetRole()) != "consulting" || d.GetDescription() != nil {
		t.Fatalf("%s: detail %+v", what, d)
	}
	c := d.GetCompany()
	if c == nil || str(c.GetDisplayName()) != "Adventureworks Ltd." || str(c.GetDepartment()) != "Consulting" || c.GetPronunciation() != nil {
		t.Fatalf("%s: company %+v", what, c)
	}
	a := c.GetAddress()
	if a == nil || a.GetTypeEscaped() == nil || *a.GetTypeEscaped() != models.BUSINESS_PHYSICALADDRESSTYPE || str(a.GetCity()) != "Moscow" || a.GetState() != nil {
		t.Errorf("%s: address %+v, want type business (a typed enum), city Moscow, state null", what, a)
	}
	if p.GetInference() != nil || p.GetSource() != nil || p.GetManager() != nil || p.GetColleagues() != nil || p.GetCategories() != nil {
		t.Errorf("%s: properties never set are not null", what)
	}
}

func TestOfficialGoSDK(t *testing.T) {
	base, dev := startServer(t)
	gc := client(t, base, dev, "User.ReadWrite")
	ctx := context.Background()

	// Create through /me (the SDK rewrites it to users/me-token-to-replace,
	// or leaves it: both are served), with the SDK's gzipped body.
	created, err := gc.Me().Profile().Positions().Post(ctx, seedPosition(), nil)
	if err != nil {
		t.Fatalf("Me().Profile().Positions().Post: %v", describe(err))
	}
	id := str(created.GetId())
	checkSeed(t, "create", created, id)
	if created.GetDetail().GetStartMonthYear() != nil {
		t.Errorf("create: startMonthYear %v, want null", created.GetDetail().GetStartMonthYear())
	}

	// Update through /users/{userPrincipalName}: the seed's PATCH, plus a date.
	patch := models.NewWorkPosition()
	patch.SetIsCurrent(ptr(true))
	detail := models.NewPositionDetail()
	detail.SetStartMonthYear(serialization.NewDateOnly(time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)))
	patch.SetDetail(detail)
	item := gc.Users().ByUserId(upn).Profile().Positions().ByWorkPositionId(id)
	updated, err := item.Patch(ctx, patch, nil)
	if err != nil {
		t.Fatalf("Users().ByUserId(upn)…Patch: %v", describe(err))
	}
	checkSeed(t, "update", updated, id) // the merge kept what the PATCH did not name
	if d := updated.GetDetail().GetStartMonthYear(); d == nil || d.String() != "2019-06-01" {
		t.Errorf("update: startMonthYear %v, want the date 2019-06-01", d)
	}
	if m, c := updated.GetLastModifiedDateTime(), updated.GetCreatedDateTime(); m == nil || c == nil || !m.After(*c) {
		t.Errorf("update: lastModifiedDateTime %v not after createdDateTime %v", m, c)
	}

	// Get and list through the user's id.
	got, err := gc.Users().ByUserId(userID).Profile().Positions().ByWorkPositionId(id).Get(ctx, nil)
	if err != nil {
		t.Fatalf("Get: %v", describe(err))
	}
	checkSeed(t, "get", got, id)
	if d := got.GetDetail().GetStartMonthYear(); d == nil || d.String() != "2019-06-01" {
		t.Errorf("get: startMonthYear %v", d)
	}
	list, err := gc.Users().ByUserId(userID).Profile().Positions().Get(ctx, nil)
	if err != nil {
		t.Fatalf("list: %v", describe(err))
	}
	if ids := idsOf(list.GetValue()); !slices.Equal(ids, []string{id}) {
		t.Errorf("list ids %v, want [%s]", ids, id)
	}

	// Delete, then the position is a 404 the SDK surfaces as an ODataError.
	if err := item.Delete(ctx, nil); err != nil {
		t.Fatalf("Delete: %v", describe(err))
	}
	_, err = item.Get(ctx, nil)
	wantODataError(t, "get after delete", err, 404, "itemNotFound")

	// A 404 for an unknown user (with a permission that reaches other users:
	// without one it is a 403 before any lookup) and a 403 for a missing
	// permission.
	admin := client(t, base, dev, "User.Read.All")
	_, err = admin.Users().ByUserId("nobody@contoso.com").Profile().Positions().Get(ctx, nil)
	wantODataError(t, "unknown user", err, 404, "Request_ResourceNotFound")
	reader := client(t, base, dev, "User.Read")
	_, err = reader.Me().Profile().Positions().Post(ctx, seedPosition(), nil)
	wantODataError(t, "create with User.Read", err, 403, "Authorization_RequestDenied")
}

func idsOf(ps []models.WorkPositionable) []string {
	var ids []string
	for _, p := range ps {
		ids = append(ids, str(p.GetId()))
	}
	return ids
}

// wantODataError checks that err is the SDK's ODataError with status and
// Graph's code.
func wantODataError(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	var odataErr *odataerrors.ODataError
	if !errors.As(err, &odataErr) {
		t.Fatalf("%s: error %v (%T), want an *odataerrors.ODataError", what, err, err)
	}
	if odataErr.ResponseStatusCode != status {
		t.Errorf("%s: status %d, want %d", what, odataErr.ResponseStatusCode, status)
	}
	if main := odataErr.GetErrorEscaped(); main == nil || str(main.GetCode()) != code {
		t.Errorf("%s: code %v, want %q", what, describe(err), code)
	}
}

// describe is an SDK error with Graph's code and message, for failures.
func describe(err error) string {
	var odataErr *odataerrors.ODataError
	if errors.As(err, &odataErr) && odataErr.GetErrorEscaped() != nil {
		main := odataErr.GetErrorEscaped()
		return str(main.GetCode()) + ": " + str(main.GetMessage())
	}
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
