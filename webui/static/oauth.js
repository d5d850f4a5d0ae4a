// Sign-in with the organization's identity provider: the OAuth 2.0
// authorization code flow with PKCE (S256), run by the page as a public
// client. A stub until the flow lands: the page imports these two.

// beginSignIn sends the browser to config's authorization endpoint; it
// does not return.
export async function beginSignIn(config) {
	throw new Error('Signing in with your organization is not available yet.');
}

// completeSignIn finishes a sign-in when the address holds the issuer's
// answer (?code=…&state=…): it resolves to {accessToken, expiresIn}, or
// null when the address holds no code.
export async function completeSignIn(config) {
	if (!new URLSearchParams(location.search).has('code')) return null;
	throw new Error('Signing in with your organization is not available yet.');
}
