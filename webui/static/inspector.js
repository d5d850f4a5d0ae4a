// The inspector, for whoever holds the admin API's token (serve
// --admin-token): the tenants and users the server holds and each user's
// data as stored (GET /_admin/tenants, /_admin/users, /_admin/fixtures),
// the request journal refreshed live (GET /_admin/requests), and the reset
// and fixture-load buttons.
import { h, uid, isolated, isolatedText } from './dom.js';
import { admin, adminToken, storeAdminToken } from './session.js';

const pollMillis = 1500;
const journalRows = 100;

// poller is the journal's refresh loop while the inspector is shown.
let poller = null;

// stopInspector ends the live refresh (the view is left).
export function stopInspector() {
	poller?.stop();
	poller = null;
}

// renders counts the inspector's renders: one begun later (the token given
// again, or forgotten, while the last render still read) replaces one
// still reading, which then shows nothing and starts no journal.
let renders = 0;

// renderInspector shows the inspector in main. With focus (after its own
// token form or "Forget the admin token", whose control the new view
// replaces), it puts the focus on the view's heading, or on the token
// field the server refused, rather than let it fall to the page's body.
export async function renderInspector(main, app, { focus = false } = {}) {
	stopInspector();
	const mine = ++renders;
	const current = () => mine === renders && main.current();
	const show = (nodes, focusOn) => {
		if (!current()) return;
		main.replaceChildren(...nodes);
		if (focus) focusOn.focus();
	};
	if (!adminToken()) {
		const form = tokenForm(main, app);
		show(form.nodes, form.heading);
		return;
	}
	try {
		await admin('GET', 'tenants');
	} catch (err) {
		// Only a refused token is asked for again: a server that is busy,
		// restarting or unreachable for a while keeps it, to be tried again.
		if (err.status === 401) {
			storeAdminToken(null);
			const form = tokenForm(main, app, 'The server refused this admin token.');
			show(form.nodes, form.input);
			return;
		}
		const heading = h('h1', { tabindex: '-1' }, 'Inspector');
		const retry = h('button', { type: 'button', onclick: () => renderInspector(main, app, { focus: true }) }, 'Try again');
		show([
			heading,
			h('p', { role: 'alert', class: 'form-error' }, `The admin API failed: ${err.message}`),
			h('p', {}, retry, ' ', h('button', { type: 'button', class: 'link-button', onclick: () => { storeAdminToken(null); renderInspector(main, app, { focus: true }); } }, 'Forget the admin token')),
		], heading);
		return;
	}
	if (!current()) return;
	const status = h('p', { role: 'status', class: 'status', id: 'inspector-status' });
	const alert = h('p', { role: 'alert', class: 'form-error', id: 'inspector-error', hidden: true });
	const report = (message) => {
		alert.hidden = true;
		status.textContent = message;
	};
	const fail = (message) => {
		status.textContent = '';
		alert.textContent = message;
		alert.hidden = false;
	};
	const data = h('div', { id: 'inspector-data' });
	const journal = journalSection(fail);
	const refreshData = () => showTenants(data, fail);
	const heading = h('h1', { tabindex: '-1' }, 'Inspector');
	show([
		heading,
		h('p', { class: 'lead' }, 'What the server holds and what it was sent, through the admin API.', ' ',
			h('button', { type: 'button', class: 'link-button', onclick: () => { storeAdminToken(null); renderInspector(main, app, { focus: true }); } }, 'Forget the admin token')),
		status, alert,
		actionsSection(report, fail, async () => {
			await refreshData();
			journal.refresh();
		}),
		journal.section,
		h('section', { class: 'panel', 'aria-labelledby': 'inspector-data-heading' }, h('h2', { id: 'inspector-data-heading' }, 'Tenants and users'), data),
	], heading);
	await refreshData();
	// The view may have been left (or shown anew) while it read: route()'s
	// stopInspector() has run by then, so a journal started now would poll
	// on, off the inspector, with nothing left to stop it.
	if (!current()) return;
	stopInspector();
	poller = journal.start();
}

// tokenForm asks for the admin token; message says why a token was
// refused, and describes the field.
function tokenForm(main, app, message = '') {
	const id = uid('admin-token');
	const messageId = message ? uid('admin-token-error') : null;
	const input = h('input', { id, type: 'password', name: 'adminToken', autocomplete: 'off', spellcheck: 'false', 'aria-invalid': message ? 'true' : null, 'aria-describedby': messageId });
	const heading = h('h1', { tabindex: '-1' }, 'Inspector');
	const nodes = [
		heading,
		h('p', { class: 'lead' }, 'The inspector calls the admin API: give the token the server was started with (serve --admin-token). It stays in this tab only.'),
		message ? h('p', { role: 'alert', class: 'form-error', id: messageId }, message) : '',
		h('form', {
			class: 'stack panel', id: 'admin-token-form',
			onsubmit: (e) => {
				e.preventDefault();
				if (!input.value.trim()) return;
				storeAdminToken(input.value.trim());
				renderInspector(main, app, { focus: true });
			},
		}, h('label', { for: id }, 'Admin token'), input, h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Open the inspector'))),
	];
	return { nodes, heading, input };
}

function actionsSection(report, fail, refresh) {
	const fileId = uid('fixtures-file');
	const file = h('input', { id: fileId, type: 'file', accept: '.json,application/json' });
	const reset = h('button', { type: 'button', class: 'danger', id: 'inspector-reset' }, 'Reset all data');
	reset.addEventListener('click', async () => {
		if (!confirm('Remove every user and profile of every tenant? This cannot be undone.')) return;
		try {
			await admin('POST', 'reset');
			report('Every tenant was reset.');
			await refresh();
		} catch (err) {
			fail(`Reset failed: ${err.message}`);
		}
	});
	const load = h('form', {
		class: 'stack', id: 'fixtures-form',
		onsubmit: async (e) => {
			e.preventDefault();
			const f = file.files?.[0];
			if (!f) {
				fail('Choose a fixtures file first.');
				file.focus();
				return;
			}
			try {
				await admin('POST', 'fixtures', { body: await f.text() });
				report(`Loaded ${f.name}.`);
				file.value = '';
				await refresh();
			} catch (err) {
				fail(`Loading ${f.name} failed: ${err.message}`);
			}
		},
	}, h('label', { for: fileId }, 'Fixtures file (docs/fixtures.md)'), file, h('div', {}, h('button', { type: 'submit' }, 'Load fixtures')));
	return h('section', { class: 'panel', 'aria-labelledby': 'inspector-actions' },
		h('h2', { id: 'inspector-actions' }, 'Actions'),
		h('div', { class: 'action-grid' }, load, h('div', { class: 'stack' }, h('p', {}, 'Empty the server, as a test suite does between tests.'), h('div', {}, reset))));
}

// showTenants lists the tenants; each opens its users, each user the data
// stored for it.
async function showTenants(container, fail) {
	let tenants;
	try {
		({ tenants } = await admin('GET', 'tenants'));
	} catch (err) {
		fail(`Listing tenants failed: ${err.message}`);
		return;
	}
	const users = h('div', { id: 'inspector-users' });
	if (tenants.length === 0) {
		container.replaceChildren(h('p', { class: 'muted' }, 'The server holds no users.'), users);
		return;
	}
	container.replaceChildren(table('Tenants', ['Tenant', 'Issuer', 'Users', ''], tenants.map((t) => [
		h('code', {}, t.id), t.issuer || 'development', String(t.userCount),
		h('button', { type: 'button', onclick: () => showUsers(users, t, fail) }, `Show users of ${t.id.slice(0, 8)}…`),
	])), users);
}

// showUsers lists the users of tenant, a page of the admin API's (1,000)
// at a time: a button reads the next while there are more.
async function showUsers(container, tenant, fail) {
	const users = [];
	const detail = h('div', { id: 'inspector-user-data' });
	const headingId = uid('users-heading');
	let after = '';
	const more = async () => {
		let page;
		try {
			page = await admin('GET', `users?tenantId=${encodeURIComponent(tenant.tenantId)}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
		} catch (err) {
			fail(`Listing users failed: ${err.message}`);
			return false;
		}
		users.push(...(page.users ?? []));
		after = page.after ?? '';
		const next = after
			? h('button', { type: 'button', onclick: async () => {
				// Focus on the first user the button added.
				const before = users.length;
				if (await more()) container.querySelectorAll('tbody tr')[before]?.querySelector('button')?.focus();
			} }, 'Show more users')
			: '';
		container.replaceChildren(
			h('h3', { id: headingId, tabindex: '-1' }, `Users of tenant ${tenant.id}`),
			h('p', { class: 'muted' }, `${users.length} of ${Math.max(tenant.userCount, users.length)} users shown`),
			table(null, ['Name', 'User principal name', 'Id', ''], users.map((u) => [
				isolated(u.displayName), isolated(u.userPrincipalName), h('code', {}, u.id),
				h('button', { type: 'button', onclick: () => showUserData(detail, tenant, u, fail) }, 'Data of ', isolated(u.displayName || u.id)),
			]), headingId),
			next,
			detail);
		return true;
	};
	if (await more()) container.querySelector('h3').focus();
}

async function showUserData(container, tenant, user, fail) {
	let doc;
	try {
		doc = await admin('GET', `fixtures?tenantId=${encodeURIComponent(tenant.tenantId)}&userId=${encodeURIComponent(user.id)}`);
	} catch (err) {
		fail(`Reading the data of ${isolatedText(user.displayName || user.id)} failed: ${err.message}`);
		return;
	}
	const stored = doc.tenants?.[0]?.users?.[0] ?? {};
	const counts = Object.entries(stored.profile ?? {}).map(([k, v]) => `${v.length} ${k}`).join(', ') || 'an empty profile';
	container.replaceChildren(
		h('h3', { tabindex: '-1' }, 'Stored data of ', isolated(user.displayName || user.id)),
		h('p', {}, `As stored, every audience included: ${counts}. The same document loads again as fixtures.`),
		h('pre', { class: 'json', tabindex: '0', 'aria-label': `Stored data of ${user.displayName || user.id}` }, JSON.stringify(doc, null, 2)));
	container.querySelector('h3').focus();
}

// table makes a table in a region that scrolls sideways on its own (and
// takes the focus, so the keyboard scrolls it too).
function table(caption, headings, rows, labelledBy = null) {
	return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption, 'aria-labelledby': labelledBy },
		h('table', { 'aria-labelledby': labelledBy },
			caption ? h('caption', {}, caption) : null,
			h('thead', {}, h('tr', {}, headings.map((c) => h('th', { scope: 'col' }, c || h('span', { class: 'visually-hidden' }, 'Actions'))))),
			h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

// journalSection shows the request journal, newest first, refreshed every
// pollMillis while the tab is visible.
function journalSection(fail) {
	const body = h('tbody', { id: 'journal-rows' });
	const note = h('p', { class: 'muted', id: 'journal-note' });
	let paused = false;
	let lastSeq = -1;
	const pause = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause');
	pause.addEventListener('click', () => {
		paused = !paused;
		pause.setAttribute('aria-pressed', String(paused));
		pause.textContent = paused ? 'Resume' : 'Pause';
		if (!paused) refresh();
	});
	const clear = h('button', { type: 'button' }, 'Clear the journal');
	clear.addEventListener('click', async () => {
		try {
			await admin('DELETE', 'requests');
			refresh();
		} catch (err) {
			fail(`Clearing the journal failed: ${err.message}`);
		}
	});
	const refresh = async () => {
		let requests;
		try {
			({ requests } = await admin('GET', 'requests'));
		} catch (err) {
			note.textContent = `Reading the journal failed: ${err.message}`;
			return;
		}
		const newest = requests[0]?.seq ?? -1;
		note.textContent = `${requests.length} ${requests.length === 1 ? 'request' : 'requests'} in the journal${requests.length > journalRows ? `, the last ${journalRows} shown` : ''}; refreshed ${new Date().toLocaleTimeString()}.`;
		if (newest === lastSeq && body.children.length === Math.min(requests.length, journalRows)) return;
		lastSeq = newest;
		// A row already shown stays in place as it is (an entry never
		// changes): new ones come in above it, and those past the last
		// journalRows go. So a row the user opened stays open, and one the
		// keyboard is on keeps the focus, which a row made anew would drop
		// to the page's body every refresh.
		const focused = body.contains(document.activeElement);
		const shown = new Map([...body.children].map((tr) => [tr.dataset.key, tr]));
		const rows = requests.slice(0, journalRows).map((e) => shown.get(rowKey(e)) ?? journalRow(e));
		const keep = new Set(rows);
		for (const tr of [...body.children]) if (!keep.has(tr)) tr.remove();
		rows.forEach((tr, i) => {
			if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] ?? null);
		});
		// The focused row went (cleared, or past the last shown): the focus
		// stays in the journal.
		if (focused && !body.contains(document.activeElement)) wrap.focus({ preventScroll: true });
	};
	const wrap = h('div', { class: 'table-wrap journal-wrap', tabindex: '0', role: 'region', 'aria-label': 'Journaled requests' },
		h('table', { class: 'journal' },
			h('thead', {}, h('tr', {}, ['#', 'Time', 'Method', 'Path', 'Status', 'ms', 'Caller'].map((c) => h('th', { scope: 'col' }, c)))),
			body));
	const section = h('section', { class: 'panel', 'aria-labelledby': 'journal-heading' },
		h('h2', { id: 'journal-heading' }, 'Request journal'),
		h('p', {}, `What the server was sent and answered, newest first, refreshed every ${pollMillis / 1000} s while this tab is visible.`),
		h('div', { class: 'button-row' }, pause, clear),
		note,
		wrap);
	const start = () => {
		let timer = null;
		let stopped = false;
		const tick = async () => {
			timer = null;
			if (stopped || document.hidden) return;
			if (!paused) await refresh();
			if (!stopped && !document.hidden) timer = setTimeout(tick, pollMillis);
		};
		const onVisibility = () => {
			if (!document.hidden && !timer && !stopped) tick();
		};
		document.addEventListener('visibilitychange', onVisibility);
		tick();
		return {
			stop() {
				stopped = true;
				clearTimeout(timer);
				document.removeEventListener('visibilitychange', onVisibility);
			},
		};
	};
	return { section, refresh, start };
}

// shownBody is what a journal row shows of a body: its text, its bytes
// (base64) when it is not text, or why the journal withheld it; "(none)"
// only when there was none. (The pre scrolls: tabindex lets the keyboard
// reach it.)
function shownBody(b) {
	const cut = b.bodyTruncated ? '\n… (cut at 64 KiB)' : '';
	if (b.bodyWithheld) return `(not shown: ${b.bodyWithheld})`;
	if (b.bodyBase64) return `(not text; base64) ${b.bodyBase64}${cut}`;
	return b.body ? b.body + cut : '(none)';
}

// rowKey names a journal entry: its seq, with its time, since a server
// started anew numbers its requests from 1 again.
const rowKey = (e) => `${e.seq} ${e.time}`;

function journalRow(e) {
	const time = new Date(e.time);
	const details = h('details', {},
		h('summary', {}, readableURL(e.request.url)),
		h('p', {}, h('strong', {}, 'Request body')),
		h('pre', { class: 'json', tabindex: '0' }, shownBody(e.request)),
		h('p', {}, h('strong', {}, `Response ${e.response.status}`)),
		h('pre', { class: 'json', tabindex: '0' }, shownBody(e.response)));
	return h('tr', { class: e.response.status >= 400 ? 'failed' : null, dataset: { seq: String(e.seq), key: rowKey(e) } },
		h('td', {}, String(e.seq)),
		h('td', {}, Number.isNaN(time.getTime()) ? e.time : time.toLocaleTimeString([], { hour12: false })),
		h('td', {}, e.request.method),
		h('td', { class: 'journal-path' }, details),
		h('td', {}, String(e.response.status)),
		h('td', {}, e.durationMs.toFixed(1)),
		h('td', {}, e.caller.oid ? e.caller.oid.slice(0, 8) : e.caller.appId ? `app ${e.caller.appId.slice(0, 8)}` : '—'));
}

// readableURL shows a journaled URL with its query decoded ($select, not
// %24select).
function readableURL(url) {
	try {
		return decodeURIComponent(url);
	} catch {
		return url;
	}
}
