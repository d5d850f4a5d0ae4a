package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"unicode"

	"github.com/graphprofile/graphprofile/token"
	"github.com/graphprofile/graphprofile/webui"
)

// defaultUIScope is what the web UI's sign-in asks the issuer for, as a
// Graph single-page application asks Entra ID: OpenID Connect's sign-in
// (openid profile), a refresh token (offline_access), and the Graph
// permissions the page uses: User.ReadWrite for the user's own profile and
// User.ReadBasic.All for the directory and the others' cards, the
// development sign-in's two (webui.DevScopes). Neither needs an
// administrator's consent.
const defaultUIScope = "openid profile offline_access https://graph.microsoft.com/User.ReadWrite https://graph.microsoft.com/User.ReadBasic.All"

// uiOAuthSettings are serve's settings that the web UI's sign-in with an
// issuer depends on.
type uiOAuthSettings struct {
	clientID, scope string
	ui              bool     // --ui
	issuers         []string // --issuer, the first signs in
	publicURL       string
	trustProxy      bool
	listen          string
	https           bool // --tls-cert or --tls-self-signed
}

// uiRedirectURI checks --ui-client-id and --ui-scope against the other
// settings and returns the redirect URI the page is registered with: the
// public URL's /ui/ (the listen address's without --public-url). It returns
// "" when --ui-client-id is not set: no sign-in with an issuer. It does no
// network I/O, so that a bad combination fails before the store is opened.
func uiRedirectURI(env *environment, s uiOAuthSettings, scopeGiven bool) (string, error) {
	if s.clientID == "" {
		if scopeGiven {
			return "", fmt.Errorf("%s needs --ui-client-id (GRAPHPROFILE_UI_CLIENT_ID)", env.setting("ui-scope"))
		}
		return "", nil
	}
	clientID := env.settingValue("ui-client-id", quoteValue(s.clientID))
	switch {
	case strings.ContainsFunc(s.clientID, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return "", fmt.Errorf("%s: an application id has no spaces", clientID)
	case len(s.issuers) == 0:
		return "", fmt.Errorf("%s needs an issuer to sign in with: set --issuer or GRAPHPROFILE_ISSUERS (the first one signs the web UI's users in)", clientID)
	case !s.ui:
		off := "--ui=false"
		if env.fromEnvironment["ui"] {
			off = env.settingValue("ui", "false")
		}
		return "", fmt.Errorf("%s signs users in to the web UI, which %s turns off", clientID, off)
	case strings.TrimSpace(s.scope) == "":
		return "", fmt.Errorf("%s: want the scopes to ask the issuer for, separated by spaces", env.setting("ui-scope"))
	}
	if s.publicURL != "" {
		return strings.TrimSuffix(s.publicURL, "/") + webui.Prefix, nil
	}
	if s.trustProxy {
		return "", fmt.Errorf("%s behind a proxy (%s) needs --public-url: the redirect URI registered with the issuer is one fixed URL", clientID, env.setting("trust-proxy"))
	}
	host, port, err := net.SplitHostPort(s.listen)
	if err != nil {
		return "", fmt.Errorf("%s: the redirect URI comes from %s: %w", clientID, env.settingValue("listen", quoteValue(s.listen)), err)
	}
	if port == "0" {
		return "", fmt.Errorf("%s needs --public-url when %s has port 0: the redirect URI must be known before the server listens", clientID, env.settingValue("listen", quoteValue(s.listen)))
	}
	// A browser cannot be sent to an unspecified address, but it reaches
	// a server listening on every address at localhost, which Entra ID
	// also accepts in a redirect URI over http.
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	scheme := "http"
	if s.https {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + webui.Prefix, nil
}

// uiOAuthConfig is the web UI's sign-in with issuer: its authorization and
// token endpoints fetched from its discovery document now, once. The
// page cannot sign anyone in without them, so failing to fetch them fails
// serve's start, where the tokens of an issuer that is down are only
// refused until it answers.
func uiOAuthConfig(ctx context.Context, env *environment, issuer *token.OIDCIssuer, s uiOAuthSettings, redirectURI string) (*webui.OAuthConfig, error) {
	endpoints, err := issuer.SignInEndpoints(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, errors.Join(ctx.Err(), err)
		}
		return nil, fmt.Errorf("%s: the sign-in endpoints of the issuer %s: %w", env.setting("ui-client-id"), issuer.URL(), err)
	}
	return &webui.OAuthConfig{
		ClientID:              s.clientID,
		Issuer:                issuer.SignInURL(),
		AuthorizationEndpoint: endpoints.Authorization,
		TokenEndpoint:         endpoints.Token,
		Scope:                 strings.Join(strings.Fields(s.scope), " "),
		RedirectURI:           redirectURI,
	}, nil
}
