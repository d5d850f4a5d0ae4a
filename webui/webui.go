// Package webui is graphprofile's web page: a people directory with
// profile cards, forms that edit the signed-in user's own profile, and an
// inspector of the server's data for the admin API's token holders. The
// page is plain HTML, CSS and JavaScript modules embedded in the binary
// (static/), served under /ui/; it calls the server's own Graph API with
// the signed-in user's token, so it shows and may change exactly what the
// API lets that user see and change. Its own JSON endpoints, under
// /ui/api/, tell it how it may sign in and, for the development issuer,
// mint a development token (loopback clients only).
package webui

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
)

//go:embed static
var staticFiles embed.FS

// Prefix is the path the page is served under; "/" redirects to it.
const Prefix = "/ui/"

// apiPrefix is where the page's own JSON endpoints live.
const apiPrefix = Prefix + "api/"

// Options configure the page.
type Options struct {
	// DevSignIn, when set, offers the development issuer's user picker
	// (GET /ui/api/dev/users, POST /ui/api/dev/token) to the page in a
	// browser on a loopback address, unless TrustProxy; nil when the
	// development issuer is not trusted.
	DevSignIn DevSignIn
	// TrustProxy says the server is behind a reverse proxy (serve
	// --trust-proxy): the development sign-in is then off, since a proxy on
	// the same machine that sends no forwarding header is indistinguishable
	// from a local client.
	TrustProxy bool
	// Admin shows the inspector, which calls the admin API with a token the
	// user types in (the server has --admin-token).
	Admin bool
	// OAuth, when set, offers "Sign in with your organization": the
	// authorization code flow with PKCE against that issuer, run by the
	// page itself. Its token endpoint joins the page's connect-src.
	OAuth *OAuthConfig
	// Logger receives the development tokens minted (who, never the
	// token); nil means slog.Default().
	Logger *slog.Logger
	// BasePath is the path of the server's public URL (serve --public-url
	// https://example.com/people: "/people"), where a proxy serves the
	// server's root: "/" redirects to BasePath + "/ui/", which the browser
	// asks the proxy for. Empty: the server is at the root.
	BasePath string
}

// OAuthConfig is what the page needs to sign a user in with a real issuer
// (a public client: no secret), as GET /ui/api/config gives it.
type OAuthConfig struct {
	ClientID              string `json:"clientId"`
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorizationEndpoint"`
	TokenEndpoint         string `json:"tokenEndpoint"`
	Scope                 string `json:"scope"`
	RedirectURI           string `json:"redirectUri"`
}

// DevSignIn lists the development tenant's users and mints development
// tokens for them; DevTenant is the implementation serve uses.
type DevSignIn interface {
	// Users returns the users the store knows in the development tenant,
	// by display name: as many as the picker lists, and whether the
	// tenant has more.
	Users(ctx context.Context) (users []DevUser, more bool, err error)
	// Token mints a token for the user req names. Errors are
	// *graphprofile.Error (a bad request, an unknown user) or internal.
	Token(ctx context.Context, req DevTokenRequest) (DevToken, error)
}

// DevUser is a user of the development tenant, as the picker lists it.
type DevUser struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	UserPrincipalName string `json:"userPrincipalName"`
}

// DevTokenRequest names the user to mint a token for: an existing user by
// UserID, or a user (new, or existing by principal name) by
// UserPrincipalName and DisplayName.
type DevTokenRequest struct {
	UserID            string `json:"userId"`
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
}

// DevToken is a minted token and its lifetime in seconds, and whom it is
// for (logged, not answered: the page reads them from the token).
type DevToken struct {
	AccessToken       string `json:"accessToken"`
	ExpiresIn         int    `json:"expiresIn"`
	UserID            string `json:"-"`
	UserPrincipalName string `json:"-"`
}

// handler serves the page and its API.
type handler struct {
	options Options
	files   map[string]staticFile // by path under static/
	csp     string
	config  []byte // the answer of GET /ui/api/config
}

// staticFile is an embedded file, read once, with what its answers carry.
type staticFile struct {
	data        []byte
	contentType string
	etag        string
}

// NewHandler returns the handler of the page: GET and HEAD of "/"
// redirect to /ui/, "/ui/…" serves the page's files (index.html for the
// directory) and its API. It fails when o.OAuth's token endpoint is not an
// absolute http(s) URL (it goes into the Content-Security-Policy).
func NewHandler(o Options) (http.Handler, error) {
	h := &handler{options: o, files: map[string]staticFile{}}
	connect := "'self'"
	if o.OAuth != nil {
		source, err := cspSource(o.OAuth.TokenEndpoint)
		if err != nil {
			return nil, fmt.Errorf("the OAuth token endpoint %q: %w", o.OAuth.TokenEndpoint, err)
		}
		connect += " " + source
	}
	// Everything the page loads is its own: no inline script or style, no
	// other origin but the token endpoint the page posts the code to.
	h.csp = "default-src 'self'; connect-src " + connect + "; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	config, err := json.Marshal(struct {
		DevSignIn bool         `json:"devSignIn"`
		Admin     bool         `json:"admin"`
		OAuth     *OAuthConfig `json:"oauth"`
	}{o.DevSignIn != nil && !o.TrustProxy, o.Admin, o.OAuth})
	if err != nil {
		return nil, err
	}
	h.config = config
	err = fs.WalkDir(staticFiles, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFiles.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		h.files[strings.TrimPrefix(name, "static/")] = staticFile{
			data:        data,
			contentType: contentType(name),
			etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the embedded page: %w", err)
	}
	return h, nil
}

// cspSource is the source expression of a URL in a Content-Security-Policy:
// its scheme, host and path, with the characters that would end the
// expression or the directive escaped.
func cspSource(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", errors.New("want an absolute http:// or https:// URL")
	}
	escaper := strings.NewReplacer(";", "%3B", ",", "%2C", " ", "%20", "'", "%27")
	return escaper.Replace(u.Scheme + "://" + u.Host + u.EscapedPath()), nil
}

// contentTypes are the Content-Types of the page's files, by extension.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".txt":  "text/plain; charset=utf-8",
}

func contentType(name string) string {
	if t, ok := contentTypes[path.Ext(name)]; ok {
		return t
	}
	return "application/octet-stream"
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", h.csp)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	switch p := r.URL.Path; {
	case p == "/" || p == strings.TrimSuffix(Prefix, "/"):
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.fail(w, r, methodNotAllowed(w, http.MethodGet, http.MethodHead))
			return
		}
		// Cleaned as http.Redirect cleans a path, and here first: a base
		// path that begins with "//" would make it another host's.
		http.Redirect(w, r, path.Join("/", h.options.BasePath, Prefix)+"/", http.StatusFound)
	case strings.HasPrefix(p, apiPrefix):
		h.serveAPI(w, r, strings.TrimPrefix(p, apiPrefix))
	case strings.HasPrefix(p, Prefix):
		h.serveFile(w, r, strings.TrimPrefix(p, Prefix))
	default:
		h.fail(w, r, notFound("The web UI serves nothing at '%s'.", p))
	}
}

// serveFile answers a file of the page; the directory is index.html. Every
// answer is revalidated (no-cache) against its ETag, so a new binary's
// page is never mixed with an old one's cached modules.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.fail(w, r, methodNotAllowed(w, http.MethodGet, http.MethodHead))
		return
	}
	if name == "" {
		name = "index.html"
	}
	f, ok := h.files[name]
	if !ok {
		h.fail(w, r, notFound("The web UI has no file '%s'.", name))
		return
	}
	// Answered here rather than by http.ServeContent, whose answers to a
	// Range were a plain-text 416, or a multipart answer of every range
	// asked for (2.88 MB for 19,600 one-byte ranges in a 78 KB head), and
	// to an unmet If-Match an empty 412 labelled as the file's type. A file
	// is answered whole (RFC 9110 §14.2 lets a server ignore Range), and
	// its conditions are read as the API reads them.
	if im := graphapi.HeaderList(r.Header, "If-Match"); im != "" && !graphprofile.ETagListed(im, f.etag) {
		h.fail(w, r, &uiError{http.StatusPreconditionFailed, graphprofile.Errorf(graphprofile.CodePreconditionFailed, "The If-Match header does not match the current ETag of '%s'.", name)})
		return
	}
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", f.etag)
	if inm := graphapi.HeaderList(r.Header, "If-None-Match"); inm != "" && graphprofile.ETagListed(inm, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Type", f.contentType)
	hdr.Set("Content-Length", strconv.Itoa(len(f.data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(f.data)
	}
}

// uiError is an error the page's API answers, in Graph's error envelope.
type uiError struct {
	status int
	err    *graphprofile.Error
}

func (e *uiError) Error() string { return e.err.Message }

func notFound(format string, args ...any) *uiError {
	return &uiError{http.StatusNotFound, graphprofile.Errorf(graphprofile.CodeItemNotFound, format, args...)}
}

func badRequest(format string, args ...any) *uiError {
	return &uiError{http.StatusBadRequest, graphprofile.Errorf(graphprofile.CodeBadRequest, format, args...)}
}

// methodNotAllowed sets Allow and returns the 405 Graph answers.
func methodNotAllowed(w http.ResponseWriter, allowed ...string) *uiError {
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	return &uiError{http.StatusMethodNotAllowed, graphapi.MethodNotAllowed()}
}

// fail answers err in Graph's error envelope: a *uiError with its status,
// a *graphprofile.Error of DevSignIn by its code, a store that cannot be
// reached (graphprofile.ErrUnavailable) as Graph's API answers it, 503
// with Retry-After, since a retry may cure it; anything else as a 500.
// The details of the last two go to the log only (an unavailable store's
// as a debug line: the store serve wires tells of its outage).
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	requestID := graphprofile.NewGUID()
	var ue *uiError
	var ge *graphprofile.Error
	switch {
	case errors.As(err, &ue):
	case errors.As(err, &ge):
		ue = &uiError{graphapi.StatusOfCode(ge.Code), ge}
	default:
		level := slog.LevelError
		if errors.Is(err, graphprofile.ErrUnavailable) {
			ue = &uiError{http.StatusServiceUnavailable, graphprofile.Errorf(graphprofile.CodeServiceNotAvailable, graphprofile.ServiceUnavailableMessage)}
			// The store's outage, which every load of the page meets
			// while it lasts: a debug line each, the outage itself told
			// by the store serve wires (internal/outage).
			level = slog.LevelDebug
		} else {
			ue = &uiError{http.StatusInternalServerError, graphprofile.Errorf(graphprofile.CodeInternalError, graphprofile.InternalErrorMessage)}
		}
		h.logger().LogAttrs(r.Context(), level, "web UI request failed", slog.String("request-id", requestID),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	if ue.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	clientRequestID := r.Header.Get("client-request-id")
	if clientRequestID == "" {
		clientRequestID = requestID
	}
	w.Header()["request-id"] = []string{requestID}
	w.Header()["client-request-id"] = []string{clientRequestID}
	writeJSONBytes(w, ue.status, graphapi.AppendErrorJSON(nil, ue.err, time.Now(), requestID, clientRequestID))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the answer failed", http.StatusInternalServerError)
		return
	}
	writeJSONBytes(w, status, data)
}

// writeJSONBytes answers data, JSON, with status.
func writeJSONBytes(w http.ResponseWriter, status int, data []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// Answers about sign-in are the moment's, and tokens are secrets.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func (h *handler) logger() *slog.Logger {
	if h.options.Logger != nil {
		return h.options.Logger
	}
	return slog.Default()
}

// StaticFiles returns the page's files (for tests: what the page holds).
func StaticFiles() fs.FS {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // "static" is a valid path, always embedded
	}
	return sub
}
