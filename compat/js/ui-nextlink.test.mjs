// The web page's Graph calls (webui/static/session.js) follow an
// @odata.nextLink on the page's own server, whatever address the link
// names: the server builds its links from --public-url or the address it
// listens on, which need not be the address the page was opened at
// (localhost for 127.0.0.1, a container's published port, an ssh tunnel).
// The module runs here as in the page, with the page's location and
// sessionStorage, against a real server whose --public-url differs from
// the page's origin.
//
//   GRAPH_BASE_URL  the server as the page reaches it, e.g. http://127.0.0.1:8080
//   PUBLIC_URL      its --public-url, another origin
//   TOKEN           a token with User.ReadBasic.All
//
// cmd/graphprofile's TestUINextLink runs this.

import assert from 'node:assert/strict';
import { env, steps } from './harness.mjs';

const base = env('GRAPH_BASE_URL').replace(/\/$/, '');
const publicURL = env('PUBLIC_URL').replace(/\/$/, '');
const { step, fail } = steps();

// What session.js reads of the page: where it is, and the tab's storage.
globalThis.location = new URL(`${base}/ui/`);
const stored = new Map();
globalThis.sessionStorage = {
	getItem: (k) => stored.get(k) ?? null,
	setItem: (k, v) => stored.set(k, String(v)),
	removeItem: (k) => stored.delete(k),
};
const session = await import('../../webui/static/session.js');
session.storeToken({ accessToken: env('TOKEN'), expiresIn: 3600 });

try {
	const eventual = { headers: { ConsistencyLevel: 'eventual' } };
	let first;
	await step('the directory\'s first page names the next by the public URL', async () => {
		first = await session.graph('GET', 'users?$select=id,displayName&$orderby=displayName&$count=true&$top=2', eventual);
		assert.equal(first.value.length, 2);
		assert.ok(first['@odata.nextLink']?.startsWith(`${publicURL}/beta/users?`), `nextLink ${first['@odata.nextLink']}`);
	});
	await step('"More people" follows it on the page\'s server', async () => {
		const seen = first.value.map((u) => u.displayName);
		let link = first['@odata.nextLink'];
		while (link) {
			const page = await session.graph('GET', link, eventual);
			seen.push(...page.value.map((u) => u.displayName));
			link = page['@odata.nextLink'];
		}
		assert.equal(seen.length, first['@odata.count']);
		assert.deepEqual(seen, [...seen].sort((a, b) => a.localeCompare(b)));
	});
	await step('a profile past its size cap is read whole, its collections\' nextLinks followed', async () => {
		const colleagues = Array.from({ length: 100 }, (_, i) => ({ displayName: `${'n'.repeat(1000)}${i}` }));
		let profile = await session.graph('GET', 'me/profile');
		let created = 0;
		for (; !profile['positions@odata.nextLink'] && created < 200; created++) {
			await session.graph('POST', 'me/profile/positions', { body: { colleagues } });
			if (created % 10 === 9) profile = await session.graph('GET', 'me/profile');
		}
		profile = await session.graph('GET', 'me/profile');
		const shown = profile.positions.length;
		assert.ok(profile['positions@odata.nextLink']?.startsWith(`${publicURL}/beta/`), `a cut profile, with a link: ${profile['positions@odata.nextLink']}`);
		const whole = await session.withAllItems(profile);
		const listed = [];
		for (let link = 'me/profile/positions?$top=999&$select=id'; link;) {
			const page = await session.graph('GET', link);
			listed.push(...page.value.map((p) => p.id));
			link = page['@odata.nextLink'];
		}
		assert.ok(shown < listed.length, `${shown} shown of ${listed.length}`);
		assert.deepEqual(whole.positions.map((p) => p.id), listed);
		assert.equal(whole['positions@odata.nextLink'], undefined);
	});
	await step('a link that resolves to another origin is refused, not sent the token', async () => {
		// Every request the module makes, to check that none left.
		const sent = [];
		const realFetch = globalThis.fetch;
		globalThis.fetch = (input, init) => {
			sent.push(String(input instanceof Request ? input.url : input));
			return realFetch(input, init);
		};
		try {
			for (const link of [`${publicURL}/beta///evil.example/steal`, `${publicURL}/elsewhere`, 'https://evil.example/collect?x=1']) {
				await assert.rejects(session.graph('GET', link), { name: 'GraphError', status: 0, message: /is not this server's/ });
			}
		} finally {
			globalThis.fetch = realFetch;
		}
		assert.deepEqual(sent, [], 'no request was sent for a refused link');
	});
} catch (err) {
	fail(err, []);
}
