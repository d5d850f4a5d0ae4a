package graphapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/token"
)

// BenchmarkListUsersQuery is one whole GET /users request, handler to body,
// in a tenant of 10,000 users with every people-directory property: the
// store reads and decodes every user, the odata engine filters, orders and
// pages them in memory (the cost decisions.md states), and a page of 100 is
// encoded.
func BenchmarkListUsersQuery(b *testing.B) {
	store, dev := benchStore(b)
	const n = 10000
	users := make([]graphprofile.User, n)
	for i := range users {
		body := fmt.Sprintf(`{"id":"%08d-0000-4000-8000-000000000000","displayName":"User %05d","userPrincipalName":"user%d@contoso.test",`+
			`"mail":"user%d@contoso.test","givenName":"Given","surname":"Surname %d","jobTitle":"Engineer","accountEnabled":true,`+
			`"businessPhones":["+1 425 555 %04d"],"mobilePhone":"+1 425 555 0101","officeLocation":"18/%d","preferredLanguage":"en-US",`+
			`"department":"Dept %d","companyName":"Contoso","city":"Seattle","state":"WA","country":"US","usageLocation":"US",`+
			`"employeeId":"%d","employeeType":"Employee","employeeHireDate":"2019-06-01T00:00:00Z","streetAddress":"1 Way","postalCode":"98052"}`,
			i, (i*7919)%n, i, i, i, i, i, i%20, i)
		decoded, err := graphprofile.DecodeBody(graphprofile.UserType, []byte(body))
		if err != nil {
			b.Fatal(err)
		}
		if users[i], err = graphprofile.NewUser(tenantA, decoded); err != nil {
			b.Fatal(err)
		}
	}
	if err := store.ImportUsers(context.Background(), tenantA, users); err != nil {
		b.Fatal(err)
	}
	srv := &graphapi.Server{Service: &graphprofile.Service{Store: store}, Authenticator: token.NewValidator(nil, dev)}
	tok, err := dev.Mint(token.MintRequest{TenantID: tenantA, AppID: appID, Roles: []string{"User.Read.All"}})
	if err != nil {
		b.Fatal(err)
	}
	queries := map[string]string{
		"All":            "",
		"FilterAndOrder": "$count=true&$filter=" + url.QueryEscape("startswith(displayName,'user 1') and department ne 'Dept 3'") + "&$orderby=displayName",
	}
	for name, query := range queries {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/v1.0/users?"+query, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("ConsistencyLevel", "eventual")
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("list: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
