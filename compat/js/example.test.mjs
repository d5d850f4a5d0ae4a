// A test of an app's Graph code with the official JavaScript client,
// against a running graphprofile (docs/testing-with-graphprofile.md).
//
//   GRAPH_BASE_URL     e.g. https://127.0.0.1:8443/ (the client sends tokens over https only)
//   GRAPH_TOKEN        a delegated token with User.ReadWrite
//   GRAPH_ADMIN_TOKEN  the server's --admin-token, for the reset between tests
import assert from 'node:assert/strict';
import { test, beforeEach } from 'node:test';
import { Client } from '@microsoft/microsoft-graph-client';

const base = process.env.GRAPH_BASE_URL;
const client = Client.init({
	authProvider: (done) => done(null, process.env.GRAPH_TOKEN),
	baseUrl: base,
	defaultVersion: 'beta',
	customHosts: new Set([new URL(base).hostname]),
});

// Every test starts from an empty server.
beforeEach(async () => {
	const res = await fetch(new URL('_admin/reset', base), {
		method: 'POST',
		headers: { Authorization: `Bearer ${process.env.GRAPH_ADMIN_TOKEN}` },
	});
	assert.equal(res.status, 204);
});

test('positions are listed oldest first, a page at a time', async () => {
	await client.api('/me/profile/positions').post({ detail: { jobTitle: 'Intern' } });
	await client.api('/me/profile/positions').post({ detail: { jobTitle: 'Engineer' } });
	const list = await client.api('/me/profile/positions').top(1).get();
	assert.equal(list.value[0].detail.jobTitle, 'Intern');
	assert.ok(list['@odata.nextLink'], 'a second page');
});

test('a position that does not exist is itemNotFound', async () => {
	await assert.rejects(client.api('/me/profile/positions/nope').get(), { statusCode: 404, code: 'itemNotFound' });
});
