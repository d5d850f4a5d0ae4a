// Drives graphprofile's web page (/ui/) in a real browser (Debian's
// Chromium, through playwright-core) against serve with the development
// issuer, an admin token and fixtures (cmd/graphprofile/testdata/
// ui-fixtures.json): sign in with the user picker, create, edit and fail
// to save a position, see another user's card without their me-only
// positions, use the inspector; page the directory past 25 people, see
// dated items' dates, a read refused with 429 or 503 (an armed fault)
// retried once and a refused write not; axe-core on every view, phone width,
// keyboard; and the first render, measured and printed (not asserted).
//
//   GRAPH_BASE_URL   the server, e.g. http://127.0.0.1:8080 (plain HTTP on loopback)
//   ADMIN_TOKEN      serve's --admin-token
//   EXTRA_FIXTURES   a fixtures file the inspector loads
//   SCREENSHOT_DIR   where ui-card.png and ui-inspector.png go
//   CHROMIUM         the browser (default /usr/bin/chromium)
//
// cmd/graphprofile's TestUI runs this; `make test` installs Chromium and
// the packages (npm ci). Exits non-zero with the failing step on stderr.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { env, steps, launchChromium } from './harness.mjs';

const base = env('GRAPH_BASE_URL').replace(/\/$/, '');
const adminToken = env('ADMIN_TOKEN');
const extraFixtures = env('EXTRA_FIXTURES');
const screenshots = env('SCREENSHOT_DIR');
const executablePath = env('CHROMIUM', '/usr/bin/chromium');

// The fixture's people (cmd/graphprofile/testdata/ui-fixtures.json).
const tenant = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
const ada = { id: 'a0a0a0a0-1111-4111-8111-000000000001', name: 'Ada Lovelace' };
const grace = { id: 'b0b0b0b0-2222-4222-8222-000000000002', name: 'Grace Hopper' };
const graceShared = ['Rear Admiral', 'Senior Mathematician'];
const graceHidden = ['Secret Side Project', 'Private Consultant'];

const axeSource = await readFile(new URL('node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

const { step, fail } = steps();

// adminAPI calls the admin API from Node: what the server really holds.
async function adminAPI(path) {
	const res = await fetch(`${base}/_admin/${path}`, { headers: { Authorization: `Bearer ${adminToken}` } });
	assert.equal(res.status, 200, `GET /_admin/${path}`);
	return res.json();
}

async function adminPost(path, body) {
	const res = await fetch(`${base}/_admin/${path}`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
		body: JSON.stringify(body),
	});
	assert.ok(res.ok, `POST /_admin/${path}: ${res.status} ${await res.text()}`);
}

async function storedPositions(userId) {
	const doc = await adminAPI(`fixtures?tenantId=${tenant}&userId=${userId}`);
	return doc.tenants[0].users[0].profile?.positions ?? [];
}

let browser;
const problems = [];
try {
	browser = await step('Chromium starts', () => launchChromium(executablePath, { viewport: { width: 1280, height: 800 } }));
	const { context } = browser;
	const page = context.pages()[0] ?? await context.newPage();
	// deleteMyPosition deletes a position of the signed-in user with the
	// page's token, outside the page's own controls; it returns the status.
	const deleteMyPosition = (positionId) => page.evaluate(async (id) => {
		const { accessToken } = JSON.parse(sessionStorage.getItem('graphprofile.token'));
		return (await fetch(`/beta/me/profile/positions/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${accessToken}` } })).status;
	}, positionId);
	page.on('pageerror', (err) => problems.push(`page error: ${err}`));
	page.on('console', (msg) => {
		if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`);
	});
	let dialogs = [];
	let answer = true;
	page.on('dialog', async (d) => {
		dialogs.push(d.message());
		if (answer) await d.accept();
		else await d.dismiss();
	});

	// axe runs every rule of WCAG 2.x A and AA (and best practices) on the
	// page as it is; a serious or critical violation fails.
	const axe = async (what) => {
		if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
		const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
		const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
		assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${what}`);
		console.log(`     axe on ${what}: no serious or critical violation${result.violations.length ? `; minor or moderate: ${result.violations.map((v) => `${v.id} (${v.impact})`).join(', ')}` : ''}`);
	};
	const noHorizontalScroll = async (what) => {
		const [scrollWidth, innerWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
		assert.ok(scrollWidth <= innerWidth, `${what} at ${innerWidth} px scrolls sideways: ${scrollWidth} px wide`);
	};
	const cardHas = async (texts, missing = []) => {
		const card = page.locator('#profile-card');
		await card.waitFor();
		for (const t of texts) await card.getByText(t, { exact: false }).first().waitFor({ timeout: 5000 });
		const text = await card.innerText();
		for (const t of missing) assert.ok(!text.includes(t), `the card shows ${t}:\n${text}`);
		return text;
	};

	await step('/ redirects to /ui/, which offers the development users and a pasted token', async () => {
		const res = await page.goto(`${base}/`);
		assert.equal(new URL(page.url()).pathname, '/ui/');
		assert.equal(res.status(), 200);
		const csp = (await res.allHeaders())['content-security-policy'];
		assert.match(csp, /default-src 'self'/);
		await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
		await page.getByRole('heading', { name: 'Development users' }).waitFor();
		await page.getByRole('heading', { name: 'Paste a token' }).waitFor();
		assert.equal(await page.locator('#signin-org-button').count(), 0, 'no organization sign-in without --ui-client-id');
		assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
	});
	await step('axe: the sign-in', () => axe('the sign-in'));

	await step(`Tab reaches the user picker; ${ada.name} chosen; Enter on "Sign in" signs in`, async () => {
		await page.evaluate(() => document.activeElement?.blur());
		let reached = false;
		for (let i = 0; i < 15 && !reached; i++) {
			await page.keyboard.press('Tab');
			reached = await page.evaluate(() => document.activeElement?.closest('#dev-signin-form') != null && document.activeElement.tagName === 'SELECT');
		}
		assert.ok(reached, 'Tab never reached the user picker');
		await page.locator('#dev-signin-form select').selectOption(ada.id);
		await page.keyboard.press('Tab');
		assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Sign in');
		await page.keyboard.press('Enter');
		await page.locator('#people-list li').first().waitFor();
		await page.getByText(`Signed in as ${ada.name}`).waitFor();
		const stored = await page.evaluate(() => [JSON.parse(sessionStorage.getItem('graphprofile.token')), localStorage.length, document.cookie]);
		assert.match(stored[0].accessToken, /^ey/, 'the token is in sessionStorage');
		assert.equal(stored[1], 0, 'nothing in localStorage');
		assert.equal(stored[2], '', 'no cookie');
	});

	await step('the directory lists the tenant by name and searches it', async () => {
		const names = await page.locator('#people-list .person-name').allInnerTexts();
		assert.deepEqual(names, ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Katherine Johnson', 'Margaret Hamilton']);
		assert.match(await page.locator('#people-status').innerText(), /^5 people/);
		await page.getByLabel('Search by name').fill('gr');
		await page.keyboard.press('Enter');
		await page.waitForFunction(() => document.querySelectorAll('#people-list li').length === 1);
		assert.deepEqual(await page.locator('#people-list .person-name').allInnerTexts(), ['Grace Hopper']);
		await page.getByLabel('Search by name').fill('');
		await page.keyboard.press('Enter');
		await page.waitForFunction(() => document.querySelectorAll('#people-list li').length === 5);
	});
	await step('axe: the directory', () => axe('the directory'));

	await step('first render: a fresh load of the directory and of a card, signed in', async () => {
		const measure = async (hash) => {
			await page.goto('about:blank');
			await page.goto(`${base}/ui/${hash}`);
			await page.waitForFunction(() => performance.getEntriesByName('graphprofile:first-render').length > 0);
			return page.evaluate(() => ({
				render: performance.getEntriesByName('graphprofile:first-render')[0].startTime,
				paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
			}));
		};
		const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
		for (const [what, hash] of [['directory', '#/people'], ['card', `#/people/${grace.id}`]]) {
			const runs = [];
			for (let i = 0; i < 5; i++) runs.push(await measure(hash));
			console.log(`FIRST_RENDER ${what}: first ${runs[0].render.toFixed(1)} ms, median of 5 ${median(runs.map((r) => r.render)).toFixed(1)} ms (navigation start to the first ${what === 'card' ? 'card' : 'people'} rendered; first contentful paint median ${median(runs.map((r) => r.paint ?? NaN)).toFixed(1)} ms)`);
		}
	});

	await step('My profile: Tab through the new position\'s fields, Enter adds it, the card shows it', async () => {
		await page.getByRole('link', { name: 'My profile' }).click();
		await cardHas([ada.name, 'No positions to show']);
		await page.getByRole('button', { name: 'Add a position' }).click();
		const title = page.getByLabel('Job title');
		assert.ok(await title.evaluate((el) => el === document.activeElement), 'the form opens with the focus on its first field');
		await page.keyboard.type('Staff Engineer');
		await page.keyboard.press('Tab');
		assert.ok(await page.getByLabel('Company').evaluate((el) => el === document.activeElement), 'Tab goes to Company');
		await page.keyboard.type('Contoso');
		await page.keyboard.press('Tab');
		await page.keyboard.press('Tab');
		assert.ok(await page.getByLabel('Start').evaluate((el) => el === document.activeElement), 'Tab goes to Start');
		await page.keyboard.type('2023-04');
		await page.keyboard.press('Enter');
		await page.locator('#card-status', { hasText: 'Added Staff Engineer.' }).waitFor();
		await cardHas(['Staff Engineer', 'Contoso', 'Apr 2023 – Present', 'Visible to: my organization']);
		const stored = await storedPositions(ada.id);
		assert.equal(stored.length, 1);
		assert.equal(stored[0].detail.jobTitle, 'Staff Engineer');
		assert.equal(stored[0].detail.company.displayName, 'Contoso');
		assert.equal(stored[0].detail.startMonthYear, '2023-04-01');
		assert.equal(stored[0].allowedAudiences, 'organization');
	});
	await step('axe: my card', () => axe('my card'));

	await step('Edit changes the position (PATCH), the card shows the change', async () => {
		await page.getByRole('button', { name: 'Edit Staff Engineer at Contoso' }).click();
		await page.getByLabel('Job title').fill('Principal Engineer');
		await page.getByLabel('Who can see it').selectOption('me');
		await page.getByRole('button', { name: 'Save' }).click();
		await page.locator('#card-status', { hasText: 'Saved Principal Engineer at Contoso.' }).waitFor();
		await cardHas(['Principal Engineer', 'Apr 2023 – Present', 'Visible to: only me']);
		assert.deepEqual(await page.locator('.positions h3').allInnerTexts(), ['Principal EngineerCurrent'], 'the position, changed, and no other');
		const [stored] = await storedPositions(ada.id);
		assert.equal(stored.detail.jobTitle, 'Principal Engineer');
		assert.equal(stored.detail.company.displayName, 'Contoso', 'the edit kept the company');
		assert.equal(stored.allowedAudiences, 'me');
	});

	await step('a value the API refuses: its 400 is shown next to the field', async () => {
		await page.getByRole('button', { name: 'Edit Principal Engineer at Contoso' }).click();
		await axe('the edit form');
		const start = page.getByLabel('Start');
		await start.fill('2023-13');
		await page.getByRole('button', { name: 'Save' }).click();
		await page.waitForFunction(() => document.querySelector('[name="detail.startMonthYear"]')?.getAttribute('aria-invalid') === 'true');
		const field = await start.evaluate((el) => {
			const ids = (el.getAttribute('aria-describedby') ?? '').split(' ');
			const error = el.closest('.field').querySelector('.field-error');
			return { focused: el === document.activeElement, describedByError: ids.includes(error.id), error: error.textContent, hidden: error.hidden };
		});
		assert.equal(field.hidden, false);
		assert.ok(field.describedByError, 'the field is described by its error');
		assert.ok(field.focused, 'the focus is on the field in error');
		assert.match(field.error, /Invalid value '2023-13-01' for property 'startMonthYear'/);
		assert.equal(await page.locator('.facet-form .form-error').isHidden(), true, 'no error at the top of the form');
		// The last action's "Saved …" is gone: it does not stand beside this error as if this save had worked.
		assert.equal(await page.locator('#card-status').textContent(), '', 'the previous success message is cleared');
		assert.ok(await page.locator('#card-status').isHidden(), 'no status line beside the error');
		await axe('the edit form with an error');
		const [stored] = await storedPositions(ada.id);
		assert.equal(stored.detail.startMonthYear, '2023-04-01', 'nothing changed');
		await page.getByRole('button', { name: 'Cancel' }).click();
	});

	await step(`a skill added and deleted on my card`, async () => {
		await page.getByRole('button', { name: 'Add a skill' }).click();
		await page.getByLabel('Skill', { exact: true }).fill('Analytical engines');
		await page.getByLabel('Proficiency').selectOption('expert');
		await page.getByRole('button', { name: 'Add', exact: true }).click();
		await page.locator('#card-status', { hasText: 'Added Analytical engines.' }).waitFor();
		await cardHas(['Analytical engines']);
		dialogs = [];
		await page.getByRole('button', { name: 'Delete skill Analytical engines' }).click();
		await page.locator('#card-status', { hasText: 'Deleted skill Analytical engines.' }).waitFor();
		assert.deepEqual(dialogs, ['Delete skill Analytical engines?']);
		assert.deepEqual(await page.locator('section[aria-labelledby="facet-skills"] .item-label').allInnerTexts(), ['Mathematics']);
	});

	await step('an email added through the form made from $metadata', async () => {
		await page.getByLabel('Collection').selectOption('emails');
		await page.getByRole('button', { name: 'Open the form' }).click();
		await page.getByLabel('Address', { exact: true }).fill('ada@analytical.example');
		await page.getByLabel('Type', { exact: true }).selectOption('personal');
		await page.getByLabel('Who can see it').selectOption('everyone');
		await page.getByRole('button', { name: 'Add to emails' }).click();
		await page.locator('#card-status', { hasText: 'Added ada@analytical.example.' }).waitFor();
		assert.deepEqual(await page.locator('section[aria-labelledby="facet-emails"] li > .item-label').allInnerTexts(), ['ada@analytical.example']);
		const doc = await adminAPI(`fixtures?tenantId=${tenant}&userId=${ada.id}`);
		const [email] = doc.tenants[0].users[0].profile.emails;
		assert.equal(email.address, 'ada@analytical.example');
		assert.equal(email.type, 'personal');
		assert.equal(email.allowedAudiences, 'everyone');
	});

	await step('editing an email offers no "Not set" type: $metadata says a type is never null', async () => {
		await page.getByRole('button', { name: 'Edit email ada@analytical.example' }).click();
		const type = page.getByLabel('Type', { exact: true });
		await type.waitFor({ timeout: 5000 });
		const offered = await type.locator('option').allInnerTexts();
		assert.ok(!offered.includes('Not set'), `the type of an email cannot be unset: ${JSON.stringify(offered)}`);
		assert.equal(await type.inputValue(), 'personal');
		await page.getByRole('button', { name: 'Cancel' }).click();
	});

	await step('a collection whose noun starts with a vowel is offered with "an": "Add an email"', async () => {
		const add = page.getByRole('button', { name: 'Add an email' });
		await add.waitFor({ timeout: 5000 });
		await add.click();
		await page.getByRole('heading', { level: 3, name: 'Add an email' }).waitFor({ timeout: 5000 });
		await page.getByRole('button', { name: 'Cancel' }).click();
	});

	await step('an anniversary shows its type and its date once, readably', async () => {
		await page.getByLabel('Collection').selectOption('anniversaries');
		await page.getByRole('button', { name: 'Open the form' }).click();
		await page.getByLabel('Date', { exact: true }).fill('1990-02-03');
		await page.getByLabel('Type', { exact: true }).selectOption('birthday');
		await page.getByRole('button', { name: 'Add to anniversaries' }).click();
		await page.locator('#card-status', { hasText: 'Added Birthday.' }).waitFor({ timeout: 5000 });
		const [text] = await page.locator('section[aria-labelledby="facet-anniversaries"] li').allInnerTexts();
		assert.match(text, /^Birthday Feb 3, 1990 /, `the type, then the date as a person reads it: ${JSON.stringify(text)}`);
		assert.ok(!text.includes('1990-02-03'), `the raw date: ${text}`);
	});

	await step(`at 375 × 740 my card and the directory have no horizontal scroll`, async () => {
		await page.setViewportSize({ width: 375, height: 740 });
		await noHorizontalScroll('my card');
		await page.getByRole('link', { name: 'People', exact: true }).click();
		await page.locator('#people-list li').first().waitFor();
		await noHorizontalScroll('the directory');
		await page.setViewportSize({ width: 1280, height: 800 });
	});

	await step(`${grace.name}'s card shows her organization positions, not her me-only ones (which the API holds)`, async () => {
		await page.getByRole('link', { name: grace.name }).click();
		const text = await cardHas([...graceShared, 'COBOL', 'Compilers', 'English', 'grace@contoso.com'], [...graceHidden, 'Secret Cryptography', 'Edit', 'Delete', 'Add a position']);
		// Current first, then by start, latest first.
		assert.ok(text.indexOf('Rear Admiral') < text.indexOf('Senior Mathematician'), 'the current position first');
		assert.match(text, /Aug 1967 – Present/);
		const stored = (await storedPositions(grace.id)).map((p) => p.detail.jobTitle);
		assert.deepEqual(stored.sort(), [...graceShared, ...graceHidden].sort(), 'the store holds all four');
		// What the card shows is what the API shows this user.
		const seen = await page.evaluate(async (id) => {
			const { accessToken } = JSON.parse(sessionStorage.getItem('graphprofile.token'));
			const res = await fetch(`/beta/users/${id}/profile/positions`, { headers: { Authorization: `Bearer ${accessToken}` } });
			return (await res.json()).value.map((p) => p.detail.jobTitle);
		}, grace.id);
		assert.deepEqual(seen.sort(), [...graceShared].sort());
		await page.setViewportSize({ width: 375, height: 740 });
		await noHorizontalScroll(`${grace.name}'s card`);
		await page.screenshot({ path: join(screenshots, 'ui-card.png'), fullPage: true });
		await page.setViewportSize({ width: 1280, height: 800 });
	});
	await step(`axe: ${grace.name}'s card`, () => axe(`${grace.name}'s card`));

	await step('a person nobody has: a plain message, not a broken card', async () => {
		await page.goto(`${base}/ui/#/people/00000000-0000-4000-8000-000000000000`);
		await page.getByRole('heading', { level: 1, name: 'No such person' }).waitFor();
		assert.equal(await page.locator('#profile-card').count(), 0);
	});

	await step('an address naming no person\'s id (#/people/, #/people/., #/people/..) says "No such person", from a card too', async () => {
		for (const hash of ['#/people/', '#/people/.', '#/people/..']) {
			await page.goto(`${base}/ui/#/people/${grace.id}`);
			await cardHas([grace.name]);
			await page.goto(`${base}/ui/${hash}`);
			await page.locator('main h1', { hasText: 'No such person' }).waitFor({ timeout: 5000 });
			assert.equal(await page.locator('#profile-card').count(), 0, `${hash}: the previous card stays`);
		}
	});

	await step('an edit of a position changed elsewhere since the card was shown is refused (If-Match), not saved over it', async () => {
		await page.getByRole('link', { name: 'My profile' }).click();
		await page.getByRole('button', { name: 'Edit Principal Engineer at Contoso' }).click();
		// Another tab (or app) renames the position while the form is open.
		const status = await page.evaluate(async () => {
			const { accessToken } = JSON.parse(sessionStorage.getItem('graphprofile.token'));
			const id = document.querySelector('li.position').dataset.id;
			const res = await fetch(`/beta/me/profile/positions/${id}`, {
				method: 'PATCH',
				headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
				body: JSON.stringify({ detail: { jobTitle: 'Renamed elsewhere' } }),
			});
			return res.status;
		});
		assert.equal(status, 200);
		await page.getByLabel('Job title').fill('Distinguished Engineer');
		await page.getByRole('button', { name: 'Save' }).click();
		await page.locator('.facet-form .form-error', { hasText: /changed since/ }).waitFor({ timeout: 5000 });
		const [stored] = await storedPositions(ada.id);
		assert.equal(stored.detail.jobTitle, 'Renamed elsewhere', 'the other change is kept');
		// Deleting it as shown is refused too; the card, read again, shows it.
		dialogs = [];
		await page.getByRole('button', { name: 'Delete Principal Engineer at Contoso' }).click();
		await page.locator('li.position .form-error', { hasText: /^Deleting failed: This item was changed since/ }).waitFor({ timeout: 5000 });
		// Tried twice more, refused each time: one alert, replaced, not three.
		for (let i = 0; i < 2; i++) {
			const refused = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.status() === 412);
			await page.getByRole('button', { name: 'Delete Principal Engineer at Contoso' }).click();
			await refused;
			await page.waitForTimeout(100);
		}
		// (The edit form's own refusal, above, is another action's.)
		assert.deepEqual(await page.locator('li.position > [role=alert]').allInnerTexts(), ['Deleting failed: This item was changed since the card was shown (in another tab or app). Reload the card to see the change, then try again.'], 'one alert after three failed deletes');
		assert.equal((await storedPositions(ada.id)).length, 1, 'nothing deleted');
		await page.reload();
		await cardHas(['Renamed elsewhere']);
	});

	await step('a sign-in that expires while the page is open: the next action signs out and says why', async () => {
		await page.getByRole('link', { name: 'People', exact: true }).click();
		await page.locator('#people-list li').first().waitFor();
		await page.evaluate(() => {
			const t = JSON.parse(sessionStorage.getItem('graphprofile.token'));
			t.expiresAt = Date.now() - 1;
			sessionStorage.setItem('graphprofile.token', JSON.stringify(t));
		});
		await page.getByLabel('Search by name').fill('Grace');
		await page.getByRole('button', { name: 'Search' }).click();
		await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: 5000 });
		await page.getByRole('alert').filter({ hasText: /expired/ }).waitFor();
		assert.equal(await page.evaluate(() => sessionStorage.getItem('graphprofile.token')), null, 'the token is gone');
		// Signed in again, as before.
		await page.locator('#dev-signin-form select').selectOption(ada.id);
		await page.locator('#dev-signin-form button[type=submit]').click();
		await page.getByText(`Signed in as ${ada.name}`).waitFor();
	});

	await step('the inspector takes the admin token and shows tenants, users and their stored data', async () => {
		await page.getByRole('link', { name: 'Inspector' }).click();
		// A wrong token, by Enter: the form comes again, the focus in its field, described by the refusal.
		await page.getByLabel('Admin token').fill('not-the-admin-token');
		await page.keyboard.press('Enter');
		await page.getByRole('alert').filter({ hasText: 'The server refused this admin token.' }).waitFor();
		await page.waitForTimeout(100);
		const refused = await page.evaluate(() => {
			const at = document.activeElement;
			return { name: at?.name, invalid: at?.getAttribute('aria-invalid'), describedBy: document.getElementById(at?.getAttribute('aria-describedby') ?? '')?.textContent, kept: sessionStorage.getItem('graphprofile.adminToken') };
		});
		// The right one: the focus goes to the inspector's heading.
		await page.getByLabel('Admin token').fill(adminToken);
		await page.keyboard.press('Enter');
		await page.getByRole('heading', { name: 'Tenants and users' }).waitFor();
		await page.waitForTimeout(100);
		const opened = await page.evaluate(() => document.activeElement?.outerHTML);
		assert.deepEqual(refused, { name: 'adminToken', invalid: 'true', describedBy: 'The server refused this admin token.', kept: null }, 'the focus is on the token field again, and the refused token is not kept');
		assert.equal(opened, '<h1 tabindex="-1">Inspector</h1>', 'the focus is on the inspector\'s heading, not lost with the form');
		const tenants = page.getByRole('region', { name: 'Tenants', exact: true });
		await tenants.getByText(tenant).waitFor();
		assert.match(await tenants.innerText(), /development\s+5/);
		// By the keyboard: the journal above fills in as it polls and moves
		// these buttons down, and a click aimed before a move lands elsewhere.
		await page.getByRole('button', { name: /^Show users of/ }).press('Enter');
		await page.getByRole('button', { name: `Data of ${grace.name}` }).press('Enter');
		await page.getByRole('heading', { name: `Stored data of ${grace.name}` }).waitFor();
		const json = await page.locator('#inspector-user-data pre').innerText();
		for (const title of [...graceShared, ...graceHidden]) assert.ok(json.includes(title), `the stored data holds ${title}`);
	});

	await step('the journal shows the requests just made, and new ones without a click', async () => {
		const rows = page.locator('#journal-rows tr');
		await rows.first().waitFor();
		const text = await page.locator('#journal-rows').innerText();
		assert.match(text, /POST\s+\/beta\/me\/profile\/positions\s+201/, 'the create');
		assert.match(text, /PATCH\s+\/beta\/me\/profile\/positions\/\S+\s+200/, 'the edit');
		assert.match(text, /PATCH\s+\/beta\/me\/profile\/positions\/\S+\s+400/, 'the refused edit');
		assert.match(text, /GET\s+\/beta\/users\/b0b0b0b0-2222-4222-8222-000000000002\/profile\s+200/, 'the card');
		const before = await page.locator('#journal-rows tr').first().locator('td').first().innerText();
		await page.evaluate(async () => {
			const { accessToken } = JSON.parse(sessionStorage.getItem('graphprofile.token'));
			await fetch('/beta/me/profile/skills', { headers: { Authorization: `Bearer ${accessToken}` } });
		});
		await page.waitForFunction((seq) => document.querySelector('#journal-rows tr td')?.textContent !== seq, before, { timeout: 5000 });
		assert.match(await rows.first().innerText(), /GET\s+\/beta\/me\/profile\/skills\s+200/);
	});
	await step('axe: the inspector', () => axe('the inspector'));
	await step('the inspector\'s screenshot', async () => {
		await page.setViewportSize({ width: 1280, height: 1100 });
		await page.evaluate(() => window.scrollTo(0, 0));
		await page.screenshot({ path: join(screenshots, 'ui-inspector.png') });
		await page.setViewportSize({ width: 1280, height: 800 });
	});

	await step('the journal keeps its height as rows come: what is below it does not move under the pointer', async () => {
		// The journal sits above the tenants and users; had it grown with
		// its rows, each refresh would move their buttons, and a click
		// aimed at one could land on another.
		const top = () => page.evaluate(() => document.getElementById('inspector-data-heading').getBoundingClientRect().top + window.scrollY);
		await page.getByRole('button', { name: 'Clear the journal' }).click();
		await page.waitForFunction(() => document.querySelectorAll('#journal-rows tr').length === 0, null, { timeout: 5000 });
		const empty = await top();
		await page.evaluate(async () => {
			const { accessToken } = JSON.parse(sessionStorage.getItem('graphprofile.token'));
			for (let i = 0; i < 3; i++) await fetch('/beta/me/profile/skills', { headers: { Authorization: `Bearer ${accessToken}` } });
		});
		await page.waitForFunction(() => document.querySelectorAll('#journal-rows tr').length >= 3, null, { timeout: 5000 });
		assert.equal(await top(), empty, 'the tenants and users stay where they were');
	});

	await step('a journal row opened by the keyboard keeps the focus and stays open as new rows come', async () => {
		const summary = page.locator('#journal-rows tr').first().locator('summary');
		const seq = await page.locator('#journal-rows tr').first().getAttribute('data-seq');
		await summary.press('Enter');
		await page.locator(`#journal-rows tr[data-seq="${seq}"] details[open]`).waitFor();
		await page.evaluate(async () => {
			const { accessToken } = JSON.parse(sessionStorage.getItem('graphprofile.token'));
			await fetch('/beta/me/profile/languages', { headers: { Authorization: `Bearer ${accessToken}` } });
		});
		await page.waitForFunction((seq) => document.querySelector('#journal-rows tr')?.dataset.seq !== seq, seq, { timeout: 5000 });
		await page.waitForTimeout(2000); // a refresh or two more
		const at = await page.evaluate(() => ({ seq: document.activeElement?.closest('tr')?.dataset.seq, tag: document.activeElement?.tagName, open: document.activeElement?.closest('details')?.open }));
		assert.deepEqual(at, { seq, tag: 'SUMMARY', open: true }, 'the focus stays on the opened row\'s summary');
		await page.keyboard.press('Enter'); // and the keyboard goes on from there: it closes the row
		await page.waitForFunction((seq) => !document.querySelector(`#journal-rows tr[data-seq="${seq}"] details`).open, seq);
	});

	await step('the inspector, reloaded, names who is signed in in the header, as every view does', async () => {
		await page.reload();
		await page.getByRole('heading', { name: 'Tenants and users' }).waitFor();
		await page.locator('.session-user', { hasText: `Signed in as ${ada.name}` }).waitFor({ timeout: 5000 });
	});

	await step('"Forget the admin token" by Enter puts the focus on the view\'s heading; the token given again opens the inspector', async () => {
		await page.getByRole('button', { name: 'Forget the admin token' }).press('Enter');
		await page.getByLabel('Admin token').waitFor();
		await page.waitForTimeout(100);
		assert.equal(await page.evaluate(() => document.activeElement?.outerHTML), '<h1 tabindex="-1">Inspector</h1>', 'the focus is on the heading, not lost with the button');
		assert.equal(await page.evaluate(() => sessionStorage.getItem('graphprofile.adminToken')), null, 'the admin token is forgotten');
		await page.getByLabel('Admin token').fill(adminToken);
		await page.keyboard.press('Enter');
		await page.getByRole('heading', { name: 'Tenants and users' }).waitFor();
	});

	await step('the inspector loads a fixtures file', async () => {
		await page.getByLabel(/Fixtures file/).setInputFiles(extraFixtures);
		await page.getByRole('button', { name: 'Load fixtures' }).click();
		await page.locator('#inspector-status', { hasText: 'Loaded ui-fixtures-extra.json.' }).waitFor();
		await page.waitForFunction(() => /development\s+6/.test(document.querySelector('#inspector-data [aria-label="Tenants"]')?.innerText ?? ''));
		const users = (await adminAPI(`users?tenantId=${tenant}`)).users.map((u) => u.displayName);
		assert.ok(users.includes('Hedy Lamarr'), `the store's users: ${users}`);
	});

	await step('reset asks first: cancelled, nothing goes; confirmed, everything does', async () => {
		dialogs = [];
		answer = false;
		await page.getByRole('button', { name: 'Reset all data' }).click();
		await page.waitForTimeout(300);
		assert.equal(dialogs.length, 1, 'a confirmation');
		assert.equal((await adminAPI('tenants')).tenants.length, 1, 'cancelled: nothing reset');
		answer = true;
		await page.getByRole('button', { name: 'Reset all data' }).click();
		await page.locator('#inspector-status', { hasText: 'Every tenant was reset.' }).waitFor();
		await page.getByText('The server holds no users.').waitFor();
		assert.deepEqual((await adminAPI('tenants')).tenants, []);
	});

	await step('a failing admin call is shown: a bad fixtures file', async () => {
		await page.getByLabel(/Fixtures file/).setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"tenants": [{"id": 7}]}') });
		await page.getByRole('button', { name: 'Load fixtures' }).click();
		await page.locator('#inspector-error', { hasText: /Loading bad\.json failed: body:1:/ }).waitFor();
	});

	// After the reset: a tenant of 30 people (more than the directory's
	// page of 25), Ada among them, for the steps below.
	await step('after the reset, a tenant of 30 people loads', async () => {
		const others = Array.from({ length: 29 }, (_, i) => {
			const n = String(i + 1).padStart(2, '0');
			return { id: `c1c1c1c1-0000-4000-8000-0000000000${n}`, displayName: `Person ${n}`, userPrincipalName: `person${n}@contoso.com` };
		});
		await adminPost('fixtures', { tenants: [{ id: tenant, users: [{ id: ada.id, displayName: ada.name, userPrincipalName: 'ada@contoso.com' }, ...others] }] });
		assert.equal((await adminAPI(`users?tenantId=${tenant}`)).users.length, 30);
	});

	await step('a search typed while the directory loads keeps the focus when the load ends', async () => {
		// The directory's first page comes 1.5 s late; the user has typed
		// into the search box meanwhile. The view's heading must not take
		// the focus once that page has come: the next keys would go there.
		await adminPost('faults', { fault: 'latency=1500ms', method: 'GET', path: '/beta/users' });
		await page.getByRole('link', { name: 'People', exact: true }).click();
		await page.getByLabel('Search by name').fill('Person 0');
		await page.locator('#people-status', { hasText: 'named “Person 0…”' }).waitFor({ timeout: 5000 });
		await page.waitForTimeout(2000); // the late page has come by now
		assert.equal(await page.evaluate(() => document.activeElement?.id), 'people-search', 'the focus stays in the search box');
		await page.keyboard.type('1');
		await page.keyboard.press('Enter');
		await page.locator('#people-status', { hasText: '1 person named “Person 01…”' }).waitFor({ timeout: 5000 });
	});

	await step('"More people" keeps the total in the status: 30 people, 25 shown, then 30 people', async () => {
		await page.goto(`${base}/ui/#/people`);
		await page.getByLabel('Search by name').fill('');
		await page.keyboard.press('Enter');
		await page.waitForFunction(() => document.querySelectorAll('#people-list li').length === 25);
		assert.equal(await page.locator('#people-status').innerText(), '30 people, 25 shown');
		// By the keyboard: the button goes once the last page is shown, and
		// the focus with it to the first person that page added.
		await page.getByRole('button', { name: 'More people' }).press('Enter');
		await page.waitForFunction(() => document.querySelectorAll('#people-list li').length === 30);
		assert.equal(await page.locator('#people-status').innerText(), '30 people');
		assert.ok(await page.locator('#people-more').isHidden(), 'no more people to list');
		await page.waitForTimeout(100);
		assert.equal(await page.evaluate(() => document.activeElement === document.querySelector('#people-list li:nth-child(26) a')), true,
			`the focus is on the 26th person, not lost: ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80))}`);
	});

	await step('a search made while "More people" is still loading shows only the people it finds', async () => {
		await page.goto(`${base}/ui/#/people`);
		await page.getByLabel('Search by name').fill('');
		await page.keyboard.press('Enter');
		await page.waitForFunction(() => document.querySelectorAll('#people-list li').length === 25);
		// The next page comes 1.5 s late; the search is answered at once.
		await adminPost('faults', { fault: 'latency=1500ms', method: 'GET', path: '/beta/users' });
		await page.getByRole('button', { name: 'More people' }).click();
		await page.getByLabel('Search by name').fill('Person 0');
		await page.keyboard.press('Enter');
		await page.locator('#people-status', { hasText: 'named' }).waitFor({ timeout: 5000 });
		await page.waitForTimeout(2000); // the late page has come by now
		const names = await page.locator('#people-list li .person-link').allInnerTexts();
		assert.ok(names.length > 0 && names.every((n) => n.includes('Person 0')), `only the search's people: ${JSON.stringify(names)}`);
		assert.match(await page.locator('#people-status').innerText(), /^\d+ people named “Person 0…”$/);
	});

	await step('the card shows the dates of awards, certifications, publications, patents, education and projects', async () => {
		const created = await page.evaluate(async () => {
			const { accessToken } = JSON.parse(sessionStorage.getItem('graphprofile.token'));
			const items = {
				awards: { displayName: 'Difference Engine Prize', issuedDate: '2019-05-01' },
				certifications: { displayName: 'Certified Analyst', issuedDate: '2020-01-05', startDate: '2020-01-05', endDate: '2023-01-05' },
				publications: { displayName: 'Notes on the Engine', publishedDate: '2021-03-02' },
				patents: { displayName: 'Bernoulli Numbers Method', issuedDate: '2018-04-04' },
				educationalActivities: { institution: { displayName: 'University of London' }, program: { displayName: 'Mathematics' }, startMonthYear: '1996-09-01', endMonthYear: '2000-06-01', completionMonthYear: '2000-06-01' },
				projects: { displayName: 'Analytical Engine', detail: { startMonthYear: '2020-01-01', endMonthYear: '2021-12-01' } },
			};
			const statuses = {};
			for (const [collection, body] of Object.entries(items)) {
				const res = await fetch(`/beta/me/profile/${collection}`, {
					method: 'POST',
					headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
					body: JSON.stringify({ ...body, allowedAudiences: 'organization' }),
				});
				statuses[collection] = res.status;
			}
			return statuses;
		});
		assert.deepEqual(Object.values(created), [201, 201, 201, 201, 201, 201], JSON.stringify(created));
		await page.goto(`${base}/ui/#/me`);
		await cardHas(['Difference Engine Prize']);
		const expected = {
			awards: ['Issued May 1, 2019'],
			certifications: ['Issued Jan 5, 2020', 'valid Jan 5, 2020 – Jan 5, 2023'],
			publications: ['Published Mar 2, 2021'],
			patents: ['Issued Apr 4, 2018'],
			educationalActivities: ['Sep 1996 – Jun 2000'],
			projects: ['Jan 2020 – Dec 2021'],
		};
		for (const [collection, texts] of Object.entries(expected)) {
			const text = await page.locator(`section[aria-labelledby="facet-${collection}"] li`).first().innerText();
			for (const t of texts) assert.ok(text.includes(t), `${collection}: ${JSON.stringify(text)} does not show ${t}`);
			assert.doesNotMatch(text, /\d{4}-\d{2}-\d{2}/, `${collection}: a raw date in ${JSON.stringify(text)}`);
		}
		await axe('my card with dated items');
	});

	// Throttled or unavailable (an armed fault, POST /_admin/faults): a read
	// is retried once after Retry-After (10 s at most); a write is not, and
	// the form says the server is busy.
	const journal = async (query) => (await adminAPI(`requests?${query}`)).requests.map((r) => r.response.status).reverse();
	await step('a read answered 429 or 503 is retried once after its Retry-After; the view shows the answer', async () => {
		await fetch(`${base}/_admin/requests`, { method: 'DELETE', headers: { Authorization: `Bearer ${adminToken}` } });
		await adminPost('faults', { fault: '503;retry-after=1', method: 'GET', path: '/me/profile' });
		await adminPost('faults', { fault: '429;retry-after=2', method: 'GET', path: '/beta/users' });
		await page.goto('about:blank');
		const started = Date.now();
		await page.goto(`${base}/ui/#/me`);
		await cardHas(['Difference Engine Prize', 'Issued May 1, 2019']);
		assert.ok(Date.now() - started >= 1000, `the card came after ${Date.now() - started} ms: its read was retried before Retry-After`);
		assert.deepEqual(await journal('method=GET&path=/beta/me/profile'), [503, 200]);
		await page.getByRole('link', { name: 'People', exact: true }).click();
		await page.waitForFunction(() => document.querySelectorAll('#people-list li').length === 25, null, { timeout: 8000 });
		assert.equal(await page.locator('#people-status').innerText(), '30 people, 25 shown');
		assert.deepEqual(await journal('method=GET&path=/beta/users'), [429, 200]);
	});

	await step('a read told to wait longer than 10 s is not retried early: the view says the server is busy', async () => {
		await fetch(`${base}/_admin/requests`, { method: 'DELETE', headers: { Authorization: `Bearer ${adminToken}` } });
		await adminPost('faults', { fault: '429;retry-after=30', method: 'GET', path: '/me/profile' });
		await page.getByRole('link', { name: 'My profile' }).click();
		await page.locator('#profile-card .notice', { hasText: 'Reading the profile failed: The server is busy right now. Try again in 30 seconds.' }).waitFor({ timeout: 5000 });
		assert.deepEqual(await journal('method=GET&path=/beta/me/profile'), [429]);
	});

	await step('a write answered 429 is not retried: the form says the server is busy, and the next try saves it', async () => {
		await page.reload();
		await cardHas(['Difference Engine Prize']);
		await fetch(`${base}/_admin/requests`, { method: 'DELETE', headers: { Authorization: `Bearer ${adminToken}` } });
		await adminPost('faults', { fault: '429;retry-after=1', method: 'POST', path: '/profile/skills' });
		await page.getByRole('button', { name: 'Add a skill' }).click();
		await page.getByLabel('Skill', { exact: true }).fill('Poetical science');
		await page.getByRole('button', { name: 'Add', exact: true }).click();
		await page.locator('.facet-form .form-error', { hasText: 'The server is busy right now. Try again in 1 second.' }).waitFor({ timeout: 5000 });
		await page.waitForTimeout(1500);
		assert.deepEqual(await journal('method=POST&path=/profile/skills'), [429], 'one POST, not retried');
		await page.getByRole('button', { name: 'Add', exact: true }).click();
		await page.locator('#card-status', { hasText: 'Added Poetical science.' }).waitFor({ timeout: 5000 });
		assert.equal(await page.evaluate(() => document.activeElement?.id), 'card-status', 'the focus is on the message, not lost with the form');
		assert.deepEqual(await journal('method=POST&path=/profile/skills'), [429, 201]);
		const doc = await adminAPI(`fixtures?tenantId=${tenant}&userId=${ada.id}`);
		assert.deepEqual(doc.tenants[0].users[0].profile.skills.map((s) => s.displayName), ['Poetical science'], 'one skill, saved once');
	});

	await step('a delete answered 503 is not retried: the item says the server is busy', async () => {
		await fetch(`${base}/_admin/requests`, { method: 'DELETE', headers: { Authorization: `Bearer ${adminToken}` } });
		await adminPost('faults', { fault: '503;retry-after=2', method: 'DELETE', path: '/profile/skills' });
		await page.getByRole('button', { name: 'Delete skill Poetical science' }).click();
		await page.locator('section[aria-labelledby="facet-skills"] .form-error', { hasText: 'Deleting failed: The server is busy right now. Try again in 2 seconds.' }).waitFor({ timeout: 5000 });
		await page.waitForTimeout(2500);
		assert.deepEqual(await journal('method=DELETE&path=/profile/skills'), [503], 'one DELETE, not retried');
	});

	await step('a current position with no dates reads "Present"', async () => {
		const status = await page.evaluate(async () => {
			const { accessToken } = JSON.parse(sessionStorage.getItem('graphprofile.token'));
			const res = await fetch('/beta/me/profile/positions', {
				method: 'POST',
				headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
				body: JSON.stringify({ isCurrent: true, detail: { jobTitle: 'Undated Role' } }),
			});
			return res.status;
		});
		assert.equal(status, 201);
		await page.reload();
		await cardHas(['Undated Role']);
		const text = await page.locator('#profile-card li', { hasText: 'Undated Role' }).innerText();
		assert.ok(text.includes('Present') && !text.includes('Until Present'), JSON.stringify(text));
	});

	await step('a position that says nothing of isCurrent and has no end reads as current, and its form agrees: unticked, it is not; an audience cleared to null is not sent unless changed', async () => {
		const api = (method, path, body) => page.evaluate(async ([method, path, body]) => {
			const { accessToken } = JSON.parse(sessionStorage.getItem('graphprofile.token'));
			const res = await fetch(path, {
				method,
				headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
				body: body === undefined ? undefined : JSON.stringify(body),
			});
			return { status: res.status, body: res.status === 204 ? null : await res.json() };
		}, [method, path, body]);
		const made = await api('POST', '/beta/me/profile/positions', { detail: { jobTitle: 'Open Ended', startMonthYear: '2015-03-01' } });
		assert.equal(made.status, 201);
		assert.equal((await api('PATCH', `/beta/me/profile/positions/${made.body.id}`, { allowedAudiences: null })).status, 200);
		await page.reload();
		const item = page.locator('#profile-card li', { hasText: 'Open Ended' });
		await item.waitFor();
		assert.match(await item.innerText(), /Current[\s\S]*Mar 2015 – Present/, 'no end and no isCurrent: current');
		await page.getByRole('button', { name: 'Edit Open Ended', exact: true }).click();
		const box = page.getByLabel('This is a current position');
		assert.ok(await box.isChecked(), 'the form shows it current, as the card does');
		await box.uncheck();
		await page.getByRole('button', { name: 'Save' }).click();
		await page.locator('#card-status', { hasText: 'Saved Open Ended.' }).waitFor();
		const [patch] = (await adminAPI('requests?method=PATCH&path=/profile/positions')).requests;
		assert.deepEqual(JSON.parse(patch.request.body), { isCurrent: false }, 'the PATCH names only the change');
		const stored = (await storedPositions(ada.id)).find((p) => p.id === made.body.id);
		assert.equal(stored.isCurrent, false);
		assert.equal(stored.allowedAudiences, null, 'the audience nobody touched stays cleared');
		const text = await item.innerText();
		assert.ok(!text.includes('Current') && text.includes('Since Mar 2015'), JSON.stringify(text));

		// A long unbroken company and title wrap in the card's header and list at phone width.
		const long = await api('POST', '/beta/me/profile/positions', { isCurrent: true, detail: { jobTitle: 'T'.repeat(120), startMonthYear: '2099-01-01', company: { displayName: `https://a${'very'.repeat(12)}longcompanyname.example.com/path` } } });
		assert.equal(long.status, 201);
		await page.reload();
		await cardHas(['longcompanyname']);
		await page.setViewportSize({ width: 375, height: 740 });
		await noHorizontalScroll('a card with a long company and title');
		await page.setViewportSize({ width: 1280, height: 800 });
		for (const id of [made.body.id, long.body.id]) assert.equal((await api('DELETE', `/beta/me/profile/positions/${id}`)).status, 204);
		await page.reload();
		await cardHas(['Difference Engine Prize']);
	});

	await step('a past job added with an End and the box left as it was is not current: the box follows the End until touched', async () => {
		await page.getByRole('button', { name: 'Add a position' }).click();
		const box = page.getByLabel('This is a current position');
		assert.equal(await box.isChecked(), true, 'a new position without an end starts current');
		await page.getByLabel('Job title').fill('Past Job');
		await page.getByLabel('Start').fill('2001-02');
		await page.getByLabel('End').fill('2005-06');
		assert.equal(await box.isChecked(), false, 'given an end, the box is unticked');
		const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/me/profile/positions'));
		await page.getByRole('button', { name: 'Add', exact: true }).click();
		assert.equal(JSON.parse((await posted).postData()).isCurrent, false, 'the POST says isCurrent: false');
		await page.locator('#card-status', { hasText: 'Added Past Job.' }).waitFor();
		const item = page.locator('#profile-card li.position', { hasText: 'Past Job' });
		const text = await item.innerText();
		assert.ok(!text.includes('Current') && text.includes('Feb 2001 – Jun 2005'), `the card shows a past job: ${JSON.stringify(text)}`);
		const stored = (await storedPositions(ada.id)).find((p) => p.detail.jobTitle === 'Past Job');
		assert.equal(await deleteMyPosition(stored.id), 204);
		await page.reload();
		await page.locator('#profile-card').waitFor();
	});

	await step('a position added with "This is a current position" unticked is not current: the POST says isCurrent false', async () => {
		await page.getByRole('button', { name: 'Add a position' }).click();
		const box = page.getByLabel('This is a current position');
		const ticked = await box.isChecked();
		await page.getByLabel('Job title').fill('Former Role');
		await page.getByLabel('Start').fill('2001-02');
		await box.uncheck();
		const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/me/profile/positions'));
		await page.getByRole('button', { name: 'Add', exact: true }).click();
		assert.equal(JSON.parse((await posted).postData()).isCurrent, false, 'the POST says isCurrent: false');
		await page.locator('#card-status', { hasText: 'Added Former Role.' }).waitFor();
		const item = page.locator('#profile-card li.position', { hasText: 'Former Role' });
		const text = await item.innerText();
		assert.ok(!text.includes('Current') && text.includes('Since Feb 2001') && !text.includes('Present'), `the card agrees with the form: ${JSON.stringify(text)}`);
		const stored = (await storedPositions(ada.id)).find((p) => p.detail.jobTitle === 'Former Role');
		assert.equal(stored.isCurrent, false);
		// Its form agrees too.
		await page.getByRole('button', { name: 'Edit Former Role', exact: true }).click();
		assert.equal(await page.getByLabel('This is a current position').isChecked(), false);
		await page.getByRole('button', { name: 'Cancel' }).click();
		assert.equal(await deleteMyPosition(stored.id), 204);
		// A new position without an end is one the card calls current: so its box starts ticked.
		assert.ok(ticked, 'a new position\'s box starts as the card would show it: ticked');
	});

	await step('a double click on "Add …" while $metadata is read opens one form', async () => {
		await page.reload(); // the page's modules anew: $metadata not read yet
		await cardHas(['Difference Engine Prize']);
		await adminPost('faults', { fault: 'latency=1s', method: 'GET', path: '$metadata' });
		await page.getByRole('button', { name: 'Add a skill' }).dblclick();
		await page.getByLabel('Skill', { exact: true }).waitFor({ timeout: 5000 });
		await page.waitForTimeout(500);
		assert.equal(await page.locator('form.facet-form').count(), 1, 'one form per button');
		await page.getByRole('button', { name: 'Cancel' }).click();
		assert.equal(await page.locator('form.facet-form').count(), 0);
		assert.ok(await page.getByRole('button', { name: 'Add a skill' }).isVisible(), 'the button is back');
		// The same of Edit, once $metadata is read: a second click before the form is made is ignored.
		await page.evaluate(() => {
			const edit = document.querySelector('section[aria-labelledby="facet-skills"] button[aria-label^="Edit"]');
			edit.click();
			edit.click();
		});
		await page.waitForTimeout(300);
		assert.equal(await page.locator('form.facet-form').count(), 1, 'one edit form per button');
		await page.getByRole('button', { name: 'Cancel' }).click();
	});

	await step('a form whose $metadata read failed is made by the next click', async () => {
		await page.reload(); // the page's modules anew: $metadata not read yet
		await cardHas(['Difference Engine Prize']);
		await adminPost('faults', { fault: '429;retry-after=30', method: 'GET', path: '$metadata' });
		await page.getByRole('button', { name: 'Add a skill' }).click();
		await page.locator('.form-error', { hasText: 'The form cannot be made: The server is busy right now. Try again in 30 seconds.' }).waitFor({ timeout: 5000 });
		await page.getByRole('button', { name: 'Add a skill' }).click();
		await page.getByLabel('Skill', { exact: true }).waitFor({ timeout: 5000 });
		assert.equal(await page.locator('.form-error', { hasText: 'The form cannot be made' }).count(), 0, 'the failed attempt\'s alert is gone');
		await page.getByRole('button', { name: 'Cancel' }).click();
	});

	await step('who is signed in, unread once, is read again by the next view; meanwhile the page offers to sign out', async () => {
		await adminPost('faults', { fault: '503;retry-after=30', method: 'GET', path: '/beta/me' });
		await page.goto('about:blank');
		await page.goto(`${base}/ui/#/people`);
		await page.locator('[role=alert]', { hasText: 'Reading who you are failed: The server is busy right now. Try again in 30 seconds.' }).waitFor({ timeout: 5000 });
		await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 2000 });
		await page.getByRole('link', { name: 'My profile' }).click();
		await cardHas(['Difference Engine Prize']);
		await page.locator('.session-user', { hasText: `Signed in as ${ada.name}` }).waitFor({ timeout: 5000 });
	});

	await step('a view still reading when the user moves on, or signs out, does not replace what came after it', async () => {
		// Grace's card, slow; the directory asked for meanwhile stays.
		await adminPost('faults', { fault: 'latency=2s', method: 'GET', path: `/users/${grace.id}` });
		await page.goto(`${base}/ui/#/people/${grace.id}`);
		await page.getByRole('link', { name: 'People', exact: true }).click();
		await page.waitForFunction(() => document.querySelectorAll('#people-list li').length === 25, null, { timeout: 8000 });
		await page.waitForTimeout(2500);
		assert.equal(await page.locator('main h1').innerText(), 'People', 'the directory was replaced by the card it had left');
		// One's own card, slow, then Sign out: the sign-in page stays.
		await adminPost('faults', { fault: 'latency=2s', method: 'GET', path: '/me/profile' });
		await page.getByRole('link', { name: 'My profile' }).click();
		await page.getByRole('button', { name: 'Sign out' }).click();
		await page.locator('main h1', { hasText: 'Sign in' }).waitFor({ timeout: 5000 });
		await page.waitForTimeout(2500);
		assert.equal(await page.locator('main h1').innerText(), 'Sign in', 'the signed-out page was replaced by the card of who had signed out');
		assert.equal(await page.locator('#profile-card').count(), 0);
	});

	// People whose names test the page's layout: a long unbroken name, and
	// names that start with emoji (more than one UTF-16 unit each).
	const wide = { id: 'd2d2d2d2-0000-4000-8000-000000000001', name: 'W'.repeat(200) };
	const emoji = { id: 'd2d2d2d2-0000-4000-8000-000000000002', name: '😀 Émoji' };
	const coder = { id: 'd2d2d2d2-0000-4000-8000-000000000003', name: '👩🏽‍💻 Coder' };
	const quoted = { id: 'd2d2d2d2-0000-4000-8000-000000000004', name: '"Mallory" <script>' };
	const marked = { id: 'd2d2d2d2-0000-4000-8000-000000000005', name: 'Bertha \u200fRight' };
	await step('long unbroken text wraps, at 375 px and at desktop width: a name in the directory, the header and the inspector, a long search', async () => {
		await adminPost('fixtures', { tenants: [{ id: tenant, users: [wide, emoji, coder, quoted, marked].map((u, i) => ({ id: u.id, displayName: u.name, userPrincipalName: `layout${i}@contoso.com` })) }] });
		await page.goto(`${base}/ui/#/people`);
		await page.locator('#dev-signin-form select').selectOption(wide.id);
		await page.locator('#dev-signin-form button[type=submit]').click();
		await page.locator('.session-user', { hasText: `Signed in as ${wide.name}` }).waitFor();
		await page.getByLabel('Search by name').fill('W'.repeat(120));
		await page.keyboard.press('Enter');
		await page.locator('#people-status', { hasText: `1 person named “${'W'.repeat(120)}…”` }).waitFor({ timeout: 5000 });
		assert.deepEqual(await page.locator('#people-list .person-name').allInnerTexts(), [wide.name]);
		for (const width of [375, 1280]) {
			await page.setViewportSize({ width, height: 800 });
			await noHorizontalScroll('the directory with a long name, a long search and the header naming a long name');
		}
		await page.getByLabel('Search by name').fill('');
		await page.keyboard.press('Enter');
		await page.waitForFunction(() => document.querySelectorAll('#people-list li').length === 25);
		await page.getByRole('link', { name: 'Inspector' }).click();
		await page.getByRole('button', { name: /^Show users of/ }).press('Enter');
		await page.getByRole('button', { name: `Data of ${wide.name}` }).press('Enter');
		await page.getByRole('heading', { name: `Stored data of ${wide.name}` }).waitFor();
		for (const width of [375, 1280]) {
			await page.setViewportSize({ width, height: 800 });
			await noHorizontalScroll('the inspector showing the data of a long name');
		}
		await page.setViewportSize({ width: 1280, height: 800 });
	});

	await step('a name starting with emoji or punctuation: the avatar shows the emoji whole, not half of it, and no punctuation', async () => {
		await page.getByRole('link', { name: 'People', exact: true }).click();
		await page.getByLabel('Search by name').fill(emoji.name.slice(0, 2));
		await page.keyboard.press('Enter');
		await page.locator('#people-list .person-name', { hasText: emoji.name }).waitFor({ timeout: 5000 });
		const avatarOf = (name) => page.locator('#people-list li', { hasText: name }).locator('.avatar').textContent();
		assert.equal(await avatarOf(emoji.name), '😀É');
		await page.getByLabel('Search by name').fill(coder.name.slice(0, 2));
		await page.keyboard.press('Enter');
		await page.locator('#people-list .person-name', { hasText: coder.name }).waitFor({ timeout: 5000 });
		assert.equal(await avatarOf(coder.name), '👩🏽‍💻C', 'a grapheme of several code points, whole');
		await page.getByLabel('Search by name').fill(quoted.name.slice(0, 3));
		await page.keyboard.press('Enter');
		await page.locator('#people-list .person-name', { hasText: quoted.name }).waitFor({ timeout: 5000 });
		assert.equal(await avatarOf(quoted.name), 'MS', 'the punctuation that opens a word is not its initial');
		await page.getByLabel('Search by name').fill('Bertha');
		await page.keyboard.press('Enter');
		await page.locator('#people-list .person-name', { hasText: 'Bertha' }).waitFor({ timeout: 5000 });
		assert.equal(await avatarOf('Bertha'), 'BR', 'an invisible right-to-left mark before a word is not its initial');
		await page.goto(`${base}/ui/#/people/${emoji.id}`);
		await cardHas([emoji.name]);
		assert.equal(await page.locator('.card-header .avatar').textContent(), '😀É');
	});

	// A user's and an item's id may be an OData segment name ($ref, $count)
	// when a fixture names it so; the server reads users/$ref as the
	// segment, so the page must name such keys in parentheses, as Graph's
	// own Location headers do.
	const dollar = { id: '$ref', name: 'Dollar Segment' };
	await step('a person and an item whose ids are OData segment names: the card shows them and the item is deleted', async () => {
		await adminPost('fixtures', { tenants: [{ id: tenant, users: [{ id: dollar.id, displayName: dollar.name, userPrincipalName: 'dollar@contoso.com', profile: { skills: [{ id: '$count', displayName: 'Segment names', allowedAudiences: 'organization' }] } }] }] });
		await page.goto(`${base}/ui/#/people/${encodeURIComponent(dollar.id)}`);
		await cardHas([dollar.name, 'Segment names']);
		await page.goto(`${base}/ui/#/people`); // away from the card, as below
		await page.getByRole('button', { name: 'Sign out' }).click();
		await page.locator('#dev-signin-form select').selectOption(dollar.id);
		await page.locator('#dev-signin-form button[type=submit]').click();
		await page.locator('.session-user', { hasText: `Signed in as ${dollar.name}` }).waitFor();
		await page.getByRole('link', { name: 'My profile' }).click();
		await cardHas([dollar.name, 'Segment names']);
		dialogs = [];
		await page.getByRole('button', { name: 'Delete skill Segment names' }).click();
		await page.locator('#card-status', { hasText: 'Deleted skill Segment names.' }).waitFor({ timeout: 5000 });
		const doc = await adminAPI(`fixtures?tenantId=${tenant}&userId=${encodeURIComponent(dollar.id)}`);
		assert.deepEqual(doc.tenants[0].users[0].profile?.skills ?? [], []);
	});

	// signInAs signs out and signs in as the picker's user of id; shown is
	// the header's name (Signed in as …) to wait for.
	const signInAs = async (id, shown) => {
		await page.getByRole('button', { name: 'Sign out' }).click();
		await page.locator('#dev-signin-form select').selectOption(id);
		await page.locator('#dev-signin-form button[type=submit]').click();
		await page.locator('.session-user', { hasText: `Signed in as ${shown}` }).waitFor();
	};

	// Nor may an id that is a dot segment ('.', '..') go bare into a path:
	// resolving the URL removes it, so positions/.. is the profile itself
	// (a delete of it, the whole profile) and users/.. the service's root.
	const dots = { id: '..', name: 'Dot Segment' };
	await step('a person and items whose ids are dot segments: the card shows them, one is edited, two deleted, the rest stays', async () => {
		const job = (id, jobTitle) => ({ id, allowedAudiences: 'organization', detail: { jobTitle } });
		await adminPost('fixtures', { tenants: [{ id: tenant, users: [{ id: dots.id, displayName: dots.name, userPrincipalName: 'dots@contoso.com', profile: { positions: [job('..', 'Dot Dot job'), job('.', 'Dot job'), job('kept', 'Kept job')] } }] }] });
		await page.goto(`${base}/ui/#/people`);
		await page.getByLabel('Search by name').fill('Dot Seg');
		await page.keyboard.press('Enter');
		await page.locator('#people-list .person-name', { hasText: dots.name }).click();
		await cardHas([dots.name, 'Dot Dot job', 'Dot job', 'Kept job']);
		// Away from this card first: signed in as its owner, the card would
		// offer Edit until "My profile" replaces it, and a form opened on it
		// meanwhile would go with it.
		await page.goto(`${base}/ui/#/people`);
		await signInAs(dots.id, dots.name);
		await page.getByRole('link', { name: 'My profile' }).click();
		await cardHas([dots.name, 'Dot Dot job']);
		await page.getByRole('button', { name: 'Edit Dot Dot job' }).click();
		await page.getByLabel('Job title').fill('Dot Dot job, edited');
		await page.getByRole('button', { name: 'Save' }).click();
		await page.locator('#card-status', { hasText: 'Saved Dot Dot job, edited.' }).waitFor({ timeout: 5000 });
		for (const title of ['Dot Dot job, edited', 'Dot job']) {
			dialogs = [];
			await page.getByRole('button', { name: `Delete ${title}`, exact: true }).click();
			await page.locator('#card-status', { hasText: `Deleted ${title}.` }).waitFor({ timeout: 5000 });
		}
		const stored = await storedPositions(encodeURIComponent(dots.id));
		assert.deepEqual(stored.map((p) => [p.id, p.detail.jobTitle]), [['kept', 'Kept job']], 'the two dotted items gone, the third kept');
	});

	// Text a person wrote may change the direction of what follows it (an
	// unclosed U+202E, RIGHT-TO-LEFT OVERRIDE); it must not reach past its
	// own value to the page's words and buttons.
	const eve = { id: 'e0e0e0e0-5555-4555-8555-000000000005', name: 'Eve \u202etester' };
	await step('text that overrides its direction stays in its own value: the header, a position\'s company line and a skill keep their order', async () => {
		await adminPost('fixtures', { tenants: [{ id: tenant, users: [{ id: eve.id, displayName: eve.name, userPrincipalName: 'eve@contoso.com', profile: {
			positions: [{ allowedAudiences: 'organization', isCurrent: true, detail: { jobTitle: 'Tester', company: { displayName: 'Contoso \u202einc', department: 'Sales' } } }],
			skills: [{ displayName: 'Go \u202elang', proficiency: 'expert', allowedAudiences: 'organization' }],
		} }] }] });
		await signInAs(eve.id, eve.name);
		await page.getByRole('link', { name: 'My profile' }).click();
		await cardHas(['Tester']);
		// Each part of these lines begins where the one before it ends, left
		// to right (when on the same line): none is moved into or before another.
		const disorder = await page.evaluate(() => {
			const boxOf = (node) => {
				if (node.nodeType === Node.ELEMENT_NODE) return node.getBoundingClientRect();
				const r = document.createRange();
				r.selectNodeContents(node);
				return r.getBoundingClientRect();
			};
			const lines = {
				header: document.querySelector('.session-user'),
				company: document.querySelector('.positions .company'),
				skill: document.querySelector('section[aria-labelledby="facet-skills"] li'),
			};
			const out = [];
			for (const [name, el] of Object.entries(lines)) {
				const parts = [...el.childNodes].filter((n) => n.textContent.trim() !== '' && !(n.nodeType === Node.ELEMENT_NODE && n.matches('.actions')));
				for (let i = 1; i < parts.length; i++) {
					const [a, b] = [boxOf(parts[i - 1]), boxOf(parts[i])];
					if (b.top < a.bottom && a.top < b.bottom && b.left < a.right - 1) out.push(`${name}: "${parts[i].textContent}" (${b.left}) begins before "${parts[i - 1].textContent}" ends (${a.right})`);
				}
			}
			return out;
		});
		assert.deepEqual(disorder, []);
		// Where no element can hold the value (the title, a dialog, the
		// status line's sentence), it is set apart by U+2068 … U+2069, and
		// what follows it keeps its direction.
		const apart = (s) => `\u2068${s}\u2069`;
		assert.equal(await page.title(), `${apart(eve.name)} – graphprofile`);
		dialogs = [];
		await page.locator('section[aria-labelledby="facet-skills"] li button.danger').click();
		await page.locator('#card-status', { hasText: 'Deleted skill' }).waitFor({ timeout: 5000 });
		assert.deepEqual(dialogs, [`Delete skill ${apart('Go \u202elang')}?`]);
		assert.equal(await page.locator('#card-status').textContent(), `Deleted skill ${apart('Go \u202elang')}.`);
		// A position's name is two values and the page's "at": each apart.
		dialogs = [];
		await page.locator('.positions li.position .actions button.danger').click();
		await page.locator('#card-status', { hasText: 'Deleted Tester' }).waitFor({ timeout: 5000 });
		assert.deepEqual(dialogs, [`Delete Tester at ${apart('Contoso \u202einc')}?`]);
	});

	// A user the token named without a name or a principal name (fixtures
	// may hold one too) is named by the id, never by nothing.
	const nameless = { id: 'd0d0d0d0-7777-4777-8777-000000000007' };
	await step('a person without a name is named by the id: the picker, the header, the card\'s heading, the page\'s title', async () => {
		await adminPost('fixtures', { tenants: [{ id: tenant, users: [{ id: nameless.id }] }] });
		await page.getByRole('button', { name: 'Sign out' }).click();
		const option = page.locator(`#dev-signin-form select option[value="${nameless.id}"]`);
		assert.equal((await option.textContent()).trim(), nameless.id);
		await page.locator('#dev-signin-form select').selectOption(nameless.id);
		await page.locator('#dev-signin-form button[type=submit]').click();
		await page.locator('.session-user', { hasText: `Signed in as ${nameless.id}` }).waitFor();
		await page.getByRole('link', { name: 'My profile' }).click();
		await page.locator('#card-name', { hasText: nameless.id }).waitFor();
		assert.equal(await page.title(), `${nameless.id} – graphprofile`);
		await axe('the card of a person without a name');
	});

	await step('each view names itself in the page\'s title', async () => {
		await page.getByRole('link', { name: 'People', exact: true }).click();
		await page.locator('#people-list li').first().waitFor();
		await page.waitForFunction(() => document.title === 'People – graphprofile');
		// (The card of the person whose id is '..', by its address.)
		await page.goto(`${base}/ui/#/people/..`);
		await cardHas([dots.name]);
		await page.waitForFunction((name) => document.title === `${name} – graphprofile`, dots.name);
		await page.goto(`${base}/ui/#/people/00000000-0000-4000-8000-000000000000`);
		await page.waitForFunction(() => document.title === 'No such person – graphprofile');
		await page.getByRole('button', { name: 'Sign out' }).click();
		await page.waitForFunction(() => document.title === 'Sign in – graphprofile');
		await page.locator('#dev-signin-form select').selectOption(ada.id);
		await page.locator('#dev-signin-form button[type=submit]').click();
		await page.locator('.session-user', { hasText: `Signed in as ${ada.name}` }).waitFor();
	});

	await step('the inspector keeps its admin token when the admin API fails for a while (503), and opens once it answers', async () => {
		await page.evaluate((t) => sessionStorage.setItem('graphprofile.adminToken', t), adminToken);
		await page.getByRole('link', { name: 'People', exact: true }).click();
		await page.locator('#people-list li').first().waitFor();
		await page.route('**/_admin/tenants', (route) => route.fulfill({ status: 503, headers: { 'Retry-After': '30', 'Content-Type': 'application/json' }, body: JSON.stringify({ error: { code: 'serviceNotAvailable', message: 'Try later.' } }) }));
		await page.getByRole('link', { name: 'Inspector' }).click();
		await page.locator('main [role=alert]', { hasText: 'The admin API failed' }).waitFor({ timeout: 5000 });
		await page.waitForFunction(() => document.title === 'Inspector – graphprofile');
		assert.equal(await page.evaluate(() => sessionStorage.getItem('graphprofile.adminToken')), adminToken, 'the token is kept');
		assert.equal(await page.locator('#admin-token-form').count(), 0, 'the token is not asked for again');
		await page.unroute('**/_admin/tenants');
		await page.getByRole('button', { name: 'Try again' }).click();
		await page.locator('#inspector-data').waitFor({ timeout: 5000 });
		assert.ok(await page.getByRole('button', { name: 'Forget the admin token' }).isVisible());
	});

	await step('leaving an Inspector still loading stops the journal\'s refresh', async () => {
		await page.evaluate((t) => sessionStorage.setItem('graphprofile.adminToken', t), adminToken);
		await page.getByRole('link', { name: 'People', exact: true }).click();
		await page.locator('#people-list li').first().waitFor();
		let polls = 0;
		const count = (r) => {
			if (r.url().includes('/_admin/requests')) polls++;
		};
		page.on('request', count);
		// The inspector's first reads come 1.5 s late; the user has left by then.
		await page.route('**/_admin/tenants', async (route) => {
			await new Promise((r) => setTimeout(r, 1500));
			await route.continue().catch(() => {});
		});
		for (let i = 0; i < 2; i++) {
			await page.getByRole('link', { name: 'Inspector' }).click();
			await page.waitForTimeout(300);
			await page.getByRole('link', { name: 'People', exact: true }).click();
			await page.waitForTimeout(3500);
		}
		polls = 0;
		await page.waitForTimeout(4000);
		page.off('request', count);
		await page.unroute('**/_admin/tenants');
		assert.equal(await page.locator('main h1').innerText(), 'People');
		assert.equal(polls, 0, `the journal was read ${polls} times in 4 s off the inspector`);
	});

	// myToken is the signed-in user's token, read from the page; asMe calls
	// the API with it, outside the page's own controls.
	const myToken = () => page.evaluate(() => JSON.parse(sessionStorage.getItem('graphprofile.token')).accessToken);
	const asMe = (method, path, body) => page.evaluate(async ([method, path, body]) => {
		const { accessToken } = JSON.parse(sessionStorage.getItem('graphprofile.token'));
		const headers = { Authorization: `Bearer ${accessToken}` };
		if (body) headers['Content-Type'] = 'application/json';
		const res = await fetch(`/beta/${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
		return { status: res.status, body: res.status === 204 ? null : await res.json() };
	}, [method, path, body]);

	await step('the navigation marks the view shown, a new view\'s heading takes the focus, and the skip link moves it to the content', async () => {
		const people = page.getByRole('link', { name: 'People', exact: true });
		const mine = page.getByRole('link', { name: 'My profile' });
		await mine.click();
		await page.locator('#card-name', { hasText: ada.name }).waitFor();
		await page.waitForFunction(() => document.activeElement?.id === 'card-name');
		assert.deepEqual([await mine.getAttribute('aria-current'), await people.getAttribute('aria-current')], ['page', null]);
		await people.click();
		await page.locator('#people-list li').first().waitFor();
		await page.waitForFunction(() => document.activeElement?.matches('main h1') && document.activeElement.textContent === 'People');
		assert.deepEqual([await mine.getAttribute('aria-current'), await people.getAttribute('aria-current')], [null, 'page']);
		await page.locator('.skip-link').focus();
		await page.keyboard.press('Enter');
		assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
		assert.equal(await page.evaluate(() => location.hash), '#/people', 'the skip link leaves the view\'s address as it was');
		await page.keyboard.press('Tab');
		assert.equal(await page.evaluate(() => document.activeElement?.id), 'people-search');
	});

	const irish = { id: 'd3d3d3d3-0000-4000-8000-000000000001', name: 'O\'Neill Siobhan', upn: 'siobhan.oneill@contoso.com' };
	await step('a directory the token may not list says why, and what token may', async () => {
		await page.route('**/beta/users?*', (route) => route.fulfill({ status: 403, json: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } } }));
		await page.getByRole('link', { name: 'My profile' }).click();
		await page.locator('#card-name', { hasText: ada.name }).waitFor();
		await page.getByRole('link', { name: 'People', exact: true }).click();
		await page.locator('#people-status', { hasText: 'You may not list the directory: Insufficient privileges to complete the operation. (a token with User.ReadBasic.All may).' }).waitFor({ timeout: 5000 });
		await page.unroute('**/beta/users?*');
		await page.getByLabel('Search by name').fill('');
		await page.keyboard.press('Enter');
		await page.locator('#people-list li').first().waitFor();
	});

	await step('the directory\'s search takes a name with an apostrophe, and finds people by principal name', async () => {
		await adminPost('fixtures', { tenants: [{ id: tenant, users: [{ id: irish.id, displayName: irish.name, userPrincipalName: irish.upn }] }] });
		const search = async (text, want) => {
			await page.getByLabel('Search by name').fill(text);
			await page.keyboard.press('Enter');
			await page.locator('#people-status', { hasText: `1 person named “${text}…”` }).waitFor({ timeout: 5000 });
			assert.deepEqual(await page.locator('#people-list .person-name').allInnerTexts(), [want]);
		};
		await search('O\'N', irish.name);
		// (Her display name starts otherwise: found by her principal name.)
		await search('siobhan.', irish.name);
		await page.getByLabel('Search by name').fill('');
		await page.keyboard.press('Enter');
		await page.waitForFunction(() => document.querySelectorAll('#people-list li').length === 25);
	});

	await step('past positions follow the current ones, the latest first', async () => {
		const made = [];
		for (const [title, start, end] of [['Older past job', '2001-01-01', '2002-01-01'], ['Newer past job', '2005-01-01', '2006-01-01']]) {
			const r = await asMe('POST', 'me/profile/positions', { isCurrent: false, detail: { jobTitle: title, startMonthYear: start, endMonthYear: end } });
			assert.equal(r.status, 201, JSON.stringify(r.body));
			made.push(r.body.id);
		}
		await page.getByRole('link', { name: 'My profile' }).click();
		await cardHas(['Older past job', 'Newer past job']);
		const shown = await page.locator('#profile-card li.position').evaluateAll((items) => items.map((li) => [li.querySelector('h3').textContent, li.querySelector('.badge.current') != null]));
		const at = (title) => shown.findIndex(([t]) => t === title);
		assert.ok(at('Newer past job') < at('Older past job'), `positions shown in the order ${JSON.stringify(shown)}`);
		const lastCurrent = shown.findLastIndex(([, current]) => current);
		assert.ok(lastCurrent >= 0 && lastCurrent < at('Newer past job'), `current positions first: ${JSON.stringify(shown)}`);
		for (const id of made) assert.equal(await deleteMyPosition(id), 204);
	});

	await step('my card reached by my id in capitals is mine: it says so and offers to edit', async () => {
		await page.goto(`${base}/ui/#/people/${ada.id.toUpperCase()}`);
		await cardHas([ada.name]);
		await page.locator('.card-header .badge', { hasText: 'This is you' }).waitFor({ timeout: 5000 });
		assert.ok(await page.getByRole('button', { name: 'Add a position' }).isVisible());
	});

	await step('a form being saved says so, and a second Enter meanwhile adds nothing more', async () => {
		await page.getByRole('link', { name: 'My profile' }).click();
		await page.locator('#card-name', { hasText: ada.name }).waitFor();
		const before = (await asMe('GET', 'me/profile/skills')).body.value.length;
		await page.route('**/beta/me/profile/skills', async (route) => {
			if (route.request().method() === 'POST') await new Promise((r) => setTimeout(r, 1500));
			await route.continue().catch(() => {});
		});
		await page.getByRole('button', { name: 'Add a skill' }).click();
		const skill = page.getByLabel('Skill', { exact: true });
		await skill.fill('Difference engines');
		await skill.press('Enter');
		const submit = page.locator('form[aria-busy="true"] button[type=submit]');
		await submit.waitFor({ timeout: 1000 });
		assert.deepEqual([await submit.innerText(), await submit.isDisabled()], ['Saving…', true]);
		await skill.press('Enter');
		await page.locator('#card-status', { hasText: 'Added Difference engines.' }).waitFor();
		await page.unroute('**/beta/me/profile/skills');
		const skills = (await asMe('GET', 'me/profile/skills')).body.value;
		assert.equal(skills.length, before + 1, `skills after one add: ${JSON.stringify(skills.map((k) => k.displayName))}`);
		const added = skills.find((k) => k.displayName === 'Difference engines');
		assert.equal((await asMe('DELETE', `me/profile/skills/${added.id}`)).status, 204);
	});

	await step('a 400 naming a property of one type marks that type\'s field, not another of the same name', async () => {
		await page.getByRole('link', { name: 'My profile' }).click();
		await page.locator('#card-name', { hasText: ada.name }).waitFor();
		// (Program's comes after Institution's in $metadata: a message
		// matched by the name alone would mark Institution's.)
		await page.route('**/beta/me/profile/educationalActivities', (route) => (route.request().method() === 'POST'
			? route.fulfill({ status: 400, json: { error: { code: 'BadRequest', message: 'Invalid value specified for property \'displayName\' of type \'microsoft.graph.educationalActivityDetail\'.' } } })
			: route.continue()));
		const section = page.locator('section[aria-labelledby="facet-educationalActivities"]');
		await section.getByRole('button', { name: 'Add an educational activity' }).click();
		const program = section.getByLabel('Program: Display name', { exact: true });
		const institution = section.getByLabel('Institution: Display name', { exact: true });
		await program.fill('Mathematics');
		await institution.fill('University of London');
		await section.getByRole('button', { name: 'Add', exact: true }).click();
		await page.locator('[aria-invalid="true"]').first().waitFor({ timeout: 5000 });
		assert.deepEqual([await program.getAttribute('aria-invalid'), await institution.getAttribute('aria-invalid')], ['true', null]);
		await page.unroute('**/beta/me/profile/educationalActivities');
		await section.getByRole('button', { name: 'Cancel' }).click();
	});

	await step('a view slow to come says it is loading, over the view before it', async () => {
		await page.getByRole('link', { name: 'People', exact: true }).click();
		await page.locator('#people-list li').first().waitFor();
		await page.route('**/beta/me/profile**', async (route) => {
			await new Promise((r) => setTimeout(r, 1500));
			await route.continue().catch(() => {});
		});
		await page.getByRole('link', { name: 'My profile' }).click();
		await page.locator('main[aria-busy="true"]').waitFor({ timeout: 1000 });
		assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('main'), '::before').content), '"Loading…"');
		await page.locator('#card-name', { hasText: ada.name }).waitFor();
		assert.equal(await page.locator('main').getAttribute('aria-busy'), null);
		await page.unroute('**/beta/me/profile**');
	});

	await step('the journal is not read while the tab is hidden, and is again once it shows', async () => {
		await page.evaluate((t) => sessionStorage.setItem('graphprofile.adminToken', t), adminToken);
		await page.getByRole('link', { name: 'Inspector' }).click();
		await page.locator('#inspector-data').waitFor({ timeout: 5000 });
		let polls = 0;
		const count = (r) => {
			if (r.url().includes('/_admin/requests')) polls++;
		};
		page.on('request', count);
		const setHidden = (hidden) => page.evaluate((hidden) => {
			Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
			Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
			document.dispatchEvent(new Event('visibilitychange'));
		}, hidden);
		// From now on: a read sent before the tab hid was counted when sent.
		await setHidden(true);
		polls = 0;
		await page.waitForTimeout(4000);
		assert.equal(polls, 0, `the journal was read ${polls} times in 4 s while the tab was hidden`);
		await setHidden(false);
		await page.waitForTimeout(1000);
		assert.ok(polls >= 1, 'the journal was not read again once the tab showed');
		// Paused, it is not read either; resumed, it is.
		await page.getByRole('button', { name: 'Pause' }).click();
		await page.waitForTimeout(200);
		polls = 0;
		await page.waitForTimeout(3500);
		assert.equal(polls, 0, `the journal was read ${polls} times in 3.5 s while paused`);
		await page.getByRole('button', { name: 'Resume' }).click();
		await page.waitForTimeout(2000);
		page.off('request', count);
		assert.ok(polls >= 1, 'the journal was not read again once resumed');
		await page.getByRole('link', { name: 'People', exact: true }).click();
		await page.locator('#people-list li').first().waitFor();
	});

	await step('the inspector\'s address on a server without --admin-token says there is none, not the directory', async () => {
		await page.route('**/ui/api/config', async (route) => {
			const res = await route.fetch();
			await route.fulfill({ response: res, json: { ...(await res.json()), admin: false } });
		});
		await page.goto(`${base}/ui/#/inspector`);
		await page.reload();
		await page.locator('main [role=alert]', { hasText: 'This server has no inspector' }).waitFor({ timeout: 5000 });
		assert.equal(await page.locator('main h1').innerText(), 'Inspector');
		assert.equal(await page.locator('#people-list').count(), 0);
		assert.ok(await page.locator('#nav-inspector').isHidden());
		await page.unroute('**/ui/api/config');
		await page.goto(`${base}/ui/#/people`);
		await page.reload();
		await page.locator('#people-list li').first().waitFor();
	});

	const adaToken = await myToken();
	await step('a development tenant bigger than the picker: the sign-in says to name anyone else below it', async () => {
		// (The server's side is webui's TestDevUsersFirstByName.)
		await page.route('**/ui/api/dev/users', (route) => route.fulfill({ json: { value: [ada, grace].map((u) => ({ id: u.id, displayName: u.name, userPrincipalName: `${u.name.split(' ')[0].toLowerCase()}@contoso.com` })), more: true } }));
		await page.getByRole('button', { name: 'Sign out' }).click();
		const hint = page.locator('#dev-users-more');
		await hint.waitFor({ timeout: 5000 });
		assert.equal(await hint.innerText(), 'The first 2 users by name are listed: name anyone else below.');
		await page.unroute('**/ui/api/dev/users');
	});

	await step('a development sign-in the server refuses is shown, not swallowed', async () => {
		await page.route('**/ui/api/dev/token', (route) => route.fulfill({ status: 404, json: { error: { code: 'Request_ResourceNotFound', message: 'The development tenant has no user with id \'gone\'.' } } }));
		await page.locator('#dev-signin-form select').selectOption(ada.id);
		await page.locator('#dev-signin-form button[type=submit]').click();
		await page.locator('main [role=alert]', { hasText: 'The development tenant has no user with id \'gone\'.' }).waitFor({ timeout: 5000 });
		await page.unroute('**/ui/api/dev/token');
	});

	await step('a pasted token may start with "Bearer "; the page keeps it until the token\'s own exp', async () => {
		const { exp, iat } = JSON.parse(Buffer.from(adaToken.split('.')[1], 'base64url').toString());
		// At least 5 s after the token was minted: a page that took an
		// hour from now, not the token's exp, would be seconds off.
		await page.waitForTimeout(Math.max(0, (iat + 5) * 1000 - Date.now()));
		await page.getByLabel('Access token').fill(`Bearer ${adaToken}`);
		await page.getByRole('button', { name: 'Use this token' }).click();
		await page.locator('.session-user', { hasText: `Signed in as ${ada.name}` }).waitFor({ timeout: 5000 });
		const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem('graphprofile.token')));
		assert.equal(stored.accessToken, adaToken);
		assert.ok(Math.abs(stored.expiresAt - exp * 1000) < 2000, `kept until ${new Date(stored.expiresAt).toISOString()}, the token expires at ${new Date(exp * 1000).toISOString()}`);
	});

	await step('a pasted token the server refuses signs out at once, saying why', async () => {
		await page.getByRole('button', { name: 'Sign out' }).click();
		const [head, payload, signature] = adaToken.split('.');
		const forged = `${head}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
		await page.getByLabel('Access token').fill(forged);
		await page.getByRole('button', { name: 'Use this token' }).click();
		await page.locator('main [role=alert]', { hasText: 'Your sign-in was refused or has expired' }).waitFor({ timeout: 5000 });
		await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
		assert.equal(await page.evaluate(() => sessionStorage.getItem('graphprofile.token')), null);
	});

	const unexpected = problems.filter((p) => !/Failed to load resource: the server responded with a status of (400|401|403|404|412|429|503)/.test(p));
	assert.deepEqual(unexpected, [], 'the page logged no other errors (no CSP violation, no script error)');
} catch (err) {
	fail(err, problems);
} finally {
	await browser?.close();
}
