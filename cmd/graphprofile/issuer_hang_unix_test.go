//go:build unix

package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// hangingIssuer is an OIDC issuer whose key set endpoint serves one RSA
// key ("k1") until hang is set, and then answers nothing (not even its
// headers) until the test ends or the request is given up.
type hangingIssuer struct {
	srv     *httptest.Server
	url     string // the issuer URL
	k1, k2  *rsa.PrivateKey
	hang    atomic.Bool
	hits    atomic.Int64 // key set requests
	release chan struct{}
	serial  atomic.Int64 // makes each token differ (jti): none is validated from the cache
}

func newHangingIssuer(t *testing.T) *hangingIssuer {
	t.Helper()
	h := &hangingIssuer{release: make(chan struct{})}
	for _, k := range []**rsa.PrivateKey{&h.k1, &h.k2} {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		*k = key
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hang/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"issuer": h.url, "jwks_uri": h.srv.URL + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		h.hits.Add(1)
		if h.hang.Load() {
			select {
			case <-h.release:
			case <-r.Context().Done():
			}
			return
		}
		pub := &h.k1.PublicKey
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]any{{
			"kty": "RSA", "use": "sig", "kid": "k1",
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	})
	// Started only once srv and url are set: its handlers read them, and
	// the requests come from another process, which the race detector
	// cannot see ordering them after these writes.
	h.srv = httptest.NewUnstartedServer(mux)
	h.url = "http://" + h.srv.Listener.Addr().String() + "/hang/v2.0"
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	t.Cleanup(func() { close(h.release) }) // before Close, which waits for the hanging handlers
	return h
}

// token is a delegated Graph token of the issuer signed by key under kid.
func (h *hangingIssuer) token(t *testing.T, key *rsa.PrivateKey, kid string) string {
	t.Helper()
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": h.url, "aud": "https://graph.microsoft.com", "tid": testTenant, "oid": testUser,
		"upn": testUPN, "name": testName, "scp": "User.ReadWrite", "jti": h.serial.Add(1),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = kid
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// TestServeIssuerKeySetHangs: an issuer whose key set endpoint hangs holds
// up only what needs the fetch, and that only for a moment. A token with a
// kid the issuer does not have yet causes a fetch; its request waits for
// that fetch at most a couple of seconds and is then refused as signed by
// an unknown key, while the fetch goes on for later requests (it took
// the key set client's 10 s timeout). Meanwhile the tokens that need no
// fetch, of the same issuer with a known kid, of another issuer and of the
// development issuer, are answered at once; and a shutdown while a request
// waits on the fetch is not held by it.
func TestServeIssuerKeySetHangs(t *testing.T) {
	hanging := newHangingIssuer(t)
	other := newTestProvider(t, false)
	dir := t.TempDir()
	s := startServe(t, dir, listenFlag("--issuer", hanging.url, "--issuer", other.Issuer, "--dev-issuer", "--drain-timeout", "30s"))

	get := func(tok string) (response, time.Duration) {
		start := time.Now()
		r, err := s.request(http.MethodGet, "/beta/me/profile/positions", tok, "")
		if err != nil {
			t.Errorf("GET with a token: %v after %v", err, time.Since(start).Round(time.Millisecond))
		}
		return r, time.Since(start)
	}
	// Discovery runs in the background: allow it a moment.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r, _ := get(hanging.token(t, hanging.k1, "k1"))
		if r.status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the issuer's token is refused: %d %s", r.status, r.raw)
		}
	}

	hanging.hang.Store(true)
	hits := hanging.hits.Load()
	type answer struct {
		r    response
		took time.Duration
	}
	unknown := make(chan answer, 1)
	go func() {
		r, took := get(hanging.token(t, hanging.k2, "k2"))
		unknown <- answer{r, took}
	}()
	for deadline := time.Now().Add(5 * time.Second); hanging.hits.Load() == hits; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a token with an unknown kid caused no key set request")
		}
	}

	// (b, c) While the fetch hangs: tokens that need none, each new (not
	// in the token cache), answered at once, together.
	tokens := map[string]string{
		"the same issuer, a known kid": hanging.token(t, hanging.k1, "k1"),
		"another issuer":               providerToken(t, other, testTenant),
		"the development issuer":       mintToken(t, dir, nil, append(delegatedArgs, "--expires", "59m")...),
	}
	var wg sync.WaitGroup
	for name, tok := range tokens {
		wg.Go(func() {
			r, took := get(tok)
			if r.status != http.StatusOK || took > time.Second {
				t.Errorf("%s while the key set fetch hangs: %d after %v, want 200 at once; body %s", name, r.status, took.Round(time.Millisecond), r.raw)
			}
		})
	}
	wg.Wait()

	// (a) The request that caused the fetch: refused after a short wait.
	a := <-unknown
	if a.r.status != http.StatusUnauthorized || field(a.r.body, "error.code") != "InvalidAuthenticationToken" ||
		a.r.header.Get("WWW-Authenticate") == "" || a.took > 3*time.Second {
		t.Errorf("unknown kid while the key set fetch hangs: %d after %v, want 401 InvalidAuthenticationToken within 3 s; body %s",
			a.r.status, a.took.Round(time.Millisecond), a.r.raw)
	}

	// (d) A shutdown while a request waits on the fetch (another unknown
	// kid joins the fetch still under way): serve drains and exits within
	// a few seconds, not when the fetch gives up.
	waiting := make(chan answer, 1)
	go func() {
		r, took := get(hanging.token(t, hanging.k2, "k2-again"))
		waiting <- answer{r, took}
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	s.sendSignal(syscall.SIGTERM)
	code, exited := s.waitExit(15 * time.Second)
	took := time.Since(start)
	if !exited || code != 0 || took > 4*time.Second {
		t.Errorf("SIGTERM while a request waits on the hanging key set fetch: exit %d (exited %v) after %v, want 0 within 4 s; stderr:\n%s",
			code, exited, took.Round(time.Millisecond), s.stderr.String())
	}
	if w := <-waiting; w.r.status != http.StatusUnauthorized {
		t.Errorf("the request waiting on the fetch at shutdown: %d after %v, want 401; body %s", w.r.status, w.took.Round(time.Millisecond), w.r.raw)
	}
}
