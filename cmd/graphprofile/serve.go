package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/internal/logoutput"
	"github.com/graphprofile/graphprofile/internal/outage"
	"github.com/graphprofile/graphprofile/postgres"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/tlsdev"
	"github.com/graphprofile/graphprofile/token"
	"github.com/graphprofile/graphprofile/webui"
)

func runServe(ctx context.Context, env *environment, args []string) (err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", defaultListen, "`address` to listen on")
	metricsListen := fs.String("metrics-listen", "", "serve the Prometheus metrics at /metrics of this `address` (e.g. 127.0.0.1:9090) instead of the main listener's /metrics; either way without a token")
	storeURL := fs.String("store", defaultStore, "where data lives, a `URL`: sqlite:PATH, memory: (SQLite without files: nothing survives the process) or postgres://…")
	fixturesFile := fs.String("fixtures", "", "load the users and profiles of the fixtures `file` (docs/fixtures.md) at start when the store has no users")
	publicURL := fs.String("public-url", "", "base `URL` clients reach the server at, used in @odata.context, Location and @odata.nextLink (default: the listen address, or what a trusted proxy forwards)")
	maxConnections := fs.Int("max-connections", graphapi.DefaultMaxConnections, "the most client `connections` served at once; a new one closes the connection idle the longest, or waits until one closes or is idle")
	maxEvaluations := fs.Int("max-evaluations", graphapi.DefaultMaxEvaluations(), "the most costly `queries` ($filter, another $orderby, $count, $top over 100, a big profile) answered at once, 2 per CPU by default; more wait for one to end, at most 5 s, then are answered 503 serviceNotAvailable with Retry-After")
	maxItems := fs.Int("max-items", graphprofile.DefaultMaxItems, "the most `items` a collection of one profile holds (positions, skills, …); one more is refused with 507 quotaLimitReached")
	trustProxy := fs.Bool("trust-proxy", false, "behind a reverse proxy: take the scheme and host of absolute URLs from Forwarded, X-Forwarded-Proto/-Host and Host when --public-url is not set (never set it when clients connect directly); it also turns the web UI's development sign-in off")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "log `format`: text (key=value) or json (one object a line); the access log, one line per request at info, included")
	adminToken := fs.String("admin-token", "", "turn on the admin API for test suites under /_admin/ (reset, fixtures, request journal, clock, faults; docs/admin-api.md), each call needing this `token` as its bearer token; never on a server with real data")
	journalSize := fs.Int("journal-size", graphapi.DefaultJournalSize, "how many `requests` the admin API's journal keeps (with --admin-token)")
	drainTimeout := fs.Duration("drain-timeout", 10*time.Second, "how long a shutdown waits for in-flight requests (0: not at all)")
	cpuProfile := fs.String("cpuprofile", "", "diagnostics: write a CPU profile (go tool pprof) of the whole run to `file`")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with the PEM certificate (and chain) in `file`; needs --tls-key")
	tlsKey := fs.String("tls-key", "", "the PEM private key `file` of --tls-cert")
	devIssuer := fs.Bool("dev-issuer", false, "trust the development issuer (graphprofile token) beside --issuer too; without --issuer it is always on")
	var corsOrigins listFlag
	fs.Var(&corsOrigins, "cors-origins", "the `origins` (scheme://host[:port], comma-separated) whose browser pages may call the API; default any origin, since tokens, not cookies, carry the identity")
	var issuers listFlag
	fs.Var(&issuers, "issuer", "also trust access tokens of this OIDC issuer `URL` (repeatable; comma-separated in GRAPHPROFILE_ISSUERS); {tenantid} in it trusts every tenant of a multi-tenant issuer, e.g. https://login.microsoftonline.com/{tenantid}/v2.0")
	throttle := fs.Bool("throttle", false, "throttle as Graph does: each caller (tenant, app and signed-in user) gets a token bucket of --throttle-limit; a request beyond it is 429 TooManyRequests with Retry-After")
	throttleLimit := fs.String("throttle-limit", graphapi.DefaultThrottleLimit().String(), "the `limit` of --throttle as REQUESTS/DURATION: the bucket holds REQUESTS and refills them every DURATION; the default is Graph's identity-service limit of an app in a small tenant")
	faultsSpec := fs.String("faults", "", "inject Graph's failures and latency at random, for tests of retries: a `spec` such as 429=0.05,503=0.02,504=0.01,latency=50ms@0.1,retry-after=2 (see docs/throttling-and-faults.md)")
	faultsSeed := fs.Uint64("faults-seed", 0, "the `seed` of --faults' random draws, to replay a run (default: a random seed, logged)")
	ui := fs.Bool("ui", true, "serve the web UI at /ui/ (a people directory, profile cards, and with --admin-token an inspector; docs/web-ui.md), GET / redirecting to it; --ui=false turns it off")
	uiClientID := fs.String("ui-client-id", "", "the web UI signs users in with the first --issuer as this application `id` (registered with the issuer as a single-page application whose redirect URI is the public URL's /ui/): the OAuth 2.0 authorization code flow with PKCE (docs/web-ui.md)")
	uiScope := fs.String("ui-scope", defaultUIScope, "the `scopes` the web UI's sign-in with --ui-client-id asks the issuer for, separated by spaces")
	tlsSelfSigned := fs.Bool("tls-self-signed", false, "serve HTTPS with a certificate for localhost, 127.0.0.1 and ::1 signed by a development CA created once beside the database (<database>-ca.pem; for memory: and postgres:// graphprofile-ca.pem in the working directory): trust it, e.g. with NODE_EXTRA_CA_CERTS")
	// Warnings about the environment go to the log, in its format (a
	// pipeline parsing JSON lines met a line of text); printed as by
	// other commands when serve stops before it has one.
	env.holdWarnings = true
	defer env.printHeldWarnings()
	if err := parseFlags(fs, env, args, "[flags]"); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("%s: want debug, info, warn or error", env.settingValue("log-level", quoteValue(*logLevel)))
	}
	logOptions := &slog.HandlerOptions{Level: level}
	// The access log's lines are written a few at a time, every other
	// line at once (logoutput.Output); the gathered ones are written before serve
	// returns.
	logOut := logoutput.New(env.stderr, logoutput.AccessLogDelay)
	defer logOut.Close()
	var logHandler, accessHandler slog.Handler
	switch *logFormat {
	case "text":
		logHandler = slog.NewTextHandler(logOut.Immediate(), logOptions)
		accessHandler = slog.NewTextHandler(logOut.Gathering(), logOptions)
	case "json":
		logHandler = slog.NewJSONHandler(logOut.Immediate(), logOptions)
		accessHandler = slog.NewJSONHandler(logOut.Gathering(), logOptions)
	default:
		return fmt.Errorf("%s: want text or json", env.settingValue("log-format", quoteValue(*logFormat)))
	}
	// A line of the log that cannot be written is lost, not the server:
	// when the reader of standard error goes away (a tee, a log shipper
	// that crashed or restarted), Go's default for a write to the broken
	// pipe is to die of SIGPIPE, at the next request's access log line,
	// with every request in flight and no drain.
	signal.Ignore(syscall.SIGPIPE)
	// Held until the server listens: a start-up that fails says only why.
	starting := &startLogs{}
	logger := slog.New(starting.handler(scrubbingHandler{logHandler, env}))
	// The access log is not scrubbed: its lines hold what the client sent
	// (path, client-request-id) and the server's own ids, never the store
	// URL; hiding a secret the client spelled there would tell the client,
	// through whoever reads the log, that it guessed the secret right.
	accessLog := slog.New(starting.handler(accessHandler))
	// Not held with the start's records: a start that fails may fail
	// because of the variable misspelled. At the log's level when it is
	// above warnings (--log-level error): a setting ignored is never
	// silent.
	for _, warning := range env.warnings {
		slog.New(scrubbingHandler{logHandler, env}).Log(ctx, max(slog.LevelWarn, level), warning)
	}
	env.warnings = nil
	if *logFormat == "json" {
		// The error serve ends with is a record of the log too, so that a
		// pipeline parsing JSON keeps the line saying why it stopped; it is
		// not held with the start's records, which a failed start drops.
		defer func() {
			if err != nil {
				slog.New(scrubbingHandler{logHandler, env}).Error("graphprofile serve stopped on an error", "err", env.errorLine(err))
				err = loggedError{err}
			}
		}()
	}
	// The settings' values are checked once the log is made, so that
	// under --log-format json a wrong one ends in the log's record too.
	if *journalSize < 0 {
		return fmt.Errorf("%s: want 0 or more", env.settingValue("journal-size", fmt.Sprint(*journalSize)))
	}
	if *adminToken == "" && given(fs, "journal-size") {
		// The journal is the admin API's: without it the size would be
		// ignored, as no other setting that needs another is.
		return fmt.Errorf("%s needs --admin-token", env.setting("journal-size"))
	}
	if *listen == "" {
		// net.Listen would take "" as every interface on a random port.
		return fmt.Errorf(`%s: want HOST:PORT, e.g. 127.0.0.1:8080 (":PORT" for every interface)`, env.settingValue("listen", `""`))
	}
	// An address that cannot be listened on is refused before the store is
	// opened, which creates the database and its key.
	if err := checkListenAddress(*listen); err != nil {
		return fmt.Errorf("%s: %w", env.settingValue("listen", quoteValue(*listen)), err)
	}
	if *drainTimeout < 0 {
		return fmt.Errorf("%s: want 0 or more (0: no wait)", env.settingValue("drain-timeout", drainTimeout.String()))
	}
	if *adminToken != "" && len(strings.TrimSpace(*adminToken)) != len(*adminToken) {
		return fmt.Errorf("%s: the token must not begin or end with spaces", env.setting("admin-token"))
	}
	if *maxConnections < 1 {
		return fmt.Errorf("%s: want 1 or more", env.settingValue("max-connections", fmt.Sprint(*maxConnections)))
	}
	if *maxEvaluations < 1 {
		return fmt.Errorf("%s: want 1 or more", env.settingValue("max-evaluations", fmt.Sprint(*maxEvaluations)))
	}
	if *maxItems < 1 {
		return fmt.Errorf("%s: want 1 or more", env.settingValue("max-items", fmt.Sprint(*maxItems)))
	}
	if err := checkPublicURL(*publicURL); err != nil {
		return fmt.Errorf("%s: %w", env.settingValue("public-url", quoteValue(redact(*publicURL))), err)
	}
	if err := graphapi.CheckCORSOrigins(corsOrigins); err != nil {
		return fmt.Errorf("%s: %w", env.setting("cors-origins"), err)
	}
	throttleLimitValue, faults, err := testControlFlags(env, fs, *throttle, *throttleLimit, *faultsSpec, *faultsSeed)
	if err != nil {
		return err
	}
	if env.getenv("GOMEMLIMIT") == "" {
		// A soft target for the Go heap: the garbage collector works harder
		// near it instead of letting the heap double, so the process stays
		// small with any amount of data (the caches are bounded too). Set
		// GOMEMLIMIT to choose another.
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	// TLS before the store, so that bad TLS input fails without creating a
	// database.
	tlsConfig, err := loadTLSFlags(env, logger, *tlsCert, *tlsKey, *tlsSelfSigned)
	if err != nil {
		return err
	}
	uiOAuth := uiOAuthSettings{
		clientID: *uiClientID, scope: *uiScope, ui: *ui, issuers: issuers, publicURL: *publicURL,
		trustProxy: *trustProxy, listen: *listen, https: tlsConfig != nil || *tlsSelfSigned,
	}
	uiRedirect, err := uiRedirectURI(env, uiOAuth, given(fs, "ui-scope"))
	if err != nil {
		return err
	}

	// Fixtures before the store too: a bad file fails at once, whatever the
	// store holds.
	var fixtures *graphprofile.Fixtures
	if *fixturesFile != "" {
		f, err := readFixtures(*fixturesFile)
		if err != nil {
			return fmt.Errorf("%s: %w", env.setting("fixtures"), err)
		}
		fixtures = &f
	}

	loc, err := env.parseStore(*storeURL, anyStore)
	if err != nil {
		return err
	}
	// The issuers' URLs are checked before anything listens; their keys
	// are discovered once the server runs.
	oidcIssuers := make([]*token.OIDCIssuer, len(issuers))
	for i, url := range issuers {
		// The issuer's log lines name it themselves.
		if oidcIssuers[i], err = token.NewOIDCIssuer(url, token.OIDCOptions{Logger: logger}); err != nil {
			return fmt.Errorf("%s: %w", env.settingValue("issuer", url), err)
		}
		// A tenant's data belongs to the issuer that vouches for it: two
		// that both vouch for one would put it in the realm of the one
		// given first, and a change of their order would hide it.
		for _, earlier := range oidcIssuers[:i] {
			// The same issuer twice (a slash at the end is no other one)
			// would fetch its keys twice and count twice in the log.
			if earlier.URL() == oidcIssuers[i].URL() {
				return fmt.Errorf("%s: %s is given twice", env.setting("issuer"), earlier.URL())
			}
			if iss, tid, ok := earlier.SharesTokensWith(oidcIssuers[i]); ok {
				return fmt.Errorf("%s: both %s and %s trust the tokens of tenant %s (iss %s), whose data would be the first one's; give one of them", env.setting("issuer"), earlier.URL(), oidcIssuers[i].URL(), tid, iss)
			}
		}
	}
	// Listening comes before the store, which creates the database, its
	// key and the development CA: a port in use fails with nothing written.
	// The listeners are the server's from Open on; closing them again at
	// the end is harmless.
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("%s: %w", env.settingValue("listen", quoteValue(*listen)), err)
	}
	defer ln.Close()
	var metricsLn net.Listener
	if *metricsListen != "" {
		if metricsLn, err = net.Listen("tcp", *metricsListen); err != nil {
			return fmt.Errorf("%s: %w", env.settingValue("metrics-listen", quoteValue(*metricsListen)), err)
		}
		defer metricsLn.Close()
	}
	// A broken development key, CA or TLS key fails before the store
	// creates a database.
	if err := loc.checkDevKey(); err != nil {
		return err
	}
	if *tlsSelfSigned {
		if err := tlsdev.Check(loc.devTLSFiles()); err != nil {
			return fmt.Errorf("%s: %w", env.setting("tls-self-signed"), err)
		}
	}
	metrics := newServeMetrics()
	// The store's logger is not held: a wait at Open for the migration lock
	// is said while it lasts, not after.
	storeLogger := slog.New(scrubbingHandler{logHandler, env})
	store, err := loc.openWith(ctx, []postgres.Option{postgres.WithLogger(storeLogger)}, sqlite.WithMetrics(metrics), sqlite.WithLogger(storeLogger))
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			logger.Error("closing the store", "err", err)
		}
	}()
	// The development CA and TLS key, made when missing, once the store is
	// open, so that a store that cannot be opened leaves none behind.
	if *tlsSelfSigned {
		if tlsConfig, err = selfSignedTLS(logger, loc.devTLSFiles()); err != nil {
			return fmt.Errorf("%s: %w", env.setting("tls-self-signed"), err)
		}
	}
	// One clock for all the server's times, which the admin API may set.
	clock := &graphprofile.Clock{}
	// The server reaches the store through outage.Store: an outage of the
	// database is its lines (one ERROR, then one a minute, and one when it
	// answers again), not an ERROR for each request that failed of it.
	watched := outage.NewStore(store, logger)
	service := &graphprofile.Service{Store: watched, Now: clock.Now, MaxItems: *maxItems}
	if fixtures != nil {
		if err := loadFixtures(ctx, logger, service, *fixturesFile, *fixtures); err != nil {
			return fmt.Errorf("%s: %w", env.setting("fixtures"), err)
		}
	}
	dev, devKey, err := devIssuerOf(ctx, loc, store)
	if err != nil {
		return err
	}
	dev.Now = clock.Now
	if loc.kind == "sqlite" {
		tls := loc.devTLSFiles()
		if exposed := exposedFiles(loc.file, loc.devKeyPath(), tls.CAKey, tls.Key); len(exposed) > 0 {
			logger.Warn("other users of this machine may read these files: whoever reads the development key can mint a token for any user, and the database holds every profile; chmod 600 them", "files", exposed)
		}
	}
	// $skiptokens are bound to the store: the key every server of it holds
	// (graphapi.Server.SkipTokenSecret).
	skipTokenSecret, err := dev.Secret("graphprofile $skiptoken")
	if err != nil {
		return err
	}
	// The development issuer signs for any tenant with a key file on disk:
	// beside real identity providers it is trusted only when asked for.
	var trusted []token.Issuer
	devOn := len(issuers) == 0 || *devIssuer
	if devOn {
		trusted = append(trusted, dev)
	}
	// External issuers discover their keys in the background, retrying until
	// they answer, so one unreachable issuer does not keep the server down.
	issuerCtx, stopIssuers := context.WithCancel(context.Background())
	var running sync.WaitGroup
	defer func() {
		stopIssuers()
		running.Wait()
	}()
	var uiSignIn *webui.OAuthConfig // with the first issuer
	for i, url := range issuers {
		issuer := oidcIssuers[i]
		if i == 0 && uiRedirect != "" {
			// Before the issuer's own discovery starts, so that when the
			// issuer is down this error is all serve says.
			if uiSignIn, err = uiOAuthConfig(ctx, env, issuer, uiOAuth, uiRedirect); err != nil {
				return err
			}
		}
		trusted = append(trusted, issuer)
		running.Go(func() {
			if err := issuer.Run(issuerCtx); err != nil {
				logger.Error("issuer stopped", "issuer", url, "err", err)
			}
		})
	}

	validator := token.NewValidator(logger, trusted...)
	validator.Now = clock.Now
	metrics.watchStore(store)
	metrics.watchValidator(validator)
	server := &graphapi.Server{
		Service:         service,
		Authenticator:   validator,
		Addr:            *listen,
		Listener:        ln,
		PublicURL:       *publicURL,
		TrustProxy:      *trustProxy,
		SkipTokenSecret: skipTokenSecret,
		MaxConnections:  *maxConnections,
		MaxEvaluations:  *maxEvaluations,
		CORSOrigins:     corsOrigins,
		Logger:          logger,
		AccessLog:       accessLog,
		TLSConfig:       tlsConfig,
		Throttle:        throttleLimitValue,
		Faults:          faults,
		AdminToken:      *adminToken,
		JournalSize:     *journalSize,
		Clock:           clock,
		Metrics:         metrics.registry,
		ServeMetrics:    *metricsListen == "",
	}
	if *ui {
		// The page's development sign-in mints tokens of the development
		// tenant (graphprofile token's), only where that issuer is trusted,
		// and never behind a proxy: one on this machine that sends no
		// forwarding header makes every client look local.
		uiOptions := webui.Options{Admin: *adminToken != "", TrustProxy: *trustProxy, Logger: logger}
		if public, err := url.Parse(*publicURL); err == nil { // checked above
			uiOptions.BasePath = public.EscapedPath()
		}
		if devOn {
			uiOptions.DevSignIn = &webui.DevTenant{Issuer: dev, Store: watched, TenantID: defaultTenant}
			if *trustProxy {
				logger.Info("web UI development sign-in off behind a proxy (--trust-proxy): paste a token from graphprofile token")
			}
		}
		if uiOptions.OAuth = uiSignIn; uiSignIn != nil {
			logger.Info("web UI sign-in with your organization", "issuer", uiSignIn.Issuer,
				"client-id", uiSignIn.ClientID, "redirect-uri", uiSignIn.RedirectURI, "scope", uiSignIn.Scope)
		}
		if server.UI, err = webui.NewHandler(uiOptions); err != nil {
			return fmt.Errorf("%s: %w", env.setting("ui"), err)
		}
	}
	if *journalSize == 0 {
		server.JournalSize = -1 // none, where the Server's zero means its default
	}
	if metricsLn != nil {
		metricsServer, metricsURL := metrics.serve(metricsLn, logger)
		defer metricsServer.Close()
		logger.Info("metrics served", "url", metricsURL)
	}
	if err := server.Open(); err != nil {
		return err
	}
	// The profile begins with the serving: a start that fails leaves none.
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			_ = server.Close(context.Background()) // nothing was served yet
			return fmt.Errorf("%s: %w", env.setting("cpuprofile"), err)
		}
		defer stop()
	}
	starting.release(ctx)
	switch {
	case devOn && loc.kind == "memory":
		logger.Info("development issuer on, with a key in memory: the tokens on standard output are accepted (graphprofile token cannot sign for this process)")
		if err := printMemoryTokens(env, dev); err != nil {
			return err
		}
	case devOn:
		logger.Info("development issuer on: tokens of graphprofile token are accepted", "dev-key", devKey)
	default:
		logger.Info("development issuer off: only tokens of --issuer are accepted (--dev-issuer turns it on)")
	}
	if throttleLimitValue.On() {
		logger.Info("throttling on", "limit", throttleLimitValue.String())
	}
	if faults.On() {
		logger.Info("faults on", "faults", faults.String(), "faults-seed", faults.Seed)
	}
	if *adminToken != "" {
		logger.Warn("admin API on under /_admin/: whoever has the admin token can erase every tenant's data and read every request", "journal-size", *journalSize)
	}
	logger.Info("graphprofile serving", "url", server.URL()+"/beta", "store", loc.String(), "dev-key", devKey, "issuers", len(trusted))

	<-ctx.Done()
	logger.Info("shutting down", "drain-timeout", drainTimeout.String()) // "10s" in both log formats, not nanoseconds in JSON
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *drainTimeout)
	defer cancel()
	if err := server.Close(shutdownCtx); err != nil {
		return fmt.Errorf("draining in-flight requests: %w", err)
	}
	return nil
}

// testControlFlags checks --throttle, --throttle-limit, --faults and
// --faults-seed and returns the limit (zero when --throttle is off) and
// the faults to serve with. Without --faults-seed the seed is random.
func testControlFlags(env *environment, fs *flag.FlagSet, throttle bool, limitSpec, faultsSpec string, seed uint64) (graphapi.ThrottleLimit, graphapi.Faults, error) {
	var limit graphapi.ThrottleLimit
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	switch {
	case throttle:
		var err error
		if limit, err = graphapi.ParseThrottleLimit(limitSpec); err != nil {
			return limit, graphapi.Faults{}, fmt.Errorf("%s: %w", env.settingValue("throttle-limit", quoteValue(limitSpec)), err)
		}
	case given["throttle-limit"]:
		return limit, graphapi.Faults{}, fmt.Errorf("%s needs --throttle", env.setting("throttle-limit"))
	}
	faults, err := graphapi.ParseFaults(faultsSpec)
	if err != nil {
		return limit, faults, fmt.Errorf("%s: %w", env.settingValue("faults", quoteValue(faultsSpec)), err)
	}
	switch {
	case given["faults-seed"] && !faults.On():
		return limit, faults, fmt.Errorf("%s needs --faults", env.setting("faults-seed"))
	case given["faults-seed"]:
		faults.Seed = seed
	default:
		faults.Seed = rand.Uint64()
	}
	return limit, faults, nil
}

// given reports whether the flag name of fs was set, on the command line or
// from its environment variable.
func given(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// loadTLSFlags checks the combination of TLS flags and loads the key pair
// of --tls-cert and --tls-key. It returns nil for plain HTTP and for
// --tls-self-signed, whose files are made beside the database later.
func loadTLSFlags(env *environment, logger *slog.Logger, certFile, keyFile string, selfSigned bool) (*tls.Config, error) {
	switch {
	case selfSigned && (certFile != "" || keyFile != ""):
		return nil, fmt.Errorf("%s and %s exclude each other; give one or the other", env.setting("tls-self-signed"), env.setting(tlsFileFlag(certFile)))
	case certFile == "" && keyFile == "":
		return nil, nil
	case keyFile == "":
		return nil, fmt.Errorf("%s needs --tls-key", env.settingValue("tls-cert", certFile))
	case certFile == "":
		return nil, fmt.Errorf("%s needs --tls-cert", env.settingValue("tls-key", keyFile))
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", env.settingValue("tls-cert", certFile), env.settingValue("tls-key", keyFile), err)
	}
	// Serve it anyway (the operator may be about to replace it), but say
	// why clients will refuse it.
	if now := time.Now(); now.After(cert.Leaf.NotAfter) || now.Before(cert.Leaf.NotBefore) {
		logger.Warn("the TLS certificate is not valid now", "cert", certFile,
			"not-before", cert.Leaf.NotBefore, "not-after", cert.Leaf.NotAfter)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, nil
}

// tlsFileFlag is the flag of a certificate's files that was given:
// tls-cert, else tls-key.
func tlsFileFlag(certFile string) string {
	if certFile != "" {
		return "tls-cert"
	}
	return "tls-key"
}

// selfSignedTLS loads or creates the development CA and server certificate
// of files and logs the CA file clients must trust.
func selfSignedTLS(logger *slog.Logger, files tlsdev.Files) (*tls.Config, error) {
	cert, err := tlsdev.LoadOrCreate(files)
	if err != nil {
		return nil, err
	}
	// An absolute path, so that the line can be pasted in any directory.
	ca, err := filepath.Abs(files.CA)
	if err != nil {
		ca = files.CA
	}
	logger.Info("TLS with a development certificate for localhost, 127.0.0.1 and ::1; trust its CA",
		"ca", ca, "node", "NODE_EXTRA_CA_CERTS="+ca, "cert-expires", cert.Leaf.NotAfter.Format(time.DateOnly))
	return &tls.Config{Certificates: []tls.Certificate{cert}}, nil
}

// checkListenAddress rejects an address net.Listen would refuse for its
// form alone: no port, or a port that is neither a number from 0 to 65535
// nor a service name. A host it cannot resolve or bind is Listen's to say.
func checkListenAddress(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return err
	}
	return nil
}

// checkPublicURL rejects a --public-url that would make broken @odata.context
// and Location URLs: it must be empty or an absolute http(s) URL with a host,
// optionally a path prefix, and nothing else.
func checkPublicURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return errors.New("want an absolute http:// or https:// URL with a host and at most a path, e.g. https://graph.example.com")
	}
	// url.Parse takes these in a path (RFC 3986 allows them nowhere), and
	// every absolute URL of an answer would hold them as given.
	if i := strings.IndexAny(s, ` "<>\^`+"`"+`{|}`); i >= 0 {
		return fmt.Errorf("holds %q, which no URL does: percent-encode it (%%%02X)", s[i:i+1], s[i])
	}
	return nil
}

// listFlag is a repeatable flag of values (--issuer, --cors-origins); a
// value may also list several separated by commas, as their environment
// variables do.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(value string) error {
	n := len(*l)
	for _, v := range strings.Split(value, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	if len(*l) == n {
		// An unset shell variable (--issuer "$OIDC_URL") names nothing:
		// taken as no value, it turned the development issuer on.
		return errors.New("empty: give a value (or leave the flag out)")
	}
	return nil
}

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT says
// otherwise. It keeps the server's RSS under 150 MB with a million
// positions over 100,000 users (BENCHMARKS.md, "Scale: a million
// positions"; at 256 MiB it was 232 MiB). The caches hold at most 56 MiB
// when full (the read cache's items 16 MiB and users 20 MiB, the token
// cache's 20 MiB: live heap the collector marks every time), which leaves
// the collector room for the rest of the heap and the garbage between
// collections: at 100 MiB with caches of 100 MiB, a directory of 20,000
// users kept the collector at its goal and took 30% off the GETs
// (BENCHMARKS.md, "The soft heap limit back to 100 MiB").
const defaultMemoryLimit = 100 << 20

// startCPUProfile profiles the process until the returned stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// startLogs holds what serve logs while it starts until it listens
// (release), so that a start-up that fails says one line on stderr, its
// reason: not also "metrics served", a CA to trust or "fixtures loaded" for
// a server that never ran. Once released, records go straight through.
type startLogs struct {
	released atomic.Bool
	mu       sync.Mutex
	held     []heldRecord
}

// heldRecord is a record held with the handler (attributes and groups
// included) that takes it on release.
type heldRecord struct {
	handler slog.Handler
	record  slog.Record
}

// handler is the slog.Handler of h that holds records until release.
func (l *startLogs) handler(h slog.Handler) slog.Handler { return holdingHandler{h, l} }

// release writes the held records, in order, and lets the next ones through.
func (l *startLogs) release(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range l.held {
		_ = h.handler.Handle(ctx, h.record)
	}
	l.held = nil
	l.released.Store(true)
}

type holdingHandler struct {
	slog.Handler
	logs *startLogs
}

func (h holdingHandler) Handle(ctx context.Context, r slog.Record) error {
	if !h.logs.released.Load() {
		h.logs.mu.Lock()
		if !h.logs.released.Load() {
			h.logs.held = append(h.logs.held, heldRecord{h.Handler, r.Clone()})
			h.logs.mu.Unlock()
			return nil
		}
		h.logs.mu.Unlock()
	}
	return h.Handler.Handle(ctx, r)
}

func (h holdingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return holdingHandler{h.Handler.WithAttrs(attrs), h.logs}
}

func (h holdingHandler) WithGroup(name string) slog.Handler {
	return holdingHandler{h.Handler.WithGroup(name), h.logs}
}
