package token

import (
	"encoding/base64"
	"encoding/json"
	"testing"
)

// FuzzClaims reads any text as a token's claims (exactClaims): a JSON object or an
// error; read, each claim graphprofile uses holds the value of the member
// of exactly its name (none: the zero value), whatever members of other
// cases beside it say. Never a panic.
func FuzzClaims(f *testing.F) {
	f.Add([]byte(`{"oid":"a","OID":"b","scp":"User.Read","Scp":"User.ReadWrite.All"}`))
	f.Add([]byte(`{"tid":"t","tid":"u"}`))
	f.Add([]byte(`{"exp":1,"EXP":"x","aud":["https://graph.microsoft.com"],"roles":null}`))
	f.Add([]byte(`{"upn":"\u0061","UPN":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := exactClaims(base64.RawURLEncoding.EncodeToString(data))
		if err != nil {
			return
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(data, &members); err != nil {
			t.Fatalf("read as claims, yet no JSON object: %v", err)
		}
		for name, want := range map[string]string{"oid": c.ObjectID, "tid": c.TenantID, "upn": c.UPN, "iss": c.Issuer} {
			var exact string
			if raw, ok := members[name]; ok {
				if err := json.Unmarshal(raw, &exact); err != nil {
					t.Fatalf("%s read from %s", name, raw)
				}
			}
			if exact != want {
				t.Fatalf("%s = %q, but the member of exactly that name says %q", name, want, exact)
			}
		}
	})
}
