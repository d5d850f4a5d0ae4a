package graphapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// FuzzRedactCredentials redacts any body without a panic, and what it
// redacted it leaves as it is when redacted again.
func FuzzRedactCredentials(f *testing.F) {
	f.Add([]byte(`{"requests":[{"headers":{"Authorization":"Bearer x","Cookie":["a=b",{"c":"d"}]}}]}`))
	f.Add([]byte(`{"\u0041uthorization" : "Bearer x\"y`))
	f.Add([]byte(`"Proxy-Authorization":[`))
	f.Add([]byte(`{"requests":[{"url":"/me?access_token=x&$select=id"},{"URL":"/me?code=y`))
	f.Fuzz(func(t *testing.T, data []byte) {
		once := redactCredentials(data)
		if twice := redactCredentials(once); !bytes.Equal(twice, once) {
			t.Fatalf("redacted again, %q became %q", once, twice)
		}
	})
}

// TestRedactQueryCredentials: the value of each credential-like query
// parameter is [redacted], whatever the case of its name or how it is
// percent-encoded; every other byte of the URL stays as sent.
func TestRedactQueryCredentials(t *testing.T) {
	for _, tc := range []struct{ uri, want string }{
		{"/beta/me", "/beta/me"},
		{"/beta/me?", "/beta/me?"},
		{"/beta/me?$select=id", "/beta/me?$select=id"},
		{"/beta/me?access_token=a", "/beta/me?access_token=[redacted]"},
		{"/beta/me?Access_Token=a&$top=1", "/beta/me?Access_Token=[redacted]&$top=1"},
		{"/beta/me?$top=1&id_token=a&refresh_token=b&code=c&client_secret=d&token=e&password=f&state=g",
			"/beta/me?$top=1&id_token=[redacted]&refresh_token=[redacted]&code=[redacted]&client_secret=[redacted]&token=[redacted]&password=[redacted]&state=g"},
		{"/beta/me?access%5ftoken=a", "/beta/me?access%5ftoken=[redacted]"},
		{"/beta/me?pass%77ord=a%20b", "/beta/me?pass%77ord=[redacted]"},
		{"/beta/me?token=a=b&&token=c", "/beta/me?token=[redacted]&&token=[redacted]"},
		{"/beta/me?token=&token", "/beta/me?token=&token"},
		{"/beta/me?$skiptoken=a&tokens=b&xcode=c", "/beta/me?$skiptoken=a&tokens=b&xcode=c"},
		{"https://graph.microsoft.com/beta/me?code=a#frag", "https://graph.microsoft.com/beta/me?code=[redacted]"},
		{"/beta/me?bad%zz=a&code=b", "/beta/me?bad%zz=a&code=[redacted]"},
		// ';' separates parameters too (HTML 4's advice, and servers that
		// still take it); a PHP-style array name or a trailing NUL or space
		// is the same parameter to whoever reads it.
		{"/beta/me?x=1;access_token=a", "/beta/me?x=1;access_token=[redacted]"},
		{"/beta/me?access_token=a;$top=1&code=b", "/beta/me?access_token=[redacted];$top=1&code=[redacted]"},
		{"/beta/me?client_secret[]=a&client_secret%5B%5D=b", "/beta/me?client_secret[]=[redacted]&client_secret%5B%5D=[redacted]"},
		{"/beta/me?access_token%00=a&token%20=b", "/beta/me?access_token%00=[redacted]&token%20=[redacted]"},
		{"/beta/me?password+=a&token++=b", "/beta/me?password+=[redacted]&token++=[redacted]"}, // + is a space in a query
		{"/beta/me?tokens[]=a&$skiptoken=b;c", "/beta/me?tokens[]=a&$skiptoken=b;c"},
		// PHP, whose array names are read above, also drops a name's
		// leading spaces and reads a space or a dot in it as '_':
		// " code", "access token" and "client.secret" are its code,
		// access_token and client_secret.
		{"/beta/me?%20code=a&+token=b", "/beta/me?%20code=[redacted]&+token=[redacted]"},
		{"/beta/me?access%20token=a&access+token=b&client.secret=c&id.token_hint=d", "/beta/me?access%20token=[redacted]&access+token=[redacted]&client.secret=[redacted]&id.token_hint=[redacted]"},
		{"/beta/me?x.code=a&co.de=b&%20%20xcode=c", "/beta/me?x.code=a&co.de=b&%20%20xcode=c"},
		// OAuth's other credentials: a client's assertion (RFC 7523, the
		// JWT that stands for a client secret), a grant's assertion, PKCE's
		// verifier, and an ID token given as a hint (OpenID Connect).
		{"/beta/me?client_assertion=eyJ.a.b&assertion=eyJ.c.d&code_verifier=v&id_token_hint=eyJ.e.f&client_assertion_type=urn:x",
			"/beta/me?client_assertion=[redacted]&assertion=[redacted]&code_verifier=[redacted]&id_token_hint=[redacted]&client_assertion_type=urn:x"},
	} {
		if got := redactQueryCredentials(tc.uri); got != tc.want {
			t.Errorf("redactQueryCredentials(%q) = %q, want %q", tc.uri, got, tc.want)
		}
	}
}

// TestRedactCredentialsURL: a $batch item's url has its query's
// credentials redacted in the body the journal shows, also when the body
// was cut inside it; other members named url-like are left alone.
func TestRedactCredentialsURL(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"url":"/me?access_token=a&$select=id"}`, `{"url":"/me?access_token=[redacted]&$select=id"}`},
		{`{"URL" : "/me?code=a"}`, `{"URL" : "/me?code=[redacted]"}`},
		{`{"\u0075rl":"/me?code=a"}`, `{"\u0075rl":"/me?code=[redacted]"}`},
		{`{"url":"/me?code=abcdef`, `{"url":"/me?code=[redacted]`},
		{`{"url":"/me?$select=id"}`, `{"url":"/me?$select=id"}`},
		{`{"urls":"/me?code=a","body":{"x":"url"}}`, `{"urls":"/me?code=a","body":{"x":"url"}}`},
		{`{"url":["/me?code=a"]}`, `{"url":["/me?code=a"]}`},
	} {
		if got := string(redactCredentials([]byte(tc.body))); got != tc.want {
			t.Errorf("redactCredentials(%s) = %s, want %s", tc.body, got, tc.want)
		}
	}
}

// TestJSONStringSize: what the journal counts of a string is at least what
// encoding/json writes of it (the journal's answer), and at least its bytes.
func TestJSONStringSize(t *testing.T) {
	for _, s := range []string{"", "plain", `"\`, "<a&b>", "\x00\x01\x1f\b\f\n\r\t", "é\u2028\u2029😀", "\xff\xfe", strings.Repeat("<", 1000)} {
		encoded, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonStringSize(s); got < len(encoded) || got < len(s) {
			t.Errorf("jsonStringSize(%q) = %d, encoded in %d bytes", s, got, len(encoded))
		}
	}
}

// TestJournalEntrySizeCountsTheCaller: an entry's size counts its
// caller's ids, which come from a token's claims (an external issuer's oid
// or appid is any string the header holds), as it counts every other
// string a caller chose.
func TestJournalEntrySizeCountsTheCaller(t *testing.T) {
	long := strings.Repeat("o", 10<<10)
	for _, caller := range []journalCaller{
		{TenantID: "t", OID: long},
		{TenantID: "t", AppID: long},
		{TenantID: "t|" + long},
	} {
		e := &journalEntry{Caller: caller, Request: journalRequest{Method: "GET", URL: "/beta/me"}, path: "/beta/me"}
		encoded, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if size := e.memorySize(); size < len(encoded) {
			t.Errorf("an entry of caller %.40q… counts %d bytes, less than its %d encoded", caller, size, len(encoded))
		}
	}
}

// TestJournalEntrySizeCountsTheMethod: the request's method is any token
// its request line holds (up to MaxHeaderBytes), and the journal keeps it
// (a 405): an entry's size counts it as every other string a caller chose,
// or a thousand entries of 100 KiB methods held 100 MiB while the journal
// counted a few hundred KiB of them.
func TestJournalEntrySizeCountsTheMethod(t *testing.T) {
	e := &journalEntry{Request: journalRequest{Method: strings.Repeat("M", 100<<10), URL: "/beta/me"}, path: "/beta/me"}
	encoded, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if size := e.memorySize(); size < len(encoded) {
		t.Errorf("an entry of a %d-byte method counts %d bytes, less than its %d encoded", len(e.Request.Method), size, len(encoded))
	}
}

// FuzzRedactedPasswords: a password put in a body in any of the ways a
// client may send one (a string, a number or a bare word, in an array, in
// a $batch item's body written as a string or as base64) never shows in
// the journal.
func FuzzRedactedPasswords(f *testing.F) {
	for _, secret := range []string{"Secret123", "9081726354", "true00", "QUJDREVGRw"} {
		f.Add(secret)
	}
	f.Fuzz(func(t *testing.T, secret string) {
		// A secret the bodies' own words spell ("[redacted]", "ssword") is
		// no secret found.
		if len(secret) < 6 || strings.Trim(secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" ||
			strings.Contains(`[redacted] {"PASSWORD":[0, "passwordProfile":{"password":"x":1}} {"requests":[{"id":"1","body":}]}`, secret) {
			return
		}
		inner := `{"passwordProfile":{"password":"` + secret + `"}}`
		// shown is what the journal shows of a redacted body: as it is, or
		// the base64 of an item's body decoded (its letters may spell the
		// secret by chance, its content must not).
		asIs := func(out []byte) []byte { return out }
		decoded := func(enc *base64.Encoding) func([]byte) []byte {
			return func(out []byte) []byte {
				var doc struct{ Requests []struct{ Body string } }
				if err := json.Unmarshal(out, &doc); err != nil || len(doc.Requests) != 1 {
					t.Fatalf("%s: not the batch it was: %v", out, err)
				}
				content, err := enc.DecodeString(doc.Requests[0].Body)
				if err != nil {
					t.Fatalf("%s: the body is no base64: %v", out, err)
				}
				return content
			}
		}
		for _, tc := range []struct {
			sent  string
			shown func([]byte) []byte
		}{
			{inner, asIs},
			{`{"passwordProfile":{"password":` + secret + `}}`, asIs},
			{`{"PASSWORD":[0,` + secret + `, "` + secret + `"]}`, asIs},
			{`{"passwordProfile":` + secret + `,"x":1}`, asIs},
			{`{"requests":[{"id":"1","body":` + strconv.Quote(inner) + `}]}`, asIs},
			{`{"requests":[{"id":"1","body":"` + base64.StdEncoding.EncodeToString([]byte(inner)) + `"}]}`, decoded(base64.StdEncoding)},
			{`{"requests":[{"id":"1","body":"` + base64.RawURLEncoding.EncodeToString([]byte(inner)) + `"}]}`, decoded(base64.RawURLEncoding)},
		} {
			if got := tc.shown(redactCredentials([]byte(tc.sent))); bytes.Contains(got, []byte(secret)) {
				t.Errorf("%s redacted shows %s", tc.sent, got)
			}
		}
	})
}

// TestRedactCutBodyString: a $batch item's body written as a string that
// the journal's 64 KiB cut splits is redacted as far as it goes, and stays
// cut short: it was shown as sent, its password with it.
func TestRedactCutBodyString(t *testing.T) {
	inner := `{"passwordProfile": {"password": "CUT-SECRET-1"}, "displayName": "bbbbbbbb"}`
	// encoding/json writes each '<' as \u003c: cut in a six-byte escape.
	escaped, err := json.Marshal(`{"passwordProfile": {"password": "CUT-SECRET-1"}, "displayName": "<<<<"}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, body string }{
		{"JSON", strconv.Quote(inner)},
		{"JSON cut in an escape", strconv.Quote(inner[:len(inner)-14])[:len(strconv.Quote(inner[:len(inner)-14]))-2]},
		{"base64", `"` + base64.StdEncoding.EncodeToString([]byte(inner)) + `"`},
		{"JSON cut in a \\u escape", string(escaped)},
		{"form", `"password=CUT-SECRET-1&displayName=bbbbbbbb"`},
	} {
		for cut := 1; cut <= 12; cut++ {
			sent := `{"requests":[{"id":"1","body":` + tc.body[:len(tc.body)-cut]
			got := redactCredentials([]byte(sent))
			if bytes.Contains(got, []byte("CUT-SECRET")) {
				t.Errorf("%s, cut %d bytes short: %s", tc.name, cut, got)
			}
			if tc.name == "base64" {
				// Shown in base64 still: the secret is read in what it
				// decodes to, as far as whole groups go.
				shown := strings.TrimRight(string(got[bytes.Index(got, []byte(`"body":"`))+len(`"body":"`):]), "=")
				data, err := base64.RawStdEncoding.DecodeString(shown[:len(shown)-len(shown)%4])
				if err != nil || bytes.Contains(data, []byte("CUT-SECRET")) {
					t.Errorf("%s, cut %d bytes short: %s decodes to %q, %v", tc.name, cut, shown, data, err)
				}
			}
			if bytes.HasSuffix(got, []byte(`"`)) && !strings.HasSuffix(sent, `"`) {
				t.Errorf("%s, cut %d bytes short: %s, closed where the body was cut", tc.name, cut, got)
			}
		}
	}
}

// TestRedactCredentialsAcrossJSONSpace: JSON's four spaces may come around
// a member's colon; a credential is redacted whichever of them does.
func TestRedactCredentialsAcrossJSONSpace(t *testing.T) {
	for _, space := range []string{" ", "\t", "\n", "\r"} {
		sent := `{"password"` + space + `:` + space + `"SECRET"}`
		if got, want := string(redactCredentials([]byte(sent))), `{"password"`+space+`:`+space+`"[redacted]"}`; got != want {
			t.Errorf("redactCredentials(%q) = %q, want %q", sent, got, want)
		}
	}
}
