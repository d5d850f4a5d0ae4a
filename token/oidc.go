package token

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphprofile/graphprofile/internal/outage"
)

// TenantPlaceholder in an issuer URL stands for the tenant of a multi-tenant
// issuer, as in Entra ID's "https://login.microsoftonline.com/{tenantid}/v2.0":
// such an issuer trusts the iss of every tenant, the URL with the token's tid
// in place of the placeholder.
const TenantPlaceholder = "{tenantid}"

// Defaults of OIDCOptions, and the limits of an OIDC issuer.
const (
	defaultOIDCTimeout         = 10 * time.Second
	defaultOIDCRefreshInterval = time.Hour
	defaultOIDCRefetchInterval = 10 * time.Second
	defaultOIDCKeyWait         = 2 * time.Second
	defaultOIDCRetryMin        = time.Second
	defaultOIDCRetryMax        = time.Minute

	// maxDiscoverySize and maxJWKSSize bound the documents read from an
	// issuer: real ones are a few KiB.
	maxDiscoverySize = 256 << 10
	maxJWKSSize      = 1 << 20

	// maxTenantIDLength bounds a tid put into a multi-tenant issuer URL.
	maxTenantIDLength = 64

	discoveryPath = "/.well-known/openid-configuration"
	// commonTenant replaces TenantPlaceholder in the discovery URL of a
	// multi-tenant issuer: Entra ID serves the document for all tenants
	// at its "common" endpoint.
	commonTenant = "common"
)

// SignInTenant replaces TenantPlaceholder in the sign-in endpoints of a
// multi-tenant issuer (SignInEndpoints): Entra ID's "organizations" signs in
// the work and school accounts of every tenant, the accounts that have a
// profile, where "common" would offer personal Microsoft accounts too.
const SignInTenant = "organizations"

// Endpoints are an issuer's OAuth 2.0 endpoints, from its discovery document.
type Endpoints struct {
	Authorization string // authorization_endpoint
	Token         string // token_endpoint
}

// OIDCOptions tune an OIDCIssuer; the zero value gives the defaults.
type OIDCOptions struct {
	// Client makes the discovery and key set requests. Nil means a client
	// with a 10 s timeout that follows redirects only to URLs allowed as
	// issuer URLs (https, or http to a loopback host). A client without a
	// timeout lets a hanging issuer stall the refresh of its keys.
	Client *http.Client
	// Logger receives discovery, retry and refresh events; nil means none.
	Logger *slog.Logger
	// Now is the clock of the unknown-kid rate limit; nil means time.Now.
	// Timers (retries, periodic refresh) always use real time.
	Now func() time.Time
	// RefreshInterval is how often the key set is fetched again, so that
	// rotated keys are picked up; zero means an hour.
	RefreshInterval time.Duration
	// RefetchInterval is the least time between two fetches of the key
	// set that tokens with an unknown kid cause; zero means 10 s. Since the
	// kid is chosen by the caller, this bounds the requests a flood of
	// made-up kids causes to one per interval. The first such fetch is not
	// held back by discovery's or a periodic refresh's (an issuer may rotate
	// its keys right after the server started).
	RefetchInterval time.Duration
	// RetryMin and RetryMax bound the exponential backoff (doubling) of
	// failed discovery and failed refreshes; zero means 1 s and 1 min.
	RetryMin, RetryMax time.Duration
	// KeyWait is the longest Key waits for a fetch of the key set (the
	// one an unknown kid caused, or one under way), counted from when the
	// fetch was asked for, before it answers
	// ErrUnknownKey, what the caller gets without the new key, while the
	// fetch goes on for later callers; zero means 2 s. A request must not
	// hang on an issuer that does (the client's timeout, 10 s, bounds the
	// fetch, not the requests waiting on it).
	KeyWait time.Duration
}

// OIDCIssuer is an Issuer for an OpenID Connect provider such as Entra ID:
// its keys come from the jwks_uri of its discovery document
// (URL/.well-known/openid-configuration) and are cached.
//
//   - NewOIDCIssuer does no network I/O; Run discovers the issuer in the
//     background and keeps its key set fresh. Until discovery succeeds, Key
//     fails (tokens are refused as "keys unavailable"), so a server starts
//     and serves the tokens of other issuers while an issuer is down; Run
//     retries with capped exponential backoff and logs each failure.
//   - The URL must be https; http is allowed only for loopback hosts
//     (127.0.0.0/8, ::1, localhost) so tests and local emulators work. It
//     must have no user info, query, fragment or space. A trailing slash is
//     ignored, in the discovery document's issuer and in a token's iss.
//   - A URL with TenantPlaceholder (once, as a whole path segment) is a
//     multi-tenant issuer: discovery is fetched with the placeholder
//     replaced by "common", whose document names the issuer with the
//     placeholder itself (as Entra ID's does), and a token is trusted when
//     its iss is the URL with its own tid in place of the placeholder. A
//     tid is only put in a URL if it is 1 to 64 ASCII letters, digits and
//     hyphens (Entra ID's are GUIDs).
//   - The discovery document's issuer must equal the URL (OpenID Connect
//     Discovery 1.0, section 4.3); while it does not, the issuer trusts no
//     token (refused as "invalid issuer"), the mismatch is logged as an
//     error and discovery is retried like any failure. The jwks_uri must
//     satisfy the same scheme rule as the URL, but may be on another host.
//     The jwks_uri is discovered once per Run.
//   - Only keys fit for RS256 or ES256 signatures are kept: "use", when
//     present, must be "sig", "alg", when present, RS256 (RSA) or ES256
//     (EC), RSA moduli 2048 to 8192 bits, EC keys P-256. Other keys and
//     keys without a kid are skipped (logged at debug level).
//   - A fetched key set replaces the cached one wholly, so keys removed
//     from the issuer's set stop being accepted. A failed fetch keeps the
//     cached set. A set without usable keys is kept too (and logged): it is
//     what the issuer says.
//   - The key set is fetched again every RefreshInterval, and when a token
//     names an unknown kid, at most once per RefetchInterval (counted from
//     the last fetch an unknown kid caused, so the first one after start
//     or a periodic refresh is never held back); concurrent callers share
//     one fetch, and within the interval an unknown kid is refused without
//     any request. A caller waits for that fetch at most KeyWait (2 s),
//     and is then refused as for an unknown kid while the fetch goes on;
//     keys that are known are answered at once, fetch or no fetch.
//   - Discovery documents are limited to 256 KiB and key sets to 1 MiB.
//
// It is safe for concurrent use.
type OIDCIssuer struct {
	url          string // as configured, without a trailing slash
	discoveryURL string
	// prefix and suffix surround TenantPlaceholder in url when multiTenant.
	multiTenant    bool
	prefix, suffix string

	client          *http.Client
	logger          *slog.Logger
	now             func() time.Time
	refreshInterval time.Duration
	refetchInterval time.Duration
	retryMin        time.Duration
	retryMax        time.Duration
	keyWait         time.Duration

	// kick asks Run's goroutine to serve the fetch requested by Key.
	kick chan struct{}
	// mismatch is set while the discovery document names another issuer.
	mismatch atomic.Bool

	mu      sync.Mutex
	started bool // Run was called
	running bool // Run has not returned: fetches can be requested
	ready   bool // discovery succeeded: jwksURI and keys are set
	lastErr error
	jwksURI string
	keys    map[string]crypto.PublicKey // never changed, only replaced
	// lastRefetch is when the last fetch an unknown kid caused began; zero
	// before the first.
	lastRefetch time.Time
	fetch       *keyFetch // the fetch under way or requested, if any

	// refreshFailures and noUsableKeys: the key set's fetches that failed,
	// and those that found no key to use, warned of at most once an
	// outage.Interval.
	refreshFailures, noUsableKeys outage.Tracker
}

// keyFetch is one fetch of the key set, which callers of Key wait for.
type keyFetch struct {
	done chan struct{} // closed when the fetch is over
	err  error         // why it failed; read only after done is closed
	// begun is when the fetch was asked for (real time): callers of Key
	// wait for it until KeyWait after it, so a request that asks twice
	// (the token cache's check, then the validation) waits KeyWait in all.
	begun time.Time
}

// newKeyFetch is a fetch asked for now.
func newKeyFetch() *keyFetch {
	return &keyFetch{done: make(chan struct{}), begun: time.Now()}
}

var _ Issuer = (*OIDCIssuer)(nil)

// errStopped fails the fetches still requested when Run returns.
var errStopped = errors.New("the issuer is stopped")

// issuerMismatchError is the failure of a discovery document that names
// another issuer.
type issuerMismatchError struct{ got string }

func (e *issuerMismatchError) Error() string {
	return fmt.Sprintf("the discovery document names the issuer %q", e.got)
}

// NewOIDCIssuer returns the issuer at issuerURL, which Run must then start.
// It checks the URL and options but does no network I/O.
func NewOIDCIssuer(issuerURL string, opts OIDCOptions) (*OIDCIssuer, error) {
	trimmed := strings.TrimSuffix(issuerURL, "/")
	o := &OIDCIssuer{
		url:             trimmed,
		client:          opts.Client,
		logger:          opts.Logger,
		now:             opts.Now,
		refreshInterval: cmp0(opts.RefreshInterval, defaultOIDCRefreshInterval),
		refetchInterval: cmp0(opts.RefetchInterval, defaultOIDCRefetchInterval),
		retryMin:        cmp0(opts.RetryMin, defaultOIDCRetryMin),
		retryMax:        cmp0(opts.RetryMax, defaultOIDCRetryMax),
		keyWait:         cmp0(opts.KeyWait, defaultOIDCKeyWait),
		kick:            make(chan struct{}, 1),
	}
	switch {
	case strings.HasSuffix(trimmed, "/"):
		// One trailing slash is ignored, here and in a token's iss (Trusts);
		// the URL left would end in one still, which no iss matches then.
		return nil, fmt.Errorf("oidc issuer %q: the URL ends in more than one slash", issuerURL)
	case opts.RefreshInterval < 0, opts.RefetchInterval < 0, opts.RetryMin < 0, opts.RetryMax < 0, opts.KeyWait < 0:
		return nil, fmt.Errorf("oidc issuer %q: negative interval in the options", issuerURL)
	case o.retryMax < o.retryMin:
		return nil, fmt.Errorf("oidc issuer %q: RetryMax is less than RetryMin", issuerURL)
	}
	if o.client == nil {
		o.client = &http.Client{Timeout: defaultOIDCTimeout, CheckRedirect: checkRedirect}
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.now == nil {
		o.now = time.Now
	}

	base := trimmed
	switch strings.Count(trimmed, TenantPlaceholder) {
	case 0:
	case 1:
		o.multiTenant = true
		o.prefix, o.suffix, _ = strings.Cut(trimmed, TenantPlaceholder)
		authority := strings.Index(o.prefix, "://")
		if authority < 0 || !strings.Contains(o.prefix[authority+3:], "/") ||
			!strings.HasSuffix(o.prefix, "/") || (o.suffix != "" && !strings.HasPrefix(o.suffix, "/")) {
			return nil, fmt.Errorf("oidc issuer %q: %s must be a whole segment of the URL's path", issuerURL, TenantPlaceholder)
		}
		base = o.prefix + commonTenant + o.suffix
	default:
		return nil, fmt.Errorf("oidc issuer %q: %s may appear only once", issuerURL, TenantPlaceholder)
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("oidc issuer %q: %w", issuerURL, err)
	}
	switch {
	case strings.Contains(issuerURL, " "):
		// url.Parse takes one in a path, but no URL holds it, nor so the
		// iss of a token: several issuers are several --issuer flags, or
		// comma-separated.
		err = errors.New("the URL holds a space, which no URL does (give several issuers separated by commas, or each as its own --issuer)")
	case u.User != nil:
		err = errors.New("the URL must not hold user info")
	case u.RawQuery != "" || u.ForceQuery:
		err = errors.New("the URL must not have a query")
	case u.Fragment != "" || strings.Contains(base, "#"):
		err = errors.New("the URL must not have a fragment")
	default:
		err = checkFetchURL(u)
	}
	if err != nil {
		return nil, fmt.Errorf("oidc issuer %q: %w", issuerURL, err)
	}
	o.discoveryURL = base + discoveryPath
	return o, nil
}

// cmp0 returns d, or def when d is zero.
func cmp0(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// checkFetchURL says why u may not be fetched: it must be absolute and
// https, or http to a loopback host.
func checkFetchURL(u *url.URL) error {
	switch {
	case u.Opaque != "" || u.Hostname() == "":
		return errors.New("the URL must be absolute, with a host")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return errors.New("http is allowed only for loopback hosts (127.0.0.1, ::1, localhost); use https")
	default:
		return fmt.Errorf("the URL's scheme must be https, not %q", u.Scheme)
	}
}

// loopback reports whether host is a loopback address or localhost.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.IsLoopback()
}

// checkRedirect is the redirect policy of the default client: the default
// limit of 10, and only to URLs that may be fetched.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if err := checkFetchURL(req.URL); err != nil {
		return fmt.Errorf("redirected to %s: %w", req.URL.Redacted(), err)
	}
	return nil
}

// URL returns the issuer URL as configured (without a trailing slash).
func (o *OIDCIssuer) URL() string { return o.url }

// Ready reports whether discovery has succeeded, so that Key can answer.
func (o *OIDCIssuer) Ready() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ready
}

// Trusts reports whether iss is this issuer's URL (for a multi-tenant issuer,
// with tid in place of the placeholder), ignoring a trailing slash. It trusts
// nothing while the discovery document names another issuer.
func (o *OIDCIssuer) Trusts(iss, tid string) bool {
	if o.mismatch.Load() {
		return false
	}
	iss = strings.TrimSuffix(iss, "/")
	if !o.multiTenant {
		return iss == o.url
	}
	return validTenantID(tid) &&
		len(iss) == len(o.prefix)+len(tid)+len(o.suffix) &&
		strings.HasPrefix(iss, o.prefix) && strings.HasSuffix(iss, o.suffix) &&
		iss[len(o.prefix):len(iss)-len(o.suffix)] == tid
}

// SharesTokensWith reports whether o and p would both trust a token: a
// single-tenant issuer's URL that a multi-tenant one's is with a valid
// tenant id in place of the placeholder (Entra ID's
// https://login.microsoftonline.com/{tenantid}/v2.0 and one tenant's own
// https://login.microsoftonline.com/<tid>/v2.0), with that iss and tid.
// The two are two realms, so such a tenant's data would be the realm of
// whichever issuer a validator asks first. The same URL twice is one realm
// (no overlap); two multi-tenant URLs are not compared.
func (o *OIDCIssuer) SharesTokensWith(p *OIDCIssuer) (iss, tid string, ok bool) {
	multi, single := o, p
	if !multi.multiTenant {
		multi, single = p, o
	}
	if !multi.multiTenant || single.multiTenant {
		return "", "", false
	}
	u := single.url
	if len(u) <= len(multi.prefix)+len(multi.suffix) || !strings.HasPrefix(u, multi.prefix) || !strings.HasSuffix(u, multi.suffix) {
		return "", "", false
	}
	tid = u[len(multi.prefix) : len(u)-len(multi.suffix)]
	if !validTenantID(tid) {
		return "", "", false
	}
	return u, tid, true
}

// Realm is the issuer's URL as configured, {tenantid} included for a
// multi-tenant issuer: all the tenants of such an issuer are its own, each
// token's tenant checked against its iss by Trusts.
func (o *OIDCIssuer) Realm() string { return o.url }

// validTenantID reports whether tid may be put into a multi-tenant issuer's
// URL: 1 to 64 ASCII letters, digits and hyphens.
func validTenantID(tid string) bool {
	if tid == "" || len(tid) > maxTenantIDLength {
		return false
	}
	for _, r := range tid {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Key returns the cached key with key id kid. For an unknown kid it fetches
// the key set again (shared with concurrent callers) if the last fetch is at
// least RefetchInterval old and Run is running, and looks again; otherwise it
// returns ErrUnknownKey at once. Before discovery has succeeded it fails with
// an error that is not ErrUnknownKey. It waits for the fetch until KeyWait
// after the fetch was asked for, then returns ErrUnknownKey while the fetch
// goes on; ctx bounds the wait too.
func (o *OIDCIssuer) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	o.mu.Lock()
	if !o.ready {
		err := o.unavailableLocked()
		o.mu.Unlock()
		return nil, err
	}
	if k, ok := o.keys[kid]; ok {
		o.mu.Unlock()
		return k, nil
	}
	f := o.fetch
	if f == nil {
		if !o.running || !o.lastRefetch.IsZero() && o.now().Sub(o.lastRefetch) < o.refetchInterval {
			o.mu.Unlock()
			return nil, ErrUnknownKey
		}
		f = newKeyFetch()
		o.fetch = f
		o.lastRefetch = o.now() // the rate limit holds from now on
		select {
		case o.kick <- struct{}{}:
		default: // a kick is pending already; it will serve this fetch
		}
	}
	o.mu.Unlock()

	select {
	case <-f.done:
	default:
		wait := time.NewTimer(time.Until(f.begun.Add(o.keyWait)))
		defer wait.Stop()
		select {
		case <-f.done:
		case <-wait.C:
			// What the caller would get without the new key; the fetch
			// goes on, for the callers after it.
			return nil, fmt.Errorf("%w (the key set of %s is still being fetched after %v)", ErrUnknownKey, o.url, o.keyWait)
		case <-ctx.Done():
			return nil, fmt.Errorf("oidc issuer %s: waiting for its key set: %w", o.url, ctx.Err())
		}
	}
	o.mu.Lock()
	k, ok := o.keys[kid]
	o.mu.Unlock()
	switch {
	case ok:
		return k, nil
	case f.err != nil:
		return nil, fmt.Errorf("%w (fetching the key set of %s failed: %v)", ErrUnknownKey, o.url, f.err)
	default:
		return nil, ErrUnknownKey
	}
}

// unavailableLocked is Key's error before discovery has succeeded.
func (o *OIDCIssuer) unavailableLocked() error {
	switch {
	case !o.started:
		return fmt.Errorf("oidc issuer %s: not started", o.url)
	case o.lastErr != nil:
		return fmt.Errorf("oidc issuer %s: signing keys not loaded yet: %w", o.url, o.lastErr)
	default:
		return fmt.Errorf("oidc issuer %s: signing keys not loaded yet: discovery under way", o.url)
	}
}

// Run discovers the issuer, retrying until it succeeds, and then keeps its
// key set fresh, until ctx is done. It returns nil once ctx is done and all
// its work has stopped (no request is left running), or an error at once if
// Run was called before. Callers run it in a goroutine:
//
//	go issuer.Run(ctx)
func (o *OIDCIssuer) Run(ctx context.Context) error {
	o.mu.Lock()
	if o.started {
		o.mu.Unlock()
		return fmt.Errorf("oidc issuer %s: Run called twice", o.url)
	}
	o.started, o.running = true, true
	o.mu.Unlock()
	defer o.stop()

	if o.discover(ctx) {
		o.keepFresh(ctx)
	}
	return nil
}

// stop ends Run: no more fetches can be requested, and callers waiting for a
// requested fetch are released.
func (o *OIDCIssuer) stop() {
	o.mu.Lock()
	o.running = false
	f := o.fetch
	o.fetch = nil
	if f != nil {
		f.err = errStopped
	}
	o.mu.Unlock()
	if f != nil {
		close(f.done)
	}
}

// discover fetches the discovery document and the key set until that
// succeeds (true) or ctx is done (false).
func (o *OIDCIssuer) discover(ctx context.Context) bool {
	delay := o.retryMin
	for {
		err := o.discoverOnce(ctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		o.mu.Lock()
		o.lastErr = err
		o.mu.Unlock()
		var mismatch *issuerMismatchError
		if errors.As(err, &mismatch) {
			o.logger.LogAttrs(ctx, slog.LevelError, "issuer not trusted: its discovery document names another issuer, retrying",
				slog.String("issuer", o.url), slog.String("document_issuer", mismatch.got),
				slog.String("discovery_url", o.discoveryURL), slog.Duration("retry_in", delay))
		} else {
			o.logger.LogAttrs(ctx, slog.LevelWarn, "issuer unreachable, retrying",
				slog.String("issuer", o.url), slog.Any("error", err), slog.Duration("retry_in", delay))
		}
		if !sleep(ctx, delay) {
			return false
		}
		delay = min(2*delay, o.retryMax)
	}
}

// discoveryDocument holds the members of a discovery document that are used.
type discoveryDocument struct {
	Issuer                string `json:"issuer"`
	JWKSURI               string `json:"jwks_uri"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
}

// fetchDiscovery fetches and parses the discovery document at discoveryURL,
// failing with an *issuerMismatchError when it names another issuer.
func (o *OIDCIssuer) fetchDiscovery(ctx context.Context, discoveryURL string) (discoveryDocument, error) {
	var doc discoveryDocument
	body, err := o.get(ctx, discoveryURL, maxDiscoverySize)
	if err != nil {
		return doc, fmt.Errorf("discovery: %w", err)
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return doc, fmt.Errorf("discovery document %s: %w", discoveryURL, err)
	}
	if strings.TrimSuffix(doc.Issuer, "/") != o.url {
		return doc, &issuerMismatchError{got: doc.Issuer}
	}
	return doc, nil
}

// checkEndpoint says why the endpoint name of the document at discoveryURL,
// uri, is not one to use: it must be https, or http to a loopback host.
func checkEndpoint(discoveryURL, name, uri string) error {
	u, err := url.Parse(uri)
	if err == nil {
		err = checkFetchURL(u)
	}
	if err != nil {
		return fmt.Errorf("discovery document %s: %s %q: %w", discoveryURL, name, uri, err)
	}
	return nil
}

// discoverOnce fetches the discovery document and the key set once.
func (o *OIDCIssuer) discoverOnce(ctx context.Context) error {
	doc, err := o.fetchDiscovery(ctx, o.discoveryURL)
	if err != nil {
		var mismatch *issuerMismatchError
		if errors.As(err, &mismatch) {
			o.mismatch.Store(true)
		}
		return err
	}
	o.mismatch.Store(false)
	if err := checkEndpoint(o.discoveryURL, "jwks_uri", doc.JWKSURI); err != nil {
		return err
	}
	keys, err := o.fetchKeys(ctx, doc.JWKSURI)
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.jwksURI = doc.JWKSURI
	o.keys = keys
	o.lastErr = nil
	o.ready = true
	o.mu.Unlock()
	o.logger.LogAttrs(ctx, slog.LevelInfo, "issuer discovered, signing keys loaded",
		slog.String("issuer", o.url), slog.String("jwks_uri", doc.JWKSURI), slog.Int("keys", len(keys)))
	return nil
}

// SignInEndpoints fetches the discovery document of the issuer's sign-in and
// returns its authorization and token endpoints, for a client that signs
// users in with the issuer (the web UI's authorization code flow). For a
// multi-tenant issuer that is the document of SignInTenant, whose issuer is
// the URL with the placeholder as Entra ID's is; otherwise the document Run
// fetches. The document must name this issuer, and both endpoints must be
// https (http only to a loopback host). It makes one attempt, bounded by ctx
// and the client's timeout, and does not touch what Run keeps.
func (o *OIDCIssuer) SignInEndpoints(ctx context.Context) (Endpoints, error) {
	discoveryURL := o.discoveryURL
	if o.multiTenant {
		discoveryURL = o.prefix + SignInTenant + o.suffix + discoveryPath
	}
	doc, err := o.fetchDiscovery(ctx, discoveryURL)
	if err != nil {
		return Endpoints{}, err
	}
	for _, e := range []struct{ name, uri string }{
		{"authorization_endpoint", doc.AuthorizationEndpoint}, {"token_endpoint", doc.TokenEndpoint},
	} {
		if err := checkEndpoint(discoveryURL, e.name, e.uri); err != nil {
			return Endpoints{}, err
		}
	}
	return Endpoints{Authorization: doc.AuthorizationEndpoint, Token: doc.TokenEndpoint}, nil
}

// SignInURL is the issuer's URL for signing in: the URL as configured, or
// for a multi-tenant issuer the URL with SignInTenant in place of the
// placeholder.
func (o *OIDCIssuer) SignInURL() string {
	if o.multiTenant {
		return o.prefix + SignInTenant + o.suffix
	}
	return o.url
}

// keepFresh serves requested fetches of the key set and refreshes it
// periodically until ctx is done. A failed periodic refresh is retried with
// backoff.
func (o *OIDCIssuer) keepFresh(ctx context.Context) {
	delay := o.retryMin
	timer := time.NewTimer(o.refreshInterval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.kick:
			o.refresh(ctx, true)
		case <-timer.C:
			if err := o.refresh(ctx, false); err != nil {
				timer.Reset(min(delay, o.refreshInterval))
				delay = min(2*delay, o.retryMax)
			} else {
				timer.Reset(o.refreshInterval)
				delay = o.retryMin
			}
		}
	}
}

// refresh fetches the key set and, if that works, replaces the cached one. It
// serves the fetch Key requested, if any; requested says it was asked for by
// Key, in which case there is nothing to do when a periodic refresh has
// served the request already.
func (o *OIDCIssuer) refresh(ctx context.Context, requested bool) error {
	o.mu.Lock()
	f := o.fetch
	if f == nil {
		if requested {
			o.mu.Unlock()
			return nil
		}
		f = newKeyFetch()
		o.fetch = f
	}
	uri := o.jwksURI
	o.mu.Unlock()

	keys, err := o.fetchKeys(ctx, uri)

	o.mu.Lock()
	if err == nil {
		o.keys = keys
	}
	f.err = err
	o.fetch = nil
	o.mu.Unlock()
	// The fetch's waiters are let go once it is told: its failure is
	// counted at the clock's time of the fetch, not of a request after it.
	defer close(f.done)

	reason := "periodic"
	if requested {
		reason = "unknown kid"
	}
	switch {
	case err == nil:
		o.logger.LogAttrs(ctx, slog.LevelDebug, "issuer signing keys refreshed",
			slog.String("issuer", o.url), slog.String("reason", reason), slog.Int("keys", len(keys)))
		if failures, tell := o.refreshFailures.Answered(""); tell {
			o.logger.LogAttrs(ctx, slog.LevelInfo, "issuer signing keys refreshed again",
				slog.String("issuer", o.url), slog.Int("failures", failures))
		}
	case ctx.Err() == nil:
		// Any client brings a refresh every refetchInterval with a kid
		// the issuer never had: a warning at most once an outage.Interval.
		level, attrs := slog.LevelDebug, []slog.Attr{slog.String("issuer", o.url), slog.String("reason", reason), slog.Any("error", err)}
		if failures, warn := o.refreshFailures.Failed(o.now(), ""); warn {
			level, attrs = slog.LevelWarn, append(attrs, slog.Int("failures", failures))
		}
		o.logger.LogAttrs(ctx, level, "issuer signing keys refresh failed, keeping the previous keys", attrs...)
	}
	return err
}

// fetchKeys fetches and parses the key set at uri.
func (o *OIDCIssuer) fetchKeys(ctx context.Context, uri string) (map[string]crypto.PublicKey, error) {
	body, err := o.get(ctx, uri, maxJWKSSize)
	if err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	keys, skipped, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("key set %s: %w", uri, err)
	}
	for _, s := range skipped {
		o.logger.LogAttrs(ctx, slog.LevelDebug, "issuer signing key skipped",
			slog.String("issuer", o.url), slog.String("kid", s.kid), slog.Any("reason", s.err))
	}
	if len(keys) == 0 {
		// Then every token's kid is unknown, and any client brings a
		// fetch every refetchInterval: a warning at most once an
		// outage.Interval.
		level, attrs := slog.LevelDebug, []slog.Attr{slog.String("issuer", o.url), slog.String("jwks_uri", uri), slog.Int("skipped", len(skipped))}
		if fetches, warn := o.noUsableKeys.Failed(o.now(), ""); warn {
			level, attrs = slog.LevelWarn, append(attrs, slog.Int("fetches", fetches))
		}
		o.logger.LogAttrs(ctx, level, "issuer publishes no usable signing keys", attrs...)
	} else if fetches, tell := o.noUsableKeys.Answered(""); tell {
		o.logger.LogAttrs(ctx, slog.LevelInfo, "issuer publishes usable signing keys again",
			slog.String("issuer", o.url), slog.Int("fetches", fetches), slog.Int("keys", len(keys)))
	}
	return keys, nil
}

// get returns the body of a 200 response to GET rawURL, failing if it is
// larger than limit bytes.
func (o *OIDCIssuer) get(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := o.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", rawURL, resp.Status)
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("GET %s: the response is larger than %d bytes", rawURL, limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", rawURL, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("GET %s: the response is larger than %d bytes", rawURL, limit)
	}
	return body, nil
}

// sleep waits for d or until ctx is done, reporting whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
