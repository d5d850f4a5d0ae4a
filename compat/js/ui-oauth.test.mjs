// Signs in to graphprofile's web UI with an organization's identity provider
// in a real browser (Debian's Chromium, through playwright-core): the page's
// "Sign in with your organization" runs the OAuth 2.0 authorization code
// flow with PKCE against a test issuer (internal/oidctest) that serve trusts
// (serve --issuer … --ui-client-id …).
//
//   UI_URL       the page, e.g. http://127.0.0.1:8080/ui/ (its redirect URI)
//   ISSUER_URL   the test issuer's base URL (its sign-in page is there)
//   USER_NAME    the display name of the user to pick on the issuer's page
//   CHROMIUM     the browser (default /usr/bin/chromium)
//
// First, answers that belong to no sign-in of this tab are ignored, showing
// nothing of theirs and keeping a sign-in under way: a link with an error
// and a message of an attacker's but no state (before any sign-in, and
// during one), the same with a wrong state, and an answer whose state was
// forged (an authorization request made with another state than the
// page's), with no token exchange. The issuer's refusal of this tab's own
// sign-in (its state) is shown and ends it. Then the user
// signs in and lands back on the page signed in, with no code in the address
// bar and no verifier left in sessionStorage, and their card shows the name
// GET /beta/me gives with the issuer's token. It prints, for
// cmd/graphprofile's TestUIOAuth, the keys of the page's sessionStorage
// after the sign-in ("sessionStorage keys: […]") and the sign-in's time from
// the click to the signed-in page ("measured: …", reported, not asserted). Exits non-zero with the failing step
// on stderr.

import assert from 'node:assert/strict';
import { env, steps, launchChromium } from './harness.mjs';

const uiURL = env('UI_URL');
const issuerURL = env('ISSUER_URL');
const userName = env('USER_NAME');
const executablePath = env('CHROMIUM', '/usr/bin/chromium');
const timeout = 15_000;

const { step, fail } = steps();

// answerParams are what the issuer's answer adds to the redirect URI.
const answerParams = ['code', 'state', 'error', 'error_description'];

// signInButton is the page's button that starts the flow.
const signInButton = (tab) => tab.getByRole('button', { name: 'Sign in with your organization' });

// toIssuer clicks the page's button and waits for the issuer's sign-in
// page; it returns the authorization request's URL.
async function toIssuer(tab) {
	await signInButton(tab).click();
	await tab.waitForURL((u) => u.href.startsWith(issuerURL), { timeout });
	return new URL(tab.url());
}

// pickUser answers the issuer's sign-in page and waits until the browser is
// back on the page.
async function pickUser(tab) {
	await tab.getByRole('button', { name: new RegExp(`^${userName} \\(`) }).click();
	await tab.waitForURL((u) => u.href.startsWith(uiURL), { timeout });
}

const storage = (tab) => tab.evaluate(() => Object.fromEntries(Object.entries(sessionStorage)));

// pendingState is the state of the sign-in under way in the tab, or null.
const pendingState = (tab) => tab.evaluate(() => JSON.parse(sessionStorage.getItem('graphprofile.oauth.pending') ?? 'null')?.state ?? null);

// attackerText is an error_description a link of someone else's carries.
const attackerText = 'Call this number';

// answer is the page's address with an issuer's answer's parameters.
function answer(params) {
	const url = new URL(uiURL);
	for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
	return url.href;
}

// showsNothing waits for the signed-out page and checks that it shows no
// message, nothing of attackerText, and no answer left in the address.
async function showsNothing(tab) {
	await signInButton(tab).waitFor();
	assert.deepEqual(await tab.locator('[role=alert]:visible').allTextContents(), [], 'no message on the page');
	assert.ok(!(await tab.locator('body').innerText()).includes(attackerText), `"${attackerText}" on the page`);
	const back = new URL(tab.url());
	for (const p of answerParams) assert.ok(!back.searchParams.has(p), `${p} left in ${back}`);
}

let browser;
const problems = [];
try {
	browser = await step('Chromium starts', () => launchChromium(executablePath));
	const { context } = browser;
	const tab = await context.newPage();
	tab.setDefaultTimeout(timeout);
	tab.on('pageerror', (err) => problems.push(`page error: ${err}`));
	tab.on('console', (msg) => {
		if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
	});
	// Every request to the token endpoint, to check what the page sent.
	const exchanges = [];
	tab.on('request', (r) => {
		if (r.url().startsWith(issuerURL) && r.method() === 'POST' && r.url().endsWith('/token')) exchanges.push(r);
	});

	await step('the page offers the organization\'s sign-in', async () => {
		await tab.goto(uiURL);
		await signInButton(tab).waitFor();
	});

	await step('a link with an error and no state, before any sign-in, shows nothing of it', async () => {
		await tab.goto(answer({ error: 'access_denied', error_description: attackerText }));
		await showsNothing(tab);
		assert.equal(await pendingState(tab), null);
	});

	const authorize = await step('the page sends the browser to the issuer with a PKCE S256 challenge', async () => {
		const url = await toIssuer(tab);
		const q = url.searchParams;
		assert.equal(q.get('response_type'), 'code');
		assert.equal(q.get('code_challenge_method'), 'S256');
		assert.match(q.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
		assert.match(q.get('state'), /^[A-Za-z0-9_-]{43}$/);
		assert.equal(q.get('redirect_uri'), uiURL);
		assert.ok(q.get('client_id'), 'a client_id');
		assert.ok(q.get('scope').split(' ').includes('openid'), `scope ${q.get('scope')}`);
		return url;
	});

	await step('an answer with a forged state is ignored: no exchange, nothing shown, the sign-in under way kept', async () => {
		const forged = new URL(authorize);
		forged.searchParams.set('state', 'forged-state');
		await tab.goto(forged.href);
		await pickUser(tab);
		await showsNothing(tab);
		assert.equal(exchanges.length, 0, 'no code was posted to the token endpoint');
		assert.equal(await pendingState(tab), authorize.searchParams.get('state'));
	});

	await step('during a sign-in, a link with an error and no state or a wrong one shows nothing and keeps the sign-in', async () => {
		for (const params of [
			{ error: 'access_denied', error_description: attackerText },
			{ error: 'access_denied', error_description: attackerText, state: 'not-this-tabs' },
		]) {
			await tab.goto(answer(params));
			await showsNothing(tab);
			assert.equal(await pendingState(tab), authorize.searchParams.get('state'), `after ${JSON.stringify(params)}`);
		}
	});

	await step('the issuer\'s refusal of this tab\'s sign-in (its state) is shown and ends the sign-in', async () => {
		await tab.goto(answer({ error: 'access_denied', error_description: 'The user declined.', state: authorize.searchParams.get('state') }));
		const alert = tab.getByRole('alert');
		await alert.waitFor();
		assert.equal(await alert.textContent(), 'Signing in with your organization failed: The sign-in was refused by your organization: The user declined.');
		const back = new URL(tab.url());
		for (const p of answerParams) assert.ok(!back.searchParams.has(p), `${p} left in ${back}`);
		assert.equal(await pendingState(tab), null);
		assert.equal(exchanges.length, 0, 'no code was posted to the token endpoint');
	});

	const measured = await step('the user signs in and is back on the page, signed in', async () => {
		const start = performance.now();
		await toIssuer(tab);
		const atIssuer = performance.now();
		await pickUser(tab);
		await tab.locator('.session-user').filter({ hasText: userName }).waitFor();
		const end = performance.now();
		return { toIssuer: atIssuer - start, back: end - atIssuer, total: end - start };
	});

	await step('the code left the address bar and the verifier sessionStorage', async () => {
		const back = new URL(tab.url());
		for (const p of answerParams) assert.ok(!back.searchParams.has(p), `${p} left in ${back}`);
		assert.equal(back.origin + back.pathname, uiURL);
		assert.equal(exchanges.length, 1, 'one code exchange');
		const sent = new URLSearchParams(exchanges[0].postData());
		assert.equal(sent.get('grant_type'), 'authorization_code');
		assert.match(sent.get('code_verifier'), /^[A-Za-z0-9_-]{43}$/);
		assert.equal(sent.get('redirect_uri'), uiURL);
		const left = await storage(tab);
		assert.ok(!Object.keys(left).some((k) => k.includes('oauth')), `sign-in state left in sessionStorage: ${JSON.stringify(left)}`);
		assert.ok(!JSON.stringify(left).includes(sent.get('code_verifier')), 'the verifier is not in sessionStorage');
		console.log(`sessionStorage keys: ${JSON.stringify(Object.keys(left))}`);
	});

	await step('the signed-in user\'s card shows their name (GET /beta/me with the issuer\'s token)', async () => {
		await tab.getByRole('link', { name: 'My profile' }).click();
		await tab.locator('#card-name').filter({ hasText: userName }).waitFor();
	});

	console.log(`measured: sign-in from the click to the signed-in page ${measured.total.toFixed(0)} ms ` +
		`(to the issuer's page ${measured.toIssuer.toFixed(0)} ms, from the pick back to the page signed in ${measured.back.toFixed(0)} ms)`);
	assert.deepEqual(problems, [], 'the page logged no errors');
} catch (err) {
	fail(err, problems);
} finally {
	await browser?.close();
}
