package token

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzOIDCIssuerURL reads any --issuer URL: refused (one line), or an
// issuer whose discovery document is fetched over https (or http to a
// loopback host), that trusts its own URL (with any valid tenant in place
// of {tenantid}) and nothing else, whatever the iss and tid of a token.
func FuzzOIDCIssuerURL(f *testing.F) {
	for _, seed := range [][3]string{
		{"https://login.microsoftonline.com/{tenantid}/v2.0", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", "72f988bf-86f1-41af-91ab-2d7cd011db47"},
		{"https://accounts.example.com/", "https://accounts.example.com", "t"},
		{"http://127.0.0.1:9000/realms/dev", "http://127.0.0.1:9000/realms/dev/", "x"},
		{"https://idp.example/{tenantid}", "https://idp.example/a/b", "a/b"},
		{"https://idp.example/x{tenantid}/", "https://idp.example/xt", "t"},
		{"http://idp.example", "http://idp.example", ""},
		{"https://u:p@idp.example/?q#f", "", ""},
		{"https://0//", "https://0/", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, issuerURL, iss, tid string) {
		o, err := NewOIDCIssuer(issuerURL, OIDCOptions{})
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") && !strings.ContainsAny(issuerURL, "\r\n") {
				t.Errorf("error for %q spans lines: %v", issuerURL, err)
			}
			return
		}
		u, err := url.Parse(o.discoveryURL)
		if err != nil || checkFetchURL(u) != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" || !strings.HasSuffix(u.Path, discoveryPath) {
			t.Fatalf("%q: discovery at %q (%v)", issuerURL, o.discoveryURL, err)
		}
		own := o.url
		if o.multiTenant {
			own = o.prefix + "contoso-1" + o.suffix
		}
		if !o.Trusts(own, "contoso-1") || !o.Trusts(own+"/", "contoso-1") {
			t.Fatalf("%q does not trust its own URL %q", issuerURL, own)
		}
		if !o.Trusts(iss, tid) {
			return
		}
		iss = strings.TrimSuffix(iss, "/")
		if o.multiTenant {
			if !validTenantID(tid) || iss != o.prefix+tid+o.suffix {
				t.Fatalf("%q trusts iss %q with tid %q", issuerURL, iss, tid)
			}
		} else if iss != o.url {
			t.Fatalf("%q trusts iss %q", issuerURL, iss)
		}
	})
}
