// Sign-in with the organization's identity provider: the OAuth 2.0
// authorization code flow (RFC 6749 section 4.1) with PKCE (RFC 7636, S256),
// run by the page itself as a public client: no secret, no library. The
// config is GET /ui/api/config's oauth: {clientId, issuer,
// authorizationEndpoint, tokenEndpoint, scope, redirectUri}.
//
// beginSignIn keeps a code verifier and a state in sessionStorage (this tab
// only, gone with it) and sends the browser to the issuer; completeSignIn,
// on the way back, takes the answer out of the address bar, checks the
// state before reading anything else of it, and trades the code and the
// verifier for an access token at the token endpoint (cross-origin: the
// issuer answers the page's origin, as Entra ID does for a single-page
// application's redirect URI).

// pendingKey is the sessionStorage entry of a sign-in under way.
const pendingKey = 'graphprofile.oauth.pending';

// The parameters the issuer's answer adds to the redirect URI, removed from
// the address bar once read (Entra ID adds session_state too).
const answerParams = ['code', 'state', 'error', 'error_description', 'error_uri', 'session_state', 'iss'];

// base64url is RFC 4648's URL-safe base64 of bytes, unpadded.
function base64url(bytes) {
	let binary = '';
	for (const b of bytes) binary += String.fromCharCode(b);
	return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// randomValue is 32 random bytes, base64url: 43 characters, as RFC 7636
// recommends for a verifier.
function randomValue() {
	const bytes = new Uint8Array(32);
	crypto.getRandomValues(bytes);
	return base64url(bytes);
}

// beginSignIn sends the browser to config's authorization endpoint; the
// promise it returns never resolves, since the page is left.
export async function beginSignIn(config) {
	// crypto.subtle exists only in secure contexts: https, or http on
	// localhost and 127.0.0.1.
	if (!globalThis.crypto?.subtle) {
		throw new Error('Signing in needs a secure page: open it over https, or at http://localhost or http://127.0.0.1.');
	}
	const verifier = randomValue();
	const state = randomValue();
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
	sessionStorage.setItem(pendingKey, JSON.stringify({ verifier, state }));
	const url = new URL(config.authorizationEndpoint);
	for (const [name, value] of Object.entries({
		response_type: 'code',
		client_id: config.clientId,
		redirect_uri: config.redirectUri,
		scope: config.scope,
		state,
		code_challenge: base64url(new Uint8Array(digest)),
		code_challenge_method: 'S256',
		response_mode: 'query',
	})) {
		url.searchParams.set(name, value);
	}
	location.assign(url.href);
	return new Promise(() => {});
}

// completeSignIn finishes a sign-in when the address holds the issuer's
// answer to the sign-in under way in this tab: it resolves to
// {accessToken, expiresIn} (seconds), or to null when there is nothing to
// finish. The state is checked first: an answer without the state this tab
// sent is no answer of its issuer (a link anyone can make, with any error
// text), so it is only taken out of the address bar, showing nothing of
// it, and the sign-in under way, if any, is kept for its real answer. For
// this tab's answer it throws, with a message for the user, when the
// issuer refused (its error_description) or the token endpoint gives no
// token; either way the verifier leaves sessionStorage: a code is good for
// one try.
export async function completeSignIn(config) {
	const answer = new URLSearchParams(location.search);
	if (!answerParams.some((name) => answer.has(name))) return null;
	clearAnswer();
	const pending = readPending();
	if (!pending || answer.get('state') !== pending.state) return null;
	sessionStorage.removeItem(pendingKey);

	if (answer.has('error')) {
		const why = answer.get('error_description') || answer.get('error');
		throw new Error(`The sign-in was refused by your organization: ${why}`);
	}
	if (!answer.has('code')) return null;
	let response;
	try {
		response = await fetch(config.tokenEndpoint, {
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'authorization_code',
				code: answer.get('code'),
				redirect_uri: config.redirectUri,
				client_id: config.clientId,
				code_verifier: pending.verifier,
			}),
			credentials: 'omit',
			cache: 'no-store',
		});
	} catch (err) {
		throw new Error(`Your organization's token endpoint could not be reached (${err.message}).`);
	}
	let body = null;
	try {
		body = await response.json();
	} catch {
		// Not JSON: the status says what there is to say.
	}
	if (!response.ok || typeof body?.access_token !== 'string') {
		const why = body?.error_description || body?.error || `HTTP ${response.status}`;
		throw new Error(`Your organization did not issue a token: ${why}`);
	}
	const expiresIn = Number(body.expires_in);
	return { accessToken: body.access_token, expiresIn: expiresIn > 0 ? expiresIn : 3600 };
}

// readPending is the verifier and state beginSignIn kept, or null.
function readPending() {
	try {
		const pending = JSON.parse(sessionStorage.getItem(pendingKey));
		return typeof pending?.verifier === 'string' && typeof pending?.state === 'string' ? pending : null;
	} catch {
		return null;
	}
}

// clearAnswer takes the issuer's answer out of the address bar, keeping the
// rest of the address, without a new history entry.
function clearAnswer() {
	const url = new URL(location.href);
	for (const name of answerParams) url.searchParams.delete(name);
	history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}
