// The signed-in user's access token (sessionStorage only: it ends with the
// tab, and no other site's page can read it) and the calls to the server's
// Graph API and admin API made with it.

const tokenKey = 'graphprofile.token';
const adminKey = 'graphprofile.adminToken';

// A GraphError is a Graph error answer: its status, code and message.
export class GraphError extends Error {
	constructor(status, code, message) {
		super(message);
		this.name = 'GraphError';
		this.status = status;
		this.code = code;
	}
}

export function storeToken({ accessToken, expiresIn }) {
	const expiresAt = Date.now() + (Number(expiresIn) > 0 ? Number(expiresIn) * 1000 : 3600_000);
	sessionStorage.setItem(tokenKey, JSON.stringify({ accessToken, expiresAt }));
}

// token returns the stored access token, or null when there is none or it
// has expired.
export function token() {
	try {
		const t = JSON.parse(sessionStorage.getItem(tokenKey) ?? 'null');
		if (t && typeof t.accessToken === 'string' && t.expiresAt > Date.now()) return t.accessToken;
	} catch {
		// not ours: treated as no token
	}
	return null;
}

// held reports whether the tab holds a sign-in, expired or not: an expired
// one is to be ended with a word, not forgotten in silence.
export function held() {
	return sessionStorage.getItem(tokenKey) !== null;
}

export function signOut() {
	sessionStorage.removeItem(tokenKey);
}

export function adminToken() {
	return sessionStorage.getItem(adminKey);
}

export function storeAdminToken(t) {
	if (t) sessionStorage.setItem(adminKey, t);
	else sessionStorage.removeItem(adminKey);
}

// The server's Graph API and admin API, relative to the page (/ui/), so the
// page works under any path prefix a proxy gives the server.
const graphBase = new URL('../beta/', location.href);
const adminBase = new URL('../_admin/', location.href);

// graph calls the Graph API: graph('GET', 'me/profile'). It resolves to
// the answer's JSON (null for 204) and rejects with a GraphError. An
// absolute URL (an @odata.nextLink) is followed on the page's own server:
// the server names itself by --public-url or the address it listens on,
// which need not be the one the page was opened at (localhost for
// 127.0.0.1, a container's published port), so a link of another origin
// is followed by its path under /beta/. The token goes to no other origin.
export async function graph(method, path, { body, headers } = {}) {
	let url = /^https?:/.test(path) ? new URL(path) : new URL(path, graphBase);
	if (url.origin !== location.origin) {
		const at = url.pathname.indexOf('/beta/');
		const own = at < 0 ? null : new URL(url.pathname.slice(at + '/beta/'.length) + url.search, graphBase);
		if (own?.origin !== location.origin) throw new GraphError(0, 'clientError', `The link ${url} is not this server's.`);
		url = own;
	}
	return call(url, method, token(), body, headers);
}

// withAllItems completes entity's collections that the server cut short:
// a profile past its size cap shows the first items of a collection and
// names the rest by "<collection>@odata.nextLink", whose pages it reads
// here, in order, into that collection. It resolves to entity.
export async function withAllItems(entity) {
	const suffix = '@odata.nextLink';
	for (const key of Object.keys(entity ?? {})) {
		if (!key.endsWith(suffix)) continue;
		const name = key.slice(0, -suffix.length);
		const items = [...(entity[name] ?? [])];
		for (let next = entity[key]; next;) {
			const page = await graph('GET', next);
			items.push(...(page?.value ?? []));
			next = page?.[suffix] ?? null;
		}
		entity[name] = items;
		delete entity[key];
	}
	return entity;
}

// admin calls the admin API with the admin token.
export async function admin(method, path, { body, headers } = {}) {
	return call(new URL(path, adminBase), method, adminToken(), body, headers);
}

async function call(url, method, bearer, body, headers = {}) {
	const init = { method, headers: { Accept: 'application/json', ...headers } };
	if (bearer) init.headers.Authorization = `Bearer ${bearer}`;
	if (body !== undefined) {
		if (typeof body === 'string') {
			init.body = body;
		} else {
			init.body = JSON.stringify(body);
		}
		init.headers['Content-Type'] = 'application/json';
	}
	const res = await sendRetried(url, init);
	if (res.status === 204) return null;
	const text = await res.text();
	let data = null;
	try {
		data = text ? JSON.parse(text) : null;
	} catch {
		data = null;
	}
	if (!res.ok) {
		const e = data?.error;
		throw new GraphError(res.status, e?.code ?? 'httpError', e?.message ?? `${res.status} ${res.statusText}`);
	}
	return data;
}

// sendRetried sends a request and resolves to its answer, unless the
// server was busy. Throttled (429) or unavailable (503): a read is sent once
// more after the answer's Retry-After, when that is at most maxRetryWait; a
// write never is (a create sent twice would make two items), and neither is
// a read told to wait longer (a throttled request sent early still counts,
// and is refused again, for longer). Either is then a GraphError saying the
// server is busy, with how long to wait.
async function sendRetried(url, init) {
	const method = init.method ?? 'GET';
	let res = await send(url, init);
	let wait = busy(res);
	if (wait !== null && (method === 'GET' || method === 'HEAD') && wait <= maxRetryWait) {
		await new Promise((resolve) => setTimeout(resolve, wait * 1000));
		res = await send(url, init);
		wait = busy(res);
	}
	if (wait !== null) {
		const e = (await res.json().catch(() => null))?.error;
		throw new GraphError(res.status, e?.code ?? 'httpError', `The server is busy right now. Try again in ${wait} second${wait === 1 ? '' : 's'}.`);
	}
	return res;
}

// metadata reads the service's $metadata (XML), as graph reads JSON: a
// busy server's answer retried as any read's. It resolves to the XML's
// text and rejects with a GraphError.
export async function metadata() {
	const res = await sendRetried(new URL('$metadata', graphBase), { method: 'GET', headers: { Accept: 'application/xml' } });
	if (!res.ok) throw new GraphError(res.status, 'httpError', `reading $metadata: ${res.status} ${res.statusText}`);
	return res.text();
}

async function send(url, init) {
	try {
		return await fetch(url, init);
	} catch (err) {
		throw new GraphError(0, 'networkError', `The server could not be reached (${err.message}).`);
	}
}

// maxRetryWait is the longest Retry-After, in seconds, a read waits for
// before it is sent again.
const maxRetryWait = 10;

// busy returns the seconds a 429 or 503 answer says to wait (its
// Retry-After in whole seconds, at least 1; 1 when it gives none or a
// date), or null for any other answer.
function busy(res) {
	if (res.status !== 429 && res.status !== 503) return null;
	const v = res.headers.get('Retry-After')?.trim() ?? '';
	return /^\d{1,6}$/.test(v) ? Math.max(1, Number(v)) : 1;
}
