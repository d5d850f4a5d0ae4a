// Replays the Graph docs' workPosition example (testdata/seed) with the
// official JavaScript client, @microsoft/microsoft-graph-client, against a
// graphprofile server over HTTPS: create, update, get, list, delete, a get
// after the delete that must fail as Graph's does, a PageIterator walk by a
// client that calls the server localhost, and a JSON batch built with the
// client's BatchRequestContent.
//
//   GRAPH_BASE_URL   the server without the version, e.g. https://127.0.0.1:8443/
//   GRAPH_TOKEN      a delegated token with User.ReadWrite (`graphprofile token`)
//   NODE_EXTRA_CA_CERTS  the CA the server's certificate is signed by, if the
//                    system does not trust it (serve --tls-self-signed logs it)
//
// cmd/graphprofile's TestGraphJavaScriptClient runs this; `make test` installs
// the client first (npm ci). Exits non-zero with the failing step on stderr.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { BatchRequestContent, BatchResponseContent, Client, GraphError, PageIterator } from '@microsoft/microsoft-graph-client';
import { env } from './harness.mjs';

const seed = (name) => readFile(new URL(`../../testdata/seed/${name}`, import.meta.url), 'utf8').then(JSON.parse);

const base = env('GRAPH_BASE_URL');
const token = env('GRAPH_TOKEN');
const baseURL = new URL(base);
// The client attaches the token only to https URLs whose host is Graph's or
// listed in customHosts; over http it would send requests without it.
assert.equal(baseURL.protocol, 'https:', `GRAPH_BASE_URL ${base}: the client sends the token over https only`);
// customHosts holds host names without the port. The client finds the
// host by the first ':', so an IPv6 literal ([::1]) can never match.
assert.ok(!baseURL.hostname.startsWith('['), `GRAPH_BASE_URL ${base}: use 127.0.0.1 or localhost; the client cannot send the token to an IPv6 literal`);

// The user the token names: the one createdBy must show.
const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

const client = Client.init({
	authProvider: (done) => done(null, token),
	// The client joins baseUrl, defaultVersion and the path with single
	// slashes: https://127.0.0.1:8443/ + beta + /me/... .
	baseUrl: base,
	defaultVersion: 'beta',
	customHosts: new Set([baseURL.hostname]),
});

// Service root as the server writes it in @odata.context: no trailing slash.
const root = base.replace(/\/+$/, '');
const collectionContext = `${root}/beta/$metadata#users('${claims.oid}')/profile/positions`;

let current = 'setup';
async function step(name, fn) {
	current = name;
	const result = await fn();
	console.log(`ok   ${name}`);
	return result;
}

function checkPosition(p, id, request) {
	assert.equal(p.id, id, 'id');
	assert.equal(p['@odata.context'], `${collectionContext}/$entity`, '@odata.context');
	assert.equal(p.detail.jobTitle, request.detail.jobTitle, 'detail.jobTitle');
	assert.equal(p.detail.role, request.detail.role, 'detail.role');
	assert.equal(p.detail.company.displayName, request.detail.company.displayName, 'detail.company.displayName');
	assert.equal(p.detail.company.address.city, request.detail.company.address.city, 'detail.company.address.city');
	assert.equal(p.isCurrent, true, 'isCurrent');
	assert.equal(p.allowedAudiences, 'organization', 'allowedAudiences');
	assert.equal(p.createdBy.user.id, claims.oid, 'createdBy.user.id');
	assert.equal(p.createdBy.user.displayName, claims.name, 'createdBy.user.displayName');
	assert.equal(p.lastModifiedBy.user.id, claims.oid, 'lastModifiedBy.user.id');
}

try {
	const createBody = await seed('create-request.json');
	const updateBody = await seed('update-request.json');

	const id = await step('POST /me/profile/positions (the seed create body)', async () => {
		const created = await client.api('/me/profile/positions').post(createBody);
		assert.match(created.id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'id is a lower-case GUID');
		checkPosition(created, created.id, createBody);
		assert.equal(created.lastModifiedDateTime, created.createdDateTime, 'lastModifiedDateTime on create');
		return created.id;
	});

	await step('PATCH /me/profile/positions/{id} (the seed update body)', async () => {
		const updated = await client.api(`/me/profile/positions/${id}`).patch(updateBody);
		checkPosition(updated, id, createBody);
		assert.ok(updated.lastModifiedDateTime >= updated.createdDateTime, 'lastModifiedDateTime after the update');
	});

	await step('GET /me/profile/positions/{id}', async () => {
		const got = await client.api(`/me/profile/positions/${id}`).get();
		checkPosition(got, id, createBody);
		assert.equal(got.isCurrent, updateBody.isCurrent, 'isCurrent as updated');
	});

	await step('GET /me/profile/positions', async () => {
		const list = await client.api('/me/profile/positions').get();
		assert.equal(list['@odata.context'], collectionContext, 'list @odata.context');
		assert.ok(Array.isArray(list.value), 'value is an array');
		assert.deepEqual(list.value.map((p) => p.id), [id], 'the list holds the new position');
	});

	await step('DELETE /me/profile/positions/{id}', async () => {
		await client.api(`/me/profile/positions/${id}`).delete();
	});

	await step('GET after DELETE: GraphError 404 itemNotFound', async () => {
		await assert.rejects(client.api(`/me/profile/positions/${id}`).get(), (err) => {
			assert.ok(err instanceof GraphError, `a GraphError, got ${err?.constructor?.name}: ${err}`);
			assert.equal(err.statusCode, 404, 'statusCode');
			assert.equal(err.code, 'itemNotFound', 'code');
			assert.ok(err.message.includes(id), `message names the id: ${err.message}`);
			// From the envelope's innerError, as Graph sends it.
			assert.match(err.requestId ?? '', /\S/, 'requestId');
			return true;
		});
	});

	await step('PageIterator through https://localhost: every nextLink on the host the client called', async () => {
		// The development certificate names localhost first, and a
		// developer types it: the client sends the token only to the
		// hosts in customHosts, so a nextLink naming another host (the
		// listen address, 127.0.0.1) would be followed without it (401).
		// Graph's links name the host the client called.
		if (!['127.0.0.1', 'localhost'].includes(baseURL.hostname)) {
			console.log(`skip the localhost walk: GRAPH_BASE_URL ${base} is not on the loopback`);
			return;
		}
		const local = new URL(base);
		local.hostname = 'localhost';
		const localClient = Client.init({
			authProvider: (done) => done(null, token),
			baseUrl: local.href,
			defaultVersion: 'beta',
			customHosts: new Set(['localhost']),
		});
		const made = [];
		for (const n of [1, 2, 3]) {
			made.push((await localClient.api('/me/profile/skills').post({ displayName: `Walk ${n}` })).id);
		}
		const first = await localClient.api('/me/profile/skills').filter("startswith(displayName,'Walk ')").top(1).get();
		assert.equal(new URL(first['@odata.nextLink']).host, local.host, 'the nextLink host');
		const walked = [];
		await new PageIterator(localClient, first, (s) => { walked.push(s.id); return true; }).iterate();
		assert.deepEqual(walked, made, 'the skills, page by page');
		for (const id of made) await localClient.api(`/me/profile/skills/${id}`).delete();
	});

	await step('POST /$batch with BatchRequestContent: three creates and a list, serially dependent', async () => {
		// The client's batch steps take Request objects; it strips the
		// scheme and host, so their URLs are the server's root plus a path
		// relative to the version, as Graph wants item URLs.
		const create = (n) => new Request(`${root}/me/profile/positions`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ ...createBody, detail: { ...createBody.detail, jobTitle: `Batch ${n}` } }),
		});
		// The client allows parallel, serial or one common dependency.
		const batch = new BatchRequestContent([
			{ id: '1', request: create(1) },
			{ id: '2', request: create(2), dependsOn: ['1'] },
			{ id: '3', request: create(3), dependsOn: ['2'] },
			{ id: 'list', request: new Request(`${root}/me/profile/positions?$select=detail&$orderby=detail/jobTitle`, { method: 'GET' }), dependsOn: ['3'] },
		]);
		const answer = new BatchResponseContent(await client.api('/$batch').post(await batch.getContent()));
		const titles = [];
		for (const n of ['1', '2', '3']) {
			const response = answer.getResponseById(n);
			assert.equal(response.status, 201, `item ${n} status`);
			const created = await response.json();
			titles.push(created.detail.jobTitle);
			assert.equal(created.createdBy.user.id, claims.oid, `item ${n} createdBy`);
			assert.match(response.headers.get('Location') ?? '', new RegExp(`/profile/positions/${created.id}$`), `item ${n} Location`);
		}
		assert.deepEqual(titles, ['Batch 1', 'Batch 2', 'Batch 3'], 'the created positions');
		const list = answer.getResponseById('list');
		assert.equal(list.status, 200, 'the list status');
		const listed = (await list.json()).value.map((p) => p.detail.jobTitle);
		assert.deepEqual(listed, ['Batch 1', 'Batch 2', 'Batch 3'], 'the list, run after the creates it depends on');
	});
} catch (err) {
	console.error(`FAIL ${current}:`);
	if (err instanceof GraphError) {
		console.error(`GraphError ${err.statusCode} ${err.code}: ${err.message}\n${err.body ?? ''}`);
		if (err.statusCode === -1) {
			// The client drops fetch's cause (e.g. an untrusted certificate).
			console.error('statusCode -1: no HTTP response; is the server up, and is its CA in NODE_EXTRA_CA_CERTS?');
		}
	} else {
		console.error(err);
	}
	process.exitCode = 1;
}
