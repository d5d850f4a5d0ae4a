// The official JavaScript client's RetryHandler (in its default
// middleware) recovering from a 429 that the server's admin API armed for
// the client's first attempt: the client waits the Retry-After the server
// sent and its retry is served. The server's journal shows both attempts.
//
//   GRAPH_BASE_URL     the server without the version, e.g. https://127.0.0.1:8443/
//   GRAPH_TOKEN        a delegated token with User.ReadWrite
//   GRAPH_ADMIN_TOKEN  the server's --admin-token
//   NODE_EXTRA_CA_CERTS  the CA of the server's certificate, if not trusted
//
// cmd/graphprofile's TestJavaScriptRetryHandler runs this against the
// binary. Exits non-zero with the failing step on stderr.

import assert from 'node:assert/strict';
import { Client } from '@microsoft/microsoft-graph-client';
import { env } from './harness.mjs';

const base = env('GRAPH_BASE_URL');
const token = env('GRAPH_TOKEN');
const adminToken = env('GRAPH_ADMIN_TOKEN');
const root = base.replace(/\/+$/, '');

const client = Client.init({
	authProvider: (done) => done(null, token),
	baseUrl: base,
	defaultVersion: 'beta',
	customHosts: new Set([new URL(base).hostname]),
});

// admin calls the server's admin API (not Graph: plain fetch).
async function admin(method, path, body) {
	const res = await fetch(`${root}/_admin/${path}`, {
		method,
		headers: { Authorization: `Bearer ${adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
		body: body ? JSON.stringify(body) : undefined,
	});
	assert.ok(res.ok, `${method} /_admin/${path}: ${res.status} ${await res.clone().text()}`);
	return res.status === 204 ? null : res.json();
}

let current = 'setup';
try {
	current = 'create a position';
	const created = await client.api('/me/profile/positions').post({ detail: { jobTitle: 'Retried' } });
	console.log('ok   create a position');

	current = 'arm one 429 for the next GET of the positions';
	await admin('DELETE', 'requests');
	await admin('POST', 'faults', { fault: '429;retry-after=1', method: 'GET', path: '/profile/positions' });
	console.log(`ok   ${current}`);

	current = 'list through the 429 (the RetryHandler retries)';
	const list = await client.api('/me/profile/positions').get();
	assert.deepEqual(list.value.map((p) => p.id), [created.id], 'the list after the retry');
	console.log(`ok   ${current}`);

	current = "the server's journal: a 429, then the retry served at least a second later";
	const { requests } = await admin('GET', 'requests?method=GET&path=/profile/positions');
	assert.equal(requests.length, 2, 'GETs the server saw');
	const [retry, refused] = requests; // newest first
	assert.equal(refused.response.status, 429, 'the first attempt');
	assert.deepEqual(refused.response.headers['Retry-After'], ['1'], "the first attempt's Retry-After");
	assert.equal(retry.response.status, 200, 'the retry');
	assert.deepEqual(retry.request.headers['Retry-Attempt'], ['1'], "the retry's Retry-Attempt (the RetryHandler's)");
	const waited = Date.parse(retry.time) - Date.parse(refused.time);
	assert.ok(waited >= 900, `the retry came ${waited} ms after the 429, before its Retry-After of 1 s`);
	console.log(`ok   ${current} (${waited} ms)`);
} catch (err) {
	console.error(`FAIL ${current}: ${err.stack ?? err}`);
	process.exit(1);
}
